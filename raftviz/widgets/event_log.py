"""UI room: the event log, etcd's Raft log lines and the simulation's events, newest last.

Lines are coloured by node and filterable by node and by level. The widget keeps a bounded
history of the events themselves (not of rendered lines), so changing a filter or the theme
rebuilds the visible lines from it. Message sends and deliveries, state and entry
changes are DEBUG (hundreds a second at speed); drops are INFO, faults and network changes WARN,
safety violations ERROR, so the default INFO view reads like a story of the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from raftviz.core.raft.logline import Level
from raftviz.core.sim.events import (
    EntriesChanged,
    Event,
    MessageDelivered,
    MessageDropped,
    MessageEvent,
    MessageSent,
    Narration,
    NetworkChanged,
    NodeFault,
    RaftLog,
    SafetyViolation,
    StateChanged,
    TimersChanged,
)
from raftviz.widgets.palette import Palette, node_label

__all__ = ["EventLog", "event_actors", "event_level", "format_event"]

HISTORY = 2000
"""Events kept for re-filtering; older ones are forgotten (memory stays flat over an hour)."""

VISIBLE = 1000
"""Lines the log shows (scrolling back) at most."""

CHUNK = 64
"""Lines added to the scrollable height at a time: each change of it costs a screen layout."""

LINE_WIDTH = 160
"""Scrollable width: longer lines are cut there (the inspector and `raftviz run` have it all)."""

_LEVEL_TAGS = {Level.DEBUG: "DEBG", Level.INFO: "INFO", Level.WARN: "WARN", Level.ERROR: "ERR!"}


def event_level(event: Event) -> Level:
    """The level an event is filtered at (see the module docstring for the policy)."""
    if isinstance(event, RaftLog):
        return event.line.level
    if isinstance(event, SafetyViolation):
        return Level.ERROR
    if isinstance(event, NodeFault | NetworkChanged):
        return Level.WARN
    if isinstance(event, MessageDropped | Narration | TimersChanged):
        return Level.INFO
    return Level.DEBUG


def event_actors(event: Event) -> tuple[int, ...]:
    """The nodes that *did* what an event tells (its line is theirs under a node filter, and
    the first is named in the node column); () means the whole cluster, shown under any node
    filter. A message is its sender's when sent or lost, its receiver's when received: the
    node filter keeps what a node did, not every line that mentions it."""
    if isinstance(event, RaftLog):
        return (event.line.node,)
    if isinstance(event, MessageDelivered):
        return (event.to,)
    if isinstance(event, MessageEvent):
        return (event.frm,)
    if isinstance(event, StateChanged | EntriesChanged | NodeFault):
        return (event.node,)
    return ()


def _message_text(event: MessageEvent) -> str:
    parts = [
        f"{node_label(event.frm)}→{node_label(event.to)} {event.type}",
        f"term={event.term}",
        f"log={event.log_term}/{event.index}",
        f"commit={event.commit}",
    ]
    if event.entries:
        parts.append(f"entries={event.entries}")
    if event.reject:
        parts.append("REJECT")
    return " ".join(parts)


def timers_text(event: TimersChanged) -> str:
    """``aligned: S2 S3 time out after 14 ticks`` or ``spread: S2 10 · S3 15 ticks``."""
    if not event.timeouts:
        return f"{event.what}: no follower to change"
    ticks = {t for _, t in event.timeouts}
    if len(ticks) == 1:
        nodes = " ".join(node_label(node) for node, _ in event.timeouts)
        return f"{event.what}: {nodes} time out after {ticks.pop()} ticks"
    each = " · ".join(f"{node_label(node)} {t}" for node, t in event.timeouts)
    return f"{event.what}: {each} ticks"


def format_event(event: Event, palette: Palette) -> Text:
    """One event as one line: time, level, node, then what happened."""
    level = event_level(event)
    nodes = event_actors(event)
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{event.time_ms / 1000:8.3f}s ", palette.muted)
    level_style = {
        Level.DEBUG: palette.muted,
        Level.INFO: palette.text,
        Level.WARN: palette.warning,
        Level.ERROR: palette.badge("raft-violation"),
    }[level]
    line.append(_LEVEL_TAGS[level], level_style)
    line.append(" ")
    if nodes:
        line.append(node_label(nodes[0]), palette.node(nodes[0]))
    else:
        line.append("--", palette.muted)
    line.append(" ")
    if isinstance(event, RaftLog):
        line.append(event.line.text, palette.text if level != Level.DEBUG else palette.muted)
    elif isinstance(event, MessageDropped):
        reason = f" ({event.reason})" if event.reason else ""
        line.append(f"DROPPED{reason} ", palette.badge("raft-msg-dropped"))
        line.append(" " + _message_text(event), palette.message(event.type, event.reject))
    elif isinstance(event, MessageSent):
        line.append("sent " + _message_text(event), palette.muted)
    elif isinstance(event, MessageDelivered):
        line.append("recv " + _message_text(event), palette.muted)
    elif isinstance(event, StateChanged):
        line.append(
            f"state {event.role} term={event.term} lead={event.lead} vote={event.vote}",
            palette.muted,
        )
    elif isinstance(event, EntriesChanged):
        line.append(f"entries {event.what} {event.first}..{event.last}", palette.muted)
    elif isinstance(event, NodeFault):
        line.append(event.what.upper(), palette.warning)
    elif isinstance(event, NetworkChanged):
        line.append("network: " + event.description, palette.warning)
    elif isinstance(event, TimersChanged):
        line.append("timers " + timers_text(event), palette.fg("primary", bold=True))
    elif isinstance(event, SafetyViolation):
        who = ",".join(node_label(n) for n in event.nodes)
        line.append(
            f" SAFETY VIOLATION {event.property} [{who}] {event.detail} ",
            palette.badge("raft-violation"),
        )
    elif isinstance(event, Narration):
        if event.mark:
            line.append(f"mark “{event.text}”", palette.fg("primary", bold=True))
        else:
            line.append(f"say “{event.text}”", palette.fg("primary", bold=True))
    else:
        line.append(type(event).__name__, palette.muted)
    return line


class EventLog(ScrollView, can_focus=False):
    """The run's story, filtered by node (``n``) and minimum level (``v``), tail in view.

    A Line-API log rather than a `RichLog`: a RichLog renders every line through Rich when it
    is written and changes its virtual size on every write, and each such change lays out the
    whole screen; at hundreds of events a second that alone ate the frame budget. Here a line
    is rendered only when it scrolls into view, and the scrollable height grows in chunks.
    """

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        background: $background;
        scrollbar-size: 1 1;
        overflow-x: auto;
        overflow-y: auto;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._history: deque[Event] = deque(maxlen=HISTORY)
        self._visible: deque[Event] = deque(maxlen=VISIBLE)
        self._strips: dict[int, Strip] = {}
        self._palette: Palette | None = None
        self._follow = True
        self.node_filter: int | None = None
        self.min_level: Level = Level.INFO

    # ------------------------------------------------------------------ state in

    def add_events(self, events: Iterable[Event]) -> None:
        """Remember new events and show the ones the filters let through."""
        shown = False
        for event in events:
            self._history.append(event)
            if self._passes(event):
                self._visible.append(event)
                shown = True
        if shown:
            self._changed()

    def set_filters(self, *, node: int | None, level: Level) -> None:
        """Change the filters and rebuild the visible lines from the history."""
        if node == self.node_filter and level == self.min_level:
            return
        self.node_filter, self.min_level = node, level
        self.rewrite()

    def rewrite(self) -> None:
        """Rebuild every visible line (after a filter or theme change)."""
        self._visible.clear()
        self._visible.extend(event for event in self._history if self._passes(event))
        self._strips.clear()
        self._follow = True
        self._update_title()
        self._changed()

    @property
    def history(self) -> tuple[Event, ...]:
        return tuple(self._history)

    @property
    def lines(self) -> tuple[Event, ...]:
        """The events shown, oldest first (at most `VISIBLE`)."""
        return tuple(self._visible)

    def filter_description(self) -> str:
        node = "all nodes" if self.node_filter is None else node_label(self.node_filter)
        return f"{node} · ≥{self.min_level}"

    def on_mount(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        self.border_title = f"Events · {self.filter_description()}"

    def _passes(self, event: Event) -> bool:
        if event_level(event).value < self.min_level.value and not isinstance(
            event, SafetyViolation
        ):
            return False
        if self.node_filter is None:
            return True
        nodes = event_actors(event)
        return not nodes or self.node_filter in nodes

    # ------------------------------------------------------------------ scrolling

    def _changed(self) -> None:
        # Strips are cached by position in the deque; positions shift once it is full.
        self._strips.clear()
        if self._resize_virtual():
            self.call_after_refresh(self._follow_tail)
        else:
            self._follow_tail()
        self.refresh()

    def _resize_virtual(self) -> bool:
        """Whole chunks of lines, whatever the widget's size: a size that depended on the
        region would depend on whether the layout had run yet (scrollbars come and go)."""
        chunks = max(1, -(-len(self._visible) // CHUNK))
        size = Size(LINE_WIDTH, chunks * CHUNK)
        if size == self.virtual_size:
            return False
        self.virtual_size = size
        return True

    def _tail_scroll(self) -> int:
        return max(0, len(self._visible) - self.scrollable_content_region.height)

    def _follow_tail(self) -> None:
        if self._follow:
            self.scroll_to(y=self._tail_scroll(), animate=False, immediate=True)
            self._follow = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Scrolling up to read stops following; scrolling back to the end resumes it.
        if new_value >= self._tail_scroll() - 1:
            self._follow = True
        elif new_value < old_value:
            self._follow = False

    def on_resize(self, event: events.Resize) -> None:
        self._resize_virtual()
        self.call_after_refresh(self._follow_tail)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        # While following, draw the tail whatever the scroll offset says: the scrollbar catches
        # up after the next layout, the picture must not depend on when that happens.
        index = (self._tail_scroll() if self._follow else scroll_y) + y
        if index >= len(self._visible):
            return Strip.blank(width, base)
        palette = Palette.from_variables(self.app.theme_variables)
        if palette is not self._palette:
            self._palette = palette
            self._strips.clear()
        strip = self._strips.get(index)
        if strip is None:
            text = format_event(self._visible[index], palette)
            segments = Segment.apply_style(text.render(self.app.console), base)
            strip = Strip(segments)
            self._strips[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)
