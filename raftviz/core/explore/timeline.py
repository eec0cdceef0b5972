"""Core room: a session's timeline - every position it went through, its branches, the way back.

A session is a sequence of *positions*. Each is one event the cluster processed (a node's tick,
a message's delivery) or one action (a script command: a crash, a proposal, a dropped message).
The simulation is deterministic, so the state at any position is what replaying the branch's
actions among its events from the start gives; to make that fast the timeline keeps a snapshot
of the cluster every few thousand positions, and a jump restores the nearest snapshot at or
before its target and replays the rest (events stepped again, actions carried out again).

Acting while looking at the past forks a *branch* at that position: the old future is kept and
can be gone back to. Any position of any branch can be written out as a script (`script()`)
that `raftviz run` replays to exactly that state, so a saved session is still just a script.

Snapshots cost memory that grows with the logs, so their number is kept within a budget: when
it is exceeded, every other snapshot goes and the spacing doubles (old jumps get slower, memory
stays bounded).
"""

from __future__ import annotations

import ctypes
import gc
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Final

from raftviz.core.script.executor import CommandFailed, Executor
from raftviz.core.script.parse import MAX_DURATION_MS, Command, TickCmd
from raftviz.core.sim.cluster import Cluster, ClusterError
from raftviz.core.sim.events import (
    Event,
    Narration,
    NetworkChanged,
    NodeFault,
    SafetyViolation,
    StateChanged,
    TimersChanged,
)
from raftviz.core.sim.story import Story

SNAPSHOT_EVERY: Final = 1000
"""Positions between two snapshots at first: replaying 1000 events takes about 12 ms, so a jump
anywhere shows its state well within a tenth of a second."""

SNAPSHOT_BUDGET: Final = 64 * 2**20
"""Bytes the snapshots may hold, about (see `Cluster.footprint`)."""

QUIET_STORIES: Final = frozenset(
    {
        "append-sent",
        "commit-learned",
        "applied",
        "proposed",
        "proposal-forwarded",
        "commit-waits",
        "vote-pending",
    }
)
"""Decisions taken once per message or per node (each answer counted before a tally has its
result among them): stepping from story to story skips them, or a busy cluster would have a
story at nearly every event."""


@dataclass(frozen=True, slots=True)
class Act:
    """An action at its position: the command, the clock when it was taken, and whether the
    clock stood inside a millisecond then (after `step`), so that replay takes it the same way;
    whether it failed (it is saved as a comment then), and whether it first finished events of
    its millisecond (which a failed one's replay must still do)."""

    command: Command
    time_ms: int
    stepped: bool
    failed: bool = False
    settled: bool = False  # it had events of its millisecond to finish before acting


@dataclass(frozen=True, slots=True)
class Landmark:
    """Something worth seeing on the timeline strip: an election, a new leader, a crash, a
    network fault, a violation, a mark. `position` is the first position that shows it."""

    position: int
    time_ms: int
    kind: str  # election | leader | crash | restart | network | violation | mark
    label: str


@dataclass(frozen=True, slots=True)
class BranchInfo:
    number: int
    name: str
    parent: int | None
    fork: int  # positions it shares with its parent
    length: int


@dataclass(frozen=True, slots=True)
class TimelineView:
    """What a screen needs to draw the timeline: where the cursor is on which branch, the
    session's length in positions and time, and its landmarks."""

    position: int
    length: int
    time_ms: int  # the clock at the cursor
    end_ms: int  # the clock at the live end
    branch: int
    branches: tuple[BranchInfo, ...]
    landmarks: tuple[Landmark, ...]

    @property
    def live(self) -> bool:
        return self.position == self.length


@dataclass
class _Snapshot:
    position: int
    cluster: Cluster
    size: int


