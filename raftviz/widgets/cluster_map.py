"""UI room: the cluster map, node cards on a ring with every message in flight between them.

Like RaftScope: each message is drawn where it is on its way, at (now - sent) / (deliver -
sent) of the distance from its sender to its receiver, with a dotted trail behind it, so a
frozen frame still shows who is talking to whom. The map is one Line-API canvas rather than a
tree of widgets: nine cards plus a hundred flights redraw in a few milliseconds, and the whole
picture is rebuilt only when the view, the selection, the size or the theme changes (or, while
messages fly, on the app's light animation timer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from raftviz.core.sim.events import ClusterView, FlightView
from raftviz.widgets.node_card import CARD_LEVELS, CardLevel, Cell, card_key, render_card
from raftviz.widgets.palette import (
    FLIGHT_DROPPED,
    Palette,
    classify_message,
    direction_arrow,
)

__all__ = [
    "ClusterMap",
    "DropMark",
    "MapLayout",
    "Wall",
    "flight_progress",
    "layout_cards",
    "layout_sides",
    "map_sides",
]


@dataclass(frozen=True, slots=True)
class DropMark:
    """A message that was dropped recently: drawn as ``<letter>⊘`` near where it died."""

    frm: int
    to: int
    type: str
    time_ms: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Wall:
    """A partition drawn on the map: a shaded column from top to bottom between two sides,
    labelled in the top row (``partition``, or ``isolated`` beside a node cut off alone)."""

    x: int
    label: str


@dataclass(frozen=True, slots=True)
class MapLayout:
    """Where each card goes: top-left corners in node order, and the canvas size; with a
    partition, the walls between its sides (each side's cards stay between its walls)."""

    level: CardLevel
    positions: tuple[tuple[int, int], ...]
    size: Size
    ring: bool
    walls: tuple[Wall, ...] = ()

    def rect(self, index: int) -> tuple[int, int, int, int]:
        x, y = self.positions[index]
        return x, y, self.level.width, self.level.height

    def centre(self, index: int) -> tuple[float, float]:
        x, y = self.positions[index]
        return x + self.level.width / 2, y + self.level.height / 2


def flight_progress(flight: FlightView, now_ms: float) -> float:
    """How far along its way a message is, 0..1 (FlightView's definition, clamped)."""
    span = flight.deliver_ms - flight.sent_ms
    if span <= 0:
        return 1.0
    return max(0.0, min(1.0, (now_ms - flight.sent_ms) / span))


def _ring(
    count: int, level: CardLevel, width: int, height: int
) -> tuple[tuple[int, int], ...] | None:
    """Cards on an ellipse starting at the top, clockwise; None if two cards would overlap."""
    w, h = level.width, level.height
    if width < w or height < h:
        return None
    rx, ry = (width - w) / 2, (height - h) / 2
    positions: list[tuple[int, int]] = []
    for i in range(count):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        cx = width / 2 + (rx * math.cos(angle) if count > 1 else 0)
        cy = height / 2 + (ry * math.sin(angle) if count > 1 else 0)
        x = min(max(round(cx - w / 2), 0), width - w)
        y = min(max(round(cy - h / 2), 0), height - h)
        positions.append((x, y))
    for i, (x1, y1) in enumerate(positions):
        for x2, y2 in positions[i + 1 :]:
            apart_x = x1 + w + 2 <= x2 or x2 + w + 2 <= x1
            apart_y = y1 + h <= y2 or y2 + h <= y1
            if not (apart_x or apart_y):
                return None
    return tuple(positions)


def _grid(count: int, level: CardLevel, width: int) -> tuple[tuple[tuple[int, int], ...], Size]:
    """Rows of cards, staggered so that messages between neighbours stay visible."""
    w, h = level.width, level.height
    columns = max(1, min(count, (width + 2) // (w + 2)))
    rows = math.ceil(count / columns)
    used = columns * (w + 2) - 2
    left = max(0, (width - used) // 2)
    positions = tuple(
        (left + (i % columns) * (w + 2), (i // columns) * (h + 1)) for i in range(count)
    )
    return positions, Size(max(width, used), rows * (h + 1) - 1)


def layout_cards(
    count: int, width: int, height: int, levels: Sequence[CardLevel] = CARD_LEVELS
) -> MapLayout:
    """The most detailed arrangement that fits, without overlap and without silent cuts.

    A ring at the largest card size that fits comes first (messages then cross open space);
    then a grid that fits the height; finally a grid of the smallest cards that is taller than
    the widget, which then scrolls rather than cutting nodes off. `levels`: the card sizes to
    choose from, largest first.
    """
    width, height = max(width, 1), max(height, 1)
    for level in levels:
        ring = _ring(count, level, width, height)
        if ring is not None:
            return MapLayout(level, ring, Size(width, height), ring=True)
    for level in levels:
        positions, size = _grid(count, level, width)
        if size.height <= height and size.width <= width:
            return MapLayout(level, positions, Size(width, height), ring=False)
    positions, size = _grid(count, levels[-1], width)
    return MapLayout(levels[-1], positions, size, ring=False)


WALL = "░"
"""The partition wall: a shaded column, readable without colour."""

WALL_GAP = 3
"""Columns between two sides of a partition: a space, the wall, a space."""


def _fit_side(
    count: int, level: CardLevel, width: int, height: int
) -> tuple[tuple[tuple[int, int], ...], bool] | None:
    """One side of a partition in its own rectangle: a ring if it fits, else a grid that
    fits, centred; None if neither does."""
    ring = _ring(count, level, width, height)
    if ring is not None:
        return ring, True
    positions, size = _grid(count, level, width)
    if size.width > width or size.height > height:
        return None
    dx, dy = (width - size.width) // 2, (height - size.height) // 2
    return tuple((x + dx, y + dy) for x, y in positions), False


def _side_widths(sizes: Sequence[int], least: int, usable: int) -> list[int] | None:
    """Columns for each side: at least one card wide, the rest shared by node count."""
    spare = usable - least * len(sizes)
    if spare < 0:
        return None
    total = sum(sizes)
    widths = [least + spare * size // total for size in sizes]
    widths[-1] += usable - sum(widths)
    return widths


def layout_sides(
    sides: Sequence[Sequence[int]], labels: Sequence[str], width: int, height: int
) -> MapLayout:
    """A partitioned cluster: each side (a list of node positions in view order) in its own
    column, left to right, with a labelled wall between neighbouring sides.

    The top row holds the walls' labels; below it, each side gets the most detailed
    arrangement that fits (a ring, else a grid), all sides at the same card size, so the
    groups read as groups at a glance and a node isolated alone stands in a column of its own.
    """
    width, height = max(width, 1), max(height, 1)
    sizes = [len(side) for side in sides]
    usable = width - WALL_GAP * (len(sides) - 1)
    top = 1
    for level in CARD_LEVELS:
        widths = _side_widths(sizes, level.width, usable)
        if widths is None:
            continue
        fits = [
            _fit_side(size, level, w, height - top) for size, w in zip(sizes, widths, strict=True)
        ]
        if all(fit is not None for fit in fits):
            placed = [fit[0] for fit in fits if fit is not None]
            ring = all(fit[1] for fit in fits if fit is not None)
            return _assemble(sides, labels, level, widths, placed, Size(width, height), ring)
    # Nothing fits: the smallest cards in a grid per side, as tall as it takes (the map
    # scrolls rather than cutting nodes off).
    level = CARD_LEVELS[-1]
    widths = _side_widths(sizes, level.width, max(usable, level.width * len(sides)))
    assert widths is not None
    placed = []
    tallest = 0
    for size, w in zip(sizes, widths, strict=True):
        positions, grid = _grid(size, level, w)
        placed.append(positions)
        tallest = max(tallest, grid.height)
    total = sum(widths) + WALL_GAP * (len(sides) - 1)
    canvas = Size(max(width, total), max(height, tallest + top))
    return _assemble(sides, labels, level, widths, placed, canvas, False)


def _assemble(
    sides: Sequence[Sequence[int]],
    labels: Sequence[str],
    level: CardLevel,
    widths: Sequence[int],
    placed: Sequence[tuple[tuple[int, int], ...]],
    size: Size,
    ring: bool,
) -> MapLayout:
    positions: dict[int, tuple[int, int]] = {}
    walls: list[Wall] = []
    left = 0
    for number, (side, width, spots) in enumerate(zip(sides, widths, placed, strict=True)):
        for node, (x, y) in zip(side, spots, strict=True):
            positions[node] = (left + x, 1 + y)
        left += width
        if number < len(sides) - 1:
            walls.append(Wall(left + WALL_GAP // 2, labels[number]))
            left += WALL_GAP
    ordered = tuple(positions[i] for i in range(len(positions)))
    return MapLayout(level, ordered, size, ring=ring, walls=tuple(walls))


def map_sides(view: ClusterView) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]] | None:
    """The sides a partition or an isolation splits the cluster into (node positions in view
    order), and the label of the wall after each side; None if the network is whole.

    The partition's groups come first, in group order, then every isolated node alone.
    """
    groups: dict[int, list[int]] = {}
    alone: list[int] = []
    for index, node in enumerate(view.nodes):
        if node.isolated:
            alone.append(index)
        else:
            groups.setdefault(-1 if node.group is None else node.group, []).append(index)
    sides = [tuple(groups[key]) for key in sorted(groups)] + [(index,) for index in alone]
    if len(sides) <= 1:
        return None
    labels = tuple(
        "isolated" if number + 1 >= len(groups) else "partition" for number in range(len(sides) - 1)
    )
    return tuple(sides), labels


def _leave(rect: tuple[int, int, int, int], dx: float, dy: float) -> float:
    """Parameter t (in units of (dx, dy)) at which a ray from the rect's centre leaves it."""
    _, _, w, h = rect
    limits = []
    if dx:
        limits.append((w / 2 + 0.5) / abs(dx))
    if dy:
        limits.append((h / 2 + 0.5) / abs(dy))
    return min(limits) if limits else 0.0


class ClusterMap(ScrollView, can_focus=False):
    """Node cards on a ring, with messages in flight, recent drops and cut links drawn."""

    DEFAULT_CSS = """
    ClusterMap {
        height: 1fr;
        min-height: 3;
        background: $background;
        scrollbar-size: 1 1;
    }
    """

    class FlightClicked(Message):
        """A message in flight was clicked: the app picks it in the in-flight list."""

        def __init__(self, flight: int) -> None:
            super().__init__()
            self.flight = flight

    class NodeClicked(Message):
        """A card was clicked: the app selects that node (double click: opens the inspector)."""

        def __init__(self, node: int, inspect: bool) -> None:
            super().__init__()
            self.node = node
            self.inspect = inspect

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._view: ClusterView | None = None
        self._now_ms: float = 0.0
        self._selected = 0
        self._drops: tuple[DropMark, ...] = ()
        self._picked: int | None = None
        self._flight_cells: dict[tuple[int, int], int] = {}  # where each message is drawn
        self._layout: MapLayout | None = None
        self._canvas: list[list[Cell]] | None = None
        self._cards: list[list[Cell]] | None = None
        self._card_keys: tuple[tuple[object, ...], ...] = ()
        self._sides: tuple[tuple[tuple[int, ...], ...], tuple[str, ...]] | None = None
        self._strips: list[Strip] | None = None
        self._row_strips: list[Strip | None] = []
        self._base = Style()
        self._levels: tuple[CardLevel, ...] = CARD_LEVELS

    # ------------------------------------------------------------------ state in

    def set_card_levels(self, levels: Sequence[CardLevel]) -> None:
        """The card sizes the map may choose from, largest first (the app's presentation
        layout lets cards grow with the terminal by offering larger ones)."""
        levels = tuple(levels)
        if levels != self._levels:
            self._levels = levels
            self._relayout()

    def update_cluster(
        self,
        view: ClusterView,
        *,
        now_ms: float | None = None,
        selected: int | None = None,
        drops: Sequence[DropMark] | None = None,
        picked: int | None = None,
    ) -> None:
        """Show a new snapshot; redraws only if something visible changed. `picked` is the
        flight picked in the in-flight list, highlighted like the one the next step delivers."""
        now = float(view.time_ms) if now_ms is None else now_ms
        new_drops = self._drops if drops is None else tuple(drops)
        new_selected = self._selected if selected is None else selected
        keys = tuple(card_key(node) for node in view.nodes)
        nodes_changed = (
            self._view is None or keys != self._card_keys or self._view.cuts != view.cuts
        )
        self._card_keys = keys
        if (
            not nodes_changed
            and self._view is not None
            and self._view.flights == view.flights
            and now == self._now_ms
            and new_selected == self._selected
            and new_drops == self._drops
            and picked == self._picked
        ):
            self._view = view
            return
        if nodes_changed or new_selected != self._selected:
            self._cards = None
            sides = map_sides(view)
            if (
                self._view is None
                or len(self._view.nodes) != len(view.nodes)
                or sides != self._sides
            ):
                self._layout = None
                self._sides = sides
        self._view, self._now_ms, self._selected, self._drops = view, now, new_selected, new_drops
        self._picked = picked
        self._invalidate()

    @property
    def layout_info(self) -> MapLayout | None:
        """The arrangement last used (for tests and the help screen's sizing hints)."""
        return self._layout

    def _invalidate(self) -> None:
        """Rebuild the picture now and repaint only the rows that changed.

        While messages fly most rows stay the same (cards, empty space), and repainting the
        whole map every frame was the largest cost of a busy frame.
        """
        old, old_strips = self._canvas, self._strips
        self._canvas = None
        self._strips = None
        if old is None or old_strips is None or not self.is_mounted or not self.size:
            # No drawn picture to compare with (e.g. two updates between frames): redraw all,
            # and forget kept rows, which belong to an older picture.
            self._row_strips = []
            self.refresh()
            return
        new = self._ensure_canvas()
        if len(new) != len(old) or (new and len(new[0]) != len(old[0])):
            self._row_strips = []
            self.refresh()
            return
        strips: list[Strip | None] = list(old_strips)
        start = -1
        for y, (before, after) in enumerate(zip(old, new, strict=True)):
            if before != after:
                strips[y] = None
                if start < 0:
                    start = y
            elif start >= 0:
                self.refresh_lines(start, y - start)
                start = -1
        if start >= 0:
            self.refresh_lines(start, len(new) - start)
        self._row_strips = strips

    # ------------------------------------------------------------------ Textual hooks

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self) -> None:
        """Forget the layout and everything drawn from it: the next frame lays out afresh."""
        self._layout = None
        self._cards = None
        self._canvas = None
        self._strips = None
        self._row_strips = []
        self.refresh()

    def notify_style_update(self) -> None:
        """A theme change: every colour is baked into the cached cells, so drop them."""
        super().notify_style_update()
        self._cards = None
        self._canvas = None
        self._strips = None
        self._row_strips = []

    def on_click(self, event: events.Click) -> None:
        layout = self._layout
        view = self._view
        if layout is None or view is None:
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x = offset.x + int(self.scroll_x)
        y = offset.y + int(self.scroll_y)
        flight = self._flight_cells.get((x, y))
        if flight is not None:
            event.stop()
            self.post_message(self.FlightClicked(flight))
            return
        for index, node in enumerate(view.nodes):
            left, top, w, h = layout.rect(index)
            if left <= x < left + w and top <= y < top + h:
                event.stop()
                self.post_message(self.NodeClicked(node.id, inspect=event.chain >= 2))
                return

    def render_line(self, y: int) -> Strip:
        strips = self._ensure_strips()
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row_index = y + scroll_y
        if row_index >= len(strips):
            return Strip.blank(width, self._base)
        return strips[row_index].crop_extend(scroll_x, scroll_x + width, self._base)

    def _ensure_strips(self) -> list[Strip]:
        """The canvas as one Strip per row, built once per change (render_line only crops);
        rows that did not change keep their strip."""
        if self._strips is not None and self._canvas is not None:
            return self._strips
        canvas = self._ensure_canvas()
        reuse = self._row_strips if len(self._row_strips) == len(canvas) else []
        self._row_strips = []
        base = self._base = self.rich_style
        strips: list[Strip] = []
        for y, row in enumerate(canvas):
            if reuse and (kept := reuse[y]) is not None:
                strips.append(kept)
                continue
            segments: list[Segment] = []
            run: list[str] = []
            run_style: Style | None = None
            for char, style in row:
                if style is not run_style and run:
                    segments.append(Segment("".join(run), base + run_style if run_style else base))
                    run = []
                run_style = style
                run.append(char)
            if run:
                segments.append(Segment("".join(run), base + run_style if run_style else base))
            strips.append(Strip(segments, len(row)))
        self._strips = strips
        return strips

    # ------------------------------------------------------------------ drawing

    def _ensure_canvas(self) -> list[list[Cell]]:
        if self._canvas is not None:
            return self._canvas
        view = self._view
        region = self.scrollable_content_region
        if view is None or not view.nodes:
            self._canvas = []
            return self._canvas
        if self._layout is None:
            # Size the layout to the whole widget; a scrollbar appears only if it overflows.
            width, height = self.size.width, self.size.height
            sides = self._sides = map_sides(view)
            if sides is None:
                self._layout = layout_cards(len(view.nodes), width, height, self._levels)
            else:
                self._layout = layout_sides(sides[0], sides[1], width, height)
            if self.virtual_size != self._layout.size:
                self.virtual_size = self._layout.size
        layout = self._layout
        palette = Palette.from_variables(self.app.theme_variables)
        canvas = [
            [(" ", _BLANK)] * max(layout.size.width, region.width)
            for _ in range(layout.size.height)
        ]
        covered = [[False] * len(canvas[0]) for _ in canvas]
        cards = self._ensure_cards(view, layout, palette)
        for index, _node in enumerate(view.nodes):
            left, top, w, h = layout.rect(index)
            for dy in range(h):
                row = canvas[top + dy]
                row[left : left + w] = cards[index * layout.level.height + dy]
                covered[top + dy][left : left + w] = [True] * w
        index_of = {node.id: i for i, node in enumerate(view.nodes)}
        self._draw_walls(canvas, covered, layout, palette)
        self._flight_cells = {}
        for flight in sorted(view.flights, key=lambda f: (f.sent_ms, f.flight)):
            self._draw_flight(canvas, covered, flight, index_of, layout, palette)
        for drop in self._drops:
            self._draw_drop(canvas, covered, drop, index_of, layout, palette)
        # Last: a cut lasts, a message passing over its mark is gone in a moment.
        self._draw_cuts(canvas, covered, view, index_of, layout, palette)
        self._canvas = canvas
        return canvas

    def _ensure_cards(
        self, view: ClusterView, layout: MapLayout, palette: Palette
    ) -> list[list[Cell]]:
        if self._cards is None:
            cuts: dict[int, list[tuple[int, int]]] = {}
            for a, b in view.cuts:
                cuts.setdefault(a, []).append((a, b))
                cuts.setdefault(b, []).append((a, b))
            rows: list[list[Cell]] = []
            for node in view.nodes:
                rows.extend(
                    render_card(
                        node,
                        layout.level,
                        palette,
                        selected=node.id == self._selected,
                        cluster_size=len(view.nodes),
                        cuts=cuts.get(node.id, ()),
                    )
                )
            self._cards = rows
        return self._cards

    @staticmethod
    def _path(
        layout: MapLayout, a: int, b: int
    ) -> (
        tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
        | None
    ):
        """The visible stretch of the chord from card a to card b, its right-hand normal, and
        the chord's direction (the visible stretch may be a single point between neighbours)."""
        ax, ay = layout.centre(a)
        bx, by = layout.centre(b)
        dx, dy = bx - ax, by - ay
        if dx == 0 and dy == 0:
            return None
        t0 = _leave(layout.rect(a), dx, dy)
        t1 = 1 - _leave(layout.rect(b), dx, dy)
        if t0 >= t1:
            t0 = t1 = 0.5
        start = (ax + dx * t0, ay + dy * t0)
        end = (ax + dx * t1, ay + dy * t1)
        # Traffic keeps to its right, so a request and its response never share a cell.
        length = math.hypot(dx, dy * 2)
        normal = (-dy * 2 / length, dx / length)
        return start, end, normal, (dx, dy)

    def _draw_flight(
        self,
        canvas: list[list[Cell]],
        covered: list[list[bool]],
        flight: FlightView,
        index_of: dict[int, int],
        layout: MapLayout,
        palette: Palette,
    ) -> None:
        if flight.frm not in index_of or flight.to not in index_of:
            return
        path = self._path(layout, index_of[flight.frm], index_of[flight.to])
        if path is None:
            return
        (sx, sy), (ex, ey), (nx, ny), (dx, dy) = path
        sx, sy = sx + nx * 0.6, sy + ny * 0.35
        ex, ey = ex + nx * 0.6, ey + ny * 0.35
        progress = flight_progress(flight, self._now_ms)
        kind, response = classify_message(flight.type)
        style = palette.message(flight.type, flight.reject)
        trail = palette.fg(kind.variable) + Style(dim=False)
        trail_style = palette.muted if response else trail
        gx, gy = sx + (ex - sx) * progress, sy + (ey - sy) * progress
        steps = max(1, int(math.hypot(gx - sx, gy - sy) * 2))
        for step in range(steps):
            t = step / steps
            _put(
                canvas,
                covered,
                round(sx + (gx - sx) * t),
                round(sy + (gy - sy) * t),
                "·",
                trail_style,
                weak=True,
            )
        if response:
            glyph = kind.letter.lower() + ("✗" if flight.reject else "✓")
        else:
            glyph = kind.letter + direction_arrow(dx, dy)
        after = self._view.next_event if self._view is not None else None
        is_next = after is not None and after.kind == "deliver" and after.id == flight.flight
        if flight.flight == self._picked or is_next:
            style = style + Style(reverse=True)
        x, y = round(gx - 0.5), round(gy)
        for offset, char in enumerate(glyph):
            _put(canvas, covered, x + offset, y, char, style)
            self._flight_cells[(x + offset, y)] = flight.flight

    def _draw_drop(
        self,
        canvas: list[list[Cell]],
        covered: list[list[bool]],
        drop: DropMark,
        index_of: dict[int, int],
        layout: MapLayout,
        palette: Palette,
    ) -> None:
        if drop.frm not in index_of or drop.to not in index_of:
            return
        path = self._path(layout, index_of[drop.frm], index_of[drop.to])
        if path is None:
            return
        (sx, sy), (ex, ey), _, _ = path
        kind, response = classify_message(drop.type)
        letter = kind.letter.lower() if response else kind.letter
        x, y = round(sx + (ex - sx) * 0.8 - 0.5), round(sy + (ey - sy) * 0.8)
        style = palette.badge("raft-msg-dropped")
        for offset, char in enumerate(letter + FLIGHT_DROPPED):
            _put(canvas, covered, x + offset, y, char, style)

    @staticmethod
    def _draw_walls(
        canvas: list[list[Cell]], covered: list[list[bool]], layout: MapLayout, palette: Palette
    ) -> None:
        """Each partition wall as a shaded column, its label centred on it in the top row."""
        style = palette.fg("raft-cut", bold=True)
        badge = palette.badge("raft-cut")
        for wall in layout.walls:
            for y in range(1, len(canvas)):
                _put(canvas, covered, wall.x, y, WALL, style)
            label = f" {wall.label} "
            left = wall.x - len(label) // 2
            for offset, char in enumerate(label):
                _put(canvas, covered, left + offset, 0, char, badge)

    def _draw_cuts(
        self,
        canvas: list[list[Cell]],
        covered: list[list[bool]],
        view: ClusterView,
        index_of: dict[int, int],
        layout: MapLayout,
        palette: Palette,
    ) -> None:
        """A cut link as ✂ with arrows the way messages are lost, midway between the two:
        ``✂→`` one way (towards the node that no longer hears the other), ``←✂→`` both ways."""
        style = palette.fg("raft-cut", bold=True)
        cuts = set(view.cuts)
        for a, b in sorted(cuts):
            both = (b, a) in cuts
            if (both and a > b) or a not in index_of or b not in index_of:
                continue
            path = self._path(layout, index_of[a], index_of[b])
            if path is None:
                continue
            (sx, sy), (ex, ey), _, (dx, dy) = path
            glyph = "✂" + direction_arrow(dx, dy)
            if both:
                glyph = direction_arrow(-dx, -dy) + glyph
            # Midway, or the nearest free spot: never on a card (neighbours may have no row
            # between them) nor on a partition wall (it must stay whole).
            mx = round((sx + ex) / 2 - len(glyph) / 2)
            my = round((sy + ey) / 2)
            x, y = next(
                (
                    (mx + nx, my + ny)
                    for nx, ny in _NUDGES
                    if _free(canvas, covered, mx + nx, my + ny, len(glyph))
                ),
                (mx, my),
            )
            for offset, char in enumerate(glyph):
                _put(canvas, covered, x + offset, y, char, style)


_BLANK = Style()

_NUDGES = tuple(
    sorted(
        ((dx, dy) for dx in range(-16, 17) for dy in range(-2, 3)),
        key=lambda d: (abs(d[0]) + 3 * abs(d[1]), d[1], d[0]),
    )
)
"""Where else to try a mark, nearest first, when its place is under a card or a wall."""


def _free(canvas: list[list[Cell]], covered: list[list[bool]], x: int, y: int, width: int) -> bool:
    """Can a mark `width` cells wide go at (x, y) without covering a card or a wall?"""
    if not 0 <= y < len(canvas) or x < 0 or x + width > len(canvas[y]):
        return False
    return not any(covered[y][x + i] or canvas[y][x + i][0] == WALL for i in range(width))


def _put(
    canvas: list[list[Cell]],
    covered: list[list[bool]],
    x: int,
    y: int,
    char: str,
    style: Style,
    *,
    weak: bool = False,
) -> None:
    """Draw one cell unless it is under a card (or, for a trail, already drawn on)."""
    if 0 <= y < len(canvas) and 0 <= x < len(canvas[y]) and not covered[y][x]:
        if weak and canvas[y][x][0] != " ":
            return
        canvas[y][x] = (char, style)
