"""UI room: the Textual app; composes the widgets and turns keys into controller calls.

Data flows one way: key -> `Controller` call (a script command) -> runtime -> cluster -> events
-> bridge -> `ClusterUpdated` message -> widgets. The app holds no simulation state of its own
beyond the last `ClusterView`, the selected node and bounded histories (events, drop marks), so
anything a key does can also be typed at the ``:`` prompt, saved and replayed.

Rendering happens only when something changed: each `ClusterUpdated` is pushed into widgets that
compare before they redraw. The one timer is the flight animation (30 Hz), and it runs only
while time flows *and* messages are in the air or a drop mark is fading; a paused app does no
work at all.

Text shown to the user (notifications, prompts, the inspector...) quotes commands, scripts and
error messages, so it is always shown as text, never parsed as Textual markup: a ``[/x]`` in a
command would otherwise be a markup error, and a traceback instead of a message.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from raftviz.controller import AppService, Controller, clamp_speed
from raftviz.core.explore.timeline import TimelineView
from raftviz.core.raft.logline import Level
from raftviz.core.sim.events import (
    ClusterView,
    Event,
    MessageDelivered,
    MessageDropped,
    Narration,
    NodeView,
    SafetyViolation,
)
from raftviz.scenarios import builtin_scenarios, scenario_path
from raftviz.themes import (
    DEFAULT_THEME,
    STYLESHEET,
    THEMES,
    register_themes,
    theme_variable_defaults,
)
from raftviz.widgets.choices import ChoiceScreen
from raftviz.widgets.cluster_map import ClusterMap, DropMark
from raftviz.widgets.code_pane import CodePane, moment_stories
from raftviz.widgets.command_palette import SafeCommandPalette
from raftviz.widgets.event_log import STORY, EventLog, LogView
from raftviz.widgets.experiment import ExperimentScreen

if TYPE_CHECKING:
    from raftviz.commands.experiment import Options as ExperimentOptions
from raftviz.widgets.flight_table import FlightTable
from raftviz.widgets.footer import KeyFooter
from raftviz.widgets.help import HelpScreen
from raftviz.widgets.inspector import InspectorScreen
from raftviz.widgets.lessons import RESTART, LessonPicker
from raftviz.widgets.log_grid import LogGrid
from raftviz.widgets.narration import NarrationBar
from raftviz.widgets.node_card import CARD_LEVELS, CardLevel
from raftviz.widgets.output import OutputScreen
from raftviz.widgets.palette import node_label
from raftviz.widgets.prompt import PromptScreen
from raftviz.widgets.status_bar import StatusBar, StatusInfo
from raftviz.widgets.timeline_strip import TimelineStrip

__all__ = [
    "ClusterUpdated",
    "MainScreen",
    "RaftvizApp",
    "RuntimeNotes",
    "SimulationFailed",
    "partition_command",
]

EXPERIMENT_TRIALS = 200
"""Trials per timeout range of the election-time experiment run from the palette: 1200 in
all, about ten seconds on one core; the command line's default, 1000, is for the record."""

MAX_CARRIED_EVENTS = 2000
"""Events a coalesced `ClusterUpdated` carries at most (the event log keeps as many)."""

FRAME_INTERVAL = 1 / 30
"""Animation timer period while messages fly: smooth enough, cheap enough."""

DROP_SIM_MS = 400
"""A drop mark stays at least this long in simulated time..."""

DROP_WALL_S = 0.8
"""...and as much simulated time as this much wall time at the current speed (so it is seen
even at ×64). Expiry is measured in simulated time only, so a paused screen keeps its marks."""

MAX_DROPS = 30

PRESENTATION_LEVELS: tuple[CardLevel, ...] = (
    CardLevel("full", 36, 8),
    CardLevel("full", 30, 8),
    *CARD_LEVELS,
)
"""Card sizes in the presentation layout: the full card wider as the terminal allows (its
timer bar grows, the ring spreads and messages travel further), then the usual sizes."""


# ------------------------------------------------------------------ messages from the bridge


