"""Code paths: each story names the steps of etcd/raft's code that took its decision.

Each test plays a short script step by step (`auto-tick=false`: nothing happens unless a command
says so) and asserts the exact path of the decision it sets up, one test per place where etcd
decides: the two tick functions, hup and campaign of each kind, Step's term checks, the vote,
stepCandidate's poll and its three outcomes, the become* transitions, the leader's empty entry
and bcastAppend, stepLeader's MsgAppResp up to maybeCommit, checkQuorum and MsgTimeoutNow. The
last test walks the whole story of one election, path by path.
"""

from __future__ import annotations

import textwrap

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import parse_script
from raftviz.core.sim.story import Story
from tests.sim.test_story import BEHIND_CANDIDATE_3, ELECTION_3, OLD_STYLE_3


def stories_of(script: str) -> list[Story]:
    """Every story of the script's run, in order."""
    parsed = parse_script(textwrap.dedent(script), "paths.raft")
    executor = Executor(parsed.cluster, stories=True)
    for located in parsed.commands:
        assert executor.run(located.command, located.line), executor.failures
    return [e for e in executor.cluster.drain() if type(e) is Story]


def path_of(stories: list[Story], kind: str, node: int, nth: int = 0) -> tuple[str, ...]:
    """The path of node's `nth` story of `kind`."""
    found = [s for s in stories if s.kind == kind and s.node == node]
    assert len(found) > nth, f"no {kind} #{nth} of S{node} among {[s.kind for s in stories]}"
    return found[nth].path


TIMER_ELECTION_3 = """\
    cluster nodes=3 auto-tick=false
    set-randomized-election-timeout 1 timeout=12
    tick 1 count=12
    stabilize
"""
"""S1's timer fires: pre-vote, election, leader, its empty entry committed (seed 1)."""

CAMPAIGN_PRE_ELECTION = (
    "campaign(campaignPreElection): becomePreCandidate, then ask for Term r.Term + 1 = 1",
    "becomePreCandidate: Term stays 0, Vote kept, lead = None, votes cleared (a pre-vote "
    "changes nothing durable)",
    "campaign: send MsgPreVote to 2, 3 (Term 1, LogTerm 0, Index 0)",
    "campaign: own MsgPreVoteResp (granted, Term 1) to msgsAfterAppend: it counts once persisted",
)
PRE_VOTE_GATE = (
    "Step: m.Term 1 > r.Term 0, MsgPreVoteResp -> no step-down (a granted pre-vote carries the "
    "asked-for term)"
)
PRE_VOTE_WON = (
    PRE_VOTE_GATE,
    "stepCandidate (StatePreCandidate): MsgPreVoteResp is myVoteRespType -> poll",
    "poll: recordVote(2, granted); tallyVotes: granted 2, rejected 0 of 3 voters (quorum 2)",
    "VoteWon, StatePreCandidate -> campaign(campaignElection)",
)
VOTE_WON = (
    "Step: m.Term 1 == r.Term 1 -> stepCandidate",
    "stepCandidate (StateCandidate): MsgVoteResp is myVoteRespType -> poll",
    "poll: recordVote(2, granted); tallyVotes: granted 2, rejected 0 of 3 voters (quorum 2)",
    "VoteWon, StateCandidate -> becomeLeader, then bcastAppend",
)
CAMPAIGN_ELECTION = (
    "campaign(campaignElection): becomeCandidate, then ask for its new Term 1",
    "becomeCandidate: reset(r.Term + 1), then Vote = 1 (itself)",
    "reset(1): Term 0 -> 1, Vote = None, lead = None, electionElapsed = 0, "
    "randomizedElectionTimeout = 17, votes and progress reset",
    "campaign: send MsgVote to 2, 3 (Term 1, LogTerm 0, Index 0)",
    "campaign: own MsgVoteResp (granted, Term 1) to msgsAfterAppend: it counts once persisted",
)
EMPTY_ENTRY = (
    *VOTE_WON,
    "becomeLeader: reset(r.Term), then lead = 1 (itself), own progress StateReplicate",
    "reset(1): lead = None, electionElapsed = 0, randomizedElectionTimeout = 14, votes and "
    "progress reset",
    "appendEntry(empty entry): Index 1, Term 1; own MsgAppResp to msgsAfterAppend; "
    "committed stays 0",
    "bcastAppend: sendAppend to 2, 3",
)
COMMITTED = (
    "stepLeader: MsgAppResp from 2, Index 1, accepted",
    "pr.MaybeUpdate(1): Match now 1, progress StateReplicate",
    "maybeCommit: trk.Committed() = 1: 1, 2 have it, 2 of 3 (quorum 2)",
    "raftLog.maybeCommit(1, term 1): 1 > committed 0 and term(1) == r.Term -> commitTo(1)",
    "bcastAppend: the followers learn the new commit index",
)
TIMER_CAMPAIGN = (
    "tickElection: electionElapsed 12 >= randomizedElectionTimeout 12, promotable -> "
    "electionElapsed = 0, Step(MsgHup)",
    "Step: MsgHup (local, term 0) -> hup(campaignPreElection)",
    "hup: StateFollower, not leader, promotable -> campaign(campaignPreElection)",
    *CAMPAIGN_PRE_ELECTION,
)
MSG_VOTE_GATE = (
    "Step: m.Term 1 > r.Term 0, MsgVote (inLease false: lead None) -> becomeFollower(1, None)"
)


