"""Spec sections 14.2 and 14.3: elections, CheckQuorum, lease and disruption, from raft_test.go.

Each test is named `test_sNN_...` after the scenario number in etcd-raft-spec.md. Scenarios 45
(learner promotion) and 52 (unapplied conf change before campaign) need membership changes,
which raftviz's core does not model, and are not re-expressed here.
"""

from __future__ import annotations

import pytest

from raftviz.core.raft.messages import CAMPAIGN_TRANSFER, NONE, Entry, HardState, Message, MsgType
from raftviz.core.raft.messages import StateType as S
from raftviz.core.raft.raft import ProposalDropped, Raft
from tests.core.harness import (
    DEAD,
    Network,
    Peer,
    advance_messages_after_append,
    beat,
    entries_of,
    ents_with_config,
    hup,
    new_raft,
    prop,
    read_messages,
    set_randomized_election_timeout,
    step_or_send,
    take_messages_after_append,
    voted_with_config,
)

M = MsgType


def _three(*, pre_vote: bool = False, check_quorum: bool = False) -> tuple[Raft, Raft, Raft]:
    """Nodes 1..3 of a 3-node cluster, each made a follower at term 1 as etcd's tests do."""
    nodes = tuple(
        new_raft(id, [1, 2, 3], pre_vote=pre_vote, check_quorum=check_quorum) for id in (1, 2, 3)
    )
    for r in nodes:
        r.become_follower(1, NONE)
    return nodes[0], nodes[1], nodes[2]


def _states(n: Network) -> list[tuple[S, int]]:
    return [(r.state, r.term) for r in n.live()]


def state(r: Raft) -> S:
    """`r.state`, read through a call so that type checkers do not narrow it across steps."""
    return r.state


# ------------------------------------------------------------------------------ 14.2 elections


def _election_clusters() -> list[tuple[list[Peer], S, int]]:
    """(peers, state of node 1 without pre-vote, its term) for scenarios 23 and 24."""
    return [
        ([None, None, None], S.StateLeader, 1),
        ([None, None, DEAD], S.StateLeader, 1),
        ([None, DEAD, DEAD], S.StateCandidate, 1),
        ([None, DEAD, DEAD, None], S.StateCandidate, 1),
        ([None, DEAD, DEAD, None, None], S.StateLeader, 1),
        # Logs further along at the same term: rejections come back instead of silence.
        (
            [None, ents_with_config(1), ents_with_config(1), ents_with_config(1, 1), None],
            S.StateFollower,
            1,
        ),
    ]


@pytest.mark.parametrize(("peers", "state", "term"), _election_clusters())
def test_s23_leader_election(peers: list[Peer], state: S, term: int) -> None:
    n = Network(*peers)
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (state, term)


@pytest.mark.parametrize(("peers", "state", "term"), _election_clusters())
def test_s24_leader_election_pre_vote(peers: list[Peer], state: S, term: int) -> None:
    if state == S.StateCandidate:
        # A pre-vote that cannot complete leaves the node pre-candidate at its old term.
        state, term = S.StatePreCandidate, 0
    n = Network(*peers, pre_vote=True)
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (state, term)


@pytest.mark.parametrize("pre_vote", [False, True])
def test_s25_leader_cycle(pre_vote: bool) -> None:
    n = Network(None, None, None, pre_vote=pre_vote)
    for campaigner in (1, 2, 3):
        n.send(hup(campaigner))
        for r in n.live():
            want = S.StateLeader if r.id == campaigner else S.StateFollower
            assert r.state == want, (campaigner, r.id)
            assert r.lead == campaigner
        assert {r.term for r in n.live()} == {campaigner}


@pytest.mark.parametrize("pre_vote", [False, True])
def test_s26_leader_election_overwrite_newer_logs(pre_vote: bool) -> None:
    n = Network(
        ents_with_config(1),  # won the first election
        ents_with_config(1),  # got its entry
        ents_with_config(2),  # won the second election, wrote an entry nobody got
        voted_with_config(3, 2),  # voted for 3 but got no entry
        voted_with_config(3, 2),
        pre_vote=pre_vote,
    )
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (S.StateFollower, 2)
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (S.StateLeader, 3)
    for r in n.live():
        assert r.raft_log.all_entries() == [Entry(1, 1), Entry(3, 2)], r.id


