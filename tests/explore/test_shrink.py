"""The shrinker: a smaller schedule that fails the same way, from which no single command can
be removed without losing the failure - with made-up oracles, a real liveness failure of
today's Raft, and a real safety violation of a Raft broken on purpose."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.commands.run import run_script
from raftviz.core.explore import trial
from raftviz.core.explore.schedule import RECOVERY, Schedule, generate
from raftviz.core.explore.shrink import Oracle, ddmin, shrink, without_node
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import (
    ClusterCmd,
    Condition,
    CrashCmd,
    CutCmd,
    HasLeader,
    IsolateCmd,
    PartitionCmd,
    ProposeCmd,
    RestartCmd,
    RunCmd,
    RunUntilCmd,
    TransferLeadershipCmd,
)
from raftviz.core.sim.invariants import ELECTION_SAFETY
from tests.explore import mutants


def without(schedule: Schedule, at: int) -> Schedule:
    commands = schedule.commands[:at] + schedule.commands[at + 1 :]
    return dataclasses.replace(schedule, commands=commands)


def assert_one_minimal(schedule: Schedule, fails: Oracle) -> None:
    assert fails(schedule)
    for at, command in enumerate(schedule.commands):
        assert not fails(without(schedule, at)), f"{command.to_text()} could go"


def is_subsequence(pattern: list[object], commands: tuple[object, ...]) -> bool:
    rest: Iterator[object] = iter(commands)
    return all(any(c == p for c in rest) for p in pattern)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), data=st.data())
def test_ddmin_finds_exactly_the_commands_the_failure_needs(seed: int, data: st.DataObject) -> None:
    schedule = generate(seed, ClusterCmd(nodes=5))
    picks = data.draw(
        st.lists(st.integers(0, len(schedule.commands) - 1), min_size=1, max_size=4, unique=True)
    )
    pattern = [schedule.commands[at] for at in sorted(picks)]
    calls = 0

    def fails(candidate: Schedule) -> bool:
        nonlocal calls
        calls += 1
        return is_subsequence(pattern, candidate.commands)

    shrunk = shrink(schedule, fails)
    assert list(shrunk.commands) == pattern
    assert_one_minimal(shrunk, fails)
    assert calls < 40 * len(schedule.commands)


def test_runs_are_merged_and_halved_and_nodes_taken_out() -> None:
    """A made-up failure that needs a crash after at least 1 s: what is left is one run
    between 1 and 2 s (halving it once more would lose the failure), then a crash, on 3 nodes
    (the TUI's fewest)."""

    def fails(candidate: Schedule) -> bool:
        elapsed = 0
        for command in candidate.commands:
            if isinstance(command, CrashCmd):
                return elapsed >= 1000
            if isinstance(command, RunCmd):
                elapsed += command.duration_ms
        return False

    schedule = generate(5, ClusterCmd(nodes=5))
    assert fails(schedule)
    shrunk = shrink(schedule, fails)
    assert shrunk.cluster.nodes == 3
    [run, crash] = shrunk.commands
    assert isinstance(run, RunCmd) and 1000 <= run.duration_ms < 2000
    assert isinstance(crash, CrashCmd)
    assert_one_minimal(shrunk, fails)


def test_ddmin_on_nothing_that_can_go() -> None:
    schedule = Schedule(ClusterCmd(nodes=3), (CrashCmd(1), CrashCmd(2)))
    assert ddmin(schedule, lambda s: len(s.commands) == 2) == schedule


def test_taking_a_node_out_drops_what_names_it_and_renumbers_the_rest() -> None:
    schedule = Schedule(
        ClusterCmd(nodes=5, seed=3),
        (
            PartitionCmd(((1, 2), (3, 4, 5))),
            CutCmd(2, 4, both_ways=False),
            ProposeCmd("x=1", 3),
            ProposeCmd("y=2"),
            TransferLeadershipCmd(5, 1),
            CrashCmd(2),
            IsolateCmd(4),
            PartitionCmd(((2,),)),
            RunCmd(100),
        ),
    )
    assert without_node(schedule, 2) == Schedule(
        ClusterCmd(nodes=4, seed=3),
        (
            PartitionCmd(((1,), (2, 3, 4))),
            ProposeCmd("x=1", 2),
            ProposeCmd("y=2"),
            TransferLeadershipCmd(4, 1),
            IsolateCmd(3),
            RunCmd(100),
        ),
    )


def same_failure(property: str) -> Oracle:
    return lambda candidate: trial.run(candidate).property == property


def replay(tmp_path: Path, schedule: Schedule, outcome: trial.Outcome) -> dict[str, object]:
    """Save the reproduction as `raftviz check` does and play it as `raftviz run --json` does:
    its exit code must be 1."""
    path = tmp_path / "found.raft"
    path.write_text("\n".join(trial.reproduction(schedule, outcome)) + "\n")
    out = io.StringIO()
    assert run_script(str(path), as_json=True, seed=None, out=out) == 1
    report: dict[str, object] = json.loads(out.getvalue())
    return report


FORGETFUL_SEED = 33
"""A seed whose schedule (3 nodes, no pre-vote) elects two leaders in one term when votes are
forgotten (`unsafe=forget-vote`). Should the generator change, `raftviz check --unsafe
forget-vote --nodes 3 --no-prevote` finds another."""

DEAF_SEED = 11
"""A seed whose schedule (5 nodes) ends with every node restarted: with deaf restarts, nobody
campaigns any more."""


def test_a_cluster_that_cannot_recover_shrinks_to_what_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With restarted nodes that never tick, a cluster whose every node was restarted elects
    no leader: a real liveness failure, shrunk with the real oracle to the crashes and restarts
    of three nodes and the wait, and replayed by `raftviz run` to the same failed wait."""
    mutants.deaf_restarts(monkeypatch)
    schedule = generate(DEAF_SEED, ClusterCmd(nodes=5))
    found = trial.run(schedule)
    assert found.property == trial.LIVENESS, f"seed {DEAF_SEED} no longer fails: {found}"
    fails = same_failure(trial.LIVENESS)
    shrunk = shrink(schedule, fails)
    assert shrunk.cluster.nodes == 3
    assert sorted(c.to_text() for c in shrunk.commands if not isinstance(c, RunCmd)) == [
        "crash 1",
        "crash 2",
        "crash 3",
        "restart 1",
        "restart 2",
        "restart 3",
        RECOVERY.to_text(),
    ]
    assert_one_minimal(shrunk, fails)
    report = replay(tmp_path, shrunk, trial.run(shrunk))
    failures = report["failures"]
    assert isinstance(failures, list) and len(failures) == 1
    assert failures[0]["command"] == RECOVERY.to_text()
    assert report["violations"] == []


def test_a_recovery_that_starts_with_a_fault_left_is_invalid() -> None:
    """Two of three nodes down elect no leader, but that is the fault, not a liveness bug: a
    shrinker that dropped their restarts must not keep the schedule."""
    schedule = Schedule(ClusterCmd(nodes=3), (RunCmd(2000), CrashCmd(1), CrashCmd(3), RECOVERY))
    outcome = trial.run(schedule)
    assert outcome.property == trial.INVALID
    assert outcome.detail == "the recovery starts with node 1 down"
    isolated = Schedule(ClusterCmd(nodes=3), (RunCmd(2000), IsolateCmd(2), RECOVERY))
    assert trial.run(isolated).detail == "the recovery starts with links cut"


def test_only_a_converged_cluster_must_hold_every_acknowledged_write() -> None:
    """A write applied while node 3 was down is not yet on node 3 when a leader is merely
    back after its restart (seed 28 of a commit-old-terms hunt): durability is judged once the
    logs converged (the recovery), or a shrinker that dropped the recovery would keep a
    failure that is none."""
    early = (
        CrashCmd(3),
        RunCmd(2670),
        ProposeCmd("k2=2", 1),
        RunCmd(158),
        RestartCmd(3),
        RunUntilCmd(Condition((HasLeader(),)), 30_000),
    )
    assert (
        trial.run(
            Schedule(ClusterCmd(nodes=3, seed=28, unsafe=("commit-old-terms",)), early)
        ).property
        is None
    )
    recovered = trial.run(
        Schedule(ClusterCmd(nodes=3, seed=28, unsafe=("commit-old-terms",)), (*early, RECOVERY))
    )
    assert recovered.property is None and recovered.at == len(early) + 1


def test_a_real_violation_shrinks_and_replays_paused_at_the_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = generate(FORGETFUL_SEED, ClusterCmd(nodes=3, prevote=False, unsafe=("forget-vote",)))
    found = trial.run(schedule)
    assert found.property == ELECTION_SAFETY, f"seed {FORGETFUL_SEED} no longer fails: {found}"
    fails = same_failure(ELECTION_SAFETY)
    shrunk = shrink(schedule, fails)
    assert len(shrunk.commands) < len(schedule.commands) / 4
    assert_one_minimal(shrunk, fails)
    outcome = trial.run(shrunk)
    lines = trial.reproduction(shrunk, outcome)
    assert lines[:2] == [shrunk.cluster.to_text(), "break violations>0"]
    report = replay(tmp_path, shrunk, outcome)
    violations = report["violations"]
    assert isinstance(violations, list)
    assert violations[0]["property"] == ELECTION_SAFETY
    assert report["failures"] == []


def test_the_durability_check_sees_a_write_no_node_holds() -> None:
    """A healthy run loses nothing; an acknowledged write that no node holds (forged in the
    checker's record of what was applied) is lost on every node, and written as `expect`s."""
    schedule = Schedule(
        ClusterCmd(nodes=3),
        (RunCmd(3000), ProposeCmd("k1=1", 1), ProposeCmd("k2=2", 2), RunCmd(1000), RECOVERY),
    )
    executor = Executor(schedule.cluster)
    for command in schedule.commands:
        assert executor.run(command)
    cluster = executor.cluster
    assert trial.lost_writes(cluster) == ()
    assert {"k1", "k2"} <= set(cluster.nodes[3].kv)
    cluster.checker.applied.append((1, "ghost=9"))
    assert trial.lost_writes(cluster) == tuple(trial.Lost(n, "ghost", "9") for n in (1, 2, 3))
    outcome = trial.Outcome(trial.DURABILITY, "", 0, 4, trial.lost_writes(cluster))
    assert trial.reproduction(schedule, outcome)[-3:] == [
        "expect node=1 kv.ghost=9",
        "expect node=2 kv.ghost=9",
        "expect node=3 kv.ghost=9",
    ]