def pre_vote_granted() -> tuple[str, ...]:
    return (
        "Step: m.Term 1 > r.Term 0, MsgPreVote (inLease false: lead None) -> no step-down (a "
        "pre-vote asks for a future term)",
        "Step: case MsgPreVote from 1",
        "canVote true: r.Vote None and r.lead None",
        "raftLog.isUpToDate: candidate (LogTerm 0, Index 0) vs own (lastTerm 0, lastIndex 0) "
        "-> true",
        "grant: send MsgPreVoteResp (Term 1); nothing changes locally",
    )


def vote_granted() -> tuple[str, ...]:
    return (
        MSG_VOTE_GATE,
        "Step: case MsgVote from 1",
        "canVote true: r.Vote None and r.lead None",
        "raftLog.isUpToDate: candidate (LogTerm 0, Index 0) vs own (lastTerm 0, lastIndex 0) "
        "-> true",
        "grant: send MsgVoteResp (Term 1); electionElapsed = 0, Vote = 1",
    )


def stepped_down(timeout: int) -> tuple[str, ...]:
    return (
        MSG_VOTE_GATE,
        "becomeFollower(1, None): reset(term), then lead = None (no leader known)",
        "reset(1): Term 0 -> 1, Vote = None, lead = None, electionElapsed = 0, "
        f"randomizedElectionTimeout = {timeout}, votes and progress reset",
    )


# ------------------------------------------------------------------ ticks, hup and campaign


def test_tick_election_fires_hup_and_a_pre_election_campaign() -> None:
    assert path_of(stories_of(TIMER_ELECTION_3), "campaign", 1) == TIMER_CAMPAIGN


def test_hup_told_to_campaign_starts_a_pre_election() -> None:
    assert path_of(stories_of(ELECTION_3), "campaign", 1) == (
        "Step: MsgHup (local, term 0) -> hup(campaignPreElection)",
        "hup: StateFollower, not leader, promotable -> campaign(campaignPreElection)",
        *CAMPAIGN_PRE_ELECTION,
    )


def test_hup_without_pre_vote_starts_an_election_and_becomes_candidate() -> None:
    assert path_of(stories_of(OLD_STYLE_3 + "    campaign 1\n"), "campaign", 1) == (
        "Step: MsgHup (local, term 0) -> hup(campaignElection)",
        "hup: StateFollower, not leader, promotable -> campaign(campaignElection)",
        "campaign(campaignElection): becomeCandidate, then ask for its new Term 1",
        "becomeCandidate: reset(r.Term + 1), then Vote = 1 (itself)",
        "reset(1): Term 0 -> 1, Vote = None, lead = None, electionElapsed = 0, "
        "randomizedElectionTimeout = 17, votes and progress reset",
        "campaign: send MsgVote to 2, 3 (Term 1, LogTerm 0, Index 0)",
        "campaign: own MsgVoteResp (granted, Term 1) to msgsAfterAppend: it counts once persisted",
    )


def test_a_won_pre_vote_campaigns_for_the_election() -> None:
    path = path_of(stories_of(ELECTION_3), "campaign", 1, nth=1)
    assert path == (*PRE_VOTE_WON, *CAMPAIGN_ELECTION)


