"""Core room: Ready / Advance around one Raft, like etcd's RawNode with synchronous storage.

A Ready is the work a node owes the world: state to persist, entries to persist and apply,
messages to send. The caller persists, sends, applies, then calls `advance()`. Only then do
the node's responses to itself count (its own vote, a leader's acknowledgement of its own
entries): that is why a single-node cluster needs a round of Readies to elect itself, and why
raftviz shows a candidate's own vote arriving after its state is persisted.
"""

from __future__ import annotations

from dataclasses import dataclass

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import (
    LOCAL_MESSAGES,
    NONE,
    RESPONSE_MESSAGES,
    Entry,
    HardState,
    Message,
    MsgType,
    SoftState,
)
from raftviz.core.raft.raft import Config, LogSink, Raft


class StepError(Exception):
    """A message the node refuses at its door (etcd's ErrStepLocalMsg / ErrStepPeerNotFound)."""


@dataclass(slots=True)  # not frozen: one is built per Ready, and frozen init is slower
class Ready:
    soft_state: SoftState | None = None
    hard_state: HardState | None = None
    entries: tuple[Entry, ...] = ()
    committed_entries: tuple[Entry, ...] = ()
    messages: tuple[Message, ...] = ()
    must_sync: bool = False

    def is_empty(self) -> bool:
        return (
            self.soft_state is None
            and self.hard_state is None
            and not self.entries
            and not self.committed_entries
            and not self.messages
        )


# What accepting a Ready promised to do on `advance()`: the node's own responses to step, the
# (term at accept, index, log term) its log is stable to, and the index applied (0: none). A
# tuple, not an object: one is made per Ready, and an object's __init__ cost a call each.
_AfterAdvance = tuple[tuple[Message, ...], tuple[int, int, int] | None, int]


class RawNode:
    """A Raft node driven by Ready/Advance, with its in-memory storage."""

    def __init__(
        self,
        config: Config,
        storage: MemoryStorage | None = None,
        hard_state: HardState | None = None,
        sink: LogSink | None = None,
        stories: bool = False,
    ) -> None:
        self.storage = storage or MemoryStorage()
        self.raft = Raft(config, self.storage, hard_state, sink, stories)
        self.prev_soft = self.raft.soft_state()
        self.prev_hard = self.raft.hard_state()
        self.persisted_hard = hard_state or HardState(commit=self.raft.raft_log.committed)
        self._after: _AfterAdvance | None = None

    # ------------------------------------------------------------------ inputs

    def tick(self) -> None:
        self.raft.tick()

    def campaign(self) -> None:
        self.raft.step(Message(type=MsgType.MsgHup, frm=self.raft.id))

    def propose(self, data: str) -> None:
        """Propose one normal entry; raises ProposalDropped when the node cannot take it."""
        self.raft.step(
            Message(type=MsgType.MsgProp, frm=self.raft.id, entries=(Entry(0, 0, data),))
        )

    def transfer_leader(self, transferee: int) -> None:
        self.raft.step(Message(type=MsgType.MsgTransferLeader, frm=transferee))

    def forget_leader(self) -> None:
        self.raft.step(Message(type=MsgType.MsgForgetLeader))

    def report_unreachable(self, peer: int) -> None:
        self.raft.step(Message(type=MsgType.MsgUnreachable, frm=peer))

    def step(self, m: Message) -> None:
        """Step a message that arrived over the network."""
        if m.type in LOCAL_MESSAGES:
            raise StepError("raft: cannot step raft local message")
        if m.type in RESPONSE_MESSAGES and m.frm not in self.raft.trk.progress:
            raise StepError("raft: cannot step as peer not found")
        self.raft.step(m)

    # ------------------------------------------------------------------ Ready / Advance

    def has_ready(self) -> bool:
        r = self.raft
        if r.msgs or r.msgs_after_append:
            return True
        log = r.raft_log
        # Entries not yet handed out, read off the unstable tail here and in ready() rather than
        # through a method of it: a simulation asks after every input, so one call fewer here
        # is 1% of `bench sim`.
        unstable = log.unstable
        if unstable.offset_in_progress < unstable.offset + len(unstable.entries):
            return True
        if log.applying < log.committed:
            return True
        soft, hard = self.prev_soft, self.prev_hard
        if r.lead != soft.lead or r.state != soft.state:
            return True
        # Compared field by field: asked twice per input in the simulation, building tuples to
        # compare was a third of this method's time.
        if r.term == hard.term and r.vote == hard.vote and log.committed == hard.commit:
            return False
        # An all-zero hard state is never worth a Ready.
        return r.term != 0 or r.vote != NONE or log.committed != 0

    def ready(self) -> Ready:
        """Hand out the outstanding work and accept it: the caller must persist, then advance."""
        if self._after is not None:
            raise AssertionError("ready() called twice without advance()")
        r = self.raft
        log = r.raft_log
        prev_soft, prev_hard = self.prev_soft, self.prev_hard
        soft = None
        if r.lead != prev_soft.lead or r.state != prev_soft.state:
            soft = self.prev_soft = SoftState(r.lead, r.state)
        hard = None
        if (
            r.term != prev_hard.term
            or r.vote != prev_hard.vote
            or log.committed != prev_hard.commit
        ):
            hard = HardState(r.term, r.vote, log.committed)
            if not hard.is_empty():
                self.prev_hard = hard
        unstable = log.unstable
        if unstable.offset_in_progress < unstable.offset + len(unstable.entries):
            entries = tuple(unstable.next_entries())
        else:
            entries = ()
        committed = tuple(log.next_committed_entries()) if log.applying < log.committed else ()
        own: tuple[Message, ...] = ()
        outgoing = r.msgs
        for m in r.msgs_after_append:
            if m.to == r.id:
                own += (m,)
            else:
                outgoing.append(m)
        rd = Ready(
            soft,
            hard,
            entries,
            committed,
            tuple(outgoing),
            bool(entries) or r.term != prev_hard.term or r.vote != prev_hard.vote,
        )
        stable = None
        if unstable.entries:
            # The log's last entry is the unstable tail's: read there, not through the log's
            # index and term lookups (a Ready per input in a simulation).
            last = unstable.entries[-1]
            stable = (r.term, last.index, last.term)
            unstable.accept_in_progress()
        applied = 0
        if committed:
            applied = committed[-1].index
            log.accept_applying(applied)
        r.msgs = []
        r.msgs_after_append = []
        self._after = (own, stable, applied)
        return rd

    def persist(self, rd: Ready) -> None:
        """Write a Ready's hard state and entries to storage (synchronous storage)."""
        if rd.hard_state is not None:
            self.persisted_hard = rd.hard_state
        if rd.entries:  # most Readies of a simulation carry only messages
            self.storage.append(rd.entries)

    def advance(self) -> bool:
        """Finish the accepted Ready. True if the node stepped its own responses (its vote, a
        leader's acknowledgement): only then can it have a new Ready or a new role, term or
        leader, since `ready()` handed out all else and marking entries stable or applied
        changes neither. A simulation asks for a Ready after every one, so that saying so
        spares it a `has_ready()` per Ready (most carry no own response)."""
        after = self._after
        if after is None:
            raise AssertionError("advance() without ready()")
        self._after = None
        own, stable, applied = after
        r = self.raft
        for m in own:
            r.step(m)
        if stable is not None:
            r.entries_persisted(*stable)
        if applied:
            r.raft_log.applied_to(applied)
        return bool(own)
