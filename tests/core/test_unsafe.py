"""The unsafe variants: each switch changes exactly the decision it names, and says so.

Every test steps the same input into a node with the switch and into one without it: the two
must differ in that decision (and its record must name the switch), and agree everywhere else.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from raftviz.core.raft.decision import (
    Committed,
    CommitWaits,
    Decision,
    EmptyEntry,
    StaleTerm,
    Vote,
    VoteForgotten,
)
from raftviz.core.raft.logline import LogLine
from raftviz.core.raft.messages import NONE, HardState, Message, MsgType, StateType
from raftviz.core.raft.raft import Config, Raft
from raftviz.core.raft.unsafe import (
    ACCEPT_STALE_LEADER,
    COMMIT_OLD_TERMS,
    FORGET_VOTE,
    NO_LOG_CHECK,
    UNSAFE,
)
from tests.core.harness import entries_of, new_raft, persist, read_messages

M = MsgType


class Told(list[LogLine | Decision]):
    """A sink that keeps what a node says, with its decision records at hand (without their
    code paths, which tests/core/test_codepath.py asserts)."""

    def decisions(self, kind: type[Decision]) -> list[Decision]:
        return [replace(d, path=()) for d in self if isinstance(d, kind)]

    def unsafe(self) -> list[Decision]:
        return [d for d in self.decisions(Decision) if d.unsafe]


def test_unsafe_names_each_variant_with_a_one_line_description() -> None:
    assert list(UNSAFE) == [NO_LOG_CHECK, COMMIT_OLD_TERMS, FORGET_VOTE, ACCEPT_STALE_LEADER]
    for name, description in UNSAFE.items():
        assert name == name.lower() and " " not in name
        assert description and "\n" not in description


def test_an_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown unsafe variant no-log"):
        Raft(Config(id=1, voters=[1], unsafe=("no-log",)))


# ------------------------------------------------------------------ no-log-check


def voter(unsafe: tuple[str, ...] = (), vote: int = NONE) -> tuple[Raft, Told]:
    """Node 1 at term 1 with a log (1/1, 1/2): longer than a candidate ending at 1/1."""
    told = Told()
    r = new_raft(
        1,
        [1, 2, 3],
        entries=entries_of(1, 1),
        hard_state=HardState(term=1, vote=vote),
        unsafe=unsafe,
        sink=told.append,
    )
    return r, told


@pytest.mark.parametrize("request_type", [M.MsgVote, M.MsgPreVote])
def test_no_log_check_grants_a_vote_to_a_candidate_whose_log_is_behind(
    request_type: MsgType,
) -> None:
    behind = Message(type=request_type, frm=2, to=1, term=2, log_term=1, index=1)
    answers = {}
    for unsafe in ((), (NO_LOG_CHECK,)):
        r, told = voter(unsafe)
        r.step(behind)
        (answers[unsafe],) = read_messages(r)
        (vote,) = told.decisions(Vote)
        assert isinstance(vote, Vote)
        assert not vote.up_to_date  # the comparison is made, and recorded, either way
        assert vote.granted == bool(unsafe)
        assert vote.unsafe == (NO_LOG_CHECK if unsafe else "")
        assert told.unsafe() == ([vote] if unsafe else [])
    assert answers[()].reject and not answers[(NO_LOG_CHECK,)].reject


def test_no_log_check_still_refuses_a_second_vote_in_the_same_term() -> None:
    """The switch drops the log comparison only: one vote per term still holds."""
    r, told = voter((NO_LOG_CHECK,), vote=3)
    r.step(Message(type=M.MsgVote, frm=2, to=1, term=1, log_term=1, index=1))
    (answer,) = read_messages(r)
    assert answer.reject and r.vote == 3
    assert told.unsafe() == []
    (vote,) = told.decisions(Vote)
    assert isinstance(vote, Vote) and not vote.log_checked and not vote.up_to_date


def test_no_log_check_names_itself_only_where_it_changed_the_vote() -> None:
    r, told = voter((NO_LOG_CHECK,))
    r.step(Message(type=M.MsgVote, frm=2, to=1, term=2, log_term=1, index=2))
    (answer,) = read_messages(r)
    assert not answer.reject
    assert told.unsafe() == []


# ------------------------------------------------------------------ commit-old-terms


def leader_of_term_3(unsafe: tuple[str, ...]) -> tuple[Raft, Told]:
    """Node 1 of two, elected at term 3 with a log (1/1, 2/2) from earlier terms."""
    told = Told()
    r = new_raft(
        1,
        [1, 2],
        entries=entries_of(1, 2),
        hard_state=HardState(term=2),
        unsafe=unsafe,
        sink=told.append,
    )
    r.become_candidate()
    r.become_leader()
    read_messages(r)
    return r, told


def test_commit_old_terms_commits_an_entry_of_an_earlier_term_by_counting() -> None:
    ack = Message(type=M.MsgAppResp, frm=2, to=1, term=3, index=2)
    safe, safe_told = leader_of_term_3(())
    safe.step(ack)
    unsafe, unsafe_told = leader_of_term_3((COMMIT_OLD_TERMS,))
    unsafe.step(ack)
    # Both know a majority holds entry 2 (term 2); only the unsafe leader commits it.
    assert safe.raft_log.committed == 0
    assert [type(d) for d in safe_told.decisions(CommitWaits)] == [CommitWaits]
    assert unsafe.raft_log.committed == 2
    (commit,) = unsafe_told.decisions(Committed)
    assert commit == Committed(1, 3, 0, 2, (1, 2), (1, 2), 2, unsafe=COMMIT_OLD_TERMS)


def test_commit_old_terms_leader_appends_no_empty_entry() -> None:
    """etcd's empty entry exists for the current-term rule; while it stands, every append of a
    new leader carries it, so counting could never reach an older entry first."""
    safe, safe_told = leader_of_term_3(())
    unsafe, unsafe_told = leader_of_term_3((COMMIT_OLD_TERMS,))
    assert safe.raft_log.last_index() == 3 and safe.raft_log.last_term() == 3
    assert unsafe.raft_log.last_index() == 2 and unsafe.raft_log.last_term() == 2
    (empty,) = unsafe_told.decisions(EmptyEntry)
    assert empty == EmptyEntry(1, 3, 0, 0, unsafe=COMMIT_OLD_TERMS)
    assert safe_told.unsafe() == []


def test_commit_old_terms_commits_entries_of_its_own_term_as_etcd_does() -> None:
    r, told = leader_of_term_3((COMMIT_OLD_TERMS,))
    r.step(Message(type=M.MsgProp, frm=1, to=1, entries=(entries_of(0)[0],)))
    persist(r)
    read_messages(r)
    r.step(Message(type=M.MsgAppResp, frm=2, to=1, term=3, index=3))
    assert r.raft_log.committed == 3
    commits = told.decisions(Committed)
    assert [c.unsafe for c in commits if isinstance(c, Committed)] == [""]


# ------------------------------------------------------------------ forget-vote


def restarted(unsafe: tuple[str, ...]) -> tuple[Raft, Told]:
    """Node 1 restarting from a hard state: term 2, voted for 3."""
    told = Told()
    r = new_raft(1, [1, 2, 3], hard_state=HardState(2, 3), unsafe=unsafe, sink=told.append)
    return r, told


def test_forget_vote_restarts_without_the_vote() -> None:
    safe, safe_told = restarted(())
    unsafe, unsafe_told = restarted((FORGET_VOTE,))
    assert (safe.term, safe.vote) == (2, 3)
    assert (unsafe.term, unsafe.vote) == (2, NONE)
    assert unsafe_told.unsafe() == [VoteForgotten(1, 2, 3, unsafe=FORGET_VOTE)]
    assert safe_told.unsafe() == []


def test_forget_vote_lets_a_node_vote_twice_in_one_term() -> None:
    second = Message(type=M.MsgVote, frm=2, to=1, term=2)
    safe, _ = restarted(())
    safe.step(second)
    assert read_messages(safe)[0].reject
    unsafe, told = restarted((FORGET_VOTE,))
    unsafe.step(second)
    assert not read_messages(unsafe)[0].reject
    assert unsafe.vote == 2
    (vote,) = told.decisions(Vote)
    assert isinstance(vote, Vote) and vote.forgot == 3 and vote.unsafe == FORGET_VOTE


def test_forget_vote_names_itself_not_for_the_candidate_it_had_voted_for() -> None:
    r, told = restarted((FORGET_VOTE,))
    r.step(Message(type=M.MsgVote, frm=3, to=1, term=2))
    assert not read_messages(r)[0].reject
    assert told.unsafe() == [VoteForgotten(1, 2, 3, unsafe=FORGET_VOTE)]


# ------------------------------------------------------------------ accept-stale-leader


def follower_at_term_2(unsafe: tuple[str, ...], state: StateType) -> tuple[Raft, Told]:
    """Node 1 at term 2, log (1/1), as a follower or a candidate."""
    told = Told()
    r = new_raft(
        1,
        [1, 2, 3],
        entries=entries_of(1),
        hard_state=HardState(term=2),
        unsafe=unsafe,
        sink=told.append,
    )
    if state == StateType.StateCandidate:
        r.become_candidate()
    read_messages(r)
    told.clear()
    return r, told


STALE_APPEND = Message(
    type=M.MsgApp,
    frm=2,
    to=1,
    term=1,
    log_term=1,
    index=1,
    entries=tuple(entries_of(1, start=2, data="x=1")),
    commit=2,
)


def test_accept_stale_leader_takes_an_append_of_an_older_term() -> None:
    safe, _ = follower_at_term_2((), StateType.StateFollower)
    safe.step(STALE_APPEND)
    assert safe.raft_log.last_index() == 1 and safe.lead == NONE
    assert read_messages(safe) == []
    unsafe, told = follower_at_term_2((ACCEPT_STALE_LEADER,), StateType.StateFollower)
    unsafe.step(STALE_APPEND)
    assert unsafe.raft_log.last_index() == 2 and unsafe.raft_log.committed == 2
    assert (unsafe.term, unsafe.lead) == (2, 2)
    # Its answer carries its own term, as AppendEntries' reply does.
    assert read_messages(unsafe) == [Message(type=M.MsgAppResp, frm=1, to=2, term=2, index=2)]
    accepted = StaleTerm(1, 2, "MsgApp", 1, 2, "accepted", unsafe=ACCEPT_STALE_LEADER)
    assert told.unsafe() == [accepted]


def test_accept_stale_leader_takes_a_heartbeat_of_an_older_term() -> None:
    heartbeat = Message(type=M.MsgHeartbeat, frm=2, to=1, term=1, commit=1)
    unsafe, _ = follower_at_term_2((ACCEPT_STALE_LEADER,), StateType.StateFollower)
    unsafe.election_elapsed = 5
    unsafe.step(heartbeat)
    assert (unsafe.lead, unsafe.election_elapsed, unsafe.raft_log.committed) == (2, 0, 1)
    safe, _ = follower_at_term_2((), StateType.StateFollower)
    safe.election_elapsed = 5
    safe.step(heartbeat)
    assert (safe.lead, safe.election_elapsed, safe.raft_log.committed) == (NONE, 5, 0)


def test_accept_stale_leader_leaves_a_candidate_refusing_it() -> None:
    r, told = follower_at_term_2((ACCEPT_STALE_LEADER,), StateType.StateCandidate)
    r.step(STALE_APPEND)
    assert r.state == StateType.StateCandidate and r.raft_log.last_index() == 1
    assert told.unsafe() == []