def test_msg_timeout_now_starts_a_transfer_campaign() -> None:
    stories = stories_of(ELECTION_3 + "    transfer-leadership from=1 to=3\n    stabilize\n")
    assert path_of(stories, "transfer", 1) == (
        "stepLeader: MsgTransferLeader from 3 (the transferee)",
        "leadTransferee = 3, electionElapsed = 0",
        "pr.Match 1 == lastIndex 1 -> sendTimeoutNow(3)",
    )
    assert path_of(stories, "campaign", 3) == (
        "stepFollower: MsgTimeoutNow from 1 -> hup(campaignTransfer)",
        "hup: StateFollower, not leader, promotable -> campaign(campaignTransfer)",
        "campaign(campaignTransfer): becomeCandidate, then ask for its new Term 2",
        "becomeCandidate: reset(r.Term + 1), then Vote = 3 (itself)",
        "reset(2): Term 1 -> 2, Vote = None, lead = None, electionElapsed = 0, "
        "randomizedElectionTimeout = 13, votes and progress reset",
        "campaign: send MsgVote to 1, 2 (Term 2, LogTerm 1, Index 1, Context CampaignTransfer)",
        "campaign: own MsgVoteResp (granted, Term 2) to msgsAfterAppend: it counts once persisted",
    )


def test_msg_timeout_now_follows_a_caught_up_transferee_s_msg_app_resp() -> None:
    stories = stories_of(
        ELECTION_3
        + """\
        isolate 3
        propose x=1
        stabilize
        rejoin 3
        transfer-leadership from=1 to=3
        stabilize
        """
    )
    assert path_of(stories, "transfer", 1) == (
        "stepLeader: MsgTransferLeader from 3 (the transferee)",
        "leadTransferee = 3, electionElapsed = 0",
        "pr.Match 1 < lastIndex 2 -> sendAppend(3); MsgTimeoutNow waits for its MsgAppResp",
    )
    assert path_of(stories, "transfer", 1, nth=1) == (
        "stepLeader: MsgAppResp from 3, Index 2",
        "m.From == leadTransferee and pr.Match 2 == lastIndex 2 -> sendTimeoutNow(3)",
    )


def test_tick_heartbeat_aborts_a_transfer_after_an_election_timeout() -> None:
    stories = stories_of(
        OLD_STYLE_3
        + """\
        campaign 1
        stabilize
        isolate 3
        transfer-leadership from=1 to=3
        tick 1 count=10
        """
    )
    assert path_of(stories, "transfer", 1, nth=1) == (
        "tickHeartbeat: electionElapsed reached electionTimeout 10 -> electionElapsed = 0, "
        "still StateLeader",
        "leadTransferee 3 set -> abortLeaderTransfer",
    )


def test_tick_heartbeat_check_quorum_steps_the_leader_down() -> None:
    stories = stories_of(ELECTION_3 + "    isolate 1\n    tick 1 count=20\n")
    assert path_of(stories, "quorum-lost", 1) == (
        "tickHeartbeat: electionElapsed reached electionTimeout 10 -> electionElapsed = 0, "
        "checkQuorum on: Step(MsgCheckQuorum)",
        "stepLeader: MsgCheckQuorum",
        "trk.QuorumActive(): RecentActive 1, 1 of 3 voters (quorum 2) -> false",
        "becomeFollower(1, None): stepped down",
        "reset(1): lead = None, electionElapsed = 0, randomizedElectionTimeout drawn again, "
        "votes and progress reset",
    )


# ------------------------------------------------------------------ Step's term checks


