"""UI room: raftviz's visual vocabulary, shared by every widget and by the help screen's legend.

Every state is told apart twice: by a theme colour *and* by a glyph or a word, so the screen
still reads in monochrome (NO_COLOR), on a washed-out projector or for a colour-blind student.
Colours come from the theme variables (``$raft-leader``...), read once per theme into Rich
styles, so themes retarget them without touching any widget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rich.style import Style
from textual.color import Color

__all__ = [
    "FLIGHT_DROPPED",
    "MARK_MATCH",
    "MARK_NEXT",
    "MSG_KINDS",
    "ROLES",
    "MsgKind",
    "Palette",
    "RoleInfo",
    "classify_message",
    "direction_arrow",
    "node_label",
    "role_info",
    "role_key",
]


# ------------------------------------------------------------------ roles


@dataclass(frozen=True, slots=True)
class RoleInfo:
    """How one role is drawn: a glyph, a word and a short word for compact cards."""

    key: str
    glyph: str
    word: str
    mid: str
    short: str
    variable: str


ROLES: dict[str, RoleInfo] = {
    "leader": RoleInfo("leader", "★", "LEADER", "LEADER", "LEAD", "raft-leader"),
    "candidate": RoleInfo("candidate", "◆", "CANDIDATE", "CANDIDATE", "CAND", "raft-candidate"),
    "pre-candidate": RoleInfo(
        "pre-candidate", "◇", "PRE-CANDIDATE", "PRE-CAND", "PRE", "raft-precandidate"
    ),
    "follower": RoleInfo("follower", "○", "FOLLOWER", "FOLLOWER", "FOLL", "raft-follower"),
    "crashed": RoleInfo("crashed", "✖", "CRASHED", "CRASHED", "DOWN", "raft-crashed"),
}
"""In legend order: the glyph alone tells the role apart, the colour only reinforces it."""


def role_key(role: str, alive: bool = True) -> str:
    """Normalise a role name from the contract (or an etcd ``StateLeader``) to a `ROLES` key."""
    if not alive:
        return "crashed"
    name = role.strip().lower().replace("_", "-")
    name = name.removeprefix("state")
    if name in ("precandidate", "pre-candidate"):
        return "pre-candidate"
    return name if name in ROLES else "follower"


def role_info(role: str, alive: bool = True) -> RoleInfo:
    """The drawing of a node's role; a crashed node's persisted role is not shown."""
    return ROLES[role_key(role, alive)]


def node_label(node: int) -> str:
    """Nodes are called S1..S9 everywhere, as in the Raft paper and RaftScope."""
    return f"S{node}"


# ------------------------------------------------------------------ messages


@dataclass(frozen=True, slots=True)
class MsgKind:
    """The family a message belongs to, and how it is drawn in flight.

    Requests carry an upper-case letter, responses the lower-case one followed by ✓ (granted)
    or ✗ (rejected), so a frozen frame still says what every message is.
    """

    key: str
    letter: str
    title: str
    variable: str


MSG_KINDS: dict[str, MsgKind] = {
    "prevote": MsgKind("prevote", "P", "pre-vote", "raft-msg-prevote"),
    "vote": MsgKind("vote", "V", "vote", "raft-msg-vote"),
    "append": MsgKind("append", "A", "append entries", "raft-msg-append"),
    "heartbeat": MsgKind("heartbeat", "H", "heartbeat", "raft-msg-heartbeat"),
    "transfer": MsgKind("transfer", "T", "leadership transfer / timeout-now", "raft-msg-transfer"),
    "snapshot": MsgKind("snapshot", "S", "snapshot", "raft-msg-other"),
    "other": MsgKind("other", "M", "other (proposal forward, read index...)", "raft-msg-other"),
}

_TYPE_TO_KIND: dict[str, tuple[str, bool]] = {
    "prevote": ("prevote", False),
    "prevoteresp": ("prevote", True),
    "vote": ("vote", False),
    "voteresp": ("vote", True),
    "app": ("append", False),
    "append": ("append", False),
    "appresp": ("append", True),
    "appendresp": ("append", True),
    "heartbeat": ("heartbeat", False),
    "heartbeatresp": ("heartbeat", True),
    "transferleader": ("transfer", False),
    "timeoutnow": ("transfer", False),
    "snap": ("snapshot", False),
    "snapshot": ("snapshot", False),
    "snapstatus": ("snapshot", True),
}

FLIGHT_DROPPED = "⊘"
"""Drawn next to the kind letter where a message was dropped (loss, cut, crashed receiver)."""

MARK_MATCH = "✓"
"""In a follower's log row: the leader's match index for it (known replicated up to here)."""

MARK_NEXT = "→"
"""In a follower's log row: the leader's next index for it (what it sends next)."""


@lru_cache(maxsize=64)
def classify_message(msg_type: str) -> tuple[MsgKind, bool]:
    """Map an etcd message type (``MsgPreVoteResp``, ``prevote-resp``...) to (kind, is_response)."""
    name = msg_type.strip().lower().replace("-", "").replace("_", "")
    name = name.removeprefix("msg")
    key, response = _TYPE_TO_KIND.get(name, ("other", name.endswith("resp")))
    return MSG_KINDS[key], response


_ARROWS = ("→", "↘", "↓", "↙", "←", "↖", "↑", "↗")


def direction_arrow(dx: float, dy: float) -> str:
    """One of eight arrows pointing along (dx, dy) in screen cells (y grows downwards).

    Cells are about twice as tall as wide, so dy is doubled to get the angle the eye sees.
    """
    if dx == 0 and dy == 0:
        return "•"
    angle = math.atan2(dy * 2.0, dx)
    octant = round(angle / (math.pi / 4)) % 8
    return _ARROWS[octant]


# ------------------------------------------------------------------ colours

TERM_COLOURS = 8
"""Terms cycle through this many theme colours ($raft-term-1..8); the number is always shown."""

NODE_COLOURS = 9
"""One colour per node id ($raft-node-1..9) for the event log."""


def _parse(value: str | None, fallback: Color) -> Color:
    if not value:
        return fallback
    try:
        return Color.parse(value.split()[0] if value.startswith("auto") else value)
    except Exception:
        return fallback


def _opaque(colour: Color, background: Color) -> Color:
    """Flatten a translucent colour on the background: projectors wash out alpha."""
    if colour.a >= 1.0:
        return colour
    return background.blend(colour.with_alpha(1.0), colour.a)


@dataclass(frozen=True)
class Palette:
    """Rich styles for one theme, built from the theme variables (see `themes`).

    Built once per theme change (see `Palette.from_variables`'s cache), so rendering code just
    looks styles up instead of parsing colours every frame.
    """

    background: Color
    foreground: Color
    colours: Mapping[str, Color]

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        """Read every ``raft-*`` variable plus the few base colours the widgets need.

        Textual builds a new variables dict on every theme change, so the last dict seen is
        remembered by identity: rendering calls this every frame at the cost of one `is`.
        """
        global _LAST
        if _LAST is not None and _LAST[0] is variables:
            return _LAST[1]
        palette = _palette_from_items(tuple(sorted(variables.items())))
        _LAST = (variables, palette)
        return palette

    # -- basic lookups

    def colour(self, variable: str) -> Color:
        """A theme colour by variable name, opaque, with the foreground as a last resort."""
        return self.colours.get(variable, self.foreground)

    def fg(self, variable: str, *, bold: bool = False) -> Style:
        return _fg_style(self.colour(variable), bold)

    def badge(self, variable: str) -> Style:
        """Reverse-video chip: the colour as background with a contrasting bold text."""
        return _badge_style(self.colour(variable))

    # -- semantic styles

    @property
    def text(self) -> Style:
        return _fg_style(self.foreground, False)

    @property
    def muted(self) -> Style:
        """Secondary text, opaque (never alpha, which disappears on projectors)."""
        return _fg_style(self.colour("raft-muted"), False)

    @property
    def error(self) -> Style:
        return _fg_style(self.colour("error"), True)

    @property
    def success(self) -> Style:
        return _fg_style(self.colour("success"), True)

    @property
    def warning(self) -> Style:
        return _fg_style(self.colour("warning"), True)

    def role(self, role: str, alive: bool = True, *, bold: bool = False) -> Style:
        return self.fg(role_info(role, alive).variable, bold=bold)

    def role_badge(self, role: str, alive: bool = True) -> Style:
        return self.badge(role_info(role, alive).variable)

    def term(self, term: int) -> Style:
        return self.fg(self.term_variable(term), bold=True)

    def term_committed(self, term: int) -> Style:
        return self.badge(self.term_variable(term))

    @staticmethod
    def term_variable(term: int) -> str:
        return f"raft-term-{(max(term, 1) - 1) % TERM_COLOURS + 1}"

    def node(self, node: int) -> Style:
        return self.fg(f"raft-node-{(max(node, 1) - 1) % NODE_COLOURS + 1}", bold=True)

    def message(self, msg_type: str, reject: bool = False) -> Style:
        """Requests in their kind's colour; responses granted/rejected in those two colours."""
        kind, response = classify_message(msg_type)
        if response:
            return self.fg("raft-msg-rejected" if reject else "raft-msg-granted", bold=True)
        return self.fg(kind.variable, bold=True)


_LAST: tuple[Mapping[str, str], Palette] | None = None


@lru_cache(maxsize=16)
def _palette_from_items(items: tuple[tuple[str, str], ...]) -> Palette:
    variables = dict(items)
    background = _parse(variables.get("background"), Color(0, 0, 0))
    background = background if background.a >= 1.0 else Color(0, 0, 0)
    foreground = _opaque(_parse(variables.get("foreground"), Color(224, 224, 224)), background)
    colours: dict[str, Color] = {}
    for name, value in variables.items():
        if name.startswith("raft-") or name in ("error", "success", "warning", "accent", "primary"):
            colours[name] = _opaque(_parse(value, foreground), background)
    colours.setdefault("raft-muted", background.blend(foreground, 0.62))
    return Palette(background=background, foreground=foreground, colours=colours)


@lru_cache(maxsize=256)
def _fg_style(colour: Color, bold: bool) -> Style:
    return Style(color=colour.rich_color, bold=bold or None)


@lru_cache(maxsize=256)
def _badge_style(colour: Color) -> Style:
    contrast = colour.get_contrast_text(1.0)
    return Style(color=contrast.rich_color, bgcolor=colour.rich_color, bold=True)
