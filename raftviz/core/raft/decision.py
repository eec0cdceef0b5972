"""Core room, the etcd port: Raft's decisions as typed records, with the values they compared.

etcd's log lines say *what* a node did; a decision record says *why*, with the numbers the rule
compared (the candidate's log against the voter's, the votes against the quorum, the commit
index against the majority's match). The state machine builds one at the decision itself and
hands it to its sink next to its log lines, but only when the sink asked for them
(`Raft.tell`): nothing is built otherwise, so the hot path and etcd's own output stay as they
are. `core/sim/story.py` turns them into story events and plain words.

Every record carries `path`, the chain of etcd function and branch names that led to it
(e.g. `stepCandidate`, `poll`, `VoteWon`, `becomeLeader`), each step with the values it
compared: a map of etcd's code, built at the decision by `codepath.py`. `unsafe`
names the unsafe variant (see unsafe.py) when one made the decision come out differently from
etcd's, so that its story can say so and a test can find every such decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from raftviz.core.raft.messages import Entry


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision of node `node`. `kind` names the decision for filters and tests."""

    kind: ClassVar[str] = "decision"
    node: int
    path: tuple[str, ...] = field(default=(), kw_only=True)
    unsafe: str = field(default="", kw_only=True)


# ------------------------------------------------------------------ elections


@dataclass(frozen=True, slots=True)
class Campaign(Decision):
    """The node starts a pre-vote, an election, or a transfer election.

    `cause` is `timer` (its election timer fired after `elapsed` of its randomized `timeout`
    ticks), `hup` (it was told to campaign), `pre-vote-won`, or `timeout-now` (the leader `frm`
    asked it to take over). `term` is the term it asks votes for; `old_term` the term it had.
    """

    kind: ClassVar[str] = "campaign"
    pre_vote: bool
    transfer: bool
    cause: str
    old_role: str
    old_term: int
    term: int
    last_term: int
    last_index: int
    asked: tuple[int, ...]
    elapsed: int = 0
    timeout: int = 0
    frm: int = 0


@dataclass(frozen=True, slots=True)
class Vote(Decision):
    """The node granted or refused a (pre-)vote to `candidate` for `term`, after etcd's two
    checks: may it vote (`voted_for`, `lead`) and is the candidate's log up to date.

    `up_to_date` is the comparison itself, made even where `no-log-check` keeps it from
    counting (`log_checked` False); `forgot` is the vote of this term the node lost at a
    restart (`forget-vote`).
    """

    kind: ClassVar[str] = "vote"
    candidate: int
    pre_vote: bool
    term: int
    my_term: int
    granted: bool
    voted_for: int
    lead: int
    last_term: int
    last_index: int
    cand_last_term: int
    cand_last_index: int
    can_vote: bool
    up_to_date: bool
    forgot: int = 0
    log_checked: bool = True


@dataclass(frozen=True, slots=True)
class VoteForgotten(Decision):
    """The node restarted at `term` without the vote for `vote` it had cast in that term: it
    was not kept on disk (`forget-vote`)."""

    kind: ClassVar[str] = "vote-forgotten"
    term: int
    vote: int


@dataclass(frozen=True, slots=True)
class VoteIgnored(Decision):
    """The node ignored a (pre-)vote request for a higher term: it heard from leader `lead`
    `elapsed` ticks ago, within the election timeout of `timeout` ticks (the check-quorum
    lease)."""

    kind: ClassVar[str] = "vote-ignored"
    candidate: int
    pre_vote: bool
    term: int
    my_term: int
    lead: int
    elapsed: int
    timeout: int


@dataclass(frozen=True, slots=True)
class StaleTerm(Decision):
    """A message of an older term than the node's: refused (a pre-vote), answered with the
    node's term (a stale leader's MsgApp or MsgHeartbeat), ignored, or accepted as if its
    sender still led (`accept-stale-leader`)."""

    kind: ClassVar[str] = "stale-term"
    frm: int
    msg_type: str
    term: int
    my_term: int
    answer: str  # "refused" | "told" | "ignored" | "accepted"


@dataclass(frozen=True, slots=True)
class VotePending(Decision):
    """A (pre-)candidate counted an answer and the tally has no result yet (etcd's
    VotePending): neither a majority granted nor a majority refused."""

    kind: ClassVar[str] = "vote-pending"
    pre_vote: bool
    term: int
    frm: int
    granted: tuple[int, ...]
    refused: tuple[int, ...]
    voters: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ElectionResult(Decision):
    """A (pre-)candidate's tally reached a result: won a majority, or lost it."""

    kind: ClassVar[str] = "election-result"
    pre_vote: bool
    term: int
    won: bool
    granted: tuple[int, ...]
    refused: tuple[int, ...]
    voters: tuple[int, ...]


# ------------------------------------------------------------------ terms and roles


@dataclass(frozen=True, slots=True)
class TermSeen(Decision):
    """The node saw a higher term in a message and became a follower at it."""

    kind: ClassVar[str] = "term-seen"
    old_role: str
    old_term: int
    term: int
    frm: int
    msg_type: str
    reject: bool
    lead: int


