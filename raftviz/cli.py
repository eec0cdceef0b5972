"""The `raftviz` command line: the TUI by default, plus run, conform and bench subcommands.

User errors (bad options, unreadable files) end in one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from raftviz.commands import EXIT_USAGE, NO_SCRIPT


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (what the user typed in it escaped) and exit with code
    2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from raftviz.core.etcdtext.describe import escape

        print(escape(f"{self.prog}: {message}"), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _seed(text: str) -> int:
    """`--seed`, by the rule of the script's `cluster seed=`, so that a run's saved session
    loads with the seed the run had."""
    from raftviz.core.script.parse import parse_seed

    try:
        return parse_seed(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _unsafe(text: str) -> tuple[str, ...]:
    """`--unsafe`, by the rule of the script's `cluster unsafe=`."""
    from raftviz.core.script.parse import parse_unsafe

    try:
        return parse_unsafe(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _speed(text: str) -> float:
    """A finite speed above 0: float() alone would take nan, inf and negatives too."""
    try:
        speed = float(text)
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and speed > 0):
        raise argparse.ArgumentTypeError(f"the speed must be a positive number, got {text}")
    return speed


def _whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number within bounds, refused with the bounds named: int() alone would take
    -1, 1_000 and ' 7 '."""

    def read(text: str) -> int:
        if text.isascii() and text.isdigit() and low <= int(text) <= high:
            return int(text)
        raise argparse.ArgumentTypeError(
            f"must be a whole number from {low} to {high}, got {text or 'nothing'}"
        )

    return read


_WALL_UNITS = {"s": 1, "m": 60, "h": 3600}


def _wall_time(text: str) -> float:
    """`--time`: a wall-clock duration like 90s, 10m or 1.5h."""
    number, unit = text[:-1], text[-1:]
    if unit in _WALL_UNITS and number.replace(".", "", 1).isdigit() and number.isascii():
        seconds = float(number) * _WALL_UNITS[unit]
        if seconds > 0:
            return seconds
    raise argparse.ArgumentTypeError(
        f"must be a duration above 0 like 90s, 10m or 1.5h, got {text or 'nothing'}"
    )


def _shard(text: str) -> tuple[int, int]:
    """`--shard I/N`: this is shard I (counted from 0) of N."""
    index, slash, count = text.partition("/")
    if (
        slash
        and all(x.isascii() and x.isdigit() for x in (index, count))
        and int(index) < int(count)
    ):
        return int(index), int(count)
    raise argparse.ArgumentTypeError(
        f"must be I/N with shards counted from 0, so 0 <= I < N (like 0/4), got {text or 'nothing'}"
    )


_VALUED_OPTIONS = (
    "--nodes",
    "--seed",
    "--speed",
    "--seeds",
    "--jobs",
    "--time",
    "--shard",
    "--trials",
)
"""The options with a numeric value, which may start with '-'."""


def _glue_values(argv: Sequence[str]) -> list[str]:
    """`--speed -inf` as `--speed=-inf`: argparse takes an argument that starts with '-' for an
    option unless it looks like a plain negative number, and would answer that --speed "expected
    one argument" instead of judging -inf (or -1e3) as a speed."""
    glued: list[str] = []
    for arg in argv:
        if glued and glued[-1] in _VALUED_OPTIONS and arg.startswith("-"):
            glued[-1] += f"={arg}"
        else:
            glued.append(arg)
    return glued


