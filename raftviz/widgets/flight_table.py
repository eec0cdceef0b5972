"""UI room: the precise list of messages in flight (the map shows where; this says what).

One row per message: its glyph (as on the map), route, type, term, index (+entries) and the
progress of its flight. This is a Line-API widget rather than a `DataTable`: messages come and
go at every event and every progress cell changes on every animation frame, and a DataTable
re-renders all of its cells through Rich on each such change (measured: over half of a 9-node
frame at 10x). Here a row is a handful of pre-styled segments, rebuilt only when its text
changes, and only the visible rows are drawn.

The list is also where a message's fate is decided by hand (``F``, or a click on a message in
the list or on the map, picks one): deliver it now, drop it, duplicate it, hold it or release
it. The table only asks (`Fate`); the app turns the request into the script command that names
the message (``drop 2->1 MsgVoteResp 2``), so that a saved session replays it. The message the
next step would deliver is marked ``▶``, held ones ``‖``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from raftviz.core.sim.events import FlightView
from raftviz.widgets.cluster_map import flight_progress
from raftviz.widgets.palette import Palette, classify_message, node_label

__all__ = ["FATES", "FlightTable", "flight_glyph", "progress_bar", "short_type"]

FATES = ("deliver", "drop", "duplicate", "hold", "release")
"""What can be decided about one message, named as its script command."""

COLUMNS: tuple[tuple[str, int], ...] = (
    ("", 3),
    ("route", 5),
    ("type", 14),
    ("term", 4),
    ("index", 7),
    ("flight", 10),
)
"""(title, width); one space between columns. Narrowest first-useful order: at 80 columns
the glyph, route, type, term and index still show, the progress bar scrolls into view."""

ROW_WIDTH = sum(width for _, width in COLUMNS) + len(COLUMNS)

CHUNK = 16
"""Rows added to the scrollable height at a time: each change of it costs a screen layout."""


def flight_glyph(flight: FlightView) -> str:
    """The two cells that also mark the message on the map (``V→``, ``v✓``, ``a✗``...)."""
    kind, response = classify_message(flight.type)
    if response:
        return kind.letter.lower() + ("✗" if flight.reject else "✓")
    return kind.letter + "→"


def short_type(msg_type: str) -> str:
    """etcd's type without its ``Msg`` prefix (``HeartbeatResp``): the column stays narrow."""
    return msg_type.removeprefix("Msg")


WRITING = "▱▱▱▱▱ disk"
"""A message still at its sender, waiting for the disk write its Ready made (`disk=`)."""


def progress_bar(progress: float, width: int = 5) -> str:
    """``▰▰▱▱▱  40%``: the flight's progress, readable without colour."""
    filled = round(progress * width)
    return "▰" * filled + "▱" * (width - filled) + f" {round(progress * 100):>3}%"


Part = tuple[str, Style]


def _cells(flight: FlightView, progress: str, mark: str, palette: Palette) -> list[list[Part]]:
    """One list of styled parts per column; `mark` is ``▶`` (delivered next), ``‖`` (held) or
    a space, shown before the glyph."""
    style = palette.message(flight.type, flight.reject)
    index = f"{flight.index}+{flight.entries}" if flight.entries else str(flight.index)
    route = [
        (node_label(flight.frm), palette.node(flight.frm)),
        ("→", palette.muted),
        (node_label(flight.to), palette.node(flight.to)),
    ]
    return [
        [(mark, palette.fg("raft-selected", bold=True)), (flight_glyph(flight), style)],
        route,
        [(short_type(flight.type) + (" ✗" if flight.reject else ""), style)],
        [(str(flight.term), palette.term(flight.term))],
        [(index, palette.text)],
        [(progress, palette.muted)],
    ]


