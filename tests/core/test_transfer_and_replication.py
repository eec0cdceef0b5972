"""Spec sections 14.4 and 14.5: leader transfer, commit and replication basics, from raft_test.go.

Each test is named `test_sNN_...` after the scenario number in etcd-raft-spec.md. Scenarios 68
(transfer after a snapshot: needs log compaction and snapshots) and 74 (transferee removed or
demoted: needs membership changes) are not re-expressed here.
"""

from __future__ import annotations

import pytest

from raftviz.core.raft.messages import NONE, Entry, HardState, Message, MsgType
from raftviz.core.raft.messages import StateType as S
from raftviz.core.raft.raft import ProposalDropped, Raft
from raftviz.core.raft.tracker import ProgressState
from tests.core.harness import (
    DEAD,
    Network,
    append_entry,
    beat,
    check_leader_transfer_state,
    entries_of,
    hup,
    new_raft,
    next_ents,
    prop,
    read_messages,
    set_randomized_election_timeout,
    transfer,
)

M = MsgType


def _elected(*peers: None) -> tuple[Network, Raft]:
    n = Network(*peers) if peers else Network(None, None, None)
    n.send(hup(1))
    assert n[1].lead == 1
    return n, n[1]


# ------------------------------------------------------------------------------ 14.4 transfer


def test_s64_leader_transfer_to_up_to_date_node() -> None:
    n, lead = _elected()
    n.send(transfer(2, to=1))
    check_leader_transfer_state(lead, S.StateFollower, 2)
    assert (n[2].state, n[2].term) == (S.StateLeader, 2)
    # After some replication, transfer back to 1 (the request is stepped on the leader 2).
    n.send(prop(1))
    n.send(transfer(1, to=2))
    check_leader_transfer_state(lead, S.StateLeader, 1)
    assert lead.term == 3


def test_s65_leader_transfer_to_up_to_date_node_from_follower() -> None:
    n, lead = _elected()
    n.send(transfer(2, to=2))  # stepped on the transferee, forwarded to the leader
    check_leader_transfer_state(lead, S.StateFollower, 2)
    n.send(prop(1))
    n.send(transfer(1, to=1))
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s66_leader_transfer_with_check_quorum() -> None:
    n = Network(None, None, None)
    for i in (1, 2, 3):
        n[i].check_quorum = True
        set_randomized_election_timeout(n[i], n[i].election_timeout + i)
    # Let node 2's election elapse, so that it can vote for node 1.
    for _ in range(n[2].election_timeout):
        n[2].tick()
    n.send(hup(1))
    lead = n[1]
    assert lead.lead == 1
    # Every follower is in its lease now; transfer votes bypass it.
    assert n[2].lead == n[3].lead == 1
    n.send(transfer(2, to=1))
    check_leader_transfer_state(lead, S.StateFollower, 2)
    n.send(prop(1))
    n.send(transfer(1, to=2))
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s67_leader_transfer_to_slow_follower() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(prop(1))
    n.recover()
    assert lead.trk.progress[3].match == 1
    seen: list[tuple[MsgType, int, int, bool]] = []

    def record(m: Message) -> bool:
        seen.append((m.type, m.frm, m.to, m.reject))
        return True

    n.msg_hook = record
    n.send(transfer(3, to=1))
    check_leader_transfer_state(lead, S.StateFollower, 3)
    assert n[3].state == S.StateLeader
    # The leader first catches 3 up; only 3's acknowledgement triggers MsgTimeoutNow.
    timeout_now = seen.index((M.MsgTimeoutNow, 1, 3, False))
    assert seen[0][:3] == (M.MsgApp, 1, 3)
    assert seen[timeout_now - 1] == (M.MsgAppResp, 3, 1, False)
    assert seen.count((M.MsgTimeoutNow, 1, 3, False)) == 1


def test_s69_leader_transfer_to_self() -> None:
    n, lead = _elected()
    n.send(transfer(1, to=1))
    check_leader_transfer_state(lead, S.StateLeader, 1)
    assert lead.term == 1