def _build_parser() -> _Parser:
    parser = _Parser(prog="raftviz", description="See Raft work, the way etcd does it.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    conform = sub.add_parser(
        "conform", help="run etcd/raft interaction test files against raftviz's core"
    )
    conform.add_argument("paths", nargs="+", type=Path, help="files or folders of .txt files")
    conform.add_argument("--diff", action="store_true", help="show a unified diff on failure")
    conform.set_defaults(parser=conform)

    run = sub.add_parser("run", help="run a script headless, as fast as possible")
    run.add_argument("file", help="a raftviz script, or a built-in scenario's name")
    run.add_argument("--json", action="store_true", help="print one JSON report")
    run.add_argument("--seed", type=_seed, help="override the script's cluster seed")
    run.add_argument(
        "--level",
        choices=("debug", "info", "story", "code"),
        default="debug",
        help="story: why each Raft decision was taken, in plain words, instead of etcd's log "
        "lines; code: each story followed by the steps of etcd/raft's code that took it; "
        "info: etcd's lines without DEBUG; debug (default): everything",
    )
    run.set_defaults(parser=run)

    check = sub.add_parser(
        "check",
        help="hunt for Raft bugs: random fault schedules, one per seed, checked in parallel; "
        "a failure is shrunk and saved as a script",
        description="Run a random fault schedule per seed and check Raft's safety properties, "
        "its recovery (liveness) and every acknowledged write (durability). A failure is shrunk "
        "and saved as a script. Exit code 0 when nothing broke, 1 when something did, 2 for bad "
        "input; after Ctrl-C, 1 if something was found, else 130.",
    )
    check.add_argument(
        "--nodes",
        type=_whole(3, 9),
        default=5,
        help="cluster size, 3 to 9 (default 5)",
        metavar="N",
    )
    budget = check.add_mutually_exclusive_group()
    budget.add_argument(
        "--seeds",
        type=_whole(1, MAX_SEEDS),
        help=f"check seeds 0 to K-1 (default {DEFAULT_SEEDS})",
        metavar="K",
    )
    budget.add_argument(
        "--time",
        type=_wall_time,
        help="check seeds 0, 1, 2... until this wall time is up (90s, 10m, 1.5h)",
        metavar="DURATION",
    )
    check.add_argument(
        "--jobs",
        type=_whole(1, MAX_JOBS),
        default=_cores(),
        help=f"worker processes (default: every core, {_cores()} here)",
        metavar="J",
    )
    check.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        help="check only the seeds equal to I modulo N (I from 0 to N-1)",
        metavar="I/N",
    )
    check.add_argument(
        "--unsafe",
        type=_unsafe,
        default=(),
        help="turn on unsafe variants of Raft, to see the bugs they cause",
        metavar="NAME[,NAME]",
    )
    check.add_argument(
        "--out",
        type=Path,
        default=Path("raftviz-check"),
        help="where failing scripts are written (default ./raftviz-check/)",
        metavar="DIR",
    )
    check.add_argument("--no-prevote", action="store_true", help="turn pre-vote off")
    check.add_argument("--no-checkquorum", action="store_true", help="turn check-quorum off")
    check.add_argument("--json", action="store_true", help="print one JSON report")
    check.set_defaults(parser=check)

    experiment = sub.add_parser(
        "experiment",
        help="measure Raft as the paper does: election-time (Figure 16)",
        description="election-time: how long a cluster takes to elect a new leader after its "
        "leader crashes, over many trials, for several ranges of randomized election timeouts "
        "(the Raft paper's section 9.3 and Figure 16): a table and a CDF plot.",
    )
    from raftviz.core.explore.election_time import DEFAULT_LATENCY, DEFAULT_RANGES

    paper_ranges = ",".join(f"{lo}-{hi}" for lo, hi in DEFAULT_RANGES)
    experiment.add_argument("name", choices=["election-time"], help="the experiment")
    experiment.add_argument(
        "--timeouts",
        type=_ranges,
        default=paper_ranges,
        help=f"election timeout ranges in ms, MIN-MAX separated by commas "
        f"(default: the paper's {paper_ranges})",
        metavar="MIN-MAX,...",
    )
    experiment.add_argument(
        "--trials",
        type=_whole(1, 1_000_000),
        default=1000,
        help="trials per range (1000)",
        metavar="N",
    )
    experiment.add_argument(
        "--nodes",
        type=_whole(3, 9),
        default=5,
        help="cluster size, 3 to 9 (5)",
        metavar="N",
    )
    experiment.add_argument(
        "--latency",
        type=_latency_range,
        default=DEFAULT_LATENCY,
        help="one-way message latency MIN-MAX in ms, uniform (default "
        f"{DEFAULT_LATENCY[0]}-{DEFAULT_LATENCY[1]}: a {sum(DEFAULT_LATENCY)} ms broadcast)",
        metavar="MIN-MAX",
    )
    experiment.add_argument(
        "--disk",
        type=_whole(0, 10_000),
        default=0,
        help="ms a write to disk takes before a node's messages leave (0: at once); the "
        "paper's broadcast time may include the voter's write",
        metavar="MS",
    )
    experiment.add_argument(
        "--equal-logs", action="store_true", help="every follower gets every entry"
    )
    experiment.add_argument(
        "--timer-rule",
        choices=("raft", "etcd"),
        default="raft",
        help="raft (default): a timer restarts only on a granted vote, the leader's word or a "
        "campaign; etcd: also on every step to a higher term",
    )
    experiment.add_argument("--prevote", action="store_true", help="turn pre-vote on")
    experiment.add_argument("--checkquorum", action="store_true", help="turn check-quorum on")
    experiment.add_argument(
        "--jobs",
        type=_whole(1, MAX_JOBS),
        default=_cores(),
        help=f"worker processes (default: every core, {_cores()} here)",
        metavar="J",
    )
    experiment.add_argument("--seed", type=_seed, default=1, metavar="S", help="the run's seed (1)")
    experiment.add_argument(
        "--csv", type=Path, metavar="FILE", help="write every trial to this CSV file"
    )
    experiment.add_argument(
        "--json", type=Path, metavar="FILE", help="write the report to this JSON file"
    )
    experiment.add_argument("--log", action="store_true", help="log scale for the time axis")
    experiment.set_defaults(parser=experiment)

    bench = sub.add_parser("bench", help="measure performance")
    bench.add_argument(
        "target", choices=["core", "sim", "ui", "experiment"], help="what to measure"
    )
    bench.set_defaults(parser=bench)

    # serve and record take the TUI's options too (whatever it gains), and check them as it does.
    serve = sub.add_parser(
        "serve",
        parents=[_build_tui_parser()],
        conflict_handler="resolve",
        allow_abbrev=False,  # so that the TUI's options pass on to each session as typed
        help="serve the TUI to web browsers, a cluster per tab (takes the TUI's options)",
        description="Serve raftviz's TUI to web browsers, through textual-serve: each browser "
        "tab runs its own raftviz, with the TUI's options and SCRIPT as given here.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only; another "
        "address lets other machines in, with a warning)",
    )
    serve.add_argument("--port", type=_port, default=8000, help="the port (default 8000)")
    serve.set_defaults(parser=serve)

    record = sub.add_parser(
        "record",
        parents=[_build_tui_parser()],
        conflict_handler="resolve",
        help="record a scenario in the TUI as an asciicast v2 file (asciinema, slides)",
        description="Play a script or built-in scenario in the TUI, headless, and write what "
        "the screen shows, frame by frame in simulated time, as an asciicast v2 file. Each "
        "wait of the script (a pause, a lecture's line) is held for reading time, then resumed.",
    )
    record.add_argument("--out", required=True, help="the asciicast file to write (.cast)")
    record.add_argument(
        "--size", type=_size, default=(120, 36), help="WIDTHxHEIGHT of the screen (default 120x36)"
    )
    record.add_argument(
        "--duration",
        type=_duration,
        help="stop after this many seconds of recording (default: the script's end; "
        "30 without a script)",
    )
    record.add_argument("--still", help="also write the last frame as an SVG picture")
    record.set_defaults(parser=record)
    return parser


