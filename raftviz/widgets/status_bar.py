"""UI room: the status bar, the one line that says what the run is doing right now.

Simulated time, speed, running or paused, seed, leader and the highest term, the network's
faults (partitions, cuts, loss), the selected node (the one the keys act on) and the safety
verdict. While the nodes run an unsafe variant of Raft (a safety rule switched off), a red
badge on a line of its own names it, so that no one takes what follows for etcd's Raft.
A safety violation turns the whole bar into the
violation colour and adds one full-width line per violation, in words, so it cannot be missed
even in monochrome; a failure of the simulation itself is shown the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from raftviz.widgets.palette import ROLES, Palette, node_label

__all__ = ["StatusBar", "StatusInfo"]


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """Everything the bar shows; equal infos mean nothing to redraw."""

    time_ms: int = 0
    speed: float = 1.0
    achieved: float | None = None
    busy: str | None = None
    paused: bool = True
    seed: int = 0
    leader: int | None = None
    term: int = 0
    selected: int = 0
    violations: tuple[str, ...] = ()
    network: tuple[str, ...] = ()
    failure: str | None = None
    nodes: int = 0
    unsafe: tuple[str, ...] = ()


def _lines(info: StatusInfo) -> int:
    extra = (info.failure, info.busy, info.network, info.unsafe)
    return 1 + len(info.violations) + sum(1 for line in extra if line)


def format_speed(speed: float) -> str:
    """``×1``, ``×0.125``, ``×64``: the speed factor as the keys change it."""
    return f"×{speed:g}"


@dataclass(frozen=True, slots=True)
class _Brief:
    """What the first line leaves out when it must be short."""

    selected: bool = True  # "selected ▶S1" (the selected card carries ▶ too)
    seed: bool = True  # "seed 7" (also in the saved session's name)
    words: bool = True  # "t ", "achieved", " leader", "term " spelt out


_BRIEF = (
    _Brief(),
    _Brief(selected=False),
    _Brief(selected=False, seed=False),
    _Brief(selected=False, seed=False, words=False),
)


def _head(info: StatusInfo, palette: Palette, alarm: bool, brief: _Brief) -> Text:
    """The first line: time, speed, seed, leader and term, selection, the safety verdict."""
    muted = palette.muted if not alarm else ""
    plain = palette.text if not alarm else ""
    text = Text(no_wrap=True, overflow="ellipsis")
    if info.paused:
        text.append(" ‖ PAUSED ", palette.badge("raft-timer-urgent"))
    else:
        text.append(" ▶ RUNNING ", palette.badge("raft-leader"))
    text.append(f" {format_speed(info.speed)}", plain)
    if info.achieved is not None:
        # The machine cannot keep the asked speed: say what it really does.
        achieved = format_speed(round(info.achieved, 1))
        text.append(
            f" (achieved {achieved})" if brief.words else f" (≈{achieved})",
            palette.fg("raft-timer-urgent", bold=True) if not alarm else "",
        )
    text.append("  t " if brief.words else "  ", muted)
    text.append(f"{info.time_ms / 1000:.3f}s", plain)
    if brief.seed:
        text.append("  seed ", muted)
        text.append(str(info.seed), plain)
    text.append("  ")
    if info.leader is not None:
        leader = ROLES["leader"]
        text.append(f"{leader.glyph} {node_label(info.leader)}", palette.role("leader", bold=True))
        if brief.words:
            text.append(" leader", muted)
    else:
        text.append("no leader", palette.role("candidate", bold=True))
    text.append("  term " if brief.words else "  T", muted)
    text.append(str(info.term), palette.term(info.term) if not alarm else "")
    if info.selected and brief.selected:
        text.append("  selected ", muted)
        text.append(
            f"▶{node_label(info.selected)}",
            palette.fg("raft-selected", bold=True) if not alarm else "",
        )
    text.append("  ")
    if info.violations:
        count = len(info.violations)
        text.append(
            f" ✖ {count} SAFETY VIOLATION{'S' if count > 1 else ''} ",
            palette.badge("raft-violation"),
        )
    else:
        text.append(" ✔ SAFE ", palette.badge("success"))
    return text


class StatusBar(Widget, can_focus=False):
    """The top line (and, on a violation, the lines under it)."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    StatusBar.-violation {
        background: $raft-violation;
        color: $raft-violation-text;
        text-style: bold;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._info = StatusInfo()

    @property
    def info(self) -> StatusInfo:
        return self._info

    def update_status(self, info: StatusInfo) -> None:
        if info == self._info:
            return
        # Only a change in the number of lines needs a new layout; the clock ticking does not.
        relayout = _lines(info) != _lines(self._info)
        self._info = info
        self.set_class(bool(info.violations or info.failure), "-violation")
        self.refresh(layout=relayout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    def render(self) -> Text:
        info = self._info
        palette = Palette.from_variables(self.app.theme_variables)
        alarm = bool(info.violations or info.failure)
        # The first line is one line at any width: a line too long for the terminal used to
        # wrap into a second one, mid-field, and squeeze the cards into their smallest size.
        # It sheds the fields shown elsewhere first, and ends in an ellipsis as a last resort.
        width = max(self.size.width, 1)
        for brief in range(len(_BRIEF)):
            text = _head(info, palette, alarm, _BRIEF[brief])
            if text.cell_len <= width:
                break
        text.truncate(width, overflow="ellipsis")
        if info.unsafe:
            # Its own line, like the network's: the first one sheds fields, this one must stay.
            text.append("\n")
            text.append(
                f" UNSAFE: {', '.join(info.unsafe)} ",
                palette.badge("raft-violation") if not alarm else "reverse",
            )
            text.append("  a safety rule of Raft is off", palette.muted if not alarm else "")
        if info.network:
            # A line of its own: at 80 columns the first line is already full.
            text.append(
                "\n⚡ network: " + " · ".join(info.network),
                palette.fg("raft-timer-urgent", bold=True) if not alarm else "",
            )
        if info.busy:
            text.append(f"\n⏩ {info.busy}", palette.fg("raft-timer-urgent") if not alarm else "")
        for violation in info.violations:
            text.append(f"\n✖ SAFETY VIOLATION: {violation}")
        if info.failure:
            text.append(f"\n✖ SIMULATION FAILED: {info.failure}  (q quits)")
        return text
