"""The unsafe variants in the simulation: each built-in lesson breaks the safety property it is
about (and nothing else fails), the same run with the switch off is safe, the switch changes
only the decisions it names, and turning pre-vote and check-quorum off costs liveness only.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path

import pytest

from raftviz.cli import main
from raftviz.core.raft.unsafe import (
    ACCEPT_STALE_LEADER,
    COMMIT_OLD_TERMS,
    FORGET_VOTE,
    NO_LOG_CHECK,
    UNSAFE,
)
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import load_script
from raftviz.core.sim.invariants import (
    ELECTION_SAFETY,
    LEADER_COMPLETENESS,
    LOG_MATCHING,
    STATE_MACHINE_SAFETY,
)
from raftviz.core.sim.story import Story, story_line

SCENARIO_DIR = Path(str(resources.files("raftviz.scenarios")))

UNSAFE_SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "unsafe-no-log-check.raft": (NO_LOG_CHECK, (LEADER_COMPLETENESS, STATE_MACHINE_SAFETY)),
    "unsafe-figure-8.raft": (COMMIT_OLD_TERMS, (LEADER_COMPLETENESS, STATE_MACHINE_SAFETY)),
    "unsafe-forget-vote.raft": (FORGET_VOTE, (ELECTION_SAFETY, LOG_MATCHING)),
    "unsafe-stale-leader.raft": (ACCEPT_STALE_LEADER, (STATE_MACHINE_SAFETY,)),
}
"""Each unsafe lesson: the variant it switches on, and the safety properties it breaks, the
first one first. Every other built-in scenario must pass with no violation."""

DECISIONS = {
    NO_LOG_CHECK: {"vote"},
    COMMIT_OLD_TERMS: {"empty-entry", "committed"},
    FORGET_VOTE: {"vote-forgotten", "vote"},
    ACCEPT_STALE_LEADER: {"stale-term"},
}
"""The decisions each switch may change: where its rule is decided."""


def executed(
    path: Path, *, unsafe: tuple[str, ...] | None = None, seed: int | None = None
) -> Executor:
    """The script run to its end with stories on, optionally with other switches or seed."""
    script = load_script(path)
    cluster = script.cluster
    if unsafe is not None:
        cluster = dataclasses.replace(cluster, unsafe=unsafe)
    if seed is not None:
        cluster = dataclasses.replace(cluster, seed=seed)
    executor = Executor(cluster, stories=True)
    for located in script.commands:
        executor.run(located.command, located.line)
    return executor


def test_every_unsafe_variant_has_its_lesson_and_only_those_lessons_are_unsafe() -> None:
    assert {variant for variant, _ in UNSAFE_SCENARIOS.values()} == set(UNSAFE)
    for path in sorted(SCENARIO_DIR.glob("*.raft")):
        unsafe = load_script(path).cluster.unsafe
        if path.name in UNSAFE_SCENARIOS:
            assert unsafe == (UNSAFE_SCENARIOS[path.name][0],), path.name
        else:
            assert unsafe == (), path.name


@pytest.mark.parametrize("name", sorted(UNSAFE_SCENARIOS))
def test_an_unsafe_lesson_fails_with_its_property_and_nothing_else(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--json", str(SCENARIO_DIR / name)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failures"] == []  # every expect held, `expect violations>0` included
    broken = [v["property"] for v in report["violations"]]
    first, *also = UNSAFE_SCENARIOS[name][1]
    assert broken[0] == first
    assert set(broken) == {first, *also}


@pytest.mark.parametrize("name", sorted(UNSAFE_SCENARIOS))
def test_the_switch_changes_only_the_decisions_it_names(name: str) -> None:
    variant, _ = UNSAFE_SCENARIOS[name]
    stories = [e for e in executed(SCENARIO_DIR / name).cluster.drain() if type(e) is Story]
    changed = [s for s in stories if s.decision.unsafe]
    assert changed
    assert {s.decision.unsafe for s in changed} == {variant}
    assert {s.kind for s in changed} <= DECISIONS[variant]
    # The story says so, in words.
    assert all(f"unsafe: {variant}" in story_line(s) for s in changed)


@pytest.mark.parametrize("name", sorted(UNSAFE_SCENARIOS))
def test_the_same_lesson_with_the_switch_off_is_safe(name: str) -> None:
    executor = executed(SCENARIO_DIR / name, unsafe=())
    assert executor.cluster.violations == []
    # It does diverge: the lesson's own checks, written for the unsafe run, fail.
    assert executor.failures


@pytest.mark.parametrize("seed", range(1, 9))
def test_without_pre_vote_and_check_quorum_nothing_unsafe_happens(seed: int) -> None:
    """disruptive-not-unsafe.raft under other seeds: its checks are written for seed 1, but no
    seed may break a safety property."""
    executor = executed(SCENARIO_DIR / "disruptive-not-unsafe.raft", seed=seed)
    assert executor.cluster.violations == []
    view = executor.cluster.view()
    assert view.term >= 6  # the rejoining server did force its elections