def _in_state(state: S) -> Raft:
    r = new_raft(1, [1, 2, 3])
    r.term = 1
    if state == S.StateFollower:
        r.become_follower(r.term, 3)
    elif state == S.StatePreCandidate:
        r.become_pre_candidate()
    elif state == S.StateCandidate:
        r.become_candidate()
    else:
        r.become_candidate()
        r.become_leader()
    return r


_ALL_STATES = [S.StateFollower, S.StatePreCandidate, S.StateCandidate, S.StateLeader]


@pytest.mark.parametrize("state", _ALL_STATES)
def test_s27_vote_from_any_state(state: S) -> None:
    r = _in_state(state)
    new_term = r.term + 1
    r.step(Message(type=M.MsgVote, frm=2, to=1, term=new_term, log_term=new_term, index=42))
    assert read_messages(r) == [Message(type=M.MsgVoteResp, frm=1, to=2, term=new_term)]
    assert (r.state, r.term, r.vote) == (S.StateFollower, new_term, 2)


@pytest.mark.parametrize("state", _ALL_STATES)
def test_s28_pre_vote_from_any_state(state: S) -> None:
    r = _in_state(state)
    term, vote = r.term, r.vote
    r.election_elapsed = 3
    new_term = term + 1
    r.step(Message(type=M.MsgPreVote, frm=2, to=1, term=new_term, log_term=new_term, index=42))
    assert read_messages(r) == [Message(type=M.MsgPreVoteResp, frm=1, to=2, term=new_term)]
    assert (r.state, r.term, r.vote) == (state, term, vote)
    assert vote in (NONE, 1)
    assert r.election_elapsed == 3  # spec 15.6: a granted pre-vote does not reset the timer


_RECV_VOTE = [
    (S.StateFollower, 0, 0, NONE, True),
    (S.StateFollower, 0, 1, NONE, True),
    (S.StateFollower, 0, 2, NONE, True),
    (S.StateFollower, 0, 3, NONE, False),
    (S.StateFollower, 1, 0, NONE, True),
    (S.StateFollower, 1, 1, NONE, True),
    (S.StateFollower, 1, 2, NONE, True),
    (S.StateFollower, 1, 3, NONE, False),
    (S.StateFollower, 2, 0, NONE, True),
    (S.StateFollower, 2, 1, NONE, True),
    (S.StateFollower, 2, 2, NONE, False),
    (S.StateFollower, 2, 3, NONE, False),
    (S.StateFollower, 3, 0, NONE, True),
    (S.StateFollower, 3, 1, NONE, True),
    (S.StateFollower, 3, 2, NONE, False),
    (S.StateFollower, 3, 3, NONE, False),
    (S.StateFollower, 3, 2, 2, False),
    (S.StateFollower, 3, 2, 1, True),
    (S.StateLeader, 3, 3, 1, True),
    (S.StatePreCandidate, 3, 3, 1, True),
    (S.StateCandidate, 3, 3, 1, True),
]


@pytest.mark.parametrize("vote_type", [M.MsgVote, M.MsgPreVote])
@pytest.mark.parametrize(("state", "index", "log_term", "vote", "reject"), _RECV_VOTE)
def test_s29_recv_msg_vote(
    vote_type: MsgType, state: S, index: int, log_term: int, vote: int, reject: bool
) -> None:
    r = new_raft(1, [1], entries=entries_of(2, 2))
    r.state = state
    r.vote = vote
    # Same term in the request as ours: no future-term exemption for pre-votes.
    term = max(r.raft_log.last_term(), log_term)
    r.term = term
    r.step(Message(type=vote_type, frm=2, to=1, term=term, index=index, log_term=log_term))
    msgs = read_messages(r)
    resp = M.MsgPreVoteResp if vote_type == M.MsgPreVote else M.MsgVoteResp
    assert [(m.type, m.reject) for m in msgs] == [(resp, reject)]


