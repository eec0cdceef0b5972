"""Stories: every Raft decision told in plain words, with the numbers its rule compared.

Each test plays a short script step by step (`auto-tick=false`: nothing happens unless a command
says so) through `raftviz run --level story` and asserts the exact line of the decision it
sets up: each reason a vote is refused, each way a leader steps down, a win with its tally, a
loss, the new leader's empty entry, a commit with its majority, an apply, a conflict, and the
steps of a leadership transfer.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from raftviz.commands.run import run_script
from raftviz.core.raft.messages import Entry
from raftviz.core.raft.unsafe import (
    ACCEPT_STALE_LEADER,
    COMMIT_OLD_TERMS,
    FORGET_VOTE,
    NO_LOG_CHECK,
)
from raftviz.core.sim.story import (
    Committed,
    CommitWaits,
    ElectionResult,
    EmptyEntry,
    Panicked,
    ProposalRefused,
    QuorumLost,
    StaleTerm,
    Story,
    Transfer,
    Vote,
    VoteForgotten,
    story_line,
    story_text,
)

T0 = "    0.000s "
"""Stepped scripts never move the clock: every line is at time 0."""


def stories(tmp_path: Path, script: str) -> list[str]:
    path = tmp_path / "story.raft"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    out = io.StringIO()
    code = run_script(str(path), as_json=False, seed=None, out=out, level="story")
    lines = out.getvalue().splitlines()
    assert code == 0, "\n".join(lines)
    return lines


def told(lines: list[str], *expected: str) -> None:
    """Every expected story is in `lines` (at time 0), in this order."""
    at = 0
    for text in expected:
        line = T0 + text
        assert line in lines[at:], f"missing or out of order:\n{line}\nin:\n" + "\n".join(lines)
        at = lines.index(line, at) + 1


ELECTION_3 = """\
    cluster nodes=3 auto-tick=false
    campaign 1
    stabilize
