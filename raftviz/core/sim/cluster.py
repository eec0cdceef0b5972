"""Core room: the discrete-event simulation - nodes, network, simulated clock and faults.

Time is integer simulated milliseconds. Two kinds of things happen at a time: a node's Raft
ticks (every `tick_ms`, with a phase offset per node), and a message arrives. After every input
to a node its Ready is processed at once: persist, apply committed entries to a small key-value
store, hand the messages to the network, advance. One `random.Random(seed)` draws everything
random (phases, election timeouts, flight times, loss), and a heap ordered by (time, sequence)
decides the order of everything, so the same seed and commands give the same run, event for event.

Every change is reported as an immutable event (see `events.py`); with `stories=True` every
Raft decision is also reported as a `Story` (see `story.py`). `view()` gives a plain snapshot
for screens; `snapshot()`/`restore()` let a timeline rewind, and `on_step` tells it of every
event processed.

Each message's fate can also be decided by hand: in manual delivery mode messages wait in
flight; `hold` keeps one waiting in any mode; `deliver`, `drop` and `duplicate` act on one now.
A flight arrives by itself only while it has a live delivery in the heap (`_due`), so holding it
or switching to manual mode forgets that delivery, and releasing it schedules a new one: what a
waiting flight does never depends on when the heap's stale entries happen to be cleared.
"""

from __future__ import annotations

import copy
import heapq
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from raftviz.core.raft.decision import Decision
from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import NONE, HardState, Message, MsgType, StateType
from raftviz.core.raft.raft import Config, ProposalDropped
from raftviz.core.raft.rawnode import RawNode, StepError
from raftviz.core.sim.events import (
    ClusterView,
    EntriesChanged,
    Event,
    FlightChanged,
    MessageDelivered,
    MessageDropped,
    MessageEvent,
    MessageSent,
    Narration,
    NetworkChanged,
    NextEvent,
    NodeFault,
    NodeView,
    ProgressView,
    RaftLog,
    SafetyViolation,
    StateChanged,
    TimersChanged,
)
from raftviz.core.sim.invariants import SafetyChecker, Violation
from raftviz.core.sim.network import Links
from raftviz.core.sim.story import Applied, Panicked, Story

DELIVER = 1  # the kind of every entry of the delivery heap (ticks have a heap of their own)


class ClusterError(ValueError):
    """A command the cluster cannot carry out (an unknown node, no leader...)."""


@dataclass(frozen=True)
class Settings:
    nodes: int = 5
    seed: int = 1
    prevote: bool = True
    checkquorum: bool = True
    election_tick: int = 10
    heartbeat_tick: int = 1
    tick_ms: int = 100
    latency: tuple[int, int] = (50, 150)
    loss: float = 0.0
    dup: float = 0.0
    auto_tick: bool = True
    unsafe: tuple[str, ...] = ()  # unsafe variants of Raft (core/raft/unsafe.py), none by default
    # The randomized election timeout's range in ms, whole ticks (instead of etcd's draw from
    # [election_tick, 2 * election_tick) ticks), and whose election timer rule the nodes follow
    # (see Config): the Raft paper's experiments need both.
    election_timeout_ms: tuple[int, int] | None = None
    timer_rule: str = "etcd"
    # How long a write to disk takes: a Ready that persists something (entries, a new term or
    # vote) sends its messages only once written, as etcd asks of its users (persist, then
    # send). 0, the default, writes at once. The Raft paper's broadcast time may include it.
    disk_ms: int = 0

    def election_ticks(self) -> tuple[int, int]:
        """The randomized election timeout's range in ticks, both ends included."""
        if self.election_timeout_ms is None:
            return self.election_tick, 2 * self.election_tick - 1
        lo, hi = self.election_timeout_ms
        return lo // self.tick_ms, hi // self.tick_ms


@dataclass(slots=True)
class TickChain:
    """A node's clock: it ticks at `first`, `first + tick_ms`... until it crashes or is
    realigned. What the cluster knows of those ticks, so that it can leave out the idle ones
    (see `Cluster` on skipping) and still order the rest exactly as if every one had run.

    A tick at time T is, in the order of everything, where it would be had it been pushed on
    one heap when the node's previous tick ran (or when the chain started, for the first):
    after everything pushed before that moment, before everything pushed after it. `at` and
    `mark` say when the chain started (the time, and the sequence number of the last thing
    pushed before); `passed_at` and `passed_mark` the same of the latest tick known to have
    come before something else of its millisecond (ticks known only to have come after
    everything of their millisecond are not recorded: none is needed). `rank` orders the
    ticks of chains with the same phase, which keep the order of their first tie."""

    first: int
    at: int
    mark: int
    rank: int
    counted: int  # the latest tick whose counting the node's Raft has done
    passed_at: int = -1
    passed_mark: int = 0
    plan: int | None = None  # when the node ticks next for real: a live entry of the tick heap


@dataclass
class SimNode:
    id: int
    raw: RawNode
    alive: bool = True
    phase: int = 0
    generation: int = 0  # bumps whenever the node's planned tick changes, invalidating the old
    chain: TickChain | None = None  # None: the node does not tick by itself (crashed, manual)
    kv: dict[str, str] = field(default_factory=dict)
    # (state, term, lead, vote) as last reported in a StateChanged; state None when crashed
    seen: tuple[StateType | None, int, int, int] = (None, -1, -1, -1)


