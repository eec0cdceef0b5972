"""A small in-memory test network of Raft nodes, after etcd's `network` in raft_test.go.

This re-expresses the harness conventions of the spec's section 14.0 on raftviz's core:

* `Network.send(*msgs)` is a FIFO work-list. It pops a message, steps it into its recipient,
  immediately persists the recipient's unstable entries and steps the recipient's self-addressed
  deferred messages (its self-vote, a leader's self-acknowledgement), then appends everything the
  recipient wants to send (after the filters) to the end of the work-list, until it is empty.
  A whole election or replication round therefore completes inside one `send`. Nothing is ticked.
* `DEAD` stands for etcd's `nopStepper`: a peer that swallows everything and sends nothing.
* Filters: `cut(a, b)`, `isolate(a)`, `ignore(type)`, `recover()` and a custom `msg_hook`.
* `ents_with_config(*terms)` / `voted_with_config(vote, term)` build the nodes etcd builds with
  `entsWithConfig` / `votedWithConfig` (election timeout 5).

The module-level helpers (`read_messages`, `advance_messages_after_append`, `next_ents`, ...)
mirror the test-only methods etcd adds to its `raft` struct, for tests that drive one node by hand.
etcd's harness steps self-addressed messages without persisting; `Network` additionally persists
what its nodes append (as a RawNode with synchronous storage would), which changes no decision
but keeps each node's `MemoryStorage` equal to its log. `read_messages` does not persist, so the
unstable tail stays observable in single-node tests, exactly as in etcd.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Final

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import NONE, Entry, HardState, Message, MsgType, StateType
from raftviz.core.raft.raft import Config, LogSink, ProposalDropped, Raft

M = MsgType


class _Dead:
    """etcd's `nopStepper`: a peer that swallows every message and never answers."""

    def __repr__(self) -> str:
        return "DEAD"


DEAD: Final = _Dead()

NodeFactory = Callable[[Config], Raft]
"""Builds a node from the network's default config for its id (etcd's `configFunc` + ctor)."""

Peer = Raft | NodeFactory | _Dead | None
"""What `Network` accepts per id: None = a fresh node, DEAD, a built Raft, or a factory."""


# ---------------------------------------------------------------------------------- building


def new_raft(
    id: int,
    voters: Iterable[int],
    election_tick: int = 10,
    heartbeat_tick: int = 1,
    *,
    entries: Iterable[Entry] = (),
    hard_state: HardState | None = None,
    learners: Iterable[int] = (),
    pre_vote: bool = False,
    check_quorum: bool = False,
    snapshot: tuple[int, int] = (0, 0),
    seed: int = 0,
    unsafe: tuple[str, ...] = (),
    sink: LogSink | None = None,
) -> Raft:
    """etcd's `newTestRaft`: a node whose storage holds `entries` (after a `snapshot` offset).
    `unsafe` switches unsafe variants on; `sink` receives its log lines and decision records."""
    storage = MemoryStorage(*snapshot)
    storage.append(list(entries))
    config = Config(
        id=id,
        voters=list(voters),
        learners=list(learners),
        election_tick=election_tick,
        heartbeat_tick=heartbeat_tick,
        pre_vote=pre_vote,
        check_quorum=check_quorum,
        rng=random.Random(seed * 1009 + id),
        unsafe=unsafe,
    )
    return Raft(config, storage, hard_state, sink, stories=sink is not None)


def entries_of(*terms: int, start: int = 1, data: str = "") -> list[Entry]:
    """Entries with the given terms at consecutive indexes from `start` (etcd's index().terms())."""
    return [Entry(term=t, index=start + i, data=data) for i, t in enumerate(terms)]


def ents_with_config(*terms: int) -> NodeFactory:
    """A node whose log holds entries of `terms` at 1..k and whose term is the last of them."""
    if not terms:
        raise ValueError("ents_with_config needs at least one term")

    def build(config: Config) -> Raft:
        storage = MemoryStorage()
        storage.append(entries_of(*terms))
        return Raft(replace(config, election_tick=5), storage, HardState(term=terms[-1]))

    return build


def voted_with_config(vote: int, term: int) -> NodeFactory:
    """A node with an empty log that voted for `vote` at `term` (etcd's votedWithConfig)."""

    def build(config: Config) -> Raft:
        return Raft(replace(config, election_tick=5), MemoryStorage(), HardState(term, vote))

    return build


# ---------------------------------------------------------------------------------- messages


def hup(id: int) -> Message:
    """A local MsgHup to `id`: make it campaign."""
    return Message(type=M.MsgHup, frm=id, to=id)


def beat(id: int) -> Message:
    """A local MsgBeat to leader `id`: make it broadcast heartbeats."""
    return Message(type=M.MsgBeat, frm=id, to=id)


def prop(id: int, data: str = "") -> Message:
    """A local proposal of one entry on `id`."""
    return Message(type=M.MsgProp, frm=id, to=id, entries=(Entry(term=0, index=0, data=data),))


def transfer(transferee: int, to: int) -> Message:
    """A local MsgTransferLeader stepped on `to`, asking to hand leadership to `transferee`."""
    return Message(type=M.MsgTransferLeader, frm=transferee, to=to)


# ---------------------------------------------------------------------------------- one node