DEFAULT_SEEDS = 100
MAX_SEEDS = 2**63
"""Seeds 0 to K-1 are all valid seeds (up to 2^63-1, `cluster seed=`'s bound)."""
MAX_JOBS = 256
"""More worker processes than this only thrash the machine; the bound also stops a typo from
starting thousands of processes."""


def _cores() -> int:
    """The cores this process may run on (what `--jobs` defaults to)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _range_ms(text: str, low: int) -> tuple[int, int]:
    """MIN-MAX in whole milliseconds, MIN at least `low` and at most MAX."""
    first, dash, second = text.strip().partition("-")
    if not (dash and first.isdigit() and second.isdigit() and first.isascii() and second.isascii()):
        raise argparse.ArgumentTypeError(f"must be MIN-MAX in whole ms (like 150-300), got {text}")
    lo, hi = int(first), int(second)
    if not low <= lo <= hi <= 600_000:
        raise argparse.ArgumentTypeError(
            f"{text}: MIN must be at least {low} and at most MAX (MAX at most 600000 ms)"
        )
    return lo, hi


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    """`--timeouts`: election timeout ranges, each long enough for a heartbeat inside it."""
    ranges = tuple(_range_ms(part, 2) for part in text.split(","))
    if len(set(ranges)) != len(ranges):
        raise argparse.ArgumentTypeError(f"a range is given twice in {text}")
    return ranges


def _latency_range(text: str) -> tuple[int, int]:
    return _range_ms(text, 0)


def _port(text: str) -> int:
    """A TCP port a server can listen on: 0 (any free port) would leave the URL unknown."""
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"the port must be a number from 1 to 65535, got {text}")
    return int(text)


def _size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT, within what the screens can lay out and a player can show."""
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"the size must be WIDTHxHEIGHT (e.g. 120x36), got {text}")
    size = int(width), int(height)
    if not (80 <= size[0] <= 400 and 24 <= size[1] <= 200):
        raise argparse.ArgumentTypeError(
            f"the size must be 80x24 to 400x200 (columns x rows), got {text}"
        )
    return size