def test_s70_leader_transfer_to_non_existing_node() -> None:
    n, lead = _elected()
    n.send(transfer(4, to=1))
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s71_leader_transfer_timeout() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    for _ in range(lead.heartbeat_timeout):
        lead.tick()
    assert lead.lead_transferee == 3
    for _ in range(lead.election_timeout - lead.heartbeat_timeout - 1):
        lead.tick()
    assert lead.lead_transferee == 3  # one tick before the deadline
    lead.tick()
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s72_leader_transfer_ignore_proposal() -> None:
    n, lead = _elected()
    n.isolate(3)
    next_ents(lead)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    n.send(prop(1))
    assert n.dropped_proposals == [prop(1)]
    with pytest.raises(ProposalDropped):
        lead.step(prop(1))
    assert lead.trk.progress[1].match == 1
    assert lead.raft_log.last_index() == 1


def test_s73_leader_transfer_receive_higher_term_vote() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    # A MsgHup carrying term 2: node 2 first adopts term 2, then campaigns at term 3.
    n.send(Message(type=M.MsgHup, frm=2, to=2, index=1, term=2))
    check_leader_transfer_state(lead, S.StateFollower, 2)
    assert (n[2].state, n[2].term) == (S.StateLeader, 3)


def test_s75_leader_transfer_back() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    n.send(transfer(1, to=1))
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s76_leader_transfer_second_transfer_to_another_node() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    n.send(transfer(2, to=1))
    check_leader_transfer_state(lead, S.StateFollower, 2)


def test_s77_leader_transfer_second_transfer_to_same_node() -> None:
    n, lead = _elected()
    n.isolate(3)
    n.send(transfer(3, to=1))
    assert lead.lead_transferee == 3
    for _ in range(lead.heartbeat_timeout):
        lead.tick()
    n.send(transfer(3, to=1))  # ignored: it does not extend the deadline
    assert lead.lead_transferee == 3
    for _ in range(lead.election_timeout - lead.heartbeat_timeout):
        lead.tick()
    check_leader_transfer_state(lead, S.StateLeader, 1)


def test_s78_transfer_non_member() -> None:
    r = new_raft(1, [2, 3, 4], 5)
    r.step(Message(type=M.MsgTimeoutNow, frm=2, to=1))
    r.step(Message(type=M.MsgVoteResp, frm=2, to=1))
    r.step(Message(type=M.MsgVoteResp, frm=3, to=1))
    assert (r.state, r.term, r.msgs) == (S.StateFollower, 0, [])


# ------------------------------------------------------------------------------ 14.5 replication


def _data_entries(r: Raft) -> list[str]:
    return [e.data for e in next_ents(r) if e.data]


@pytest.mark.parametrize(
    ("msgs", "wcommitted"),
    [
        ([prop(1, "somedata")], 2),
        ([prop(1, "somedata"), Message(type=M.MsgHup, frm=1, to=2), prop(2, "somedata2")], 4),
    ],
)
def test_s79_log_replication(msgs: list[Message], wcommitted: int) -> None:
    n = Network(None, None, None)
    n.send(hup(1))
    for m in msgs:
        n.send(m)
    proposed = [e.data for m in msgs if m.type == M.MsgProp for e in m.entries]
    for r in n.live():
        assert r.raft_log.committed == wcommitted, r.id
        assert _data_entries(r) == proposed, r.id
        assert r.raft_log.applied == wcommitted, r.id


def test_s80_single_node_commit() -> None:
    n = Network(None)
    n.send(hup(1))
    n.send(prop(1, "some data"))
    n.send(prop(1, "some data"))
    assert n[1].raft_log.committed == 3


