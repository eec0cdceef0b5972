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
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

import trio

from raftviz.core.explore.timeline import Timeline, TimelineView
from raftviz.core.script.executor import CommandFailed, Executor
from raftviz.core.script.parse import (
    BreakCmd,
    Command,
    Condition,
    ExpectCmd,
    HasViolations,
    Located,
    PauseCmd,
    RaftLogCmd,
    RaftStateCmd,
    RunCmd,
    RunUntilCmd,
    SayCmd,
    StatusCmd,
    StepCmd,
    TickCmd,
    UnbreakCmd,
)
from raftviz.core.sim.cluster import ClusterError
from raftviz.core.sim.events import (
    ClusterView,
    EntriesChanged,
    Event,
    MessageDelivered,
    StateChanged,
)

FRAME_S = 1 / 30
"""How often a running simulation publishes at most: a frame at 30 frames per second."""

VIEW_LOG_TAIL = 200
"""Entries per node a published view carries: screens show the tail, and a full copy of long
logs at every frame would make memory and time grow with the run."""

WORK_BUDGET_S = 0.02
"""Longest stretch of simulation work between two checks for commands, so keys stay snappy.
Paced runs measure it on Trio's clock (which tests replace); a prompt command in progress, which
follows no clock, measures it on the machine's, since it is the machine's time it takes."""


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


@dataclass(frozen=True)
class Interrupt:
    """Stop the prompt command in progress (`esc`): what it did so far stays done."""


TRAVELS = (
    "back",  # one position back
    "forward",  # one position forward: the recorded future, or the next event when live
    "story-back",  # to the previous story: a role change, a vote, a commit, a crash, a fault
    "story-forward",
    "mark-back",  # to the previous `mark`
    "mark-forward",
    "start",
    "end",  # the live end of the branch
    "undo",  # to just before the last action
    "position",  # to position `value`
    "time",  # to the last position at or before simulated time `value`
    "branch",  # to the live end of branch `value`
    "delivery",  # forward to just after the next message delivery
    "change",  # forward to just after the next change of a node's state or log
)


@dataclass(frozen=True)
class Travel:
    """Move on the session's timeline (see `TRAVELS`). Going anywhere but forward pauses."""

    where: str
    value: int = 0

    def __post_init__(self) -> None:
        if self.where not in TRAVELS:
            raise ValueError(f"no such move on the timeline: {self.where}")


@dataclass(frozen=True)
class Wake:
    """Look at the clock again, and change nothing else: it was moved by hand (a recording
    steps a mock clock a frame at a time), which a Trio task asleep until its next deadline
    would not notice. Once `applied` counts it, the run has caught up with that time."""


Control = Pause | Resume | StepEvent | StepTick | SetSpeed | Do | Interrupt | Travel | Wake

ONLY_LOOKS = (ExpectCmd, RaftStateCmd, RaftLogCmd, StatusCmd)
"""Commands that change nothing: typed while looking at the past, they answer about it
instead of forking a branch."""

SETTINGS = (BreakCmd, UnbreakCmd)
"""Commands that set how the session is watched, not what the cluster does: they take no
place on the timeline (going back does not undo a breakpoint), and a saved session lists the
breakpoints set at its end, first."""

SEARCH_LIMIT = 100_000
"""Events a step to the next delivery or change looks through before it gives up."""


@dataclass(frozen=True)
class Printed:
    """What one command printed (`status 1`, `raft-log 2`, `raft-state`: etcd's formats,
    several lines), with the command, so that a screen can say what it shows."""

    command: str
    text: str


