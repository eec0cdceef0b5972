"""Spec section 14.1: the Raft-paper scenarios of etcd's raft_paper_test.go, on raftviz's core.

Each test is named `test_sNN_...` after the scenario number in etcd-raft-spec.md.
"""

from __future__ import annotations

import pytest

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import NONE, Entry, HardState, Message, MsgType, StateType
from raftviz.core.raft.raft import Raft
from tests.core.harness import (
    DEAD,
    Network,
    append_entry,
    entries_of,
    hup,
    new_raft,
    persist,
    prop,
    read_messages,
)

M = MsgType
S = StateType


def _make(state: StateType, voters: list[int] | None = None) -> Raft:
    """Node 1 of a 3-node config in `state`: follower at term 1 (lead 2), else via campaigns."""
    r = new_raft(1, voters or [1, 2, 3])
    if state == S.StateFollower:
        r.become_follower(1, 2)
    elif state == S.StateCandidate:
        r.become_candidate()
    elif state == S.StateLeader:
        r.become_candidate()
        r.become_leader()
    return r


def _by_to(msgs: list[Message]) -> list[Message]:
    return sorted(msgs, key=lambda m: (m.to, m.type))


def accept_and_reply(m: Message) -> Message:
    """A follower's acceptance of MsgApp `m` (etcd's acceptAndReply)."""
    assert m.type == M.MsgApp
    return Message(
        type=M.MsgAppResp, frm=m.to, to=m.frm, term=m.term, index=m.index + len(m.entries)
    )


def commit_noop_entry(r: Raft) -> None:
    """Get a fresh leader's empty entry acknowledged, committed, persisted and applied."""
    assert r.state == S.StateLeader
    r._bcast_append()
    for m in read_messages(r):
        assert m.type == M.MsgApp and len(m.entries) == 1 and m.entries[0].data == ""
        r.step(accept_and_reply(m))
    read_messages(r)  # the appends that carry the new commit to the followers
    persist(r)
    r.raft_log.applied_to(r.raft_log.committed)


@pytest.mark.parametrize("state", [S.StateFollower, S.StateCandidate, S.StateLeader])
def test_s01_update_term_from_message(state: StateType) -> None:
    r = _make(state)
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=2))
    assert (r.state, r.term) == (S.StateFollower, 2)


def test_s02_reject_stale_term_message(monkeypatch: pytest.MonkeyPatch) -> None:
    r = new_raft(1, [1, 2, 3], hard_state=HardState(term=2))
    called: list[Message] = []
    for handler in ("_step_leader", "_step_follower", "_step_candidate"):
        monkeypatch.setattr(r, handler, called.append)
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=1))
    assert called == []
    # The fake handlers are reachable: a same-term message does get dispatched.
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=2))
    assert len(called) == 1


def test_s03_start_as_follower() -> None:
    r = new_raft(1, [1, 2, 3])
    assert (r.state, r.term, r.lead, r.vote) == (S.StateFollower, 0, NONE, NONE)


def test_s04_leader_bcast_beat() -> None:
    r = _make(S.StateLeader)
    append_entry(r, *[Entry(term=0, index=i + 1) for i in range(10)])
    r.tick()  # heartbeat timeout 1
    assert _by_to(read_messages(r)) == [
        Message(type=M.MsgHeartbeat, frm=1, to=2, term=1, commit=0),
        Message(type=M.MsgHeartbeat, frm=1, to=3, term=1, commit=0),
    ]


@pytest.mark.parametrize("state", [S.StateFollower, S.StateCandidate])
def test_s05_s06_nonleader_start_election(state: StateType) -> None:
    """Scenario 5 (follower starts election) and 6 (candidate starts a new one)."""
    r = _make(state)
    for _ in range(2 * 10 - 1):
        r.tick()
    read_messages_before = list(r.msgs)
    assert (r.term, r.state) == (2, S.StateCandidate)
    msgs = read_messages(r)  # delivers the deferred self-vote
    assert r.trk.votes == {1: True}
    assert _by_to(msgs) == [
        Message(type=M.MsgVote, frm=1, to=2, term=2, index=0, log_term=0),
        Message(type=M.MsgVote, frm=1, to=3, term=2, index=0, log_term=0),
    ]
    assert read_messages_before == msgs


