"""Core room: runs one schedule and says how it failed, if it did.

A schedule fails in one of three ways, each named like the property it breaks:

- a safety property (`election-safety`, `log-matching`...), as the simulation's online checker
  reports it at the step where it breaks;
- `liveness`: the recovery's `run until` did not see a leader and converged logs within its
  bound;
- `durability`: a write acknowledged to its client (applied by some node) is missing from a
  node (from its log and its key-value store) once the cluster has converged. The checker's
  properties imply it today; it is checked on its own so that a bug they miss cannot hide
  there.

A command that cannot be carried out (restarting a node that is up, proposing at a crashed one)
makes the schedule `invalid`: the generator never writes one, and a shrinker must not keep one,
since the script it saves has to replay under `raftviz run` failing the same way and no other.
So does a recovery's wait that starts with a fault still there (a node down, a link cut, loss):
a cluster that cannot recover from a fault nobody took away has no liveness bug, and a shrinker
that dropped a `restart` or a `heal` would otherwise "find" one.

The run stops at the first failure: what follows cannot change how it failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from raftviz.core.explore.schedule import Schedule
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import (
    BreakCmd,
    Condition,
    Converged,
    ExpectCmd,
    HasViolations,
    KvIs,
    RunUntilCmd,
)
from raftviz.core.sim.cluster import Cluster
from raftviz.core.sim.invariants import (
    ELECTION_SAFETY,
    LEADER_APPEND_ONLY,
    LEADER_COMPLETENESS,
    LOG_MATCHING,
    STATE_MACHINE_SAFETY,
)

SAFETY: Final = frozenset(
    {ELECTION_SAFETY, LEADER_APPEND_ONLY, LOG_MATCHING, LEADER_COMPLETENESS, STATE_MACHINE_SAFETY}
)
LIVENESS: Final = "liveness"
DURABILITY: Final = "durability"
INVALID: Final = "invalid"


@dataclass(frozen=True, slots=True)
class Lost:
    """An acknowledged write a node does not hold."""

    node: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended. `property` is None when nothing broke; `at` is the index of the command
    during which the failure showed (the number of commands when none did)."""

    property: str | None
    detail: str
    time_ms: int
    at: int
    lost: tuple[Lost, ...] = ()


def run(schedule: Schedule) -> Outcome:
    """Run `schedule` from a fresh cluster; deterministic like the cluster itself."""
    # A trial reads the cluster's state, never its events: the ticks that only count need not
    # run, and no event or log line need be built.
    executor = Executor(schedule.cluster, skip_idle_ticks=True, quiet=True)
    cluster = executor.cluster
    for at, command in enumerate(schedule.commands):
        if isinstance(command, RunUntilCmd) and (fault := _fault_left(cluster)):
            return Outcome(INVALID, f"the recovery starts with {fault}", cluster.time_ms, at)
        ok = executor.run(command)
        if cluster.violations:
            first = cluster.violations[0]
            return Outcome(first.property, first.detail, cluster.time_ms, at)
        if not ok:
            what = LIVENESS if isinstance(command, RunUntilCmd) else INVALID
            failure = executor.failures[0]
            return Outcome(what, f"{failure.command}: {failure.message}", cluster.time_ms, at)
        if isinstance(command, RunUntilCmd) and any(
            isinstance(term, Converged) for term in command.condition.terms
        ):
            # Only a cluster that converged must hold every acknowledged write: a node
            # that has just restarted has not caught up yet.
            lost = lost_writes(cluster)
            if lost:
                first_lost = lost[0]
                detail = (
                    f"node {first_lost.node} lacks the acknowledged write "
                    f"{first_lost.key}={first_lost.value}"
                )
                return Outcome(DURABILITY, detail, cluster.time_ms, at, lost)
    return Outcome(None, "", cluster.time_ms, len(schedule.commands))


def _fault_left(cluster: Cluster) -> str | None:
    """A fault the recovery's wait would start with, if any."""
    down = [node.id for node in cluster.nodes.values() if not node.alive]
    if down:
        return f"node {down[0]} down"
    if cluster.links.any():
        return "links cut"
    s = cluster.settings
    if (cluster.loss, cluster.dup, cluster.latency) != (s.loss, s.dup, s.latency):
        return "the network's settings changed"
    return None


def lost_writes(cluster: Cluster) -> tuple[Lost, ...]:
    """The acknowledged writes (`key=value` entries some node applied) that a live node holds
    neither in its log, at their index, nor in its key-value store. The log is what makes a
    write durable: a node that converged may not have applied the last entries yet, but it
    holds them. The generator writes every key once, so a store holding the key holds the
    write."""
    acknowledged = [
        (index, term, data)
        for index, (term, data) in enumerate(cluster.checker.applied)
        if "=" in data
    ]
    lost: list[Lost] = []
    for node in cluster.nodes.values():
        if not node.alive:
            continue
        log = {e.index: (e.term, e.data) for e in cluster.node_view(node).log}
        for index, term, data in acknowledged:
            key, _, value = data.partition("=")
            if log.get(index) != (term, data) and node.kv.get(key) != value:
                lost.append(Lost(node.id, key, value))
    return tuple(lost)


BREAK_ON_VIOLATION: Final = BreakCmd(Condition((HasViolations(),)))
"""Right after the `cluster` line of a saved safety failure: the TUI pauses at the event where
the property breaks."""


def reproduction(schedule: Schedule, outcome: Outcome) -> list[str]:
    """The lines of the script that replays `schedule` to `outcome`: a safety failure with a
    breakpoint on the violation, a durability failure with the code's check written as
    `expect`s (one per node that lost writes, naming them) after the wait that preceded it, so
    that the script fails at that line under `raftviz run` too."""
    lines = schedule.lines()
    if outcome.property in SAFETY:
        lines.insert(1, BREAK_ON_VIOLATION.to_text())
    by_node: dict[int, list[KvIs]] = {}
    for lost in outcome.lost:
        by_node.setdefault(lost.node, []).append(KvIs(lost.node, lost.key, lost.value))
    checks = [ExpectCmd(Condition(tuple(terms))).to_text() for terms in by_node.values()]
    return lines[: outcome.at + 2] + checks + lines[outcome.at + 2 :]
