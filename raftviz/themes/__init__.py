"""UI room: raftviz's themes and the colour variables its widgets are drawn with.

Role, message, term and node colours are *theme variables* (``$raft-leader``...), supplied as
defaults through `App.get_theme_variable_defaults` and overridden per theme through
`Theme.variables`. They are deliberately not declared in a ``.tcss`` file: a TCSS-level
``$raft-leader: ...;`` would beat `Theme.variables`, and no theme could retarget it (see
textual-trio-notes.md, section 3.1).

Four themes ship: ``raft-dark`` (default), ``raft-light`` (paper-white slides),
``raft-projector`` (black and white with saturated, fully opaque colours) and
``raft-colorblind`` (the Okabe-Ito palette). Any other Textual theme also works: the defaults
fill in the raft variables from the dark or light set and from that theme's own colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color
from textual.theme import Theme

__all__ = [
    "DEFAULT_THEME",
    "RAFT_VARIABLES",
    "STYLESHEET",
    "THEMES",
    "register_themes",
    "theme_variable_defaults",
]

STYLESHEET = Path(__file__).with_name("raftviz.tcss")
"""The app's layout stylesheet (colours come from variables, never literals)."""

DEFAULT_THEME = "raft-dark"

_ROLE_AND_MESSAGE_NAMES = (
    "raft-leader",
    "raft-candidate",
    "raft-precandidate",
    "raft-follower",
    "raft-crashed",
    "raft-msg-prevote",
    "raft-msg-vote",
    "raft-msg-append",
    "raft-msg-heartbeat",
    "raft-msg-transfer",
    "raft-msg-other",
    "raft-msg-granted",
    "raft-msg-rejected",
    "raft-msg-dropped",
    "raft-timer",
    "raft-timer-urgent",
    "raft-selected",
    "raft-cut",
    "raft-narration",
    "raft-narration-text",
    "raft-violation",
    "raft-violation-text",
    "raft-muted",
)


def _palette(
    roles: tuple[str, str, str, str, str],
    messages: tuple[str, str, str, str, str, str, str, str, str],
    terms: tuple[str, ...],
    nodes: tuple[str, ...],
    extra: Mapping[str, str],
) -> dict[str, str]:
    """Spell out one theme's raft variables from compact tuples (order = the names above)."""
    values = dict(zip(_ROLE_AND_MESSAGE_NAMES, (*roles, *messages), strict=False))
    values.update({f"raft-term-{i}": colour for i, colour in enumerate(terms, 1)})
    values.update({f"raft-node-{i}": colour for i, colour in enumerate(nodes, 1)})
    values.update(extra)
    return values


_DARK = _palette(
    # leader, candidate, pre-candidate, follower, crashed
    ("#3DDC84", "#FFB020", "#D8B4FE", "#60A5FA", "#8B919A"),
    # prevote, vote, append, heartbeat, transfer, other, granted, rejected, dropped
    (
        "#D8B4FE",
        "#FFB020",
        "#22D3EE",
        "#F472B6",
        "#A3E635",
        "#A1A1AA",
        "#3DDC84",
        "#F87171",
        "#EF4444",
    ),
    ("#60A5FA", "#F59E0B", "#34D399", "#F472B6", "#A78BFA", "#FB923C", "#22D3EE", "#FACC15"),
    (
        "#7DD3FC",
        "#FCA5A5",
        "#86EFAC",
        "#FDE68A",
        "#C4B5FD",
        "#F9A8D4",
        "#FDBA74",
        "#5EEAD4",
        "#D9F99D",
    ),
    {
        "raft-timer": "#60A5FA",
        "raft-timer-urgent": "#FFB020",
        "raft-selected": "#FFFFFF",
        "raft-cut": "#F87171",
        "raft-narration": "#1E3A5F",
        "raft-narration-text": "#FFFFFF",
        "raft-violation": "#DC2626",
        "raft-violation-text": "#FFFFFF",
        "raft-muted": "#9CA3AF",
    },
)

_LIGHT = _palette(
    ("#15803D", "#C2410C", "#7E22CE", "#1D4ED8", "#6B7280"),
    (
        "#7E22CE",
        "#C2410C",
        "#0E7490",
        "#BE185D",
        "#4D7C0F",
        "#52525B",
        "#15803D",
        "#B91C1C",
        "#DC2626",
    ),
    ("#1D4ED8", "#B45309", "#047857", "#BE185D", "#6D28D9", "#C2410C", "#0E7490", "#A16207"),
    (
        "#0369A1",
        "#B91C1C",
        "#15803D",
        "#A16207",
        "#6D28D9",
        "#BE185D",
        "#C2410C",
        "#0F766E",
        "#4D7C0F",
    ),
    {
        "raft-timer": "#1D4ED8",
        "raft-timer-urgent": "#C2410C",
        "raft-selected": "#000000",
        "raft-cut": "#B91C1C",
        "raft-narration": "#DBEAFE",
        "raft-narration-text": "#0B1F3A",
        "raft-violation": "#B91C1C",
        "raft-violation-text": "#FFFFFF",
        "raft-muted": "#4B5563",
    },
)

