"""UI room: the election-time experiment's screen, beside the live cluster.

The app runs the trials (in worker processes, away from the screen's thread) and hands this
screen their progress, then the finished figure: a plot and a table made by whoever draws them
for the command line too, so the classroom sees what `raftviz experiment election-time` prints.
The screen covers the right side of the app only, so the cluster stays in view on a wide
terminal; `escape` closes it and stops whatever is still running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static


class ExperimentScreen(ModalScreen[None]):
    """Progress while the trials run, then the figure. `draw(width, height, log_x)` makes the
    figure for the body's size (called again when resized or when the axis changes)."""

    DEFAULT_CSS = """
    ExperimentScreen {
        align: right top;
        background: $background 30%;
    }
    ExperimentScreen > #experiment {
        width: 62%;
        min-width: 78;
        height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ExperimentScreen #experiment-title {
        text-style: bold;
    }
    ExperimentScreen #experiment-hint {
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("l", "toggle_log", "Log/linear time axis"),
    ]

    def __init__(self, title: str, about: str, total: int, on_close: Callable[[], None]) -> None:
        super().__init__()
        self._title = title
        self._about = about
        self._total = total
        self._on_close = on_close
        self._draw: Callable[[int, int, bool], RenderableType] | None = None
        self._log_x = True

    def compose(self) -> ComposeResult:
        with Vertical(id="experiment"):
            yield Static(Text(self._title), id="experiment-title")
            yield Static(Text(self._about), id="experiment-about")
            yield ProgressBar(total=self._total, id="experiment-progress")
            with VerticalScroll(id="experiment-body"):
                yield Static(id="experiment-figure")
            yield Static(
                Text("escape: close (stops the trials still running)"), id="experiment-hint"
            )

    def advance(self, trials: int) -> None:
        self.query_one(ProgressBar).advance(trials)

    def show(self, draw: Callable[[int, int, bool], RenderableType], summary: str) -> None:
        """The trials are done: the figure, drawn for the width the body has, its time axis
        in log scale (the paper's lines span 100 ms to seconds) until `l` says otherwise."""
        self._draw = draw
        self.query_one(ProgressBar).display = False
        hint = f"{summary} · l: log/linear time axis · escape: close"
        self.query_one("#experiment-hint", Static).update(Text(hint))
        self._redraw()

    def action_toggle_log(self) -> None:
        self._log_x = not self._log_x
        self._redraw()

    def failed(self, problem: str) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#experiment-figure", Static).update(Text(problem))

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._draw is None:
            return
        body = self.query_one("#experiment-body").content_size
        # Room for the scroll bar the table may need below; the plot fits the body's height
        # (a whole plot on screen at 24 rows), from 10 to 20 rows.
        width = max(40, body.width - 2)
        figure = self._draw(width, min(20, max(10, body.height)), self._log_x)
        self.query_one("#experiment-figure", Static).update(Group(figure))

    def action_close(self) -> None:
        self._on_close()
        self.dismiss()
