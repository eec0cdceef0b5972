"""Core room, the simulated world: stories - every Raft decision told in plain words.

etcd's log lines say what a node did, in etcd's shorthand. A story says why, in full sentences
with the numbers the rule compared: "S3 refused its vote to S2 for term 5: S2's log (last term
2, index 5) is behind S3's (last term 3, index 4) ...". Each story is an event in the cluster's
stream (`Story`), carrying the typed decision record the state machine built at the decision
itself (see `core/raft/decision.py`), never text parsed back out of a log line. The one
decisions taken outside the state machine are recorded here: applying committed entries to the
key-value store (`Applied`), and stopping a node whose Raft panicked, which only an unsafe variant
can make happen (`Panicked`).

`story_line` renders one story as its line; `raftviz run --level story` prints them and the TUI's
event log can show the same words. Nodes are named S1..S9 as on the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from raftviz.core.raft.decision import (
    AppendRejected,
    AppendSent,
    Campaign,
    CommitLearned,
    Committed,
    CommitWaits,
    Decision,
    ElectionResult,
    EmptyEntry,
    ForgotLeader,
    LeaderFound,
    LogConflict,
    ProposalForwarded,
    ProposalRefused,
    Proposed,
    QuorumLost,
    StaleTerm,
    TermSeen,
    Transfer,
    Vote,
    VoteForgotten,
    VoteIgnored,
    VotePending,
)
from raftviz.core.raft.messages import Entry, hot_value
from raftviz.core.sim.events import Event

__all__ = [
    "AppendRejected",
    "AppendSent",
    "Applied",
    "Campaign",
    "CommitLearned",
    "CommitWaits",
    "Committed",
    "Decision",
    "ElectionResult",
    "EmptyEntry",
    "ForgotLeader",
    "LeaderFound",
    "LogConflict",
    "Panicked",
    "ProposalForwarded",
    "ProposalRefused",
    "Proposed",
    "QuorumLost",
    "StaleTerm",
    "Story",
    "TermSeen",
    "Transfer",
    "Vote",
    "VoteForgotten",
    "VoteIgnored",
    "VotePending",
    "story_line",
    "story_text",
]


@dataclass(frozen=True, slots=True)
class Applied(Decision):
    """A node applied committed `entries` to its key-value store (the simulation's decision:
    etcd hands committed entries to the application, which applies them)."""

    kind: ClassVar[str] = "applied"
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Panicked(Decision):
    """A node's Raft panicked (`reason`, etcd's panic text) and the node stopped, as etcd's
    process would: asked to do what its own log says cannot be (commit beyond its end...),
    which a safety rule switched off (`unsafe`, the run's variants) lets a leader ask."""

    kind: ClassVar[str] = "panicked"
    reason: str


@hot_value
class Story(Event):
    """One decision of one node, at the simulated time it was taken."""

    decision: Decision

    @property
    def node(self) -> int:
        return self.decision.node

    @property
    def kind(self) -> str:
        return self.decision.kind

    @property
    def path(self) -> tuple[str, ...]:
        """The etcd code path that led to the decision (empty for the simulation's own)."""
        return self.decision.path


def story_line(event: Story) -> str:
    """The story's line, starting with the node that decided (the caller adds the time)."""
    return story_text(event.decision)


# ------------------------------------------------------------------ words


def _s(node: int) -> str:
    return f"S{node}"


def _names(nodes: Iterable[int]) -> str:
    return ", ".join(_s(n) for n in nodes) or "nobody"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _quorum(voters: Sequence[int]) -> int:
    return len(voters) // 2 + 1


def _shown(text: str) -> str:
    """User data, with anything that is not printable escaped (it could drive a terminal)."""
    return text if text.isprintable() else repr(text)[1:-1]


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


_LISTED = 5
"""Data items named in a line; longer lists end in '... and N more'."""


def _data_list(data: Sequence[str]) -> str:
    items = [_shown(d) if d else "empty" for d in data[:_LISTED]]
    if len(data) > _LISTED:
        items.append(f"... and {len(data) - _LISTED} more")
    return ", ".join(items)


def _entries(ents: Sequence[Entry]) -> str:
    """'entry 4 (term 2, x=1)' or 'entries 3-5 (term 2: empty, x=1, y=2)'."""
    if not ents:
        return "no entries"
    if len(ents) == 1:
        e = ents[0]
        return f"entry {e.index} (term {e.term}, {_shown(e.data) if e.data else 'empty'})"
    runs: list[tuple[int, list[str]]] = []
    for e in ents:
        if not runs or runs[-1][0] != e.term:
            runs.append((e.term, []))
        runs[-1][1].append(e.data)
    inner = "; ".join(f"term {term}: {_data_list(data)}" for term, data in runs)
    return f"{_span(ents[0].index, ents[-1].index)} ({inner})"


def _log(term: int, index: int) -> str:
    return f"(last term {term}, index {index})"


def _request(pre_vote: bool) -> str:
    return "pre-vote" if pre_vote else "vote"


def _message(msg_type: str, frm: int, reject: bool) -> str:
    if msg_type == "MsgPreVoteResp" and reject:
        return f"{_s(frm)}'s refusal of its pre-vote (MsgPreVoteResp)"
    return f"a {msg_type} from {_s(frm)}"


def _campaign(d: Campaign) -> str:
    me = _s(d.node)
    if d.cause == "timer":
        waiting = {
            "pre-candidate": "before its pre-vote got a majority",
            "candidate": "before its election got a majority",
        }.get(d.old_role, "without a word from a leader")
        cause = (
            f"{me} timed out: its election timer fired after {_plural(d.elapsed, 'tick')} "
            f"{waiting} (its "
            f"randomized election timeout is {_plural(d.timeout, 'tick')})"
        )
    elif d.cause == "pre-vote-won":
        cause = f"{me} won its pre-vote"
    elif d.cause == "timeout-now":
        cause = f"{me} received MsgTimeoutNow from leader {_s(d.frm)}"
    else:
        cause = f"{me} was told to campaign (MsgHup)"
    log = f"its log {_log(d.last_term, d.last_index)}"
    if not d.asked:
        asks = f"it is the only voter, so its own vote decides ({log})"
    elif d.pre_vote:
        asks = f"it asks {_names(d.asked)} whether they would vote for {log}"
    else:
        asks = f"it votes for itself and asks {_names(d.asked)} for their votes, with {log}"
    if d.pre_vote:
        action = f"starts a pre-vote for term {d.term} without changing its term {d.old_term}"
    elif d.transfer:
        action = (
            f"starts an election at term {d.term} at once, without waiting for its timer and "
            "without a pre-vote"
        )
        asks += ", marked as a leadership transfer so that voters set their leader lease aside"
    else:
        action = f"starts an election at term {d.term}"
    return f"{cause}, so it {action}: {asks}"


def _vote(d: Vote) -> str:
    me, cand = _s(d.node), _s(d.candidate)
    theirs = f"{cand}'s log {_log(d.cand_last_term, d.cand_last_index)}"
    mine = f"{me}'s {_log(d.last_term, d.last_index)}"
    if d.granted:
        up_to_date = f"{theirs} is at least as up to date as {mine}"
        if not d.up_to_date:
            up_to_date = (
                f"it did not compare logs (unsafe: no-log-check), though {theirs} is behind "
                f"{mine} and etcd would have refused"
            )
        if d.pre_vote and d.term > d.my_term:
            may = f"term {d.term} is newer than its own"
        elif d.voted_for == d.candidate:
            may = f"it had already voted for {cand} in term {d.my_term}"
        elif d.forgot:
            may = (
                f"it remembers no vote in term {d.my_term}, though it voted for {_s(d.forgot)} "
                "before it restarted (unsafe: forget-vote)"
            )
        else:
            may = f"it has neither voted nor heard from a leader in term {d.my_term}"
        if d.pre_vote:
            return (
                f"{me} granted its pre-vote to {cand} for term {d.term}, a promise that changes "
                f"nothing ({me} stays at term {d.my_term}): {may}, and {up_to_date}"
            )
        return f"{me} granted its vote to {cand} for term {d.term}: {may}, and {up_to_date}"
    reasons: list[str] = []
    if not d.can_vote:
        if d.voted_for == d.node:
            reasons.append(f"it already voted for itself in term {d.my_term} (it is campaigning)")
        elif d.voted_for:
            reasons.append(f"it already voted for {_s(d.voted_for)} in term {d.my_term}")
        else:
            reasons.append(f"it already follows leader {_s(d.lead)} in term {d.my_term}")
    if d.log_checked and not d.up_to_date:
        why = (
            "its last entry is of an older term"
            if d.cand_last_term < d.last_term
            else "same last term, but shorter"
        )
        reasons.append(f"{theirs} is behind {mine}: {why}")
    return f"{me} refused its {_request(d.pre_vote)} to {cand} for term {d.term}: " + "; and ".join(
        reasons
    )


def _vote_ignored(d: VoteIgnored) -> str:
    me = _s(d.node)
    asked = f"{me} ignored {_s(d.candidate)}'s {_request(d.pre_vote)} request for term {d.term}"
    if d.lead == d.node:
        return (
            f"{asked}: it is the leader of term {d.my_term} and, with check-quorum, a leader's "
            "lease holds while it hears from a majority, so it does not answer"
        )
    ago = f"{_plural(d.elapsed, 'tick')} ago" if d.elapsed else "less than a tick ago"
    return (
        f"{asked}: it heard from leader {_s(d.lead)} {ago}, within "
        f"the election timeout of {_plural(d.timeout, 'tick')}, so with check-quorum it trusts "
        f"{_s(d.lead)} is alive (the leader lease) and does not answer"
    )


def _stale(d: StaleTerm) -> str:
    me, frm = _s(d.node), _s(d.frm)
    stale = f"that term is stale, {me} is already at term {d.my_term}"
    if d.answer == "refused":
        return (
            f"{me} refused its pre-vote to {frm} for term {d.term}: {stale} "
            f"(the refusal tells {frm} so)"
        )
    if d.answer == "accepted":
        return (
            f"{me} accepted a {d.msg_type} from {frm}, a leader of stale term {d.term}, as if "
            f"{frm} still led ({me} is at term {d.my_term}; unsafe: accept-stale-leader): etcd "
            f"would not let a leader of an older term touch its log or its commit index"
        )
    if d.answer == "told":
        return (
            f"{me} ignored a {d.msg_type} from {frm}, a leader of stale term {d.term}, and "
            f"answered with its own term {d.my_term}, so that {frm} learns it is no longer leader"
        )
    if d.msg_type == "MsgVote":
        return f"{me} ignored {frm}'s vote request for term {d.term}: {stale}"
    return (
        f"{me} ignored a {d.msg_type} from {frm}: its term {d.term} is stale, {me} is already at "
        f"term {d.my_term}"
    )


def _election_result(d: ElectionResult) -> str:
    me = _s(d.node)
    what = f"pre-vote for term {d.term}" if d.pre_vote else f"election at term {d.term}"
    n, q = len(d.voters), _quorum(d.voters)
    missing = [v for v in d.voters if v not in d.granted and v not in d.refused]
    if d.won:
        parts = [f"{len(d.granted)} of {n} granted ({_names(d.granted)}), {q} needed"]
        if d.refused:
            parts.append(f"refused by {_names(d.refused)}")
        if missing:
            parts.append(f"no answer yet from {_names(missing)}")
        won = f"{what}" if d.pre_vote else f"{what} and becomes its leader"
        return f"{me} won the {won}: " + "; ".join(parts)
    back = d.term - 1 if d.pre_vote else d.term
    granted = f"granted only by {_names(d.granted)}" if d.granted else "granted by nobody"
    at_most = _plural(n - len(d.refused), "vote")
    return (
        f"{me} lost the {what}: {len(d.refused)} of {n} voters refused "
        f"({_names(d.refused)}), so at most {at_most} can come, fewer than the "
        f"{q} needed ({granted}); it becomes a follower at term {back}"
    )


def _vote_pending(d: VotePending) -> str:
    me, request = _s(d.node), _request(d.pre_vote)
    if d.frm == d.node:
        answer = f"its own {request}"
    else:
        answer = f"{_s(d.frm)}'s {'grant' if d.frm in d.granted else 'refusal'} of its {request}"
    missing = [v for v in d.voters if v not in d.granted and v not in d.refused]
    refused = f", refused by {_names(d.refused)}" if d.refused else ""
    return (
        f"{me} counted {answer} for term {d.term}: {len(d.granted)} of {len(d.voters)} granted "
        f"({_names(d.granted)}){refused}, {_quorum(d.voters)} needed; it waits for "
        f"{_names(missing)}"
    )


def _term_seen(d: TermSeen) -> str:
    me = _s(d.node)
    seen = f"it saw term {d.term} in {_message(d.msg_type, d.frm, d.reject)}"
    follows = f"; {_s(d.lead)} leads term {d.term}" if d.lead else ""
    if d.old_role == "leader":
        return (
            f"{me} stepped down from leader to follower: {seen}, newer than its term "
            f"{d.old_term}{follows}"
        )
    if d.old_role in ("candidate", "pre-candidate"):
        gave_up = "pre-vote" if d.old_role == "pre-candidate" else "candidacy"
        return (
            f"{me} gave up its {gave_up} and became a follower: {seen}, newer than its term "
            f"{d.old_term}{follows}"
        )
    and_follows = f", and follows {_s(d.lead)}" if d.lead else ""
    return (
        f"{me} moved from term {d.old_term} to term {d.term}: it saw the newer term in "
        f"{_message(d.msg_type, d.frm, d.reject)}{and_follows}"
    )


def _leader_found(d: LeaderFound) -> str:
    gave_up = "pre-vote" if d.old_role == "pre-candidate" else "candidacy"
    return (
        f"{_s(d.node)} gave up its {gave_up} at term {d.term} and became a follower: "
        f"{_s(d.leader)} already leads term {d.term} (it sent a {d.msg_type})"
    )


def _quorum_lost(d: QuorumLost) -> str:
    others = [v for v in d.active if v != d.node]
    heard = f"itself and {_names(others)}" if others else "only itself"
    return (
        f"{_s(d.node)} stepped down from leader to follower at term {d.term} (check-quorum): "
        f"during the last election timeout ({_plural(d.timeout, 'tick')}) it heard from only "
        f"{len(d.active)} of {len(d.voters)} voters ({heard}), and a leader needs "
        f"{_quorum(d.voters)}"
    )


def _forgot(d: ForgotLeader) -> str:
    me = _s(d.node)
    if d.ignored:
        return f"{me} ignored forget-leader: it is the leader of term {d.term} itself"
    if not d.lead:
        return f"{me} had no leader to forget at term {d.term} (forget-leader)"
    return (
        f"{me} forgot its leader {_s(d.lead)} at term {d.term} (forget-leader): it stays a "
        f"follower at term {d.term} without campaigning, but with no leader known it grants "
        "pre-votes at once instead of ignoring them under the leader lease; hearing from "
        f"{_s(d.lead)} again makes it follow {_s(d.lead)} again"
    )


def _empty_entry(d: EmptyEntry) -> str:
    if d.unsafe:
        return (
            f"{_s(d.node)} became leader of term {d.term} and appended no empty entry (unsafe: "
            "commit-old-terms): it commits entries of earlier terms by counting their replicas, "
            "so an entry of its own term is of no use to it"
        )
    if d.committed < d.index - 1:
        earlier = (
            f"its earlier {_span(d.committed + 1, d.index - 1)} will commit with it once it "
            "reaches a majority"
        )
    else:
        earlier = "here no earlier entry waits to be committed"
    return (
        f"{_s(d.node)} became leader of term {d.term} and appended an empty entry at index "
        f"{d.index}, term {d.term}: a leader commits entries of earlier terms only through an "
        f"entry of its own term (Raft §5.4.2, Figure 8); {earlier}"
    )


def _proposed(d: Proposed) -> str:
    data = _data_list([e.data for e in d.entries])
    first, last = d.entries[0].index, d.entries[-1].index
    at = f"index {first}" if first == last else f"indexes {first}-{last}"
    request = "request" if len(d.entries) == 1 else "requests"
    via = f", forwarded by {_s(d.frm)}," if d.frm != d.node else ""
    return (
        f"{_s(d.node)} (leader of term {d.term}) appended the client {request} {data}{via} at "
        f"{at}, term {d.term}, and sends it to its followers"
    )


def _refused(d: ProposalRefused) -> str:
    me = _s(d.node)
    dropped = f"{me} dropped the client request {_data_list(d.data)}"
    if d.reason == "transfer":
        return (
            f"{dropped}: it is handing leadership to {_s(d.transferee)}, and a leader in "
            "transfer takes no new entries"
        )
    if d.reason == "no-forwarding":
        return (
            f"{dropped}: it does not forward requests to its leader {_s(d.lead)} "
            "(proposal forwarding is off)"
        )
    return f"{dropped}: it knows no leader at term {d.term} to pass it to"


def _transfer(d: Transfer) -> str:
    me, to = _s(d.node), _s(d.transferee)
    if d.step == "start-now":
        return (
            f"{me} starts handing leadership of term {d.term} to {to}: {to} already has its "
            f"whole log (up to index {d.last_index}), so {me} sends it MsgTimeoutNow at once"
        )
    if d.step == "start-catch-up":
        return (
            f"{me} starts handing leadership of term {d.term} to {to}: {to} has only up to "
            f"index {d.match} of {d.last_index}, so {me} sends it the missing entries and waits "
            f"for it to catch up, refusing new client requests meanwhile (for at most an "
            f"election timeout, {_plural(d.timeout, 'tick')})"
        )
    if d.step == "caught-up":
        return (
            f"{me} sends MsgTimeoutNow to {to}: {to} has caught up with its whole log (up to "
            f"index {d.last_index}), so it can campaign at once and win"
        )
    if d.step == "timed-out":
        return (
            f"{me} gave up handing leadership to {to}: the transfer did not finish within an "
            f"election timeout ({_plural(d.timeout, 'tick')}); {me} stays leader of term "
            f"{d.term} and takes client requests again"
        )
    if d.step == "replaced":
        return (
            f"{me} abandoned its transfer of leadership to {to}: a new request asks it to hand "
            f"leadership to {_s(d.lead)}"
        )
    if d.step == "same":
        return f"{me} ignored a repeated request to hand leadership to {to}: it is under way"
    if d.step == "to-self":
        return f"{me} ignored a request to hand leadership to itself: it is already leader"
    if d.step == "forwarded":
        return f"{me} forwarded the request to hand leadership to {to} to its leader {_s(d.lead)}"
    if d.step == "no-leader":
        return (
            f"{me} dropped a request to hand leadership to {to}: it knows no leader at term "
            f"{d.term}"
        )
    return f"{me} ignored MsgTimeoutNow from {_s(d.lead)}: it is not a follower (it is campaigning)"


def _applied(d: Applied) -> str:
    kv = [e.data for e in d.entries if "=" in e.data]
    effect = f": its key-value store now has {_data_list(kv)}" if kv else ": nothing to store"
    return f"{_s(d.node)} applied the committed {_entries(d.entries)}{effect}"


def story_text(d: Decision) -> str:
    """One decision as one plain sentence, naming nodes S1..S9."""
    me = _s(d.node)
    match d:
        case Campaign():
            return _campaign(d)
        case Vote():
            return _vote(d)
        case VoteIgnored():
            return _vote_ignored(d)
        case VoteForgotten():
            return (
                f"{me} restarted at term {d.term} without its vote for {_s(d.vote)}: the vote was "
                f"not kept on disk (unsafe: forget-vote), so in term {d.term} it may vote again, "
                "for anyone"
            )
        case StaleTerm():
            return _stale(d)
        case VotePending():
            return _vote_pending(d)
        case ElectionResult():
            return _election_result(d)
        case TermSeen():
            return _term_seen(d)
        case LeaderFound():
            return _leader_found(d)
        case QuorumLost():
            return _quorum_lost(d)
        case ForgotLeader():
            return _forgot(d)
        case EmptyEntry():
            return _empty_entry(d)
        case Proposed():
            return _proposed(d)
        case ProposalForwarded():
            return (
                f"{me} forwarded the client request {_data_list(d.data)} to leader "
                f"{_s(d.leader)}: only the leader appends to the log"
            )
        case ProposalRefused():
            return _refused(d)
        case AppendSent():
            return (
                f"{me} sent {_entries(d.entries)} to {_s(d.to)}, to follow index {d.prev_index} "
                f"(term {d.prev_term}) where their logs must match; its commit index is "
                f"{d.commit}"
            )
        case AppendRejected():
            if d.prev_index > d.last_index:
                why = f"its log ends at index {d.last_index}"
            else:
                why = f"its entry at index {d.prev_index} has term {d.my_term}, not {d.prev_term}"
            return (
                f"{me} rejected {_s(d.leader)}'s append after index {d.prev_index} (term "
                f"{d.prev_term}): {why}; it hints index {d.hint_index} (term {d.hint_term}) so "
                f"that {_s(d.leader)} goes back to where their logs may match"
            )
        case LogConflict():
            return (
                f"{me} found a conflict at index {d.index}: its entry there has term {d.my_term} "
                f"but leader {_s(d.leader)}'s has term {d.leader_term}, so it deleted its "
                f"{_entries(d.lost)} and took {_s(d.leader)}'s entries from index {d.index} on"
            )
        case Committed():
            n, q = len(d.voters), _quorum(d.voters)
            own = f"and entry {d.new} is of its own term {d.term}"
            if d.unsafe:
                own = (
                    f"although entry {d.new} is of term {d.entry_term}, not its own term "
                    f"{d.term} (unsafe: commit-old-terms): etcd commits by counting replicas only "
                    "entries of the leader's own term (Raft §5.4.2, Figure 8)"
                )
            return (
                f"{me} committed {_span(d.old + 1, d.new)} (commit index {d.old} -> {d.new}): "
                f"{_names(d.holders)} have index {d.new}, a majority ({len(d.holders)} of {n}, "
                f"{q} needed), {own}"
            )
        case CommitWaits():
            return (
                f"{me} does not commit index {d.index} yet although {_names(d.holders)} have it, "
                f"a majority of {len(d.voters)}: entry {d.index} is of term {d.entry_term}, not "
                f"its current term {d.term}, and a leader commits only entries of its own term "
                f"by counting replicas (Raft §5.4.2, Figure 8); its commit index stays "
                f"{d.committed}"
            )
        case CommitLearned():
            return (
                f"{me} learned from leader {_s(d.leader)}'s {d.msg_type} that entries up to "
                f"index {d.new} are committed (its commit index was {d.old})"
            )
        case Transfer():
            return _transfer(d)
        case Applied():
            return _applied(d)
        case Panicked():
            return (
                f"{me} panicked and stopped, as etcd does rather than go on from a broken state: "
                f"{_shown(d.reason)}; with a safety rule switched off (unsafe: {d.unsafe}), a "
                "leader asked it to do what its own log says cannot be"
            )
    return f"{me} decided {d.kind}"
