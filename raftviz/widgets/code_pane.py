"""UI room: the code pane (``C``), the steps of etcd/raft's code behind the latest decisions.

For readers of etcd/raft's source: each story the core tells carries its path through etcd's
code (`raftviz.core.raft.codepath`), and this pane shows it, one step a line with the values
compared (the event log beside it tells the same decisions in words), for the stories of one
moment: the latest one, or while the event log is scrolled
back, the latest on its screen. Stepping with ``.``, every step shows the code that acted.
One decision often causes the next (a won tally, then the campaign or the empty entry it
starts): where a path goes on from the one above it, only its new steps are shown.

Paths are text from the core and shown as text, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Reversible, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from raftviz.core.sim.events import Event
from raftviz.core.sim.story import Story
from raftviz.widgets.palette import Palette, node_label

__all__ = ["CodePane", "code_text", "moment_stories"]

_NAME = re.compile(r"[A-Za-z_.]+(\([^)]*\))?")
"""The etcd function, case or field a step starts with (``poll``, ``campaign(...)``)."""


def moment_stories(
    history: Reversible[Event], node: int | None = None, upto_seq: int | None = None
) -> tuple[Story, ...]:
    """The stories of the latest moment (simulated time) with one, up to event `upto_seq`,
    of node `node` if given: what one step (``.``) or one tick decided. Read from the end,
    so a long history costs nothing."""
    found: list[Story] = []
    for event in reversed(history):
        if upto_seq is not None and event.seq > upto_seq:
            continue
        if found and event.time_ms != found[-1].time_ms:
            break
        if isinstance(event, Story) and (node is None or event.node == node):
            found.append(event)
    return tuple(reversed(found))


def code_text(stories: Sequence[Story], palette: Palette) -> Group:
    """Each story (time, node, kind), then its steps, numbered, wrapped under their text; a
    path that goes on from the one above starts where that one ended."""
    if not stories:
        return Group(Text("No decision yet: step with . or run with space.", palette.muted))
    parts: list[Text | Table] = []
    previous: tuple[str, ...] = ()
    for story in stories:
        header = Text()
        if parts:
            header.append("\n")
        header.append(f"{story.time_ms / 1000:.3f}s ", palette.muted)
        # No run of text starts with a space: SVG screenshots lose a run's leading spaces.
        header.append(f"{node_label(story.node)} ", palette.node(story.node))
        header.append(f"{story.kind}  ", palette.fg("primary", bold=True))
        path = story.path
        shared = len(previous) if previous and path[: len(previous)] == previous else 0
        if not path:
            header.append("the simulation's own decision: no etcd/raft code", palette.muted)
        elif shared:
            header.append(f"steps 1-{shared} as above, then", palette.muted)
        parts.append(header)
        steps = Table.grid(padding=(0, 1))
        steps.add_column(justify="right", style=palette.muted)
        steps.add_column(ratio=1)
        for number, step in enumerate(path[shared:], start=shared + 1):
            name = _NAME.match(step)
            end = name.end() if name else 0
            while step[end : end + 1] == " ":
                end += 1
            line = Text(step[:end], palette.fg("accent", bold=True))
            line.append(step[end:], palette.text)
            steps.add_row(str(number), line)
        if steps.row_count:
            parts.append(steps)
        previous = path
    return Group(*parts)


class CodePane(VerticalScroll, can_focus=False):
    """The code path of the stories of one moment; it redraws only when they change."""

    DEFAULT_CSS = """
    CodePane {
        height: 2fr;
        background: $background;
    }
    CodePane > Static {
        width: 100%;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Static(""), id=id, classes=classes)
        self._shown: tuple[tuple[int, ...], str] | None = None

    def show(self, stories: Sequence[Story], where: str) -> None:
        """Show `stories`' paths; `where` says whose moment it is, in the title."""
        key = (tuple(s.seq for s in stories), self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        palette = Palette.from_variables(self.app.theme_variables)
        self.query_one(Static).update(code_text(stories, palette))
        self.border_title = f"Code · etcd/raft · {where}"
        self.scroll_home(animate=False)
