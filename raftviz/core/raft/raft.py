"""Core room: the Raft state machine, with etcd/raft's election and replication semantics.

One `Raft` is one node. Every input is a method call (`step` a message, `tick`), every output
is a value: messages queued in two outboxes and log lines handed to a sink. It follows etcd/raft
v3.6 rule by rule (pre-vote at term+1, the check-quorum lease, the leader's empty entry,
leadership transfer, forget-leader), because raftviz exists to show what etcd really does.

Two outboxes, as in etcd: `msgs` may leave at once; `msgs_after_append` (every MsgAppResp,
MsgVoteResp and MsgPreVoteResp, including a node's own vote and a leader's own acknowledgement)
may only leave once the state they answer for is persisted. See `rawnode.py`.

The unsafe variants (`unsafe.py`, all off unless `Config.unsafe` names them) each switch one
safety rule off, tested where that rule is decided and nowhere else.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

from raftviz.core.raft import codepath
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
from raftviz.core.raft.log import LogUnavailable, MemoryStorage, RaftLog
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import (
    CAMPAIGN_TRANSFER,
    NONE,
    Entry,
    HardState,
    Message,
    MsgApp,
    MsgAppResp,
    MsgBeat,
    MsgCheckQuorum,
    MsgForgetLeader,
    MsgHeartbeat,
    MsgHeartbeatResp,
    MsgHup,
    MsgPreVote,
    MsgPreVoteResp,
    MsgProp,
    MsgReadIndex,
    MsgSnap,
    MsgTimeoutNow,
    MsgTransferLeader,
    MsgType,
    MsgUnreachable,
    MsgVote,
    MsgVoteResp,
    SoftState,
    StateCandidate,
    StateFollower,
    StateLeader,
    StatePreCandidate,
    vote_response_type,
)
from raftviz.core.raft.quorum import VoteResult
from raftviz.core.raft.tracker import (
    Progress,
    ProgressTracker,
    StateProbe,
    StateReplicate,
    StateSnapshot,
)
from raftviz.core.raft.unsafe import (
    ACCEPT_STALE_LEADER,
    COMMIT_OLD_TERMS,
    FORGET_VOTE,
    NO_LOG_CHECK,
    UNSAFE,
)

_UNSTAMPED = frozenset({MsgProp, MsgReadIndex})
"""Local requests, which travel with term 0 even when forwarded to the leader."""
_AFTER_APPEND = frozenset({MsgAppResp, MsgVoteResp, MsgPreVoteResp})
"""Responses that may only leave once the state they answer for is persisted."""
_VOTE_REQUESTS = frozenset({MsgVote, MsgPreVote})
"""A set, not a tuple: `step` asks of every message, and a tuple compares member by member."""
LogSink = Callable[[LogLine | Decision], None]
Fields = tuple[tuple[str, object], ...]
"""Receives a node's log lines, and its decision records when it was built with `stories`."""


class ProposalDropped(Exception):
    """etcd's ErrProposalDropped: no leader, a transfer in progress, or not in the config."""

    def __str__(self) -> str:
        return "raft proposal dropped"


class CampaignType(Enum):
    PRE_ELECTION = "CampaignPreElection"
    ELECTION = "CampaignElection"
    TRANSFER = "CampaignTransfer"


@dataclass
class Config:
    """How a node behaves. Defaults are etcd's interaction-test defaults, except the ticks.

    `unsafe` names the unsafe variants switched on (see unsafe.py): none, as in etcd.

    `election_range` (lo, hi), in ticks, replaces etcd's draw of the randomized election
    timeout from [election_tick, 2 * election_tick) by a draw from [lo, hi], for the Raft
    paper's experiments with ranges like 150-155 ms; `election_tick` should then be lo, the
    timeout that check-quorum, the lease and transfers count. `timer_rule` "raft" keeps a
    follower's or candidate's election timer running when a message that is not from a leader
    moves it to a higher term, as the Raft paper says (a timer restarts only when a node grants
    a vote, hears from the current leader, or starts an election); etcd ("etcd", the default)
    restarts and redraws it on every step to a higher term.
    """

    id: int
    voters: list[int]
    learners: list[int] = field(default_factory=list)
    election_tick: int = 10
    heartbeat_tick: int = 1
    check_quorum: bool = False
    pre_vote: bool = False
    read_only_lease_based: bool = False
    disable_proposal_forwarding: bool = False
    max_inflight: int = 2**31 - 1
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    unsafe: tuple[str, ...] = ()
    election_range: tuple[int, int] | None = None
    timer_rule: str = "etcd"


TIMER_RULES: tuple[str, ...] = ("etcd", "raft")
"""The election timer rules a node can follow (see Config.timer_rule)."""


