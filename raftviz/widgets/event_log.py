"""UI room: the event log, etcd's Raft log lines and the simulation's events, newest last.

Lines are coloured by node and filterable by node and by level. The widget keeps a bounded
history of the events themselves (not of rendered lines), so changing a filter or the theme
rebuilds the visible lines from it. Message sends and deliveries, state and entry
changes are DEBUG (hundreds a second at speed); drops are INFO, faults and network changes WARN,
safety violations ERROR, so the default INFO view reads like a story of the run.

Long lines wrap under their text (the reason a vote was refused is at the end of the line), and
above DEBUG the drops on one link fold into one line that counts them until the network or a
node changes: a partition costs one line per cut link, not ten a second, and the election it
causes stays in view. The log follows its tail; scrolling back (wheel, or the keys once it has
focus: ↑ ↓ PgUp PgDn Home End) holds the view still and a last row says how many lines arrived
below; End or scrolling back down follows again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

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
from raftviz.core.sim.story import Story, story_line
from raftviz.widgets.palette import Palette, node_label

__all__ = [
    "DropFold",
    "EventLog",
    "LogItem",
    "event_actors",
    "event_level",
    "format_event",
    "wrap_offsets",
]

HISTORY = 2000
"""Events kept for re-filtering; older ones are forgotten (memory stays flat over an hour)."""

VISIBLE = 1000
"""Lines the log shows (scrolling back) at most."""

NARROW_BODY = 28
"""Below this many cells beside the time/level/node columns, wrapped rows start near the left
edge instead of under the text (a narrow panel would otherwise hold a few words a row)."""

WHEEL_LINES = 2
"""Lines one notch of the mouse wheel scrolls."""

_INDENT = Style(italic=True)

_LEVEL_TAGS = {Level.DEBUG: "DEBG", Level.INFO: "INFO", Level.WARN: "WARN", Level.ERROR: "ERR!"}

STORY = "story"
"""The default view: every decision in plain words with its reason (the core's stories), the
narration, faults, drops and violations; etcd's own lines and message chatter stay out. The
other views are etcd's: its log lines and the simulation's events from a minimum level on."""

LogView = Level | str
"""STORY, or a minimum Level for etcd's view."""

DETAIL_STORIES = frozenset({"append-sent", "commit-learned", "applied", "vote-pending"})
"""Stories told once per message or per node (each append sent, each follower learning a
commit, each node applying, each answer counted before a tally has its result): the story view
leaves them to `raftviz run --level story`, the DEBUG view and the code pane, so that an
election's story stays on screen."""

_IN_STORY = (Narration, NodeFault, NetworkChanged, TimersChanged, MessageDropped, SafetyViolation)


class DropFold:
    """Drops on one link, for one reason, since the last network or node change: one line
    that counts them (``S1→S3 dropped ×42 (MsgApp, MsgHeartbeat) since 12.300s: partition``).

    Mutable on purpose: it is the log's own bookkeeping, updated in place as drops arrive.
    """

    __slots__ = ("count", "first", "kinds", "number")

    def __init__(self, first: MessageDropped, number: int = 0) -> None:
        self.first = first
        self.count = 1
        self.kinds: list[str] = [first.type]
        self.number = number  # position in the log since it started (for eviction)

    def add(self, drop: MessageDropped) -> None:
        self.count += 1
        if drop.type not in self.kinds:
            self.kinds.append(drop.type)

    @property
    def time_ms(self) -> int:
        return self.first.time_ms

    @property
    def frm(self) -> int:
        return self.first.frm

    @property
    def to(self) -> int:
        return self.first.to

    @property
    def reason(self) -> str:
        return self.first.reason


LogItem = Event | DropFold
"""One line of the log: an event, or a fold of repeated drops."""


def _first_seq(item: LogItem) -> int:
    return item.first.seq if isinstance(item, DropFold) else item.seq


def event_level(event: LogItem) -> Level:
    """The level an event is filtered at (see the module docstring for the policy)."""
    if isinstance(event, Story):
        return Level.DEBUG if event.kind in DETAIL_STORIES else Level.INFO
    if isinstance(event, RaftLog):
        return event.line.level
    if isinstance(event, SafetyViolation):
        return Level.ERROR
    if isinstance(event, NodeFault | NetworkChanged):
        return Level.WARN
    if isinstance(event, MessageDropped | DropFold | Narration | TimersChanged):
        return Level.INFO
    return Level.DEBUG


def event_actors(event: LogItem) -> tuple[int, ...]:
    """The nodes that *did* what an event tells (its line is theirs under a node filter, and
    the first is named in the node column); () means the whole cluster, shown under any node
    filter. A message is its sender's when sent or lost, its receiver's when received: the
    node filter keeps what a node did, not every line that mentions it."""
    if isinstance(event, RaftLog):
        return (event.line.node,)
    if isinstance(event, Story):
        return (event.node,)
    if isinstance(event, MessageDelivered):
        return (event.to,)
    if isinstance(event, MessageEvent | DropFold):
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


def _prefix(event: LogItem, palette: Palette) -> Text:
    """The columns every line starts with: time, level, node."""
    level = event_level(event)
    nodes = event_actors(event)
    line = Text()
    line.append(f"{event.time_ms / 1000:8.3f}s ", palette.muted)
    level_style = {
        Level.DEBUG: palette.muted,
        Level.INFO: palette.text,
        Level.WARN: palette.warning,
        Level.ERROR: palette.badge("raft-violation"),
    }[level]
    line.append("WHY " if isinstance(event, Story) else _LEVEL_TAGS[level], level_style)
    line.append(" ")
    if nodes:
        line.append(node_label(nodes[0]), palette.node(nodes[0]))
    else:
        line.append("--", palette.muted)
    line.append(" ")
    return line


def _body(event: LogItem, palette: Palette) -> Text:
    """What happened. Text a user or a script wrote is appended as text, never as markup."""
    line = Text()
    if isinstance(event, DropFold):
        if event.count == 1:
            return _body(event.first, palette)
        route = f"{node_label(event.frm)}→{node_label(event.to)}"
        line.append(f"{route} dropped ×{event.count}", palette.badge("raft-msg-dropped"))
        line.append(f" ({', '.join(event.kinds)})", palette.message(event.kinds[0]))
        line.append(f" since {event.time_ms / 1000:.3f}s", palette.muted)
        if event.reason:
            line.append(f": {event.reason}", palette.text)
    elif isinstance(event, Story):
        # The node column already names who decided: the sentence goes on from there.
        told = story_line(event)
        line.append(told.removeprefix(f"{node_label(event.node)} "), palette.text)
    elif isinstance(event, RaftLog):
        level = event.line.level
        line.append(event.line.text, palette.text if level != Level.DEBUG else palette.muted)
    elif isinstance(event, MessageDropped):
        reason = f" ({event.reason})" if event.reason else ""
        line.append(f"DROPPED{reason}", palette.badge("raft-msg-dropped"))
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


def format_event(event: LogItem, palette: Palette) -> Text:
    """One event as one line: time, level, node, then what happened."""
    line = _prefix(event, palette)
    line.append_text(_body(event, palette))
    return line


def wrap_offsets(plain: str, first: int, rest: int) -> list[int]:
    """Where to cut `plain` so that its first row fits `first` cells and every other row
    `rest`: after the last space that fits, or mid-word if a word is longer than a row.

    A space at a cut stays at the end of its row (rows are cropped to the width, so it never
    shows), and the next row starts with the next word.
    """
    offsets: list[int] = []
    start, width, n = 0, max(first, 1), len(plain)
    ascii_only = plain.isascii()
    while True:
        if ascii_only:
            if n - start <= width:
                return offsets
            end = start + width
        else:
            end, used = start, 0
            while end < n and used + cell_len(plain[end]) <= width:
                used += cell_len(plain[end])
                end += 1
            if end >= n:
                return offsets
            end = max(end, start + 1)
        space = plain.rfind(" ", start + 1, end + 1)
        cut = space + 1 if space > start else end
        offsets.append(cut)
        start, width = cut, max(rest, 1)


class EventLog(Widget, can_focus=True):
    """The run's story, filtered by node (``n``) and minimum level (``v``), tail in view.

    A Line-API widget drawing only the rows on screen: at hundreds of events a second at
    DEBUG, a line is formatted and wrapped only when it shows, and no virtual size changes
    (each of which would lay out the whole screen). The view is kept as "follow the tail"
    or as the line at its top, so wrapped lines of any height scroll one line at a time.
    """

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        background: $background;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_lines(-1)", "Line up", show=False),
        Binding("down", "scroll_lines(1)", "Line down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "oldest", "Oldest", show=False),
        Binding("end", "follow", "Follow the tail", show=False),
        Binding("escape", "leave", "Leave the log", show=False),
    ]

    class Scrolled(Message):
        """The view moved (scrolled back, or following the tail again)."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._history: deque[Event] = deque(maxlen=HISTORY)
        self._items: deque[LogItem] = deque(maxlen=VISIBLE)
        self._evicted = 0  # items that fell off the front: absolute number of _items[0]
        self._folds: dict[tuple[int, int, str], DropFold] = {}
        self._top: int | None = None  # absolute number of the top line; None: follow the tail
        self._new = 0  # lines added below since the view stopped following
        self._below = 0  # lines below the view when last drawn
        self._cache: dict[int, tuple[LogItem, int, list[Strip]]] = {}
        self._cache_key: tuple[object, ...] = ()
        self._window: list[Strip] | None = None
        self._palette: Palette | None = None
        self.node_filter: int | None = None
        self.min_level: LogView = STORY

    # ------------------------------------------------------------------ state in

    def add_events(self, events: Iterable[Event]) -> None:
        """Remember new events and show the ones the filters let through."""
        changed = False
        for event in events:
            self._history.append(event)
            changed = self._take(event) or changed
        if changed:
            self._changed()

    def set_filters(self, *, node: int | None, level: LogView) -> None:
        """Change the filters and rebuild the visible lines from the history."""
        if node == self.node_filter and level == self.min_level:
            return
        self.node_filter, self.min_level = node, level
        self.rewrite()

    def rewrite(self) -> None:
        """Rebuild every visible line (after a filter or theme change) and follow the tail."""
        self._items.clear()
        self._evicted = 0
        self._folds.clear()
        self._cache.clear()
        for event in self._history:
            self._take(event)
        self._top = None
        self._new = 0
        self._update_title()
        self._changed()

    def undo_after(self, seq: int) -> None:
        """Time went back: forget the events after `seq`, which no longer happened. Lines are
        taken off the end (they came in order), not rebuilt from the history: the story of a
        long run's start has left the history but must stay on screen."""
        while self._history and self._history[-1].seq > seq:
            self._history.pop()
        undone = False
        while self._items and _first_seq(self._items[-1]) > seq:
            self._items.pop()
            undone = True
        if undone:
            self._folds = {k: f for k, f in self._folds.items() if f.first.seq <= seq}
            self._cache.clear()
            self._top = None
            self._new = 0
            self._changed()

    @property
    def history(self) -> tuple[Event, ...]:
        return tuple(self._history)

    @property
    def lines(self) -> tuple[LogItem, ...]:
        """The lines shown (events, and folds of repeated drops), oldest first (at most
        `VISIBLE`)."""
        return tuple(self._items)

    @property
    def following(self) -> bool:
        """True while the view follows the newest line."""
        return self._top is None

    @property
    def seq_in_view(self) -> int | None:
        """While scrolled back, the sequence number of the newest event on screen (what the
        code pane explains); None while following the tail."""
        if self._top is None or not self._items:
            return None
        last = max(self._evicted, self._evicted + len(self._items) - self._below - 1)
        return _first_seq(self._items[last - self._evicted])

    @property
    def new_below(self) -> int:
        """Lines added below the view since it stopped following."""
        return 0 if self._top is None else self._new

    def filter_description(self) -> str:
        node = "all nodes" if self.node_filter is None else node_label(self.node_filter)
        level = self.min_level
        return f"{node} · {'story' if level == STORY else f'etcd ≥{level}'}"

    def _take(self, event: Event) -> bool:
        """File one event: a new line, a fold counting one more drop, or nothing shown."""
        if isinstance(event, NetworkChanged | NodeFault):
            self._folds.clear()  # the links changed: drops from now on are a new story
        if not self._passes(event):
            return False
        if isinstance(event, MessageDropped) and self.min_level != Level.DEBUG:
            key = (event.frm, event.to, event.reason)
            fold = self._folds.get(key)
            if fold is not None and fold.number >= self._evicted:
                fold.add(event)
                return True
            fold = self._folds[key] = DropFold(event, self._evicted + len(self._items))
            self._append(fold)
        else:
            self._append(event)
        return True

    def _append(self, item: LogItem) -> None:
        if len(self._items) == VISIBLE:
            self._evicted += 1
        self._items.append(item)
        if self._top is not None:
            self._new += 1

    def _passes(self, event: Event) -> bool:
        level = self.min_level
        if not isinstance(level, Level):
            if isinstance(event, Story):
                if event.kind in DETAIL_STORIES:
                    return False
            elif not isinstance(event, _IN_STORY):
                return False
        elif isinstance(event, Story) and level != Level.DEBUG:
            return False  # etcd's view tells etcd's words; DEBUG shows everything
        elif event_level(event).value < level.value and not isinstance(event, SafetyViolation):
            return False
        if self.node_filter is None:
            return True
        nodes = event_actors(event)
        return not nodes or self.node_filter in nodes

    # ------------------------------------------------------------------ focus and title

    def on_mount(self) -> None:
        self._update_title()

    def watch_has_focus(self, has_focus: bool) -> None:
        super().watch_has_focus(has_focus)
        # Focus shows twice: in the title's words and by a heavy top border (not only a colour).
        if has_focus:
            accent = Color.parse(self.app.theme_variables.get("accent", "yellow"))
            self.styles.border_top = ("heavy", accent)
        else:
            self.styles.clear_rule("border_top")
        self._update_title()

    def _update_title(self) -> None:
        title = f"Events · {self.filter_description()}"
        if self.has_focus:
            title = f"▶ {title} · ↑↓ PgUp PgDn Home End esc"
        self.border_title = title

    # ------------------------------------------------------------------ scrolling

    def _changed(self) -> None:
        self._window = None
        self.refresh()

    def _tail_top(self) -> int:
        """The absolute number of the top line when following (it may show only its end)."""
        height = self.content_size.height
        number = self._evicted + len(self._items)
        rows = 0
        while number > self._evicted and rows < height:
            number -= 1
            rows += len(self._rows(self._items[number - self._evicted]))
        return number

    def _show_from(self, top: int | None) -> None:
        """Put line `top` at the top, or follow the tail if that shows it all (or if None)."""
        if top is not None:
            top = max(self._evicted, min(top, self._evicted + len(self._items) - 1))
            if self._shows_to_the_end(top):
                top = None
        if top is not None and self._top is None:
            self._new = 0
        moved = top != self._top
        self._top = top
        self._changed()
        if moved:
            self.post_message(self.Scrolled())

    def _shows_to_the_end(self, top: int) -> bool:
        """Do the lines from `top` down to the newest fit on the screen?"""
        height = self.content_size.height
        rows = 0
        for number in range(top, self._evicted + len(self._items)):
            rows += len(self._rows(self._items[number - self._evicted]))
            if rows > height:
                return False
        return True

    def _current_top(self) -> int:
        return self._tail_top() if self._top is None else self._top

    def action_scroll_lines(self, lines: int) -> None:
        if self._top is None and lines > 0:
            return
        top = self._current_top()
        if self._top is None:
            # Leaving the tail: the first step up shows the top line whole, if it was cut.
            top += 1 if self._tail_cut() else 0
        self._show_from(max(self._evicted, top + lines))

    def _tail_cut(self) -> bool:
        """Does the top line of the tail view show only its end?"""
        height = self.content_size.height
        rows = sum(
            len(self._rows(self._items[n - self._evicted]))
            for n in range(self._tail_top(), self._evicted + len(self._items))
        )
        return rows > height

    def action_page(self, pages: int) -> None:
        height = max(1, self.content_size.height - 1)
        top = self._current_top()
        if pages < 0:
            rows = 0
            while top > self._evicted and rows < height:
                top -= 1
                rows += len(self._rows(self._items[top - self._evicted]))
            self._show_from(top)
        elif self._top is not None:
            rows = 0
            end = self._evicted + len(self._items)
            while top < end - 1 and rows + len(self._rows(self._items[top - self._evicted])) <= (
                height
            ):
                rows += len(self._rows(self._items[top - self._evicted]))
                top += 1
            self._show_from(top)

    def action_oldest(self) -> None:
        if self._items:
            self._show_from(self._evicted)

    def action_follow(self) -> None:
        self._show_from(None)

    def action_leave(self) -> None:
        """Give the keys back to the app; escape then still stops a running command."""
        self.screen.set_focus(None)
        raise SkipAction()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.action_scroll_lines(-WHEEL_LINES)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.action_scroll_lines(WHEEL_LINES)

    def on_click(self, event: events.Click) -> None:
        """A click on the "new lines" row follows the tail again."""
        offset = event.get_content_offset(self)
        if (
            self._top is not None
            and offset is not None
            and offset.y == self.content_size.height - 1
        ):
            self.action_follow()

    def on_resize(self, event: events.Resize) -> None:
        self._changed()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._changed()

    # ------------------------------------------------------------------ drawing

    def _rows(self, item: LogItem) -> list[Strip]:
        """The line as rows of the current width, wrapped under its text (cached)."""
        version = item.count if isinstance(item, DropFold) else 0
        cached = self._cache.get(id(item))
        if cached is not None and cached[0] is item and cached[1] == version:
            return cached[2]
        palette = self._palette or Palette.from_variables(self.app.theme_variables)
        width = max(self.content_size.width, 1)
        base = self.rich_style
        prefix, body = _prefix(item, palette), _body(item, palette)
        indent = prefix.cell_len
        rest = width - indent
        if rest < NARROW_BODY:
            indent, rest = 2, width - 2
        pieces = body.divide(wrap_offsets(body.plain, width - prefix.cell_len, rest))
        console = self.app.console
        strips: list[Strip] = []
        for number, piece in enumerate(pieces):
            # The indent has a style of its own (invisible on spaces): exported SVG screenshots
            # merge same-styled cells into one text run, and some renderers drop its leading
            # spaces, which put wrapped rows under the time column in every snapshot picture.
            row = prefix.copy() if number == 0 else Text().append(" " * indent, _INDENT)
            row.append_text(piece)
            segments = Segment.apply_style(row.render(console), base)
            strips.append(Strip(segments).crop_extend(0, width, base))
        self._cache[id(item)] = (item, version, strips)
        return strips

    def _ensure_window(self) -> list[Strip]:
        """The rows on screen, top to bottom, built once per change."""
        if self._window is not None:
            return self._window
        palette = Palette.from_variables(self.app.theme_variables)
        width, height = self.content_size.width, self.content_size.height
        key = (palette, width, self.rich_style)
        if key != self._cache_key:
            self._cache.clear()
            self._cache_key = key
        self._palette = palette
        end = self._evicted + len(self._items)
        rows: list[Strip] = []
        used: list[LogItem] = []
        if self._top is None:
            number = end
            while number > self._evicted and len(rows) < height:
                number -= 1
                used.append(self._items[number - self._evicted])
                rows[:0] = self._rows(used[-1])
            rows = rows[-height:] if len(rows) > height else rows
            self._below = 0
        else:
            self._top = max(self._top, self._evicted)
            number = self._top
            while number < end and len(rows) < height - 1:
                used.append(self._items[number - self._evicted])
                rows.extend(self._rows(used[-1]))
                number += 1
            rows = rows[: max(height - 1, 0)]
            self._below = end - number
            rows.append(self._banner(palette, width))
        if len(self._cache) > 4 * height + 64:
            # Forget lines rendered for earlier views: the cache stays as small as the screen.
            self._cache = {id(item): self._cache[id(item)] for item in used}
        self._window = rows
        return rows

    def _banner(self, palette: Palette, width: int) -> Strip:
        """The last row while scrolled back: how much is below, and how to get back."""
        if self._new:
            what = f"↓ {self._new} new line{'s' if self._new != 1 else ''}"
        else:
            what = f"↓ {self._below} more line{'s' if self._below != 1 else ''}"
        text = Text(f" {what} · End or click: follow ", palette.badge("raft-selected"))
        style = self.rich_style
        return Strip(Segment.apply_style(text.render(self.app.console), style)).crop_extend(
            0, width, style
        )

    def render_line(self, y: int) -> Strip:
        window = self._ensure_window()
        if y < len(window):
            return window[y]
        return Strip.blank(self.content_size.width, self.rich_style)
