"""Core room: the typed, immutable events and state views everything else consumes.

The simulation emits `Event`s (each with its simulated time and a sequence number) and can be
asked for a `ClusterView`, a plain snapshot of every node and every message in flight. The TUI
and the headless runner only ever see these values, never Raft objects, so they stay cheap to
render and cannot reach into the simulation.

Events are `hot_value`s (frozen for mypy, plain slotted classes at run time): a run emits two
per message, and a frozen dataclass's `__init__` was a tenth of `bench sim`'s time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from raftviz.core.raft.logline import LogLine
from raftviz.core.raft.messages import Entry, Message, hot_value

# ------------------------------------------------------------------ simulation events


@hot_value
class Event:
    """Base of everything the simulation reports. `seq` orders events that share a time."""

    time_ms: int
    seq: int


@hot_value
class RaftLog(Event):
    """A log line of one node's Raft core."""

    line: LogLine


@hot_value
class StateChanged(Event):
    """A node's role, term, known leader or vote changed."""

    node: int
    role: str
    term: int
    lead: int
    vote: int


@hot_value
class MessageEvent(Event):
    """A message sent, delivered or dropped. `flight` is the message's id in the network.

    The message itself is carried as is (it is immutable); the properties give its fields as
    plain values so consumers need not know the core's message class.
    """

    flight: int
    msg: Message
    sent_ms: int
    deliver_ms: int

    @property
    def frm(self) -> int:
        return self.msg.frm

    @property
    def to(self) -> int:
        return self.msg.to

    @property
    def type(self) -> str:
        return self.msg.type.name

    @property
    def term(self) -> int:
        return self.msg.term

    @property
    def log_term(self) -> int:
        return self.msg.log_term

    @property
    def index(self) -> int:
        return self.msg.index

    @property
    def commit(self) -> int:
        return self.msg.commit

    @property
    def reject(self) -> bool:
        return self.msg.reject

    @property
    def entries(self) -> int:
        return len(self.msg.entries)


@hot_value
class MessageSent(MessageEvent):
    pass


@hot_value
class MessageDelivered(MessageEvent):
    pass


@hot_value
class MessageDropped(MessageEvent):
    """`reason` is one of: loss, cut, crashed, partition, isolated, or "by hand" (a `drop`)."""

    reason: str = ""


@hot_value
class FlightChanged(MessageEvent):
    """A script command changed a message's fate without delivering or dropping it: `what` is
    "held" (it stays in flight until released, whatever the delivery mode), "released" (it may
    arrive by itself again) or "duplicated" (this flight is a copy put in flight by hand, right
    after its own MessageSent). Without it an event log could not say why a message is late."""

    what: str = ""


@hot_value
class EntriesChanged(Event):
    """Entries appended, truncated, committed or applied on a node (`what` says which)."""

    node: int
    what: str
    first: int
    last: int


@hot_value
class NodeFault(Event):
    """A node crashed or restarted (`what`)."""

    node: int
    what: str


@hot_value
class NetworkChanged(Event):
    """The network changed: a partition, isolation, cut, heal or new settings."""

    description: str


@hot_value
class TimersChanged(Event):
    """Election timers were set by hand (`what`: aligned, spread), not by the network:
    `timeouts` gives each changed node's new timeout in ticks, (node, ticks) in node order."""

    what: str
    timeouts: tuple[tuple[int, int], ...]


@hot_value
class SafetyViolation(Event):
    """A Raft safety property failed. Reported, never raised."""

    property: str
    nodes: tuple[int, ...]
    detail: str


@hot_value
class Narration(Event):
    """A `say` line of a script, or a `mark` label."""

    text: str
    mark: bool = False


# ------------------------------------------------------------------ state views


@dataclass(frozen=True, slots=True)
class ProgressView:
    """A leader's view of one follower (etcd's tracker.Progress)."""

    id: int
    match: int
    next: int
    state: str
    inflight: int
    paused: bool
    recent_active: bool
    learner: bool = False


EntryView = Entry
"""A log entry as screens see it (term, index, data). Entries are already immutable plain
values, so views share the core's own objects instead of copying every entry at every frame."""


@dataclass(frozen=True, slots=True)
class NodeView:
    """Everything about one node that a screen may show. Crashed nodes show persisted state."""

    id: int
    alive: bool
    role: str  # follower | pre-candidate | candidate | leader
    term: int
    vote: int
    lead: int
    commit: int
    applied: int
    last_index: int
    log: tuple[EntryView, ...]
    election_elapsed: int
    election_timeout: int
    votes: tuple[tuple[int, bool], ...] = ()
    progress: tuple[ProgressView, ...] = ()
    lead_transferee: int = 0
    isolated: bool = False
    group: int | None = None
    kv: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class NextEvent:
    """What `Cluster.step_event()` would process next: a message arriving (`kind` "deliver",
    `id` its flight) or a node's Raft tick (`kind` "tick", `id` the node), at `time_ms`. A
    screen highlights it so a user stepping through a run sees what the step will do."""

    kind: Literal["deliver", "tick"]
    id: int
    time_ms: int


FlightView = MessageSent
"""A message in flight is the event that launched it: the same immutable value, so a view
needs no copy of its fields. How far along it is: (now - sent_ms) / (deliver_ms - sent_ms).
`deliver_ms` is when the network would deliver it; a flight that waits for a command (held, or
in manual delivery) stays in flight past it, and arrives at the earliest when released."""


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A complete, plain snapshot of the cluster at `time_ms`."""

    time_ms: int
    seed: int
    nodes: tuple[NodeView, ...]
    flights: tuple[FlightView, ...]
    leader: int | None
    term: int  # the highest term of any node, leader or not
    cuts: tuple[tuple[int, int], ...] = ()  # directed links that drop messages (from, to)
    network: tuple[str, ...] = ()  # the network's faults in short words, for a status line
    violations: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # "auto": messages arrive by themselves; "manual": every one waits in flight for a command.
    delivery: Literal["auto", "manual"] = "auto"
    # Flights held by `hold`: they wait even in auto mode, until `release` or `deliver`.
    held: tuple[int, ...] = ()
    next_event: NextEvent | None = None  # what a step would process now
    unsafe: tuple[str, ...] = ()  # the unsafe variants of Raft the nodes run (none: etcd's)