def test_s81_cannot_commit_without_new_term_entry() -> None:
    n = Network(None, None, None, None, None)
    n.send(hup(1))
    for other in (3, 4, 5):
        n.cut(1, other)
    n.send(prop(1, "some data"))
    n.send(prop(1, "some data"))
    assert n[1].raft_log.committed == 1
    n.recover()
    n.ignore(M.MsgApp)  # keep 2's empty entry of term 2 from being replicated
    n.send(hup(2))
    leader = n[2]
    assert (leader.state, leader.term) == (S.StateLeader, 2)
    assert leader.raft_log.committed == 1  # term-1 entries are not committed by counting
    n.recover()
    n.send(beat(2))
    n.send(prop(2, "some data"))
    assert leader.raft_log.committed == 5


def test_s82_commit_without_new_term_entry() -> None:
    n = Network(None, None, None, None, None)
    n.send(hup(1))
    for other in (3, 4, 5):
        n.cut(1, other)
    n.send(prop(1, "some data"))
    n.send(prop(1, "some data"))
    assert n[1].raft_log.committed == 1
    n.recover()
    # 2's empty entry at index 4 reaches a quorum and commits everything before it.
    n.send(hup(2))
    assert n[1].raft_log.committed == 4
    assert n[2].raft_log.committed == 4


_COMMIT = [
    # single
    ([1], [1], 1, 1),
    ([1], [1], 2, 0),
    ([2], [1, 2], 2, 2),
    ([1], [2], 2, 1),
    # odd
    ([2, 1, 1], [1, 2], 1, 1),
    ([2, 1, 1], [1, 1], 2, 0),
    ([2, 1, 2], [1, 2], 2, 2),
    ([2, 1, 2], [1, 1], 2, 0),
    # even
    ([2, 1, 1, 1], [1, 2], 1, 1),
    ([2, 1, 1, 1], [1, 1], 2, 0),
    ([2, 1, 1, 2], [1, 2], 1, 1),
    ([2, 1, 1, 2], [1, 1], 2, 0),
    ([2, 1, 2, 2], [1, 2], 2, 2),
    ([2, 1, 2, 2], [1, 1], 2, 0),
]


@pytest.mark.parametrize(("matches", "terms", "term", "want"), _COMMIT)
def test_s83_commit(matches: list[int], terms: list[int], term: int, want: int) -> None:
    r = new_raft(
        1, range(1, len(matches) + 1), 10, 2, entries=entries_of(*terms), hard_state=HardState(term)
    )
    for id, match in enumerate(matches, start=1):
        pr = r.trk.progress[id]
        pr.match, pr.next = match, match + 1
    r._maybe_commit()
    assert r.raft_log.committed == want


def _app(
    term: int, log_term: int, index: int, commit: int, ents: tuple[Entry, ...] = ()
) -> Message:
    return Message(
        type=M.MsgApp, frm=2, to=1, term=term, log_term=log_term, index=index, commit=commit,
        entries=ents,
    )  # fmt: skip


_HANDLE_MSG_APP = [
    # a missing or mismatching anchor is rejected
    (_app(2, 3, 2, 3), 2, 0, True),
    (_app(2, 3, 3, 3), 2, 0, True),
    # conflicting entries are replaced, new ones appended
    (_app(2, 1, 1, 1), 2, 1, False),
    (_app(2, 0, 0, 1, (Entry(2, 1),)), 1, 1, False),
    (_app(2, 2, 2, 3, (Entry(2, 3), Entry(2, 4))), 4, 3, False),
    (_app(2, 2, 2, 4, (Entry(2, 3),)), 3, 3, False),
    (_app(2, 1, 1, 4, (Entry(2, 2),)), 2, 2, False),
    # the commit never passes the last new entry
    (_app(1, 1, 1, 3), 2, 1, False),
    (_app(1, 1, 1, 3, (Entry(2, 2),)), 2, 2, False),
    (_app(2, 2, 2, 3), 2, 2, False),
    (_app(2, 2, 2, 4), 2, 2, False),
]


