"""UI room: the help screen (``?``): every key, and a legend of every glyph and colour.

The key list is handed in by the app (built from its own bindings), so it cannot drift from what
the keys really do; the legend is drawn with the same palette and glyphs as the screens it
explains, in the current theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from raftviz.widgets.palette import (
    FLIGHT_DROPPED,
    MARK_MATCH,
    MARK_NEXT,
    MSG_KINDS,
    ROLES,
    TERM_COLOURS,
    Palette,
)
from raftviz.widgets.timeline_strip import GLYPHS

__all__ = ["HelpScreen", "KeyHelp"]

KeyHelp = tuple[str, str]
"""(keys as typed, what they do)."""


_ROLE_MEANING = {
    "leader": "takes client requests, replicates its log, sends heartbeats",
    "candidate": "raised its term and asks for votes",
    "pre-candidate": "asks first whether it could win (pre-vote), without raising its term",
    "follower": "answers the leader and the candidates",
    "crashed": "down: the card shows its persisted state",
}


_LANDMARKS = {
    "violation": "a safety property failed",
    "crash": "a node crashed",
    "restart": "a node restarted",
    "leader": "a new leader",
    "election": "an election started (a candidate)",
    "network": "the network changed (partition, isolation, cut, heal, settings)",
    "mark": "a script's mark",
}


def legend(palette: Palette) -> Group:
    """Every glyph and colour the screens use, drawn exactly as they appear there."""
    roles = Table.grid(padding=(0, 2))
    for info in ROLES.values():
        roles.add_row(
            Text(f" {info.glyph} {info.word} ", style=palette.badge(info.variable)),
            Text(f"{info.glyph} {info.short}", style=palette.fg(info.variable, bold=True)),
            _ROLE_MEANING[info.key],
        )

    messages = Table.grid(padding=(0, 2))
    messages.add_row(
        Text("request", style="bold"),
        Text("granted", style="bold"),
        Text("rejected", style="bold"),
        "",
    )
    for kind in MSG_KINDS.values():
        messages.add_row(
            Text(f"{kind.letter}→", style=palette.fg(kind.variable, bold=True)),
            Text(f"{kind.letter.lower()}✓", style=palette.fg("raft-msg-granted", bold=True)),
            Text(f"{kind.letter.lower()}✗", style=palette.fg("raft-msg-rejected", bold=True)),
            kind.title,
        )
    messages.add_row(
        Text(f"V{FLIGHT_DROPPED}", style=palette.badge("raft-msg-dropped")),
        "",
        "",
        "a dropped message (where it died)",
    )
    messages.add_row(
        Text("···", style=palette.muted), "", "", "the trail behind a message, from its sender"
    )
    messages.add_row(
        Text("✂→ ←✂→", style=palette.fg("raft-cut", bold=True)),
        "",
        "",
        "a link cut one way / both ways (the arrow: the way messages are lost)",
    )
    messages.add_row(
        Text("░", style=palette.warning),
        "",
        "",
        "a partition wall between the sides (labelled partition or isolated)",
    )

    logs = Table.grid(padding=(0, 2))
    terms = Text()
    for term in range(1, TERM_COLOURS + 1):
        terms.append(f"{term:>2}", palette.term_committed(term)).append(" ")
    logs.add_row(
        terms, "committed entries: a solid chip per term (colours cycle, the number is the term)"
    )
    pending = Text()
    for term in range(1, TERM_COLOURS + 1):
        pending.append(f"{term:>2}", palette.term(term)).append(" ")
    logs.add_row(pending, "uncommitted entries: bare digits")
    logs.add_row(
        Text(f" 5{MARK_MATCH}", style=palette.text), "the leader's match index for this follower"
    )
    logs.add_row(
        Text(f"  {MARK_NEXT}", style=palette.text), "the leader's next index for this follower"
    )

    cards = Table.grid(padding=(0, 2))
    cards.add_row(
        Text("▰▰▰▱▱▱ 3/12", style=palette.fg("raft-timer", bold=True)),
        "election timer: elapsed / randomized timeout (ticks)",
    )
    cards.add_row(
        Text("▰▰▰▰▰▱ 10/12", style=palette.fg("raft-timer-urgent", bold=True)),
        "… about to fire (80% and more)",
    )
    cards.add_row(
        Text("┏▶S3━━┓", style=palette.fg("raft-selected", bold=True)),
        "heavy border and ▶: the selected node (the keys act on it)",
    )
    cards.add_row(
        Text("╭╌S2╌╌╮", style=palette.fg("raft-crashed")),
        "dashed border, ✖ CRASHED: a crashed node (persisted state shown)",
    )
    cards.add_row(
        Text("votes 2/3 ✗1", style=palette.success),
        "a candidate's votes granted / needed, and rejections",
    )
    cards.add_row(Text("grp 1", style=palette.warning), "the partition group the node is in")
    cards.add_row(Text("ISOLATED", style=palette.warning), "the node can talk to no one")
    cards.add_row(
        Text("✂↔S3 →S2 ←S4", style=palette.warning),
        "cut both ways with S3 / cannot send to S2 / cannot hear from S4",
    )
    cards.add_row(Text("»S3", style=palette.warning), "leadership is being transferred to S3")

    # Smaller screens (80x24, nine nodes) draw smaller cards in a shorthand: spelt out here.
    small = Table.grid(padding=(0, 2))
    follower = ROLES["follower"]
    small.add_row(
        Text(f"S2 {follower.glyph} {follower.short} T3", style=palette.fg(follower.variable)),
        "short role words (LEAD, CAND, PRE, FOLL, DOWN); T3: term 3",
    )
    small.add_row(Text("v1", style=palette.text), "voted for S1 in this term (v–: no vote)")
    small.add_row(
        Text("c6/8", style=palette.text), "commit index / last log index (6 of 8 committed)"
    )
    small.add_row(
        Text("ld S1  cmt 6  app 6", style=palette.text),
        "known leader, commit index, applied index (medium cards)",
    )
    small.add_row(
        Text("✓2/3", style=palette.success), "a candidate's votes granted / needed (quorum)"
    )
    small.add_row(Text("g1", style=palette.warning), "in partition group 1 (smallest cards)")
    small.add_row(
        Text("▰▰▱▱▱", style=palette.fg("raft-timer", bold=True)),
        "election timer without its numbers (the full card shows them)",
    )

    status = Table.grid(padding=(0, 2))
    status.add_row(
        Text(" ‖ PAUSED ", style=palette.badge("raft-timer-urgent")),
        Text(" ▶ RUNNING ", style=palette.badge("raft-leader")),
        "simulated time stopped / flowing",
    )
    status.add_row(
        Text(" ✔ SAFE ", style=palette.badge("success")),
        Text(" ✖ SAFETY VIOLATION ", style=palette.badge("raft-violation")),
        "every safety property holds / one failed",
    )
    status.add_row(
        Text(" UNSAFE: NAME ", style=palette.badge("raft-violation")),
        "",
        "a safety rule of Raft is off (--unsafe, unsafe=)",
    )
    status.add_row(
        Text("DEBG INFO", style=palette.text),
        Text("WARN ERR!", style=palette.warning),
        "event levels (v changes the minimum shown)",
    )

    timeline = Table.grid(padding=(0, 2))
    timeline.add_row(
        Text(" LIVE ", style=palette.badge("raft-leader")),
        Text(" ◀ PAST ", style=palette.badge("raft-timer-urgent")),
        "the screen shows the session's present / a moment of its past ([ ] { } u, a click)",
    )
    for landmark, (glyph, colour) in GLYPHS.items():
        timeline.add_row(Text(glyph, style=palette.fg(colour, bold=True)), "", _LANDMARKS[landmark])
    timeline.add_row(
        Text("▶", style=palette.fg("raft-selected", bold=True)),
        "",
        "in-flight list: the message the next step delivers",
    )
    timeline.add_row(
        Text("‖ held", style=palette.muted), "", "in-flight list: held (k), it waits until released"
    )

    def heading(title: str) -> Text:
        return Text(f"\n{title}", style=palette.fg("primary", bold=True))

    return Group(
        heading("Roles"),
        roles,
        heading("Messages in flight (map and list)"),
        messages,
        heading("Logs"),
        logs,
        heading("Node cards"),
        cards,
        heading("Small cards: the shorthand"),
        small,
        heading("Status bar and events"),
        status,
        heading("Timeline strip (the whole session; the cursor is where the screen stands)"),
        timeline,
    )


def keys_table(keys: Sequence[KeyHelp], palette: Palette) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style=palette.fg("primary", bold=True), no_wrap=True)
    table.add_column()
    for key, description in keys:
        # Text, not str: a table parses strings as markup, and these are handed in.
        table.add_row(Text(key), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and legend, scrollable so it fits any terminal."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help {
        width: 95%;
        max-width: 110;
        height: 95%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title {
        text-style: bold;
        width: 100%;
    }
    HelpScreen #help-body {
        height: 1fr;
    }
    HelpScreen #help-hint {
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False),
        Binding("down,j", "scroll(1)", "Scroll down", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown,space", "scroll(10)", show=False),
    ]

    def __init__(self, keys: Sequence[KeyHelp]) -> None:
        super().__init__()
        self._keys = tuple(keys)

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Label("raftviz: keys and legend", id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static("", id="help-keys")
                yield Static("", id="help-legend")
            yield Label("↑/↓ scroll · esc close · ctrl+p: every action by name", id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").can_focus = False

    def on_screen_resume(self) -> None:
        """Draw in the current theme at each opening: the app keeps this screen for reuse,
        and the theme may have changed since it was last open."""
        palette = Palette.from_variables(self.app.theme_variables)
        self.query_one("#help-keys", Static).update(keys_table(self._keys, palette))
        self.query_one("#help-legend", Static).update(legend(palette))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)
