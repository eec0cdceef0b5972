"""The `raftviz` command line: the TUI by default, plus run, conform and bench subcommands.

User errors (bad options, unreadable files) end in one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (what the user typed in it escaped) and exit with code
    2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from raftviz.core.describe import escape

        print(escape(f"{self.prog}: {message}"), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _seed(text: str) -> int:
    """`--seed`, by the rule of the script's `cluster seed=`, so that a run's saved session
    loads with the seed the run had."""
    from raftviz.core.script import parse_seed

    try:
        return parse_seed(text)
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


_VALUED_OPTIONS = ("--nodes", "--seed", "--speed")
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
    run.set_defaults(parser=run)

    bench = sub.add_parser("bench", help="measure performance")
    bench.add_argument("target", choices=["core", "sim", "ui"], help="what to measure")
    bench.set_defaults(parser=bench)
    return parser


SUBCOMMANDS = ("conform", "run", "bench")
NO_SCRIPT = "no script given (the file name is empty)"
"""An empty name is not the current directory, as a path library would read it."""

DEFAULT_SPEED = 0.25
"""A quarter of real time: flights of 50-150 ms take a visible 0.2-0.6 s, and a first election
(1-2 s of election timeout) happens within a few seconds."""


def _build_tui_parser() -> _Parser:
    parser = _Parser(
        prog="raftviz",
        description="Watch and steer a live Raft cluster (etcd/raft semantics) in the terminal. "
        f"Subcommands: {', '.join(SUBCOMMANDS)} (see raftviz SUBCOMMAND --help).",
    )
    parser.add_argument(
        "script",
        nargs="?",
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
    parser.add_argument("--no-prevote", action="store_true", help="turn pre-vote off")
    parser.add_argument("--no-checkquorum", action="store_true", help="turn check-quorum off")
    return parser


def _tui(argv: Sequence[str]) -> int:
    import dataclasses

    from raftviz.core.describe import escape
    from raftviz.core.script import ClusterCmd, Located, ScriptError, load_script

    args = _build_tui_parser().parse_args(argv)
    if args.nodes is not None and not 3 <= args.nodes <= 9:
        print(f"raftviz: --nodes must be between 3 and 9, got {args.nodes}", file=sys.stderr)
        return EXIT_USAGE
    if args.script == "":
        print(f"raftviz: {NO_SCRIPT}", file=sys.stderr)
        return EXIT_USAGE
    commands: tuple[Located, ...] = ()
    cluster = ClusterCmd()
    if args.script is not None:
        try:
            script = load_script(_scenario_path(args.script), nodes=args.nodes or 5)
        except ScriptError as e:
            print(e, file=sys.stderr)
            return EXIT_USAGE
        cluster, commands = script.cluster, script.commands
        if args.nodes is not None and cluster.nodes != args.nodes:
            print(
                f"{escape(args.script)}: the script's cluster has {cluster.nodes} nodes; "
                f"--nodes {args.nodes} contradicts it",
                file=sys.stderr,
            )
            return EXIT_USAGE
    overrides: dict[str, Any] = {}
    if args.nodes is not None:
        overrides["nodes"] = args.nodes
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.no_prevote:
        overrides["prevote"] = False
    if args.no_checkquorum:
        overrides["checkquorum"] = False
    cluster = dataclasses.replace(cluster, **overrides)
    if not 3 <= cluster.nodes <= 9:
        print(
            f"raftviz: the TUI shows 3 to 9 nodes, the script asks for {cluster.nodes}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    from raftviz.app import RaftvizApp
    from raftviz.bridge import TrioBridge
    from raftviz.controller import clamp_speed
    from raftviz.core.executor import Executor
    from raftviz.runtime import Runtime
    from raftviz.themes import DEFAULT_THEME

    runtime = Runtime(
        Executor(cluster), speed=clamp_speed(args.speed), paused=args.paused, script=commands
    )
    bridge = TrioBridge(runtime)
    title = f"raftviz - {Path(args.script).stem}" if args.script else "raftviz"
    try:
        app = RaftvizApp(
            bridge,
            theme=args.theme or os.environ.get("RAFTVIZ_THEME") or DEFAULT_THEME,
            title=title,
            services=[bridge],
        )
    except ValueError as e:
        print(f"raftviz: {e}", file=sys.stderr)
        return EXIT_USAGE
    result = app.run()
    return result if isinstance(result, int) else app.return_code or 0


def _scenario_path(name: str) -> str:
    """A path as given, or a built-in scenario by name when no such file exists."""
    if Path(name).exists():
        return name
    from importlib import resources

    builtin = Path(str(resources.files("raftviz.scenarios"))) / f"{name.removesuffix('.raft')}.raft"
    return str(builtin) if builtin.exists() else name


def _conform(paths: list[Path], diff: bool) -> int:
    from raftviz.core.describe import escape
    from raftviz.core.interaction import collect_files, run_file

    for p in paths:
        if not p.exists():
            print(f"raftviz conform: {escape(str(p))}: no such file or directory", file=sys.stderr)
            return EXIT_USAGE
    files = collect_files(paths)
    if not files:
        print("raftviz conform: no .txt files found", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for path, name in files:
        result = run_file(path, name)
        print(result.summary())
        if not result.passed:
            failed += 1
            if diff and result.diff:
                print(result.diff)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = _glue_values(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help"):
        return _tui(argv)
    args, extra = _build_parser().parse_known_args(argv)
    if extra:
        # Only the subcommand takes arguments: name it, not plain `raftviz`, as their refuser.
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "conform":
        return _conform(args.paths, args.diff)
    if args.command == "run":
        if not args.file:
            print(f"raftviz run: {NO_SCRIPT}", file=sys.stderr)
            return EXIT_USAGE
        from raftviz.headless import run_script

        return run_script(_scenario_path(args.file), as_json=args.json, seed=args.seed)
    if args.command == "bench":
        from raftviz import bench

        if args.target == "ui":
            from raftviz.bench_ui import bench_ui

            lines = bench_ui()
        else:
            lines = {"core": bench.bench_core, "sim": bench.bench_sim}[args.target]()
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