def _duration(text: str) -> float:
    """Seconds of recording: finite and above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(
            f"the duration must be a positive number of seconds, got {text}"
        )
    return seconds


SUBCOMMANDS = ("conform", "run", "check", "experiment", "bench", "serve", "record")
DEFAULT_SPEED = 0.25
"""A quarter of real time: flights of 50-150 ms take a visible 0.2-0.6 s, and a first election
(1-2 s of election timeout) happens within a few seconds."""


def _build_tui_parser() -> _Parser:
    parser = _Parser(
        prog="raftviz",
        description="Watch and steer a live Raft cluster (etcd/raft semantics) in the terminal. "
        "In the app, ? lists every key and q quits.",
    )
    parser.add_argument(
        "script",
        nargs="?",
        metavar="SCRIPT",
        help="a script to play, or the name of a built-in scenario (e.g. election)",
    )
    parser.add_argument("--nodes", type=int, help="cluster size, 3 to 9 (default 5)")
    parser.add_argument("--seed", type=_seed, help="seed of the run (default 1)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=DEFAULT_SPEED,
        help=f"simulated/wall time (default {DEFAULT_SPEED})",
    )
    parser.add_argument(
        "--theme", default=None, help="raft-dark, raft-light, raft-projector, raft-colorblind"
    )
    parser.add_argument("--paused", action="store_true", help="start with time stopped")
    parser.add_argument(
        "--lecture",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="wait after each `say` of the script until space is pressed "
        "(default: on for built-in scenarios, off for script files)",
    )
    parser.add_argument("--no-prevote", action="store_true", help="turn pre-vote off")
    parser.add_argument("--no-checkquorum", action="store_true", help="turn check-quorum off")
    from raftviz.core.raft.unsafe import UNSAFE

    parser.add_argument(
        "--unsafe",
        type=_unsafe,
        default=(),
        metavar="NAME[,NAME]",
        help="switch safety rules of Raft off, to see why they exist (besides the script's): "
        + "; ".join(f"{name}: {description}" for name, description in UNSAFE.items()),
    )
    return parser


def _overview() -> str:
    """The end of `raftviz --help`: every subcommand and every built-in scenario, one line
    each, so that a newcomer sees all there is to run from the first help they ask for."""
    from raftviz.scenarios import builtin_scenarios

    subparsers = next(
        a for a in _build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    )
    commands = [(f"raftviz {a.dest}", a.help or "") for a in subparsers._get_subactions()]
    scenarios = [(f"raftviz {s.name}", s.description) for s in builtin_scenarios()]
    width = max(len(name) for name, _ in commands + scenarios) + 2
    lines = ["commands (raftviz COMMAND --help for their options):"]
    lines += [f"  {name:<{width}}{text}" for name, text in commands]
    lines += ["", "built-in scenarios (SCRIPT can name one):"]
    lines += [f"  {name:<{width}}{text}" for name, text in scenarios]
    return "\n".join(lines)


def _without(argv: Sequence[str], options: Sequence[str]) -> list[str]:
    """`argv` less `options` and their values (`--port 8000` or `--port=8000`): what
    `raftviz serve` passes on to each session's `raftviz`."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif not arg.startswith(tuple(f"{option}=" for option in options)):
            kept.append(arg)
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    argv = _glue_values(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SUBCOMMANDS:
        from raftviz.commands.tui import tui

        parser = _build_tui_parser()
        if {"-h", "--help"} & set(argv):
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
            parser.epilog = _overview()
        return tui(parser.parse_args(argv))
    args, extra = _build_parser().parse_known_args(argv)
    if extra:
        # Only the subcommand takes arguments: name it, not plain `raftviz`, as their refuser.
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "conform":
        from raftviz.commands.conform import conform

        return conform(args.paths, args.diff)
    if args.command == "run":
        if not args.file:
            print(f"raftviz run: {NO_SCRIPT}", file=sys.stderr)
            return EXIT_USAGE
        from raftviz.commands.run import run_script
        from raftviz.scenarios import not_found, scenario_path

        missing = not_found(args.file)
        if missing is not None:
            print(missing, file=sys.stderr)
            return EXIT_USAGE

        return run_script(
            scenario_path(args.file), as_json=args.json, seed=args.seed, level=args.level
        )
    if args.command == "check":
        from raftviz.commands.check import Options, check
        from raftviz.core.script.parse import ClusterCmd

        cluster = ClusterCmd(
            nodes=args.nodes,
            prevote=not args.no_prevote,
            checkquorum=not args.no_checkquorum,
            unsafe=args.unsafe,
        )
        seeds = DEFAULT_SEEDS if args.seeds is None and args.time is None else args.seeds
        return check(Options(cluster, seeds, args.time, args.jobs, args.shard, args.out, args.json))
    if args.command == "serve":
        from raftviz.commands.serve import serve

        return serve(args, _without(argv[1:], ("--host", "--port")))
    if args.command == "record":
        from raftviz.commands.record import record

        return record(args)
    if args.command == "experiment":
        from raftviz.commands.experiment import Options as ExperimentOptions
        from raftviz.commands.experiment import election_time
        from raftviz.core.explore.election_time import Setup

        round_trip = 2 * (args.latency[1] + args.disk)
        shortest = min(lo for lo, _ in args.timeouts)
        if round_trip >= shortest:
            args.parser.error(
                f"--latency/--disk: a round trip takes up to {round_trip} ms (twice the slowest "
                f"latency plus the write), not shorter than the {shortest} ms timeout: no leader "
                "could hold (Raft needs a broadcast time well under the election timeout)"
            )
        setups = tuple(
            Setup(
                timeout,
                nodes=args.nodes,
                latency_ms=args.latency,
                disk_ms=args.disk,
                equal_logs=args.equal_logs,
                timer_rule=args.timer_rule,
                prevote=args.prevote,
                checkquorum=args.checkquorum,
                seed=args.seed,
            )
            for timeout in args.timeouts
        )
        return election_time(
            ExperimentOptions(setups, args.trials, args.jobs, args.csv, args.json, args.log)
        )
    if args.command == "bench":
        from raftviz.commands import bench

        if args.target == "ui":
            from raftviz.commands.bench_ui import bench_ui

            lines = bench_ui()
        else:
            lines = {
                "core": bench.bench_core,
                "sim": bench.bench_sim,
                "experiment": bench.bench_experiment,
            }[args.target]()
        for line in lines:
            print(line, flush=True)
        return 0
    return EXIT_USAGE


def entry() -> None:
    """Console-script entry: a closed pipe (`raftviz run x | head`) is not an error."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    entry()