"""
"""S1 wins a pre-vote then an election (pre-vote and check-quorum on, etcd's recommendation)."""

OLD_STYLE_3 = """\
    cluster nodes=3 auto-tick=false prevote=false checkquorum=false
"""
"""Plain Raft elections: no pre-vote, no lease."""

BEHIND_CANDIDATE_3 = (
    OLD_STYLE_3
    + """\
    campaign 1
    stabilize
    isolate 3
    propose x=1
    stabilize
    rejoin 3
    campaign 3
    stabilize
"""
)
"""S3 missed S1's write while cut off, then campaigns: its log is behind S1's and S2's."""


# ------------------------------------------------------------------ election timer


def test_election_timer_fires_and_starts_a_pre_vote_without_changing_the_term(
    tmp_path: Path,
) -> None:
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false
        set-randomized-election-timeout 1 timeout=12
        tick 1 count=12
        """,
    )
    told(
        lines,
        "S1 timed out: its election timer fired after 12 ticks without a word from a leader "
        "(its randomized election timeout is 12 ticks), so it starts a pre-vote for term 1 "
        "without changing its term 0: it asks S2, S3 whether they would vote for its log "
        "(last term 0, index 0)",
    )


def test_election_timer_counts_ticks_against_a_lowered_timeout(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        OLD_STYLE_3
        + """\
        tick 2 count=5
        set-randomized-election-timeout 2 timeout=3
        tick 2
        """,
    )
    told(
        lines,
        "S2 timed out: its election timer fired after 6 ticks without a word from a leader "
        "(its randomized election timeout is 3 ticks), so it starts an election at term 1: "
        "it votes for itself and asks S1, S3 for their votes, with its log (last term 0, index 0)",
    )


# ------------------------------------------------------------------ votes granted, a win


def test_pre_vote_and_vote_granted_then_a_win_with_its_tally(tmp_path: Path) -> None:
    lines = stories(tmp_path, ELECTION_3)
    told(
        lines,
        "S1 was told to campaign (MsgHup), so it starts a pre-vote for term 1 without changing "
        "its term 0: it asks S2, S3 whether they would vote for its log (last term 0, index 0)",
        "S2 granted its pre-vote to S1 for term 1, a promise that changes nothing (S2 stays at "
        "term 0): term 1 is newer than its own, and S1's log (last term 0, index 0) is at least "
        "as up to date as S2's (last term 0, index 0)",
        "S1 won the pre-vote for term 1: 2 of 3 granted (S1, S2), 2 needed; no answer yet from S3",
        "S1 won its pre-vote, so it starts an election at term 1: it votes for itself and asks "
        "S2, S3 for their votes, with its log (last term 0, index 0)",
        "S2 moved from term 0 to term 1: it saw the newer term in a MsgVote from S1",
        "S2 granted its vote to S1 for term 1: it has neither voted nor heard from a leader in "
        "term 1, and S1's log (last term 0, index 0) is at least as up to date as S2's (last "
        "term 0, index 0)",
        "S1 won the election at term 1 and becomes its leader: 2 of 3 granted (S1, S2), 2 "
        "needed; no answer yet from S3",
    )


# ------------------------------------------------------------------ votes refused, a loss


def test_vote_refused_because_already_voted_and_the_loser_s_tally(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        OLD_STYLE_3
        + """\
        campaign 1
        campaign 2
        deliver-msgs 3
        stabilize
        """,
    )
    told(
        lines,
        "S3 granted its vote to S1 for term 1: it has neither voted nor heard from a leader in "
        "term 1, and S1's log (last term 0, index 0) is at least as up to date as S3's (last "
        "term 0, index 0)",
        "S3 refused its vote to S2 for term 1: it already voted for S1 in term 1",
        "S2 refused its vote to S1 for term 1: it already voted for itself in term 1 (it is "
        "campaigning)",
        "S1 won the election at term 1 and becomes its leader: 2 of 3 granted (S1, S3), 2 "
        "needed; no answer yet from S2",
        "S2 lost the election at term 1: 2 of 3 voters refused (S1, S3), so at most 1 vote can "
        "come, fewer than the 2 needed (granted only by S2); it becomes a follower at term 1",
    )


def test_vote_refused_because_the_candidate_s_log_is_behind(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        BEHIND_CANDIDATE_3,
    )
    told(
        lines,
        "S1 stepped down from leader to follower: it saw term 2 in a MsgVote from S3, newer "
        "than its term 1",
        "S1 refused its vote to S3 for term 2: S3's log (last term 1, index 1) is behind S1's "
        "(last term 1, index 2): same last term, but shorter",
        "S2 refused its vote to S3 for term 2: S3's log (last term 1, index 1) is behind S2's "
        "(last term 1, index 2): same last term, but shorter",
        "S3 lost the election at term 2: 2 of 3 voters refused (S1, S2), so at most 1 vote can "
        "come, fewer than the 2 needed (granted only by S3); it becomes a follower at term 2",
    )


def test_vote_ignored_under_the_leader_lease(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        tick 2 count=3
        campaign 3
        stabilize
        """,
    )
    told(
        lines,
        "S3 was told to campaign (MsgHup), so it starts a pre-vote for term 2 without changing "
        "its term 1: it asks S1, S2 whether they would vote for its log (last term 1, index 1)",
        "S1 ignored S3's pre-vote request for term 2: it is the leader of term 1 and, with "
        "check-quorum, a leader's lease holds while it hears from a majority, so it does not "
        "answer",
        "S2 ignored S3's pre-vote request for term 2: it heard from leader S1 3 ticks ago, "
        "within the election timeout of 10 ticks, so with check-quorum it trusts S1 is alive "
        "(the leader lease) and does not answer",
    )