class FlightTable(ScrollView, can_focus=True):
    """Every message in flight, in send order, with a fixed header row. Focused, it has a
    picked message (a highlighted row) and keys to decide its fate."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Previous message", show=False),
        Binding("down", "move(1)", "Next message", show=False),
        Binding("d,enter", "fate('deliver')", "Deliver now"),
        Binding("x", "fate('drop')", "Drop"),
        Binding("y", "fate('duplicate')", "Duplicate"),
        Binding("k", "fate('hold')", "Hold/release"),
        Binding("escape", "leave", "Leave the list", show=False),
    ]

    class Picked(Message):
        """The picked message changed (the map highlights it too)."""

    class Fate(Message):
        """Decide `fate` (one of `FATES`) for `flight`."""

        def __init__(self, fate: str, flight: FlightView) -> None:
            super().__init__()
            self.fate = fate
            self.flight = flight

    DEFAULT_CSS = """
    FlightTable {
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
        self._flights: tuple[FlightView, ...] = ()
        self._progress: tuple[str, ...] = ()
        self._marks: tuple[str, ...] = ()
        self._rows: dict[tuple[FlightView, str, str, bool], list[Segment]] = {}
        self._palette: Palette | None = None
        self.picked: int | None = None
        """The flight id of the picked message (kept while it stays in flight)."""

    @property
    def row_count(self) -> int:
        return len(self._flights)

    @property
    def flights(self) -> tuple[FlightView, ...]:
        return self._flights

    def update_flights(
        self,
        flights: Sequence[FlightView],
        now_ms: float,
        *,
        held: Sequence[int] = (),
        next_flight: int | None = None,
    ) -> None:
        """Show these flights at this simulated time, marking the held ones and the one the
        next step delivers; redraws only if some text changed."""
        flights = tuple(flights)
        progress = tuple(
            "‖ held"
            if f.flight in held
            else WRITING
            if now_ms < f.sent_ms
            else progress_bar(flight_progress(f, now_ms))
            for f in flights
        )
        marks = tuple(
            "▶" if f.flight == next_flight else "‖" if f.flight in held else " " for f in flights
        )
        if flights == self._flights and progress == self._progress and marks == self._marks:
            return
        self._flights, self._progress, self._marks = flights, progress, marks
        if self.picked is not None and self._row_of(self.picked) is None:
            self.picked = flights[0].flight if flights and self.has_focus else None
        self._resize_virtual()
        self.refresh()

    # ------------------------------------------------------------------ picking

    def _row_of(self, flight: int) -> int | None:
        for row, f in enumerate(self._flights):
            if f.flight == flight:
                return row
        return None

    def pick(self, flight: int) -> None:
        """Pick the message with this flight id (from a click on the map) and focus."""
        row = self._row_of(flight)
        if row is not None:
            self.picked = flight
            self.focus()
            self._show_row(row)
            self.refresh()
            self.post_message(self.Picked())

    def _show_row(self, row: int) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def watch_has_focus(self, has_focus: bool) -> None:
        if has_focus and self.picked is None and self._flights:
            self.picked = self._flights[0].flight
        self.refresh()
        self.post_message(self.Picked())

    def action_move(self, step: int) -> None:
        if not self._flights:
            return
        row = self._row_of(self.picked) if self.picked is not None else None
        row = 0 if row is None else max(0, min(len(self._flights) - 1, row + step))
        self.picked = self._flights[row].flight
        self._show_row(row)
        self.refresh()
        self.post_message(self.Picked())

    def action_fate(self, fate: str) -> None:
        row = self._row_of(self.picked) if self.picked is not None else None
        if row is None:
            self.app.bell()
            return
        flight = self._flights[row]
        if fate == "hold" and self._progress[row] == "‖ held":
            fate = "release"
        self.post_message(self.Fate(fate, flight))

    def action_leave(self) -> None:
        self.screen.set_focus(None)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = int(self.scroll_y) + offset.y - 1
        if 0 <= row < len(self._flights):
            event.stop()
            self.pick(self._flights[row].flight)

    def _resize_virtual(self) -> None:
        """Grow in chunks, shrink only when the flights fall to a quarter: their number swings
        at every event (heartbeats out, responses back), and each change of the virtual size
        lays out the whole screen. Independent of the widget's size, so that the picture does
        not depend on whether a layout has run yet."""
        needed = len(self._flights) + 1
        height = max(1, -(-needed // CHUNK)) * CHUNK
        current = self.virtual_size.height
        if height < current and needed * 4 > current:
            height = current
        size = Size(ROW_WIDTH, max(height, 1))
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self, event: events.Resize) -> None:
        self._resize_virtual()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rows.clear()
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        palette = Palette.from_variables(self.app.theme_variables)
        if palette is not self._palette:
            self._palette = palette
            self._rows.clear()
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            header = palette.muted + Style(bold=True)
            segments = self._line([[(title, header)] for title, _ in COLUMNS], base)
        else:
            index = scroll_y + y - 1
            if index >= len(self._flights):
                return Strip.blank(width, base)
            flight = self._flights[index]
            picked = self.has_focus and flight.flight == self.picked
            key = (flight, self._progress[index], self._marks[index], picked)
            segments = self._rows.get(key) or []
            if not segments:
                style = base + Style(reverse=True) if picked else base
                segments = self._line(_cells(flight, key[1], key[2], palette), style)
                if len(self._rows) > 512:
                    self._rows.clear()
                self._rows[key] = segments
        return Strip(segments, ROW_WIDTH).crop_extend(scroll_x, scroll_x + width, base)

    @staticmethod
    def _line(cells: Sequence[Sequence[Part]], base: Style) -> list[Segment]:
        """Columns padded or cut to their width, one space apart: exactly `ROW_WIDTH` cells."""
        segments: list[Segment] = []
        for parts, (_, width) in zip(cells, COLUMNS, strict=True):
            used = 0
            for text, style in parts:
                text = text[: width - used]
                if text:
                    segments.append(Segment(text, base + style))
                    used += len(text)
            segments.append(Segment(" " * (width - used + 1), base))
        return segments