_TRANSITIONS = [
    (S.StateFollower, S.StateFollower, True, 1, NONE),
    (S.StateFollower, S.StatePreCandidate, True, 0, NONE),
    (S.StateFollower, S.StateCandidate, True, 1, NONE),
    (S.StateFollower, S.StateLeader, False, 0, NONE),
    (S.StatePreCandidate, S.StateFollower, True, 0, NONE),
    (S.StatePreCandidate, S.StatePreCandidate, True, 0, NONE),
    (S.StatePreCandidate, S.StateCandidate, True, 1, NONE),
    (S.StatePreCandidate, S.StateLeader, True, 0, 1),
    (S.StateCandidate, S.StateFollower, True, 0, NONE),
    (S.StateCandidate, S.StatePreCandidate, True, 0, NONE),
    (S.StateCandidate, S.StateCandidate, True, 1, NONE),
    (S.StateCandidate, S.StateLeader, True, 0, 1),
    (S.StateLeader, S.StateFollower, True, 1, NONE),
    (S.StateLeader, S.StatePreCandidate, False, 0, NONE),
    (S.StateLeader, S.StateCandidate, False, 1, NONE),
    (S.StateLeader, S.StateLeader, True, 0, 1),
]


@pytest.mark.parametrize(("frm", "to", "allowed", "wterm", "wlead"), _TRANSITIONS)
def test_s30_state_transition(frm: S, to: S, allowed: bool, wterm: int, wlead: int) -> None:
    r = new_raft(1, [1])
    r.state = frm
    r.election_elapsed, r.randomized_election_timeout = 3, 17

    def go() -> None:
        if to == S.StateFollower:
            r.become_follower(wterm, wlead)
        elif to == S.StatePreCandidate:
            r.become_pre_candidate()
        elif to == S.StateCandidate:
            r.become_candidate()
        else:
            r.become_leader()

    if not allowed:
        with pytest.raises(AssertionError, match="invalid transition"):
            go()
        return
    go()
    assert (r.state, r.term, r.lead) == (to, wterm, wlead)
    if to == S.StatePreCandidate:
        # Spec 5.3: only votes and lead are cleared; term, vote and timers are untouched.
        assert (r.vote, r.election_elapsed, r.randomized_election_timeout) == (NONE, 3, 17)
    else:
        assert r.election_elapsed == 0  # every other transition resets


@pytest.mark.parametrize(
    ("state", "windex"),
    [(S.StateFollower, 0), (S.StatePreCandidate, 0), (S.StateCandidate, 0), (S.StateLeader, 1)],
)
def test_s31_all_server_stepdown(state: S, windex: int) -> None:
    r = new_raft(1, [1, 2, 3])
    if state == S.StateFollower:
        r.become_follower(1, NONE)
    elif state == S.StatePreCandidate:
        r.become_pre_candidate()
    elif state == S.StateCandidate:
        r.become_candidate()
    else:
        r.become_candidate()
        r.become_leader()
    for t, wlead in ((M.MsgVote, NONE), (M.MsgApp, 2)):
        r.step(Message(type=t, frm=2, to=1, term=3, log_term=3))
        assert (r.state, r.term, r.lead) == (S.StateFollower, 3, wlead), t
        assert r.raft_log.last_index() == windex
        assert len(r.raft_log.all_entries()) == windex


@pytest.mark.parametrize("msg_type", [M.MsgHeartbeat, M.MsgApp])
def test_s32_candidate_reset_term(msg_type: MsgType) -> None:
    a, b, c = (new_raft(id, [1, 2, 3]) for id in (1, 2, 3))
    n = Network(a, b, c)
    n.send(hup(1))
    assert [a.state, b.state, c.state] == [S.StateLeader, S.StateFollower, S.StateFollower]
    n.isolate(3)
    n.send(hup(2))
    n.send(hup(1))
    assert (a.state, a.term, b.state) == (S.StateLeader, 3, S.StateFollower)
    # The isolated node times out on its own.
    c.reset_randomized_election_timeout()
    for _ in range(c.randomized_election_timeout):
        c.tick()
    advance_messages_after_append(c)
    assert (c.state, c.term) == (S.StateCandidate, 2)
    n.recover()
    n.send(Message(type=msg_type, frm=1, to=3, term=a.term))
    assert (c.state, c.term, c.lead) == (S.StateFollower, 3, 1)


