"""UI room: Textual's command palette (``ctrl+p``), deaf once it has closed.

Keys typed quickly all reach the palette before it closes, and the messages they cause are
handled after: ``down enter enter`` selects a command with the first enter (which closes the
palette and runs the command) and selects it again with the second. Textual's palette then
closes a second time: over the cluster screen that raises `ScreenStackError` (a traceback and
exit 1); over help it closes help too and runs the command twice.
"""

from __future__ import annotations

from textual import on
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import Button, Input, OptionList

__all__ = ["SafeCommandPalette"]


class SafeCommandPalette(CommandPalette):
    """A `CommandPalette` that ignores selections arriving after it closed."""

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _closed_already(self, event: Message) -> None:
        """Runs before the palette's own handlers (subclass first), and stops them."""
        if not self.is_active:
            event.stop()
            event.prevent_default()
