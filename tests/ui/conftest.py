"""UI tests: a fake controller and hand-built, deterministic cluster views.

The real simulation and its Trio runtime are not needed here: `FakeController` records every
call, applies a few simple mutations to its `ClusterView` (crash marks a node dead, isolate
isolates it...) and hands the new view to the app exactly as the bridge would, by posting a
`ClusterUpdated`. Time never moves by itself, so Pilot always sees an idle app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.widgets import Input

from raftviz.app import ClusterUpdated, RaftvizApp
from raftviz.core.explore.timeline import BranchInfo, Landmark, TimelineView
from raftviz.core.raft.decision import ElectionResult, Vote
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import Entry, Message, MsgType
from raftviz.core.sim.events import (
    ClusterView,
    EntryView,
    Event,
    FlightView,
    MessageDropped,
    Narration,
    NetworkChanged,
    NodeFault,
    NodeView,
    ProgressView,
    RaftLog,
    StateChanged,
)
from raftviz.core.sim.story import Story


def Flight(
    flight: int,
    frm: int,
    to: int,
    type: str,
    term: int,
    log_term: int,
    index: int,
    commit: int,
    reject: bool,
    entries: int,
    sent_ms: int,
    deliver_ms: int,
) -> FlightView:
    """A message in flight, from the fields a screen shows."""
    msg = Message(
        MsgType[type],
        to,
        frm,
        term,
        log_term,
        index,
        tuple(Entry(term, index + 1 + i) for i in range(entries)),
        commit,
        reject,
    )
    return FlightView(sent_ms, 0, flight, msg, sent_ms, deliver_ms)


KNOWN_COMMANDS = {
    "crash",
    "restart",
    "tick",
    "campaign",
    "isolate",
    "rejoin",
    "partition",
    "heal",
    "propose",
    "transfer-leadership",
    "forget-leader",
    "align-timers",
    "spread-timers",
    "run",
    "say",
    "cut",
    "stabilize",
}


class FakeController:
    """Records calls; mutates its view in simple, predictable ways; publishes like the bridge."""

    def __init__(self, view: ClusterView, *, paused: bool = True, speed: float = 1.0) -> None:
        self._view = view
        self.paused = paused
        self.speed = speed
        self.achieved_speed: float | None = None
        self.busy: str | None = None
        self.breakpoints: tuple[str, ...] = ()
        self.timeline: TimelineView | None = sample_timeline(view.time_ms)
        self.script_waiting = False
        self.settled = True
        self.generation = 0
        self.scenario: str | None = None
        self.calls: list[tuple[Any, ...]] = []
        self.listener: Callable[[ClusterView, tuple[Event, ...]], None] | None = None
        self.seq = 1000

    # -- the Controller protocol

    def view(self) -> ClusterView:
        self.calls.append(("view",))
        return self._view

    def command(self, text: str) -> None:
        self.calls.append(("command", text))
        words = text.split()
        if not words or words[0] not in KNOWN_COMMANDS:
            raise ValueError(f"unknown command {words[0] if words else ''!r}")
        verb, args = words[0], words[1:]
        nodes = {n.id for n in self._view.nodes}
        if verb in {"crash", "restart", "tick", "campaign", "isolate", "rejoin", "forget-leader"}:
            node = int(args[0])
            if node not in nodes:
                raise ValueError(f"unknown node {node} (cluster has nodes 1-{len(nodes)})")
        if verb == "propose" and self._view.leader is None:
            raise ValueError("no leader to propose to")
        events: list[Event] = []
        if verb == "crash":
            self._set(int(args[0]), alive=False)
            events.append(NodeFault(self._view.time_ms, self._next(), int(args[0]), "crashed"))
        elif verb == "restart":
            self._set(int(args[0]), alive=True, role="follower")
            events.append(NodeFault(self._view.time_ms, self._next(), int(args[0]), "restarted"))
        elif verb == "isolate":
            self._set(int(args[0]), isolated=True)
            events.append(NetworkChanged(self._view.time_ms, self._next(), f"isolate {args[0]}"))
        elif verb == "rejoin":
            self._set(int(args[0]), isolated=False)
        elif verb == "campaign":
            node = self._node(int(args[0]))
            self._set(
                node.id,
                role="candidate",
                term=node.term + 1,
                vote=node.id,
                votes=((node.id, True),),
            )
            events.append(
                StateChanged(
                    self._view.time_ms,
                    self._next(),
                    node.id,
                    "candidate",
                    node.term + 1,
                    0,
                    node.id,
                )
            )
        elif verb == "heal":
            for n in self._view.nodes:
                self._set(n.id, isolated=False, group=None)
            self._view = dataclasses.replace(self._view, cuts=())
        elif verb == "partition":
            groups = [g.split(",") for g in " ".join(args).split("|")]
            for number, group in enumerate(groups, 1):
                for node_id in group:
                    self._set(int(node_id), group=number)
        elif verb == "propose":
            leader = self._node(self._view.leader or 0)
            entry = EntryView(leader.term, leader.last_index + 1, args[-1])
            self._set(leader.id, log=(*leader.log, entry), last_index=entry.index)
        self.publish(tuple(events))

    def interrupt(self) -> None:
        self.calls.append(("interrupt",))
        self.busy = None

    def pause(self) -> None:
        self.calls.append(("pause",))
        self.paused = True

    def resume(self) -> None:
        self.calls.append(("resume",))
        self.paused = False

    def step_event(self) -> None:
        self.calls.append(("step_event",))
        self._advance(10)

    def step_tick(self) -> None:
        self.calls.append(("step_tick",))
        self._advance(100)

    def travel(self, where: str, value: int = 0) -> None:
        self.calls.append(("travel", where, value))
        if where != "forward":
            self.paused = True

    def set_speed(self, x: float) -> None:
        self.calls.append(("set_speed", x))
        self.speed = x

    def save_script(self, path: str) -> None:
        self.calls.append(("save_script", path))
        if path.startswith("/nonexistent/"):
            raise OSError(f"cannot write {path}: no such directory")

    def load(self, path: str) -> None:
        """A new run: the same view back at time 0, under a new generation."""
        self.calls.append(("load", path))
        if not Path(path).is_file():
            raise ValueError(f"{path}: no such file")
        self.scenario = Path(path).stem
        self._new_run()

    def restart(self) -> None:
        self.calls.append(("restart",))
        self._new_run()

    def _new_run(self) -> None:
        self.generation += 1
        self._view = dataclasses.replace(self._view, time_ms=0, flights=())
        self.publish()

    # -- helpers for tests

    @property
    def commands(self) -> list[str]:
        return [call[1] for call in self.calls if call[0] == "command"]

    @property
    def current(self) -> ClusterView:
        return self._view

    def publish(self, events: tuple[Event, ...] = ()) -> None:
        if self.listener is not None:
            self.listener(self._view, events)

    def replace_view(self, view: ClusterView, events: tuple[Event, ...] = ()) -> None:
        self._view = view
        self.publish(events)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _advance(self, ms: int) -> None:
        self._view = dataclasses.replace(self._view, time_ms=self._view.time_ms + ms)
        self.publish()

    def _node(self, node: int) -> NodeView:
        return next(n for n in self._view.nodes if n.id == node)

    def _set(self, node: int, **changes: Any) -> None:
        nodes = tuple(
            dataclasses.replace(n, **changes) if n.id == node else n for n in self._view.nodes
        )
        leader = self._view.leader
        if leader is not None and not next(n for n in nodes if n.id == leader).alive:
            leader = None
        self._view = dataclasses.replace(self._view, nodes=nodes, leader=leader)


# ------------------------------------------------------------------ deterministic views

TERMS = (1, 1, 2, 2, 3, 3, 3, 3)


def _log(last: int, terms: tuple[int, ...] = TERMS) -> tuple[EntryView, ...]:
    data = ("", "x=1", "", "y=2", "", "k1=v1", "k2=v2", "k3=v3")
    return tuple(EntryView(terms[i], i + 1, data[i]) for i in range(last))


def _node(
    node: int,
    *,
    role: str = "follower",
    term: int = 3,
    last: int = 8,
    commit: int = 6,
    elapsed: int = 3,
    timeout: int = 12,
    **extra: Any,
) -> NodeView:
    return NodeView(
        id=node,
        alive=extra.pop("alive", True),
        role=role,
        term=term,
        vote=extra.pop("vote", 1),
        lead=extra.pop("lead", 1),
        commit=commit,
        applied=extra.pop("applied", commit),
        last_index=last,
        log=extra.pop("log", _log(last)),
        election_elapsed=elapsed,
        election_timeout=timeout,
        **extra,
    )


LEADER_PROGRESS = (
    ProgressView(
        2, match=8, next=9, state="replicate", inflight=0, paused=False, recent_active=True
    ),
    ProgressView(
        3, match=7, next=8, state="replicate", inflight=1, paused=False, recent_active=True
    ),
    ProgressView(4, match=4, next=5, state="probe", inflight=0, paused=True, recent_active=False),
    ProgressView(
        5, match=6, next=9, state="replicate", inflight=2, paused=False, recent_active=True
    ),
)


def five_node_view() -> ClusterView:
    """A leader (S1, term 3) with progress, followers at various lags, messages in flight."""
    nodes = (
        _node(
            1,
            role="leader",
            elapsed=2,
            timeout=10,
            progress=LEADER_PROGRESS,
            kv=(("k1", "v1"), ("x", "1"), ("y", "2")),
        ),
        _node(2, elapsed=4, timeout=13),
        _node(3, last=7, elapsed=1, timeout=11),
        _node(4, last=4, commit=4, elapsed=10, timeout=11),
        _node(5, elapsed=6, timeout=14),
    )
    flights = (
        Flight(41, 1, 2, "MsgApp", 3, 3, 7, 6, False, 1, 12_300, 12_360),
        Flight(42, 1, 4, "MsgApp", 3, 2, 4, 6, False, 0, 12_320, 12_400),
        Flight(43, 3, 1, "MsgAppResp", 3, 0, 7, 0, False, 0, 12_330, 12_380),
        Flight(44, 1, 3, "MsgHeartbeat", 3, 0, 0, 6, False, 0, 12_340, 12_390),
        Flight(45, 4, 1, "MsgAppResp", 3, 0, 4, 0, True, 0, 12_310, 12_350),
        Flight(46, 5, 1, "MsgHeartbeatResp", 3, 0, 0, 0, False, 0, 12_300, 12_400),
    )
    return ClusterView(
        time_ms=12_345,
        seed=7,
        nodes=nodes,
        flights=flights,
        leader=1,
        term=3,
        settings=(("prevote", "true"), ("checkquorum", "true")),
    )


def crashed_view() -> ClusterView:
    """S3 crashed (persisted state shown), a message to it about to be dropped."""
    view = five_node_view()
    nodes = tuple(dataclasses.replace(n, alive=False) if n.id == 3 else n for n in view.nodes)
    return dataclasses.replace(view, nodes=nodes)


def partition_view() -> ClusterView:
    """The classic demo: old leader S1 with S2 in a minority, S3 campaigning in the majority."""
    view = five_node_view()
    nodes = []
    for n in view.nodes:
        group = 1 if n.id in (1, 2) else 2
        if n.id == 3:
            n = dataclasses.replace(
                n,
                role="candidate",
                term=4,
                vote=3,
                lead=0,
                votes=((3, True), (4, True), (5, False)),
            )
        nodes.append(dataclasses.replace(n, group=group))
    flights = (
        Flight(51, 3, 4, "MsgVote", 4, 3, 7, 6, False, 0, 12_320, 12_370),
        Flight(52, 3, 5, "MsgVote", 4, 3, 7, 6, False, 0, 12_320, 12_390),
        Flight(53, 4, 3, "MsgVoteResp", 4, 0, 0, 0, False, 0, 12_335, 12_380),
        Flight(54, 1, 2, "MsgHeartbeat", 3, 0, 0, 6, False, 0, 12_330, 12_380),
    )
    return dataclasses.replace(view, nodes=tuple(nodes), flights=flights, cuts=((1, 3), (3, 1)))


def split_view() -> ClusterView:
    """Every kind of network fault at once: a partition {S1,S2} | {S3,S4}, S5 isolated, and
    the link S3→S4 cut one way (S4 still reaches S3). S3 campaigns on its side."""
    view = partition_view()
    nodes = []
    for n in view.nodes:
        if n.id == 5:
            n = dataclasses.replace(n, isolated=True)
        nodes.append(n)
    flights = (
        Flight(51, 3, 4, "MsgVote", 4, 3, 7, 6, False, 0, 12_320, 12_370),
        Flight(53, 4, 3, "MsgVoteResp", 4, 0, 0, 0, False, 0, 12_335, 12_380),
        Flight(54, 1, 2, "MsgHeartbeat", 3, 0, 0, 6, False, 0, 12_330, 12_380),
        Flight(55, 1, 3, "MsgHeartbeat", 3, 0, 0, 6, False, 0, 12_300, 12_400),
    )
    return dataclasses.replace(
        view,
        nodes=tuple(nodes),
        flights=flights,
        cuts=((3, 4),),
        network=("partition {1,2} | {3,4,5}", "isolated 5", "cut 3>4"),
    )


def violation_view() -> ClusterView:
    return dataclasses.replace(
        five_node_view(), violations=("election-safety: two leaders in term 3 (S1, S2) at 12.345s",)
    )


def nine_node_view() -> ClusterView:
    """Nine nodes mid-election: pre-candidates, a candidate, votes in flight."""
    nodes = []
    for i in range(1, 10):
        role = "follower"
        extra: dict[str, Any] = {}
        if i == 4:
            role = "candidate"
            extra["votes"] = ((4, True), (1, True), (2, False))
        elif i in (6, 8):
            role = "pre-candidate"
        nodes.append(
            _node(
                i,
                role=role,
                term=5 if i == 4 else 4,
                lead=0,
                vote=4 if i < 4 else 0,
                elapsed=i,
                timeout=10 + i,
                **extra,
            )
        )
    flights = tuple(
        Flight(60 + to, 4, to, "MsgVote", 5, 3, 8, 6, False, 0, 20_000, 20_100)
        for to in (1, 2, 3, 5, 6, 7, 8, 9)
    )
    return ClusterView(
        time_ms=20_050, seed=9, nodes=tuple(nodes), flights=flights, leader=None, term=5
    )


def three_node_view() -> ClusterView:
    view = five_node_view()
    nodes = tuple(dataclasses.replace(n, progress=n.progress[:2]) for n in view.nodes[:3])
    flights = tuple(f for f in view.flights if f.frm <= 3 and f.to <= 3)
    return dataclasses.replace(view, nodes=nodes, flights=flights)


def sample_events() -> tuple[Event, ...]:
    """A few lines of each kind the event log shows: etcd's (at its levels) and stories."""

    def log(seq: int, time_ms: int, node: int, text: str, level: Level = Level.INFO) -> RaftLog:
        return RaftLog(time_ms, seq, LogLine(level, node, "state", text))

    return (
        log(1, 10_800, 3, "3 is starting a new election at term 2"),
        log(2, 10_800, 3, "3 became pre-candidate at term 2"),
        log(
            3,
            10_900,
            1,
            "1 [logterm: 2, index: 4, vote: 0] cast MsgPreVote for 3 [logterm: 2, index: 4] "
            "at term 2",
        ),
        log(4, 11_020, 1, "1 became leader at term 3"),
        NodeFault(11_500, 6, 5, "restarted"),
        Narration(12_000, 7, "S1 is the leader; watch the heartbeats"),
        MessageDropped(
            12_200,
            5,
            77,
            Message(MsgType.MsgApp, to=5, frm=2, term=3, log_term=2, index=4, commit=4),
            12_150,
            12_200,
            "loss",
        ),
        log(8, 12_300, 1, "1 sent MsgApp to 2 (debug detail)", Level.DEBUG),
        Story(
            10_900,
            9,
            Vote(
                2,
                candidate=3,
                pre_vote=True,
                term=2,
                my_term=1,
                granted=False,
                voted_for=0,
                lead=0,
                last_term=2,
                last_index=5,
                cand_last_term=2,
                cand_last_index=4,
                can_vote=True,
                up_to_date=False,
            ),
        ),
        Story(
            11_020,
            10,
            ElectionResult(
                1,
                pre_vote=False,
                term=3,
                won=True,
                granted=(1, 2, 4),
                refused=(3,),
                voters=(1, 2, 3, 4, 5),
            ),
        ),
    )


