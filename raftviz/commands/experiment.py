"""`raftviz experiment election-time`: the Raft paper's Figure 16, as a table and a plot.

The trials (`core/explore/election_time.py`) run in worker processes, a batch of one line's
trials per task; results are put back in the order of their lines and trial numbers, so the
table, the plot and the files are the same whatever `--jobs` is. The plot is drawn by plotext
(a terminal plotting library), and shown by Rich from plotext's own colours.
"""

from __future__ import annotations

import csv
import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import plotext
from rich import box
from rich.console import Console, Group
from rich.progress import TextColumn
from rich.table import Table
from rich.text import Text

from raftviz.commands import EXIT_INTERRUPTED, EXIT_USAGE
from raftviz.commands.workers import progress_bar, sigint_deferred, worker_pool
from raftviz.core.etcdtext.describe import escape
from raftviz.core.explore.election_time import (
    CAP_MS,
    Result,
    Setup,
    SetupFailed,
    cdf,
    possible_winners,
    run_trial,
    summarize,
)

BATCH = 25
"""Trials per task: enough to keep the cost of handing work to a process small, few enough
that the bar moves and both cores stay busy to the end."""

MARKERS = ("hd", "dot", "+", "x", "*", "o", "#", "@")
"""One marker per line, so that the lines stay apart without colour (a pipe, a printout)."""


@dataclass(frozen=True)
class Options:
    setups: tuple[Setup, ...]
    trials: int
    jobs: int
    csv_path: Path | None = None
    json_path: Path | None = None
    log_x: bool = False


def _batch(setup: Setup, first: int, count: int) -> tuple[Setup, list[Result]]:
    return setup, [run_trial(setup, first + k) for k in range(count)]