def test_pre_vote_refused_for_a_stale_term(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false checkquorum=false
        isolate 3
        campaign 1
        stabilize
        campaign 2
        stabilize
        rejoin 3
        campaign 3
        stabilize
        """,
    )
    told(
        lines,
        "S3 was told to campaign (MsgHup), so it starts a pre-vote for term 1 without changing "
        "its term 0: it asks S1, S2 whether they would vote for its log (last term 0, index 0)",
        "S1 refused its pre-vote to S3 for term 1: that term is stale, S1 is already at term 2 "
        "(the refusal tells S3 so)",
        "S3 gave up its pre-vote and became a follower: it saw term 2 in S1's refusal of its "
        "pre-vote (MsgPreVoteResp), newer than its term 0",
    )


def test_vote_ignored_for_a_stale_term(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        OLD_STYLE_3
        + """\
        campaign 2
        campaign 2
        deliver-msgs 3
        campaign 1
        deliver-msgs 3
        """,
    )
    told(
        lines,
        "S3 moved from term 1 to term 2: it saw the newer term in a MsgVote from S2",
        "S3 ignored S1's vote request for term 1: that term is stale, S3 is already at term 2",
    )


# ------------------------------------------------------------------ stepping down


def test_candidate_steps_down_when_it_hears_from_the_leader_of_its_term(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        campaign 3
        tick 1
        stabilize
        """,
    )
    told(
        lines,
        "S3 gave up its pre-vote at term 1 and became a follower: S1 already leads term 1 (it "
        "sent a MsgHeartbeat)",
    )


def test_leader_steps_down_on_check_quorum(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        isolate 1
        tick 1 count=20
        """,
    )
    told(
        lines,
        "S1 stepped down from leader to follower at term 1 (check-quorum): during the last "
        "election timeout (10 ticks) it heard from only 1 of 3 voters (only itself), and a "
        "leader needs 2",
    )


def test_stale_leader_learns_the_new_term_and_steps_down(tmp_path: Path) -> None:
    # etcd answers a stale leader's heartbeat only with pre-vote or check-quorum on.
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false checkquorum=false
        campaign 1
        stabilize
        partition 1 | 2,3
        campaign 2
        stabilize
        heal
        tick 1
        stabilize
        """,
    )
    told(
        lines,
        "S2 ignored a MsgHeartbeat from S1, a leader of stale term 1, and answered with its own "
        "term 2, so that S1 learns it is no longer leader",
        "S1 stepped down from leader to follower: it saw term 2 in a MsgAppResp from S2, newer "
        "than its term 1",
    )


# ------------------------------------------------------------------ replication


def test_empty_entry_lets_an_earlier_entry_commit_through_it(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        OLD_STYLE_3
        + """\
        campaign 1
        stabilize
        propose x=1
        deliver-msgs 2
        crash 1
        campaign 2
        stabilize
        """,
    )
    told(
        lines,
        "S2 became leader of term 2 and appended an empty entry at index 3, term 2: a leader "
        "commits entries of earlier terms only through an entry of its own term (Raft §5.4.2, "
        "Figure 8); its earlier entry 2 will commit with it once it reaches a majority",
        "S2 committed entries 2-3 (commit index 1 -> 3): S2, S3 have index 3, a majority (2 of "
        "3, 2 needed), and entry 3 is of its own term 2",
    )


def test_client_request_appended_sent_committed_and_applied(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        propose x=1
        stabilize
        """,
    )
    told(
        lines,
        "S1 (leader of term 1) appended the client request x=1 at index 2, term 1, and sends it "
        "to its followers",
        "S1 sent entry 2 (term 1, x=1) to S2, to follow index 1 (term 1) where their logs must "
        "match; its commit index is 1",
        "S1 sent entry 2 (term 1, x=1) to S3, to follow index 1 (term 1) where their logs must "
        "match; its commit index is 1",
        "S1 committed entry 2 (commit index 1 -> 2): S1, S2 have index 2, a majority (2 of 3, 2 "
        "needed), and entry 2 is of its own term 1",
        "S1 applied the committed entry 2 (term 1, x=1): its key-value store now has x=1",
        "S2 learned from leader S1's MsgApp that entries up to index 2 are committed (its "
        "commit index was 1)",
        "S2 applied the committed entry 2 (term 1, x=1): its key-value store now has x=1",
    )


def test_client_requests_forwarded_and_dropped(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false
        propose 1 x=0
        campaign 1
        stabilize
        propose 2 y=2
        stabilize
        """,
    )
    told(
        lines,
        "S1 dropped the client request x=0: it knows no leader at term 0 to pass it to",
        "S2 forwarded the client request y=2 to leader S1: only the leader appends to the log",
        "S1 (leader of term 1) appended the client request y=2, forwarded by S2, at index 2, "
        "term 1, and sends it to its followers",
    )