@dataclass
class _Branch:
    number: int
    name: str
    parent: int | None
    fork: int
    times: array[int] = field(default_factory=lambda: array("q"))  # clock at each position
    seqs: array[int] = field(default_factory=lambda: array("q"))  # last event seq of each
    acts: dict[int, Act] = field(default_factory=dict)
    snapshots: list[_Snapshot] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)
    stories: array[int] = field(default_factory=lambda: array("q"))  # positions with a story
    seen_seq: int = 0  # events up to here were looked at for landmarks
    end_ms: int = 0  # the clock at the live end, kept while the cursor is in the past...
    end_stepped: bool = False  # ...and whether it stood inside a millisecond

    def info(self) -> BranchInfo:
        return BranchInfo(self.number, self.name, self.parent, self.fork, len(self.times))


class Timeline:
    """Records an executor's cluster position by position and takes it anywhere on any branch.

    The owner calls `act()` around every action and `note()` with the events it drains; every
    event the cluster processes is counted through its `on_step` hook.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        snapshot_every: int = SNAPSHOT_EVERY,
        budget: int = SNAPSHOT_BUDGET,
    ) -> None:
        self.executor = executor
        self.cluster = executor.cluster
        # Every tick is a position: a cluster that skips idle ticks would leave them out.
        assert not self.cluster.skip_idle_ticks, "a timeline needs a cluster that runs every tick"
        self.every = snapshot_every
        self.budget = budget
        self._branches = [_Branch(0, "main", None, 0)]
        self._current = 0
        self.cursor = 0
        self._quiet = False  # replaying or acting: the cluster's steps are not new positions
        self._held: dict[int, int] = {}  # id of a snapshot's cluster -> branches holding it
        self._bytes = 0
        self._landmark_cache: tuple[Landmark, ...] | None = None
        self._base_seq = self.cluster.event_seq
        self._snapshot()
        self.cluster.on_step = self._on_step

    # ------------------------------------------------------------------ where we are

    @property
    def branch(self) -> int:
        return self._current

    @property
    def length(self) -> int:
        return len(self._b.times)

    @property
    def live(self) -> bool:
        """The cursor is at the end of its branch: the cluster is the session's present."""
        return self.cursor == self.length

    @property
    def snapshot_bytes(self) -> int:
        return self._bytes

    def memory_bytes(self) -> int:
        """About how much memory the timeline holds: its snapshots and every branch's record
        of positions (8 bytes a number)."""
        records = sum(
            8 * (len(b.times) + len(b.seqs) + len(b.stories))
            + 200 * (len(b.acts) + len(b.landmarks))
            for b in self._branches
        )
        return self._bytes + records

    @property
    def _b(self) -> _Branch:
        return self._branches[self._current]

    def view(self) -> TimelineView:
        b = self._b
        if self._landmark_cache is None:
            self._landmark_cache = tuple(b.landmarks)
        end_ms = self.cluster.time_ms if self.live else b.end_ms
        return TimelineView(
            self.cursor,
            len(b.times),
            self.cluster.time_ms,
            end_ms,
            b.number,
            tuple(x.info() for x in self._branches),
            self._landmark_cache,
        )

    def position_at(self, time_ms: int) -> int:
        """How many positions had happened by `time_ms`."""
        return bisect_right(self._b.times, time_ms)

    def last_act(self) -> int | None:
        """The position of the latest action before the cursor, if any."""
        acts = [p for p in self._b.acts if p < self.cursor]
        return max(acts) if acts else None

    def story_before(self, position: int) -> int | None:
        """The nearest position before `position` (exclusive) that shows a story, if any."""
        stories = self._b.stories
        i = bisect_left(stories, position)
        return stories[i - 1] if i else None

    def story_after(self, position: int) -> int | None:
        stories = self._b.stories
        i = bisect_right(stories, position)
        return stories[i] if i < len(stories) else None

    def marks(self) -> list[Landmark]:
        return [x for x in self._b.landmarks if x.kind == "mark"]

    # ------------------------------------------------------------------ recording

    def _on_step(self, time_ms: int) -> None:
        """The cluster processed an event outside of an action or a replay."""
        if self._quiet:
            return
        b = self._b
        if self.cursor < len(b.times):
            if self.cursor not in b.acts:
                # Time going on in the past follows the recorded future, event for event...
                self.cursor += 1
                return
            # ...until the recorded future acted here and this run does not.
            b = self._fork("time went on")
        b.times.append(time_ms)
        b.seqs.append(self.cluster.event_seq)
        self.cursor += 1
        self._maybe_snapshot()

    def act(self, command: Command, carry_out: Callable[[], bool]) -> bool:
        """Record the action `carry_out` takes (forking a branch if the cursor is in the past);
        returns what `carry_out` returned: whether it succeeded."""
        b = self._b if self.live else self._fork(command.to_text())
        c = self.cluster
        time_ms, stepped = c.time_ms, c.stepped
        due = c.next_time()
        settled = not stepped and due is not None and due <= time_ms
        self._quiet = True
        try:
            ok = carry_out()
        finally:
            self._quiet = False
        b.acts[len(b.times)] = Act(command, time_ms, stepped, failed=not ok, settled=settled)
        b.times.append(time_ms)
        b.seqs.append(c.event_seq)
        self.cursor += 1
        self._maybe_snapshot()
        return ok

    def note(self, events: Iterable[Event]) -> None:
        """Look at drained events for landmarks and stories (once: replays are not news)."""
        b = self._b
        for e in events:
            if e.seq <= b.seen_seq:
                continue
            b.seen_seq = e.seq
            position = min(bisect_left(b.seqs, e.seq) + 1, len(b.seqs))
            if e.seq <= self._base_seq:
                position = 0  # told when the cluster was built
            if _is_story(e) and (not b.stories or b.stories[-1] != position):
                b.stories.append(position)
            landmark = _landmark(e, position)
            repeated = b.landmarks and b.landmarks[-1].label == getattr(landmark, "label", None)
            if landmark is not None and not repeated:
                b.landmarks.append(landmark)
                self._landmark_cache = None

    def fork(self, name: str) -> None:
        """Start a branch here if the cursor is in the past (what follows is new)."""
        if not self.live:
            self._fork(name)

    def _fork(self, name: str) -> _Branch:
        old = self._b
        at = self.cursor
        new = _Branch(
            len(self._branches),
            name,
            old.number,
            at,
            old.times[:at],
            old.seqs[:at],
            {p: a for p, a in old.acts.items() if p < at},
            [s for s in old.snapshots if s.position <= at],
            [x for x in old.landmarks if x.position <= at],
            array("q", (p for p in old.stories if p <= at)),
            old.seqs[at - 1] if at else 0,
        )
        for s in new.snapshots:
            self._held[id(s.cluster)] += 1
        self._branches.append(new)
        self._current = new.number
        self._landmark_cache = None
        return new

    # ------------------------------------------------------------------ snapshots

    def _maybe_snapshot(self) -> None:
        last = self._b.snapshots[-1].position
        if self.cursor - last >= self.every:
            self._snapshot()

    def _snapshot(self) -> None:
        snap = _Snapshot(self.cursor, self.cluster.snapshot(), self.cluster.footprint())
        self._b.snapshots.append(snap)
        self._held[id(snap.cluster)] = 1
        self._bytes += snap.size
        while self._bytes > self.budget and len(self._b.snapshots) > 2:
            self._thin()

    def _thin(self) -> None:
        """Drop every other snapshot of this branch (never the first) and space them wider."""
        snaps = self._b.snapshots
        keep = snaps[::2]
        if snaps[-1] is not keep[-1]:
            keep.append(snaps[-1])
        for s in snaps:
            if not any(s is k for k in keep):
                self._release(s)
        self._b.snapshots = keep
        self.every *= 2
        _give_back_memory()

    def _release(self, s: _Snapshot) -> None:
        key = id(s.cluster)
        self._held[key] -= 1
        if not self._held[key]:
            del self._held[key]
            self._bytes -= s.size

    # ------------------------------------------------------------------ travelling

    def goto(self, position: int, branch: int | None = None) -> tuple[list[Event], int | None]:
        """Bring the cluster to `position` of `branch` (this one by default).

        Returns the events a screen needs, and `undone_after`: None when the move only went
        forward (the events are news), else the sequence number of the last event shown before
        that still holds; every later one was undone, and the events returned follow it."""
        old_branch, old_cursor = self._current, self.cursor
        if branch is not None and branch != self._current:
            self._leave_live_end()
            self._current = branch
            self._landmark_cache = None
            self.cursor = -1  # the cluster is at no position of this branch yet
        b = self._b
        position = max(0, min(position, len(b.times)))
        if position == self.cursor:
            return [], None
        self._leave_live_end()
        c = self.cluster
        c.drain()
        snap = b.snapshots[bisect_right([s.position for s in b.snapshots], position) - 1]
        onward = 0 <= self.cursor <= position and position - self.cursor <= self.every
        if not onward:
            c.restore(snap.cluster)
        self._replay(self.cursor if onward else snap.position, position)
        self.cursor = position
        # The clock stands where the next thing happened: an action just before it was taken
        # (so undoing one shows the very moment before it), the live end where it was left.
        following = b.acts.get(position)
        if following is not None:
            c.time_ms, c.stepped = following.time_ms, following.stepped
        elif position == len(b.times):
            c.time_ms = max(c.time_ms, b.end_ms)
            c.stepped = b.end_stepped
        events = c.drain()
        if onward and old_branch == self._current:
            return events, None
        kept = min(old_cursor, position, self._shared(old_branch, self._current))
        undone_after = self._seq_at(kept)
        return [e for e in events if e.seq > undone_after], undone_after

    def _seq_at(self, position: int) -> int:
        return self._b.seqs[position - 1] if position > 0 else self._base_seq

    def _shared(self, a: int, b: int) -> int:
        """How many first positions branches `a` and `b` have in common."""

        def lineage(n: int) -> dict[int, int]:
            shared: dict[int, int] = {}
            reach = len(self._branches[n].times)
            while True:
                branch = self._branches[n]
                shared[n] = reach
                if branch.parent is None:
                    return shared
                reach = min(reach, branch.fork)
                n = branch.parent

        of_a, of_b = lineage(a), lineage(b)
        return max(min(of_a[n], of_b[n]) for n in of_a.keys() & of_b.keys())

    def _leave_live_end(self) -> None:
        if self.cursor == len(self._b.times):
            self._b.end_ms = self.cluster.time_ms
            self._b.end_stepped = self.cluster.stepped

    def _replay(self, start: int, stop: int) -> None:
        b, c, ex = self._b, self.cluster, self.executor
        saved = ex.output, ex.on_pause, ex.on_progress, ex.on_break
        ex.output = ex.on_pause = ex.on_progress = ex.on_break = _nothing
        self._quiet = True
        try:
            for position in range(start, stop):
                act = b.acts.get(position)
                if act is None:
                    if not c.step_event():
                        raise AssertionError(f"nothing to replay at position {position}")
                    continue
                c.time_ms, c.stepped = act.time_ms, act.stepped
                # An action that failed when it was taken fails the same way again.
                with suppress(CommandFailed, ClusterError):
                    ex.execute(act.command)
        finally:
            self._quiet = False
            ex.output, ex.on_pause, ex.on_progress, ex.on_break = saved

    # ------------------------------------------------------------------ as a script

    def script(self, header: str) -> str:
        """The branch up to the cursor as a script (after the `cluster` line `header`) that
        `raftviz run` replays to exactly the state at the cursor."""
        return "\n".join([header, *self.lines()]) + "\n"

    def lines(self) -> list[str]:
        b = self._b
        out: list[str] = []
        clock = 0
        group: list[int] = []  # times of the events since the last action
        last_tick: tuple[int, int, int] | None = None  # (node, count, line) of a mergeable tick

        def flush(until_ms: int, stepped: bool) -> None:
            nonlocal clock
            if group:
                out.extend(_passing(group, clock, until_ms, stepped))
            elif until_ms > clock:
                out.extend(_runs(until_ms - clock))
            clock = max(clock, until_ms)
            group.clear()

        for position in range(self.cursor):
            act = b.acts.get(position)
            if act is None:
                group.append(b.times[position])
                last_tick = None
                continue
            if group or act.time_ms > clock:
                flush(act.time_ms, act.stepped)
                last_tick = None
            command = act.command
            if act.failed:
                if act.settled:
                    # Before it failed, the command finished the events of its millisecond, as
                    # every command does (see Executor.execute); the replay must too.
                    out.append("run 0ms")
                out.append(f"# failed: {command.to_text()}")
                last_tick = None
            elif isinstance(command, TickCmd) and isinstance(command.node, int):
                if last_tick is not None and last_tick[0] == command.node:
                    count = last_tick[1] + command.count
                    out[last_tick[2]] = TickCmd(command.node, count).to_text()
                    last_tick = (command.node, count, last_tick[2])
                else:
                    out.append(command.to_text())
                    last_tick = (command.node, command.count, len(out) - 1)
            else:
                out.append(command.to_text())
                last_tick = None
        if self.live or self.cursor in b.acts:
            flush(self.cluster.time_ms, self.cluster.stepped)
        elif group:
            flush(group[-1], True)
        return out


