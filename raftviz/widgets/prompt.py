"""UI room: a one-line prompt at the bottom of the screen (``:`` commands, ``ctrl+s`` save).

The prompt never runs anything itself: it posts `PromptScreen.Submitted` and the app decides
(runs the command, saves the file). On success the app dismisses it; on an error the app calls
`show_error`, and the prompt stays open with the text intact so the user can fix a typo
instead of retyping it. Up/down walk through earlier entries, like a shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label

__all__ = ["PromptScreen"]


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; `purpose` tells the app what to do with it."""

    DEFAULT_CSS = """
    PromptScreen {
        align: center bottom;
        background: $background 40%;
    }
    PromptScreen > #prompt {
        height: auto;
        width: 100%;
        background: $panel;
        border-top: solid $primary;
        padding: 0 1;
    }
    PromptScreen #prompt-title {
        width: 100%;
        color: $foreground;
        text-style: bold;
    }
    PromptScreen #prompt-error {
        display: none;
        color: $error;
        text-style: bold;
    }
    PromptScreen #prompt-error.-shown {
        display: block;
    }
    /* A compact input: one row of text with its cursor (a tall border in a one-row box left
       room for the borders only, and typed text was invisible). */
    PromptScreen #prompt-input {
        height: 1;
        background: $boost;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    class Submitted(Message):
        """The user pressed enter: the app handles it and dismisses (or shows an error)."""

        def __init__(self, prompt: PromptScreen, purpose: str, value: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.purpose = purpose
            self.value = value

    def __init__(self, purpose: str, title: str, *, placeholder: str = "") -> None:
        super().__init__()
        self.purpose = purpose
        self._title = title
        self._value = ""
        self._placeholder = placeholder
        self._history: list[str] = []
        self._position = 0

    def reset(self, *, value: str = "", history: Sequence[str] = ()) -> None:
        """Start afresh with this text and history, before each opening: the app keeps this
        screen for reuse, and it would otherwise reopen with the last text and error."""
        self._value = value
        self._history = list(history)
        self._position = len(self._history)
        if self.is_mounted:
            self.input.value = value
            self.input.cursor_position = len(value)
            self.query_one("#prompt-error", Label).remove_class("-shown")

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self._title, id="prompt-title", markup=False)
            # The cursor waits at the end of a suggested value: keys edit it rather than
            # replace it all at the first stroke.
            yield Input(
                value=self._value,
                placeholder=self._placeholder,
                id="prompt-input",
                compact=True,
                select_on_focus=False,
            )
            yield Label("", id="prompt-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @property
    def input(self) -> Input:
        return self.query_one("#prompt-input", Input)

    def show_error(self, message: str) -> None:
        """Keep the prompt open with the problem under the line (as text: it may quote the
        user's own input, brackets and all)."""
        error = self.query_one("#prompt-error", Label)
        error.update(f"✖ {message}")
        error.add_class("-shown")
        self.input.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.is_active:
            return  # a second enter typed before the first closed the prompt
        value = event.value.strip()
        if not value:
            self.dismiss(None)
            return
        self.post_message(self.Submitted(self, self.purpose, value))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_history(self, step: int) -> None:
        if not self._history:
            return
        self._position = max(0, min(len(self._history), self._position + step))
        value = self._history[self._position] if self._position < len(self._history) else ""
        self.input.value = value
        self.input.cursor_position = len(value)