@pytest.mark.parametrize("pre_vote", [False, True])
def test_s33_candidate_self_vote_after_lost_election(pre_vote: bool) -> None:
    r = new_raft(1, [1, 2, 3], 5, pre_vote=pre_vote)
    r.step(hup(1))
    steps = take_messages_after_append(r)
    assert [m.to for m in steps if m.to == 1] == [1]  # the self-vote is pending
    # n2 already won; its heartbeat arrives before n1 persisted (and counted) its own vote.
    r.step(Message(type=M.MsgHeartbeat, frm=2, to=1, term=r.term))
    assert r.state == S.StateFollower
    step_or_send(r, steps)
    assert r.state == S.StateFollower
    granted, _, _ = r.trk.tally_votes()
    assert granted == 0


def test_s34_candidate_delivers_pre_candidate_self_vote_after_becoming_candidate() -> None:
    r = new_raft(1, [1, 2, 3], 5, pre_vote=True)
    r.step(hup(1))
    assert r.state == S.StatePreCandidate
    steps = take_messages_after_append(r)
    # Pre-vote grants carry the local term + 1.
    r.step(Message(type=M.MsgPreVoteResp, frm=2, to=1, term=r.term + 1))
    r.step(Message(type=M.MsgPreVoteResp, frm=3, to=1, term=r.term + 1))
    assert (r.state, r.term) == (S.StateCandidate, 1)
    step_or_send(r, steps)  # the late pre-vote self-response is ignored
    assert state(r) == S.StateCandidate
    steps = take_messages_after_append(r)
    granted, _, _ = r.trk.tally_votes()
    assert granted == 0
    r.step(Message(type=M.MsgVoteResp, frm=2, to=1, term=r.term))
    assert state(r) == S.StateCandidate
    step_or_send(r, steps)  # the real self-vote completes the quorum
    assert state(r) == S.StateLeader


def test_s35_leader_msg_app_self_ack_after_term_change() -> None:
    r = new_raft(1, [1, 2, 3], 5)
    r.become_candidate()
    r.become_leader()
    r.step(prop(1, "somedata"))
    steps = take_messages_after_append(r)
    r.step(Message(type=M.MsgHeartbeat, frm=2, to=1, term=r.term + 1))
    assert (r.state, r.term) == (S.StateFollower, 2)
    step_or_send(r, steps)  # the self-ack carries the old term and is ignored
    assert (r.state, r.term, r.lead) == (S.StateFollower, 2, 2)


def test_s36_dueling_candidates() -> None:
    a, b, c = (new_raft(id, [1, 2, 3]) for id in (1, 2, 3))
    n = Network(a, b, c)
    n.cut(1, 3)
    n.send(hup(1))
    n.send(hup(3))
    assert a.state == S.StateLeader  # votes of 1 and 2
    assert c.state == S.StateCandidate  # its own vote and 2's rejection
    n.recover()
    # 3 campaigns at a higher term: 1 and 2 adopt it but reject 3's short log.
    n.send(hup(3))
    assert [(r.state, r.term, r.raft_log.last_index()) for r in (a, b, c)] == [
        (S.StateFollower, 2, 1),
        (S.StateFollower, 2, 1),
        (S.StateFollower, 2, 0),
    ]


def test_s37_dueling_pre_candidates() -> None:
    a, b, c = (new_raft(id, [1, 2, 3], pre_vote=True) for id in (1, 2, 3))
    n = Network(a, b, c)
    n.cut(1, 3)
    n.send(hup(1))
    n.send(hup(3))
    assert a.state == S.StateLeader
    assert (c.state, c.term) == (S.StateFollower, 1)  # its pre-vote was rejected at term 1
    n.recover()
    n.send(hup(3))  # rejected on its log: the leader is not disturbed
    assert [(r.state, r.term, r.raft_log.last_index()) for r in (a, b, c)] == [
        (S.StateLeader, 1, 1),
        (S.StateFollower, 1, 1),
        (S.StateFollower, 1, 0),
    ]


