"""The safety checker reports each of Raft's five properties when it is broken, and never
raises; a healthy run reports nothing."""

from __future__ import annotations

from raftviz.core.raft.messages import Entry
from raftviz.core.sim.cluster import Cluster, Settings
from raftviz.core.sim.events import SafetyViolation
from raftviz.core.sim.invariants import (
    ELECTION_SAFETY,
    LEADER_APPEND_ONLY,
    LEADER_COMPLETENESS,
    LOG_MATCHING,
    STATE_MACHINE_SAFETY,
    SafetyChecker,
)


def test_two_leaders_of_one_term_break_election_safety_even_far_apart_in_time() -> None:
    c = SafetyChecker()
    assert c.became_leader(1, term=3, log_terms=[0]) == []
    assert c.became_leader(1, term=3, log_terms=[0]) == []  # the same leader again is fine
    (v,) = c.became_leader(2, term=3, log_terms=[0])
    assert v.property == ELECTION_SAFETY and v.nodes == (1, 2)


def test_a_leader_overwriting_its_own_log_breaks_leader_append_only() -> None:
    c = SafetyChecker()
    assert c.persisted(1, [Entry(1, 1), Entry(1, 2)], is_leader=True) == []
    (v,) = c.persisted(1, [Entry(2, 2)], is_leader=True)
    assert v.property == LEADER_APPEND_ONLY
    # A follower may have its uncommitted suffix replaced.
    assert c.persisted(2, [Entry(1, 1), Entry(1, 2)], is_leader=False) == []
    assert c.persisted(2, [Entry(2, 2)], is_leader=False) == []


def test_same_index_and_term_with_different_prefixes_breaks_log_matching() -> None:
    c = SafetyChecker()
    assert c.persisted(1, [Entry(1, 1, "a"), Entry(2, 2, "b")], is_leader=False) == []
    found = c.persisted(2, [Entry(1, 1, "x"), Entry(2, 2, "b")], is_leader=False)
    assert [v.property for v in found] == [LOG_MATCHING, LOG_MATCHING]


def test_a_leader_missing_a_committed_entry_breaks_leader_completeness() -> None:
    c = SafetyChecker()
    terms = [0, 1, 1]
    c.committed_to(2, terms.__getitem__)
    assert c.became_leader(1, term=2, log_terms=[0, 1, 1, 2]) == []
    (v,) = c.became_leader(2, term=3, log_terms=[0, 1])
    assert v.property == LEADER_COMPLETENESS and "1/2" in v.detail


def test_different_entries_applied_at_one_index_break_state_machine_safety() -> None:
    c = SafetyChecker()
    assert c.applied_entries(1, [Entry(1, 1, "x=1")]) == []
    assert c.applied_entries(2, [Entry(1, 1, "x=1")]) == []
    (v,) = c.applied_entries(3, [Entry(1, 1, "x=2")])
    assert v.property == STATE_MACHINE_SAFETY


def test_a_forced_violation_in_a_live_cluster_becomes_an_event_not_an_exception() -> None:
    c = Cluster(Settings(seed=1))
    while c.leader() is None:
        c.advance_to(c.time_ms + 100)
    leader = c.require_leader()
    # Tamper with history: pretend the old leader also led the next terms. Whoever wins next,
    # while it lies crashed, trips Election Safety.
    term = c.nodes[leader].raw.raft.term
    for t in range(term + 1, term + 20):
        c.checker.leaders[t] = leader
    c.crash(leader)
    for _ in range(200):
        c.advance_to(c.time_ms + 100)
        if c.violations:
            break
    events = [e for e in c.drain() if isinstance(e, SafetyViolation)]
    assert events and events[0].property == ELECTION_SAFETY
    assert c.view().violations[0].startswith("election-safety: ")


def test_a_long_healthy_run_with_faults_reports_nothing() -> None:
    c = Cluster(Settings(seed=12, loss=0.05, dup=0.05))
    for step in range(60):
        c.advance_to(c.time_ms + 500)
        if step % 7 == 3 and c.leader() is not None:
            c.crash(c.require_leader())
        if step % 7 == 6:
            for node in c.nodes.values():
                if not node.alive:
                    c.restart(node.id)
        if c.leader() is not None:
            c.propose(None, f"k{step}=v")
    assert c.violations == []
