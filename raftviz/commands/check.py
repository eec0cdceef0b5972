"""`raftviz check`: hunts for Raft bugs with random fault schedules, one per seed, in parallel.

Each seed's schedule (`core/explore/schedule.py`) is run by a worker process; a failing one is
shrunk (`core/explore/shrink.py`) by a worker too, and the parent writes it to `--out` as a
script that `raftviz run` replays to the same failure and `raftviz FILE` opens paused at it.
The core stays pure: the processes, the live progress bar, the files and the report are here.

Seeds are numbered from 0. `--seeds K` checks seeds 0 to K-1; `--time` checks 0, 1, 2... until
the time is up (the seeds under way then are finished). `--shard I/N` (I from 0 to N-1) keeps
the seeds equal to I modulo N, so N machines given 0/N ... N-1/N check every seed exactly once.

Exit codes: 0 when nothing broke, 1 when a safety property broke or the cluster did not recover
(liveness), 2 for bad input. Ctrl-C stops the workers, writes the failures found so far
(unshrunk if their shrinking was under way) and prints the report: exit 1 if something was
found, else 130.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any, NamedTuple

from rich.progress import (
    Progress,
    TextColumn,
)

from raftviz.commands import EXIT_INTERRUPTED, EXIT_USAGE
from raftviz.commands.workers import progress_bar, sigint_deferred, worker_pool
from raftviz.core.etcdtext.describe import escape, format_time
from raftviz.core.explore import trial
from raftviz.core.explore.schedule import Schedule, generate
from raftviz.core.explore.shrink import shrink
from raftviz.core.script.parse import ClusterCmd

EXIT_FOUND = 1

IN_FLIGHT_PER_JOB = 2
"""Seeds handed to each worker ahead of time: enough that a worker never waits for the parent,
few enough that Ctrl-C and the end of `--time` find little under way."""


@dataclass(frozen=True)
class Options:
    """`raftviz check`'s options, already checked by the command line's parser."""

    cluster: ClusterCmd  # nodes, prevote, checkquorum (and unsafe variants) of every seed
    seeds: int | None  # None with --time
    time_s: float | None
    jobs: int
    shard: tuple[int, int]
    out: Path
    as_json: bool


def shard_seeds(shard: tuple[int, int], seeds: int | None) -> Iterator[int]:
    """The seeds one shard checks, in order: I, I+N, I+2N... below `seeds` (forever if None)."""
    index, shards = shard
    return iter(range(index, seeds, shards)) if seeds is not None else count(index, shards)


# ------------------------------------------------------------------ in the workers


class Checked(NamedTuple):
    """A worker's answer: how a seed's whole schedule ended."""

    seed: int
    outcome: trial.Outcome


class Shrunk(NamedTuple):
    """A worker's answer: a failing seed's schedule, shrunk, and how it fails."""

    seed: int
    schedule: Schedule
    outcome: trial.Outcome


def _check_seed(template: ClusterCmd, seed: int) -> Checked:
    outcome = trial.run(generate(seed, template))
    if outcome.property == trial.INVALID:
        raise RuntimeError(f"seed {seed}: the generator wrote a command that fails: {outcome}")
    return Checked(seed, outcome)


def _shrink_seed(template: ClusterCmd, seed: int, property: str) -> Shrunk:
    schedule = shrink(generate(seed, template), lambda s: trial.run(s).property == property)
    return Shrunk(seed, schedule, trial.run(schedule))


# ------------------------------------------------------------------ in the parent


@dataclass
class Failure:
    seed: int
    outcome: trial.Outcome  # as the seed's whole schedule failed
    commands: int
    nodes: int
    shrunk: Schedule | None = None
    shrunk_outcome: trial.Outcome | None = None
    file: Path | None = None


@dataclass
class Hunt:
    """What a run of `raftviz check` did: the seeds checked and the failures found."""

    options: Options
    started: float = field(default_factory=time.monotonic)
    checked: list[int] = field(default_factory=list)
    failures: dict[int, Failure] = field(default_factory=dict)
    interrupted: bool = False
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.checked) / self.elapsed if self.elapsed else 0.0


class _CannotWrite(Exception):
    """A failure's script could not be written to --out."""