def _passing(times: list[int], clock: int, until_ms: int, stepped: bool) -> list[str]:
    """Script lines that process exactly the events at `times` (in order, all at or after
    `clock`) and leave the clock at `until_ms`: a `run` to the end of a millisecond, and
    `step` for the first events of a millisecond when the clock stopped inside it."""
    if not stepped:
        if until_ms > clock:
            return _runs(until_ms - clock)
        return [f"step {len(times)}"]  # leftovers of this very millisecond
    last = times[-1]
    if last - 1 > clock:
        inside = len(times) - bisect_left(times, last)
        return [*_runs(last - 1 - clock), f"step {inside}"]
    return [f"step {len(times)}"]


def _runs(ms: int) -> list[str]:
    """`run` lines for `ms` of time, each within what one `run` may ask for."""
    whole, rest = divmod(ms, MAX_DURATION_MS)
    return [f"run {MAX_DURATION_MS}ms"] * whole + ([f"run {rest}ms"] if rest else [])


def _trimmer() -> Callable[[int], int] | None:
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except (OSError, TypeError):
        return None


_MALLOC_TRIM = _trimmer()


def _give_back_memory() -> None:
    """Free the snapshots just dropped (they hold reference cycles, so only a collection frees
    them) and hand the memory back to the system: glibc keeps large freed blocks otherwise,
    and the process would grow to twice the budget. Thinning is rare: a few times an hour."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _nothing(*_: object) -> None:
    return None


def _is_story(e: Event) -> bool:
    if isinstance(e, Story):
        return e.kind not in QUIET_STORIES
    if isinstance(e, StateChanged | NodeFault | NetworkChanged | SafetyViolation):
        return True
    return isinstance(e, Narration | TimersChanged)


def _landmark(e: Event, position: int) -> Landmark | None:
    t = e.time_ms
    if isinstance(e, StateChanged):
        if e.role == "candidate":
            return Landmark(position, t, "election", f"S{e.node} stands for term {e.term}")
        if e.role == "leader":
            return Landmark(position, t, "leader", f"S{e.node} leads term {e.term}")
        return None
    if isinstance(e, NodeFault):
        kind = "crash" if e.what == "crashed" else "restart"
        return Landmark(position, t, kind, f"S{e.node} {e.what}")
    if isinstance(e, NetworkChanged):
        return Landmark(position, t, "network", e.description)
    if isinstance(e, SafetyViolation):
        return Landmark(position, t, "violation", f"{e.property}: {e.detail}")
    if isinstance(e, Narration) and e.mark:
        return Landmark(position, t, "mark", e.text)
    return None