def sample_timeline(end_ms: int, position: int | None = None) -> TimelineView:
    """A session of 1,234 events with an election, a crash and its restart, a partition and
    a mark; at its live end, or at `position` of a branch that crashed S3 there."""
    length = 1234
    landmarks = (
        Landmark(120, 1000, "election", "S1 stands for term 2"),
        Landmark(150, 1300, "leader", "S1 leads term 2"),
        Landmark(500, end_ms // 2, "crash", "S2 crashed"),
        Landmark(700, end_ms * 2 // 3, "restart", "S2 restarted"),
        Landmark(900, end_ms * 3 // 4, "network", "partition 1,2 | 3,4,5"),
        Landmark(1100, end_ms * 9 // 10, "mark", "after the heal"),
    )
    main = BranchInfo(0, "main", None, 0, length)
    if position is None:
        return TimelineView(length, length, end_ms, end_ms, 0, (main,), landmarks)
    branch = BranchInfo(1, "crash 3", 0, position, position + 1)
    at_ms = end_ms * position // length
    return TimelineView(position, length, at_ms, end_ms, 0, (main, branch), landmarks)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots depend on timing."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def make_app(controller: FakeController, **options: Any) -> RaftvizApp:
    """An app wired to the fake like the bridge would be: updates arrive as messages."""
    options.setdefault("animate", False)
    app = RaftvizApp(controller, **options)
    controller.listener = lambda view, events: app.post_message(
        ClusterUpdated(view, events, generation=controller.generation, timeline=controller.timeline)
    )
    return app


@dataclasses.dataclass
class UI:
    """An app and the fake controller behind it."""

    app: RaftvizApp
    controller: FakeController


VIEWS = SimpleNamespace(
    five=five_node_view,
    crashed=crashed_view,
    partition=partition_view,
    split=split_view,
    violation=violation_view,
    nine=nine_node_view,
    three=three_node_view,
)
"""The deterministic views by name, for tests (they cannot import this conftest)."""


@pytest.fixture
def views() -> SimpleNamespace:
    return VIEWS


@pytest.fixture
def events() -> tuple[Event, ...]:
    return sample_events()


@pytest.fixture
def make_ui() -> Callable[..., UI]:
    """Build an app on a fake controller: ``make_ui(view, paused=True, speed=1.0, **options)``."""

    def factory(
        view: ClusterView | None = None, *, paused: bool = True, speed: float = 1.0, **options: Any
    ) -> UI:
        controller = FakeController(view or five_node_view(), paused=paused, speed=speed)
        return UI(make_app(controller, **options), controller)

    return factory


@pytest.fixture
def ui(make_ui: Callable[..., UI]) -> UI:
    return make_ui()


def screen_text(app: RaftvizApp) -> str:
    """The current screen as plain text (what a monochrome terminal would show)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.fixture
def text_of() -> Callable[[RaftvizApp], str]:
    return screen_text