def test_higher_term_steps_down_to_follower() -> None:
    stories = stories_of(ELECTION_3)
    assert path_of(stories, "term-seen", 2) == stepped_down(16)
    stale_leader = stories_of(
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
        """
    )
    assert path_of(stale_leader, "term-seen", 1) == (
        "Step: m.Term 2 > r.Term 1, MsgAppResp -> becomeFollower(2, None)",
        "becomeFollower(2, None): reset(term), then lead = None (no leader known)",
        "reset(2): Term 1 -> 2, Vote = None, lead = None, electionElapsed = 0, "
        "randomizedElectionTimeout = 14, votes and progress reset",
    )
    # Lower term, answered: the stale leader's heartbeat gets the newer term back.
    assert path_of(stale_leader, "stale-term", 2) == (
        "Step: m.Term 1 < r.Term 2, MsgHeartbeat",
        "preVote on and MsgHeartbeat or MsgApp -> send MsgAppResp (Term 2) so the stale leader "
        "learns the newer term",
    )


def test_higher_term_vote_request_ignored_under_the_lease() -> None:
    stories = stories_of(ELECTION_3 + "    tick 2 count=3\n    campaign 3\n    stabilize\n")
    assert path_of(stories, "vote-ignored", 2) == (
        "Step: m.Term 2 > r.Term 1, MsgPreVote -> check the lease",
        "inLease: checkQuorum, lead 1, electionElapsed 3 < electionTimeout 10; not force (no "
        "CampaignTransfer) -> return: no answer, Term unchanged",
    )


def test_higher_term_pre_vote_does_not_step_down() -> None:
    assert path_of(stories_of(ELECTION_3), "vote", 2) == pre_vote_granted()


def test_lower_term_pre_vote_is_refused_and_the_refusal_steps_its_candidate_down() -> None:
    stories = stories_of(
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
        """
    )
    assert path_of(stories, "stale-term", 1) == (
        "Step: m.Term 1 < r.Term 2, MsgPreVote",
        "MsgPreVote -> send MsgPreVoteResp (Reject, Term 2)",
    )
    assert path_of(stories, "term-seen", 3) == (
        "Step: m.Term 2 > r.Term 0, MsgPreVoteResp (Reject) -> becomeFollower(2, None)",
        "becomeFollower(2, None): reset(term), then lead = None (no leader known)",
        "reset(2): Term 0 -> 2, Vote = None, lead = None, electionElapsed = 0, "
        "randomizedElectionTimeout = 16, votes and progress reset",
    )


def test_lower_term_vote_request_is_ignored() -> None:
    stories = stories_of(
        OLD_STYLE_3
        + """\
        campaign 2
        campaign 2
        deliver-msgs 3
        campaign 1
        deliver-msgs 3
        """
    )
    assert path_of(stories, "stale-term", 3) == (
        "Step: m.Term 1 < r.Term 2, MsgVote",
        "any other case -> ignore",
    )


# ------------------------------------------------------------------ the vote


def test_vote_granted_after_can_vote_and_is_up_to_date() -> None:
    assert path_of(stories_of(ELECTION_3), "vote", 2, nth=1) == vote_granted()


def test_vote_refused_by_can_vote() -> None:
    stories = stories_of(OLD_STYLE_3 + "    campaign 1\n    campaign 2\n    deliver-msgs 3\n")
    assert path_of(stories, "vote", 3, nth=1) == (
        "Step: m.Term 1 == r.Term 1",
        "Step: case MsgVote from 2",
        "canVote false: r.Vote 1, r.lead None, and not a pre-vote for a future term",
        "reject: send MsgVoteResp (Reject, Term 1)",
    )


def test_vote_refused_by_is_up_to_date() -> None:
    stories = stories_of(BEHIND_CANDIDATE_3)
    assert path_of(stories, "vote", 1) == (
        "Step: m.Term 2 > r.Term 1, MsgVote (inLease false: checkQuorum off) -> "
        "becomeFollower(2, None)",
        "Step: case MsgVote from 3",
        "canVote true: r.Vote None and r.lead None",
        "raftLog.isUpToDate: candidate (LogTerm 1, Index 1) vs own (lastTerm 1, lastIndex 2) "
        "-> false",
        "reject: send MsgVoteResp (Reject, Term 2)",
    )


# ------------------------------------------------------------------ poll and its outcomes