@pytest.mark.parametrize(("m", "windex", "wcommit", "wreject"), _HANDLE_MSG_APP)
def test_s84_handle_msg_app(m: Message, windex: int, wcommit: int, wreject: bool) -> None:
    r = new_raft(1, [1], entries=entries_of(1, 2))
    r.become_follower(2, NONE)
    r._handle_append_entries(m)
    assert r.raft_log.last_index() == windex
    assert r.raft_log.committed == wcommit
    msgs = read_messages(r)
    assert [(x.type, x.reject) for x in msgs] == [(M.MsgAppResp, wreject)]
    if wreject:
        assert r.raft_log.all_entries() == entries_of(1, 2)


@pytest.mark.parametrize(("commit", "wcommit"), [(3, 3), (1, 2)])
def test_s85_handle_heartbeat(commit: int, wcommit: int) -> None:
    r = new_raft(1, [1, 2], 5, entries=entries_of(1, 2, 3))
    r.become_follower(2, 2)
    r.raft_log.commit_to(2)
    r._handle_heartbeat(Message(type=M.MsgHeartbeat, frm=2, to=1, term=2, commit=commit))
    assert r.raft_log.committed == wcommit
    assert read_messages(r) == [Message(type=M.MsgHeartbeatResp, frm=1, to=2, term=2)]


def test_s86_handle_heartbeat_resp() -> None:
    r = new_raft(1, [1, 2], 5, entries=entries_of(1, 2, 3))
    r.become_candidate()
    r.become_leader()
    r.raft_log.commit_to(r.raft_log.last_index())
    # A lagging follower's heartbeat response: re-send the entries it misses.
    r.step(Message(type=M.MsgHeartbeatResp, frm=2, to=1))
    msgs = read_messages(r)
    assert [m.type for m in msgs] == [M.MsgApp]
    r.step(Message(type=M.MsgHeartbeatResp, frm=2, to=1))
    msgs = read_messages(r)
    assert [m.type for m in msgs] == [M.MsgApp]
    # Once it acknowledged everything, heartbeat responses trigger nothing.
    r.step(Message(type=M.MsgAppResp, frm=2, to=1, index=msgs[0].index + len(msgs[0].entries)))
    read_messages(r)
    r.step(Message(type=M.MsgHeartbeatResp, frm=2, to=1))
    assert read_messages(r) == []


def test_s87_msg_app_resp_wait_reset() -> None:
    r = new_raft(1, [1, 2, 3], 5)
    r.become_candidate()
    r.become_leader()
    next_ents(r)  # persists the empty entry and counts the leader's own acknowledgement
    r.step(Message(type=M.MsgAppResp, frm=2, to=1, index=1))
    assert r.raft_log.committed == 1
    assert r.trk.progress[2].state == ProgressState.StateReplicate
    # The commit broadcast probes 3, which pauses it.
    msgs = read_messages(r)
    assert [(m.to, len(m.entries)) for m in msgs] == [(2, 0), (3, 1)]
    assert r.trk.progress[3].is_paused()
    r.step(prop(1))
    msgs = read_messages(r)
    assert [(m.type, m.to, [e.index for e in m.entries]) for m in msgs] == [(M.MsgApp, 2, [2])]
    # 3 acknowledges the first entry: it leaves the wait and entry 2 is sent to it.
    r.step(Message(type=M.MsgAppResp, frm=3, to=1, index=1))
    msgs = read_messages(r)
    assert [(m.type, m.to, [e.index for e in m.entries]) for m in msgs] == [(M.MsgApp, 3, [2])]
    assert r.trk.progress[3].state == ProgressState.StateReplicate