def test_s38_candidate_concede() -> None:
    n = Network(None, None, None)
    n.isolate(1)
    n.send(hup(1))
    n.send(hup(3))
    assert (n[1].state, n[3].state) == (S.StateCandidate, S.StateLeader)
    n.recover()
    n.send(beat(3))
    assert (n[1].state, n[1].lead) == (S.StateFollower, 3)
    n.send(prop(3, "force follower"))
    n.send(beat(3))
    assert (n[1].state, n[1].term) == (S.StateFollower, 1)
    for r in n.live():
        assert r.raft_log.all_entries() == [Entry(1, 1), Entry(1, 2, "force follower")], r.id
        assert r.raft_log.committed == 2, r.id


@pytest.mark.parametrize("pre_vote", [False, True])
def test_s39_single_node_candidate(pre_vote: bool) -> None:
    n = Network(None, pre_vote=pre_vote)
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (S.StateLeader, 1)


def test_s40_old_messages() -> None:
    n = Network(None, None, None)
    n.send(hup(1))
    n.send(hup(2))
    n.send(hup(1))
    assert (n[1].state, n[1].term) == (S.StateLeader, 3)
    # A stale leader of term 2 trying to make progress is ignored.
    n.send(Message(type=M.MsgApp, frm=2, to=1, term=2, entries=(Entry(2, 3),)))
    n.send(prop(1, "somedata"))
    want = [Entry(1, 1), Entry(2, 2), Entry(3, 3), Entry(3, 4, "somedata")]
    for r in n.live():
        assert r.raft_log.all_entries() == want, r.id
        assert r.raft_log.committed == 4, r.id


@pytest.mark.parametrize(
    ("peers", "success"),
    [
        ([None, None, None], True),
        ([None, None, DEAD], True),
        ([None, DEAD, DEAD], False),
        ([None, DEAD, DEAD, None], False),
        ([None, DEAD, DEAD, None, None], True),
    ],
)
def test_s41_proposal(peers: list[Peer], success: bool) -> None:
    n = Network(*peers)
    n.send(hup(1))
    n.send(prop(1, "somedata"))
    want = [Entry(1, 1), Entry(1, 2, "somedata")] if success else []
    for r in n.live():
        assert r.raft_log.all_entries() == want, r.id
    assert n[1].term == 1
    assert n[1].raft_log.committed == (2 if success else 0)
    assert len(n.dropped_proposals) == (0 if success else 1)


@pytest.mark.parametrize("peers", [[None, None, None], [None, None, DEAD]])
def test_s42_proposal_by_proxy(peers: list[Peer]) -> None:
    n = Network(*peers)
    n.send(hup(1))
    n.send(prop(2, "somedata"))  # forwarded by follower 2 to leader 1
    for r in n.live():
        assert r.raft_log.all_entries() == [Entry(1, 1), Entry(1, 2, "somedata")], r.id
        assert r.raft_log.committed == 2, r.id
    assert n[1].term == 1


@pytest.mark.parametrize("pre_vote", [False, True])
def test_s43_campaign_while_leader(pre_vote: bool) -> None:
    r = new_raft(1, [1], 5, pre_vote=pre_vote)
    assert r.state == S.StateFollower
    r.step(hup(1))
    advance_messages_after_append(r)
    assert state(r) == S.StateLeader
    term = r.term
    r.step(hup(1))
    advance_messages_after_append(r)
    assert (r.state, r.term) == (S.StateLeader, term)


def test_s44_learner_election_timeout() -> None:
    n2 = new_raft(2, [1], learners=[2])
    n2.become_follower(1, NONE)
    set_randomized_election_timeout(n2, n2.election_timeout)
    for _ in range(n2.election_timeout):
        n2.tick()
    assert (n2.state, n2.term, n2.msgs) == (S.StateFollower, 1, [])
    assert n2.election_elapsed == n2.election_timeout  # spec 6.1: it counts, never fires


def test_s46_learner_can_vote() -> None:
    n2 = new_raft(2, [1], learners=[2])
    n2.become_follower(1, NONE)
    n2.step(Message(type=M.MsgVote, frm=1, to=2, term=2, log_term=11, index=11))
    assert read_messages(n2) == [Message(type=M.MsgVoteResp, frm=2, to=1, term=2)]


