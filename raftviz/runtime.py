"""Runtime room: paces the simulation in wall time, takes commands, fans out events (Trio).

This is the only place where wall time exists. One Trio task (`Runtime.run`) owns the cluster
and decides the order of everything that happens to it, so Trio's scheduler can never change a
run: commands arrive over a channel and take effect between two simulation events, after every
event due at or before the moment they arrive, exactly as a script's commands do. That is what
lets a session be saved as a script and replayed event for event.

Subscribers (the TUI, tests) get batches of events plus a fresh view. A slow subscriber never
slows the simulation: its buffer is bounded, and when it overflows its backlog is replaced by
one coalesced batch carrying only the latest view.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import trio

from raftviz.core.cluster import ClusterError
from raftviz.core.events import ClusterView, Event
from raftviz.core.executor import CommandFailed, Executor
from raftviz.core.script import (
    Command,
    Condition,
    Located,
    PauseCmd,
    RunCmd,
    RunUntilCmd,
)

FRAME_S = 1 / 30
"""How often a running simulation publishes at most: a frame at 30 frames per second."""

VIEW_LOG_TAIL = 200
"""Entries per node a published view carries: screens show the tail, and a full copy of long
logs at every frame would make memory and time grow with the run."""

WORK_BUDGET_S = 0.02
"""Longest stretch of simulation work between two checks for commands, so keys stay snappy."""


# ---------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class StepEvent:
    pass


@dataclass(frozen=True)
class StepTick:
    pass


@dataclass(frozen=True)
class SetSpeed:
    speed: float


@dataclass(frozen=True)
class Do:
    """A script command to carry out now (from a key or the prompt), recorded for replay."""

    command: Command


Control = Pause | Resume | StepEvent | StepTick | SetSpeed | Do


# ---------------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Batch:
    """What subscribers receive: the events since the last batch and the state after them.

    `coalesced` says the subscriber fell behind and events were skipped; `errors` are commands
    that failed (a failed `expect`, no leader to crash...), one line each.
    """

    events: tuple[Event, ...]
    view: ClusterView
    paused: bool
    speed: float
    errors: tuple[str, ...] = ()
    coalesced: bool = False


class Subscription:
    """A bounded mailbox of batches for one subscriber."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._queue: deque[Batch] = deque()
        self._ready = trio.Event()
        self.skipped_events = 0

    def offer(self, batch: Batch) -> None:
        if len(self._queue) >= self._limit:
            # Behind: drop the backlog, keep the newest state, and say so.
            self.skipped_events += sum(len(b.events) for b in self._queue) + len(batch.events)
            errors = tuple(e for b in self._queue for e in b.errors) + batch.errors
            self._queue.clear()
            batch = Batch((), batch.view, batch.paused, batch.speed, errors, coalesced=True)
        self._queue.append(batch)
        self._ready.set()

    def receive_nowait(self) -> Batch | None:
        return self._queue.popleft() if self._queue else None

    async def receive(self) -> Batch:
        while not self._queue:
            await self._ready.wait()
            self._ready = trio.Event()
        return self._queue.popleft()


# ---------------------------------------------------------------------- the runtime


@dataclass
class _Program:
    """A script being played: what is left of it, and what it is waiting for."""

    commands: deque[Located] = field(default_factory=deque)
    until_ms: int | None = None  # a `run DURATION` in progress
    until: Condition | None = None  # a `run until` in progress...
    deadline_ms: int = 0  # ...and when it gives up

    def deadline(self) -> int | None:
        """When the script must be looked at again even if nothing happens."""
        if self.until_ms is not None:
            return self.until_ms
        return self.deadline_ms if self.until is not None else None