_ONE_ROUND = [
    (1, {}, S.StateLeader),
    (3, {2: True, 3: True}, S.StateLeader),
    (3, {2: True}, S.StateLeader),
    (5, {2: True, 3: True, 4: True, 5: True}, S.StateLeader),
    (5, {2: True, 3: True, 4: True}, S.StateLeader),
    (5, {2: True, 3: True}, S.StateLeader),
    (3, {2: False, 3: False}, S.StateFollower),
    (5, {2: False, 3: False, 4: False, 5: False}, S.StateFollower),
    (5, {2: True, 3: False, 4: False, 5: False}, S.StateFollower),
    (3, {}, S.StateCandidate),
    (5, {2: True}, S.StateCandidate),
    (5, {2: False, 3: False}, S.StateCandidate),
    (5, {}, S.StateCandidate),
]


@pytest.mark.parametrize(("size", "votes", "want"), _ONE_ROUND)
def test_s07_leader_election_in_one_round(
    size: int, votes: dict[int, bool], want: StateType
) -> None:
    r = new_raft(1, range(1, size + 1))
    r.step(hup(1))
    read_messages(r)
    for id, granted in votes.items():
        r.step(Message(type=M.MsgVoteResp, frm=id, to=1, term=r.term, reject=not granted))
    assert (r.state, r.term) == (want, 1)


@pytest.mark.parametrize(
    ("vote", "nvote", "reject"),
    [(NONE, 2, False), (NONE, 3, False), (2, 2, False), (3, 3, False), (2, 3, True), (3, 2, True)],
)
def test_s08_follower_vote(vote: int, nvote: int, reject: bool) -> None:
    r = new_raft(1, [1, 2, 3], hard_state=HardState(term=1, vote=vote))
    r.election_elapsed = 3
    r.step(Message(type=M.MsgVote, frm=nvote, to=1, term=1))
    assert r.msgs_after_append == [
        Message(type=M.MsgVoteResp, frm=1, to=nvote, term=1, reject=reject)
    ]
    assert r.vote == (vote if reject else nvote)
    # Spec section 3: granting a real vote restarts the election timer; rejecting does not.
    assert r.election_elapsed == (3 if reject else 0)


@pytest.mark.parametrize("term", [1, 2])
def test_s09_candidate_fallback(term: int) -> None:
    r = new_raft(1, [1, 2, 3])
    r.step(hup(1))
    assert r.state == S.StateCandidate
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=term))
    assert (r.state, r.term, r.lead) == (S.StateFollower, term, 2)


@pytest.mark.parametrize("state", [S.StateFollower, S.StateCandidate])
def test_s10_election_timeout_randomized(state: StateType) -> None:
    et = 10
    r = new_raft(1, [1, 2, 3], et)
    timeouts: set[int] = set()
    for _ in range(50 * et):
        if state == S.StateFollower:
            r.become_follower(r.term + 1, 2)
        else:
            r.become_candidate()
        ticks = 0
        while not read_messages(r):
            r.tick()
            ticks += 1
        timeouts.add(ticks)
    assert timeouts == set(range(et, 2 * et))


@pytest.mark.parametrize("state", [S.StateFollower, S.StateCandidate])
def test_s11_election_timeouts_rarely_collide(state: StateType) -> None:
    ids = [1, 2, 3, 4, 5]
    nodes = [new_raft(id, ids, 10) for id in ids]
    conflicts = 0
    for _ in range(1000):
        for r in nodes:
            if state == S.StateFollower:
                r.become_follower(r.term + 1, NONE)
            else:
                r.become_candidate()
        fired = 0
        while fired == 0:
            for r in nodes:
                r.tick()
                if read_messages(r):
                    fired += 1
        if fired > 1:
            conflicts += 1
    assert conflicts / 1000 <= 0.3


def test_s12_leader_start_replication() -> None:
    r = _make(S.StateLeader)
    commit_noop_entry(r)
    li = r.raft_log.last_index()
    r.step(prop(1, "some data"))
    assert r.raft_log.last_index() == li + 1
    assert r.raft_log.committed == li
    want = (Entry(term=1, index=li + 1, data="some data"),)
    assert _by_to(read_messages(r)) == [
        Message(type=M.MsgApp, frm=1, to=to, term=1, index=li, log_term=1, entries=want, commit=li)
        for to in (2, 3)
    ]
    assert r.raft_log.unstable.next_entries() == list(want)


