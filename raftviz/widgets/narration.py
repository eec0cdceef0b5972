"""UI room: the narration panel, the story of a lecture told above the cluster.

A script's ``say`` lines used to replace each other in a one-line bar, so that a lesson's
lines went by unread. The panel keeps them: the newest in bold on the narration band, wrapped
in full however long, the earlier ones above it, dimmer, in a history that scrolls (the mouse
wheel, or the palette's "narration history" for all of them). Under the newest line it says
when the lecture waits for the teacher (``space: continue``), and it keeps the runtime's
notes: a played scenario's end with its checks, the answer to an ``expect`` typed at the
prompt (✔ holds / ✖ fails), which stay until replaced or dismissed (``esc``), never a toast
that vanishes while the class reads.

Hidden until there is something to show. Every text here comes from a script or a user, so
it is shown as text (`rich.text.Text`), never parsed as markup.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from raftviz.widgets.palette import Palette

__all__ = ["HISTORY", "NarrationBar", "NarrationPanel"]

HISTORY = 200
"""Narration lines and notes kept (a lesson has a few dozen)."""


def _seconds(time_ms: int) -> str:
    return f"{time_ms / 1000:.1f}s"


def _entries(entries: Iterable[tuple[str, str]], palette: Palette) -> Table:
    """(time, line) rows: the time right-aligned, the line wrapped under itself."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=6, justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for when, line in entries:
        grid.add_row(Text(when, palette.muted), Text(line, palette.muted))
    return grid


class NarrationPanel(Vertical, can_focus=False):
    """Recent narration (history, newest prominent), the lecture's wait and the latest note."""

    DEFAULT_CSS = """
    NarrationPanel {
        display: none;
        height: auto;
        max-height: 60%;
        background: $raft-narration;
        color: $raft-narration-text;
    }
    NarrationPanel.-shown {
        display: block;
    }
    NarrationPanel #narration-history {
        display: none;
        height: auto;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    NarrationPanel.-history #narration-history {
        display: block;
    }
    NarrationPanel #narration-current {
        display: none;
        padding: 0 1;
        text-style: bold;
    }
    NarrationPanel.-said #narration-current {
        display: block;
    }
    NarrationPanel #narration-note {
        display: none;
        padding: 0 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    NarrationPanel.-noted #narration-note {
        display: block;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.text: str | None = None
        """The newest narration line (None before the first)."""
        self._said_at = 0
        self._history: deque[tuple[str, str]] = deque(maxlen=HISTORY)
        self._story: deque[tuple[str, str]] = deque(maxlen=2 * HISTORY)
        self.note: str | None = None
        """The latest note (a check's answer, the scenario's end) until dismissed."""
        self.waiting = False
        """The lecture waits for the viewer (a played script paused, with lines left)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="narration-history"):
            yield Static("", id="narration-history-text")
        yield Static("", id="narration-current")
        yield Static("", id="narration-note")

    def on_mount(self) -> None:
        self.query_one("#narration-history").can_focus = False

    # ------------------------------------------------------------------ state in

    def say(self, text: str, time_ms: int) -> None:
        """A new narration line: the newest in front, the one before it into the history."""
        if self.text is not None:
            self._history.append((_seconds(self._said_at), self.text))
        self.text, self._said_at = text, time_ms
        self._story.append((_seconds(time_ms), text))
        self._refresh_all()

    def add_note(self, text: str) -> None:
        """A note from the runtime: shown under the narration until replaced or dismissed, and
        kept in the story (the history screen)."""
        self.note = text
        self._story.append(("", text))
        self._refresh_all()

    def dismiss_note(self) -> bool:
        """Hide the note (``esc``); False if there was none."""
        if self.note is None:
            return False
        self.note = None
        self._refresh_all()
        return True

    def set_waiting(self, waiting: bool) -> None:
        if waiting != self.waiting:
            self.waiting = waiting
            self._refresh_all()

    def clear(self) -> None:
        """Forget everything (a new scenario starts)."""
        self.text, self.note, self.waiting = None, None, False
        self._history.clear()
        self._story.clear()
        self._refresh_all()

    @property
    def history(self) -> tuple[str, ...]:
        """The narration before the newest line, oldest first."""
        return tuple(text for _, text in self._history)

    def story(self) -> Text:
        """The whole story so far, for the history screen: every narration line (with its
        simulated time) and every note, in the order they came."""
        palette = Palette.from_variables(self.app.theme_variables)
        text = Text()
        for index, (when, line) in enumerate(self._story):
            if index:
                text.append("\n")
            text.append(f"{when:>7}  " if when else " " * 9, palette.muted)
            text.append(line, "bold" if index == len(self._story) - 1 else "")
        return text

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self._refresh_all()

    def _refresh_all(self) -> None:
        if not self.is_mounted:
            return
        self.set_class(bool(self._history), "-history")
        said = self.text is not None or self.waiting
        self.set_class(said, "-said")
        self.set_class(self.note is not None, "-noted")
        self.set_class(said or bool(self._history) or self.note is not None, "-shown")
        self._show_history()
        self._show_current()
        self._show_note()

    def history_rows(self) -> int:
        """Rows the history may take: a line or two on a short screen, more when presenting."""
        screen = self.screen
        if screen.has_class("-presentation"):
            return 8 if screen.has_class("-tall") else 4
        return 3 if screen.has_class("-tall") else 2

    def on_resize(self) -> None:
        self._show_history()

    def refresh_layout(self) -> None:
        """The screen's layout changed (presentation on or off): the history's rows too."""
        self._show_history()

    def _show_history(self) -> None:
        """Older lines dimmer, each with its time and wrapped under itself; the view opens on
        the newest whole lines that fit (never the tail of a line cut off at the top)."""
        if not self._history or not self.size.width:
            return
        palette = Palette.from_variables(self.app.theme_variables)
        history = self.query_one("#narration-history", VerticalScroll)
        padding = history.styles.padding
        width = max(self.size.width - padding.left - padding.right - 1, 10)  # and a scrollbar
        console = self.app.console
        options = console.options.update_width(width)
        budget = self.history_rows()
        shown = 0
        for when, line in reversed(self._history):
            rows = len(console.render_lines(_entries(((when, line),), palette), options))
            if shown and shown + rows > budget:
                break
            shown += rows
        grid = _entries(self._history, palette)
        self.query_one("#narration-history-text", Static).update(grid)
        history.styles.height = max(1, shown)
        history.call_after_refresh(history.scroll_end, animate=False)

    def _show_current(self) -> None:
        if not self.is_mounted:
            return
        palette = Palette.from_variables(self.app.theme_variables)
        text = Text()
        if self.text is not None:
            text.append("» ")
            text.append(self.text)
        current: Text | Table = text
        if self.waiting:
            # A column of its own: the badge is never split over two lines by the wrapping.
            current = Table.grid(padding=(0, 2))
            current.add_column(ratio=1, overflow="fold")
            current.add_column(no_wrap=True, justify="right", vertical="bottom")
            current.add_row(text, Text(" ‖ space: continue ", palette.badge("raft-timer-urgent")))
        self.query_one("#narration-current", Static).update(current)

    def _show_note(self) -> None:
        palette = Palette.from_variables(self.app.theme_variables)
        note = self.note or ""
        if note.startswith("✔"):
            style = palette.success
        elif note.startswith("✖"):
            style = palette.error
        else:
            style = palette.fg("primary", bold=True)
        text = Text(note, style)
        text.append("   (esc hides)", palette.muted)
        self.query_one("#narration-note", Static).update(text)


NarrationBar = NarrationPanel
"""The panel's earlier name (it used to be a one-line bar)."""