def persist(r: Raft) -> None:
    """Write `r`'s unstable entries to its storage and mark them stable (a synchronous append)."""
    unstable = r.raft_log.unstable.entries
    if unstable:
        last = unstable[-1]
        r.raft_log.storage.append(list(unstable))
        r.entries_persisted(r.term, last.index, last.term)


def take_messages_after_append(r: Raft) -> list[Message]:
    """Take `r`'s deferred messages (etcd's test-only `takeMessagesAfterAppend`)."""
    msgs, r.msgs_after_append = r.msgs_after_append, []
    return msgs


def step_or_send(r: Raft, msgs: Iterable[Message]) -> None:
    """Step self-addressed messages into `r`, queue the others in `r.msgs` (etcd's stepOrSend)."""
    for m in msgs:
        if m.to == r.id:
            r.step(m)
        else:
            r.msgs.append(m)


def advance_messages_after_append(r: Raft, *, persist_entries: bool = False) -> None:
    """Deliver `r`'s deferred self-messages until none are left (advanceMessagesAfterAppend)."""
    while True:
        if persist_entries:
            persist(r)
        msgs = take_messages_after_append(r)
        if not msgs:
            return
        step_or_send(r, msgs)


def read_messages(r: Raft) -> list[Message]:
    """Advance `r`'s deferred messages, then take its whole outbox (etcd's readMessages)."""
    advance_messages_after_append(r)
    msgs, r.msgs = r.msgs, []
    return msgs


def next_ents(r: Raft) -> list[Entry]:
    """Persist, advance, return the newly applicable entries and apply them (etcd's nextEnts)."""
    persist(r)
    advance_messages_after_append(r, persist_entries=True)
    log = r.raft_log
    ents = log.next_committed_entries()
    log.applied_to(log.committed)
    return ents


def append_entry(r: Raft, *ents: Entry) -> None:
    """Append entries on a leader as a proposal would, without sending (etcd's mustAppendEntry)."""
    r._append_entries(list(ents))


def set_randomized_election_timeout(r: Raft, ticks: int) -> None:
    r.randomized_election_timeout = ticks


def terms_of(r: Raft) -> list[int]:
    """The terms of every entry in `r`'s log, index 1 first."""
    return [e.term for e in r.raft_log.all_entries()]


# ---------------------------------------------------------------------------------- network


class Network:
    """Nodes 1..n wired together by a lossless FIFO network with optional filters."""

    def __init__(
        self,
        *peers: Peer,
        pre_vote: bool = False,
        check_quorum: bool = False,
        election_tick: int = 10,
        heartbeat_tick: int = 1,
        seed: int = 0,
    ) -> None:
        ids = list(range(1, len(peers) + 1))
        self.peers: dict[int, Raft | None] = {}
        for id, p in zip(ids, peers, strict=True):
            if isinstance(p, _Dead):
                self.peers[id] = None
            elif isinstance(p, Raft):
                if p.id != id:
                    raise ValueError(f"peer #{id} was built with id {p.id}")
                self.peers[id] = p
            else:
                config = Config(
                    id=id,
                    voters=ids,
                    election_tick=election_tick,
                    heartbeat_tick=heartbeat_tick,
                    pre_vote=pre_vote,
                    check_quorum=check_quorum,
                    rng=random.Random(seed * 1009 + id),
                )
                self.peers[id] = Raft(config) if p is None else p(config)
        self.dropm: set[tuple[int, int]] = set()
        self.ignorem: set[MsgType] = set()
        self.msg_hook: Callable[[Message], bool] | None = None
        self.dropped_proposals: list[Message] = []
        """Proposals a node refused with ProposalDropped while the network delivered them."""

    def __getitem__(self, id: int) -> Raft:
        r = self.peers[id]
        if r is None:
            raise KeyError(f"peer {id} is dead")
        return r

    def live(self) -> list[Raft]:
        return [r for r in self.peers.values() if r is not None]

    def send(self, *msgs: Message) -> None:
        """Deliver `msgs` and everything they cause, in FIFO order, until the network is quiet."""
        queue = list(msgs)
        while queue:
            m = queue.pop(0)
            r = self.peers.get(m.to)
            if r is None:
                continue
            try:
                r.step(m)
            except ProposalDropped:
                self.dropped_proposals.append(m)
            advance_messages_after_append(r, persist_entries=True)
            out, r.msgs = r.msgs, []
            queue.extend(self._filter(out))

    def _filter(self, msgs: list[Message]) -> list[Message]:
        kept = []
        for m in msgs:
            if m.type in self.ignorem or (m.frm, m.to) in self.dropm:
                continue
            if self.msg_hook is not None and not self.msg_hook(m):
                continue
            kept.append(m)
        return kept

    def cut(self, one: int, other: int) -> None:
        """Drop every message between `one` and `other`, both ways."""
        self.dropm |= {(one, other), (other, one)}

    def isolate(self, id: int) -> None:
        """Drop every message to or from `id`."""
        for other in self.peers:
            if other != id:
                self.cut(id, other)

    def ignore(self, t: MsgType) -> None:
        """Drop every message of type `t`."""
        self.ignorem.add(t)

    def recover(self) -> None:
        """Lift every cut, isolation and ignored type (the hook stays)."""
        self.dropm = set()
        self.ignorem = set()


def check_leader_transfer_state(r: Raft, state: StateType, lead: int) -> None:
    """After a transfer: `r` has `state` and `lead`, and no transfer is pending."""
    assert (r.state, r.lead, r.lead_transferee) == (state, lead, NONE)