def run_trials(
    options: Options,
    advance: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> dict[Setup, list[Result]]:
    """Every trial of every line, by line in order of trial number. `advance(n)` is told of
    each batch of n trials done; once `stop` is set, the workers are stopped and
    KeyboardInterrupt raised (Ctrl-C on the command line, a closed screen in the TUI)."""
    tasks = [
        (setup, first, min(BATCH, options.trials - first))
        for setup in options.setups
        for first in range(0, options.trials, BATCH)
    ]
    results: dict[Setup, list[Result]] = {setup: [] for setup in options.setups}
    done: queue.SimpleQueue[tuple[Setup, list[Result]] | BaseException] = queue.SimpleQueue()
    jobs = max(1, min(options.jobs, len(tasks)))
    with worker_pool(jobs) as pool:
        for task in tasks:
            pool.apply_async(_batch, task, callback=done.put, error_callback=done.put)
        for _ in tasks:
            answer = _next(done, stop)
            if isinstance(answer, BaseException):
                raise answer
            setup, batch = answer
            results[setup].extend(batch)
            if advance is not None:
                advance(len(batch))
    for setup in options.setups:
        results[setup].sort(key=lambda r: r.trial)
    return results


def _next(
    done: queue.SimpleQueue[tuple[Setup, list[Result]] | BaseException],
    stop: threading.Event | None,
) -> tuple[Setup, list[Result]] | BaseException:
    """The next batch done, looking at `stop` four times a second meanwhile."""
    while True:
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        try:
            return done.get(timeout=0.25)
        except queue.Empty:
            continue


def describe(options: Options) -> str:
    """The setup in one paragraph, the latency model included."""
    s = options.setups[0]
    lo, hi = s.latency_ms
    features = [
        "pre-vote" if s.prevote else "no pre-vote",
        "check-quorum" if s.checkquorum else "no check-quorum",
    ]
    winners = len(possible_winners(s))
    logs = (
        "equal logs"
        if s.equal_logs
        else f"logs of different lengths ({winners} of {s.nodes - 1} followers can win)"
    )
    network = f"One-way latency uniform in {lo}-{hi} ms" + (
        f", and {s.disk_ms} ms to write to disk before a node's messages leave" if s.disk_ms else ""
    )
    broadcast = f"{2 * lo + s.disk_ms}-{2 * hi + s.disk_ms} ms"
    return (
        f"Election time after a leader crash: {s.nodes} nodes, {options.trials} trials per "
        f"range, seed {s.seed}. {network} (a round trip, the broadcast time, of {broadcast}). "
        f"Timer rule {s.timer_rule}, {', '.join(features)}, {logs}; timeouts drawn to 10 µs "
        f"and latencies to 1 µs; heartbeats every half of the minimum timeout; the leader "
        f"crashes at a uniformly random point of its heartbeat interval. Trials with no leader "
        f"after {CAP_MS // 1000} s are capped there."
    )


def _ms(value: float) -> str:
    """A time in the table: whole ms, but tenths below 10 ms, where a trial's microsecond
    clock tells apart what whole milliseconds would round together (2-3 ms timeouts...)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def table(results: dict[Setup, list[Result]]) -> Table:
    t = Table(
        title="Time from the leader's crash to a new leader, in ms",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,  # whole 5-digit figures in every column at 80 columns
    )
    t.add_column("timeout", justify="right", no_wrap=True)
    for name in ("trials", "min", "median", "mean", "p90", "p99", "max", "1st term", "capped"):
        t.add_column(name, justify="right", no_wrap=True)
    for setup, rs in results.items():
        s = summarize(rs)
        t.add_row(
            setup.label(),
            str(s.trials),
            *(_ms(v) for v in (s.minimum, s.median, s.mean, s.p90, s.p99, s.maximum)),
            f"{s.first_term:.0%}",
            str(s.capped),
        )
    return t


def plot(results: dict[Setup, list[Result]], width: int, height: int, log_x: bool) -> Text:
    """The CDF of every line in one plot with a legend, like the paper's figure: x the time
    from the crash to the new leader in ms, y the share of trials elected by then."""
    plotext.clear_figure()
    plotext.plot_size(width, height)
    plotext.theme("clear")
    for k, (setup, rs) in enumerate(results.items()):
        xs, ys = cdf(rs)
        plotext.plot(xs, ys, label=f"{setup.label()} ms", marker=MARKERS[k % len(MARKERS)])
    if log_x:
        plotext.xscale("log")
    plotext.ylim(0, 1)
    plotext.xlabel("time without leader (ms)" + (", log scale" if log_x else ""))
    plotext.title("Share of trials with a new leader (CDF)")
    return Text.from_ansi(plotext.build(), no_wrap=True, overflow="crop")


def figure(
    results: dict[Setup, list[Result]], width: int, height: int, log_x: bool = True
) -> Group:
    """The plot, `width` by `height`, above the table: what the TUI's screen shows."""
    return Group(plot(results, width, height, log_x), table(results))


def write_csv(path: Path, results: dict[Setup, list[Result]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timeout_ms", "trial", "elapsed_ms", "terms", "capped", "crash_offset_ms"])
        for setup, rs in results.items():
            for r in rs:
                w.writerow(
                    [setup.label(), r.trial, r.elapsed_ms, r.terms, r.capped, r.crash_offset_ms]
                )


def report(
    options: Options, results: dict[Setup, list[Result]], wall_s: float
) -> dict[str, object]:
    return {
        "setup": describe(options),
        "wall_s": round(wall_s, 3),
        "lines": [
            {
                "timeout_ms": list(setup.timeout_ms),
                "summary": asdict(summarize(rs)),
                "elapsed_ms": [r.elapsed_ms for r in rs],
                "terms": [r.terms for r in rs],
            }
            for setup, rs in results.items()
        ],
    }


def _unwritable(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        with path.open("a"):
            pass
    except OSError as e:
        return f"cannot write {escape(str(path))}: {e.strerror}"
    return None


def election_time(options: Options) -> int:
    for flag, path in (("--csv", options.csv_path), ("--json", options.json_path)):
        problem = _unwritable(path)
        if problem:
            print(f"raftviz experiment: {flag}: {problem}", file=sys.stderr)
            return EXIT_USAGE
    out = Console()
    progress = progress_bar("trials", TextColumn("{task.completed}/{task.total}"))
    started = time.monotonic()
    try:
        with progress, sigint_deferred() as interrupted:
            bar = progress.add_task("trials", total=len(options.setups) * options.trials)
            results = run_trials(options, partial(progress.advance, bar), interrupted)
    except KeyboardInterrupt:
        print("raftviz experiment: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SetupFailed as e:
        print(f"raftviz experiment: {e}: the network is too slow for the timeouts", file=sys.stderr)
        return EXIT_USAGE
    wall = time.monotonic() - started
    out.print(Text(describe(options)))
    out.print(table(results))
    width = max(40, min(out.width, 160))
    out.print(plot(results, width, 22, options.log_x))
    out.print(
        Text(f"{len(options.setups) * options.trials} trials in {wall:.1f} s ({options.jobs} jobs)")
    )
    if options.csv_path is not None:
        write_csv(options.csv_path, results)
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(report(options, results, wall), indent=2) + "\n")
    return 0