@dataclass(frozen=True, slots=True)
class LeaderFound(Decision):
    """A (pre-)candidate heard from the leader of its own term and became its follower."""

    kind: ClassVar[str] = "leader-found"
    old_role: str
    term: int
    leader: int
    msg_type: str


@dataclass(frozen=True, slots=True)
class QuorumLost(Decision):
    """A leader's check-quorum found too few active voters in the last election timeout."""

    kind: ClassVar[str] = "quorum-lost"
    term: int
    active: tuple[int, ...]
    voters: tuple[int, ...]
    timeout: int


@dataclass(frozen=True, slots=True)
class ForgotLeader(Decision):
    """MsgForgetLeader: a follower forgot `lead` (0 if it knew none; `ignored` for a leader)."""

    kind: ClassVar[str] = "forget-leader"
    lead: int
    term: int
    ignored: bool = False


# ------------------------------------------------------------------ replication


@dataclass(frozen=True, slots=True)
class EmptyEntry(Decision):
    """A new leader appended its empty entry at `index` (0: it appended none, as
    `commit-old-terms` has no use for it); `committed` is its commit index then."""

    kind: ClassVar[str] = "empty-entry"
    term: int
    index: int
    committed: int


@dataclass(frozen=True, slots=True)
class Proposed(Decision):
    """The leader appended client requests (`entries`, stamped) proposed at node `frm`."""

    kind: ClassVar[str] = "proposed"
    term: int
    entries: tuple[Entry, ...]
    frm: int


@dataclass(frozen=True, slots=True)
class ProposalForwarded(Decision):
    """A follower passed a client request on to its leader."""

    kind: ClassVar[str] = "proposal-forwarded"
    leader: int
    term: int
    data: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProposalRefused(Decision):
    """A client request was dropped: `reason` is `no-leader`, `transfer` (to `transferee`) or
    `no-forwarding`."""

    kind: ClassVar[str] = "proposal-refused"
    reason: str
    term: int
    data: tuple[str, ...]
    lead: int = 0
    transferee: int = 0


@dataclass(frozen=True, slots=True)
class AppendSent(Decision):
    """The leader sent `to` the entries `entries`, after (`prev_term`, `prev_index`)."""

    kind: ClassVar[str] = "append-sent"
    to: int
    term: int
    prev_index: int
    prev_term: int
    entries: tuple[Entry, ...]
    commit: int


@dataclass(frozen=True, slots=True)
class AppendRejected(Decision):
    """A follower refused an append: it has no entry (`my_term` 0 and `last_index` below) or
    a different term at `prev_index`; it hints (`hint_index`, `hint_term`)."""

    kind: ClassVar[str] = "append-rejected"
    leader: int
    prev_index: int
    prev_term: int
    my_term: int
    last_index: int
    hint_index: int
    hint_term: int


@dataclass(frozen=True, slots=True)
class LogConflict(Decision):
    """A follower's entry at `index` had term `my_term` where the leader's has `leader_term`:
    it deleted `lost` (its entries from `index` on) and took the leader's."""

    kind: ClassVar[str] = "log-conflict"
    leader: int
    index: int
    my_term: int
    leader_term: int
    lost: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Committed(Decision):
    """The leader advanced its commit index from `old` to `new`: `holders` have `new`.
    `entry_term` is the term of entry `new` where it is not the leader's own (only
    `commit-old-terms` commits such an entry by counting), 0 otherwise."""

    kind: ClassVar[str] = "committed"
    term: int
    old: int
    new: int
    holders: tuple[int, ...]
    voters: tuple[int, ...]
    entry_term: int = 0


@dataclass(frozen=True, slots=True)
class CommitWaits(Decision):
    """A majority (`holders`) has `index`, but its entry is of an earlier term (`entry_term`)
    than the leader's `term`: it may not be committed by counting (Raft §5.4.2)."""

    kind: ClassVar[str] = "commit-waits"
    term: int
    index: int
    entry_term: int
    committed: int
    holders: tuple[int, ...]
    voters: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CommitLearned(Decision):
    """A follower learned from its leader that entries up to `new` are committed."""

    kind: ClassVar[str] = "commit-learned"
    leader: int
    old: int
    new: int
    msg_type: str


# ------------------------------------------------------------------ leadership transfer


@dataclass(frozen=True, slots=True)
class Transfer(Decision):
    """A step of a leadership transfer to `transferee`.

    `step`: `start-now` (it has the whole log), `start-catch-up` (it lacks entries: the leader
    sends them and waits), `caught-up` (MsgTimeoutNow follows), `timed-out` (not done within
    an election timeout: aborted), `replaced` (aborted for a transfer to another node), `same`
    (a repeated request, ignored), `to-self`, `forwarded` (a follower passed the request to
    its leader), `no-leader` (a follower without a leader dropped it), `ignored-timeout-now`
    (a candidate got MsgTimeoutNow).
    """

    kind: ClassVar[str] = "transfer"
    step: str
    transferee: int
    term: int
    match: int = 0
    last_index: int = 0
    timeout: int = 0
    lead: int = 0
