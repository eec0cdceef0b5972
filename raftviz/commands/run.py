"""`raftviz run FILE`: plays a script as fast as the machine allows and reports the run.

Text mode prints the event log (each line prefixed with its simulated time) and the narration;
`--json` prints one document with the outcome and every node's final state (SCRIPT.md).

`--level` picks the event log's detail. `debug` (the default) prints every etcd log line and
the simulation's events; `info` leaves out etcd's DEBUG lines; `story` prints instead why each
Raft decision was taken, in plain words (`core/sim/story.py`), with the narration, faults,
network changes and safety violations, but none of etcd's own lines; `code` prints the same,
each story followed by its path through etcd/raft's code, one step a line (`codepath.py`).
Exit codes: 0 when every `expect` held and no safety property was violated, 1 otherwise, 2 for
bad input.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from typing import TextIO

from raftviz.core.etcdtext.describe import describe_event, escape, format_time
from raftviz.core.raft.logline import Level
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ScriptError, StepCmd, load_script
from raftviz.core.sim.events import (
    Event,
    Narration,
    NetworkChanged,
    NodeFault,
    RaftLog,
    SafetyViolation,
)
from raftviz.core.sim.story import Story, story_line

LEVELS = ("debug", "info", "story", "code")
"""`--level` values, from the most detailed; `debug` is what `raftviz run` always printed."""

_STORY_COMPANIONS = (Narration, NodeFault, NetworkChanged, SafetyViolation)
"""What `--level story` prints besides the stories: what the script and the world did."""


def _describe_info(event: Event) -> str | None:
    if type(event) is RaftLog and event.line.level == Level.DEBUG:
        return None
    return describe_event(event)


def _describe_story(event: Event) -> str | None:
    if type(event) is Story:
        return story_line(event)
    if isinstance(event, _STORY_COMPANIONS):
        return describe_event(event)
    return None


CODE_INDENT = " " * 13
"""Path steps sit under the story's text, past its time column."""


def _describe_code(event: Event) -> str | None:
    line = _describe_story(event)
    if line is None or type(event) is not Story:
        return line
    return "\n".join([line, *(CODE_INDENT + step for step in event.path)])


_DESCRIBERS: dict[str, Callable[[Event], str | None]] = {
    "debug": describe_event,
    "info": _describe_info,
    "story": _describe_story,
    "code": _describe_code,
}


def run_script(
    path: str,
    *,
    as_json: bool,
    seed: int | None,
    out: TextIO | None = None,
    level: str = "debug",
) -> int:
    out = out or sys.stdout
    describe = _DESCRIBERS[level]
    try:
        script = load_script(path)
    except ScriptError as e:
        print(e, file=sys.stderr)
        return 2
    cluster_cmd = script.cluster
    if seed is not None:
        cluster_cmd = dataclasses.replace(cluster_cmd, seed=seed)

    printed: list[str] = []

    def show(text: str) -> None:
        if not as_json:
            printed.append(text)

    def flush() -> None:
        """Print the events so far (or, for --json, only drop them), then the output."""
        for event in cluster.drain():
            line = None if as_json else describe(event)
            if line is not None:
                out.write(f"{format_time(event.time_ms)} {line}\n")
        for text in printed:
            out.write(text + "\n")
        printed.clear()

    stories = level in ("story", "code") and not as_json
    # Skipping the ticks that only count changes no event, but it changes what `step` steps
    # over: a script that steps runs every tick, as it did where it was recorded.
    skip = not any(isinstance(located.command, StepCmd) for located in script.commands)
    executor = Executor(
        cluster_cmd, output=show, on_progress=flush, stories=stories, skip_idle_ticks=skip
    )
    cluster = executor.cluster

    for located in script.commands:
        ok = executor.run(located.command, located.line)
        flush()
        if not ok and not as_json:
            f = executor.failures[-1]
            out.write(escape(f"{path}:{f.line}: FAILED {f.command}: {f.message}") + "\n")
    ok = not executor.failures and not cluster.violations
    if as_json:
        json.dump(_report(executor, ok), out, indent=2)
        out.write("\n")
    else:
        verdict = "ok" if ok else "FAILED"
        out.write(
            f"{verdict}: {len(executor.failures)} failed checks, "
            f"{len(cluster.violations)} safety violations, seed {cluster_cmd.seed}, "
            f"simulated {format_time(cluster.time_ms).strip()}\n"
        )
    return 0 if ok else 1


def _report(executor: Executor, ok: bool) -> dict[str, object]:
    cluster = executor.cluster
    view = cluster.view()
    return {
        "ok": ok,
        "seed": view.seed,
        "time_ms": view.time_ms,
        "leader": view.leader,
        "failures": [
            {"line": f.line, "command": f.command, "message": f.message} for f in executor.failures
        ],
        "violations": [
            {"property": v.property, "nodes": list(v.nodes), "detail": v.detail}
            for v in cluster.violations
        ],
        "nodes": [
            {
                "id": n.id,
                "alive": n.alive,
                "role": n.role,
                "term": n.term,
                "lead": n.lead,
                "vote": n.vote,
                "commit": n.commit,
                "applied": n.applied,
                "last_index": n.last_index,
                "last_term": n.log[-1].term if n.log else 0,
                "log": [[e.term, e.index, e.data] for e in n.log],
                "kv": dict(n.kv),
            }
            for n in view.nodes
        ],
    }
