"""Core room: shrinks a failing schedule to a small one that still fails the same way.

What "fails the same way" means is the caller's `fails` oracle (for `raftviz check`: the same
property breaks), so the shrinker knows nothing of Raft and is tested with oracles made up for
the purpose. Three reductions take turns until none changes anything:

1. delta debugging (Zeller's ddmin, on complements) over the commands: drop halves, then
   quarters... then single commands, keeping whatever drop still fails;
2. shorter `run`s: runs next to each other merged into one (the same time passes, with
   nothing in between), then each one halved while the schedule still fails (a bug that needs
   200 ms between two faults reads better without 6 s there);
3. fewer nodes, down to `min_nodes`: a node is taken out with every command naming it and the
   nodes above it renumbered down.

The loop ends on a round where ddmin removed nothing, so the result is 1-minimal: removing any
single command loses the failure. Every schedule tried is remembered, since the oracle (a whole
simulation) is the cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import pairwise
from typing import Any, Final, cast

from raftviz.core.explore.schedule import Schedule
from raftviz.core.script.parse import Command, NodeRef, PartitionCmd, RunCmd

Oracle = Callable[[Schedule], bool]

MIN_NODES: Final = 3
"""The fewest nodes a shrunk schedule keeps: the TUI shows 3 to 9, and a saved failure must
open there."""

_NODE_FIELDS: Final = ("node", "frm", "to", "a", "b")
"""The fields through which a command names a node (besides a partition's groups)."""


def shrink(schedule: Schedule, fails: Oracle, min_nodes: int = MIN_NODES) -> Schedule:
    """A schedule that `fails`, as small as the three reductions make it; `schedule` itself
    must fail."""
    seen: dict[Schedule, bool] = {}

    def remembered(candidate: Schedule) -> bool:
        if candidate not in seen:
            seen[candidate] = fails(candidate)
        return seen[candidate]

    while True:
        reduced = ddmin(schedule, remembered)
        settled = reduced == schedule
        reduced = _shorter_runs(reduced, remembered)
        reduced = _fewer_nodes(reduced, remembered, min_nodes)
        if settled and reduced == schedule:
            return schedule
        schedule = reduced


def ddmin(schedule: Schedule, fails: Oracle) -> Schedule:
    """The commands of `schedule` cut down by delta debugging until no single one can go."""
    commands = list(schedule.commands)
    chunks = 2
    while commands:
        chunks = min(chunks, len(commands))
        size, extra = divmod(len(commands), chunks)
        bounds = [k * size + min(k, extra) for k in range(chunks + 1)]
        for start, end in pairwise(bounds):
            candidate = dataclasses.replace(
                schedule, commands=tuple(commands[:start] + commands[end:])
            )
            if fails(candidate):
                commands = list(candidate.commands)
                chunks = max(chunks - 1, 2)
                break
        else:
            if chunks == len(commands):
                break
            chunks = min(2 * chunks, len(commands))
    return dataclasses.replace(schedule, commands=tuple(commands))


def _shorter_runs(schedule: Schedule, fails: Oracle) -> Schedule:
    merged: list[Command] = []
    for command in schedule.commands:
        if merged and isinstance(command, RunCmd) and isinstance(merged[-1], RunCmd):
            merged[-1] = RunCmd(merged[-1].duration_ms + command.duration_ms)
        else:
            merged.append(command)
    candidate = dataclasses.replace(schedule, commands=tuple(merged))
    if candidate != schedule and fails(candidate):
        schedule = candidate
    for at, command in enumerate(schedule.commands):
        if not isinstance(command, RunCmd):
            continue
        duration = command.duration_ms
        while duration > 1:
            duration //= 2
            commands = list(schedule.commands)
            commands[at] = RunCmd(duration)
            candidate = dataclasses.replace(schedule, commands=tuple(commands))
            if not fails(candidate):
                break
            schedule = candidate
    return schedule


def _fewer_nodes(schedule: Schedule, fails: Oracle, min_nodes: int) -> Schedule:
    while schedule.cluster.nodes > min_nodes:
        for node in range(schedule.cluster.nodes, 0, -1):
            candidate = without_node(schedule, node)
            if fails(candidate):
                schedule = candidate
                break
        else:
            break
    return schedule


def without_node(schedule: Schedule, gone: int) -> Schedule:
    """`schedule` on one node fewer: the commands naming `gone` dropped (a partition only
    loses it from its group), the nodes above it numbered one lower."""

    def renumber(node: NodeRef) -> NodeRef:
        return node - 1 if isinstance(node, int) and node > gone else node

    commands: list[Command] = []
    for command in schedule.commands:
        if isinstance(command, PartitionCmd):
            groups = tuple(
                tuple(renumber(n) for n in group if n != gone) for group in command.groups
            )
            if any(groups):
                commands.append(PartitionCmd(tuple(g for g in groups if g)))
            continue
        named = {f: getattr(command, f) for f in _NODE_FIELDS if hasattr(command, f)}
        if gone in named.values():
            continue
        renamed = {f: renumber(n) for f, n in named.items()}
        commands.append(dataclasses.replace(cast(Any, command), **renamed))
    cluster = dataclasses.replace(schedule.cluster, nodes=schedule.cluster.nodes - 1)
    return Schedule(cluster, tuple(commands))