def test_s47_learner_campaign() -> None:
    n1 = new_raft(1, [1], learners=[2])
    n2 = new_raft(2, [1], learners=[2])
    n = Network(n1, n2)
    n.send(hup(2))
    assert (n2.state, n2.term) == (S.StateFollower, 0)
    n.send(hup(1))
    assert (n1.state, n1.lead) == (S.StateLeader, 1)
    # A transfer that raced with a demotion: the learner ignores MsgTimeoutNow.
    n.send(Message(type=M.MsgTimeoutNow, frm=1, to=2))
    assert (n2.state, n2.term, n2.lead) == (S.StateFollower, 1, 1)


@pytest.mark.parametrize(
    ("voters", "promotable"), [([1], True), ([1, 2, 3], True), ([], False), ([2, 3], False)]
)
def test_s48_promotable(voters: list[int], promotable: bool) -> None:
    assert new_raft(1, voters, 5).promotable() is promotable


@pytest.mark.parametrize(
    ("elapsed", "probability", "rounded"),
    [(5, 0.0, False), (10, 0.1, True), (13, 0.4, True), (15, 0.6, True), (18, 0.9, True),
     (20, 1.0, False)],
)  # fmt: skip
def test_s49_past_election_timeout(elapsed: int, probability: float, rounded: bool) -> None:
    r = new_raft(1, [1], 10, seed=elapsed)
    r.election_elapsed = elapsed
    hits = 0
    for _ in range(10000):
        r.reset_randomized_election_timeout()
        hits += r.past_election_timeout()
    got = hits / 10000
    if rounded:
        got = round(got, 1)
    assert got == probability


def test_s50_node_with_smaller_term_can_complete_election() -> None:
    n1, n2, n3 = _three(pre_vote=True)
    n = Network(n1, n2, n3)
    n.cut(1, 3)
    n.cut(2, 3)
    n.send(hup(1))
    assert (n1.state, n1.term, n2.state) == (S.StateLeader, 2, S.StateFollower)
    n.send(hup(3))
    assert (n3.state, n3.term) == (S.StatePreCandidate, 1)
    n.send(hup(2))
    assert _states(n) == [(S.StateFollower, 3), (S.StateLeader, 3), (S.StatePreCandidate, 1)]
    # Bring 3 back and "crash" the leader 2.
    n.recover()
    n.cut(2, 1)
    n.cut(2, 3)
    n.send(hup(3))
    # 1 answers the lower-term pre-vote with a rejection at term 3, which frees 3.
    assert (n3.state, n3.term) == (S.StateFollower, 3)
    n.send(hup(1))
    assert S.StateLeader in (n1.state, n3.state)


def test_s51_pre_vote_with_split_vote() -> None:
    n1, n2, n3 = _three(pre_vote=True)
    n = Network(n1, n2, n3)
    n.send(hup(1))
    n.isolate(1)
    n.send(hup(2), hup(3))  # both time out together and get each other's pre-vote
    assert [(n2.state, n2.term), (n3.state, n3.term)] == [(S.StateCandidate, 3)] * 2
    n.send(hup(2))
    assert [(n2.state, n2.term), (n3.state, n3.term)] == [
        (S.StateLeader, 4),
        (S.StateFollower, 4),
    ]


# ------------------------------------------------------------------------------ 14.3 lease


def test_s53_leader_stepdown_when_quorum_active() -> None:
    r = new_raft(1, [1, 2, 3], 5, check_quorum=True)
    r.become_candidate()
    r.become_leader()
    for _ in range(r.election_timeout + 1):
        r.step(Message(type=M.MsgHeartbeatResp, frm=2, to=1, term=r.term))
        r.tick()
    assert r.state == S.StateLeader


def test_s54_leader_stepdown_when_quorum_lost() -> None:
    r = new_raft(1, [1, 2, 3], 5, check_quorum=True)
    r.become_candidate()
    r.become_leader()
    for i in range(r.election_timeout + 1):
        if i == r.election_timeout - 1:
            assert r.state == S.StateLeader  # not before the check
        r.tick()
    assert (r.state, r.term, r.lead) == (S.StateFollower, 1, NONE)


