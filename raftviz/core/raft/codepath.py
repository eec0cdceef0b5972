"""Core room, the etcd port: the steps of etcd/raft's code that a decision went through.

A decision record's `path` (see decision.py) is a map of etcd/raft's code, not of raftviz's:
each step names etcd's function, `switch` case or field (`tickElection`, `Step`, `hup`,
`campaign(campaignPreElection)`, `stepCandidate`, `poll`, `VoteWon`, `becomeLeader`,
`bcastAppend`...) with the condition that held and the values it compared, paraphrased, never
etcd's source text. Where raftviz merged or split a function, the steps still name etcd's.

The state machine calls these builders at the decision itself, inside the blocks that already
run only when stories were asked for (`Raft.tell`), and passes what only the call site knows:
which branch it took. The values come from the decision record built there, or from the
arguments. Nothing here reads the state machine, so building a path cannot change a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from raftviz.core.raft.decision import (
    AppendRejected,
    Campaign,
    CommitLearned,
    Committed,
    CommitWaits,
    ElectionResult,
    EmptyEntry,
    LogConflict,
    QuorumLost,
    StaleTerm,
    TermSeen,
    Transfer,
    Vote,
    VoteIgnored,
    VotePending,
)

Path = tuple[str, ...]

_CAMPAIGN = {False: "campaign(campaignElection)", True: "campaign(campaignTransfer)"}


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(map(str, ids)) or "none"


def _lead(lead: int) -> str:
    return str(lead) if lead else "None"


def _quorum(voters: Sequence[int]) -> int:
    return len(voters) // 2 + 1


_STATES = {
    "follower": "StateFollower",
    "pre-candidate": "StatePreCandidate",
    "candidate": "StateCandidate",
    "leader": "StateLeader",
}
"""etcd's names for the roles a record names in raftviz's words."""


# ------------------------------------------------------------------ ticks and campaigns


def tick_election(elapsed: int, timeout: int) -> str:
    return (
        f"tickElection: electionElapsed {elapsed} >= randomizedElectionTimeout {timeout}, "
        "promotable -> electionElapsed = 0, Step(MsgHup)"
    )


def tick_heartbeat(timeout: int, then: str) -> str:
    return (
        f"tickHeartbeat: electionElapsed reached electionTimeout {timeout} -> "
        f"electionElapsed = 0, {then}"
    )


def campaign(d: Campaign, via: Path, randomized_timeout: int) -> Path:
    """How a campaign started (`via` for a won pre-vote: the tally's own path), then hup,
    campaign and the become* it calls, and the requests it sends."""
    if d.pre_vote:
        kind = "campaignPreElection"
    else:
        kind = "campaignTransfer" if d.transfer else "campaignElection"
    steps: list[str] = list(via)
    if d.cause == "timer":
        steps.append(tick_election(d.elapsed, d.timeout))
    if d.cause in ("timer", "hup"):
        steps.append(f"Step: MsgHup (local, term 0) -> hup({kind})")
    elif d.cause == "timeout-now":
        steps.append(f"stepFollower: MsgTimeoutNow from {d.frm} -> hup(campaignTransfer)")
    if d.cause != "pre-vote-won":
        steps.append(f"hup: {_STATES[d.old_role]}, not leader, promotable -> campaign({kind})")
    if d.pre_vote:
        steps.append(
            f"campaign({kind}): becomePreCandidate, then ask for Term r.Term + 1 = {d.term}"
        )
        steps.append(
            f"becomePreCandidate: Term stays {d.term - 1}, Vote kept, lead = None, votes "
            "cleared (a pre-vote changes nothing durable)"
        )
    else:
        steps.append(f"campaign({kind}): becomeCandidate, then ask for its new Term {d.term}")
        steps.append(f"becomeCandidate: reset(r.Term + 1), then Vote = {d.node} (itself)")
        steps.append(reset(d.old_term, d.term, randomized_timeout))
    request = "MsgPreVote" if d.pre_vote else "MsgVote"
    context = ", Context CampaignTransfer" if d.transfer else ""
    if d.asked:
        steps.append(
            f"campaign: send {request} to {_ids(d.asked)} (Term {d.term}, LogTerm "
            f"{d.last_term}, Index {d.last_index}{context})"
        )
    steps.append(
        f"campaign: own {request}Resp (granted, Term {d.term}) to msgsAfterAppend: it counts "
        "once persisted"
    )
    return tuple(steps)


# ------------------------------------------------------------------ Step's term checks


def higher_term(msg_type: str, term: int, my_term: int, then: str, cond: str = "") -> str:
    """Step's `case m.Term > r.Term`, with the condition that chose what it does (if any)."""
    held = f" ({cond})" if cond else ""
    return f"Step: m.Term {term} > r.Term {my_term}, {msg_type}{held} -> {then}"


def lease(check_quorum: bool, lead: int, elapsed: int, timeout: int, force: bool) -> str:
    """Step's lease check on a (pre-)vote request of a higher term, when it did not ignore."""
    if force:
        return "force: Context CampaignTransfer sets the lease aside"
    if not check_quorum:
        return "inLease false: checkQuorum off"
    if not lead:
        return "inLease false: lead None"
    return f"inLease false: electionElapsed {elapsed} >= electionTimeout {timeout}"


def vote_ignored(d: VoteIgnored) -> Path:
    msg_type = "MsgPreVote" if d.pre_vote else "MsgVote"
    return (
        higher_term(msg_type, d.term, d.my_term, "check the lease"),
        f"inLease: checkQuorum, lead {d.lead}, electionElapsed {d.elapsed} < electionTimeout "
        f"{d.timeout}; not force (no CampaignTransfer) -> return: no answer, Term unchanged",
    )


def term_seen(d: TermSeen, gate: str, randomized_timeout: int) -> Path:
    """Step's step-down; `gate` is Step's term check where a vote request's lease check made
    it (empty: the plain case of any other message)."""
    if not gate:
        rejected = " (Reject)" if d.reject else ""
        then = f"becomeFollower({d.term}, {_lead(d.lead)})"
        gate = higher_term(f"{d.msg_type}{rejected}", d.term, d.old_term, then)
    why = (
        "it names its sender as leader"
        if d.msg_type in ("MsgApp", "MsgHeartbeat", "MsgSnap")
        else "no leader known"
    )
    return (
        gate,
        f"becomeFollower({d.term}, {_lead(d.lead)}): reset(term), then lead = "
        f"{_lead(d.lead)} ({why})",
        reset(d.old_term, d.term, randomized_timeout),
    )


def reset(old_term: int, term: int, randomized_timeout: int = 0) -> str:
    """The reset every become* but becomePreCandidate does (`randomized_timeout` 0: drawn
    after the record is told)."""
    moved = f"Term {old_term} -> {term}, Vote = None, " if term != old_term else ""
    drawn = f" = {randomized_timeout}" if randomized_timeout else " drawn again"
    return (
        f"reset({term}): {moved}lead = None, electionElapsed = 0, randomizedElectionTimeout"
        f"{drawn}, votes and progress reset"
    )


def stale_term(d: StaleTerm, check_quorum: bool, pre_vote: bool) -> Path:
    gate = f"Step: m.Term {d.term} < r.Term {d.my_term}, {d.msg_type}"
    if d.answer == "accepted":
        return (
            gate,
            "unsafe accept-stale-leader: a follower takes it as its leader's -> stepFollower",
        )
    if d.answer == "told":
        on = "checkQuorum" if check_quorum else "preVote"
        return (
            gate,
            f"{on} on and MsgHeartbeat or MsgApp -> send MsgAppResp (Term {d.my_term}) so the "
            "stale leader learns the newer term",
        )
    if d.answer == "refused":
        return (gate, f"MsgPreVote -> send MsgPreVoteResp (Reject, Term {d.my_term})")
    off = (
        ""
        if (check_quorum or pre_vote) or d.msg_type not in ("MsgApp", "MsgHeartbeat")
        else (" (checkQuorum and preVote off: no answer)")
    )
    return (gate, f"any other case -> ignore{off}")


# ------------------------------------------------------------------ the vote


def vote(d: Vote, gate: str) -> Path:
    """Step's `case MsgVote, MsgPreVote`: canVote, then the log comparison, then the answer."""
    msg_type = "MsgPreVote" if d.pre_vote else "MsgVote"
    steps = [gate, f"Step: case {msg_type} from {d.candidate}"]
    if d.can_vote:
        if d.voted_for == d.candidate:
            why = f"r.Vote == m.From ({d.candidate}): a repeat of the vote it cast"
        elif not d.voted_for and not d.lead:
            why = "r.Vote None and r.lead None"
        else:
            why = f"MsgPreVote for a future term (m.Term {d.term} > r.Term {d.my_term})"
        steps.append(f"canVote true: {why}")
    else:
        steps.append(
            f"canVote false: r.Vote {_lead(d.voted_for)}, r.lead {_lead(d.lead)}, and not a "
            "pre-vote for a future term"
        )
    if d.can_vote:
        compare = (
            f"candidate (LogTerm {d.cand_last_term}, Index {d.cand_last_index}) vs own "
            f"(lastTerm {d.last_term}, lastIndex {d.last_index}) -> {str(d.up_to_date).lower()}"
        )
        if d.log_checked:
            steps.append(f"raftLog.isUpToDate: {compare}")
        else:
            steps.append(f"raftLog.isUpToDate skipped (unsafe no-log-check); it would be {compare}")
    resp = f"{msg_type}Resp"
    if d.granted:
        if d.pre_vote:
            steps.append(f"grant: send {resp} (Term {d.term}); nothing changes locally")
        else:
            steps.append(
                f"grant: send {resp} (Term {d.term}); electionElapsed = 0, Vote = {d.candidate}"
            )
    else:
        steps.append(f"reject: send {resp} (Reject, Term {d.my_term})")
    return tuple(steps)


# ------------------------------------------------------------------ the tally


def poll(
    d: ElectionResult | VotePending, msg_type: str, frm: int, granted: bool, gate: str
) -> Path:
    """stepCandidate's `case myVoteRespType`: poll, and what its result makes the node do."""
    state = "StatePreCandidate" if d.pre_vote else "StateCandidate"
    answer = "granted" if granted else "rejection"
    tally = (
        f"poll: recordVote({frm}, {answer}); tallyVotes: granted {len(d.granted)}, rejected "
        f"{len(d.refused)} of {len(d.voters)} voters (quorum {_quorum(d.voters)})"
    )
    steps = [gate, f"stepCandidate ({state}): {msg_type} is myVoteRespType -> poll", tally]
    if isinstance(d, VotePending):
        steps.append("VotePending -> wait for more answers")
    elif not d.won:
        back = d.term - 1 if d.pre_vote else d.term
        steps.append(f"VoteLost -> becomeFollower({back}, None)")
    elif d.pre_vote:
        steps.append(f"VoteWon, {state} -> campaign(campaignElection)")
    else:
        steps.append(f"VoteWon, {state} -> becomeLeader, then bcastAppend")
    return tuple(steps)


def vote_response_gate(msg_type: str, term: int, my_term: int, reject: bool) -> str:
    if term > my_term and msg_type == "MsgPreVoteResp" and not reject:
        return higher_term(
            msg_type, term, my_term, "no step-down (a granted pre-vote carries the asked-for term)"
        )
    return f"Step: m.Term {term} == r.Term {my_term} -> stepCandidate"


def empty_entry(d: EmptyEntry, via: Path, randomized_timeout: int, peers: Sequence[int]) -> Path:
    steps = [
        *via,
        f"becomeLeader: reset(r.Term), then lead = {d.node} (itself), own progress StateReplicate",
        reset(d.term, d.term, randomized_timeout),
    ]
    if d.unsafe:
        steps.append("becomeLeader: unsafe commit-old-terms -> no empty entry appended")
    else:
        steps.append(
            f"appendEntry(empty entry): Index {d.index}, Term {d.term}; own MsgAppResp to "
            f"msgsAfterAppend; committed stays {d.committed}"
        )
    if peers:
        steps.append(f"bcastAppend: sendAppend to {_ids(peers)}")
    return tuple(steps)


# ------------------------------------------------------------------ leader


def append_resp(frm: int, index: int, match: int, state: str) -> Path:
    return (
        f"stepLeader: MsgAppResp from {frm}, Index {index}, accepted",
        f"pr.MaybeUpdate({index}): Match now {match}, progress {state}",
    )


def committed(d: Committed, via: Path, term: int) -> Path:
    rule = (
        f"raftLog.maybeCommit({d.new}, term {term}): {d.new} > committed {d.old} and "
        f"term({d.new}) == r.Term -> commitTo({d.new})"
    )
    if d.unsafe:
        rule = (
            f"unsafe commit-old-terms: commitTo({d.new}) although term({d.new}) is "
            f"{d.entry_term}, not r.Term {term}"
        )
    return (
        *via,
        f"maybeCommit: trk.Committed() = {d.new}: {_ids(d.holders)} have it, "
        f"{len(d.holders)} of {len(d.voters)} (quorum {_quorum(d.voters)})",
        rule,
        "bcastAppend: the followers learn the new commit index",
    )


def commit_waits(d: CommitWaits, via: Path) -> Path:
    return (
        *via,
        f"maybeCommit: trk.Committed() = {d.index}: {_ids(d.holders)} have it",
        f"raftLog.maybeCommit({d.index}, term {d.term}): term({d.index}) is {d.entry_term}, "
        f"not r.Term -> no commit (committed stays {d.committed})",
    )


def quorum_lost(d: QuorumLost) -> Path:
    return (
        tick_heartbeat(d.timeout, "checkQuorum on: Step(MsgCheckQuorum)"),
        "stepLeader: MsgCheckQuorum",
        f"trk.QuorumActive(): RecentActive {_ids(d.active)}, {len(d.active)} of "
        f"{len(d.voters)} voters (quorum {_quorum(d.voters)}) -> false",
        f"becomeFollower({d.term}, None): stepped down",
        reset(d.term, d.term),
    )


def transfer(d: Transfer) -> Path:
    """The steps of a leadership transfer, by where etcd decides each."""
    at_leader = f"stepLeader: MsgTransferLeader from {d.transferee} (the transferee)"
    match d.step:
        case "start-now" | "start-catch-up":
            if d.step == "start-now":
                then = (
                    f"pr.Match {d.match} == lastIndex {d.last_index} -> "
                    f"sendTimeoutNow({d.transferee})"
                )
            else:
                then = (
                    f"pr.Match {d.match} < lastIndex {d.last_index} -> sendAppend({d.transferee}); "
                    "MsgTimeoutNow waits for its MsgAppResp"
                )
            return (at_leader, f"leadTransferee = {d.transferee}, electionElapsed = 0", then)
        case "caught-up":
            return (
                f"stepLeader: MsgAppResp from {d.transferee}, Index {d.match}",
                f"m.From == leadTransferee and pr.Match {d.match} == lastIndex {d.last_index} "
                f"-> sendTimeoutNow({d.transferee})",
            )
        case "timed-out":
            return (
                tick_heartbeat(d.timeout, "still StateLeader"),
                f"leadTransferee {d.transferee} set -> abortLeaderTransfer",
            )
        case "replaced":
            return (
                f"stepLeader: MsgTransferLeader from {d.lead} (the transferee)",
                f"leadTransferee {d.transferee} != {d.lead} -> abortLeaderTransfer",
            )
        case "same":
            return (at_leader, f"leadTransferee == {d.transferee} -> ignore: in progress")
        case "to-self":
            return (at_leader, "transferee == r.id -> ignore: already leader")
        case "forwarded":
            return (
                f"stepFollower: MsgTransferLeader from {d.transferee}",
                f"r.lead {d.lead} -> m.To = {d.lead}, send (forward to the leader)",
            )
        case "no-leader":
            return (
                f"stepFollower: MsgTransferLeader from {d.transferee}",
                "r.lead None -> drop",
            )
    return (f"stepCandidate: MsgTimeoutNow from {d.lead} -> ignore (not a follower)",)


# ------------------------------------------------------------------ followers


def leader_found(state: str, msg_type: str, frm: int, term: int) -> Path:
    handler = "handleAppendEntries" if msg_type == "MsgApp" else "handleHeartbeat"
    return (
        f"Step: m.Term {term} == r.Term {term} -> stepCandidate",
        f"stepCandidate ({state}): {msg_type} from {frm} -> becomeFollower({term}, {frm}), "
        f"then {handler}",
    )


def append_rejected(d: AppendRejected) -> Path:
    return (
        f"handleAppendEntries: m.Index {d.prev_index} >= committed",
        f"raftLog.maybeAppend: term({d.prev_index}) is {d.my_term}, not m.LogTerm "
        f"{d.prev_term} (lastIndex {d.last_index}) -> no match",
        f"findConflictByTerm: hint (Index {d.hint_index}, Term {d.hint_term})",
        "send MsgAppResp (Reject, RejectHint, LogTerm)",
    )


def log_conflict(d: LogConflict) -> Path:
    return (
        f"handleAppendEntries: MsgApp from {d.leader}",
        "raftLog.maybeAppend: matchTerm(m.Index, m.LogTerm) holds",
        f"findConflict: Index {d.index} has term {d.my_term}, the leader's {d.leader_term}",
        f"raftLog.append: truncate from {d.index}, take the leader's entries",
    )


def commit_learned(d: CommitLearned) -> Path:
    if d.msg_type == "MsgHeartbeat":
        return (f"handleHeartbeat: raftLog.commitTo(m.Commit {d.new}), was {d.old}",)
    return (
        "handleAppendEntries: raftLog.maybeAppend matched",
        f"raftLog.commitTo(min(m.Commit, lastNewIndex) = {d.new}), was {d.old}",
    )


def proposal(where: str, reason: str, lead: int, transferee: int) -> Path:
    """A MsgProp's fate: where it was stepped and why it went no further."""
    if reason == "forwarded":
        return (f"{where}: MsgProp", f"r.lead {lead} -> m.To = {lead}, send (forward)")
    if reason == "transfer":
        return (
            f"{where}: MsgProp",
            f"leadTransferee {transferee} set -> ErrProposalDropped",
        )
    if reason == "no-forwarding":
        return (f"{where}: MsgProp", "disableProposalForwarding -> ErrProposalDropped")
    if where == "stepCandidate":
        return (f"{where}: MsgProp -> ErrProposalDropped (no leader)",)
    return (f"{where}: MsgProp", "r.lead None -> ErrProposalDropped")


def proposed(first: int, last: int, term: int, peers: Sequence[int]) -> Path:
    span = f"Index {first}" if first == last else f"Index {first}-{last}"
    steps = [
        "stepLeader: MsgProp",
        f"appendEntry: {span}, Term {term}; own MsgAppResp to msgsAfterAppend",
    ]
    if peers:
        steps.append(f"bcastAppend: sendAppend to {_ids(peers)}")
    return tuple(steps)


def append_sent(to: int, prev_index: int, prev_term: int, count: int, commit: int) -> Path:
    return (
        f"maybeSendAppend(to {to}): prevIndex {prev_index} (term {prev_term}), "
        f"{count} entr{'y' if count == 1 else 'ies'} from pr.Next, Commit {commit}",
    )


def forget_leader(lead: int, leader: bool) -> Path:
    if leader:
        return ("stepLeader: MsgForgetLeader -> nothing to do",)
    if not lead:
        return ("stepFollower: MsgForgetLeader", "r.lead None -> nothing to forget")
    return ("stepFollower: MsgForgetLeader", f"r.lead {lead} -> lead = None")


def vote_forgotten(term: int, vote_for: int) -> Path:
    return (
        f"newRaft: loadState(HardState Term {term}, Vote {vote_for})",
        "unsafe forget-vote: the vote was not kept on disk -> Vote = None",
    )