def test_s13_leader_commit_entry() -> None:
    r = _make(S.StateLeader)
    commit_noop_entry(r)
    li = r.raft_log.last_index()
    r.step(prop(1, "some data"))
    for m in read_messages(r):
        r.step(accept_and_reply(m))
    assert r.raft_log.committed == li + 1
    assert r.raft_log.next_committed_entries() == [Entry(term=1, index=li + 1, data="some data")]
    msgs = _by_to(read_messages(r))
    assert [(m.to, m.type, m.commit) for m in msgs] == [(to, M.MsgApp, li + 1) for to in (2, 3)]


@pytest.mark.parametrize(
    ("size", "acceptors", "committed"),
    [
        (1, set(), True),
        (3, set(), False),
        (3, {2}, True),
        (3, {2, 3}, True),
        (5, set(), False),
        (5, {2}, False),
        (5, {2, 3}, True),
        (5, {2, 3, 4}, True),
        (5, {2, 3, 4, 5}, True),
    ],
)
def test_s14_leader_acknowledge_commit(size: int, acceptors: set[int], committed: bool) -> None:
    r = _make(S.StateLeader, list(range(1, size + 1)))
    commit_noop_entry(r)
    li = r.raft_log.last_index()
    r.step(prop(1, "some data"))
    for m in read_messages(r):
        if m.to in acceptors:
            r.step(accept_and_reply(m))
    assert (r.raft_log.committed > li) == committed


@pytest.mark.parametrize(
    "prior", [[], entries_of(2), entries_of(1, 2), entries_of(1)], ids=["-", "2", "12", "1"]
)
def test_s15_leader_commit_preceding_entries(prior: list[Entry]) -> None:
    r = new_raft(1, [1, 2, 3], entries=prior, hard_state=HardState(term=2))
    r.become_candidate()
    r.become_leader()
    r.step(prop(1, "some data"))
    for m in read_messages(r):
        r.step(accept_and_reply(m))
    li = len(prior)
    assert r.raft_log.next_committed_entries() == [
        *prior,
        Entry(term=3, index=li + 1),
        Entry(term=3, index=li + 2, data="some data"),
    ]


@pytest.mark.parametrize(
    ("ents", "commit"),
    [
        ([Entry(1, 1, "some data")], 1),
        ([Entry(1, 1, "some data"), Entry(1, 2, "some data2")], 2),
        ([Entry(1, 1, "some data2"), Entry(1, 2, "some data")], 2),
        ([Entry(1, 1, "some data"), Entry(1, 2, "some data2")], 1),
    ],
)
def test_s16_follower_commit_entry(ents: list[Entry], commit: int) -> None:
    r = _make(S.StateFollower)
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=1, entries=tuple(ents), commit=commit))
    assert r.raft_log.committed == commit
    assert r.raft_log.next_committed_entries() == ents[:commit]


@pytest.mark.parametrize(
    ("log_term", "index", "windex", "reject", "hint", "hint_term"),
    [
        (0, 0, 1, False, 0, 0),  # anchored below the commit: reply with the commit index
        (1, 1, 1, False, 0, 0),
        (2, 2, 2, False, 0, 0),
        (1, 2, 2, True, 1, 1),  # mismatch with an existing entry
        (3, 3, 3, True, 2, 2),  # beyond the log
    ],
)
def test_s17_follower_check_msg_app(
    log_term: int, index: int, windex: int, reject: bool, hint: int, hint_term: int
) -> None:
    r = new_raft(1, [1, 2, 3], entries=entries_of(1, 2), hard_state=HardState(commit=1))
    r.become_follower(2, 2)
    r.step(Message(type=M.MsgApp, frm=2, to=1, term=2, log_term=log_term, index=index))
    want = Message(type=M.MsgAppResp, frm=1, to=2, term=2, index=windex)
    if reject:
        want = Message(
            type=M.MsgAppResp,
            frm=1,
            to=2,
            term=2,
            index=windex,
            reject=True,
            reject_hint=hint,
            log_term=hint_term,
        )
    assert read_messages(r) == [want]


@pytest.mark.parametrize(
    ("index", "term", "ents", "wterms", "wunstable"),
    [
        (2, 2, entries_of(3, start=3), [1, 2, 3], entries_of(3, start=3)),
        (1, 1, entries_of(3, 4, start=2), [1, 3, 4], entries_of(3, 4, start=2)),
        (0, 0, entries_of(1), [1, 2], []),
        (0, 0, entries_of(3), [3], entries_of(3)),
    ],
)
def test_s18_follower_append_entries(
    index: int, term: int, ents: list[Entry], wterms: list[int], wunstable: list[Entry]
) -> None:
    r = new_raft(1, [1, 2, 3], entries=entries_of(1, 2))
    r.become_follower(2, 2)
    r.step(
        Message(type=M.MsgApp, frm=2, to=1, term=2, log_term=term, index=index, entries=tuple(ents))
    )
    assert r.raft_log.all_entries() == entries_of(*wterms)
    assert r.raft_log.unstable.next_entries() == wunstable