# ---------------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Batch:
    """What subscribers receive: the events since the last batch and the state after them.

    `coalesced` says the subscriber fell behind and events were skipped; `errors` are commands
    that failed (no leader to crash, a played script's failed `expect`...), one line each;
    `notices` say how a played script is going (its end, with its checks) and answer a check
    typed at the prompt both ways (``✔ expect leader term=1: holds``), outside the cluster's
    own events so that a saved session replays the very same events; `outputs` are what
    commands printed. `timeline` says where on the session's timeline the view is;
    `undone_after` is set when the view went back in time (or to another branch): every event
    shown before with a later sequence number was undone, and `events` follow it.
    """

    events: tuple[Event, ...]
    view: ClusterView
    paused: bool
    speed: float
    errors: tuple[str, ...] = ()
    coalesced: bool = False
    notices: tuple[str, ...] = ()
    outputs: tuple[Printed, ...] = ()
    timeline: TimelineView | None = None
    undone_after: int | None = None


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
            notices = tuple(n for b in self._queue for n in b.notices) + batch.notices
            outputs = tuple(o for b in self._queue for o in b.outputs) + batch.outputs
            undone = [b.undone_after for b in (*self._queue, batch) if b.undone_after is not None]
            self._queue.clear()
            batch = Batch(
                (),
                batch.view,
                batch.paused,
                batch.speed,
                errors,
                coalesced=True,
                notices=notices,
                outputs=outputs,
                timeline=batch.timeline,
                undone_after=min(undone, default=None),
            )
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
    playing: bool = False  # a script was given and has not ended yet
    checks: int = 0  # its `expect`s and `run until`s so far...
    failed: int = 0  # ...and how many of them failed
    until_ms: int | None = None  # a `run DURATION` in progress
    until: Condition | None = None  # a `run until` in progress...
    deadline_ms: int = 0  # ...and when it gives up

    def deadline(self) -> int | None:
        """When the script must be looked at again even if nothing happens."""
        if self.until_ms is not None:
            return self.until_ms
        return self.deadline_ms if self.until is not None else None


@dataclass
class _Rush:
    """A command typed at the prompt that takes simulated time (`run 5m`, `run until leader`,
    `tick 1 count=5000`). It goes as fast as the machine allows, but in slices of one frame's
    work, so the screen keeps drawing, every key is still obeyed and `esc` can stop it."""

    text: str
    start_ms: int
    target_ms: int  # when a `run` ends, or when a `run until` gives up
    until: Condition | None = None
    tick_node: int = 0
    ticks_left: int = 0
    ticks_done: int = 0
    batch: int = 16  # ticks per action, grown to fill a frame's work

    def progress(self, now_ms: int) -> str:
        if self.tick_node:
            done, total = self.ticks_done, self.ticks_done + self.ticks_left
            return f"{self.text}: {done:,} of {total:,} ticks"
        done_s, total_s = (now_ms - self.start_ms) / 1000, (self.target_ms - self.start_ms) / 1000
        return f"{self.text}: {done_s:,.1f}s of {total_s:,.1f}s simulated"