def test_follower_overwrites_a_conflicting_entry(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        OLD_STYLE_3
        + """\
        campaign 1
        stabilize
        partition 1 | 2,3
        propose 1 lost=1
        stabilize
        campaign 2
        stabilize
        propose 2 x=2
        stabilize
        heal
        tick 2
        stabilize
        """,
    )
    told(
        lines,
        "S1 stepped down from leader to follower: it saw term 2 in a MsgHeartbeat from S2, "
        "newer than its term 1; S2 leads term 2",
        "S1 found a conflict at index 2: its entry there has term 1 but leader S2's has term 2, "
        "so it deleted its entry 2 (term 1, lost=1) and took S2's entries from index 2 on",
    )


# ------------------------------------------------------------------ leadership transfer


def test_transfer_to_an_up_to_date_follower(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        transfer-leadership from=1 to=3
        stabilize
        """,
    )
    told(
        lines,
        "S1 starts handing leadership of term 1 to S3: S3 already has its whole log (up to "
        "index 1), so S1 sends it MsgTimeoutNow at once",
        "S3 received MsgTimeoutNow from leader S1, so it starts an election at term 2 at once, "
        "without waiting for its timer and without a pre-vote: it votes for itself and asks S1, "
        "S2 for their votes, with its log (last term 1, index 1), marked as a leadership "
        "transfer so that voters set their leader lease aside",
        "S3 won the election at term 2 and becomes its leader: 2 of 3 granted (S1, S3), 2 "
        "needed; no answer yet from S2",
    )


def test_transfer_waits_for_the_transferee_to_catch_up(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        isolate 3
        propose x=1
        stabilize
        rejoin 3
        transfer-leadership from=1 to=3
        propose y=2
        transfer-leadership from=2 to=3
        stabilize
        tick 1
        stabilize
        """,
    )
    told(
        lines,
        "S1 starts handing leadership of term 1 to S3: S3 has only up to index 1 of 2, so S1 "
        "sends it the missing entries and waits for it to catch up, refusing new client "
        "requests meanwhile (for at most an election timeout, 10 ticks)",
        "S1 dropped the client request y=2: it is handing leadership to S3, and a leader in "
        "transfer takes no new entries",
        "S2 forwarded the request to hand leadership to S3 to its leader S1",
        "S3 rejected S1's append after index 2 (term 1): its log ends at index 1; it hints "
        "index 1 (term 1) so that S1 goes back to where their logs may match",
        "S1 ignored a repeated request to hand leadership to S3: it is under way",
        "S1 sent entry 2 (term 1, x=1) to S3, to follow index 1 (term 1) where their logs must "
        "match; its commit index is 2",
        "S1 sends MsgTimeoutNow to S3: S3 has caught up with its whole log (up to index 2), so "
        "it can campaign at once and win",
        "S3 received MsgTimeoutNow from leader S1, so it starts an election at term 2 at once, "
        "without waiting for its timer and without a pre-vote: it votes for itself and asks S1, "
        "S2 for their votes, with its log (last term 1, index 2), marked as a leadership "
        "transfer so that voters set their leader lease aside",
    )


def test_transfer_aborted_after_an_election_timeout(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false checkquorum=false
        campaign 1
        stabilize
        isolate 3
        transfer-leadership from=1 to=3
        tick 1 count=10
        propose x=1
        transfer-leadership from=1 to=1
        """,
    )
    told(
        lines,
        "S1 starts handing leadership of term 1 to S3: S3 already has its whole log (up to "
        "index 1), so S1 sends it MsgTimeoutNow at once",
        "S1 gave up handing leadership to S3: the transfer did not finish within an election "
        "timeout (10 ticks); S1 stays leader of term 1 and takes client requests again",
        "S1 (leader of term 1) appended the client request x=1 at index 2, term 1, and sends it "
        "to its followers",
        "S1 ignored a request to hand leadership to itself: it is already leader",
    )


def test_transfer_replaced_by_another_and_dropped_without_a_leader(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        """\
        cluster nodes=3 auto-tick=false
        transfer-leadership from=2 to=3
        campaign 1
        stabilize
        isolate 3
        propose x=1
        stabilize
        transfer-leadership from=1 to=3
        transfer-leadership from=1 to=2
        """,
    )
    told(
        lines,
        "S2 dropped a request to hand leadership to S3: it knows no leader at term 0",
        "S1 abandoned its transfer of leadership to S3: a new request asks it to hand "
        "leadership to S2",
        "S1 starts handing leadership of term 1 to S2: S2 already has its whole log (up to "
        "index 2), so S1 sends it MsgTimeoutNow at once",
    )


# ------------------------------------------------------------------ forget-leader


def test_forget_leader(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        forget-leader 2
        forget-leader 2
        forget-leader 1
        campaign 3
        stabilize
        """,
    )
    told(
        lines,
        "S2 forgot its leader S1 at term 1 (forget-leader): it stays a follower at term 1 "
        "without campaigning, but with no leader known it grants pre-votes at once instead of "
        "ignoring them under the leader lease; hearing from S1 again makes it follow S1 again",
        "S2 had no leader to forget at term 1 (forget-leader)",
        "S1 ignored forget-leader: it is the leader of term 1 itself",
        "S3 won the pre-vote for term 2: 2 of 3 granted (S2, S3), 2 needed; no answer yet from S1",
    )