class Runtime:
    """Owns an Executor (and so the cluster); run `run()` as one Trio task."""

    def __init__(
        self,
        executor: Executor,
        *,
        speed: float = 1.0,
        paused: bool = False,
        script: Iterable[Located] = (),
    ) -> None:
        self.executor = executor
        self.cluster = executor.cluster
        self.speed = speed
        self.paused = paused
        self._send, self._receive = trio.open_memory_channel[Control](math.inf)
        self._subscribers: list[Subscription] = []
        self._errors: list[str] = []
        # What the last batch showed: (paused, speed, simulated time); None forces a batch.
        self._published_status: tuple[bool, float, int] | None = None
        self._program = _Program(deque(script))
        self._wall_anchor = 0.0
        self._sim_anchor = 0
        self.recorded: list[str] = [executor.cluster_cmd.to_text()]
        self._recorded_ms = 0
        executor.on_pause = self._script_pause

    # -- the door: synchronous, never blocks

    def control(self, control: Control) -> None:
        self._send.send_nowait(control)

    def subscribe(self, limit: int = 64) -> Subscription:
        sub = Subscription(limit)
        self._subscribers.append(sub)
        return sub

    def session_script(self) -> str:
        """The session so far as a script that replays it event for event."""
        lines = list(self.recorded)
        if self.cluster.time_ms > self._recorded_ms:
            lines.append(f"run {self.cluster.time_ms - self._recorded_ms}ms")
        if self.cluster.next_time() == self.cluster.time_ms:
            # Stepping stopped between events due in the same millisecond; a script can only
            # say "up to this millisecond", so the replay also runs the rest of them.
            lines.append(
                "# saved between two events of the same millisecond: "
                "a replay also processes the others due then"
            )
        return "\n".join(lines) + "\n"

    # -- the task

    async def run(self) -> None:
        """Run until cancelled."""
        self._anchor()
        self._play_program()
        while True:
            if self.paused or self._nothing_can_happen():
                self._publish()
                self._apply(await self._receive.receive())
                self._drain_controls()
                continue
            self._catch_up()
            self._publish()
            with trio.move_on_after(self._sleep_time()):
                self._apply(await self._receive.receive())
                self._drain_controls()

    def _drain_controls(self) -> None:
        while True:
            try:
                control = self._receive.receive_nowait()
            except trio.WouldBlock:
                return
            self._apply(control)

    def _nothing_can_happen(self) -> bool:
        return self.cluster.next_time() is None and self._program.deadline() is None

    def _anchor(self) -> None:
        self._wall_anchor = trio.current_time()
        self._sim_anchor = self.cluster.time_ms

    def _target_ms(self) -> int:
        elapsed = trio.current_time() - self._wall_anchor
        # The epsilon keeps float rounding from stopping just short of an event that is due.
        return self._sim_anchor + int(elapsed * self.speed * 1000 + 1e-6)

    def _sleep_time(self) -> float:
        """Until the next frame, or sooner if the next event is due sooner."""
        due = self.cluster.next_time()
        deadline = self._program.deadline()
        if deadline is not None:
            due = deadline if due is None else min(due, deadline)
        if due is None:
            return FRAME_S
        wall_due = self._wall_anchor + (due - self._sim_anchor) / (self.speed * 1000)
        return max(0.0, min(FRAME_S, wall_due - trio.current_time()))

    def _catch_up(self) -> None:
        """Advance simulated time to where wall time says it should be, within a budget."""
        target = self._target_ms()
        started = trio.current_time()
        cluster = self.cluster
        while not self.paused:
            deadline = self._program.deadline()
            limit = target if deadline is None else min(target, deadline)
            t = cluster.next_time()
            if t is None or t > limit:
                cluster.advance_to(limit)
                self._after_progress()
                if limit >= target:
                    return
                continue
            cluster.step_event()
            self._after_progress()
            if trio.current_time() - started > WORK_BUDGET_S:
                # Too much to do at this speed: let the rest wait for the next round.
                self._anchor()
                return

    # -- applying controls

    def _apply(self, control: Control) -> None:
        # A control can change the cluster without any event (a tick, a timer), so always
        # show its result.
        self._published_status = None
        match control:
            case Pause():
                self.paused = True
            case Resume():
                self.paused = False
                self._anchor()
                self._play_program()
            case SetSpeed(speed=speed):
                if not self.paused:
                    self._catch_up()
                self.speed = speed
                self._anchor()
            case StepEvent():
                # Exactly the next event, even if others are due at the same millisecond (no
                # settling first): a later action settles them, so replays stay exact.
                self.cluster.step_event()
                self._after_progress()
                self._anchor()
            case StepTick():
                self._settle()
                self.cluster.step_tick()
                self._after_progress()
                self._anchor()
            case Do(command=command):
                # Typed at the prompt, even `run` takes effect at once: it fast-forwards.
                if not self.paused:
                    self._catch_up()
                self._settle()
                self._record(command)
                self._execute(command, 0)
                self._after_progress()
                self._anchor()

    def _settle(self) -> None:
        """Finish every event due at or before now: actions happen between two events."""
        self.cluster.advance_to(self.cluster.time_ms)

    def _record(self, command: Command) -> None:
        """Log an action for the saved session. Time passing is recorded as `run` lines
        between actions, so the run commands themselves are not repeated."""
        if isinstance(command, RunCmd | RunUntilCmd):
            return
        now = self.cluster.time_ms
        if now > self._recorded_ms:
            self.recorded.append(f"run {now - self._recorded_ms}ms")
            self._recorded_ms = now
        self.recorded.append(command.to_text())

    def _execute(self, command: Command, line: int) -> None:
        try:
            self.executor.execute(command)
        except (CommandFailed, ClusterError) as e:
            where = f"line {line}: " if line else ""
            self._errors.append(f"{where}{command.to_text()}: {e}")

    # -- playing a script

    def _script_pause(self) -> None:
        self.paused = True

    def _after_progress(self) -> None:
        p = self._program
        now = self.cluster.time_ms
        if p.until_ms is not None and now >= p.until_ms:
            p.until_ms = None
        if p.until is not None:
            problem = self.executor.check(p.until)
            if problem is None:
                p.until = None
            elif now >= p.deadline_ms:
                self._errors.append(f"run until {p.until.to_text()}: timed out: {problem}")
                p.until = None
        if p.until_ms is None and p.until is None:
            self._play_program()

    def _play_program(self) -> None:
        """Carry out script commands until one needs time to pass (or pauses)."""
        p = self._program
        while p.commands and p.until_ms is None and p.until is None and not self.paused:
            located = p.commands.popleft()
            command = located.command
            self._record(command)
            if isinstance(command, RunCmd):
                p.until_ms = self.cluster.time_ms + command.duration_ms
            elif isinstance(command, RunUntilCmd):
                if self.executor.check(command.condition) is not None:
                    p.until = command.condition
                    p.deadline_ms = self.cluster.time_ms + command.timeout_ms
            else:
                self._execute(command, located.line)
                if isinstance(command, PauseCmd):
                    break

    # -- publishing

    def _publish(self) -> None:
        """Send subscribers what happened since the last batch - if anything did."""
        events = tuple(self.cluster.drain())
        # Time passing and ticks change the cluster (clock, election timers) without events.
        status = (self.paused, self.speed, self.cluster.time_ms)
        if not events and not self._errors and status == self._published_status:
            return
        self._published_status = status
        errors = tuple(self._errors)
        self._errors.clear()
        view = self.cluster.view(log_tail=VIEW_LOG_TAIL)
        batch = Batch(events, view, self.paused, self.speed, errors)
        for sub in self._subscribers:
            sub.offer(batch)
