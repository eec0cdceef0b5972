"""UI room: a script's ``say`` line, shown big under the status bar while the class watches.

Hidden until a script narrates, then it keeps the latest line (and the simulated time it was
said at) until the next one, so a teacher's commentary stays up while the run plays on.
"""

from __future__ import annotations

from textual.widgets import Static

__all__ = ["NarrationBar"]


class NarrationBar(Static, can_focus=False):
    """The latest narration, in the theme's narration colours; invisible before the first."""

    DEFAULT_CSS = """
    NarrationBar {
        display: none;
        height: auto;
        padding: 0 1;
        background: $raft-narration;
        color: $raft-narration-text;
        text-style: bold;
    }
    NarrationBar.-shown {
        display: block;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__("", markup=False, name=name, id=id, classes=classes)
        self.text: str | None = None

    def say(self, text: str, time_ms: int) -> None:
        """Show a narration line (replacing the previous one)."""
        self.text = text
        self.update(f"» {text}   [{time_ms / 1000:.1f}s]")
        self.add_class("-shown")
