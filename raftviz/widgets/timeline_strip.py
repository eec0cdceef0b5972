"""UI room: the timeline strip, the whole session on one line, with where the screen stands.

Simulated time runs left to right, from the start to the live end of the branch on screen.
Landmarks sit where they happened: ``◆`` an election, ``★`` a new leader, ``✖`` a crash, ``↻`` a
restart, ``↯`` a network change, ``‼`` a safety violation, ``▼`` a mark. The part already
seen is drawn solid, the recorded future (when looking at the past) thin, and the cursor is a
bright block. A click anywhere on the bar asks to jump there; the strip only asks (`Jump`), the
app decides. Labels come from scripts and users, so they are shown as text, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from raftviz.core.explore.timeline import TimelineView
from raftviz.widgets.palette import Palette

__all__ = ["GLYPHS", "TimelineStrip"]

GLYPHS = {
    "violation": ("‼", "raft-violation"),
    "crash": ("✖", "raft-crashed"),
    "restart": ("↻", "raft-follower"),
    "leader": ("★", "raft-leader"),
    "election": ("◆", "raft-candidate"),
    "network": ("↯", "raft-cut"),
    "mark": ("▼", "raft-narration"),
}
"""Each landmark's glyph and colour, most important first: when two share a column, the
first in this order wins. Every glyph is one cell wide (no emoji), or the bar would wrap."""

_RANK = {kind: rank for rank, kind in enumerate(GLYPHS)}


class TimelineStrip(Widget, can_focus=False):
    """One line: a label saying where the screen stands, then the session as a bar. It has
    the class ``-live`` while the screen shows the live end of a session that never branched:
    short terminals hide it then, when it has nothing to say that the status bar does not."""

    DEFAULT_CSS = """
    TimelineStrip {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    class Jump(Message):
        """The bar was clicked at simulated time `time_ms`."""

        def __init__(self, time_ms: int) -> None:
            super().__init__()
            self.time_ms = time_ms

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-live")
        self._view: TimelineView | None = None
        self._bar_start = 0  # the bar's first column, after the label

    def update_timeline(self, view: TimelineView | None) -> None:
        if view != self._view:
            self._view = view
            self.set_class(view is None or (view.live and len(view.branches) == 1), "-live")
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    def _label(self, view: TimelineView) -> Text:
        palette = Palette.from_variables(self.app.theme_variables)
        text = Text(no_wrap=True)
        if view.live:
            text.append(" LIVE ", palette.badge("raft-leader"))
        else:
            text.append(" ◀ PAST ", palette.badge("raft-timer-urgent"))
        text.append(f" event {view.position:,} of {view.length:,} ", palette.text)
        if len(view.branches) > 1:
            name = view.branches[view.branch].name
            text.append(f"branch {view.branch}: ", palette.muted)
            text.append(_clip(name, 18), palette.text)
            text.append(" ")
        return text

    def render(self) -> Text:
        view = self._view
        if view is None:
            return Text()
        palette = Palette.from_variables(self.app.theme_variables)
        label = self._label(view)
        width = max(self.size.width, 1)
        bar_width = width - label.cell_len
        if bar_width < 10:  # too narrow for a bar: the words alone
            self._bar_start = width
            return label
        self._bar_start = label.cell_len
        label.append_text(self._bar(view, bar_width, palette))
        return label

    def _bar(self, view: TimelineView, width: int, palette: Palette) -> Text:
        end = max(view.end_ms, 1)
        cursor = _column(view.time_ms, end, width)
        cells = [
            ("━", palette.fg("raft-msg-append")) if x < cursor else ("─", palette.muted)
            for x in range(width)
        ]
        ranks: list[int] = [len(GLYPHS)] * width
        for landmark in view.landmarks:
            x = _column(landmark.time_ms, end, width)
            rank = _RANK.get(landmark.kind, len(GLYPHS))
            if rank < ranks[x]:
                glyph, colour = GLYPHS[landmark.kind]
                ranks[x] = rank
                cells[x] = (glyph, palette.fg(colour, bold=True))
        glyph = cells[cursor][0] if ranks[cursor] < len(GLYPHS) else "┃"
        cells[cursor] = (glyph, palette.badge("raft-selected"))
        text = Text(no_wrap=True)
        for glyph, style in cells:
            text.append(glyph, style)
        return text

    def on_click(self, event: events.Click) -> None:
        view = self._view
        x = event.x - self.styles.padding.left - self._bar_start
        width = self.size.width - self._bar_start
        if view is None or width < 10 or not 0 <= x < width:
            return
        event.stop()
        self.post_message(self.Jump(round(x / max(width - 1, 1) * view.end_ms)))


def _column(time_ms: int, end_ms: int, width: int) -> int:
    return min(width - 1, max(0, round(time_ms / end_ms * (width - 1))))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
