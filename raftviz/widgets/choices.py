"""UI room: a short list to choose one thing from (a lesson to play, a branch to go to, a
breakpoint to remove).

The screen only chooses: it dismisses with the chosen option's id (None if cancelled), and the
app acts on it. Labels come from scripts and users, so they are Rich renderables (`Text`...),
never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["ChoiceScreen"]


class ChoiceScreen(ModalScreen[str | None]):
    """A titled list of (id, label) options (None: a separator), with a hint line under it."""

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
    }
    ChoiceScreen > #choices {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ChoiceScreen #choices-title {
        width: 100%;
        text-style: bold;
    }
    ChoiceScreen #choices-list {
        height: auto;
        max-height: 70vh;
        border: none;
        padding: 0;
        background: $surface;
    }
    ChoiceScreen #choices-hint {
        width: 100%;
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close")]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, RenderableType] | None],
        hint: str,
        *,
        highlighted: int = 0,
        keys: str = "",
    ) -> None:
        """`keys`: more keys that close it (the one that opened it, say)."""
        super().__init__()
        self._title = title
        self._options = tuple(options)
        self._hint = hint
        self._highlighted = highlighted
        if keys:
            self._bindings.bind(keys, "cancel", "Close", show=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="choices"):
            yield Label(Text(self._title), id="choices-title")
            yield OptionList(
                *(None if o is None else Option(o[1], id=o[0]) for o in self._options),
                id="choices-list",
            )
            yield Label(Text(self._hint), id="choices-hint")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self._options:
            option_list.highlighted = min(self._highlighted, len(self._options) - 1)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
