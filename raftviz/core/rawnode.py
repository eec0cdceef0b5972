"""Core room: Ready / Advance around one Raft, like etcd's RawNode with synchronous storage.

A Ready is the work a node owes the world: state to persist, entries to persist and apply,
messages to send. The caller persists, sends, applies, then calls `advance()`. Only then do
the node's responses to itself count (its own vote, a leader's acknowledgement of its own
entries): that is why a single-node cluster needs a round of Readies to elect itself, and why
raftviz shows a candidate's own vote arriving after its state is persisted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from raftviz.core.log import MemoryStorage
from raftviz.core.messages import (
    LOCAL_MESSAGES,
    RESPONSE_MESSAGES,
    Entry,
    HardState,
    Message,
    MsgType,
    SoftState,
)
from raftviz.core.raft import Config, LogSink, Raft


class StepError(Exception):
    """A message the node refuses at its door (etcd's ErrStepLocalMsg / ErrStepPeerNotFound)."""


@dataclass(frozen=True, slots=True)
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


@dataclass
class _AfterAdvance:
    """What accepting a Ready promised to do on `advance()`."""

    self_messages: list[Message] = field(default_factory=list)
    stable: tuple[int, int, int] | None = None  # (term at accept, index, log term)
    applied: int = 0


class RawNode:
    """A Raft node driven by Ready/Advance, with its in-memory storage."""

    def __init__(
        self,
        config: Config,
        storage: MemoryStorage | None = None,
        hard_state: HardState | None = None,
        sink: LogSink | None = None,
    ) -> None:
        self.storage = storage or MemoryStorage()
        self.raft = Raft(config, self.storage, hard_state, sink)
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
        if r.soft_state() != self.prev_soft:
            return True
        hs = r.hard_state()
        if not hs.is_empty() and hs != self.prev_hard:
            return True
        if r.msgs or r.msgs_after_append:
            return True
        log = r.raft_log
        return bool(log.unstable.next_entries()) or log.has_next_committed_entries()

    def ready(self) -> Ready:
        """Hand out the outstanding work and accept it: the caller must persist, then advance."""
        if self._after is not None:
            raise AssertionError("ready() called twice without advance()")
        r = self.raft
        log = r.raft_log
        soft = r.soft_state()
        hard = r.hard_state()
        entries = tuple(log.unstable.next_entries())
        committed = tuple(log.next_committed_entries())
        after = _AfterAdvance()
        outgoing = list(r.msgs)
        for m in r.msgs_after_append:
            if m.to == r.id:
                after.self_messages.append(m)
            else:
                outgoing.append(m)
        rd = Ready(
            soft_state=soft if soft != self.prev_soft else None,
            hard_state=hard if hard != self.prev_hard else None,
            entries=entries,
            committed_entries=committed,
            messages=tuple(outgoing),
            must_sync=bool(entries)
            or hard.term != self.prev_hard.term
            or hard.vote != self.prev_hard.vote,
        )
        if log.unstable.entries:
            last = log.last_index()
            after.stable = (r.term, last, log.term(last))
        if committed:
            after.applied = committed[-1].index
            log.accept_applying(committed[-1].index)
        if rd.soft_state is not None:
            self.prev_soft = soft
        if rd.hard_state is not None and not hard.is_empty():
            self.prev_hard = hard
        r.msgs = []
        r.msgs_after_append = []
        log.unstable.accept_in_progress()
        self._after = after
        return rd

    def persist(self, rd: Ready) -> None:
        """Write a Ready's hard state and entries to storage (synchronous storage)."""
        if rd.hard_state is not None:
            self.persisted_hard = rd.hard_state
        self.storage.append(rd.entries)

    def advance(self) -> None:
        after = self._after
        if after is None:
            raise AssertionError("advance() without ready()")
        self._after = None
        r = self.raft
        for m in after.self_messages:
            r.step(m)
        if after.stable is not None:
            r.entries_persisted(*after.stable)
        if after.applied:
            r.raft_log.applied_to(after.applied)
