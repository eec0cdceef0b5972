"""Election timers for the Raft paper's experiments: a millisecond range for the randomized
timeout, the paper's timer rule beside etcd's, and links cut for one type of message."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from raftviz.core.raft.messages import NONE, Entry, Message, MsgType, StateType
from raftviz.core.sim.cluster import Cluster, Settings
from raftviz.core.sim.events import MessageDelivered, MessageDropped


@given(lo=st.integers(2, 400), width=st.integers(0, 300), seed=st.integers(0, 2**31))
def test_the_randomized_timeout_is_drawn_within_the_range_in_ms(
    lo: int, width: int, seed: int
) -> None:
    hi = lo + width
    settings = Settings(nodes=3, seed=seed, tick_ms=1, election_timeout_ms=(lo, hi))
    cluster = Cluster(settings)
    draws = []
    for node in cluster.nodes.values():
        r = node.raw.raft
        for _ in range(20):
            r.reset_randomized_election_timeout()
            draws.append(r.randomized_election_timeout)
        assert r.election_timeout == lo  # what check-quorum and transfers count
    assert all(lo <= d <= hi for d in draws)
    if width == 0:
        assert set(draws) == {lo}


def test_a_range_of_whole_ticks_counts_in_ticks() -> None:
    cluster = Cluster(Settings(nodes=3, tick_ms=10, election_timeout_ms=(150, 300)))
    r = cluster.nodes[1].raw.raft
    assert r.election_timeout == 15
    draws = set()
    for _ in range(400):
        r.reset_randomized_election_timeout()
        draws.add(r.randomized_election_timeout)
    assert draws == set(range(15, 31))


def _vote_request_at_higher_term(rule: str) -> tuple[int, int, int, int]:
    """A follower 40 ticks into its timer refuses a vote to a candidate of a higher term
    (whose log is behind): (elapsed, timeout) before and after."""
    settings = Settings(
        nodes=3, tick_ms=1, election_timeout_ms=(150, 300), timer_rule=rule, prevote=False
    )
    cluster = Cluster(settings)
    r = cluster.nodes[1].raw.raft
    # S1's log is ahead of the candidate's empty one.
    r.raft_log.append([Entry(term=1, index=1, data="x=1")])
    r.term = 1
    r.election_elapsed = 40
    before = (r.election_elapsed, r.randomized_election_timeout)
    r.step(Message(MsgType.MsgVote, to=1, frm=2, term=5, log_term=0, index=0))
    assert r.term == 5 and r.state == StateType.StateFollower and r.vote == NONE  # refused
    return (*before, r.election_elapsed, r.randomized_election_timeout)


def test_the_paper_s_timer_rule_keeps_the_timer_running_through_a_refused_vote() -> None:
    elapsed, timeout, elapsed_after, timeout_after = _vote_request_at_higher_term("raft")
    assert (elapsed_after, timeout_after) == (elapsed, timeout)


def test_etcd_s_timer_rule_restarts_the_timer_on_a_higher_term() -> None:
    _, _, elapsed_after, _ = _vote_request_at_higher_term("etcd")
    assert elapsed_after == 0


def test_a_link_cut_for_one_type_drops_only_that_type() -> None:
    cluster = Cluster(Settings(nodes=3, seed=1, prevote=False, latency=(5, 5), auto_tick=False))
    cluster.campaign(1)
    cluster.advance_to(20)
    cluster.drain()
    cluster.cut(1, 3, both=False, msg_type="MsgApp")
    cluster.propose(1, "a=1")
    cluster.advance_to(40)
    cluster.tick(1)  # a heartbeat: not MsgApp, so it passes
    cluster.advance_to(60)
    events = cluster.drain()
    dropped = {(e.msg.to, str(e.msg.type)) for e in events if isinstance(e, MessageDropped)}
    delivered = {(e.msg.to, str(e.msg.type)) for e in events if isinstance(e, MessageDelivered)}
    assert dropped == {(3, "MsgApp")}
    assert (2, "MsgApp") in delivered and (3, "MsgHeartbeat") in delivered
    assert cluster.links.summary() == ("cut 1>3 MsgApp",)
    cluster.heal()
    assert not cluster.links.any()
