"""The simulation: determinism, faults, the network, snapshots and safety under crashes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.core.raft.messages import Message, MsgType
from raftviz.core.raft.unsafe import ACCEPT_STALE_LEADER
from raftviz.core.sim.cluster import Cluster, ClusterError, Settings
from raftviz.core.sim.events import (
    EntriesChanged,
    Event,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    NetworkChanged,
    NodeFault,
    RaftLog,
    SafetyViolation,
    StateChanged,
    TimersChanged,
)
from raftviz.core.sim.story import Panicked, Story, story_line


def run_with_proposals(seed: int, until_ms: int = 20_000) -> list[Event]:
    c = Cluster(Settings(seed=seed))
    events: list[Event] = []
    for t in range(1000, until_ms + 1, 1000):
        c.advance_to(t)
        if c.leader() is not None:
            c.propose(None, f"k{t}=v")
        events += c.drain()
    return events


def elect(c: Cluster, limit_ms: int = 30_000) -> int:
    while c.leader() is None:
        assert c.time_ms < limit_ms, "no leader elected"
        c.advance_to(c.time_ms + 100)
    return c.require_leader()


def test_same_seed_gives_the_same_event_stream() -> None:
    a, b = run_with_proposals(7), run_with_proposals(7)
    assert len(a) > 1000
    assert a == b


def test_another_seed_gives_another_event_stream() -> None:
    assert run_with_proposals(7) != run_with_proposals(8)


def test_events_are_ordered_by_time_and_sequence() -> None:
    events = run_with_proposals(3, 5000)
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))
    assert all(a.time_ms <= b.time_ms for a, b in itertools.pairwise(events))


def test_a_leader_is_elected_and_a_proposal_applied_everywhere() -> None:
    c = Cluster(Settings(seed=1))
    lead = elect(c)
    assert c.propose(None, "x=1")
    c.advance_to(c.time_ms + 2000)
    view = c.view()
    assert view.leader == lead
    assert all(dict(n.kv) == {"x": "1"} for n in view.nodes)
    assert all(n.commit == n.last_index == 2 for n in view.nodes)
    assert c.violations == []


def test_crashing_the_leader_elects_another_and_restart_keeps_persisted_state() -> None:
    c = Cluster(Settings(seed=2))
    old = elect(c)
    c.propose(None, "a=1")
    c.advance_to(c.time_ms + 1000)
    term = c.nodes[old].raw.raft.term
    c.crash(old)
    assert c.view().nodes[old - 1].role == "crashed"
    new = elect(c)
    assert new != old
    assert c.nodes[new].raw.raft.term > term
    c.restart(old)
    restarted = c.nodes[old].raw.raft
    assert restarted.term >= term
    assert restarted.raft_log.last_index() >= 2
    c.advance_to(c.time_ms + 3000)
    assert dict(c.view().nodes[old - 1].kv) == {"a": "1"}
    faults = [e.what for e in c.drain() if isinstance(e, NodeFault)]
    assert faults == ["crashed", "restarted"]


def test_messages_to_a_crashed_node_are_dropped_and_reported() -> None:
    c = Cluster(Settings(seed=4))
    lead = elect(c)
    victim = next(i for i in c.nodes if i != lead)
    c.drain()
    c.crash(victim)
    c.advance_to(c.time_ms + 1000)
    drops = [e for e in c.drain() if isinstance(e, MessageDropped)]
    assert drops
    assert all(e.to == victim and e.reason == "crashed" for e in drops)


def test_minority_leader_proposal_is_rolled_back_after_heal() -> None:
    c = Cluster(Settings(seed=5))
    old = elect(c)
    others = [i for i in c.nodes if i != old]
    c.partition([[old, others[0]], others[1:]])
    assert c.propose(old, "lost=1")
    c.advance_to(c.time_ms + 5000)
    new = c.require_leader()
    assert new in others[1:]
    assert c.propose(new, "kept=1")
    c.advance_to(c.time_ms + 2000)
    c.heal()
    c.advance_to(c.time_ms + 5000)
    view = c.view()
    assert all("lost=1" not in [e.data for e in n.log] for n in view.nodes)
    assert all(dict(n.kv).get("kept") == "1" for n in view.nodes)
    truncated = [e for e in c.drain() if isinstance(e, EntriesChanged) and e.what == "truncated"]
    assert {e.node for e in truncated} >= {old}
    assert c.violations == []


def test_one_way_cut_drops_only_that_direction() -> None:
    c = Cluster(Settings(seed=6))
    lead = elect(c)
    other = next(i for i in c.nodes if i != lead)
    c.drain()
    c.cut(lead, other, both=False)
    c.advance_to(c.time_ms + 500)
    events = c.drain()
    dropped = {(e.frm, e.to) for e in events if isinstance(e, MessageDropped)}
    delivered = {(e.frm, e.to) for e in events if isinstance(e, MessageDelivered)}
    assert dropped == {(lead, other)}
    assert (lead, other) not in delivered


def test_stabilize_delivers_everything_without_moving_the_clock() -> None:
    c = Cluster(Settings(seed=1, auto_tick=False))
    c.campaign(1)
    t = c.time_ms
    c.stabilize()
    assert c.time_ms == t
    assert c.flights == {}
    assert c.leader() == 1


def test_deliver_msgs_targets_one_node_and_type() -> None:
    c = Cluster(Settings(seed=1, auto_tick=False, prevote=False))
    c.campaign(1)
    assert c.deliver_msgs(2, MsgType.MsgApp) == 0
    assert c.deliver_msgs(2, MsgType.MsgVote) == 1
    assert c.nodes[2].raw.raft.vote == 1
    assert all(f.msg.to != 2 for f in c.flights.values() if f.msg.type == MsgType.MsgVote)


def test_unknown_node_is_a_clear_error() -> None:
    c = Cluster(Settings(nodes=3))
    try:
        c.crash(9)
    except ClusterError as e:
        assert str(e) == "unknown node 9 (cluster has nodes 1-3)"
    else:
        raise AssertionError("crash 9 did not fail")


def test_snapshot_and_restore_replay_identically() -> None:
    c = Cluster(Settings(seed=9))
    elect(c)
    c.drain()
    snap = c.snapshot()
    c.propose(None, "x=1")
    c.advance_to(c.time_ms + 3000)
    first = c.drain()
    c.restore(snap)
    c.propose(None, "x=1")
    c.advance_to(c.time_ms + 3000)
    assert c.drain() == first
    assert any(isinstance(e, MessageSent) for e in first)


def test_align_timers_makes_followers_campaign_together() -> None:
    c = Cluster(Settings(seed=11, prevote=False, checkquorum=False))
    c.align_timers()
    c.advance_to(2500)
    became = [e for e in c.drain() if isinstance(e, StateChanged) and e.role == "candidate"]
    first_term = [e for e in became if e.term == 1]
    assert len({e.node for e in first_term}) == 5


def test_aligning_or_spreading_timers_is_a_timer_event_not_a_network_one() -> None:
    c = Cluster(Settings(seed=11))
    c.drain()
    c.align_timers()
    c.spread_timers()
    events = c.drain()
    assert not [e for e in events if isinstance(e, NetworkChanged)]
    aligned, spread = (e for e in events if isinstance(e, TimersChanged))
    assert aligned.what == "aligned" and spread.what == "spread"
    assert [node for node, _ in aligned.timeouts] == [1, 2, 3, 4, 5]
    assert len({ticks for _, ticks in aligned.timeouts}) == 1
    assert len({ticks for _, ticks in spread.timeouts}) == 5
    for node, ticks in spread.timeouts:
        assert c.nodes[node].raw.raft.randomized_election_timeout == ticks


ACTIONS = st.lists(
    st.tuples(
        st.integers(100, 3000), st.sampled_from(["crash", "restart", "propose"]), st.integers(1, 5)
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), schedule=ACTIONS)
def test_committed_entries_survive_any_crash_and_restart_schedule(
    seed: int, schedule: list[tuple[int, str, int]]
) -> None:
    c = Cluster(Settings(seed=seed))
    committed: dict[int, tuple[int, str]] = {}
    n = 0
    for delay, action, node in schedule:
        c.advance_to(c.time_ms + delay)
        alive = c.nodes[node].alive
        if action == "crash" and alive and sum(x.alive for x in c.nodes.values()) > 1:
            c.crash(node)
        elif action == "restart" and not alive:
            c.restart(node)
        elif action == "propose" and alive:
            n += 1
            c.propose(node, f"k{n}=v{n}")
        for e in c.drain():
            if isinstance(e, EntriesChanged) and e.what == "committed":
                log = c.nodes[e.node].raw.raft.raft_log
                for i in range(e.first, e.last + 1):
                    committed.setdefault(i, (log.term(i), log.slice(i, i + 1)[0].data))
            assert not isinstance(e, SafetyViolation), e
    for node in c.nodes.values():
        if not node.alive:
            c.restart(node.id)
    c.advance_to(c.time_ms + 20_000)
    assert c.violations == []
    for node in c.view().nodes:
        log = {e.index: (e.term, e.data) for e in node.log}
        for i, entry in committed.items():
            assert log.get(i) == entry, f"node {node.id} lost committed entry {i}"


def test_a_forwarded_proposal_reaching_a_leaderless_node_is_dropped_not_raised() -> None:
    c = Cluster(Settings(seed=1, auto_tick=False, prevote=False, checkquorum=False))
    c.campaign(1)
    c.stabilize()
    assert c.propose(2, "x=1")  # node 2 forwards it to leader 1
    c.campaign(3)
    assert c.deliver_msgs(1, MsgType.MsgVote) == 1  # 1 steps down, no leader known
    c.drain()
    assert c.deliver_msgs(1, MsgType.MsgProp) == 1
    lines = [e.line.text for e in c.drain() if isinstance(e, RaftLog)]
    assert "1 no leader at term 2; dropping proposal" in lines


def test_a_snapshot_runs_on_its_own_without_touching_the_original() -> None:
    c = Cluster(Settings(seed=3))
    c.advance_to(500)
    c.drain()
    copy = c.snapshot()
    copy.advance_to(5000)
    assert any(isinstance(e, RaftLog) for e in copy.drain())
    assert c.drain() == []  # the copy's log lines went to the copy, not here
    assert c.time_ms == 500


def test_the_view_s_term_is_the_highest_in_the_cluster_even_without_a_leader() -> None:
    c = Cluster(Settings(nodes=3, seed=1, auto_tick=False))
    c.campaign(2)  # a pre-vote, then (delivered) an election: no leader yet
    c.deliver_msgs(1)
    c.deliver_msgs(3)
    c.deliver_msgs(2)
    view = c.view()
    assert view.leader is None
    assert view.term == c.nodes[2].raw.raft.term == 1


def test_the_view_sums_up_the_network_s_faults() -> None:
    c = Cluster(Settings(nodes=5, seed=1))
    assert c.view().network == ()
    c.partition([[1, 2], [3, 4, 5]])
    c.cut(3, 4, both=False)
    c.cut(5, 1, both=True)
    c.isolate(2)
    c.set_network(loss=0.1)
    assert c.view().network == (
        "partition {1,2} | {3,4,5}",
        "isolated 2",
        "cut 1-5 3>4",
        "loss 10%",
    )
    c.heal()
    c.set_network(loss=0)
    assert c.view().network == ()


def test_a_node_whose_raft_panics_under_an_unsafe_switch_stops_alone() -> None:
    """etcd panics rather than commit beyond its log; with a rule switched off a leader can ask
    that, and the node stops (as etcd's process would) while the run goes on."""
    cluster = Cluster(
        Settings(
            nodes=3,
            prevote=False,
            checkquorum=False,
            auto_tick=False,
            unsafe=(ACCEPT_STALE_LEADER,),
        ),
        stories=True,
    )
    cluster.campaign(1)
    cluster.stabilize()
    cluster.campaign(2)
    cluster.stabilize()
    assert (cluster.leader(), cluster.nodes[3].raw.raft.term) == (2, 2)
    cluster.drain()
    # A heartbeat of term 1 from S1 that says more is committed than S3's log holds.
    cluster._send(Message(MsgType.MsgHeartbeat, to=3, frm=1, term=1, commit=9))
    cluster.stabilize()
    events = cluster.drain()
    assert not cluster.nodes[3].alive and cluster.nodes[2].alive
    assert [e.what for e in events if isinstance(e, NodeFault)] == ["crashed"]
    (panic,) = [e for e in events if type(e) is Story and isinstance(e.decision, Panicked)]
    assert "tocommit(9) is out of range" in story_line(panic)
    assert "unsafe: accept-stale-leader" in story_line(panic)
    assert any(type(e) is RaftLog and e.line.kind == "panic" for e in events)
    cluster.restart(3)
    cluster.stabilize()
    assert cluster.nodes[3].alive and cluster.nodes[3].raw.raft.raft_log.committed == 2


def test_the_same_panic_without_an_unsafe_switch_is_a_bug_and_raised() -> None:
    cluster = Cluster(Settings(nodes=3, auto_tick=False))
    cluster.campaign(1)
    cluster.stabilize()
    term = cluster.nodes[3].raw.raft.term
    cluster._send(Message(MsgType.MsgHeartbeat, to=3, frm=1, term=term, commit=9))
    with pytest.raises(AssertionError, match="tocommit"):
        cluster.stabilize()