class Raft:
    """One node's Raft state machine (etcd's `raft` struct)."""

    def __init__(
        self,
        config: Config,
        storage: MemoryStorage | None = None,
        hard_state: HardState | None = None,
        sink: LogSink | None = None,
        stories: bool = False,
    ) -> None:
        if config.heartbeat_tick >= config.election_tick:
            raise ValueError("election tick must be greater than heartbeat tick")
        unknown = [name for name in config.unsafe if name not in UNSAFE]
        if unknown:
            raise ValueError(f"unknown unsafe variant {unknown[0]}")
        if config.timer_rule not in TIMER_RULES:
            raise ValueError(f"unknown timer rule {config.timer_rule}")
        self.id = config.id
        self.sink = sink
        # Decision records go to the same sink, but only when asked for: every site that builds
        # one first checks `tell`, so without stories nothing is built (see decision.py).
        self.tell: LogSink | None = sink if stories else None
        self._timer_fired: tuple[int, int] | None = None  # (elapsed, timeout) while it fires
        # Step's term check on a (pre-)vote request, as a code path step, for its vote's record.
        self._vote_gate: tuple[Message, str] | None = None
        self.config = config
        self.election_timeout = config.election_tick
        self.heartbeat_timeout = config.heartbeat_tick
        self.check_quorum = config.check_quorum
        self.pre_vote = config.pre_vote
        # The width of the randomized timeout's draw: etcd's [election, 2 * election), or the
        # range asked for.
        lo, hi = config.election_range or (config.election_tick, 2 * config.election_tick - 1)
        self._election_spread = hi - lo + 1
        self.paper_timers = config.timer_rule == "raft"
        # The unsafe switches, read once: each is tested only where its rule is decided.
        self.no_log_check = NO_LOG_CHECK in config.unsafe
        self.commit_old_terms = COMMIT_OLD_TERMS in config.unsafe
        self.forget_vote = FORGET_VOTE in config.unsafe
        self.accept_stale_leader = ACCEPT_STALE_LEADER in config.unsafe
        # (term, vote) that forget-vote lost at the restart, for the vote stories of that term.
        self._forgotten = (0, NONE)
        self.rng = config.rng
        self.raft_log = RaftLog(storage or MemoryStorage(), self._log_from_raftlog)
        self.term = 0
        self.vote = NONE
        self.lead = NONE
        self.state = StateFollower
        self.lead_transferee = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = 0
        self.msgs: list[Message] = []
        self.msgs_after_append: list[Message] = []
        self.trk = ProgressTracker(config.voters, config.learners, config.max_inflight)
        for id in [*config.voters, *config.learners]:
            self.trk.progress[id] = Progress(
                1, config.max_inflight, is_learner=id in config.learners
            )
        self._info("config", "%x switched to configuration %s", self.id, self.trk.config_string())
        if hard_state is not None and not hard_state.is_empty():
            self._load_state(hard_state)
        self.become_follower(self.term, NONE)
        peers = ",".join(f"{v:x}" for v in self.trk.voters)
        log = self.raft_log
        self._info(
            "new",
            "newRaft %x [peers: [%s], term: %s, commit: %s, applied: %s, "
            "lastindex: %s, lastterm: %s]",
            self.id,
            peers,
            self.term,
            log.committed,
            log.applied,
            log.last_index(),
            log.last_term(),
        )

    # ------------------------------------------------------------------ logging

    # Like etcd's `r.logger.Infof(format, args...)`, a line is a format and its values, and the
    # text is made only when a sink takes it: a quiet cluster (an experiment's trials, a check's
    # seeds) formats none, which was 5 to 10% of a trial's time when every call site built an
    # f-string.

    def _emit(
        self, level: Level, kind: str, fmt: str, args: tuple[object, ...], fields: Fields
    ) -> None:
        assert self.sink is not None
        self.sink(LogLine(level, self.id, kind, fmt % args, fields))

    def _info(self, kind: str, fmt: str, *args: object, fields: Fields = ()) -> None:
        if self.sink is not None:
            self._emit(Level.INFO, kind, fmt, args, fields)

    def _debug(self, kind: str, fmt: str, *args: object, fields: Fields = ()) -> None:
        if self.sink is not None:
            self._emit(Level.DEBUG, kind, fmt, args, fields)

    def _warn(self, kind: str, fmt: str, *args: object, fields: Fields = ()) -> None:
        if self.sink is not None:
            self._emit(Level.WARN, kind, fmt, args, fields)

    def _error(self, kind: str, fmt: str, *args: object) -> None:
        if self.sink is not None:
            self._emit(Level.ERROR, kind, fmt, args, ())

    def _log_from_raftlog(self, fmt: str, *args: object) -> None:
        self._info("log", fmt, *args)

    # ------------------------------------------------------------------ state

    def _load_state(self, hs: HardState) -> None:
        if hs.commit < self.raft_log.committed or hs.commit > self.raft_log.last_index():
            raise AssertionError(f"{self.id:x} state.commit {hs.commit} is out of range")
        self.raft_log.committed = hs.commit
        self.term = hs.term
        self.vote = hs.vote
        if self.forget_vote and hs.vote != NONE:
            # The unsafe variant: the vote was never written to disk, so it is gone.
            self.vote = NONE
            self._forgotten = (hs.term, hs.vote)
            if self.tell is not None:
                self.tell(
                    VoteForgotten(
                        self.id,
                        hs.term,
                        hs.vote,
                        path=codepath.vote_forgotten(hs.term, hs.vote),
                        unsafe=FORGET_VOTE,
                    )
                )

    def entries_persisted(self, term: int, index: int, log_term: int) -> None:
        """Storage wrote the log up to (log_term, index), as accepted at `term`."""
        if term < self.term:
            # The term moved on while persisting: what was written may since have been replaced.
            self._info(
                "stale-append",
                "%x [term: %s] ignored entry appends from a "
                "MsgStorageAppendResp message with lower term [term: %s]",
                self.id,
                self.term,
                term,
            )
            return
        self.raft_log.unstable.stable_to(index, log_term)

    def hard_state(self) -> HardState:
        return HardState(self.term, self.vote, self.raft_log.committed)

    def soft_state(self) -> SoftState:
        return SoftState(self.lead, self.state)

    def promotable(self) -> bool:
        pr = self.trk.progress.get(self.id)
        return pr is not None and not pr.is_learner

    def past_election_timeout(self) -> bool:
        return self.election_elapsed >= self.randomized_election_timeout

    def reset_randomized_election_timeout(self) -> None:
        self.randomized_election_timeout = self.election_timeout + self.rng.randrange(
            self._election_spread
        )

    def _last_entry(self) -> tuple[int, int]:
        """(term, index) of the last entry."""
        li = self.raft_log.last_index()
        return self.raft_log.term(li), li

    # ------------------------------------------------------------------ sending

    def send(
        self,
        type: MsgType,
        to: int,
        term: int = 0,
        *,
        index: int = 0,
        log_term: int = 0,
        entries: tuple[Entry, ...] = (),
        commit: int = 0,
        reject: bool = False,
        reject_hint: int = 0,
        context: str = "",
    ) -> None:
        """Queue a message from this node, stamping its term the way etcd's `send` does.

        Votes and vote responses carry an explicit term (a pre-vote asks for a future one);
        proposals travel with term 0; everything else carries the node's current term.
        Message's fields are spelled out, not passed on as **fields: a dict packed and
        unpacked per message costs as much as building the message. The outbox is chosen here,
        not in a helper: one call fewer per message sent (3.5% of `bench core`).
        """
        if not term and type not in _UNSTAMPED:
            term = self.term
        m = Message(
            type, to, self.id, term, log_term, index, entries, commit, reject, reject_hint, context
        )
        if type in _AFTER_APPEND:
            self.msgs_after_append.append(m)
        else:
            self.msgs.append(m)

    def _forward(self, m: Message, to: int) -> None:
        """Pass a local request on to the leader (a proposal keeps term 0)."""
        term = 0 if m.type in _UNSTAMPED else self.term
        self.msgs.append(replace(m, to=to, term=term))  # a request, never held back

    def _send_append(self, to: int) -> None:
        self._maybe_send_append(to, True)

    def _maybe_send_append(self, to: int, send_if_empty: bool) -> bool:
        """Send `to` the entries it misses (or an empty append carrying the commit)."""
        pr = self.trk.progress[to]
        if pr.msg_app_flow_paused or pr.state == StateSnapshot:  # pr.is_paused(), one call less
            return False
        log = self.raft_log
        prev_index = pr.next - 1
        try:
            ents = log.entries_from(pr.next)
            if ents and pr.state == StateReplicate and pr.inflights.full():
                # A throttled replication stream only sends empty appends, as in etcd, which
                # does not even read the entries then; reading them first (it has no effect)
                # spares the inflights check when there is nothing new, the common case.
                ents = []
            if not ents and not send_if_empty:
                # Before the term lookup, as in etcd (which only checks the lookup's error
                # later): a leader asks after every acknowledgement, mostly with nothing new.
                return False
            prev_term = log.term(prev_index)
        except LogUnavailable:
            # Compacted logs (and so snapshots) are out of scope: nothing to send.
            return False
        commit = log.committed
        self.send(
            MsgApp, to, index=prev_index, log_term=prev_term, entries=tuple(ents), commit=commit
        )
        if ents and self.tell is not None:
            path = codepath.append_sent(to, prev_index, prev_term, len(ents), commit)
            self.tell(
                AppendSent(
                    self.id, to, self.term, prev_index, prev_term, tuple(ents), commit, path=path
                )
            )
        pr.sent_entries(ents)
        pr.sent_commit = commit
        return True

    def _send_heartbeat(self, to: int, context: str = "") -> None:
        pr = self.trk.progress[to]
        commit = min(pr.match, self.raft_log.committed)
        self.send(MsgHeartbeat, to, commit=commit, context=context)
        pr.sent_commit = commit

    def _bcast_append(self) -> None:
        for id in self.trk.ids():
            if id != self.id:
                self._maybe_send_append(id, True)  # _send_append, one call fewer per peer

    def _bcast_heartbeat(self) -> None:
        for id in self.trk.ids():
            if id != self.id:
                self._send_heartbeat(id)

    def _send_timeout_now(self, to: int) -> None:
        self.send(MsgTimeoutNow, to)

    def _append_entries(self, ents: list[Entry]) -> None:
        """Stamp term and indexes on new entries, append them, and queue the self-ack."""
        li = self.raft_log.last_index()
        stamped = [
            Entry(term=self.term, index=li + 1 + i, data=e.data, type=e.type)
            for i, e in enumerate(ents)
        ]
        li = self.raft_log.append(stamped)
        # The leader acknowledges its own entries only once they are persisted.
        self.send(MsgAppResp, self.id, index=li)

    def _maybe_commit(self, m: Message | None = None) -> bool:
        """Commit what a majority holds; `m` is the MsgAppResp that moved a match, for the
        decision's code path."""
        log = self.raft_log
        index = self.trk.committed()
        if self.commit_old_terms:
            return self._commit_by_counting(index, m)
        if self.tell is None:
            return log.maybe_commit(index, self.term)
        old = log.committed
        if log.maybe_commit(index, self.term):
            d = Committed(self.id, self.term, old, index, self._holders(index), self.trk.voters)
            self.tell(replace(d, path=codepath.committed(d, self._acked(m), self.term)))
            return True
        if index > old:
            # A majority has it, but counting only commits entries of the leader's own term.
            waits = CommitWaits(
                self.id,
                self.term,
                index,
                log.term_or_zero(index),
                old,
                self._holders(index),
                self.trk.voters,
            )
            self.tell(replace(waits, path=codepath.commit_waits(waits, self._acked(m))))
        return False

    def _acked(self, m: Message | None) -> codepath.Path:
        """stepLeader's steps up to maybeCommit for the MsgAppResp `m` (none without one)."""
        if m is None:
            return ()
        pr = self.trk.progress[m.frm]
        return codepath.append_resp(m.frm, m.index, pr.match, str(pr.state))

    def _commit_by_counting(self, index: int, m: Message | None = None) -> bool:
        """The unsafe commit rule: whatever a majority holds is committed, whatever its term
        (`commit-old-terms`; Figure 8 shows what that costs)."""
        log = self.raft_log
        entry_term = log.term_or_zero(index)
        if index <= log.committed or not entry_term:
            return False
        old = log.committed
        log.commit_to(index)
        if self.tell is not None:
            old_term = entry_term != self.term
            d = Committed(
                self.id,
                self.term,
                old,
                index,
                self._holders(index),
                self.trk.voters,
                entry_term if old_term else 0,
                unsafe=COMMIT_OLD_TERMS if old_term else "",
            )
            self.tell(replace(d, path=codepath.committed(d, self._acked(m), self.term)))
        return True

    def _holders(self, index: int) -> tuple[int, ...]:
        """The voters the leader knows to have `index` (for decision records only)."""
        progress = self.trk.progress
        return tuple(v for v in self.trk.voters if v in progress and progress[v].match >= index)

    # ------------------------------------------------------------------ transitions

    def _reset(self, term: int) -> None:
        if self.term != term:
            self.term = term
            self.vote = NONE
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.reset_randomized_election_timeout()
        self.lead_transferee = NONE
        self.trk.votes = {}
        last = self.raft_log.last_index()
        maxi = self.trk.max_inflight
        for id, old in self.trk.progress.items():
            pr = Progress(last + 1, maxi, is_learner=old.is_learner)
            if id == self.id:
                pr.match = last
            self.trk.progress[id] = pr

    def become_follower(self, term: int, lead: int) -> None:
        self._reset(term)
        self.lead = lead
        self.state = StateFollower
        self._info(
            "became",
            "%x became follower at term %s",
            self.id,
            self.term,
            fields=(("term", self.term),),
        )

    def become_pre_candidate(self) -> None:
        if self.state == StateLeader:
            raise AssertionError("invalid transition [leader -> pre-candidate]")
        # Neither term nor vote changes: a pre-candidate only asks whether it could win.
        self.trk.votes = {}
        self.lead = NONE
        self.state = StatePreCandidate
        self._info(
            "became",
            "%x became pre-candidate at term %s",
            self.id,
            self.term,
            fields=(("term", self.term),),
        )

    def become_candidate(self) -> None:
        if self.state == StateLeader:
            raise AssertionError("invalid transition [leader -> candidate]")
        self._reset(self.term + 1)
        self.vote = self.id
        self.state = StateCandidate
        self._info(
            "became",
            "%x became candidate at term %s",
            self.id,
            self.term,
            fields=(("term", self.term),),
        )

    def become_leader(self, via: codepath.Path = ()) -> None:
        """`via`: the code path that won the election, for the empty entry's record."""
        if self.state == StateFollower:
            raise AssertionError("invalid transition [follower -> leader]")
        self._reset(self.term)
        self.lead = self.id
        self.state = StateLeader
        pr = self.trk.progress[self.id]
        pr.become_replicate()
        pr.recent_active = True
        log = self.raft_log
        if self.commit_old_terms:
            # The empty entry only serves the rule that commits entries of the leader's own term
            # (and while it stands, every append of the new leader carries it, so counting could
            # never reach an older entry first): the unsafe leader goes without.
            if self.tell is not None:
                self._tell_empty_entry(
                    EmptyEntry(self.id, self.term, 0, log.committed, unsafe=COMMIT_OLD_TERMS), via
                )
        else:
            # The empty entry lets the new leader commit everything of earlier terms (Figure 8).
            self._append_entries([Entry(term=0, index=0)])
            if self.tell is not None:
                self._tell_empty_entry(
                    EmptyEntry(self.id, self.term, log.last_index(), log.committed), via
                )
        self._info(
            "became",
            "%x became leader at term %s",
            self.id,
            self.term,
            fields=(("term", self.term),),
        )

    def _tell_empty_entry(self, d: EmptyEntry, via: codepath.Path) -> None:
        assert self.tell is not None
        peers = [id for id in self.trk.ids() if id != self.id]
        path = codepath.empty_entry(d, via, self.randomized_election_timeout, peers)
        self.tell(replace(d, path=path))

    def _hup(self, t: CampaignType, frm: int = NONE) -> None:
        if self.state == StateLeader:
            self._debug("hup", "%x ignoring MsgHup because already leader", self.id)
            return
        if not self.promotable():
            self._warn("hup", "%x is unpromotable and can not campaign", self.id)
            return
        self._info(
            "election",
            "%x is starting a new election at term %s",
            self.id,
            self.term,
            fields=(("term", self.term),),
        )
        self._campaign(t, "timeout-now" if t == CampaignType.TRANSFER else "hup", frm)

    def _campaign(
        self, t: CampaignType, cause: str = "hup", frm: int = NONE, via: codepath.Path = ()
    ) -> None:
        """`via`: the code path that led here, where it is not hup's (a won pre-vote)."""
        old_role, old_term = self.state, self.term
        if t == CampaignType.PRE_ELECTION:
            self.become_pre_candidate()
            vote_msg = MsgPreVote
            # A pre-vote asks for the term it would campaign at, without moving to it.
            term = self.term + 1
        else:
            self.become_candidate()
            vote_msg = MsgVote
            term = self.term
        last_term, last_index = self._last_entry()
        context = CAMPAIGN_TRANSFER if t == CampaignType.TRANSFER else ""
        if self.tell is not None:
            elapsed, timeout = 0, 0
            if cause == "hup" and self._timer_fired is not None:
                cause = "timer"
                elapsed, timeout = self._timer_fired
            d = Campaign(
                self.id,
                t == CampaignType.PRE_ELECTION,
                t == CampaignType.TRANSFER,
                cause,
                old_role.value,
                old_term,
                term,
                last_term,
                last_index,
                tuple(v for v in self.trk.voters if v != self.id),
                elapsed,
                timeout,
                frm,
            )
            path = codepath.campaign(d, via, self.randomized_election_timeout)
            self.tell(replace(d, path=path))
        for id in self.trk.voters:
            if id == self.id:
                # Our own vote counts only once our state is persisted (see rawnode).
                self.send(vote_response_type(vote_msg), id, term=term)
                continue
            self._info(
                "sent-vote",
                "%x [logterm: %s, index: %s] sent %s request to %x at term %s",
                self.id,
                last_term,
                last_index,
                vote_msg,
                id,
                self.term,
                fields=(("to", id), ("type", str(vote_msg))),
            )
            self.send(vote_msg, id, term, index=last_index, log_term=last_term, context=context)

    def _poll(self, id: int, t: MsgType, granted: bool) -> tuple[int, int, VoteResult]:
        if granted:
            self._info("poll", "%x received %s from %x at term %s", self.id, t, id, self.term)
        else:
            self._info(
                "poll", "%x received %s rejection from %x at term %s", self.id, t, id, self.term
            )
        self.trk.record_vote(id, granted)
        return self.trk.tally_votes()

    # ------------------------------------------------------------------ ticks

    def tick(self) -> None:
        if self.state == StateLeader:
            self._tick_heartbeat()
        else:
            self._tick_election()

    def idle_ticks(self) -> int | None:
        """How many of the coming ticks only count (the tick after them can do more), or None
        if every coming tick only counts (a node that cannot campaign). A simulation jumps over
        them with `skip_idle_ticks`; this must mirror `_tick_heartbeat` and `_tick_election`
        exactly, so that skipping never changes a run. Asked after every input of a simulation,
        it compares instead of calling min() and max(), which were a fifth of its time."""
        if self.state == StateLeader:
            # The tick that reaches either timeout beats or checks the quorum.
            beat = self.heartbeat_timeout - self.heartbeat_elapsed
            check = self.election_timeout - self.election_elapsed
            idle = (beat if beat < check else check) - 1
        elif self.promotable():
            idle = self.randomized_election_timeout - self.election_elapsed - 1
        else:
            return None
        return idle if idle > 0 else 0

    def skip_idle_ticks(self, n: int) -> None:
        """The effect of `n` ticks that `idle_ticks()` said only count."""
        self.election_elapsed += n
        if self.state == StateLeader:
            self.heartbeat_elapsed += n

    def _tick_election(self) -> None:
        self.election_elapsed += 1
        if self.promotable() and self.past_election_timeout():
            if self.tell is not None:
                # The campaign's decision record says that the timer, not a command, started it.
                self._timer_fired = (self.election_elapsed, self.randomized_election_timeout)
            self.election_elapsed = 0
            try:
                self.step(Message(type=MsgHup, frm=self.id))
            finally:
                self._timer_fired = None

    def _tick_heartbeat(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        if self.election_elapsed >= self.election_timeout:
            self.election_elapsed = 0
            if self.check_quorum:
                self.step(Message(type=MsgCheckQuorum, frm=self.id))
            # A transfer must finish within one election timeout.
            if self.state == StateLeader and self.lead_transferee != NONE:
                if self.tell is not None:
                    self._tell_transfer(
                        Transfer(
                            self.id,
                            "timed-out",
                            self.lead_transferee,
                            self.term,
                            timeout=self.election_timeout,
                        )
                    )
                self.lead_transferee = NONE
        if self.state != StateLeader:
            return
        if self.heartbeat_elapsed >= self.heartbeat_timeout:
            self.heartbeat_elapsed = 0
            self.step(Message(type=MsgBeat, frm=self.id))

    # ------------------------------------------------------------------ step

    def step(self, m: Message) -> None:
        """Handle one message: the term gate first, then vote granting, then the role."""
        t = m.type
        if m.term == 0:
            pass
        elif m.term > self.term:
            if t in _VOTE_REQUESTS:
                force = m.context == CAMPAIGN_TRANSFER
                in_lease = (
                    self.check_quorum
                    and self.lead != NONE
                    and self.election_elapsed < self.election_timeout
                )
                if not force and in_lease:
                    # A node that hears from a leader ignores votes: this is the lease that
                    # keeps a partitioned node from deposing a healthy leader.
                    last_term, last_index = self._last_entry()
                    self._log_vote(
                        "ignored-lease",
                        "ignored",
                        m,
                        last_term,
                        last_index,
                        lease_left=self.election_timeout - self.election_elapsed,
                    )
                    if self.tell is not None:
                        ignored = VoteIgnored(
                            self.id,
                            m.frm,
                            t == MsgPreVote,
                            m.term,
                            self.term,
                            self.lead,
                            self.election_elapsed,
                            self.election_timeout,
                        )
                        self.tell(replace(ignored, path=codepath.vote_ignored(ignored)))
                    return
                if self.tell is not None:
                    self._vote_gate = (m, self._higher_term_vote_gate(m, force))
            if t == MsgPreVote or (t == MsgPreVoteResp and not m.reject):
                # Pre-votes never move terms: granting one is only a promise.
                pass
            else:
                self._info(
                    "higher-term",
                    "%x [term: %s] received a %s message with higher term from %x [term: %s]",
                    self.id,
                    self.term,
                    t,
                    m.frm,
                    m.term,
                    fields=(("from", m.frm), ("type", str(t)), ("term", m.term)),
                )
                old_role, old_term = self.state, self.term
                if t in (MsgApp, MsgHeartbeat, MsgSnap):
                    self.become_follower(m.term, m.frm)
                elif self.paper_timers and old_role != StateLeader:
                    # The paper's rule: a newer term alone does not restart the timer.
                    timer = self.election_elapsed, self.randomized_election_timeout
                    self.become_follower(m.term, NONE)
                    self.election_elapsed, self.randomized_election_timeout = timer
                else:
                    self.become_follower(m.term, NONE)
                if self.tell is not None:
                    seen = TermSeen(
                        self.id,
                        old_role.value,
                        old_term,
                        m.term,
                        m.frm,
                        str(t),
                        m.reject,
                        self.lead,
                    )
                    gate = self._vote_gate
                    step = gate[1] if gate is not None and gate[0] is m else ""
                    path = codepath.term_seen(seen, step, self.randomized_election_timeout)
                    self.tell(replace(seen, path=path))
        elif m.term < self.term:
            if (
                self.accept_stale_leader
                and self.state == StateFollower
                and t in (MsgHeartbeat, MsgApp)
            ):
                # The unsafe variant: the follower takes the old leader's word as its leader's
                # (its own term stays, and stamps its answer, as AppendEntries' reply would).
                if self.tell is not None:
                    self._tell_stale(
                        StaleTerm(
                            self.id,
                            m.frm,
                            str(t),
                            m.term,
                            self.term,
                            "accepted",
                            unsafe=ACCEPT_STALE_LEADER,
                        )
                    )
                self._step_follower(m)
                return
            if (self.check_quorum or self.pre_vote) and t in (MsgHeartbeat, MsgApp):
                # Tell a stale leader about the newer term, so that it steps down and a node
                # stuck at a higher term (which pre-vote or the lease keep from winning) is freed.
                self.send(MsgAppResp, m.frm)
                if self.tell is not None:
                    self._tell_stale(StaleTerm(self.id, m.frm, str(t), m.term, self.term, "told"))
            elif t == MsgPreVote:
                last_term, last_index = self._last_entry()
                self._log_vote("reject-vote", "rejected", m, last_term, last_index)
                self.send(MsgPreVoteResp, m.frm, term=self.term, reject=True)
                if self.tell is not None:
                    self._tell_stale(
                        StaleTerm(self.id, m.frm, str(t), m.term, self.term, "refused")
                    )
            else:
                self._info(
                    "lower-term",
                    "%x [term: %s] ignored a %s message with lower term from %x [term: %s]",
                    self.id,
                    self.term,
                    t,
                    m.frm,
                    m.term,
                    fields=(("from", m.frm), ("type", str(t))),
                )
                if self.tell is not None:
                    self._tell_stale(
                        StaleTerm(self.id, m.frm, str(t), m.term, self.term, "ignored")
                    )
            return

        if t == MsgHup:
            self._hup(CampaignType.PRE_ELECTION if self.pre_vote else CampaignType.ELECTION)
        elif t in _VOTE_REQUESTS:
            self._handle_vote(m)
        elif self.state == StateLeader:
            self._step_leader(m)
        elif self.state == StateFollower:
            self._step_follower(m)
        else:
            self._step_candidate(m)

    def _higher_term_vote_gate(self, m: Message, force: bool) -> str:
        """Step's term check for a (pre-)vote request of a higher term that passed the lease."""
        lease = codepath.lease(
            self.check_quorum, self.lead, self.election_elapsed, self.election_timeout, force
        )
        if m.type == MsgPreVote:
            then = "no step-down (a pre-vote asks for a future term)"
        else:
            then = f"becomeFollower({m.term}, None)"
        return codepath.higher_term(str(m.type), m.term, self.term, then, lease)

    def _tell_stale(self, d: StaleTerm) -> None:
        assert self.tell is not None
        self.tell(replace(d, path=codepath.stale_term(d, self.check_quorum, self.pre_vote)))

    def _log_vote(
        self,
        kind: str,
        verb: str,
        m: Message,
        last_term: int,
        last_index: int,
        lease_left: int | None = None,
    ) -> None:
        """etcd's line for a (pre-)vote request `m` that the node `verb`s (cast, rejected,
        ignored): its own last entry and vote, the candidate's, and for a request the lease
        ignored, how many ticks the lease still has."""
        if self.sink is None:
            return
        self._info(
            kind,
            "%x [logterm: %s, index: %s, vote: %x] %s %s %s %x [logterm: %s, index: %s] at term %s"
            + ("" if lease_left is None else ": lease is not expired (remaining ticks: %s)"),
            self.id,
            last_term,
            last_index,
            self.vote,
            verb,
            m.type,
            "for" if verb == "cast" else "from",
            m.frm,
            m.log_term,
            m.index,
            self.term,
            *(() if lease_left is None else (lease_left,)),
            fields=(("from", m.frm), ("type", str(m.type))),
        )

    def _handle_vote(self, m: Message) -> None:
        can_vote = (
            self.vote == m.frm
            or (self.vote == NONE and self.lead == NONE)
            or (m.type == MsgPreVote and m.term > self.term)
        )
        last_term, last_index = self._last_entry()
        up_to_date = m.log_term > last_term or (m.log_term == last_term and m.index >= last_index)
        resp = vote_response_type(m.type)
        granted = can_vote and (up_to_date or self.no_log_check)
        if granted:
            self._log_vote("cast-vote", "cast", m, last_term, last_index)
        else:
            self._log_vote("reject-vote", "rejected", m, last_term, last_index)
        if self.tell is not None:
            future = m.type == MsgPreVote and m.term > self.term
            forgotten_term, forgot = self._forgotten
            if forgotten_term != self.term or self.vote != NONE:
                forgot = NONE
            unsafe = ""
            if granted and not up_to_date:
                unsafe = NO_LOG_CHECK
            elif granted and forgot not in (NONE, m.frm) and not future:
                # Had it remembered its vote, it would have refused.
                unsafe = FORGET_VOTE
            d = Vote(
                self.id,
                m.frm,
                m.type == MsgPreVote,
                m.term,
                self.term,
                granted,
                self.vote,
                self.lead,
                last_term,
                last_index,
                m.log_term,
                m.index,
                can_vote,
                up_to_date,
                forgot,
                not self.no_log_check,
                unsafe=unsafe,
            )
            gate, self._vote_gate = self._vote_gate, None
            if gate is not None and gate[0] is m:
                step = gate[1]
            else:
                step = f"Step: m.Term {m.term} == r.Term {self.term}"
            self.tell(replace(d, path=codepath.vote(d, step)))
        if granted:
            # A granted vote answers at the candidate's term; for a pre-vote, the future one.
            self.send(resp, m.frm, term=m.term)
            if m.type == MsgVote:
                self.election_elapsed = 0
                self.vote = m.frm
        else:
            self.send(resp, m.frm, term=self.term, reject=True)

    # ------------------------------------------------------------------ leader

    def _step_leader(self, m: Message) -> None:
        t = m.type
        if t == MsgBeat:
            self._bcast_heartbeat()
            return
        if t == MsgCheckQuorum:
            if not self.trk.quorum_active():
                self._warn(
                    "stepped-down",
                    "%x stepped down to follower since quorum is not active",
                    self.id,
                )
                if self.tell is not None:
                    progress = self.trk.progress
                    active = tuple(
                        v for v in self.trk.voters if v in progress and progress[v].recent_active
                    )
                    lost = QuorumLost(
                        self.id, self.term, active, self.trk.voters, self.election_timeout
                    )
                    self.tell(replace(lost, path=codepath.quorum_lost(lost)))
                self.become_follower(self.term, NONE)
            # Every check opens a new window in which followers must prove they are alive.
            for id, peer in self.trk.progress.items():
                if id != self.id:
                    peer.recent_active = False
            return
        if t == MsgProp:
            if not m.entries:
                raise AssertionError(f"{self.id:x} stepped empty MsgProp")
            if self.id not in self.trk.progress:
                raise ProposalDropped
            if self.lead_transferee != NONE:
                self._debug(
                    "drop-proposal",
                    "%x [term %s] transfer leadership to %x is in progress; dropping proposal",
                    self.id,
                    self.term,
                    self.lead_transferee,
                )
                self._tell_refused(m, "transfer")
                raise ProposalDropped
            self._append_entries(list(m.entries))
            if self.tell is not None:
                last = self.raft_log.last_index()
                first = last + 1 - len(m.entries)
                ents = self.raft_log.slice(first, last + 1)
                peers = [id for id in self.trk.ids() if id != self.id]
                path = codepath.proposed(first, last, self.term, peers)
                self.tell(Proposed(self.id, self.term, tuple(ents), m.frm, path=path))
            self._bcast_append()
            return
        if t == MsgForgetLeader:
            if self.tell is not None:
                path = codepath.forget_leader(self.lead, leader=True)
                self.tell(ForgotLeader(self.id, self.lead, self.term, ignored=True, path=path))
            return
        if t == MsgReadIndex:
            return

        pr = self.trk.progress.get(m.frm)
        if pr is None:
            self._debug("no-progress", "%x no progress available for %x", self.id, m.frm)
            return
        if t == MsgAppResp:
            self._handle_append_response(m, pr)
        elif t == MsgHeartbeatResp:
            pr.recent_active = True
            pr.msg_app_flow_paused = False
            # Even a paused or fully caught-up probing follower gets an (empty) append, so that a
            # lost stream recovers and a probe can turn back into replication.
            if pr.match < self.raft_log.last_index() or pr.state == StateProbe:
                self._send_append(m.frm)
        elif t == MsgUnreachable:
            if pr.state == StateReplicate:
                pr.become_probe()
            self._debug(
                "unreachable",
                "%x failed to send message to %x because it is unreachable [%s]",
                self.id,
                m.frm,
                pr,
            )
        elif t == MsgTransferLeader:
            self._handle_transfer_leader(m, pr)

    def _handle_append_response(self, m: Message, pr: Progress) -> None:
        pr.recent_active = True
        log = self.raft_log
        if m.reject:
            self._debug(
                "append-rejected",
                "%x received MsgAppResp(rejected, hint: (index %s, term %s)) from %x for index %s",
                self.id,
                m.reject_hint,
                m.log_term,
                m.frm,
                m.index,
            )
            next_probe = m.reject_hint
            if m.log_term > 0:
                # Skip every entry of a term the follower cannot have (fast log rejection).
                next_probe, _ = log.find_conflict_by_term(m.reject_hint, m.log_term)
            if pr.maybe_decr_to(m.index, next_probe):
                self._debug("decreased", "%x decreased progress of %x to [%s]", self.id, m.frm, pr)
                if pr.state == StateReplicate:
                    pr.become_probe()
                self._send_append(m.frm)
            return
        if not (pr.maybe_update(m.index) or (pr.match == m.index and pr.state == StateProbe)):
            return
        if pr.state == StateProbe:
            pr.become_replicate()
        elif pr.state == StateReplicate:
            pr.inflights.free_le(m.index)
        # An acknowledgement at or below the commit cannot move it, so without decision records
        # to tell (a CommitWaits) the quorum is not asked again: it can only have risen to this
        # match, and whatever a majority held before was already asked about when its last
        # match rose (every rise leads here). The followers that answer after a majority are
        # 40% of the asks, and asking was 7% of `bench core`.
        if (pr.match > log.committed or self.tell is not None) and self._maybe_commit(m):
            self._bcast_append()
        elif m.frm != self.id and pr.can_bump_commit(log.committed):
            self._send_append(m.frm)
        if m.frm != self.id:
            while self._maybe_send_append(m.frm, False):
                pass
        if m.frm == self.lead_transferee and pr.match == log.last_index():
            self._info(
                "transfer", "%x sent MsgTimeoutNow to %x after received MsgAppResp", self.id, m.frm
            )
            if self.tell is not None:
                self._tell_transfer(
                    Transfer(self.id, "caught-up", m.frm, self.term, pr.match, log.last_index())
                )
            self._send_timeout_now(m.frm)

    def _tell_transfer(self, d: Transfer) -> None:
        assert self.tell is not None
        self.tell(replace(d, path=codepath.transfer(d)))

    def _handle_transfer_leader(self, m: Message, pr: Progress) -> None:
        if pr.is_learner:
            self._debug("transfer", "%x is learner. Ignored transferring leadership", self.id)
            return
        transferee = m.frm
        if self.lead_transferee != NONE:
            if self.lead_transferee == transferee:
                self._info(
                    "transfer",
                    "%x [term %s] transfer leadership to %x is in progress, "
                    "ignores request to same node %x",
                    self.id,
                    self.term,
                    transferee,
                    transferee,
                )
                if self.tell is not None:
                    self._tell_transfer(Transfer(self.id, "same", transferee, self.term))
                return
            old = self.lead_transferee
            self.lead_transferee = NONE
            self._info(
                "transfer",
                "%x [term %s] abort previous transferring leadership to %x",
                self.id,
                self.term,
                old,
            )
            if self.tell is not None:
                self._tell_transfer(Transfer(self.id, "replaced", old, self.term, lead=transferee))
        if transferee == self.id:
            self._debug(
                "transfer", "%x is already leader. Ignored transferring leadership to self", self.id
            )
            if self.tell is not None:
                self._tell_transfer(Transfer(self.id, "to-self", transferee, self.term))
            return
        self._info(
            "transfer",
            "%x [term %s] starts to transfer leadership to %x",
            self.id,
            self.term,
            transferee,
        )
        self.election_elapsed = 0
        self.lead_transferee = transferee
        if self.tell is not None:
            last = self.raft_log.last_index()
            step = "start-now" if pr.match == last else "start-catch-up"
            self._tell_transfer(
                Transfer(
                    self.id, step, transferee, self.term, pr.match, last, self.election_timeout
                )
            )
        if pr.match == self.raft_log.last_index():
            self._send_timeout_now(transferee)
            self._info(
                "transfer",
                "%x sends MsgTimeoutNow to %x immediately as %x already has up-to-date log",
                self.id,
                transferee,
                transferee,
            )
        else:
            self._send_append(transferee)

    # ------------------------------------------------------------------ candidates

    def _step_candidate(self, m: Message) -> None:
        t = m.type
        my_resp = MsgPreVoteResp if self.state == StatePreCandidate else MsgVoteResp
        if t == MsgProp:
            self._info(
                "drop-proposal", "%x no leader at term %s; dropping proposal", self.id, self.term
            )
            self._tell_refused(m, "no-leader")
            raise ProposalDropped
        if t in (MsgApp, MsgHeartbeat):
            if self.tell is not None:
                found = codepath.leader_found(self.state.name, str(t), m.frm, m.term)
                self.tell(LeaderFound(self.id, self.state.value, m.term, m.frm, str(t), path=found))
            self.become_follower(m.term, m.frm)
            if t == MsgApp:
                self._handle_append_entries(m)
            else:
                self._handle_heartbeat(m)
        elif t == my_resp:
            granted, rejected, res = self._poll(m.frm, t, not m.reject)
            self._info(
                "tally",
                "%x has received %s %s votes and %s vote rejections",
                self.id,
                granted,
                t,
                rejected,
                fields=(("granted", granted), ("rejected", rejected)),
            )
            won: codepath.Path = ()
            if self.tell is not None:
                won = self._tell_tally(m, res)
            if res == VoteResult.VoteWon:
                if self.state == StatePreCandidate:
                    self._campaign(CampaignType.ELECTION, "pre-vote-won", via=won)
                else:
                    self.become_leader(via=won)
                    self._bcast_append()
            elif res == VoteResult.VoteLost:
                # A lost pre-vote leaves the term unchanged: it never moved.
                self.become_follower(self.term, NONE)
        elif t == MsgTimeoutNow:
            self._debug(
                "transfer",
                "%x [term %s state %s] ignored MsgTimeoutNow from %x",
                self.id,
                self.term,
                self.state,
                m.frm,
            )
            if self.tell is not None:
                self._tell_transfer(
                    Transfer(self.id, "ignored-timeout-now", self.id, self.term, lead=m.frm)
                )

    def _tell_tally(self, m: Message, res: VoteResult) -> codepath.Path:
        """Tell the tally's result (or that it has none yet); its path leads on to what the
        result makes the node do."""
        assert self.tell is not None
        votes = self.trk.votes
        voters = self.trk.voters
        pre_vote = self.state == StatePreCandidate
        term = self.term + 1 if pre_vote else self.term
        granted = tuple(v for v in voters if votes.get(v) is True)
        refused = tuple(v for v in voters if votes.get(v) is False)
        d: ElectionResult | VotePending
        if res == VoteResult.VotePending:
            d = VotePending(self.id, pre_vote, term, m.frm, granted, refused, voters)
        else:
            d = ElectionResult(
                self.id, pre_vote, term, res == VoteResult.VoteWon, granted, refused, voters
            )
        gate = codepath.vote_response_gate(str(m.type), m.term, self.term, m.reject)
        path = codepath.poll(d, str(m.type), m.frm, not m.reject, gate)
        self.tell(replace(d, path=path))
        return path

    # ------------------------------------------------------------------ followers

    def _step_follower(self, m: Message) -> None:
        t = m.type
        if t == MsgProp:
            if self.lead == NONE:
                self._info(
                    "drop-proposal",
                    "%x no leader at term %s; dropping proposal",
                    self.id,
                    self.term,
                )
                self._tell_refused(m, "no-leader")
                raise ProposalDropped
            if self.config.disable_proposal_forwarding:
                self._info(
                    "drop-proposal",
                    "%x not forwarding to leader %x at term %s; dropping proposal",
                    self.id,
                    self.lead,
                    self.term,
                )
                self._tell_refused(m, "no-forwarding")
                raise ProposalDropped
            if self.tell is not None:
                data = tuple(e.data for e in m.entries)
                path = codepath.proposal("stepFollower", "forwarded", self.lead, NONE)
                self.tell(ProposalForwarded(self.id, self.lead, self.term, data, path=path))
            self._forward(m, self.lead)
        elif t == MsgApp:
            self.election_elapsed = 0
            self.lead = m.frm
            self._handle_append_entries(m)
        elif t == MsgHeartbeat:
            self.election_elapsed = 0
            self.lead = m.frm
            self._handle_heartbeat(m)
        elif t == MsgTransferLeader:
            if self.lead == NONE:
                self._info(
                    "transfer",
                    "%x no leader at term %s; dropping leader transfer msg",
                    self.id,
                    self.term,
                )
                if self.tell is not None:
                    self._tell_transfer(Transfer(self.id, "no-leader", m.frm, self.term))
                return
            if self.tell is not None:
                self._tell_transfer(
                    Transfer(self.id, "forwarded", m.frm, self.term, lead=self.lead)
                )
            self._forward(m, self.lead)
        elif t == MsgForgetLeader:
            if self.config.read_only_lease_based:
                self._error("forget", "ignoring MsgForgetLeader due to ReadOnlyLeaseBased")
                return
            if self.tell is not None:
                path = codepath.forget_leader(self.lead, leader=False)
                self.tell(ForgotLeader(self.id, self.lead, self.term, path=path))
            if self.lead != NONE:
                self._info(
                    "forget", "%x forgetting leader %x at term %s", self.id, self.lead, self.term
                )
                self.lead = NONE
        elif t == MsgTimeoutNow:
            self._info(
                "transfer",
                "%x [term %s] received MsgTimeoutNow from %x and starts an "
                "election to get leadership.",
                self.id,
                self.term,
                m.frm,
            )
            self._hup(CampaignType.TRANSFER, m.frm)

    def _handle_append_entries(self, m: Message) -> None:
        log = self.raft_log
        if m.index < log.committed:
            self.send(MsgAppResp, m.frm, index=log.committed)
            return
        old_commit = log.committed
        conflict = self._conflict(m) if self.tell is not None else None
        last_new = log.maybe_append(m.index, m.log_term, m.entries, m.commit)
        if last_new is not None:
            if self.tell is not None:
                if conflict is not None:
                    self.tell(replace(conflict, path=codepath.log_conflict(conflict)))
                if log.committed > old_commit:
                    self._tell_commit_learned(m, old_commit)
            self.send(MsgAppResp, m.frm, index=last_new)
            return
        self._debug(
            "append-rejected",
            "%x [logterm: %s, index: %s] rejected MsgApp [logterm: %s, index: %s] from %x",
            self.id,
            log.term_or_zero(m.index),
            m.index,
            m.log_term,
            m.index,
            m.frm,
        )
        # Hint the largest (index, term) that may match, so the leader can skip whole terms.
        hint_index, hint_term = log.find_conflict_by_term(
            min(m.index, log.last_index()), m.log_term
        )
        if self.tell is not None:
            rejected = AppendRejected(
                self.id,
                m.frm,
                m.index,
                m.log_term,
                log.term_or_zero(m.index),
                log.last_index(),
                hint_index,
                hint_term,
            )
            self.tell(replace(rejected, path=codepath.append_rejected(rejected)))
        self.send(
            MsgAppResp,
            m.frm,
            index=m.index,
            reject=True,
            reject_hint=hint_index,
            log_term=hint_term,
        )

    def _conflict(self, m: Message) -> LogConflict | None:
        """The entries an append would overwrite, found without logging (etcd's findConflict
        logs its own line when the append really happens)."""
        log = self.raft_log
        if not log.match_term(m.index, m.log_term):
            return None
        for e in m.entries:
            if not log.match_term(e.index, e.term):
                last = log.last_index()
                if e.index > last:
                    return None
                lost = tuple(log.slice(e.index, last + 1))
                return LogConflict(self.id, m.frm, e.index, log.term(e.index), e.term, lost)
        return None

    def _handle_heartbeat(self, m: Message) -> None:
        log = self.raft_log
        old_commit = log.committed
        log.commit_to(m.commit)
        if self.tell is not None and log.committed > old_commit:
            self._tell_commit_learned(m, old_commit)
        self.send(MsgHeartbeatResp, m.frm, context=m.context)

    def _tell_commit_learned(self, m: Message, old_commit: int) -> None:
        assert self.tell is not None
        d = CommitLearned(self.id, m.frm, old_commit, self.raft_log.committed, str(m.type))
        self.tell(replace(d, path=codepath.commit_learned(d)))

    def _tell_refused(self, m: Message, reason: str) -> None:
        if self.tell is not None:
            data = tuple(e.data for e in m.entries)
            lead, transferee = self.lead, self.lead_transferee
            where = {
                StateLeader: "stepLeader",
                StateFollower: "stepFollower",
            }.get(self.state, "stepCandidate")
            path = codepath.proposal(where, reason, lead, transferee)
            self.tell(
                ProposalRefused(self.id, reason, self.term, data, lead, transferee, path=path)
            )
