"""UI room: a scrollable text screen for what commands print, and for the narration history.

``status 1``, ``raft-log 2`` and ``raft-state`` print etcd's formats, several lines each, and
typed at the ``:`` prompt they used to print nowhere. Here they are shown whole: one section
per command, titled with it, lines never wrapped nor cut (the screen scrolls both ways), in
the terminal's own monospace cells. What a command prints includes proposals' data, which is
user text: it is shown as text, never parsed as markup. ``esc`` closes it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from raftviz.widgets.palette import Palette

__all__ = ["OutputScreen"]


class OutputScreen(ModalScreen[None]):
    """Sections of text, each under its title; more can be added while it is open."""

    DEFAULT_CSS = """
    OutputScreen {
        align: center middle;
    }
    OutputScreen > #output {
        width: 95%;
        max-width: 140;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    OutputScreen #output-title {
        width: 100%;
        text-style: bold;
    }
    OutputScreen #output-body {
        height: auto;
        max-height: 80vh;
        overflow-x: auto;
        overflow-y: auto;
    }
    OutputScreen #output-text {
        width: auto;
    }
    OutputScreen.-wrap #output-text {
        width: 100%;
    }
    OutputScreen #output-hint {
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close"),
        Binding("up,k", "scroll(0, -1)", "Scroll up", show=False),
        Binding("down,j", "scroll(0, 1)", "Scroll down", show=False),
        Binding("left,h", "scroll(-4, 0)", "Scroll left", show=False),
        Binding("right,l", "scroll(4, 0)", "Scroll right", show=False),
        Binding("pageup", "scroll(0, -10)", show=False),
        Binding("pagedown,space", "scroll(0, 10)", show=False),
    ]

    def __init__(
        self, title: str, sections: tuple[tuple[str, str | Text], ...] = (), *, wrap: bool = False
    ) -> None:
        """`title` heads the screen; `sections` are (heading, text) pairs, shown in order.
        `wrap`: prose (narration) wraps at the screen's width; etcd's tables do not."""
        super().__init__()
        self._wrap = wrap
        if wrap:
            self.add_class("-wrap")
        self._title = title
        self._sections: list[tuple[str, str | Text]] = list(sections)

    def compose(self) -> ComposeResult:
        with Vertical(id="output"):
            yield Label(Text(self._title), id="output-title")
            with ScrollableContainer(id="output-body"):
                yield Static("", id="output-text")
            yield Label("↑/↓/←/→ scroll · esc close", id="output-hint")

    def on_mount(self) -> None:
        self.query_one("#output-body").can_focus = False
        self._show()

    @property
    def sections(self) -> tuple[tuple[str, str | Text], ...]:
        return tuple(self._sections)

    def add(self, heading: str, text: str | Text) -> None:
        """One more section (a command typed while this is open), scrolled into view."""
        self._sections.append((heading, text))
        if len(self._sections) == 2:
            self._title = f"{self._title} and more"
            self.query_one("#output-title", Label).update(Text(self._title))
        self._show(end=True)

    def _show(self, *, end: bool = False) -> None:
        palette = Palette.from_variables(self.app.theme_variables)
        body = Text() if self._wrap else Text(no_wrap=True, overflow="ignore")
        for index, (heading, text) in enumerate(self._sections):
            if index:
                body.append("\n\n")
            if len(self._sections) > 1 or heading != self._title:
                body.append(f"{heading}\n", palette.fg("primary", bold=True))
            body.append(text if isinstance(text, Text) else Text(text.rstrip("\n")))
        self.query_one("#output-text", Static).update(body)
        if end:
            scroll = self.query_one("#output-body", ScrollableContainer)
            scroll.call_after_refresh(scroll.scroll_end, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, x: int, y: int) -> None:
        body = self.query_one("#output-body", ScrollableContainer)
        body.scroll_relative(x=x, y=y, animate=False)