class _SpeedMeter:
    """How fast simulated time really went over the last couple of wall seconds, so the status
    bar can say so when the machine cannot keep the asked speed instead of pretending."""

    WINDOW_S = 2.0
    MIN_SPAN_S = 1.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def sample(self, wall: float, sim_ms: int) -> None:
        self._samples.append((wall, sim_ms))
        while self._samples and wall - self._samples[0][0] > self.WINDOW_S:
            self._samples.popleft()

    def achieved(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (w0, s0), (w1, s1) = self._samples[0], self._samples[-1]
        if w1 - w0 < self.MIN_SPAN_S:
            return None
        return (s1 - s0) / 1000 / (w1 - w0)


class Runtime:
    """Owns an Executor (and so the cluster); run `run()` as one Trio task."""

    def __init__(
        self,
        executor: Executor,
        *,
        speed: float = 1.0,
        paused: bool = False,
        script: Iterable[Located] = (),
        lecture: bool = False,
    ) -> None:
        """`lecture`: the script waits (paused) after each `say`, until the viewer resumes, so a
        class can read and discuss each line; `raftviz run` never waits."""
        self.executor = executor
        self.cluster = executor.cluster
        self.speed = speed
        self.paused = paused
        self._send, self._receive = trio.open_memory_channel[Control](math.inf)
        self.applied = 0
        """Controls applied so far: the sender knows how many it sent, so whether its latest
        request (a pause, a speed) is already in force or still on its way."""
        self._subscribers: list[Subscription] = []
        self._errors: list[str] = []
        # What the last batch showed: (paused, speed, simulated time); None forces a batch.
        self._published_status: tuple[bool, float, int] | None = None
        self.script: tuple[Located, ...] = tuple(script)
        """The script as given (what restarting it plays again)."""
        self.timeline = Timeline(executor)
        """Every position the session went through, on every branch: the way back."""
        # The script belongs to the branch it was played on: a branch forked off it plays on
        # without it, and going back to that branch's live end picks it up where it was.
        self._programs = {0: _Program(deque(self.script), playing=bool(self.script))}
        self._drained: list[Event] = []  # events taken from the cluster early, to publish
        self._undone_after: int | None = None  # see Batch
        self._violated = False  # the breakpoint that just fired waits for a violation
        self.lecture = lecture
        self._notices: list[str] = []
        self._outputs: list[Printed] = []
        self._printing = ""  # the command being carried out, for what it prints
        executor.output = self._print
        self._rush: _Rush | None = None
        self._busy: str | None = None  # the rush's progress as of the last batch
        self._meter = _SpeedMeter()
        self._wall_anchor = 0.0
        self._sim_anchor = 0
        executor.on_pause = self._script_pause
        executor.on_break = self._break_hit

    # -- the door: synchronous, never blocks

    def control(self, control: Control) -> None:
        self._send.send_nowait(control)

    def subscribe(self, limit: int = 64) -> Subscription:
        sub = Subscription(limit)
        self._subscribers.append(sub)
        return sub

    @property
    def _program(self) -> _Program:
        return self._programs.setdefault(self.timeline.branch, _Program())

    @property
    def playing(self) -> bool:
        """A script was given and has commands left (so a pause is the script waiting)."""
        return self._program.playing

    @property
    def busy(self) -> str | None:
        """The prompt command in progress and how far it got, as of the last batch (so it
        agrees with the view on screen), or None."""
        return self._busy

    @property
    def achieved_speed(self) -> float | None:
        """The speed really achieved while running, when it falls short of the asked one."""
        if self.paused or self._rush is not None:
            return None
        achieved = self._meter.achieved()
        if achieved is None or achieved >= self.speed * 0.9:
            return None
        return achieved

    def session_script(self) -> str:
        """The branch on screen, up to the position on screen, as a script that replays it
        event for event."""
        breaks = [f"break {b.condition.to_text()}" for b in self.executor.breakpoints]
        return self.timeline.script("\n".join([self.executor.cluster_cmd.to_text(), *breaks]))

    @property
    def recorded(self) -> list[str]:
        """The lines of `session_script()`."""
        return self.session_script().splitlines()

    # -- the task

    async def run(self) -> None:
        """Run until cancelled."""
        self._anchor()
        self._play_program()
        while True:
            # Every queued control first: however far behind the simulation is, keys are
            # obeyed within one round of work.
            self._drain_controls()
            if self._rush is not None:
                self._rush_slice()
            elif not self.paused:
                self._catch_up()
            self._publish()
            if self._rush is None and self.paused:
                self._apply(await self._receive.receive())
                continue
            sleep = 0.0 if self._rush is not None else self._sleep_time()
            if sleep <= 0:
                # Behind or rushing: let the screen draw and keys arrive, then go on.
                await trio.sleep(0)
                continue
            with trio.move_on_after(sleep):
                self._apply(await self._receive.receive())

    def _drain_controls(self) -> None:
        while True:
            try:
                control = self._receive.receive_nowait()
            except trio.WouldBlock:
                return
            self._apply(control)

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
        """Advance simulated time to where wall time says it should be, within a budget. Time
        flows while running whatever the nodes are doing, even with every one of them crashed.
        In the past, the recorded future plays again, up to the live end."""
        if not self.timeline.live:
            self._replay_future()
            return
        if not self._advance(self._target_ms(), WORK_BUDGET_S, paced=True):
            # Too much to do at this speed: the rest is dropped, not owed, and the speed meter
            # shows what was really achieved.
            self._anchor()
        self._meter.sample(trio.current_time(), self.cluster.time_ms)

    def _advance(
        self,
        target: int,
        budget: float | None,
        *,
        paced: bool = False,
        clock: Callable[[], float] = trio.current_time,
    ) -> bool:
        """Process events up to `target`, playing the script as its waits end. Stops early when
        the wall-time budget is spent, when a paced run is paused by its script, or when a
        rush's condition holds, always at the end of a millisecond. True if it got there."""
        started = clock()
        cluster = self.cluster
        while True:
            deadline = self._program.deadline()
            limit = target if deadline is None else min(target, deadline)
            t = cluster.next_time()
            if t is None or t > limit:
                cluster.advance_to(limit)
                self._after_progress()
                if limit >= target:
                    return True
            else:
                cluster.step_event()
                self._after_progress()
                if self.executor.breakpoints and self.executor.check_breakpoints():
                    if self._violated:
                        self._show_before_violation()
                    return False  # paused right at the event that made it hold
            stop = (paced and self.paused) or self._rush_condition_holds()
            if stop or (budget is not None and clock() - started > budget):
                self._settle()
                self._after_progress()
                return False

    def _settle(self) -> None:
        """Finish every event due at or before now: actions happen between two milliseconds."""
        self.cluster.advance_to(self.cluster.time_ms)

    def _replay_future(self) -> None:
        """Running while looking at the past: the branch's recorded future plays again, at
        the speed asked, actions included; at its live end the session goes on live."""
        tl = self.timeline
        target = tl.position_at(self._target_ms())
        limit = tl.cursor + tl.every
        self._goto(min(target, limit))
        if target > limit:
            self._anchor()  # too much to replay at this speed: what is owed is dropped
        if tl.live:
            self._anchor()
            self._play_program()

    # -- applying controls

    def _apply(self, control: Control) -> None:
        # A control can change the cluster without any event (a tick, a timer), so always
        # show its result.
        self._published_status = None
        self.applied += 1
        match control:
            case Pause():
                if not self.paused:
                    self._catch_up()
                self.paused = True
                self._settle()
            case Resume():
                self.paused = False
                self._meter.reset()
                self._anchor()
                self._play_program()
            case SetSpeed(speed=speed):
                if not self.paused:
                    self._catch_up()
                self.speed = speed
                self._meter.reset()
                self._anchor()
            case StepEvent():
                self._forward("forward", 1)
            case StepTick():
                # One Raft tick of the whole cluster (every node ticks once in it), not the
                # next tick of any one node, which is barely more than one event.
                later = self.cluster.time_ms + self.cluster.settings.tick_ms
                if self.timeline.live:
                    self._advance(later, None)
                else:
                    self._goto(self.timeline.position_at(later))
                self._anchor()
            case Interrupt():
                self._finish_rush(interrupted=True)
            case Travel():
                self._travel(control)
            case Wake():
                pass  # the loop that applied it catches up before it waits again
            case Do(command=command):
                if not self.paused and self._rush is None:
                    self._catch_up()
                if isinstance(command, RunCmd | RunUntilCmd | TickCmd):
                    self.timeline.fork(command.to_text())
                    self._start_rush(command)
                else:
                    self._do(command)

    def _do(self, command: Command, line: int = 0) -> None:
        """Carry out an action now, between two simulation events, and record it on the
        timeline (a command that fails stays in the session as a comment). Acting while
        looking at the past forks a branch there; a mere question answers about the past."""
        if isinstance(command, StepCmd):
            self._forward("forward", command.count)
            return
        if isinstance(command, SETTINGS) or (
            not self.timeline.live and isinstance(command, ONLY_LOOKS)
        ):
            self._answer(command, line)
            return
        self.timeline.act(command, lambda: self._answer(command, line))
        self._after_progress()
        self._anchor()

    def _answer(self, command: Command, line: int) -> bool:
        """Carry out a command. A check typed at the prompt answers both ways, in a notice:
        holding is news too."""
        if not isinstance(command, ExpectCmd):
            return self._execute(command, line)
        problem = self._try(command)
        text = command.to_text()
        answer = f"✔ {text}: holds" if problem is None else f"✖ {text}: fails: {problem}"
        self._notices.append(answer)
        return problem is None

    # -- moving on the timeline

    def _travel(self, travel: Travel) -> None:
        tl = self.timeline
        self._finish_rush(interrupted=True)
        if travel.where in ("forward", "delivery", "change"):
            self._forward(travel.where, max(1, travel.value))
            return
        target, why_not = self._travel_target(travel)
        if target is None:
            self._errors.append(why_not)
            return
        branch = travel.value if travel.where == "branch" else None
        if not (branch is None and target == tl.cursor and tl.live):
            self.paused = True
        self._goto(target, branch)

    def _travel_target(self, travel: Travel) -> tuple[int | None, str]:
        tl = self.timeline
        here = tl.cursor
        match travel.where:
            case "back":
                return (here - 1 if here else None), "already at the start"
            case "story-back":
                return tl.story_before(here), "no earlier story"
            case "story-forward":
                return tl.story_after(here), "no later story"
            case "mark-back":
                marks = [m.position for m in tl.marks() if m.position < here]
                return (marks[-1] if marks else None), "no mark before this point"
            case "mark-forward":
                marks = [m.position for m in tl.marks() if m.position > here]
                return (marks[0] if marks else None), "no mark after this point"
            case "start":
                return 0, ""
            case "end":
                return tl.length, ""
            case "undo":
                return tl.last_act(), "no action to undo"
            case "position":
                return travel.value, ""
            case "time":
                return tl.position_at(travel.value), ""
            case "branch":
                branches = tl.view().branches
                if not 0 <= travel.value < len(branches):
                    return None, f"no branch {travel.value} (there are {len(branches)})"
                return branches[travel.value].length, ""
        raise AssertionError(f"unknown travel {travel.where}")

    def _goto(self, position: int, branch: int | None = None) -> None:
        """Bring the cluster to a position; the events it replays are published with it."""
        self._drained.extend(self.cluster.drain())
        self.timeline.note(self._drained)
        events, undone_after = self.timeline.goto(position, branch)
        self.executor.breakpoints_hit()  # what holds here is the start, not news
        if undone_after is not None:
            self._drained = [e for e in self._drained if e.seq <= undone_after]
            if self._undone_after is None or undone_after < self._undone_after:
                self._undone_after = undone_after
        self._drained.extend(events)
        self._published_status = None

    def _forward(self, kind: str, count: int) -> None:
        """Step `count` positions forward (`kind` "forward"), or to just after the next
        delivery or change of state: the recorded future in the past, new events live."""
        wanted = {"delivery": MessageDelivered, "change": StateChanged | EntriesChanged}.get(kind)
        self._drained.extend(self.cluster.drain())
        for _ in range(count if wanted is None else SEARCH_LIMIT):
            new = self._step_once()
            if new is None:
                return
            if wanted is not None and any(isinstance(e, wanted) for e in new):
                return
        if wanted is not None:
            self._errors.append(f"no {kind} in the next {SEARCH_LIMIT:,} events")

    def _step_once(self) -> list[Event] | None:
        """One position forward; its events (already queued for publishing), or None if
        nothing can happen."""
        tl = self.timeline
        if tl.live:
            if not self._execute(StepCmd(), 0):
                return None
            new = self.cluster.drain()
            self._drained.extend(new)
            return new
        before = len(self._drained)
        self._goto(tl.cursor + 1)
        self._anchor()
        return self._drained[before:]

    def _print(self, text: str) -> None:
        self._outputs.append(Printed(self._printing, text))

    def _try(self, command: Command) -> str | None:
        """Carry out a command: None if it did, else what stopped it, in words."""
        self._printing = command.to_text()
        try:
            self.executor.execute(command)
        except (CommandFailed, ClusterError) as e:
            return str(e)
        return None

    def _execute(self, command: Command, line: int) -> bool:
        problem = self._try(command)
        if problem is not None:
            where = f"line {line}: " if line else ""
            self._errors.append(f"{where}{command.to_text()}: {problem}")
        return problem is None

    # -- commands typed at the prompt that take time

    def _start_rush(self, command: RunCmd | RunUntilCmd | TickCmd) -> None:
        self._finish_rush(interrupted=True)
        self._settle()
        now = self.cluster.time_ms
        match command:
            case RunCmd(duration_ms=ms):
                self._rush = _Rush(command.to_text(), now, now + ms)
            case RunUntilCmd(condition=condition, timeout_ms=timeout):
                if self.executor.check(condition) is None:
                    return
                self._rush = _Rush(command.to_text(), now, now + timeout, until=condition)
            case TickCmd(node=ref, count=count):
                try:
                    node = self.cluster.live(self.executor.node(ref)).id
                except ClusterError:
                    self._do(command)  # fails as it would at once, and is saved as such
                    return
                self._rush = _Rush(command.to_text(), now, now, tick_node=node, ticks_left=count)
                self._anchor()

    def _rush_condition_holds(self) -> bool:
        rush = self._rush
        return rush is not None and rush.until is not None and not self.executor.check(rush.until)

    def _rush_slice(self) -> None:
        """One frame's worth of the prompt command in progress."""
        rush = self._rush
        assert rush is not None
        if rush.tick_node:
            self._tick_slice(rush)
            return
        arrived = self._advance(rush.target_ms, WORK_BUDGET_S, clock=time.perf_counter)
        if arrived or self._rush_condition_holds():
            self._finish_rush(interrupted=False)

    def _tick_slice(self, rush: _Rush) -> None:
        """A frame's worth of ticks, as one action (consecutive ones are saved as one line):
        an action typed in between is saved between the ticks done before and after it."""
        while rush.ticks_left:
            count = min(rush.batch, rush.ticks_left)
            started = time.perf_counter()
            ticks = TickCmd(rush.tick_node, count)
            if not self.timeline.act(ticks, partial(self._tick, rush, count)):
                rush.ticks_left = 0
                break
            rush.ticks_left -= count
            rush.ticks_done += count
            took = time.perf_counter() - started
            if took > WORK_BUDGET_S / 2:
                break
            rush.batch *= 2
        if not rush.ticks_left:
            self._finish_rush(interrupted=False)

    def _tick(self, rush: _Rush, count: int) -> bool:
        problem = self._try(TickCmd(rush.tick_node, count))
        if problem is not None:
            self._errors.append(f"{rush.text}: {problem}")
        return problem is None

    def _finish_rush(self, *, interrupted: bool) -> None:
        rush = self._rush
        if rush is None:
            return
        self._rush = None
        self._published_status = None
        problem = None if rush.until is None else self.executor.check(rush.until)
        if interrupted:
            self._errors.append(f"{rush.progress(self.cluster.time_ms)}: stopped")
        elif problem is not None:
            self._errors.append(f"{rush.text}: timed out: {problem}")
        self._anchor()
        self._meter.reset()

    # -- playing a script

    def _script_pause(self) -> None:
        self.paused = True

    def _break_hit(self, number: int) -> None:
        """A breakpoint fired: pause right there, and say which one."""
        self._notices.append(f"⏸ {self.executor.fired_text(number)}")
        self.paused = True
        self._finish_rush(interrupted=True)
        terms = self.executor.breakpoints[number - 1].condition.terms
        self._violated = any(isinstance(t, HasViolations) for t in terms)

    def _show_before_violation(self) -> None:
        """A run stopped by a `violations>0` breakpoint shows the moment just before the event
        that broke the rule, so that `.` shows it happen (a stepped violation stays shown)."""
        self._violated = False
        if self.timeline.cursor:
            self._goto(self.timeline.cursor - 1)
            self._notices.append("just before the violation: . shows it happen")

    def _after_progress(self) -> None:
        p = self._program
        now = self.cluster.time_ms
        if p.until_ms is not None and now >= p.until_ms:
            # Every event due at the end of the wait first, exactly as `run` headless.
            self.cluster.advance_to(p.until_ms)
            p.until_ms = None
        if p.until is not None:
            problem = self.executor.check(p.until)
            if problem is None:
                self._settle()
                p.until = None
            elif now >= p.deadline_ms:
                self._errors.append(f"run until {p.until.to_text()}: timed out: {problem}")
                p.failed += 1
                p.until = None
        if p.until_ms is None and p.until is None:
            self._play_program()

    def _play_program(self) -> None:
        """Carry out script commands until one needs time to pass (or pauses). A script plays
        only at the live end of its branch."""
        if not self.timeline.live:
            return
        p = self._program
        while p.commands and p.until_ms is None and p.until is None and not self.paused:
            located = p.commands.popleft()
            command = located.command
            if isinstance(command, RunCmd):
                self._settle()
                p.until_ms = self.cluster.time_ms + command.duration_ms
            elif isinstance(command, RunUntilCmd):
                self._settle()
                p.checks += 1
                if self.executor.check(command.condition) is not None:
                    p.until = command.condition
                    p.deadline_ms = self.cluster.time_ms + command.timeout_ms
            elif isinstance(command, StepCmd):
                self._forward("forward", command.count)
            elif isinstance(command, SETTINGS):
                self._execute(command, located.line)
            else:
                ok = self.timeline.act(command, partial(self._execute, command, located.line))
                if self._violated:
                    self._show_before_violation()
                if isinstance(command, ExpectCmd):
                    p.checks += 1
                    p.failed += not ok
                if isinstance(command, PauseCmd) or self._lecture_waits_after(command):
                    self.paused = True
                    break
        if p.playing and not p.commands and p.until_ms is None and p.until is None:
            p.playing = False
            held = p.checks - p.failed
            verdict = f"{held} of {p.checks} checks held" if p.checks else "no checks"
            self._notices.append(f"The scenario has ended: {verdict}.")

    def _lecture_waits_after(self, command: Command) -> bool:
        """In a lecture each `say` waits for the viewer, once: a `pause` right after it (a
        question for the class) is the wait."""
        if not self.lecture or not isinstance(command, SayCmd):
            return False
        following = self._program.commands
        return not (following and isinstance(following[0].command, PauseCmd))

    # -- publishing

    def _publish(self) -> None:
        """Send subscribers what happened since the last batch - if anything did."""
        events = (*self._drained, *self.cluster.drain())
        self._drained.clear()
        self.timeline.note(events)
        # Time passing and ticks change the cluster (clock, election timers) without events.
        status = (self.paused, self.speed, self.cluster.time_ms)
        quiet = not (events or self._errors or self._notices or self._outputs)
        if quiet and status == self._published_status:
            return
        self._published_status = status
        rush = self._rush
        self._busy = None if rush is None else f"{rush.progress(status[2])}  (esc stops it)"
        errors = tuple(self._errors)
        self._errors.clear()
        view = self.cluster.view(log_tail=VIEW_LOG_TAIL)
        notices, outputs = tuple(self._notices), tuple(self._outputs)
        self._notices.clear()
        self._outputs.clear()
        batch = Batch(
            events,
            view,
            self.paused,
            self.speed,
            errors,
            notices=notices,
            outputs=outputs,
            timeline=self.timeline.view(),
            undone_after=self._undone_after,
        )
        self._undone_after = None
        for sub in self._subscribers:
            sub.offer(batch)
