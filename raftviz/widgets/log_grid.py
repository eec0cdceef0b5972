"""UI room: every node's log, aligned by index like RaftScope's, tail always in view.

One row per node, one column per log index. An entry shows its term, in that term's colour:
committed entries as a solid chip (reverse video), uncommitted ones as bare digits, so the
difference survives monochrome; when every index fits with room to spare, each entry also
shows its data (``3 x=1``, ``–`` for an empty entry such as a new leader's), so a class sees
its own requests travel. In each follower's row the leader's view of it is marked: ✓ at
its match index, → at its next index. Only the visible columns are drawn, so a log of
thousands of entries costs the same as a short one; the view follows the tail unless the user
scrolled back, and follows again once scrolled to the end.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from raftviz.core.sim.events import ClusterView, EntryView, NodeView, ProgressView
from raftviz.widgets.palette import MARK_MATCH, MARK_NEXT, Palette, node_label, role_info

__all__ = ["LogGrid", "entry_data", "log_key"]

CHUNK = 32
"""Log indexes added to the scrollable width at a time (see `update_cluster`)."""

LABEL_WIDTH = 6
"""``▶S1 ★`` plus a space: selection marker, node, role glyph."""

DATA_WIDTH = 10
"""Cells of an entry's data shown at most (longer data ends with …; the inspector has it all)."""

MIN_DATA_WIDTH = 3
"""Fewer cells than this for the data (``x=1``) and the grid shows terms only."""


_GAP = Style(italic=True)
"""The space between a term and its data: invisible, but a style of its own, so that exported
SVG screenshots do not merge it into the data's text run (some renderers drop a run's leading
spaces, which glued ``1x=1`` together in every snapshot picture)."""


def entry_data(entry: EntryView) -> str:
    """An entry's data as one line of plain text: a user's words shown as typed, except
    characters that would move the cursor or change the terminal (shown as ``?``)."""
    data = entry.data
    if not data:
        return "–"
    if not data.isprintable():
        data = "".join(char if char.isprintable() else "?" for char in data)
    return data


def log_key(node: NodeView) -> tuple[object, ...]:
    """What the grid draws of a node, compared in bounded time.

    Raft only ever rewrites a log by truncating its tail, so a change always shows in the
    length or in the last few entries; no need to compare thousands of committed entries.
    """
    log = node.log
    return (
        node.id,
        node.alive,
        node.role,
        node.commit,
        node.last_index,
        len(log),
        log[0] if log else None,
        log[-8:],
        node.progress,
    )


def _entry_at(node: NodeView, index: int) -> EntryView | None:
    """The entry at a log index, in O(1) for the usual contiguous log (else a scan)."""
    log = node.log
    if not log:
        return None
    first = log[0].index
    position = index - first
    if 0 <= position < len(log) and log[position].index == index:
        return log[position]
    for entry in log:
        if entry.index == index:
            return entry
    return None


