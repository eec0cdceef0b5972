"""UI room: the precise list of messages in flight (the map shows where; this says what).

One row per message: its glyph (as on the map), route, type, term, index (+entries) and the
progress of its flight. This is a Line-API widget rather than a `DataTable`: messages come and
go at every event and every progress cell changes on every animation frame, and a DataTable
re-renders all of its cells through Rich on each such change (measured: over half of a 9-node
frame at 10x). Here a row is a handful of pre-styled segments, rebuilt only when its text
changes, and only the visible rows are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from raftviz.core.sim.events import FlightView
from raftviz.widgets.cluster_map import flight_progress
from raftviz.widgets.palette import Palette, classify_message, node_label

__all__ = ["FlightTable", "flight_glyph", "progress_bar", "short_type"]

COLUMNS: tuple[tuple[str, int], ...] = (
    ("", 2),
    ("route", 5),
    ("type", 15),
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


def progress_bar(progress: float, width: int = 5) -> str:
    """``▰▰▱▱▱  40%``: the flight's progress, readable without colour."""
    filled = round(progress * width)
    return "▰" * filled + "▱" * (width - filled) + f" {round(progress * 100):>3}%"


Part = tuple[str, Style]


def _cells(flight: FlightView, progress: str, palette: Palette) -> list[list[Part]]:
    """One list of styled parts per column."""
    style = palette.message(flight.type, flight.reject)
    index = f"{flight.index}+{flight.entries}" if flight.entries else str(flight.index)
    route = [
        (node_label(flight.frm), palette.node(flight.frm)),
        ("→", palette.muted),
        (node_label(flight.to), palette.node(flight.to)),
    ]
    return [
        [(flight_glyph(flight), style)],
        route,
        [(short_type(flight.type) + (" ✗" if flight.reject else ""), style)],
        [(str(flight.term), palette.term(flight.term))],
        [(index, palette.text)],
        [(progress, palette.muted)],
    ]


class FlightTable(ScrollView, can_focus=False):
    """Every message in flight, in send order, with a fixed header row."""

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
        self._rows: dict[tuple[FlightView, str], list[Segment]] = {}
        self._palette: Palette | None = None

    @property
    def row_count(self) -> int:
        return len(self._flights)

    @property
    def flights(self) -> tuple[FlightView, ...]:
        return self._flights

    def update_flights(self, flights: Sequence[FlightView], now_ms: float) -> None:
        """Show these flights at this simulated time; redraws only if some text changed."""
        flights = tuple(flights)
        progress = tuple(progress_bar(flight_progress(f, now_ms)) for f in flights)
        if flights == self._flights and progress == self._progress:
            return
        self._flights, self._progress = flights, progress
        self._resize_virtual()
        self.refresh()

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
            key = (self._flights[index], self._progress[index])
            segments = self._rows.get(key) or []
            if not segments:
                segments = self._line(_cells(key[0], key[1], palette), base)
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