# ------------------------------------------------------------------ decisions scripts rarely reach


@pytest.mark.parametrize(
    ("decision", "text"),
    [
        (
            # etcd's empty entry makes this nearly unreachable: it is what the entry prevents.
            CommitWaits(1, 4, 3, 2, 1, (1, 2, 3), (1, 2, 3, 4, 5)),
            "S1 does not commit index 3 yet although S1, S2, S3 have it, a majority of 5: entry 3 "
            "is of term 2, not its current term 4, and a leader commits only entries of its own "
            "term by counting replicas (Raft §5.4.2, Figure 8); its commit index stays 1",
        ),
        (
            Vote(3, 2, False, 5, 5, False, 4, 0, 3, 4, 2, 5, False, False),
            "S3 refused its vote to S2 for term 5: it already voted for S4 in term 5; and S2's "
            "log (last term 2, index 5) is behind S3's (last term 3, index 4): its last entry is "
            "of an older term",
        ),
        (
            Vote(3, 2, False, 5, 5, False, 0, 1, 3, 4, 3, 4, False, True),
            "S3 refused its vote to S2 for term 5: it already follows leader S1 in term 5",
        ),
        (
            QuorumLost(1, 4, (1, 3), (1, 2, 3, 4, 5), 10),
            "S1 stepped down from leader to follower at term 4 (check-quorum): during the last "
            "election timeout (10 ticks) it heard from only 2 of 5 voters (itself and S3), and a "
            "leader needs 3",
        ),
        (
            ElectionResult(2, True, 5, False, (2,), (1, 3, 4), (1, 2, 3, 4, 5)),
            "S2 lost the pre-vote for term 5: 3 of 5 voters refused (S1, S3, S4), so at most 2 "
            "votes can come, fewer than the 3 needed (granted only by S2); it becomes a follower "
            "at term 4",
        ),
        (
            StaleTerm(3, 1, "MsgAppResp", 2, 3, "ignored"),
            "S3 ignored a MsgAppResp from S1: its term 2 is stale, S3 is already at term 3",
        ),
        (
            ProposalRefused(2, "no-forwarding", 3, ("x=1",), lead=1),
            "S2 dropped the client request x=1: it does not forward requests to its leader S1 "
            "(proposal forwarding is off)",
        ),
        (
            Transfer(3, "ignored-timeout-now", 3, 2, lead=1),
            "S3 ignored MsgTimeoutNow from S1: it is not a follower (it is campaigning)",
        ),
    ],
)
def test_wording_of_rare_decisions(decision: object, text: str) -> None:
    assert story_text(decision) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("decision", "text"),
    [
        (
            Vote(2, 4, False, 2, 2, True, 0, 0, 1, 2, 1, 1, True, False, unsafe=NO_LOG_CHECK),
            "S2 granted its vote to S4 for term 2: it has neither voted nor heard from a leader "
            "in term 2, and it did not compare logs (unsafe: no-log-check), though S4's log "
            "(last term 1, index 1) is behind S2's (last term 1, index 2) and etcd would have "
            "refused",
        ),
        (
            # Refused for the vote it cast: its log, though ahead, did not count.
            Vote(3, 2, False, 5, 5, False, 4, 0, 3, 4, 2, 5, False, False, 0, False),
            "S3 refused its vote to S2 for term 5: it already voted for S4 in term 5",
        ),
        (
            EmptyEntry(1, 4, 0, 1, unsafe=COMMIT_OLD_TERMS),
            "S1 became leader of term 4 and appended no empty entry (unsafe: commit-old-terms): "
            "it commits entries of earlier terms by counting their replicas, so an entry of its "
            "own term is of no use to it",
        ),
        (
            Committed(1, 4, 1, 2, (1, 2, 3), (1, 2, 3, 4, 5), 2, unsafe=COMMIT_OLD_TERMS),
            "S1 committed entry 2 (commit index 1 -> 2): S1, S2, S3 have index 2, a majority (3 "
            "of 5, 3 needed), although entry 2 is of term 2, not its own term 4 (unsafe: "
            "commit-old-terms): etcd commits by counting replicas only entries of the leader's "
            "own term (Raft §5.4.2, Figure 8)",
        ),
        (
            VoteForgotten(2, 1, 1, unsafe=FORGET_VOTE),
            "S2 restarted at term 1 without its vote for S1: the vote was not kept on disk "
            "(unsafe: forget-vote), so in term 1 it may vote again, for anyone",
        ),
        (
            Vote(2, 3, False, 1, 1, True, 0, 0, 0, 0, 0, 0, True, True, 1, unsafe=FORGET_VOTE),
            "S2 granted its vote to S3 for term 1: it remembers no vote in term 1, though it "
            "voted for S1 before it restarted (unsafe: forget-vote), and S3's log (last term 0, "
            "index 0) is at least as up to date as S2's (last term 0, index 0)",
        ),
        (
            StaleTerm(4, 1, "MsgHeartbeat", 1, 2, "accepted", unsafe=ACCEPT_STALE_LEADER),
            "S4 accepted a MsgHeartbeat from S1, a leader of stale term 1, as if S1 still led (S4 "
            "is at term 2; unsafe: accept-stale-leader): etcd would not let a leader of an older "
            "term touch its log or its commit index",
        ),
        (
            Panicked(3, "tocommit(9) is out of range", unsafe=ACCEPT_STALE_LEADER),
            "S3 panicked and stopped, as etcd does rather than go on from a broken state: "
            "tocommit(9) is out of range; with a safety rule switched off (unsafe: "
            "accept-stale-leader), a leader asked it to do what its own log says cannot be",
        ),
    ],
)
def test_wording_of_decisions_an_unsafe_variant_changed(decision: object, text: str) -> None:
    assert story_text(decision) == text  # type: ignore[arg-type]