@pytest.mark.parametrize(
    ("index", "reject", "wmatch", "wnext", "wmsgs", "windex", "wcommit"),
    [
        (3, True, 0, 3, 0, 0, 0),  # stale rejection: nothing happens
        (2, True, 0, 2, 1, 1, 0),  # rejection: next decreases, one probe from index 1
        (2, False, 2, 4, 2, 2, 2),  # acceptance: commit 2 and broadcast it
        (0, False, 0, 4, 1, 0, 0),  # match == index while probing: replicate from index 0
    ],
)
def test_s88_leader_app_resp(
    index: int, reject: bool, wmatch: int, wnext: int, wmsgs: int, windex: int, wcommit: int
) -> None:
    r = new_raft(1, [1, 2, 3], entries=entries_of(1, 1))
    r.become_candidate()
    r.become_leader()
    read_messages(r)
    assert (r.trk.progress[2].match, r.trk.progress[2].next) == (0, 3)
    r.step(
        Message(
            type=M.MsgAppResp, frm=2, to=1, term=r.term, index=index, reject=reject,
            reject_hint=index,
        )
    )  # fmt: skip
    pr = r.trk.progress[2]
    assert (pr.match, pr.next) == (wmatch, wnext)
    msgs = read_messages(r)
    assert len(msgs) == wmsgs
    assert all((m.type, m.index, m.commit) == (M.MsgApp, windex, wcommit) for m in msgs)


def test_s89_bcast_beat() -> None:
    offset = 1000
    r = new_raft(1, [1, 2, 3], snapshot=(offset, 1))
    r.term = 1
    r.become_candidate()
    r.become_leader()
    append_entry(r, *[Entry(term=0, index=i + 1) for i in range(10)])
    read_messages(r)
    slow, normal = r.trk.progress[2], r.trk.progress[3]
    slow.match, slow.next = 5, 6
    normal.match, normal.next = r.raft_log.last_index(), r.raft_log.last_index() + 1
    r.step(Message(type=M.MsgBeat))
    msgs = read_messages(r)
    committed = r.raft_log.committed
    assert sorted(msgs, key=lambda m: m.to) == [
        Message(type=M.MsgHeartbeat, frm=1, to=2, term=2, commit=min(committed, 5)),
        Message(type=M.MsgHeartbeat, frm=1, to=3, term=2, commit=min(committed, normal.match)),
    ]
    assert [m.commit for m in sorted(msgs, key=lambda m: m.to)] == [5, offset]


@pytest.mark.parametrize(
    ("state", "wmsgs"), [(S.StateLeader, 2), (S.StateCandidate, 0), (S.StateFollower, 0)]
)
def test_s89_recv_msg_beat(state: S, wmsgs: int) -> None:
    r = new_raft(1, [1, 2, 3], entries=entries_of(1, 1))
    r.term = 1
    r.state = state
    r.step(beat(1))
    msgs = read_messages(r)
    assert [m.type for m in msgs] == [M.MsgHeartbeat] * wmsgs


def _two_node_leader() -> Raft:
    r = new_raft(1, [1, 2])
    r.become_candidate()
    r.become_leader()
    read_messages(r)
    return r


def test_s90_send_append_for_progress_probe() -> None:
    r = _two_node_leader()
    pr = r.trk.progress[2]
    pr.become_probe()
    for round in range(3):
        if round == 0:
            # Only the first append goes out; then the follower is paused until a
            # heartbeat response arrives.
            append_entry(r, Entry(0, 0, "somedata"))
            r._send_append(2)
            msgs = read_messages(r)
            assert [(m.type, m.index) for m in msgs] == [(M.MsgApp, 0)]
        assert pr.msg_app_flow_paused
        for _ in range(10):
            append_entry(r, Entry(0, 0, "somedata"))
            r._send_append(2)
            assert read_messages(r) == []
        for _ in range(r.heartbeat_timeout):
            r.step(beat(1))
        assert pr.msg_app_flow_paused
        assert [m.type for m in read_messages(r)] == [M.MsgHeartbeat]
    # A heartbeat response lets one more append go out.
    r.step(Message(type=M.MsgHeartbeatResp, frm=2, to=1))
    msgs = read_messages(r)
    assert [(m.type, m.index) for m in msgs] == [(M.MsgApp, 0)]
    assert pr.msg_app_flow_paused


def test_s90_send_append_for_progress_replicate() -> None:
    r = _two_node_leader()
    r.trk.progress[2].become_replicate()
    for _ in range(10):
        append_entry(r, Entry(0, 0, "somedata"))
        r._send_append(2)
        assert len(read_messages(r)) == 1