_PROJECTOR = _palette(
    ("#00FF00", "#FFFF00", "#FF00FF", "#00FFFF", "#B0B0B0"),
    (
        "#FF00FF",
        "#FFFF00",
        "#00FFFF",
        "#FF8000",
        "#80FF00",
        "#FFFFFF",
        "#00FF00",
        "#FF3030",
        "#FF3030",
    ),
    ("#00FFFF", "#FFFF00", "#00FF00", "#FF00FF", "#FF8000", "#FFFFFF", "#80C0FF", "#FF80C0"),
    (
        "#00FFFF",
        "#FFFF00",
        "#00FF00",
        "#FF00FF",
        "#FF8000",
        "#FFFFFF",
        "#80C0FF",
        "#FF80C0",
        "#C0FF80",
    ),
    {
        "raft-timer": "#00FFFF",
        "raft-timer-urgent": "#FFFF00",
        "raft-selected": "#FFFFFF",
        "raft-cut": "#FF3030",
        "raft-narration": "#0000C0",
        "raft-narration-text": "#FFFFFF",
        "raft-violation": "#FF0000",
        "raft-violation-text": "#FFFFFF",
        "raft-muted": "#D0D0D0",
        # Textual generates these with alpha (e.g. #FFFFFF99), which a projector washes out:
        # every text colour here is solid.
        "text": "#FFFFFF",
        "text-muted": "#D0D0D0",
        "text-disabled": "#A0A0A0",
        "foreground-muted": "#D0D0D0",
        "foreground-disabled": "#A0A0A0",
        "border-blurred": "#FFFFFF",
        "block-cursor-foreground": "#000000",
        "block-cursor-blurred-foreground": "#000000",
        "button-color-foreground": "#000000",
        "link-color": "#00FFFF",
        "link-color-hover": "#FFFF00",
        "markdown-h6-color": "#D0D0D0",
        "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF",
        "input-cursor-foreground": "#000000",
        "scrollbar": "#808080",
        "scrollbar-hover": "#C0C0C0",
        "scrollbar-active": "#FFFFFF",
    },
)

# Okabe & Ito (2008): orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple,
# grey. Distinguishable under protanopia, deuteranopia and tritanopia.
_OI = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
_COLORBLIND = _palette(
    (_OI["green"], _OI["orange"], _OI["yellow"], _OI["sky"], _OI["grey"]),
    (
        _OI["yellow"],
        _OI["orange"],
        _OI["sky"],
        _OI["purple"],
        _OI["green"],
        _OI["grey"],
        _OI["green"],
        _OI["vermillion"],
        _OI["vermillion"],
    ),
    (
        _OI["sky"],
        _OI["orange"],
        _OI["green"],
        _OI["yellow"],
        _OI["purple"],
        _OI["vermillion"],
        _OI["blue"],
        "#FFFFFF",
    ),
    (
        _OI["sky"],
        _OI["orange"],
        _OI["green"],
        _OI["yellow"],
        _OI["purple"],
        _OI["vermillion"],
        "#7FB8DA",
        "#FFFFFF",
        _OI["grey"],
    ),
    {
        "raft-timer": _OI["sky"],
        "raft-timer-urgent": _OI["orange"],
        "raft-selected": "#FFFFFF",
        "raft-cut": _OI["vermillion"],
        "raft-narration": "#003F66",
        "raft-narration-text": "#FFFFFF",
        "raft-violation": _OI["vermillion"],
        "raft-violation-text": "#000000",
        "raft-muted": "#B0B0B0",
    },
)

RAFT_VARIABLES: tuple[str, ...] = tuple(_DARK)
"""Every variable the widgets may look up; each theme defines or inherits all of them."""

THEMES: dict[str, Theme] = {
    "raft-dark": Theme(
        name="raft-dark",
        primary="#3B82F6",
        secondary="#8B5CF6",
        accent="#FFB020",
        warning="#FFB020",
        error="#EF4444",
        success="#3DDC84",
        foreground="#E6E8EB",
        background="#0E1116",
        surface="#161B22",
        panel="#1F2630",
        dark=True,
        variables=dict(_DARK),
    ),
    "raft-light": Theme(
        name="raft-light",
        primary="#1D4ED8",
        secondary="#6D28D9",
        accent="#C2410C",
        warning="#B45309",
        error="#B91C1C",
        success="#15803D",
        foreground="#111827",
        background="#FFFFFF",
        surface="#F5F6F8",
        panel="#E8EBF0",
        dark=False,
        variables=dict(_LIGHT),
    ),
    "raft-projector": Theme(
        name="raft-projector",
        primary="#00FFFF",
        secondary="#FF00FF",
        accent="#FFFF00",
        warning="#FFFF00",
        error="#FF3030",
        success="#00FF00",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#202020",
        boost="#202020",
        dark=True,
        text_alpha=1.0,
        variables=dict(_PROJECTOR),
    ),
    "raft-colorblind": Theme(
        name="raft-colorblind",
        primary=_OI["blue"],
        secondary=_OI["purple"],
        accent=_OI["orange"],
        warning=_OI["orange"],
        error=_OI["vermillion"],
        success=_OI["green"],
        foreground="#F0F0F0",
        background="#101418",
        surface="#171C22",
        panel="#222A33",
        dark=True,
        variables=dict(_COLORBLIND),
    ),
}


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    """The raft variables for any theme, including Textual's own, as literal colours.

    Textual calls `App.get_theme_variable_defaults` again on every theme change, so these
    follow the theme: the dark or light set, with the muted grey blended from the theme's own
    foreground and background (opaque). Values must be literals; ``"$accent"`` would not parse.
    """
    base = dict(_DARK if theme.dark else _LIGHT)
    generated = theme.to_color_system().generate()
    try:
        background = Color.parse(generated["background"])
        foreground = Color.parse(generated["foreground"])
    except Exception:
        return base
    if background.a < 1.0 or foreground.a < 1.0:
        return base
    base["raft-muted"] = background.blend(foreground, 0.62).hex
    base["raft-crashed"] = background.blend(foreground, 0.5).hex
    return base


def register_themes(app: App[Any]) -> None:
    """Make raftviz's themes selectable (``--theme``, the command palette, ``App.theme``)."""
    for theme in THEMES.values():
        app.register_theme(theme)