def test_user_data_cannot_drive_the_terminal() -> None:
    story = Story(0, 1, ProposalRefused(1, "no-leader", 0, ("k=\x1b[2J\u202e",)))
    assert story_line(story) == (
        "S1 dropped the client request k=\\x1b[2J\\u202e: it knows no leader at term 0 to pass "
        "it to"
    )
    assert story.node == 1 and story.kind == "proposal-refused" and story.path == ()


def test_long_entry_lists_are_cut_short() -> None:
    from raftviz.core.sim.story import AppendSent

    ents = tuple(Entry(2, i, f"k{i}=v") for i in range(3, 11))
    assert story_text(AppendSent(1, 2, 2, 2, 2, ents, 2)) == (
        "S1 sent entries 3-10 (term 2: k3=v, k4=v, k5=v, k6=v, k7=v, ... and 3 more) to S2, to "
        "follow index 2 (term 2) where their logs must match; its commit index is 2"
    )


def test_a_node_restarted_applies_its_committed_entries_again(tmp_path: Path) -> None:
    lines = stories(
        tmp_path,
        ELECTION_3
        + """\
        propose a=1
        propose b=2
        propose c=3
        propose d=4
        propose e=5
        propose f=6
        stabilize
        crash 3
        restart 3
        """,
    )
    told(
        lines,
        "S3 applied the committed entries 1-7 (term 1: empty, a=1, b=2, c=3, d=4, ... and 2 more)"
        ": its key-value store now has a=1, b=2, c=3, d=4, e=5, ... and 1 more",
    )