def test_s90_send_append_for_progress_snapshot() -> None:
    r = _two_node_leader()
    pr = r.trk.progress[2]
    pr.state, pr.pending_snapshot = ProgressState.StateSnapshot, 10
    for _ in range(10):
        append_entry(r, Entry(0, 0, "somedata"))
        r._send_append(2)
        assert read_messages(r) == []


_FAST_REJECTION = [
    # The leader finds the conflict quickly: (index 7, term 4) then (3, 2).
    ([1, 2, 2, 4, 4, 4, 4], [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], 3, 7, 2, 3),
    # (8, 5) then (4, 3).
    ([1, 2, 2, 3, 4, 4, 4, 5], [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], 3, 8, 3, 4),
    # The follower finds the conflict quickly: (4, 1) then (1, 1).
    ([1, 1, 1, 1], [1, 2, 2, 4], 1, 1, 1, 1),
    # Same, with a longer uncommitted tail on the leader: (6, 1) then (1, 1).
    ([1, 1, 1, 1, 1, 1], [1, 2, 2, 4], 1, 1, 1, 1),
    # Same, with a longer uncommitted tail on the follower.
    ([1, 1, 1, 1], [1, 2, 2, 4, 4, 4], 1, 1, 1, 1),
    # No conflict at all: (5, 5) then (4, 4).
    ([1, 1, 1, 4, 5], [1, 1, 1, 4], 4, 4, 4, 4),
    # The example in stepLeader's comment (on the leader).
    ([2, 5, 5, 5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], 4, 6, 2, 1),
    # The example in handleAppendEntries' comment (on the follower).
    ([2, 2, 2, 2, 2], [2, 4, 4, 4, 4, 4, 4, 4], 2, 1, 2, 1),
]


@pytest.mark.parametrize(
    ("leader", "follower", "hint_term", "hint_index", "next_term", "next_index"), _FAST_REJECTION
)
def test_s91_fast_log_rejection(
    leader: list[int],
    follower: list[int],
    hint_term: int,
    hint_index: int,
    next_term: int,
    next_index: int,
) -> None:
    last_term, last_index = leader[-1], len(leader)
    n1 = new_raft(
        1,
        [1, 2, 3],
        entries=entries_of(*leader),
        hard_state=HardState(term=last_term - 1, commit=last_index),
    )
    n1.become_candidate()  # bumps the term to the last entry's
    n1.become_leader()
    n2 = new_raft(
        2, [1, 2, 3], entries=entries_of(*follower), hard_state=HardState(term=last_term, vote=1)
    )
    n2.step(Message(type=M.MsgHeartbeat, frm=1, to=2))
    msgs = read_messages(n2)
    assert [m.type for m in msgs] == [M.MsgHeartbeatResp]
    n1.step(msgs[0])
    msgs = read_messages(n1)
    assert [m.type for m in msgs] == [M.MsgApp]
    n2.step(msgs[0])
    msgs = read_messages(n2)
    assert [(m.type, m.reject) for m in msgs] == [(M.MsgAppResp, True)]
    assert (msgs[0].log_term, msgs[0].reject_hint) == (hint_term, hint_index)
    n1.step(msgs[0])
    msgs = read_messages(n1)
    assert (msgs[0].log_term, msgs[0].index) == (next_term, next_index)


def test_harness_dead_peers_and_filters() -> None:
    """Guard for the network itself: dead peers, cut links and ignored types drop messages."""
    n = Network(None, None, DEAD)
    n.ignore(M.MsgApp)
    n.send(hup(1))
    assert n[1].state == S.StateLeader
    assert n[2].raft_log.last_index() == 0  # the MsgApp was ignored
    n.recover()
    n.cut(1, 2)
    n.send(prop(1, "x"))
    assert (n[1].raft_log.last_index(), n[2].raft_log.last_index()) == (2, 0)
    n.recover()
    n.send(beat(1))
    assert n[2].raft_log.last_index() == 2
    assert n[2].raft_log.storage.last_index() == 2  # the network persisted it