class _Relay:
    """Forwards the log lines and decision records of a cluster's nodes to that cluster (each
    copy has its own)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def __call__(self, line: LogLine | Decision) -> None:
        if type(line) is LogLine:
            self.cluster._emit_log(line)
        else:
            self.cluster._emit(Story, line)


ROLE = {
    StateType.StateFollower: "follower",
    StateType.StatePreCandidate: "pre-candidate",
    StateType.StateCandidate: "candidate",
    StateType.StateLeader: "leader",
}


class Cluster:
    """N Raft nodes on a simulated network, advanced event by event.

    Most ticks only count: a follower's election timer goes up by one, far from its timeout.
    With `skip_idle_ticks` the cluster runs only the ticks that can do more (a timeout that
    fires, a leader's heartbeat or quorum check; `Raft.idle_ticks` says when), and a node
    catches up on the counting it skipped before anything else touches it (a message, a
    command, a view). The run stays the same event for event: the same events, random draws
    and order (`TickChain` says how the skipped ticks keep their place among same-millisecond
    events). What changes is only what is processed: `step_event()` and `on_step` see the
    ticks that ran, so the skipped ones are no positions of a timeline and no steps of a
    stepping user. Skipping is therefore off by default, as the TUI (whose timeline counts
    every event and whose `.` steps over each tick) needs it, and on where only the events
    count: `raftviz check` trials, `raftviz run` of scripts without `step`, `bench sim`.

    A `quiet` cluster builds no events and its nodes write no log lines (nor stories), for
    callers that only read its state: `raftviz check` trials and the election-time experiment.
    The run is the same (events and log lines never feed back into it); only `drain()` has
    nothing to hand over and `event_seq` stays 0. `on_send` sees every message put on the wire,
    for such a caller that waits for one.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        stories: bool = False,
        skip_idle_ticks: bool = False,
        quiet: bool = False,
    ) -> None:
        if quiet and stories:
            raise ValueError("a quiet cluster tells no stories")
        s = self.settings = settings or Settings()
        # Stories explain each decision; off, no node builds a decision record (see story.py).
        # They never change the run: the same seed gives the same events with or without them.
        self.stories = stories
        self.skip_idle_ticks = skip_idle_ticks
        self.quiet = quiet
        self.rng = random.Random(s.seed)
        self.time_ms = 0
        # True after `step_event()` until the next `advance_to()`: the clock stopped inside a
        # millisecond, with events of it still to come, and the next action must not run them.
        self.stepped = False
        # Called after every event processed (a tick, a delivery), with its time: how a
        # timeline counts positions. Never copied into a snapshot.
        self.on_step: Callable[[int], None] | None = None
        # Called with every message put on the wire (duplicates included). Never copied either.
        self.on_send: Callable[[Message], None] | None = None
        self._seq = 0  # orders scheduled items at the same time
        self._event_seq = 0
        # Deliveries: (time, sequence, DELIVER, flight, the time it was pushed at).
        self._heap: list[tuple[int, int, int, int, int]] = []
        # Planned ticks: (time, order, node id, the node's generation). The order of ticks due
        # at the same time: the sequence number of their push when every tick runs (exactly
        # one heap's order), the chain's rank when skipping (see `_tick_wins_tie`).
        self._ticks: list[tuple[int, int, int, int]] = []
        self._ranks = 0  # the last rank given to a tick chain
        self._tick_next = False  # whether a tick runs next, as `next_time()` last found
        # The ticking nodes by phase (first tick modulo tick_ms): those whose tick can share
        # a millisecond with an event.
        self._phases: dict[int, list[SimNode]] = {}
        # Messages in flight, by flight id: the MessageSent event that launched each.
        self.flights: dict[int, MessageSent] = {}
        # The flights that will arrive by themselves: flight id -> sequence number of its
        # delivery in the heap, the one entry of that flight that is live.
        self._due: dict[int, int] = {}
        self.manual = False  # manual delivery: no message arrives until a command says so
        self.held: set[int] = set()  # flights `hold` keeps in flight, whatever the mode
        self._lost: set[int] = set()  # flights the network will drop on arrival
        self._next_flight = 1
        self.links = Links()
        self.loss = s.loss
        self.dup = s.dup
        self.latency = s.latency
        self.checker = SafetyChecker()
        self.violations: list[Violation] = []
        self._events: list[Event] = []
        self._relay = _Relay(self)
        self.nodes: dict[int, SimNode] = {}
        for id in range(1, s.nodes + 1):
            node = SimNode(id, self._new_rawnode(id, MemoryStorage(), None))
            node.phase = self.rng.randrange(s.tick_ms)
            self.nodes[id] = node
            self._start_ticking(node, node.phase)
        for node in self.nodes.values():
            self._report_state(node)

    # ------------------------------------------------------------------ construction

    def _new_rawnode(self, id: int, storage: MemoryStorage, hs: HardState | None) -> RawNode:
        s = self.settings
        lo, hi = s.election_ticks()
        config = Config(
            id=id,
            voters=list(range(1, s.nodes + 1)),
            election_tick=lo,
            election_range=(lo, hi),
            timer_rule=s.timer_rule,
            heartbeat_tick=s.heartbeat_tick,
            check_quorum=s.checkquorum,
            pre_vote=s.prevote,
            rng=self.rng,
            unsafe=s.unsafe,
        )
        sink = None if self.quiet else self._relay
        return RawNode(config, storage, hs, sink=sink, stories=self.stories)

    # ------------------------------------------------------------------ events out

    def _emit(self, event_type: type[Event], *args: object) -> None:
        """Build and keep an event. Fields by position only: keywords (which no caller used)
        cost a dict per event, 40 of the 280 ns a call took (timeit)."""
        if self.quiet:
            return
        self._event_seq += 1
        self._events.append(event_type(self.time_ms, self._event_seq, *args))

    def _emit_log(self, line: LogLine) -> None:
        self._emit(RaftLog, line)

    def narrate(self, text: str, mark: bool = False) -> None:
        """A script's `say` (or `mark`) line, in the event stream where it happened."""
        self._emit(Narration, text, mark)

    @property
    def event_seq(self) -> int:
        """The sequence number of the latest event emitted."""
        return self._event_seq

    def drain(self) -> list[Event]:
        """Hand over the events produced since the last call."""
        events, self._events = self._events, []
        return events

    def _violations(self, found: list[Violation]) -> None:
        for v in found:
            self.violations.append(v)
            self._emit(SafetyViolation, v.property, v.nodes, v.detail)

    def _message_event(self, sent: MessageSent, cls: type[MessageEvent], *extra: str) -> None:
        """An event about the flight `sent`; `extra` is a drop's reason or a change's what."""
        if self.quiet:
            return
        self._event_seq += 1
        args = (self.time_ms, self._event_seq, sent.flight, sent.msg, sent.sent_ms, sent.deliver_ms)
        self._events.append(cls(*args, *extra))

    # ------------------------------------------------------------------ node plumbing

    def _report_state(self, node: SimNode) -> None:
        r = node.raw.raft
        seen = (r.state, r.term, r.lead, r.vote)
        if seen == node.seen:
            return
        became_leader = r.state == StateType.StateLeader and node.seen[0] != r.state
        node.seen = seen
        self._emit(StateChanged, node.id, ROLE[r.state], r.term, r.lead, r.vote)
        if became_leader:
            log = r.raft_log
            terms = [log.term(i) for i in range(log.last_index() + 1)]
            self._violations(self.checker.became_leader(node.id, r.term, terms))

    def _process(self, node: SimNode) -> None:
        """Handle every Ready the node has: persist, apply, send, advance. After a Ready, the
        node is asked again (and its state reported again) only if `advance()` stepped its own
        responses, as nothing else can give it more: one `has_ready()` and one state report
        fewer per Ready (under cProfile, 370k calls to each were 5% of `bench sim`)."""
        raw = node.raw
        r = raw.raft
        self._report_state(node)
        more = raw.has_ready()
        while more:
            rd = raw.ready()
            if rd.entries:
                first, last = rd.entries[0].index, rd.entries[-1].index
                if first <= raw.storage.last_index():
                    self._emit(
                        EntriesChanged, node.id, "truncated", first, raw.storage.last_index()
                    )
                self._violations(
                    self.checker.persisted(node.id, rd.entries, r.state == StateType.StateLeader)
                )
                self._emit(EntriesChanged, node.id, "appended", first, last)
            old_commit = raw.persisted_hard.commit
            raw.persist(rd)
            if rd.hard_state is not None and rd.hard_state.commit > old_commit:
                commit = rd.hard_state.commit
                self.checker.committed_to(commit, r.raft_log.term)
                self._emit(EntriesChanged, node.id, "committed", old_commit + 1, commit)
            if rd.committed_entries:
                for e in rd.committed_entries:
                    key, eq, value = e.data.partition("=")
                    if eq:
                        node.kv[key] = value
                self._violations(self.checker.applied_entries(node.id, rd.committed_entries))
                ce = rd.committed_entries
                self._emit(EntriesChanged, node.id, "applied", ce[0].index, ce[-1].index)
                if self.stories:
                    self._emit(Story, Applied(node.id, ce))
            wait = self.settings.disk_ms if rd.must_sync else 0
            for m in rd.messages:
                self._send(m, wait)
            if raw.advance():
                self._report_state(node)
                more = raw.has_ready()
            else:
                more = False

    def _send(self, m: Message, wait: int = 0, duplicate: bool = False) -> int:
        """Put `m` on the wire, `wait` from now (the disk write it waits for): draw its flight
        time, whether it is lost, and whether the network duplicates it (a duplicate is never
        duplicated again). Returns its flight id. In manual delivery it is not scheduled: it
        waits in flight for a command."""
        now = self.time_ms
        leaves = now + wait
        lo, hi = self.latency
        rand = self.rng.random
        flight = self._next_flight
        self._next_flight = flight + 1
        # One draw per flight time: uniform over the whole milliseconds in [lo, hi].
        deliver = leaves + lo + int(rand() * (hi - lo + 1))
        if self.loss and rand() < self.loss:
            self._lost.add(flight)
        # The event is also the flight's record, so a quiet cluster builds it too (with no
        # sequence number) but keeps it only in flight.
        if self.quiet:
            sent = MessageSent(now, 0, flight, m, leaves, deliver)
        else:
            self._event_seq += 1
            sent = MessageSent(now, self._event_seq, flight, m, leaves, deliver)
            self._events.append(sent)
        self.flights[flight] = sent
        if self.on_send is not None:
            self.on_send(m)
        if not self.manual:
            # _schedule_delivery(), inline: a call fewer per message sent.
            seq = self._seq = self._seq + 1
            self._due[flight] = seq
            heapq.heappush(self._heap, (deliver, seq, DELIVER, flight, now))
        if not duplicate and self.dup and rand() < self.dup:
            self._send(m, wait, duplicate=True)
        return flight

    def _schedule_delivery(self, flight: int, time: int) -> None:
        """Make `time` the one moment `flight` arrives by itself (any earlier entry goes stale)."""
        self._seq += 1
        self._due[flight] = self._seq
        heapq.heappush(self._heap, (time, self._seq, DELIVER, flight, self.time_ms))

    def _panicked(self, node: SimNode, reason: str) -> None:
        """With a safety rule switched off, a leader can ask a node what etcd's own checks
        refuse (to commit beyond the end of its log...): etcd panics there, and its process
        stops. So does the node, with its persisted state, instead of the whole run."""
        unsafe = ", ".join(self.settings.unsafe)
        self._emit_log(LogLine(Level.ERROR, node.id, "panic", f"panic: {reason}", ()))
        if self.stories:
            self._emit(Story, Panicked(node.id, reason, unsafe=unsafe))
        self.crash(node.id)

    # ------------------------------------------------------------------ ticks

    def _start_ticking(self, node: SimNode, first: int) -> None:
        """Give the node a new clock whose first tick is at `first` (now, or within a tick)."""
        self._stop_ticking(node)
        if not self.settings.auto_tick:
            return
        now, tick = self.time_ms, self.settings.tick_ms
        self._ranks += 1
        node.chain = TickChain(first, now, self._seq, self._ranks, first - tick)
        self._phases.setdefault(first % tick, []).append(node)
        if self.skip_idle_ticks and first == now + tick:
            # A same-phase tick still to come in this millisecond (after a `step`) pushes its
            # successor after this chain's first tick: it now comes after it, for good.
            later = sorted(
                (n.chain.rank, n.id)
                for n in self.nodes.values()
                if n.chain is not None
                and n is not node
                and now >= n.chain.first
                and (now - n.chain.first) % tick == 0
                and n.chain.passed_at != now
            )
            for _, id in later:
                other = self.nodes[id]
                assert other.chain is not None
                self._ranks += 1
                other.chain.rank = self._ranks
                other.chain.plan = None  # its planned tick carries its old rank: plan again
                self._catch_up(other)
                self._replan(other)
        self._replan(node)

    def _stop_ticking(self, node: SimNode) -> None:
        """The node's clock stops (it crashed, or a new one replaces it): its Raft keeps the
        counting done so far, and its planned tick goes stale."""
        chain = node.chain
        if chain is not None:
            self._catch_up(node)
            phase = chain.first % self.settings.tick_ms
            self._phases[phase].remove(node)
            if not self._phases[phase]:
                del self._phases[phase]
            node.chain = None
        node.generation += 1

    def _note_passed(
        self, time: int, *, rank: int | None = None, seq: int = 0, pushed: int = 0
    ) -> None:
        """Record the skipped ticks of millisecond `time` that come before what happens next:
        the planned tick of rank `rank`, the delivery `seq` pushed at `pushed`, or (neither
        given) whatever acts once the millisecond is over. What is pushed from now on comes
        after them, as the ticks' successors will know (`_tick_before`)."""
        tick = self.settings.tick_ms
        for node in self._phases.get(time % tick, ()):  # ticks of other phases never tie
            chain = node.chain
            if (
                chain is None
                or chain.passed_at == time
                or time < chain.first
                or (time - chain.first) % tick
                or (chain.plan is not None and time >= chain.plan)
            ):
                continue
            if rank is not None:
                before = chain.rank < rank
            elif seq:
                before = self._tick_before(chain, time, seq, pushed)
            else:
                before = True
            if before:
                chain.passed_at, chain.passed_mark = time, self._seq

    def _catch_up(self, node: SimNode) -> None:
        """Let the node's Raft count the ticks it skipped that have come by now."""
        chain = node.chain
        now, tick = self.time_ms, self.settings.tick_ms
        if chain is None or now - chain.counted < tick:  # no tick since the last counted
            return
        last = now - (now - chain.first) % tick
        if last == now and chain.passed_at != now:
            last -= tick  # this millisecond's tick is still to come
        if last > chain.counted:
            node.raw.raft.skip_idle_ticks((last - chain.counted) // tick)
            chain.counted = last

    def _replan(self, node: SimNode) -> None:
        """Plan the node's next tick that can do something (its next tick, when not skipping),
        after an input that may have reset its timers (the node is caught up). A plan that only
        moves later (a follower hearing from its leader) keeps its heap entry, which
        `next_time()` moves when it comes up: one push per timeout instead of per message."""
        chain = node.chain
        if chain is None:
            return
        idle = node.raw.raft.idle_ticks() if self.skip_idle_ticks else 0
        plan = None if idle is None else chain.counted + (idle + 1) * self.settings.tick_ms
        old = chain.plan
        chain.plan = plan
        if plan is None or (old is not None and old <= plan):
            return
        node.generation += 1
        if self.skip_idle_ticks:
            order = chain.rank
        else:
            self._seq += 1
            order = self._seq
        heapq.heappush(self._ticks, (plan, order, node.id, node.generation))

    def _deliver_now(self, sent: MessageSent) -> None:
        """Hand the flight `sent` to its node (or drop it), the node caught up on its ticks
        first, then plan the node's next tick. One method for the whole of it, as it runs per
        message: handing the flight over in a method of its own cost a call per message."""
        flight = sent.flight
        m = sent.msg
        target = self.nodes[m.to]
        self._catch_up(target)
        del self.flights[flight]
        self._due.pop(flight, None)
        reason = None
        if self._lost and flight in self._lost:
            self._lost.discard(flight)
            reason = "loss"
        elif not target.alive:
            reason = "crashed"
        elif self.links.any():
            reason = self.links.reason_blocked(m.frm, m.to, m.type)
        if reason is not None:
            self._message_event(sent, MessageDropped, reason)
        else:
            # Built here rather than by _message_event: one per message, and its *args cost.
            if not self.quiet:
                self._event_seq += 1
                self._events.append(
                    MessageDelivered(
                        self.time_ms, self._event_seq, flight, m, sent.sent_ms, sent.deliver_ms
                    )
                )
            # A refused message (a forwarded proposal reaching a node that lost its leader) is
            # logged by the core; on the wire it is simply gone, as in etcd.
            try:
                target.raw.step(m)
            except (StepError, ProposalDropped):
                pass
            except AssertionError as panic:
                if not self.settings.unsafe:
                    raise  # etcd's Raft panicked: a bug in raftviz's port
                self._panicked(target, str(panic))
                return  # crashed: no tick to plan
            self._process(target)
        self._replan(target)

    # ------------------------------------------------------------------ time

    def next_time(self) -> int | None:
        """When the next scheduled thing happens (None if nothing ever will). On the way it
        finds which runs first, the head of the tick heap or of the delivery heap, and keeps
        that in `_tick_next` for `_run_next()` and `peek()`: they come right after, and asking
        again was a call per event."""
        heap = self._heap
        while heap:
            _, seq, _, flight, _ = heap[0]
            if self._due.get(flight) == seq:
                break
            heapq.heappop(heap)  # delivered, held, rescheduled...
        ticks = self._ticks
        while ticks:
            time, rank, id, generation = ticks[0]
            node = self.nodes[id]
            if node.generation == generation:
                plan = node.chain.plan if node.chain is not None else None
                if plan == time:
                    break
                if plan is not None:  # postponed (see `_replan`): move the entry
                    heapq.heapreplace(ticks, (plan, rank, id, generation))
                    continue
            heapq.heappop(ticks)  # replanned earlier, crashed, never busy...
        if not ticks:
            self._tick_next = False
            return heap[0][0] if heap else None
        time = ticks[0][0]
        if not heap:
            self._tick_next = True
            return time
        d_time = heap[0][0]
        if time != d_time:
            self._tick_next = time < d_time
            return time if time < d_time else d_time
        self._tick_next = self._tick_wins_tie()
        return time

    def _tick_wins_tie(self) -> bool:
        """Whether the head of the tick heap runs before that of the delivery heap, due at the
        same time (both live, as `next_time()` leaves them)."""
        time, order, id, _ = self._ticks[0]
        _, seq, _, _, pushed = self._heap[0]
        if not self.skip_idle_ticks:
            return order < seq
        chain = self.nodes[id].chain
        assert chain is not None
        return self._tick_before(chain, time, seq, pushed)

    def _tick_before(self, chain: TickChain, time: int, seq: int, pushed: int) -> bool:
        """Whether the chain's tick at `time` runs before the delivery due then that was pushed
        at `pushed` with sequence number `seq`: if the tick would have been pushed first."""
        mark: int | None
        if time == chain.first:
            pre, mark = chain.at, chain.mark
        else:
            pre = time - self.settings.tick_ms
            mark = chain.passed_mark if chain.passed_at == pre else None
        # An unrecorded previous tick came after everything pushed in its millisecond.
        return pushed > pre or (pushed == pre and mark is not None and mark < seq)

    def peek(self) -> NextEvent | None:
        """What `step_event()` would process now, changing nothing a run depends on (only
        stale heap entries are cleared). None if nothing ever will happen."""
        time = self.next_time()
        if time is None:
            return None
        if self._tick_next:
            return NextEvent("tick", self._ticks[0][2], max(time, self.time_ms))
        flight = self._heap[0][3]
        return NextEvent("deliver", flight, max(time, self.time_ms))

    def step_event(self) -> bool:
        """Process the next scheduled thing, moving the clock to it. False if there is none."""
        if self.next_time() is None:
            return False
        self._run_next()
        self.stepped = True
        return True

    def _run_next(self) -> None:
        """Run the head of the heaps that `next_time()` has just found to run first."""
        skip = self.skip_idle_ticks
        if self._tick_next:
            time, order, id, _ = heapq.heappop(self._ticks)
            if time > self.time_ms:
                self.time_ms = time
            if skip:
                self._note_passed(time, rank=order)
            node = self.nodes[id]
            chain = node.chain
            assert chain is not None
            self._catch_up(node)
            chain.passed_at, chain.passed_mark, chain.counted = time, self._seq, time
            chain.plan = None  # popped: the next plan is pushed anew
            if not skip:
                self._replan(node)  # the next tick, pushed before what this one sends
            node.raw.tick()
            self._process(node)
            self._replan(node)
        else:
            time, seq, _, flight, pushed = heapq.heappop(self._heap)
            if time > self.time_ms:  # not max(): a builtin call per message
                self.time_ms = time
            if skip and time % self.settings.tick_ms in self._phases:
                self._note_passed(time, seq=seq, pushed=pushed)
            self._deliver_now(self.flights[flight])
        if self.on_step is not None:
            self.on_step(self.time_ms)

    def step_tick(self) -> bool:
        """Process scheduled things up to and including the next node tick."""
        while True:
            t = self.next_time()
            if t is None:
                return False
            is_tick = self._tick_next
            self.step_event()
            if is_tick:
                return True

    def advance_to(self, time_ms: int) -> None:
        """Process everything due at or before `time_ms`, then set the clock to it."""
        while True:
            t = self.next_time()
            if t is None or t > time_ms:
                break
            self._run_next()
        if time_ms >= self.time_ms:
            self.time_ms = time_ms
            if self.skip_idle_ticks:
                # The millisecond is over: its skipped ticks came before whatever acts next.
                self._note_passed(time_ms)
        self.stepped = False

    def settle(self) -> None:
        """Finish the events due at or before now, unless the clock was stopped inside this
        millisecond on purpose (by `step_event`): actions happen between two milliseconds, or
        exactly where a user stepped to."""
        if not self.stepped:
            self.advance_to(self.time_ms)

    # ------------------------------------------------------------------ lookups

    def node(self, id: int) -> SimNode:
        node = self.nodes.get(id)
        if node is None:
            raise ClusterError(f"unknown node {id} (cluster has nodes 1-{len(self.nodes)})")
        return node

    def live(self, id: int) -> SimNode:
        node = self.node(id)
        if not node.alive:
            raise ClusterError(f"node {id} is crashed")
        return node

    def leader(self) -> int | None:
        """The live leader with the highest term, if any."""
        best: tuple[int, int] | None = None
        for node in self.nodes.values():
            r = node.raw.raft
            if (
                node.alive
                and r.state == StateType.StateLeader
                and (best is None or r.term > best[0])
            ):
                best = (r.term, node.id)
        return best[1] if best else None

    def require_leader(self) -> int:
        lead = self.leader()
        if lead is None:
            raise ClusterError("there is no leader")
        return lead

    # ------------------------------------------------------------------ Raft inputs

    def _touch(self, id: int) -> SimNode:
        """The live node `id`, caught up on its skipped ticks before an input changes it (the
        input's method plans its next tick after)."""
        node = self.live(id)
        self._catch_up(node)
        return node

    def tick(self, id: int) -> None:
        node = self._touch(id)
        node.raw.tick()
        self._process(node)
        self._replan(node)

    def campaign(self, id: int) -> None:
        node = self._touch(id)
        node.raw.campaign()
        self._process(node)
        self._replan(node)

    def propose(self, id: int | None, data: str) -> bool:
        """A client proposes `data` at node `id` (the leader if None). False if it was dropped."""
        node = self._touch(self.require_leader() if id is None else id)
        try:
            node.raw.propose(data)
            accepted = True
        except ProposalDropped:
            accepted = False
        self._process(node)
        self._replan(node)
        return accepted

    def transfer_leadership(self, frm: int, to: int) -> None:
        self.node(to)
        node = self._touch(frm)
        node.raw.transfer_leader(to)
        self._process(node)
        self._replan(node)

    def forget_leader(self, id: int) -> None:
        node = self._touch(id)
        node.raw.forget_leader()
        self._process(node)
        self._replan(node)

    def set_election_timeout(self, id: int, ticks: int) -> None:
        node = self._touch(id)
        node.raw.raft.randomized_election_timeout = ticks
        self._replan(node)

    def align_timers(self) -> None:
        """Give every live follower the same timeout, elapsed count and tick phase: their
        timers fire together, the classic setup of a split vote."""
        lo, hi = self.settings.election_ticks()
        timeout = lo + self.rng.randrange(hi - lo + 1)
        first = self._next_tick_time(0)
        changed: list[tuple[int, int]] = []
        for node in self.nodes.values():
            r = node.raw.raft
            if node.alive and r.state != StateType.StateLeader:
                self._catch_up(node)
                r.randomized_election_timeout = timeout
                r.election_elapsed = 0
                node.phase = 0
                self._start_ticking(node, first)
                changed.append((node.id, timeout))
        self._emit(TimersChanged, "aligned", tuple(changed))

    def spread_timers(self) -> None:
        """Spread the followers' timeouts across [election, 2*election) ticks, so one fires
        well before the others and wins alone."""
        lo, hi = self.settings.election_ticks()
        followers = [
            n for n in self.nodes.values() if n.alive and n.raw.raft.state != StateType.StateLeader
        ]
        step = max(1, (hi - lo + 1) // max(1, len(followers)))
        changed: list[tuple[int, int]] = []
        for k, node in enumerate(followers):
            r = node.raw.raft
            self._catch_up(node)
            r.randomized_election_timeout = lo + min(k * step, hi - lo)
            r.election_elapsed = 0
            self._replan(node)
            changed.append((node.id, r.randomized_election_timeout))
        self._emit(TimersChanged, "spread", tuple(changed))

    def _next_tick_time(self, phase: int) -> int:
        """The first time after now at which a node with this phase ticks."""
        tick = self.settings.tick_ms
        return self.time_ms + (phase - self.time_ms) % tick or self.time_ms + tick

    # ------------------------------------------------------------------ faults

    def crash(self, id: int) -> None:
        node = self.live(id)
        node.alive = False
        self._stop_ticking(node)
        self._emit(NodeFault, id, "crashed")
        self._emit(StateChanged, id, "crashed", *node.seen[1:])
        node.seen = (None, -1, -1, -1)
        # Its messages still waiting for a disk write (`disk=`) never leave. The write itself
        # counts as done: a write under way at a crash may or may not be on disk, and raftviz
        # keeps it.
        for sent in [f for f in self.flights.values() if f.frm == id and f.sent_ms > self.time_ms]:
            self._remove_flight(sent)
            self._message_event(sent, MessageDropped, "sender crashed")

    def restart(self, id: int) -> None:
        """Rebuild a crashed node from what it persisted: term, vote, commit and its log."""
        node = self.node(id)
        if node.alive:
            raise ClusterError(f"node {id} is not crashed")
        old = node.raw
        node.raw = self._new_rawnode(id, old.storage, old.persisted_hard)
        node.alive = True
        node.kv = {}
        self._emit(NodeFault, id, "restarted")
        self._start_ticking(node, self._next_tick_time(node.phase))
        self._process(node)
        self._replan(node)

    def partition(self, groups: list[list[int]]) -> None:
        for g in groups:
            for id in g:
                self.node(id)
        self.links.partition([frozenset(g) for g in groups])
        self._emit(NetworkChanged, "partition " + self.links.describe())

    def isolate(self, id: int) -> None:
        self.node(id)
        self.links.isolated.add(id)
        self._emit(NetworkChanged, f"isolated {id}")

    def rejoin(self, id: int) -> None:
        self.node(id)
        self.links.isolated.discard(id)
        self._emit(NetworkChanged, f"{id} rejoined")

    def cut(self, a: int, b: int, both: bool, msg_type: str | None = None) -> None:
        """Cut the link a->b (and b->a if `both`), for every message or only `msg_type`'s."""
        self.node(a)
        self.node(b)
        links = [(a, b), (b, a)] if both else [(a, b)]
        if msg_type is None:
            self.links.cuts.update(links)
        else:
            self.links.type_cuts.update((frm, to, msg_type) for frm, to in links)
        only = f" {msg_type}" if msg_type else ""
        self._emit(NetworkChanged, f"cut {a}{'-' if both else '>'}{b}{only}")

    def heal(self) -> None:
        self.links.heal()
        self._emit(NetworkChanged, "healed: all links open")

    def set_network(
        self,
        loss: float | None = None,
        dup: float | None = None,
        latency: tuple[int, int] | None = None,
    ) -> None:
        if loss is not None:
            self.loss = loss
        if dup is not None:
            self.dup = dup
        if latency is not None:
            self.latency = latency
        self._emit(
            NetworkChanged,
            f"network: loss={self.loss:g} dup={self.dup:g} "
            f"latency={self.latency[0]}-{self.latency[1]}ms",
        )

    # ------------------------------------------------------------------ immediate delivery

    def stabilize(self, limit: int = 100_000) -> None:
        """Deliver everything in flight now, in send order, and what that produces, until
        nothing is in flight but held messages (a hold outlasts it, as it outlasts any mode).
        The clock does not move and nobody ticks."""
        for _ in range(limit):
            waiting = self.flights.keys() - self.held if self.held else self.flights
            if not waiting:
                return
            self._deliver_now(self.flights[min(waiting)])
        raise ClusterError(f"stabilize did not settle after {limit} messages")

    def deliver_msgs(self, id: int, type: MsgType | None = None) -> int:
        """etcd's `deliver-msgs`: every message in flight to `id`, but the held ones."""
        self.node(id)
        due = [
            f
            for f in sorted(self.flights.values(), key=lambda f: f.flight)
            if f.msg.to == id and (type is None or f.msg.type == type) and f.flight not in self.held
        ]
        for f in due:
            self._deliver_now(f)
        return len(due)

    # ------------------------------------------------------------------ each message's fate

    def set_delivery(self, manual: bool) -> None:
        """Manual delivery: no message arrives by itself, each waits in flight for a command
        (ticks go on). Back to auto, every waiting flight that is not held arrives when the
        network would have delivered it, or now if that time has passed: no new draw, so
        switching modes never shifts the random draws of the rest of the run."""
        self.manual = manual
        if manual:
            self._due.clear()
        else:
            for flight in sorted(self.flights.keys() - self.held - self._due.keys()):
                self._schedule_delivery(flight, max(self.flights[flight].deliver_ms, self.time_ms))
        self._emit(
            NetworkChanged,
            "delivery manual: messages stay in flight until a command decides"
            if manual
            else "delivery auto: messages in flight arrive by themselves",
        )

    def select(
        self, frm: int, to: int, type: MsgType | None = None, index: int | None = None
    ) -> list[int]:
        """The flights in flight from `frm` to `to` (only of `type` if given), in send order;
        only the `index`th of them (1-based) if given. A ClusterError saying what is in flight
        when there is no such message."""
        self.node(frm)
        self.node(to)
        found = [
            f
            for f, sent in sorted(self.flights.items())
            if sent.msg.frm == frm and sent.msg.to == to and (type is None or sent.msg.type == type)
        ]
        what = f"{'message' if type is None else type.name} {frm}->{to}"
        if not found:
            raise ClusterError(f"no {what} in flight ({self.describe_flights()})")
        if index is None:
            return found
        if index > len(found):
            raise ClusterError(
                f"only {len(found)} {what} in flight, no number {index} ({self.describe_flights()})"
            )
        return [found[index - 1]]

    def describe_flights(self) -> str:
        """``in flight: 1->2 MsgHeartbeat x2, 3->1 MsgVoteResp (held)``, in send order (of each
        kind's first), for an error that must say what there is instead."""
        counts: dict[str, int] = {}
        for f in sorted(self.flights):
            m = self.flights[f].msg
            kind = f"{m.frm}->{m.to} {m.type.name}" + (" (held)" if f in self.held else "")
            counts[kind] = counts.get(kind, 0) + 1
        if not counts:
            return "nothing is in flight"
        kinds = (kind if n == 1 else f"{kind} x{n}" for kind, n in counts.items())
        return "in flight: " + ", ".join(kinds)

    def _flight(self, flight: int) -> MessageSent:
        sent = self.flights.get(flight)
        if sent is None:
            raise ClusterError(f"no flight {flight} in flight ({self.describe_flights()})")
        return sent

    def deliver(self, flight: int) -> None:
        """Deliver one message now, out of order, held or not, whatever the mode. It takes the
        network's one path, so a lost message, a cut link or a crashed receiver still drops it."""
        sent = self._flight(flight)
        self.held.discard(flight)
        self._deliver_now(sent)

    def drop(self, flight: int) -> None:
        """Remove one message from the network, as a loss would, but reported as by hand."""
        sent = self._flight(flight)
        self._remove_flight(sent)
        self._message_event(sent, MessageDropped, "by hand")

    def _remove_flight(self, sent: MessageSent) -> None:
        del self.flights[sent.flight]
        self._due.pop(sent.flight, None)
        self.held.discard(sent.flight)
        self._lost.discard(sent.flight)

    def duplicate(self, flight: int) -> int:
        """Put a copy of one message in flight, drawn like a duplicate the network makes (its
        own flight time and loss) and reported as made by hand. Returns the copy's flight."""
        copy = self._send(self._flight(flight).msg, duplicate=True)
        self._message_event(self.flights[copy], FlightChanged, "duplicated")
        return copy

    def hold(self, flight: int) -> None:
        """Keep one message in flight, whatever the mode, until `release` or `deliver`
        (nothing changes if it is held already)."""
        sent = self._flight(flight)
        if flight in self.held:
            return
        self.held.add(flight)
        self._due.pop(flight, None)
        self._message_event(sent, FlightChanged, "held")

    def release(self, flight: int) -> None:
        """Let a held message arrive by itself again (at its delivery time, or now if that has
        passed, as when leaving manual mode); in manual mode it still waits for a command.
        Nothing changes if it is not held."""
        sent = self._flight(flight)
        if flight not in self.held:
            return
        self.held.discard(flight)
        if not self.manual:
            self._schedule_delivery(flight, max(sent.deliver_ms, self.time_ms))
        self._message_event(sent, FlightChanged, "released")

    # ------------------------------------------------------------------ views and snapshots

    def view(self, log_tail: int | None = None) -> ClusterView:
        """The whole cluster now; `log_tail` limits each node's log to its last entries."""
        nodes = tuple(self.node_view(n, log_tail) for n in self.nodes.values())
        lead = self.leader()
        flights = tuple(self.flights.values())
        s = self.settings
        return ClusterView(
            time_ms=self.time_ms,
            seed=s.seed,
            nodes=nodes,
            flights=flights,
            leader=lead,
            # The highest term of any node: during an election there is no leader to ask,
            # yet the candidates' terms are the story.
            term=max(n.term for n in nodes),
            cuts=tuple(sorted(self.links.cuts)),
            network=self._network_summary(),
            violations=tuple(f"{v.property}: {v.detail}" for v in self.violations),
            unsafe=s.unsafe,
            delivery="manual" if self.manual else "auto",
            held=tuple(sorted(self.held)),
            next_event=self.peek(),
            settings=(
                ("prevote", str(s.prevote).lower()),
                ("checkquorum", str(s.checkquorum).lower()),
                ("tick", f"{s.tick_ms}ms"),
                ("latency", f"{self.latency[0]}-{self.latency[1]}ms"),
                *((("disk", f"{s.disk_ms}ms"),) if s.disk_ms else ()),
                ("loss", f"{self.loss:g}"),
                ("dup", f"{self.dup:g}"),
                ("delivery", "manual" if self.manual else "auto"),
            ),
        )

    def _network_summary(self) -> tuple[str, ...]:
        faults = list(self.links.summary())
        if self.manual:
            faults.append("manual delivery")
        if self.loss:
            faults.append(f"loss {self.loss:.0%}")
        if self.dup:
            faults.append(f"dup {self.dup:.0%}")
        return tuple(faults)

    def node_view(self, node: SimNode, log_tail: int | None = None) -> NodeView:
        self._catch_up(node)  # its election timer shows the ticks skipped so far
        raw = node.raw
        r = raw.raft
        log = r.raft_log
        if node.alive:
            last = log.last_index()
            first = (
                log.first_index()
                if log_tail is None
                else max(log.first_index(), last - log_tail + 1)
            )
            ents = log.slice(first, last + 1)
            term, vote, commit, applied = r.term, r.vote, log.committed, log.applied
            role, lead = ROLE[r.state], r.lead
        else:
            fi, last = raw.storage.first_index(), raw.storage.last_index()
            if log_tail is not None:
                fi = max(fi, last - log_tail + 1)
            ents = raw.storage.entries(fi, last + 1) if last >= fi else []
            hs = raw.persisted_hard
            term, vote, commit, applied = hs.term, hs.vote, hs.commit, log.applied
            role, lead = "crashed", NONE
        progress: tuple[ProgressView, ...] = ()
        if node.alive and r.state == StateType.StateLeader:
            progress = tuple(
                ProgressView(
                    id,
                    pr.match,
                    pr.next,
                    str(pr.state).removeprefix("State"),
                    pr.inflights.count(),
                    pr.is_paused(),
                    pr.recent_active,
                    pr.is_learner,
                )
                for id, pr in sorted(r.trk.progress.items())
            )
        return NodeView(
            id=node.id,
            alive=node.alive,
            role=role,
            term=term,
            vote=vote,
            lead=lead,
            commit=commit,
            applied=applied,
            last_index=last,
            log=tuple(ents),
            election_elapsed=r.election_elapsed if node.alive else 0,
            election_timeout=r.randomized_election_timeout,
            votes=tuple(sorted(r.trk.votes.items()))
            if r.state in (StateType.StateCandidate, StateType.StatePreCandidate)
            else (),
            progress=progress,
            lead_transferee=r.lead_transferee,
            isolated=node.id in self.links.isolated,
            group=self.links.group_of(node.id),
            kv=tuple(sorted(node.kv.items())),
        )

    def snapshot(self) -> Cluster:
        """A deep copy of the whole simulation (entries and messages are shared: immutable)."""
        events, self._events = self._events, []
        try:
            return copy.deepcopy(self)
        finally:
            self._events = events

    def restore(self, snap: Cluster) -> None:
        """Become a copy of `snap` (which stays usable for further restores); whoever listens
        to `on_step` or `on_send` goes on listening."""
        hooks = self.on_step, self.on_send
        self.__dict__.update(copy.deepcopy(snap).__dict__)
        self._relay.cluster = self
        self.on_step, self.on_send = hooks

    def footprint(self) -> int:
        """About how many bytes a snapshot of the cluster holds: the containers a deep copy
        duplicates (entries and messages are immutable and shared, so they do not count), and
        the nodes' own objects, whose progress trackers grow with the square of their number
        (measured with tracemalloc: 30, 59 and 147 KiB for 3, 5 and 9 nodes with short logs)."""
        size = sys.getsizeof
        c = self.checker
        n = len(self.nodes)
        total = 1024 * (5 + 5 * n + 5 * n * n // 4)
        total += size(self._heap) + size(self._ticks) + size(self.flights) + size(c.prefixes)
        total += size(c.committed) + size(c.applied) + sum(size(x) for x in c.chains.values())
        for node in self.nodes.values():
            log = node.raw.raft.raft_log
            total += size(node.raw.storage._ents) + size(log.unstable.entries) + size(node.kv)
        return total

    def __deepcopy__(self, memo: dict[int, object]) -> Cluster:
        clone = Cluster.__new__(Cluster)
        memo[id(self)] = clone
        # The copy's nodes must log into the copy: give it its own relay before they are copied.
        memo[id(self._relay)] = _Relay(clone)
        for k, v in self.__dict__.items():
            if k in ("on_step", "on_send"):
                clone.__dict__[k] = None
            else:
                clone.__dict__[k] = v if k == "settings" else copy.deepcopy(v, memo)
        return clone