def test_s55_leader_superseding_with_check_quorum() -> None:
    a, b, c = (new_raft(id, [1, 2, 3], check_quorum=True) for id in (1, 2, 3))
    n = Network(a, b, c)
    set_randomized_election_timeout(b, b.election_timeout + 1)
    for _ in range(b.election_timeout):
        b.tick()
    n.send(hup(1))
    assert (a.state, c.state) == (S.StateLeader, S.StateFollower)
    n.send(hup(3))
    # b heard from the leader within the lease and ignores 3; so does the leader.
    assert c.state == S.StateCandidate
    assert (a.state, a.term, b.term) == (S.StateLeader, 1, 1)
    for _ in range(b.election_timeout):
        b.tick()
    n.send(hup(3))
    assert state(c) == S.StateLeader


def test_s56_leader_election_with_check_quorum() -> None:
    a, b, c = (new_raft(id, [1, 2, 3], check_quorum=True) for id in (1, 2, 3))
    n = Network(a, b, c)
    set_randomized_election_timeout(a, a.election_timeout + 1)
    set_randomized_election_timeout(b, b.election_timeout + 2)
    n.send(hup(1))
    assert (a.state, c.state) == (S.StateLeader, S.StateFollower)
    set_randomized_election_timeout(a, a.election_timeout + 1)
    set_randomized_election_timeout(b, b.election_timeout + 2)
    for _ in range(a.election_timeout):
        a.tick()
    for _ in range(b.election_timeout):
        b.tick()
    n.send(hup(3))
    assert (a.state, c.state) == (S.StateFollower, S.StateLeader)


def test_s57_free_stuck_candidate_with_check_quorum() -> None:
    a, b, c = (new_raft(id, [1, 2, 3], check_quorum=True) for id in (1, 2, 3))
    n = Network(a, b, c)
    set_randomized_election_timeout(b, b.election_timeout + 1)
    for _ in range(b.election_timeout):
        b.tick()
    n.send(hup(1))
    n.isolate(1)
    n.send(hup(3))
    assert (b.state, c.state, c.term) == (S.StateFollower, S.StateCandidate, b.term + 1)
    n.send(hup(3))
    assert (b.state, c.state, c.term) == (S.StateFollower, S.StateCandidate, b.term + 2)
    n.recover()
    n.send(Message(type=M.MsgHeartbeat, frm=1, to=3, term=a.term))
    # 3 answers the stale heartbeat at its own term, which deposes the leader.
    assert (a.state, a.term) == (S.StateFollower, c.term)
    n.send(hup(3))
    assert c.state == S.StateLeader


def test_s58_non_promotable_voter_with_check_quorum() -> None:
    a = new_raft(1, [1, 2], check_quorum=True)
    b = new_raft(2, [1], check_quorum=True)
    n = Network(a, b)
    set_randomized_election_timeout(b, b.election_timeout + 1)
    assert not b.promotable()
    for _ in range(b.election_timeout):
        b.tick()
    assert (b.state, b.msgs) == (S.StateFollower, [])
    n.send(hup(1))
    assert a.state == S.StateLeader
    assert (b.state, b.lead) == (S.StateFollower, 1)


def test_s59_disruptive_follower() -> None:
    n1, n2, n3 = _three(check_quorum=True)
    n = Network(n1, n2, n3)
    n.send(hup(1))
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StateFollower, 2)]
    set_randomized_election_timeout(n3, n3.election_timeout + 2)
    for _ in range(n3.randomized_election_timeout - 1):
        n3.tick()
    assert n3.state == S.StateFollower
    n3.tick()  # the last tick elapses before any message from the leader arrives
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StateCandidate, 3)]
    # n3's MsgVotes are still queued when the delayed heartbeat arrives.
    assert [m.type for m in n3.msgs] == [M.MsgVote, M.MsgVote]
    n.send(Message(type=M.MsgHeartbeat, frm=1, to=3, term=n1.term))
    assert _states(n) == [(S.StateFollower, 3), (S.StateFollower, 2), (S.StateCandidate, 3)]


def test_s60_disruptive_follower_pre_vote() -> None:
    n1, n2, n3 = _three(check_quorum=True)
    n = Network(n1, n2, n3)
    n.send(hup(1))
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StateFollower, 2)]
    n.isolate(3)
    for _ in range(3):
        n.send(prop(1, "somedata"))
    for r in (n1, n2, n3):
        r.pre_vote = True
    n.recover()
    n.send(hup(3))
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StatePreCandidate, 2)]
    # The delayed heartbeat makes 3 a follower again; the leader keeps leading.
    n.send(Message(type=M.MsgHeartbeat, frm=1, to=3, term=n1.term))
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StateFollower, 2)]