def test_poll_pending_won_and_lost() -> None:
    stories = stories_of(
        OLD_STYLE_3 + "    campaign 1\n    campaign 2\n    deliver-msgs 3\n    stabilize\n"
    )
    assert path_of(stories, "vote-pending", 2, nth=1) == (
        "Step: m.Term 1 == r.Term 1 -> stepCandidate",
        "stepCandidate (StateCandidate): MsgVoteResp is myVoteRespType -> poll",
        "poll: recordVote(3, rejection); tallyVotes: granted 1, rejected 1 of 3 voters (quorum 2)",
        "VotePending -> wait for more answers",
    )
    assert path_of(stories, "election-result", 1) == (
        "Step: m.Term 1 == r.Term 1 -> stepCandidate",
        "stepCandidate (StateCandidate): MsgVoteResp is myVoteRespType -> poll",
        "poll: recordVote(3, granted); tallyVotes: granted 2, rejected 0 of 3 voters (quorum 2)",
        "VoteWon, StateCandidate -> becomeLeader, then bcastAppend",
    )
    assert path_of(stories, "election-result", 2) == (
        "Step: m.Term 1 == r.Term 1 -> stepCandidate",
        "stepCandidate (StateCandidate): MsgVoteResp is myVoteRespType -> poll",
        "poll: recordVote(1, rejection); tallyVotes: granted 1, rejected 2 of 3 voters (quorum 2)",
        "VoteLost -> becomeFollower(1, None)",
    )


def test_a_candidate_hearing_from_the_leader_of_its_term_becomes_follower() -> None:
    stories = stories_of(ELECTION_3 + "    campaign 3\n    tick 1\n    stabilize\n")
    assert path_of(stories, "leader-found", 3) == (
        "Step: m.Term 1 == r.Term 1 -> stepCandidate",
        "stepCandidate (StatePreCandidate): MsgHeartbeat from 1 -> becomeFollower(1, 1), then "
        "handleHeartbeat",
    )


# ------------------------------------------------------------------ the leader


def test_become_leader_appends_the_empty_entry_and_bcast_appends_it() -> None:
    assert path_of(stories_of(ELECTION_3), "empty-entry", 1) == EMPTY_ENTRY


def test_msg_app_resp_moves_a_match_and_maybe_commit_commits() -> None:
    assert path_of(stories_of(ELECTION_3), "committed", 1) == COMMITTED


# ------------------------------------------------------------------ one whole election


def test_the_story_of_one_election_path_by_path() -> None:
    """Follower -> pre-candidate -> candidate -> leader, its empty entry committed: every
    decision of the run, in order, with its path (the simulation's applies have none). The
    paths chain: a won tally's path goes on into the campaign or the empty entry it causes."""
    own_vote_pending = (
        "Step: m.Term 1 == r.Term 1 -> stepCandidate",
        "stepCandidate (StateCandidate): MsgVoteResp is myVoteRespType -> poll",
        "poll: recordVote(1, granted); tallyVotes: granted 1, rejected 0 of 3 voters (quorum 2)",
        "VotePending -> wait for more answers",
    )
    learned = (
        "handleAppendEntries: raftLog.maybeAppend matched",
        "raftLog.commitTo(min(m.Commit, lastNewIndex) = 1), was 0",
    )
    stories = stories_of(TIMER_ELECTION_3)
    assert [(s.node, s.kind, s.path) for s in stories] == [
        (1, "campaign", TIMER_CAMPAIGN),
        (
            1,
            "vote-pending",
            (
                PRE_VOTE_GATE,
                "stepCandidate (StatePreCandidate): MsgPreVoteResp is myVoteRespType -> poll",
                "poll: recordVote(1, granted); tallyVotes: granted 1, rejected 0 of 3 voters "
                "(quorum 2)",
                "VotePending -> wait for more answers",
            ),
        ),
        (2, "vote", pre_vote_granted()),
        (3, "vote", pre_vote_granted()),
        (1, "election-result", PRE_VOTE_WON),
        (1, "campaign", (*PRE_VOTE_WON, *CAMPAIGN_ELECTION)),
        (1, "vote-pending", own_vote_pending),
        (2, "term-seen", stepped_down(16)),
        (2, "vote", vote_granted()),
        (3, "term-seen", stepped_down(10)),
        (3, "vote", vote_granted()),
        (1, "election-result", VOTE_WON),
        (1, "empty-entry", EMPTY_ENTRY),
        (
            1,
            "append-sent",
            ("maybeSendAppend(to 2): prevIndex 0 (term 0), 1 entry from pr.Next, Commit 0",),
        ),
        (
            1,
            "append-sent",
            ("maybeSendAppend(to 3): prevIndex 0 (term 0), 1 entry from pr.Next, Commit 0",),
        ),
        (1, "committed", COMMITTED),
        (1, "applied", ()),
        (2, "commit-learned", learned),
        (2, "applied", ()),
        (3, "commit-learned", learned),
        (3, "applied", ()),
    ]