class LogGrid(ScrollView, can_focus=False):
    """The aligned logs of all nodes (see the module docstring for the notation)."""

    DEFAULT_CSS = """
    LogGrid {
        height: auto;
        max-height: 12;
        overflow-y: auto;
        overflow-x: auto;
        scrollbar-size: 1 1;
        background: $background;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._view: ClusterView | None = None
        self._selected = 0
        self._cell_width = 3
        self._term_width = 2
        self._data_width = 0  # 0: terms only (the data does not fit)
        self._max_index = 0
        self._progress: dict[int, ProgressView] = {}
        self._follow = True
        self._keys: tuple[object, ...] = ()

    def update_cluster(self, view: ClusterView, selected: int) -> None:
        """Show a new snapshot; redraws only if the logs, roles or selection changed."""
        keys = (view.leader, tuple(log_key(node) for node in view.nodes))
        if self._view is not None and keys == self._keys and selected == self._selected:
            self._view = view
            return
        self._view, self._selected, self._keys = view, selected, keys
        leader = next((n for n in view.nodes if n.id == view.leader and n.alive), None)
        self._progress = {p.id: p for p in leader.progress} if leader is not None else {}
        max_term = max((n.term for n in view.nodes), default=0)
        self._term_width = len(str(max(max_term, 1)))
        self._max_index = max(
            [n.last_index for n in view.nodes] + [p.next for p in self._progress.values()] + [0]
        )
        self._choose_cells()
        was_following = self._follow
        # The virtual width grows in chunks: each change of it costs a layout of the whole
        # screen, which one new entry per heartbeat must not trigger.
        self._follow = was_following
        if self._resize_virtual(len(view.nodes)):
            # A new width only allows scrolling that far after the next layout.
            self.call_after_refresh(self._follow_tail)
        else:
            self._follow_tail()
        self.refresh()

    def _choose_cells(self) -> None:
        """Terms and data if every index fits that way (the data cut to fit, down to a few
        cells), else terms only: a grid that scrolls sideways loses the view of the whole
        log that makes it worth reading."""
        # As much of the data as every index leaves room for, if that is a few cells (then
        # the logs are short: the entries are scanned only then, never a long log per frame).
        width = self.scrollable_content_region.width
        room = (width - LABEL_WIDTH) // (self._max_index + 1) - self._term_width - 2
        data = 0
        view = self._view
        if view is not None and room >= MIN_DATA_WIDTH:
            longest = max((cell_len(entry_data(e)) for n in view.nodes for e in n.log), default=0)
            data = min(DATA_WIDTH, longest, room)
        if data >= MIN_DATA_WIDTH:
            self._data_width, self._cell_width = data, self._term_width + 1 + data + 1
        else:
            self._data_width, self._cell_width = 0, max(3, self._term_width + 1)

    def _follow_tail(self) -> None:
        if self._follow:
            self.scroll_to(x=self._tail_scroll(), animate=False, immediate=True)
            self._follow = True

    def _resize_virtual(self, rows: int) -> bool:
        """Exactly the widget's width while the logs fit (no scrollbar), then whole chunks."""
        content = LABEL_WIDTH + (self._max_index + 1) * self._cell_width
        width = self.scrollable_content_region.width
        if content > width:
            chunks = -(-(self._max_index + 2) // CHUNK)
            width = LABEL_WIDTH + chunks * CHUNK * self._cell_width
        size = Size(width, rows + 1)
        if size == self.virtual_size:
            return False
        self.virtual_size = size
        return True

    def _tail_scroll(self) -> int:
        """The scroll offset that puts the last index (and a next marker after it) in view."""
        content = LABEL_WIDTH + (self._max_index + 1) * self._cell_width
        return max(0, content - self.scrollable_content_region.width)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        # Scrolling back stops following the tail; scrolling to the end resumes it.
        if new_value >= self._tail_scroll() - 1:
            self._follow = True
        elif new_value < old_value:
            self._follow = False

    def on_resize(self) -> None:
        if self._view is not None:
            self._choose_cells()
            self._resize_virtual(len(self._view.nodes))
        self.call_after_refresh(self._follow_tail)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        view = self._view
        base = self.rich_style
        width = self.scrollable_content_region.width
        row = y + int(self.scroll_y)
        if view is None or row > len(view.nodes):
            return Strip.blank(width, base)
        palette = Palette.from_variables(self.app.theme_variables)
        cw = self._cell_width
        # While following, draw the tail whatever the scroll offset says: the scrollbar catches
        # up after the next layout, the picture must not depend on when that happens.
        scroll_x = self._tail_scroll() if self._follow else int(self.scroll_x)
        first = scroll_x // cw + 1
        skip = scroll_x % cw
        visible = (max(width - LABEL_WIDTH, 0) + skip) // cw + 2
        indexes = range(first, min(first + visible, self._max_index + 2))
        if row == 0:
            label = [Segment("index".ljust(LABEL_WIDTH), base + palette.muted)]
            cells = self._ruler(indexes, base + palette.muted)
        else:
            node = view.nodes[row - 1]
            label = self._label(node, base, palette)
            cells = self._row(node, indexes, base, palette, view)
        body = Strip(cells).crop(skip, skip + max(width - LABEL_WIDTH, 0))
        line = Strip.join([Strip(label, LABEL_WIDTH), body])
        return line.extend_cell_length(width, base).crop(0, width)

    def _label(self, node: NodeView, base: Style, palette: Palette) -> list[Segment]:
        info = role_info(node.role, node.alive)
        selected = node.id == self._selected
        return [
            Segment("▶" if selected else " ", base + palette.fg("raft-selected", bold=True)),
            Segment(
                node_label(node.id),
                base + (palette.fg("raft-selected", bold=True) if selected else palette.text),
            ),
            Segment(" ", base),
            Segment(info.glyph, base + palette.role(node.role, node.alive, bold=True)),
            Segment(" ", base),
        ]

    def _ruler(self, indexes: range, style: Style) -> list[Segment]:
        """Index numbers at 1 and every multiple of 5, right-aligned over the term digits."""
        cw = self._cell_width
        chars = [" "] * (len(indexes) * cw)
        free_from = 0
        every = 1 if self._data_width else 5
        for position, index in enumerate(indexes):
            if index != 1 and index % every:
                continue
            label = str(index)
            end = position * cw + (self._term_width if self._data_width else cw - 1)
            start = end - len(label)
            if start < free_from or start < 0:
                continue
            chars[start:end] = label
            free_from = end + 1
        return [Segment("".join(chars), style)]

    def _row(
        self, node: NodeView, indexes: range, base: Style, palette: Palette, view: ClusterView
    ) -> list[Segment]:
        cw = self._cell_width
        progress = self._progress.get(node.id) if node.id != view.leader else None
        dim = Style(dim=True) if not node.alive else None
        segments: list[Segment] = []
        for index in indexes:
            entry = _entry_at(node, index)
            mark = " "
            if progress is not None:
                if index == progress.match and index > 0:
                    mark = MARK_MATCH
                elif index == progress.next:
                    mark = MARK_NEXT
            if entry is None:
                segments.append(Segment(" " * (cw - 1), base))
                segments.append(Segment(mark, base + palette.fg("raft-selected", bold=True)))
                continue
            committed = index <= node.commit
            style = palette.term_committed(entry.term) if committed else palette.term(entry.term)
            if dim is not None:
                style = style + dim
            if self._data_width:
                segments.append(Segment(str(entry.term).rjust(self._term_width), base + style))
                data = entry_data(entry)
                if cell_len(data) > self._data_width:
                    data = set_cell_size(data, self._data_width - 1) + "…"
                data_style = palette.text if committed else palette.muted
                if dim is not None:
                    data_style = data_style + dim
                segments.append(Segment(" ", base + _GAP))
                segments.append(Segment(set_cell_size(data, self._data_width), base + data_style))
            else:
                segments.append(Segment(str(entry.term).rjust(cw - 1), base + style))
            segments.append(Segment(mark, base + palette.fg("raft-selected", bold=True)))
        return segments