def test_s61_pre_vote_with_check_quorum() -> None:
    n1, n2, n3 = _three(pre_vote=True, check_quorum=True)
    n = Network(n1, n2, n3)
    n.send(hup(1))
    n.isolate(1)
    assert [r.state for r in (n1, n2, n3)] == [S.StateLeader, S.StateFollower, S.StateFollower]
    n.send(hup(3))  # 2 ignores the pre-vote: it is in its lease
    assert (n3.state, n3.lead, n2.lead) == (S.StatePreCandidate, NONE, 1)
    n.send(hup(2))  # 3 knows no leader any more and grants
    assert (n2.state, n3.state) == (S.StateLeader, S.StateFollower)
    assert n2.term == n3.term == 3


def _pre_vote_migration_cluster() -> tuple[Network, Raft, Raft, Raft]:
    """n1 leader at term 2, n2 follower at term 2, n3 partitioned candidate at term 4 whose log
    is shorter; n3 ran without PreVote while partitioned and has it now."""
    n1, n2, n3 = _three()
    n1.pre_vote = True
    n2.pre_vote = True
    n = Network(n1, n2, n3)
    n.send(hup(1))
    n.isolate(3)
    n.send(prop(1, "some data"))
    n.send(hup(3))
    n.send(hup(3))
    assert _states(n) == [(S.StateLeader, 2), (S.StateFollower, 2), (S.StateCandidate, 4)]
    n3.pre_vote = True
    n.recover()
    return n, n1, n2, n3


def test_s62_pre_vote_migration_can_complete_election() -> None:
    n, _, n2, n3 = _pre_vote_migration_cluster()
    n.isolate(1)  # the leader goes down
    n.send(hup(3))
    n.send(hup(2))
    # n3 rejected n2's lower-term pre-vote with term 4: n2 follows at term 4.
    assert (n2.state, n2.term) == (S.StateFollower, 4)
    assert (n3.state, n3.term) == (S.StatePreCandidate, 4)
    n.send(hup(3))
    n.send(hup(2))
    assert (n2.state, n3.state) == (S.StateLeader, S.StateFollower)
    assert n2.term == n3.term == 5


def test_s63_pre_vote_migration_with_free_stuck_pre_candidate() -> None:
    n, n1, n2, n3 = _pre_vote_migration_cluster()
    for _ in range(2):
        n.send(hup(3))
        assert [r.state for r in (n1, n2, n3)] == [
            S.StateLeader,
            S.StateFollower,
            S.StatePreCandidate,
        ]
        assert n3.term == 4
    n.send(Message(type=M.MsgHeartbeat, frm=1, to=3, term=n1.term))
    assert (n1.state, n1.term) == (S.StateFollower, 4)
    assert n3.term == n1.term


# ------------------------------------------------------------------------------ sanity


def test_harness_drops_proposals_like_etcd() -> None:
    """A dropped proposal is recorded by the network and raised by a direct step."""
    n = Network(None, DEAD, DEAD)
    n.send(hup(1))
    n.send(prop(1, "x"))
    assert n.dropped_proposals == [prop(1, "x")]
    with pytest.raises(ProposalDropped):
        n[1].step(prop(1, "x"))


def test_harness_transfer_votes_carry_the_force_context() -> None:
    """Guard for 14.4: a MsgTimeoutNow campaign marks its votes with CampaignTransfer."""
    r = new_raft(2, [1, 2, 3], hard_state=HardState(term=1))
    r.step(Message(type=M.MsgTimeoutNow, frm=1, to=2, term=1))
    assert {m.context for m in r.msgs if m.type == M.MsgVote} == {CAMPAIGN_TRANSFER}


def test_harness_network_is_deterministic() -> None:
    """Same seed, same randomized timeouts: the scenarios above never depend on luck."""
    one, two = Network(None, None, seed=7), Network(None, None, seed=7)
    assert [r.randomized_election_timeout for r in one.live()] == [
        r.randomized_election_timeout for r in two.live()
    ]