class ClusterUpdated(Message):
    """The cluster changed: a fresh snapshot and the events that led to it.

    Posted by the bridge after every batch of simulation events. Under load Textual may merge
    queued updates: it asks the *older* message whether the newer one can replace it
    (`older.can_replace(newer)`), and drops the older one if so. This always accepts, but first
    folds the older message's events into the newer one (bounded by `MAX_CARRIED_EVENTS`), so
    the snapshot skips straight to the latest state while the event log, drop marks, narration
    and safety violations lose nothing. The app in turn keeps only bounded histories.
    """

    def __init__(
        self,
        view: ClusterView,
        events: Sequence[Event] = (),
        *,
        generation: int = 0,
        timeline: TimelineView | None = None,
        undone_after: int | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.events: tuple[Event, ...] = tuple(events)
        self.generation = generation
        """Which run it comes from (the controller's `generation`): a new scenario's cluster
        never mixes with the previous one's."""
        self.timeline = timeline
        self.undone_after = undone_after
        """Set when the view went back in time: events shown with a later sequence number
        were undone (see `raftviz.runtime.Batch`)."""

    def can_replace(self, message: Message) -> bool:
        if not isinstance(message, ClusterUpdated):
            return False
        if self.generation == message.generation:
            older = self.events
            if message.undone_after is not None:
                older = tuple(e for e in older if e.seq <= message.undone_after)
            if older:
                message.events = (older + message.events)[-MAX_CARRIED_EVENTS:]
            older_undo, newer_undo = self.undone_after, message.undone_after
            if older_undo is not None:
                message.undone_after = (
                    older_undo if newer_undo is None else min(older_undo, newer_undo)
                )
        return True


class RuntimeNotes(Message):
    """What the simulation says besides its events, each of which must be shown (never
    replaced by a later one): `notices` (a played scenario's end with its checks, the answer
    to a check typed at the prompt) and `outputs`, what commands printed, as (command, text).
    """

    def __init__(
        self,
        notices: Sequence[str] = (),
        outputs: Sequence[tuple[str, str]] = (),
        *,
        generation: int = 0,
    ) -> None:
        super().__init__()
        self.notices = tuple(notices)
        self.outputs = tuple(outputs)
        self.generation = generation


class SimulationFailed(Message):
    """The simulation side died (e.g. the Trio run raised): shown in the app, never a hang."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


# ------------------------------------------------------------------ helpers


def partition_command(node: int, ids: Iterable[int]) -> str:
    """``partition <minority holding node> | <majority>``: the "old leader in a minority" demo.

    The minority is the node plus the lowest other ids, (n - 1) // 2 nodes in all (at least
    the node itself), so the rest always keep a quorum.
    """
    everyone = sorted(set(ids) | {node})
    size = max(1, (len(everyone) - 1) // 2)
    others = [i for i in everyone if i != node]
    minority = sorted([node, *others[: size - 1]])
    majority = [i for i in everyone if i not in minority]
    return f"partition {','.join(map(str, minority))} | {','.join(map(str, majority))}"


def session_file_name(seed: int, when: datetime) -> str:
    """``session-<seed>-<YYYYMMDD-HHMMSS>.raft``: a name that says which run and when, so that
    saving twice never overwrites. The wall clock names the file and touches nothing else."""
    return f"session-{seed}-{when:%Y%m%d-%H%M%S}.raft"


# Long descriptions for the help screen and the command palette, by action name.
FULL_COLLECTION_EVERY = 100
"""Middle-generation garbage collections between two full ones (Python's default is 10)."""

KEY_HELP: dict[str, str] = {
    "toggle_pause": "pause / resume simulated time",
    "step_event": "step: process exactly the next event (pauses first)",
    "step_tick": "advance one Raft tick of the whole cluster, 100 ms (pauses first)",
    "faster": "double the speed (up to ×64)",
    "slower": "halve the speed (down to ×0.125)",
    "select": "select node 1-9 (the keys below act on it)",
    "select_next": "select the next node (shift+tab: previous)",
    "crash_restart": "crash the selected node, or restart it if crashed",
    "tick_node": "tick the selected node's Raft once",
    "campaign": "fire the selected node's election timer now (campaign)",
    "isolate_rejoin": "isolate the selected node, or let it rejoin",
    "partition": "partition: a minority holding the selected node | the majority",
    "heal": "heal every link (partitions, isolations, cuts)",
    "propose": "client request: propose key=value to the leader",
    "transfer": "transfer leadership from the leader to the selected node",
    "forget_leader": "make the selected node forget its leader",
    "align_timers": "align every follower's election timer (split votes)",
    "spread_timers": "spread the election timers apart (no split votes)",
    "filter_node": "event log: show all nodes / only one (cycles)",
    "filter_level": "event log: the story (why, in words) / etcd's lines from DEBUG, INFO, "
    "WARN or ERROR (cycles)",
    "focus_events": "event log: focus it to scroll (↑ ↓ PgUp PgDn Home End); L or esc leaves",
    "prompt": "command prompt: any command of the script language",
    "save": "save the branch on screen, up to the moment on screen, as a replayable script",
    "inspect": "inspect the selected node (all its state, a leader's progress)",
    "code_pane": "code pane: the etcd/raft code path of the latest decisions, one step a line "
    "(again: hide)",
    "help": "this help: keys and legend",
    "scenarios": "lessons: open a built-in scenario (in lecture mode), or restart this one",
    "presentation": "presentation layout for a projector: only the cluster (larger cards) "
    "and the narration; again to go back (also P)",
    "interrupt": "stop a long command typed at the prompt (run 10m, tick 1 count=5000); "
    "with none, hide the note under the narration",
    "quit": "quit",
    "travel('back')": "timeline: back one event (pauses; the future is kept)",
    "travel('forward')": "timeline: forward one event (the recorded future, or the next event)",
    "travel('story-back')": "timeline: back to the previous story (a role change, a vote, a "
    "commit, a crash, a fault)",
    "travel('story-forward')": "timeline: forward to the next story",
    "travel('delivery')": "step to just after the next message delivery",
    "travel('change')": "step to just after the next change of a node's state or log",
    "travel('mark-back')": "timeline: back to the previous mark",
    "travel('mark-forward')": "timeline: forward to the next mark",
    "travel('start')": "timeline: to the start of the session",
    "travel('end')": "timeline: back to the live end",
    "travel('undo')": "undo: back to just before the last action (acting then starts a branch)",
    "branches": "branches of this session: go to another one's live end",
    "focus_flights": "in-flight list: pick a message (↑ ↓, or click one on the map), then d "
    "deliver it now, x drop, y duplicate, k hold / release; F or esc leaves",
    "manual_delivery": "manual delivery on / off: messages wait in flight until you decide",
    "breakpoints": "breakpoints: list, add (break CONDITION), remove",
}


def key_help_text(action: str, fallback: str) -> str:
    """What a key's action does, in words: its own entry, else its action's."""
    return KEY_HELP.get(action) or KEY_HELP.get(action.split("(")[0], fallback)


class MainScreen(Screen[None]):
    """The cluster screen. Its only bindings replace Screen's tab focus-cycling with node
    selection; every other key is an app binding. Only the event log takes focus, and only
    when asked (``L`` or a click), so single keys act on the cluster from the first frame."""

    AUTO_FOCUS = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.select_next", "Next node", show=False),
        Binding("shift+tab", "app.select_next(-1)", "Previous node", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield TimelineStrip(id="timeline")
        yield NarrationBar(id="narration")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield ClusterMap(id="map", classes="panel")
                yield LogGrid(id="logs", classes="panel")
            with Vertical(id="right"):
                yield FlightTable(id="flights", classes="panel")
                yield CodePane(id="code", classes="panel")
                yield EventLog(id="events", classes="panel")
        yield KeyFooter()

    class Ready(Message):
        """The widgets exist: the app can draw its first frame into them."""

    def on_mount(self) -> None:
        self.query_one("#map").border_title = "Cluster"
        self.query_one("#logs").border_title = "Logs"
        self.query_one("#flights").border_title = "In flight"
        self.post_message(self.Ready())


class RaftvizApp(App[int]):
    """Watch and steer a live Raft cluster from the keyboard.

    Args:
        controller: the simulation's door (see `raftviz.controller.Controller`).
        theme: a theme name (``raft-dark``, ``raft-light``, ``raft-projector``,
            ``raft-colorblind`` or any Textual theme); `ValueError` if unknown.
        title: the app's title (terminal title, screenshots).
        services: started after mount and stopped on unmount, e.g. the Trio bridge.
        animate: move messages smoothly between events (off: only on updates; for benchmarks
            and tests that need a still frame while running).
        clock: wall clock in seconds (tests freeze it).
    """

    CSS_PATH = str(STYLESHEET)
    TITLE = "raftviz"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Textual's API)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012

    # The footer shows what a class needs most, first (the rest is in ? and ctrl+p): time,
    # help, the projector layout and the lessons, then the faults. At 80 columns it stops
    # after the first few; `show=False` keys are listed in the help and the palette alike.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Run/pause", key_display="space"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f5,P", "presentation", "Present", key_display="F5"),
        Binding("o", "scenarios", "Lessons"),
        Binding("full_stop", "step_event", "Step", key_display="."),
        Binding("comma", "step_tick", "Tick", key_display=",", show=False),
        Binding(
            "left_square_bracket", "travel('back')", "Back one event", key_display="[", show=False
        ),
        Binding(
            "right_square_bracket",
            "travel('forward')",
            "Forward one event",
            key_display="]",
            show=False,
        ),
        Binding(
            "left_curly_bracket",
            "travel('story-back')",
            "Previous story",
            key_display="{",
            show=False,
        ),
        Binding(
            "right_curly_bracket",
            "travel('story-forward')",
            "Next story",
            key_display="}",
            show=False,
        ),
        Binding(
            "greater_than_sign",
            "travel('delivery')",
            "To next delivery",
            key_display=">",
            show=False,
        ),
        Binding("semicolon", "travel('change')", "To next change", key_display=";", show=False),
        Binding("m", "travel('mark-back')", "Previous mark", show=False),
        Binding("apostrophe", "travel('mark-forward')", "Next mark", key_display="'", show=False),
        Binding("home", "travel('start')", "To the start", show=False),
        Binding("end", "travel('end')", "Back to live", show=False),
        Binding("u", "travel('undo')", "Undo", show=False),
        Binding("b", "branches", "Branches", show=False),
        Binding("F", "focus_flights", "Pick a message", key_display="F", show=False),
        Binding("M", "manual_delivery", "Manual delivery", key_display="M", show=False),
        Binding("B", "breakpoints", "Breakpoints", key_display="B", show=False),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+"),
        Binding("minus", "slower", "Slower", key_display="-"),
        Binding("1", "select(1)", "Select", key_display="1-9", show=False),
        *(Binding(str(n), f"select({n})", f"Select S{n}", show=False) for n in range(2, 10)),
        Binding("c", "crash_restart", "Crash/restart"),
        Binding("t", "tick_node", "Tick node", show=False),
        Binding("e", "campaign", "Campaign", show=False),
        Binding("i", "isolate_rejoin", "Isolate"),
        Binding("p", "partition", "Partition"),
        Binding("h", "heal", "Heal"),
        Binding("r", "propose", "Request"),
        Binding("l", "transfer", "Transfer", show=False),
        Binding("f", "forget_leader", "Forget leader", show=False),
        Binding("a", "align_timers", "Align timers", show=False),
        Binding("s", "spread_timers", "Spread timers", show=False),
        Binding("n", "filter_node", "Event node", show=False),
        Binding("v", "filter_level", "Event level", show=False),
        Binding("L", "focus_events", "Scroll events", key_display="L", show=False),
        Binding("colon", "prompt", "Command", key_display=":"),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("enter", "inspect", "Inspect", show=False),
        Binding("C", "code_pane", "Code pane", key_display="C", show=False),
        Binding("q", "quit", "Quit", show=False),
        Binding("escape", "interrupt", "Stop command / hide note", key_display="esc", show=False),
    ]

    selected: reactive[int] = reactive(0, init=False)
    """The node the keys act on (0 before the first view)."""

    def __init__(
        self,
        controller: Controller,
        *,
        theme: str = DEFAULT_THEME,
        title: str = "raftviz",
        services: Sequence[AppService] = (),
        animate: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.title = title
        self._services = tuple(services)
        self._animate_flights = animate
        self._clock = clock
        register_themes(self)
        if self.get_theme(theme) is None:
            names = ", ".join(sorted(THEMES))
            raise ValueError(f"unknown theme {theme!r} (raftviz themes: {names})")
        self.theme = theme
        self._view: ClusterView | None = None
        self._timeline: TimelineView | None = None
        self._delivered: MessageDelivered | None = None
        self._view_wall = clock()
        self._drops: list[DropMark] = []
        self._timer: Timer | None = None
        self._proposals = 0
        self._command_history: list[str] = []
        self._failure: str | None = None
        self._main_ready = False
        self._wanted_paused: bool | None = None
        self._wanted_speed: float | None = None
        self._started: list[AppService] = []
        self.narration: str | None = None
        # The modal screens are made once and installed, so that closing one keeps it for the
        # next time. A screen dropped on close leaves its rendered lines behind: Textual's
        # `StylesCache.get_inner_outer` is an lru_cache on a method, so it keeps the styles
        # cache (and the lines) of up to 1024 widgets long gone, 0.4-0.7 MB for every opening
        # of help or the inspector.
        self._help = HelpScreen(self.key_help())
        self._inspector = InspectorScreen()
        self._command_prompt = PromptScreen(
            "command",
            ": command (e.g. crash 3 · partition 1,2 | 3,4,5 · run 2s)  enter run, esc cancel",
            placeholder="crash 3",
        )
        self._save_prompt = PromptScreen(
            "save", "Save the session as a script  ·  enter save · esc cancel"
        )
        self.install_screen(self._help, "help")
        self.install_screen(self._inspector, "inspector")
        self.install_screen(self._command_prompt, "command")
        self.install_screen(self._save_prompt, "save")

    # ------------------------------------------------------------------ Textual hooks

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(id="main")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Role and message colours for any theme; raftviz themes override them all."""
        return theme_variable_defaults(self.current_theme)

    async def on_main_screen_ready(self, message: MainScreen.Ready) -> None:
        """First frame: pull the initial view, then start the services (the Trio bridge)."""
        self._main_ready = True
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._view = self.controller.view()
        self._view_wall = self._clock()
        if self._view.nodes and not self.selected:
            self.set_reactive(RaftvizApp.selected, self._view.nodes[0].id)
        self._render_view()
        for service in self._services:
            await service.start(self)
            self._started.append(service)
        # Everything built so far (Textual's widgets, styles, themes) lives as long as the app.
        # Moving it out of the collector's reach keeps full collections from scanning it again
        # and again: they were the 50-120 ms stalls behind slow key presses on busy clusters.
        gc.freeze()
        # The timeline's snapshots grow with the session, and a full collection scans them all
        # (150 ms at ten simulated minutes): one every hundred middle collections instead of
        # every ten keeps them away from jumps and keys. Little cyclic garbage waits longer.
        gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTION_EVERY)

    async def on_unmount(self) -> None:
        """Stop what was started, last first, whichever way the app is exiting."""
        self._main_ready = False
        self._stop_animation()
        while self._started:
            await self._started.pop().stop()

    # ------------------------------------------------------------------ state in

    def on_cluster_updated(self, message: ClusterUpdated) -> None:
        if not self.is_running or message.generation != self.controller.generation:
            return  # exiting, or a late batch of the run before the current one
        self._view = message.view
        self._view_wall = self._clock()
        if message.timeline is not None:
            self._timeline = message.timeline
        if message.undone_after is not None:
            self._undo_after(message.undone_after, message.view.time_ms)
        if message.events:
            self._ingest(message.events)
            # Stepping, the message just delivered is named until the next step.
            delivered = [e for e in message.events if isinstance(e, MessageDelivered)]
            self._delivered = delivered[-1] if delivered and self.paused else None
        if self._view.nodes and self.selected not in {n.id for n in self._view.nodes}:
            self.set_reactive(RaftvizApp.selected, self._view.nodes[0].id)
        self._render_view()

    def on_cluster_map_flight_clicked(self, message: ClusterMap.FlightClicked) -> None:
        main = self._main()
        if main is not None:
            main.query_one(FlightTable).pick(message.flight)
            self._render_view()

    def on_flight_table_picked(self, message: FlightTable.Picked) -> None:
        self._render_view()

    def on_flight_table_fate(self, message: FlightTable.Fate) -> None:
        """Decide a message's fate by the script command that names it: route, type, and its
        number among the messages in flight with that route and type, in send order."""
        f = message.flight
        view = self._view
        same = sorted(
            x.flight
            for x in (view.flights if view else ())
            if (x.frm, x.to, x.type) == (f.frm, f.to, f.type)
        )
        number = same.index(f.flight) + 1 if f.flight in same else 1
        self.run_command(f"{message.fate} {f.frm}->{f.to} {f.type} {number}")

    def on_cluster_map_node_clicked(self, message: ClusterMap.NodeClicked) -> None:
        """A click selects a node, a double click also inspects it (widgets only ask)."""
        self.action_select(message.node)
        if message.inspect:
            self.action_inspect()

    def on_simulation_failed(self, message: SimulationFailed) -> None:
        self._failure = message.error
        self.notify(
            message.error, title="Simulation failed", severity="error", timeout=30, markup=False
        )
        self._render_view()

    def on_runtime_notes(self, message: RuntimeNotes) -> None:
        """Notes go under the narration and stay; printed text opens (or joins) a screen of
        its own, whole and scrollable, titled with the command."""
        main = self._main()
        if main is None or message.generation != self.controller.generation:
            return
        for notice in message.notices:
            main.query_one(NarrationBar).add_note(notice)
        if not message.outputs:
            return
        if isinstance(self.screen, OutputScreen) and self.screen.id == "printed":
            for command, text in message.outputs:
                self.screen.add(command, text)
            return
        screen = OutputScreen(message.outputs[0][0], message.outputs[:1])
        screen.id = "printed"
        self.push_screen(screen)
        for command, text in message.outputs[1:]:
            screen.add(command, text)

    def _undo_after(self, seq: int, now_ms: int) -> None:
        """The view went back in time: forget what was shown of the undone future."""
        main = self._main()
        if main is None:
            return
        log = main.query_one(EventLog)
        log.undo_after(seq)
        self._drops = [d for d in self._drops if d.time_ms <= now_ms]
        # The narration too, from what the log still holds: a line said later was not said.
        said = [e for e in log.history if isinstance(e, Narration) and not e.mark]
        bar = main.query_one(NarrationBar)
        bar.clear()
        for line in said:
            bar.say(line.text, line.time_ms)
        self.narration = said[-1].text if said else None

    def _ingest(self, events: Sequence[Event]) -> None:
        """Feed the bounded histories: event log, drop marks, narration, violations."""
        main = self._main()
        if main is None:
            return
        for event in events:
            if isinstance(event, MessageDropped):
                self._drops.append(
                    DropMark(event.frm, event.to, event.type, event.time_ms, event.reason)
                )
            elif isinstance(event, Narration) and not event.mark:
                self.narration = event.text
                main.query_one(NarrationBar).say(event.text, event.time_ms)
            elif isinstance(event, SafetyViolation):
                self.notify(
                    f"{event.property}: {event.detail}",
                    title="SAFETY VIOLATION",
                    severity="error",
                    timeout=20,
                    markup=False,
                )
        del self._drops[:-MAX_DROPS]
        main.query_one(EventLog).add_events(events)

    def _main(self) -> MainScreen | None:
        """The cluster screen while its widgets exist (not before the first frame, nor while
        the app is exiting, when late updates from the bridge may still arrive)."""
        if not self._main_ready or not self.is_running or not self.screen_stack:
            return None
        screen = self.screen_stack[0]
        if not isinstance(screen, MainScreen) or not screen.is_attached or not screen.children:
            return None
        return screen

    @property
    def screen_main(self) -> MainScreen:
        """The cluster screen, even while a modal screen is on top of it."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def view(self) -> ClusterView | None:
        """The last snapshot shown."""
        return self._view

    # ------------------------------------------------------------------ rendering

    def _sim_now(self) -> float:
        """Simulated time to draw flights at: the view's time, extrapolated while running."""
        view = self._view
        if view is None:
            return 0.0
        if self.paused or not self._animate_flights:
            return float(view.time_ms)
        elapsed = max(0.0, self._clock() - self._view_wall)
        return view.time_ms + elapsed * 1000.0 * self.speed

    def _live_drops(self, now_ms: float) -> list[DropMark]:
        keep = max(DROP_SIM_MS, DROP_WALL_S * 1000.0 * self.speed)
        self._drops = [d for d in self._drops if now_ms - d.time_ms <= keep]
        return list(self._drops)

    @property
    def paused(self) -> bool:
        """Paused as last asked from here while the request is on its way to the simulation,
        then as the controller says (a lecture's script pauses it again after each line: the
        request was granted, and the script has spoken since)."""
        if self._wanted_paused is not None:
            if self._wanted_paused != self.controller.paused and not self.controller.settled:
                return self._wanted_paused
            self._wanted_paused = None
        return self.controller.paused

    @property
    def speed(self) -> float:
        """The speed as last asked from here while the request is on its way, like `paused`,
        so that two quick presses of ``+`` make ×4, not ×2 twice."""
        if self._wanted_speed is not None:
            if self._wanted_speed != self.controller.speed and not self.controller.settled:
                return self._wanted_speed
            self._wanted_speed = None
        return self.controller.speed

    def _status_info(self) -> StatusInfo:
        view = self._view
        if view is None:
            return StatusInfo(speed=self.speed, paused=self.paused, failure=self._failure)
        return StatusInfo(
            time_ms=view.time_ms,
            speed=self.speed,
            achieved=self.controller.achieved_speed,
            busy=self.controller.busy,
            paused=self.paused,
            seed=view.seed,
            leader=view.leader,
            term=view.term,
            selected=self.selected,
            violations=view.violations,
            network=view.network,
            failure=self._failure,
            nodes=len(view.nodes),
            unsafe=view.unsafe,
        )

    def _render_view(self) -> None:
        """Push the current state into every widget; each redraws only what changed."""
        view = self._view
        main = self._main()
        if view is None or main is None:
            return
        now = self._sim_now()
        main.query_one(StatusBar).update_status(self._status_info())
        cluster_map = main.query_one(ClusterMap)
        picked = main.query_one(FlightTable)
        cluster_map.update_cluster(
            view,
            now_ms=now,
            selected=self.selected,
            drops=self._live_drops(now),
            picked=picked.picked if picked.has_focus else None,
        )
        cluster_map.border_title = f"Cluster · {len(view.nodes)} nodes"
        main.query_one(LogGrid).update_cluster(view, self.selected)
        flights = main.query_one(FlightTable)
        after = view.next_event
        flights.update_flights(
            view.flights,
            now,
            held=view.held,
            next_flight=after.id if after is not None and after.kind == "deliver" else None,
        )
        title = f"In flight · {len(view.flights)}"
        if view.delivery == "manual":
            title += " · manual delivery"
        title += f" · next: {_next_words(view)}"
        if self._delivered is not None:
            d = self._delivered
            title += f" · delivered: {node_label(d.frm)}→{node_label(d.to)} {d.type}"
        flights.border_title = title
        main.query_one(NarrationBar).set_waiting(self.paused and self.controller.script_waiting)
        main.query_one(TimelineStrip).update_timeline(self._timeline)
        self._render_code(main)
        if isinstance(self.screen, InspectorScreen):
            self.screen.update_view(view)
        self._update_animation()

    def _render_code(self, main: MainScreen) -> None:
        """The code pane, while shown: the paths of the latest moment's stories, or of the
        newest moment on the event log's screen while it is scrolled back."""
        if not main.has_class("-code"):
            return
        log = main.query_one(EventLog)
        upto = log.seq_in_view
        stories = moment_stories(log.history, log.node_filter, upto)
        who = "all nodes" if log.node_filter is None else node_label(log.node_filter)
        where = f"{who} · {'latest' if upto is None else 'as scrolled in the event log'}"
        main.query_one(CodePane).show(stories, where)

    def on_event_log_scrolled(self, message: EventLog.Scrolled) -> None:
        main = self._main()
        if main is not None:
            self.call_after_refresh(self._render_code, main)

    def _update_animation(self) -> None:
        """Run the frame timer only while something on screen moves by itself."""
        view = self._view
        moving = (
            self._animate_flights
            and view is not None
            and not self.paused
            and (bool(view.flights) or bool(self._drops))
        )
        if moving and self._timer is None:
            self._timer = self.set_interval(FRAME_INTERVAL, self._on_frame, name="flights")
        elif not moving:
            self._stop_animation()

    def _on_frame(self) -> None:
        view = self._view
        if view is None:
            return
        now = self._sim_now()
        main = self._main()
        if main is None:
            self._stop_animation()
            return
        cluster_map = main.query_one(ClusterMap)
        flights = main.query_one(FlightTable)
        cluster_map.update_cluster(view, now_ms=now, drops=self._live_drops(now))
        flights.update_flights(view.flights, now)
        main.query_one(StatusBar).update_status(self._status_info())
        self._update_animation()

    def _stop_animation(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _theme_changed(self, theme: object) -> None:
        """Colours are baked into cached cells and log lines: redraw them in the new theme."""
        main = self._main()
        if main is None:
            return
        main.query_one(EventLog).rewrite()
        main.query_one(ClusterMap).notify_style_update()
        main.query_one(ClusterMap).refresh()
        main.query_one(LogGrid).refresh()
        main.query_one(StatusBar).refresh()
        self._render_view()

    def watch_selected(self, old: int, new: int) -> None:
        self._render_view()

    # ------------------------------------------------------------------ controller calls

    def _fail(self, message: str) -> None:
        """A user error: one line, never a traceback (and never markup: it quotes the user)."""
        self.notify(message, title="Not done", severity="error", timeout=6, markup=False)

    def run_command(self, text: str) -> bool:
        """Send one script command; show its error, if any. True if it was accepted."""
        try:
            self.controller.command(text)
        except ValueError as error:
            self._fail(str(error) or f"bad command: {text}")
            return False
        return True

    def _selected_node(self) -> NodeView | None:
        view = self._view
        if view is None:
            return None
        node = next((n for n in view.nodes if n.id == self.selected), None)
        if node is None:
            self._fail("no node selected")
        return node

    def action_interrupt(self) -> None:
        """``esc``: stop the prompt command in progress; with none, hide the note."""
        main = self._main()
        busy = self.controller.busy is not None
        if not busy and main is not None and main.query_one(NarrationBar).dismiss_note():
            return
        self.controller.interrupt()

    def action_scenarios(self) -> None:
        """The lessons: pick a built-in scenario, or restart the current one."""
        lessons = [(s.name, s.description) for s in builtin_scenarios()]
        self.push_screen(LessonPicker(lessons, self.controller.scenario), self._lesson_chosen)

    def _lesson_chosen(self, choice: str | None) -> None:
        if choice == RESTART:
            self.action_restart()
        elif choice is not None:
            self.play_scenario(choice)

    def action_restart(self) -> None:
        """The current run again from its beginning."""
        try:
            self.controller.restart()
        except ValueError as error:
            self._fail(str(error))
            return
        self.call_next(self._new_run, f"Restarted {self._run_name()} from its beginning.")

    def play_scenario(self, name: str) -> None:
        """Play a built-in scenario (by name) from its start, in lecture mode."""
        try:
            self.controller.load(scenario_path(name))
        except ValueError as error:
            self._fail(str(error))
            return
        self.call_next(self._new_run, f"Lesson “{name}”: space continues after each line.")

    def _run_name(self) -> str:
        scenario = self.controller.scenario
        return f"“{scenario}”" if scenario else "the cluster"

    async def _new_run(self, note: str) -> None:
        """The controller now runs another cluster: forget everything about the previous one
        (its view, selection, marks, events and story) and show the new one from its start.
        Runs before any other message (`call_next`), so no update of the new run can reach
        the previous run's event log."""
        main = self._main()
        if main is None:
            return
        scenario = self.controller.scenario
        self.title = f"raftviz - {scenario}" if scenario else "raftviz"
        self._wanted_paused = self._wanted_speed = None
        self._drops.clear()
        self._proposals = 0
        self.narration = None
        self._view = self.controller.view()
        self._view_wall = self._clock()
        if self._view.nodes:
            self.set_reactive(RaftvizApp.selected, self._view.nodes[0].id)
        narration = main.query_one(NarrationBar)
        narration.clear()
        narration.add_note(note)
        # A fresh event log: the previous run's events (and filters) belong to another cluster.
        old = main.query_one(EventLog)
        parent = old.parent
        await old.remove()
        if isinstance(parent, Widget):
            await parent.mount(EventLog(id="events", classes="panel"))
        self._render_view()

    def action_code_pane(self) -> None:
        """Show or hide the code pane (in a narrow layout it takes the in-flight list's place)."""
        main = self._main()
        if main is None:
            return
        main.toggle_class("-code")
        self._render_code(main)

    def action_presentation(self) -> None:
        """Toggle the projector layout: side panels hidden, cards and narration larger."""
        main = self._main()
        if main is None:
            return
        main.toggle_class("-presentation")
        presenting = main.has_class("-presentation")
        main.query_one(ClusterMap).set_card_levels(
            PRESENTATION_LEVELS if presenting else CARD_LEVELS
        )
        main.query_one(NarrationBar).refresh_layout()

    @property
    def presenting(self) -> bool:
        """The presentation layout is on."""
        main = self._main()
        return main is not None and main.has_class("-presentation")

    def action_experiment(self, prevote: bool = False) -> None:
        """The Raft paper's election-time experiment (Figure 16), beside the live cluster:
        fewer trials than the command's default so that it is done in seconds, run by worker
        processes on every core but one, so that the live cluster keeps its pace. With
        `prevote`, the same trials with pre-vote on, to set beside the paper's Raft."""
        from raftviz.commands.experiment import Options, describe
        from raftviz.core.explore.election_time import DEFAULT_RANGES, Setup

        jobs = max(1, len(os.sched_getaffinity(0)) - 1)
        setups = tuple(Setup(r, prevote=prevote) for r in DEFAULT_RANGES)
        options = Options(setups, EXPERIMENT_TRIALS, jobs)
        stop = threading.Event()
        screen = ExperimentScreen(
            "The election-time experiment (the Raft paper's Figure 16)"
            + (", with pre-vote" if prevote else ""),
            describe(options),
            len(options.setups) * options.trials,
            stop.set,
        )
        self.push_screen(screen)
        self.run_worker(
            partial(self._run_experiment, options, screen, stop), thread=True, group="experiment"
        )

    def _run_experiment(
        self, options: ExperimentOptions, screen: ExperimentScreen, stop: threading.Event
    ) -> None:
        """In a worker thread: the trials, then the figure for the screen."""
        from raftviz.commands.experiment import figure, run_trials

        started = time.monotonic()
        try:
            results = run_trials(options, lambda n: self.call_from_thread(screen.advance, n), stop)
        except KeyboardInterrupt:
            return  # the screen was closed
        except Exception as e:  # a worker died: say so on the screen, keep the app
            if not stop.is_set():
                self.call_from_thread(screen.failed, f"The experiment failed: {e}")
            return
        wall = time.monotonic() - started
        done = f"{len(options.setups) * options.trials} trials in {wall:.1f} s"
        if not stop.is_set():
            self.call_from_thread(screen.show, partial(figure, results), done)

    def action_narration_history(self) -> None:
        """Every narration line and note so far, in a screen of its own."""
        main = self._main()
        if main is not None:
            story = main.query_one(NarrationBar).story()
            self.push_screen(
                OutputScreen("Narration so far", (("Narration so far", story),), wrap=True)
            )

    def action_toggle_pause(self) -> None:
        if self.paused:
            self.controller.resume()
            self._wanted_paused = False
        else:
            self.controller.pause()
            self._wanted_paused = True
        self._view_wall = self._clock()
        self._render_view()

    def _pause_for_step(self) -> None:
        if not self.paused:
            self.controller.pause()
            self._wanted_paused = True

    def action_step_event(self) -> None:
        self._pause_for_step()
        self.controller.step_event()
        self._render_view()

    def action_travel(self, where: str) -> None:
        """Move on the timeline; stepping forward pauses first, like `.`; the runtime pauses
        for every other move."""
        if where in ("forward", "delivery", "change"):
            self._pause_for_step()
        else:
            self._wanted_paused = True
        self.controller.travel(where)
        self._render_view()

    def on_timeline_strip_jump(self, message: TimelineStrip.Jump) -> None:
        self._wanted_paused = True
        self.controller.travel("time", message.time_ms)

    def action_focus_flights(self) -> None:
        """Focus the in-flight list to pick a message and decide its fate (or leave it)."""
        main = self._main()
        if main is None:
            return
        flights = main.query_one(FlightTable)
        if flights.has_focus:
            main.set_focus(None)
        elif not flights.row_count:
            self._fail("no message is in flight")
        else:
            flights.focus()
        self._render_view()

    def action_manual_delivery(self) -> None:
        manual = self._view is not None and self._view.delivery == "manual"
        self.run_command(f"set delivery={'auto' if manual else 'manual'}")

    def action_breakpoints(self) -> None:
        """The breakpoints set: enter removes one; the first choice adds one."""
        options = [("add", Text("+ add a breakpoint (break CONDITION at the prompt)", "bold"))]
        for number, condition in enumerate(self.controller.breakpoints, 1):
            options.append((str(number), Text(f"{number}  break {condition}")))
        self.push_screen(
            ChoiceScreen(
                "Breakpoints: the run pauses the moment a condition starts to hold",
                options,
                "↑/↓ choose · enter add, or remove the one chosen · esc close",
                keys="B",
            ),
            self._breakpoint_chosen,
        )

    def _breakpoint_chosen(self, choice: str | None) -> None:
        if choice == "add":
            self._command_prompt.reset(value="break ", history=self._command_history)
            self.push_screen(self._command_prompt)
        elif choice is not None:
            self.run_command(f"unbreak {choice}")

    def action_branches(self) -> None:
        """The branches of this session: choose one to see its live end."""
        timeline = self._timeline
        if timeline is None:
            return
        options = []
        for b in timeline.branches:
            label = Text(f"{b.number}  ", "bold")
            label.append(b.name, "bold")
            where = (
                "the session as it began"
                if b.parent is None
                else (f"forked from branch {b.parent} at event {b.fork:,}")
            )
            label.append(f"  ·  {b.length:,} events  ·  {where}")
            if b.number == timeline.branch:
                label.append("  (on screen)", "italic")
            options.append((str(b.number), label))
        self.push_screen(
            ChoiceScreen(
                "Branches: acting while looking at the past starts a new one",
                options,
                "↑/↓ choose · enter go to its live end · esc close",
                highlighted=timeline.branch,
                keys="b",
            ),
            self._branch_chosen,
        )

    def _branch_chosen(self, choice: str | None) -> None:
        if choice is not None:
            self._wanted_paused = True
            self.controller.travel("branch", int(choice))

    def action_step_tick(self) -> None:
        self._pause_for_step()
        self.controller.step_tick()
        self._render_view()

    def _set_speed(self, speed: float) -> None:
        # Re-anchor the extrapolation so flights do not jump when the rate changes.
        self._rebase_view_time()
        speed = clamp_speed(speed)
        self.controller.set_speed(speed)
        self._wanted_speed = speed
        self._render_view()

    def _rebase_view_time(self) -> None:
        self._view_wall = self._clock()

    def action_faster(self) -> None:
        self._set_speed(self.speed * 2)

    def action_slower(self) -> None:
        self._set_speed(self.speed / 2)

    def action_select(self, node: int) -> None:
        view = self._view
        if view is None:
            return
        if node not in {n.id for n in view.nodes}:
            self._fail(f"no node {node} (cluster has nodes {_ids(view)})")
            return
        self.selected = node

    def action_select_next(self, step: int = 1) -> None:
        view = self._view
        if view is None or not view.nodes:
            return
        ids = [n.id for n in view.nodes]
        position = ids.index(self.selected) if self.selected in ids else -1
        self.selected = ids[(position + step) % len(ids)]

    def action_crash_restart(self) -> None:
        node = self._selected_node()
        if node is not None:
            self.run_command(f"{'crash' if node.alive else 'restart'} {node.id}")

    def action_tick_node(self) -> None:
        node = self._selected_node()
        if node is not None:
            self.run_command(f"tick {node.id}")

    def action_campaign(self) -> None:
        node = self._selected_node()
        if node is not None:
            self.run_command(f"campaign {node.id}")

    def action_isolate_rejoin(self) -> None:
        node = self._selected_node()
        if node is not None:
            self.run_command(f"{'rejoin' if node.isolated else 'isolate'} {node.id}")

    def action_partition(self) -> None:
        node = self._selected_node()
        if node is not None and self._view is not None:
            self.run_command(partition_command(node.id, (n.id for n in self._view.nodes)))

    def action_heal(self) -> None:
        self.run_command("heal")

    def action_propose(self) -> None:
        self._proposals += 1
        n = self._proposals
        self.run_command(f"propose leader k{n}=v{n}")

    def action_transfer(self) -> None:
        node = self._selected_node()
        view = self._view
        if node is None or view is None:
            return
        if view.leader is None:
            self._fail("no leader to transfer leadership from")
        elif view.leader == node.id:
            self._fail(f"{node_label(node.id)} is already the leader: select another node")
        else:
            self.run_command(f"transfer-leadership from={view.leader} to={node.id}")

    def action_forget_leader(self) -> None:
        node = self._selected_node()
        if node is not None:
            self.run_command(f"forget-leader {node.id}")

    def action_align_timers(self) -> None:
        self.run_command("align-timers")

    def action_spread_timers(self) -> None:
        self.run_command("spread-timers")

    # ------------------------------------------------------------------ event log filters

    def action_filter_node(self) -> None:
        main = self._main()
        if main is None:
            return
        log = main.query_one(EventLog)
        ids: list[int | None] = [None]
        if self._view is not None:
            ids.extend(n.id for n in self._view.nodes)
        position = ids.index(log.node_filter) if log.node_filter in ids else 0
        log.set_filters(node=ids[(position + 1) % len(ids)], level=log.min_level)
        self.notify(f"events: {log.filter_description()}", timeout=2, markup=False)

    def action_filter_level(self) -> None:
        main = self._main()
        if main is None:
            return
        log = main.query_one(EventLog)
        views: list[LogView] = [STORY, *Level]
        level = views[(views.index(log.min_level) + 1) % len(views)]
        log.set_filters(node=log.node_filter, level=level)
        self.notify(f"events: {log.filter_description()}", timeout=2, markup=False)

    def action_focus_events(self) -> None:
        """Into the event log, to scroll it from the keyboard; again (or esc) to leave it.
        Every other key still reaches the app while the log has focus."""
        main = self._main()
        if main is None:
            return
        log = main.query_one(EventLog)
        main.set_focus(None if log.has_focus else log)

    # ------------------------------------------------------------------ screens

    def action_inspect(self) -> None:
        node = self._selected_node()
        if node is not None and self._view is not None:
            self._inspector.show(self._view, node.id)
            self.push_screen(self._inspector)

    def action_help(self) -> None:
        self.push_screen(self._help)

    def action_prompt(self) -> None:
        self._command_prompt.reset(history=self._command_history)
        self.push_screen(self._command_prompt)

    def action_save(self) -> None:
        seed = self._view.seed if self._view is not None else 0
        self._save_prompt.reset(value=session_file_name(seed, datetime.now()))
        self.push_screen(self._save_prompt)

    def on_prompt_screen_submitted(self, message: PromptScreen.Submitted) -> None:
        """The prompt's text, run on its behalf: widgets never call the controller.

        Only while the prompt is open: two quick enters submit twice before the first closes
        it, and the second must neither run the command again nor close another screen."""
        prompt, value = message.prompt, message.value
        if not prompt.is_active:
            return
        if message.purpose == "command":
            self._command_history.append(value)
            del self._command_history[:-100]
            if self.run_command(value):
                prompt.dismiss(value)
            else:
                prompt.show_error("not run, see the message (fix it, or esc)")
        elif message.purpose == "save":
            try:
                self.controller.save_script(value)
            except (ValueError, OSError) as error:
                prompt.show_error(str(error) or f"cannot save to {value}")
                return
            prompt.dismiss(value)
            self.notify(f"session saved to {value}", title="Saved", timeout=4, markup=False)

    def key_help(self) -> list[tuple[str, str]]:
        """Every key with what it does, from the live bindings (for the help screen)."""
        rows: list[tuple[str, str]] = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or _alias(binding):
                continue  # 2-9 are listed as "1-9"
            rows.append(
                (
                    binding.key_display or binding.key,
                    key_help_text(binding.action, binding.description),
                )
            )
            if binding.action.startswith("select("):
                rows.append(("tab", KEY_HELP["select_next"]))
        rows.append(("ctrl+p", "command palette: every action, and the theme switcher"))
        return rows

    def action_command_palette(self) -> None:
        """Textual's own, but with a palette that cannot close twice (see `SafeCommandPalette`)."""
        if self.use_command_palette and not isinstance(self.screen, SafeCommandPalette):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Screenshots go to the current folder, not to a Downloads folder that may not exist
        (the palette's "Screenshot" failed on machines without one)."""
        return super().deliver_screenshot(filename, path or os.getcwd(), time_format)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        """Say where the screenshot went, its full path as plain text (a folder's name is no
        markup)."""
        if event.name == "screenshot":
            event.prevent_default()
            where = str(event.path.resolve()) if event.path is not None else "the browser"
            self.notify(f"Saved to {where}", title="Screenshot", markup=False, timeout=8)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            self.notify(
                f"Not saved in {os.getcwd()}: {event.exception}",
                title="Screenshot",
                severity="error",
                markup=False,
                timeout=8,
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key's action in the command palette, plus Textual's own (theme, quit...)."""
        yield from super().get_system_commands(screen)
        for keys, title, action in _palette_entries():
            yield SystemCommand(
                f"{title} ({keys})",
                key_help_text(action, title),
                partial(self.run_action, action),
            )
        yield SystemCommand(
            f"Restart {self._run_name()}",
            "the current run again from its beginning (same cluster, seed and script)",
            self.action_restart,
        )
        for scenario in builtin_scenarios():
            yield SystemCommand(
                f"Lesson: {scenario.name}",
                scenario.description or "a built-in scenario",
                partial(self.play_scenario, scenario.name),
                discover=False,
            )
        yield SystemCommand(
            "Run the election-time experiment",
            f"the Raft paper's Figure 16: {EXPERIMENT_TRIALS} elections after a leader crash per "
            "timeout range, as a plot and a table beside the cluster",
            self.action_experiment,
        )
        yield SystemCommand(
            "Run the election-time experiment with pre-vote",
            "the same elections with pre-vote on: the nodes whose logs are too short to win stay "
            "voters, so even equal timeouts elect a leader quickly",
            partial(self.action_experiment, prevote=True),
        )
        yield SystemCommand(
            "Narration history",
            "every line the lecture said so far, with its notes, in a screen of its own",
            self.action_narration_history,
        )
        if self._view is not None:
            for node in self._view.nodes:
                yield SystemCommand(
                    f"Select {node_label(node.id)}",
                    f"make {node_label(node.id)} the node the keys act on",
                    partial(self.action_select, node.id),
                    discover=False,
                )
        for name in THEMES:
            yield SystemCommand(
                f"Theme: {name}",
                f"switch to the {name} theme",
                partial(setattr, self, "theme", name),
                discover=False,
            )


def _palette_entries() -> list[tuple[str, str, str]]:
    entries: list[tuple[str, str, str]] = []
    for binding in RaftvizApp.BINDINGS:
        if not isinstance(binding, Binding) or _alias(binding) or binding.action in ("quit",):
            continue
        if binding.action.startswith("select("):
            continue
        entries.append((binding.key_display or binding.key, binding.description, binding.action))
    entries.append(("tab", "Next node", "select_next"))
    return entries


def _next_words(view: ClusterView) -> str:
    """What the next step does, in a few words: ``S2 ticks``, ``S1→S3 MsgApp``, ``nothing``."""
    after = view.next_event
    if after is None:
        return "nothing"
    if after.kind == "tick":
        return f"{node_label(after.id)} ticks"
    flight = next((f for f in view.flights if f.flight == after.id), None)
    if flight is None:
        return "a delivery"
    return f"{node_label(flight.frm)}→{node_label(flight.to)} {flight.type}"


def _alias(binding: Binding) -> bool:
    """Keys 2-9, which the help and the palette list once, as "1-9"."""
    return binding.action.startswith("select(") and binding.key != "1"


def _ids(view: ClusterView) -> str:
    ids = sorted(n.id for n in view.nodes)
    if ids and ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}-{ids[-1]}"
    return ",".join(map(str, ids))
