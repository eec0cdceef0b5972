"""UI room: the lesson picker (``o``), the built-in scenarios with what each one teaches.

Each scenario is listed by name with its one-line description (its file's first comment
line); the first choice restarts what is playing now. The picker only chooses: it dismisses
with the choice, and the app asks the controller to load it (widgets never drive the
simulation). Descriptions come from files, so they are shown as text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from raftviz.widgets.choices import ChoiceScreen

__all__ = ["RESTART", "LessonPicker"]

RESTART = "\0restart"
"""The choice "restart what is playing now" (no scenario name can be this)."""


class LessonPicker(ChoiceScreen):
    """Choose a built-in scenario by name (or `RESTART`); None if cancelled."""

    def __init__(self, lessons: Sequence[tuple[str, str]], current: str | None) -> None:
        """`lessons`: (name, description) pairs; `current`: what plays now (None: no script,
        a free cluster), for the restart choice."""
        super().__init__(
            "Lessons: the built-in scenarios, played as lectures",
            _options(lessons, current),
            "↑/↓ choose · enter play (from its start; space continues after each line) · esc close",
            keys="o",
        )


def _options(
    lessons: Sequence[tuple[str, str]], current: str | None
) -> list[tuple[str, RenderableType] | None]:
    # Bold and plain text only: the highlighted row's colours must not hide a name.
    what = f"“{current}”" if current else "this cluster (same seed)"
    options: list[tuple[str, RenderableType] | None] = [
        (RESTART, Text(f"↻ Restart {what} from the beginning", "bold")),
        None,
    ]
    for name, description in lessons:
        title = Text(name, "bold underline")
        if name == current:
            title.append("  (playing now)", "italic")
        # The description wraps under itself, indented: the names stay easy to scan.
        body = Table.grid()
        body.add_column(width=2)
        body.add_column(ratio=1)
        body.add_row("", Text(description))
        options.append((name, Group(title, body)))
    return options
