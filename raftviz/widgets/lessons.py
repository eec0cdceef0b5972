"""UI room: the lesson picker (``o``), the built-in scenarios with what each one teaches.

Each scenario is listed by name with its one-line description (its file's first comment
line); the first choice restarts what is playing now. The picker only chooses: it dismisses
with the choice, and the app asks the controller to load it (widgets never drive the
simulation). Descriptions come from files, so they are shown as text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["RESTART", "LessonPicker"]

RESTART = "\0restart"
"""The choice "restart what is playing now" (no scenario name can be this)."""


class LessonPicker(ModalScreen[str | None]):
    """Choose a built-in scenario by name (or `RESTART`); None if cancelled."""

    DEFAULT_CSS = """
    LessonPicker {
        align: center middle;
    }
    LessonPicker > #lessons {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    LessonPicker #lessons-title {
        width: 100%;
        text-style: bold;
    }
    LessonPicker #lessons-list {
        height: auto;
        max-height: 70vh;
        border: none;
        padding: 0;
        background: $surface;
    }
    LessonPicker #lessons-hint {
        width: 100%;
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,o", "cancel", "Close"),
    ]

    def __init__(self, lessons: Sequence[tuple[str, str]], current: str | None) -> None:
        """`lessons`: (name, description) pairs; `current`: what plays now (None: no script,
        a free cluster), for the restart choice."""
        super().__init__()
        self._lessons = tuple(lessons)
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="lessons"):
            yield Label("Lessons: the built-in scenarios, played as lectures", id="lessons-title")
            yield OptionList(id="lessons-list")
            yield Label(
                "↑/↓ choose · enter play (from its start; space continues after each line) "
                "· esc close",
                id="lessons-hint",
            )

    def on_mount(self) -> None:
        # Bold and plain text only: the highlighted row's colours must not hide a name.
        what = f"“{self._current}”" if self._current else "this cluster (same seed)"
        restart = Text(f"↻ Restart {what} from the beginning", "bold")
        options: list[Option | None] = [Option(restart, id=RESTART), None]
        for name, description in self._lessons:
            title = Text(name, "bold underline")
            if name == self._current:
                title.append("  (playing now)", "italic")
            # The description wraps under itself, indented: the names stay easy to scan.
            body = Table.grid()
            body.add_column(width=2)
            body.add_column(ratio=1)
            body.add_row("", Text(description))
            options.append(Option(Group(title, body), id=name))
        option_list = self.query_one(OptionList)
        option_list.add_options(options)
        option_list.highlighted = 0
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