_FIGURE_7 = [
    [1, 1, 1, 4, 4, 5, 5, 6, 6],
    [1, 1, 1, 4],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    [1, 1, 1, 4, 4, 4, 4],
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
]


@pytest.mark.parametrize("follower_terms", _FIGURE_7, ids="abcdef")
def test_s19_leader_sync_follower_log(follower_terms: list[int]) -> None:
    leader_terms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
    term = 8
    lead = new_raft(
        1,
        [1, 2, 3],
        entries=entries_of(*leader_terms),
        hard_state=HardState(term=term, commit=len(leader_terms)),
    )
    follower = new_raft(
        2, [1, 2, 3], entries=entries_of(*follower_terms), hard_state=HardState(term=term - 1)
    )
    # The follower may be more up to date than the leader: node 3 grants the decisive vote.
    n = Network(lead, follower, DEAD)
    n.send(hup(1))
    n.send(Message(type=M.MsgVoteResp, frm=3, to=1, term=term + 1))
    n.send(prop(1))
    assert lead.state == S.StateLeader
    assert follower.raft_log.all_entries() == lead.raft_log.all_entries()
    assert follower.raft_log.committed == lead.raft_log.committed == len(leader_terms) + 2


@pytest.mark.parametrize(("terms", "wterm"), [([1], 2), ([1, 2], 3)])
def test_s20_vote_request(terms: list[int], wterm: int) -> None:
    ents = entries_of(*terms)
    r = new_raft(1, [1, 2, 3])
    r.step(
        Message(
            type=M.MsgApp, frm=2, to=1, term=wterm - 1, log_term=0, index=0, entries=tuple(ents)
        )
    )
    read_messages(r)
    for _ in range(1, 2 * r.election_timeout):
        r.tick()
    last = ents[-1]
    assert _by_to(read_messages(r)) == [
        Message(type=M.MsgVote, frm=1, to=to, term=wterm, index=last.index, log_term=last.term)
        for to in (2, 3)
    ]


@pytest.mark.parametrize(
    ("terms", "log_term", "index", "reject"),
    [
        # same last term
        ([1], 1, 1, False),
        ([1], 1, 2, False),
        ([1, 1], 1, 1, True),
        # candidate has the higher last term
        ([1], 2, 1, False),
        ([1], 2, 2, False),
        ([1, 1], 2, 1, False),
        # voter has the higher last term
        ([2], 1, 1, True),
        ([2], 1, 2, True),
        ([2, 2], 1, 1, True),
        ([1, 1], 1, 1, True),
    ],
)
def test_s21_voter(terms: list[int], log_term: int, index: int, reject: bool) -> None:
    r = new_raft(1, [1, 2], entries=entries_of(*terms))
    r.step(Message(type=M.MsgVote, frm=2, to=1, term=3, log_term=log_term, index=index))
    assert read_messages(r) == [Message(type=M.MsgVoteResp, frm=1, to=2, term=3, reject=reject)]


@pytest.mark.parametrize(("index", "wcommit"), [(1, 0), (2, 0), (3, 3)])
def test_s22_leader_only_commits_log_from_current_term(index: int, wcommit: int) -> None:
    r = new_raft(1, [1, 2], entries=entries_of(1, 2), hard_state=HardState(term=2))
    r.become_candidate()
    r.become_leader()
    assert r.term == 3
    read_messages(r)
    r.step(prop(1))
    r.step(Message(type=M.MsgAppResp, frm=2, to=1, term=r.term, index=index))
    read_messages(r)
    assert r.raft_log.committed == wcommit


def test_harness_storage_is_isolated_per_node() -> None:
    """Guard for the helpers above: `new_raft` gives every node its own storage."""
    a, b = new_raft(1, [1, 2], entries=entries_of(1)), new_raft(2, [1, 2])
    assert isinstance(a.raft_log.storage, MemoryStorage)
    assert a.raft_log.storage is not b.raft_log.storage
    assert (a.raft_log.last_index(), b.raft_log.last_index()) == (1, 0)