def check(options: Options) -> int:
    problem = _unwritable(options.out)
    if problem:
        print(f"raftviz check: --out {escape(str(options.out))}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    hunt = Hunt(options)
    progress = progress_bar(
        "checking",
        TextColumn("{task.fields[checked]} seeds"),  # "120/2000", or "120" with --time
        TextColumn("{task.fields[rate]:.1f} seeds/s"),
        TextColumn("{task.fields[found]} found"),
    )
    try:
        with progress:
            _hunt(hunt, progress)
        hunt.elapsed = time.monotonic() - hunt.started
    except KeyboardInterrupt:
        hunt.interrupted = True
        hunt.elapsed = time.monotonic() - hunt.started
        try:
            for failure in hunt.failures.values():
                if failure.file is None:
                    save_failure(hunt, failure)
        except _CannotWrite as e:
            print(e, file=sys.stderr)
    except _CannotWrite as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    if options.as_json:
        json.dump(_report(hunt), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in _summary(hunt):
            print(line)
    if hunt.failures:
        return EXIT_FOUND
    return EXIT_INTERRUPTED if hunt.interrupted else 0


def _unwritable(out: Path) -> str | None:
    """Why failures could not be written to `out`, found before any seed runs (the folder
    itself is only made when the first failure is found)."""
    existing = out
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return "not a folder" if existing == out else f"{escape(str(existing))} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {escape(str(existing))}"
    return None


def _hunt(hunt: Hunt, progress: Progress) -> None:
    """Hand seeds to the workers a few at a time, shrink what fails, keep the bar current."""
    options = hunt.options
    seeds = shard_seeds(options.shard, options.seeds)
    deadline = None if options.time_s is None else hunt.started + options.time_s
    if options.seeds is None:
        jobs, total = options.jobs, options.time_s
    else:
        total = len(range(options.shard[0], options.seeds, options.shard[1]))
        jobs = max(1, min(options.jobs, total))
    of = "" if deadline is not None else f"/{total}"
    task = progress.add_task("check", total=total, checked=f"0{of}", rate=0.0, found=0)
    results: queue.SimpleQueue[Checked | Shrunk | BaseException] = queue.SimpleQueue()
    with sigint_deferred() as interrupted, worker_pool(jobs) as pool:
        pending = 0
        while True:
            if interrupted.is_set():
                raise KeyboardInterrupt
            now = time.monotonic()
            while pending < jobs * IN_FLIGHT_PER_JOB and (deadline is None or now < deadline):
                seed = next(seeds, None)
                if seed is None:
                    break
                pool.apply_async(
                    _check_seed,
                    (options.cluster, seed),
                    callback=results.put,
                    error_callback=results.put,
                )
                pending += 1
            if not pending:
                break
            try:
                result = results.get(timeout=0.25)
            except queue.Empty:
                pass
            else:
                pending -= 1
                if isinstance(result, BaseException):
                    raise result
                if isinstance(result, Checked):
                    pending += _checked(hunt, progress, pool, results, result)
                else:
                    _shrunk(hunt, progress, result)
            hunt.elapsed = time.monotonic() - hunt.started
            progress.update(
                task,
                completed=len(hunt.checked) if deadline is None else hunt.elapsed,
                checked=f"{len(hunt.checked)}{of}",
                rate=hunt.rate,
                found=len(hunt.failures),
            )


def _checked(
    hunt: Hunt,
    progress: Progress,
    pool: Any,
    results: queue.SimpleQueue[Checked | Shrunk | BaseException],
    checked: Checked,
) -> int:
    """Record a checked seed; a failing one goes to a worker to be shrunk. Returns how many
    tasks that added."""
    seed, outcome = checked
    hunt.checked.append(seed)
    if outcome.property is None:
        return 0
    schedule = generate(seed, hunt.options.cluster)
    failure = Failure(seed, outcome, len(schedule.commands), schedule.cluster.nodes)
    hunt.failures[seed] = failure
    progress.console.print(
        escape(f"{_found_line(failure)} (shrinking it)"), markup=False, highlight=False
    )
    pool.apply_async(
        _shrink_seed,
        (hunt.options.cluster, seed, outcome.property),
        callback=results.put,
        error_callback=results.put,
    )
    return 1


def _shrunk(hunt: Hunt, progress: Progress, shrunk: Shrunk) -> None:
    failure = hunt.failures[shrunk.seed]
    failure.shrunk, failure.shrunk_outcome = shrunk.schedule, shrunk.outcome
    save_failure(hunt, failure)
    progress.console.print(
        escape(
            f"seed {failure.seed}: shrunk to {len(shrunk.schedule.commands)} commands on"
            f" {shrunk.schedule.cluster.nodes} nodes, saved to {failure.file}"
        ),
        markup=False,
        highlight=False,
    )


def save_failure(hunt: Hunt, failure: Failure) -> None:
    """Write the failure's script: shrunk if its shrinking finished, else the whole schedule
    (after Ctrl-C), which fails the same way."""
    out = hunt.options.out
    path = out / f"seed-{failure.seed}.raft"
    if failure.shrunk is None or failure.shrunk_outcome is None:
        schedule, outcome = generate(failure.seed, hunt.options.cluster), failure.outcome
    else:
        schedule, outcome = failure.shrunk, failure.shrunk_outcome
    text = "\n".join([*_header(hunt, failure, path), *trial.reproduction(schedule, outcome)])
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise _CannotWrite(
            f"raftviz check: --out {escape(str(out))}: cannot write {path.name}: {e.strerror or e}"
        ) from None
    failure.file = path


def _header(hunt: Hunt, failure: Failure, path: Path) -> list[str]:
    cluster = hunt.options.cluster
    outcome = failure.shrunk_outcome or failure.outcome
    name = shlex.quote(str(path))
    settings = ", ".join(
        f"{what} {'on' if on else 'off'}"
        for what, on in (("prevote", cluster.prevote), ("checkquorum", cluster.checkquorum))
    )
    if cluster.unsafe:
        settings += f", unsafe {','.join(cluster.unsafe)}"
    lines = [
        f"# Found by raftviz check: seed {failure.seed}, {failure.nodes} nodes, {settings}.",
        f"# It breaks {outcome.property} at {format_time(outcome.time_ms).strip()}: "
        f"{outcome.detail}",
    ]
    if failure.shrunk is None:
        lines.append("# Not shrunk (the check was interrupted): the seed's whole schedule.")
    else:
        lines.append(
            f"# Shrunk from {failure.commands} commands on {failure.nodes} nodes to "
            f"{len(failure.shrunk.commands)} on {failure.shrunk.cluster.nodes}: without any "
            "one of them it no longer fails this way."
        )
    if outcome.property in trial.SAFETY:
        lines.append(f"# Open it in the TUI, paused just before the violation: raftviz {name}")
    else:
        lines.append(f"# Watch it in the TUI: raftviz {name}")
    lines += [
        f"# Replay it headless (exit code 1): raftviz run {name}",
        f"# Check the seed again: raftviz check --nodes {failure.nodes} --seeds "
        f"{failure.seed + 1} --shard {failure.seed}/{failure.seed + 1}" + "".join(_flags(cluster)),
    ]
    return [escape(line) for line in lines]


def _flags(cluster: ClusterCmd) -> list[str]:
    """The options of `raftviz check` that give seeds this cluster line's settings."""
    return [
        flag
        for flag, on in (
            (" --no-prevote", not cluster.prevote),
            (" --no-checkquorum", not cluster.checkquorum),
            (f" --unsafe {','.join(cluster.unsafe)}", bool(cluster.unsafe)),
        )
        if on
    ]


def _found_line(failure: Failure) -> str:
    outcome = failure.shrunk_outcome or failure.outcome
    return (
        f"seed {failure.seed}: {outcome.property} at {format_time(outcome.time_ms).strip()}:"
        f" {outcome.detail}"
    )


def _summary(hunt: Hunt) -> list[str]:
    options = hunt.options
    verdict = f"{_count(len(hunt.failures), 'failure')}" if hunt.failures else "nothing broke"
    head = (
        f"{'interrupted after' if hunt.interrupted else 'checked'}"
        f" {_count(len(hunt.checked), 'seed')} ({_describe_seeds(options)})"
        f" of {options.cluster.nodes} nodes"
        + (f" (unsafe: {','.join(options.cluster.unsafe)})" if options.cluster.unsafe else "")
        + f": {verdict}"
        f" ({hunt.elapsed:.1f}s, {hunt.rate:.1f} seeds/s, {_count(options.jobs, 'job')})"
    )
    lines = [head]
    for seed in sorted(hunt.failures):
        failure = hunt.failures[seed]
        lines.append(f"  {_found_line(failure)}")
        if failure.file is not None:
            lines.append(f"    saved to {failure.file}: raftviz {shlex.quote(str(failure.file))}")
    return [escape(line) for line in lines]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _describe_seeds(options: Options) -> str:
    """``0-99``, ``1, 4, 7... below 100``, ``from 0 on``: the seeds asked for."""
    index, shards = options.shard
    if shards == 1:
        return f"from {index} on" if options.seeds is None else f"{index}-{options.seeds - 1}"
    which = f"{index}, {index + shards}, {index + 2 * shards}..."
    return which if options.seeds is None else f"{which} below {options.seeds}"


def _report(hunt: Hunt) -> dict[str, object]:
    options = hunt.options
    cluster = options.cluster
    return {
        "ok": not hunt.failures,
        "interrupted": hunt.interrupted,
        "nodes": cluster.nodes,
        "prevote": cluster.prevote,
        "checkquorum": cluster.checkquorum,
        "shard": list(options.shard),
        "jobs": options.jobs,
        "seeds_run": len(hunt.checked),
        "seeds": sorted(hunt.checked),
        "elapsed_s": round(hunt.elapsed, 3),
        "seeds_per_s": round(hunt.rate, 2),
        "failures": [_failure_report(hunt.failures[seed]) for seed in sorted(hunt.failures)],
    }


def _failure_report(failure: Failure) -> dict[str, object]:
    outcome = failure.shrunk_outcome or failure.outcome
    shrunk = failure.shrunk
    return {
        "seed": failure.seed,
        "property": outcome.property,
        "detail": outcome.detail,
        "time_ms": outcome.time_ms,
        "file": None if failure.file is None else str(failure.file),
        "shrunk": shrunk is not None,
        "commands": failure.commands,
        "nodes": failure.nodes,
        "shrunk_commands": None if shrunk is None else len(shrunk.commands),
        "shrunk_nodes": None if shrunk is None else shrunk.cluster.nodes,
    }
