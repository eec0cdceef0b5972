"""UI room: one node drawn as a card, at the level of detail the screen has room for.

The cluster map places these cards on a ring. A card is plain cells (character + Rich style),
not a Textual widget: nine cards and every message in flight are composed into one canvas that
redraws in a few milliseconds, and flights can travel in the gaps between the cards.

Detail levels, from the biggest terminal to 80x24 with nine nodes: every level keeps the node's
id, role (glyph + word + colour), term, commit and last index, and the election timer bar; the
larger ones add vote, known leader, applied index, the votes of a candidate and the link state.
Everything else is one `enter` away, in the inspector.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style

from raftviz.core.sim.events import NodeView
from raftviz.widgets.palette import Palette, node_label, role_info, role_key

__all__ = ["CARD_LEVELS", "CardLevel", "Cell", "CellLine", "card_key", "render_card", "timer_ratio"]

Cell = tuple[str, Style]


class CellLine:
    """A row of single-width cells being built left to right.

    Every glyph raftviz draws is one cell wide, so a list of (char, style) is an exact picture
    of the row; blitting rows into the map canvas is then plain list slicing.
    """

    __slots__ = ("cells",)

    def __init__(self) -> None:
        self.cells: list[Cell] = []

    def add(self, text: str, style: Style) -> CellLine:
        self.cells.extend((char, style) for char in text)
        return self

    def fit(self, width: int, style: Style) -> list[Cell]:
        """Exactly `width` cells: padded with blanks, or cut with an ellipsis."""
        cells = self.cells
        if len(cells) > width:
            return [*cells[: max(width - 1, 0)], ("…", cells[width - 1][1])][:width]
        return cells + [(" ", style)] * (width - len(cells))

    def __len__(self) -> int:
        return len(self.cells)


@dataclass(frozen=True, slots=True)
class CardLevel:
    """A card size; `lines` is the number of content lines between the borders."""

    name: str
    width: int
    height: int

    @property
    def lines(self) -> int:
        return self.height - 2


CARD_LEVELS: tuple[CardLevel, ...] = (
    CardLevel("full", 24, 8),
    CardLevel("medium", 20, 6),
    CardLevel("compact", 16, 4),
    CardLevel("tiny", 12, 3),
    CardLevel("micro", 12, 2),
)
"""Largest first: the map picks the first level whose cards all fit without overlapping."""


def card_key(node: NodeView) -> tuple[object, ...]:
    """Everything a card shows, and nothing more: comparing these is cheap even when logs and
    key-value stores hold thousands of items (comparing whole `NodeView`s would not be)."""
    return (
        node.id,
        node.alive,
        node.role,
        node.term,
        node.vote,
        node.lead,
        node.commit,
        node.applied,
        node.last_index,
        node.log[-1].term if node.log else 0,
        node.election_elapsed,
        node.election_timeout,
        node.votes,
        node.lead_transferee,
        node.isolated,
        node.group,
    )


def timer_ratio(node: NodeView) -> float:
    """How far the election timer has run, 0..1 (a timer past its timeout shows full)."""
    if node.election_timeout <= 0:
        return 0.0
    return max(0.0, min(1.0, node.election_elapsed / node.election_timeout))


def _who(node: int) -> str:
    """A vote or leader field: 0 means none, shown as a dash rather than a fake node 0."""
    return node_label(node) if node else "–"


def _votes(node: NodeView, cluster_size: int, palette: Palette) -> CellLine | None:
    """A candidate's tally against the quorum it needs, e.g. ``votes 2/3 ✗1``."""
    if role_key(node.role, node.alive) not in ("candidate", "pre-candidate") or not node.votes:
        return None
    granted = sum(1 for _, ok in node.votes if ok)
    rejected = len(node.votes) - granted
    quorum = cluster_size // 2 + 1
    line = CellLine().add("votes ", palette.muted).add(f"{granted}/{quorum}", palette.success)
    if rejected:
        line.add(f" ✗{rejected}", palette.error)
    return line


def _short_tally(node: NodeView, cluster_size: int, palette: Palette) -> CellLine | None:
    """``✓2/3``: a candidate's votes against the quorum, for the smallest cards."""
    if role_key(node.role, node.alive) not in ("candidate", "pre-candidate") or not node.votes:
        return None
    granted = sum(1 for _, ok in node.votes if ok)
    return CellLine().add(f"✓{granted}/{cluster_size // 2 + 1}", palette.success)


def _footnote(node: NodeView, cluster_size: int, palette: Palette) -> CellLine:
    """The full card's last line when the network is fine: a leader's quorum, else the store.

    "active 4/5" counts the leader and the followers it heard from recently: what check-quorum
    looks at before a leader steps down.
    """
    line = CellLine()
    if role_key(node.role, node.alive) == "leader" and node.progress:
        active = 1 + sum(1 for p in node.progress if p.recent_active and p.id != node.id)
        style = palette.success if active >= cluster_size // 2 + 1 else palette.error
        return line.add("active ", palette.muted).add(f"{active}/{cluster_size}", style)
    return line.add("kv ", palette.muted).add(f"{len(node.kv)} keys", palette.text)


def _timer(node: NodeView, width: int, palette: Palette, *, numbers: bool) -> CellLine:
    """The election timer as a bar of ▰ (elapsed) and ▱ (left); turns urgent near the end."""
    line = CellLine()
    if not node.alive:
        return line.add("╌" * width, palette.muted)
    ratio = timer_ratio(node)
    label = f" {node.election_elapsed}/{node.election_timeout}" if numbers else ""
    bar_width = max(width - len(label), 1)
    filled = round(bar_width * ratio)
    style = palette.fg("raft-timer-urgent" if ratio >= 0.8 else "raft-timer", bold=True)
    line.add("▰" * filled, style).add("▱" * (bar_width - filled), palette.muted)
    return line.add(label, palette.muted)


def link_state(node: NodeView, cuts: Iterable[tuple[int, int]] = (), *, group: bool = True) -> str:
    """Words for the node's network situation: isolation, partition group, cut links.

    `cuts` are directed links (from, to) that drop messages; those touching this node read
    ``✂↔S3`` (cut both ways), ``→S2`` (it cannot send to S2) and ``←S4`` (it cannot hear S4),
    so a one-way cut never looks like a two-way one. Small cards leave the group out
    (``group=False``): the map draws the partition's sides apart.
    """
    parts: list[str] = []
    if node.isolated:
        parts.append("ISOLATED")
    elif node.group is not None and group:
        parts.append(f"grp {node.group}")
    links = set(cuts)
    out = {b for a, b in links if a == node.id and b != node.id}
    into = {a for a, b in links if b == node.id and a != node.id}
    cut = [
        arrow + ",".join(node_label(peer) for peer in sorted(peers))
        for arrow, peers in (("↔", out & into), ("→", out - into), ("←", into - out))
        if peers
    ]
    if cut:
        parts.append("✂" + " ".join(cut))
    if node.lead_transferee:
        parts.append(f"»{node_label(node.lead_transferee)}")
    return " ".join(parts)


def _last_term(node: NodeView) -> int:
    return node.log[-1].term if node.log else 0


def _content(
    node: NodeView,
    level: CardLevel,
    palette: Palette,
    cluster_size: int,
    cuts: Iterable[tuple[int, int]],
) -> list[CellLine]:
    text, muted = palette.text, palette.muted
    inner = level.width - 4
    votes = _votes(node, cluster_size, palette)
    state = link_state(node, cuts)
    term = CellLine().add("term ", muted).add(str(node.term), palette.term(node.term))
    if level.name == "full":
        term.add(" " * max(1, 11 - len(term)), text).add("vote ", muted).add(_who(node.vote), text)
        lead = CellLine().add("lead ", muted).add(_who(node.lead), text)
        if votes is not None:
            lead.add("  ", text).cells.extend(votes.cells)
        commit = CellLine().add("commit ", muted).add(str(node.commit), text)
        commit.add(" " * max(1, 11 - len(commit)), text).add("applied ", muted)
        commit.add(str(node.applied), text)
        last = CellLine().add("last ", muted).add(str(node.last_index), text)
        last.add(f" (t{_last_term(node)})", muted)
        return [
            term,
            lead,
            commit,
            last,
            _timer(node, inner, palette, numbers=True),
            CellLine().add(state, palette.warning)
            if state
            else _footnote(node, cluster_size, palette),
        ]
    if level.name == "medium":
        first = CellLine().add("T", muted).add(str(node.term), palette.term(node.term))
        first.add(" vote ", muted).add(_who(node.vote), text).add(" ld ", muted)
        first.add(_who(node.lead), text)
        second = CellLine().add("cmt ", muted).add(str(node.commit), text)
        second.add(" app ", muted).add(str(node.applied), text)
        third = votes or CellLine().add("last ", muted).add(str(node.last_index), text)
        if votes is None:
            third.add(f" (t{_last_term(node)})", muted)
        return [first, second, third, _timer(node, inner, palette, numbers=True)]
    if level.name == "compact":
        first = votes or (
            CellLine()
            .add("v", muted)
            .add(str(node.vote or "–"), text)
            .add(" c", muted)
            .add(str(node.commit), text)
            .add("/", muted)
            .add(str(node.last_index), text)
        )
        return [first, _timer(node, inner + 2, palette, numbers=False)]
    tally = _short_tally(node, cluster_size, palette)
    line = tally if tally is not None else CellLine().add("c", muted).add(str(node.commit), text)
    if tally is None:
        line.add("/", muted).add(str(node.last_index), text)
    line.add(" ", text)
    bar = _timer(node, max(level.width - 2 - len(line), 1), palette, numbers=False)
    line.cells.extend(bar.cells)
    return [line]


def _title(node: NodeView, level: CardLevel, palette: Palette, selected: bool) -> CellLine:
    info = role_info(node.role, node.alive)
    title = CellLine()
    if selected:
        title.add("▶", palette.fg("raft-selected", bold=True))
    title.add(
        node_label(node.id), palette.fg("raft-selected", bold=True) if selected else palette.text
    )
    title.add(" ", palette.text)
    word = {"full": info.word, "medium": info.mid}.get(level.name, info.short)
    if level.name == "tiny":
        title.add(f"{info.glyph}", palette.role_badge(node.role, node.alive))
        title.add(" T", palette.muted).add(str(node.term), palette.term(node.term))
    else:
        title.add(f"{info.glyph} {word}", palette.role_badge(node.role, node.alive))
        if level.name == "compact":
            title.add(" T", palette.muted).add(str(node.term), palette.term(node.term))
    return title


def render_card(
    node: NodeView,
    level: CardLevel,
    palette: Palette,
    *,
    selected: bool = False,
    cluster_size: int = 5,
    cuts: Iterable[tuple[int, int]] = (),
) -> list[list[Cell]]:
    """The card as `level.height` rows of exactly `level.width` cells.

    The selected node gets a heavy border and a ▶ marker (not only a colour); a crashed node a
    dashed border, so both survive monochrome.
    """
    width = level.width
    cuts = tuple(cuts)
    if level.name == "micro":
        return _micro(node, width, palette, selected, cuts, cluster_size)
    border = palette.role(node.role, node.alive, bold=selected)
    blank = palette.text
    if selected:
        tl, tr, bl, br, h, v = "┏", "┓", "┗", "┛", "━", "┃"
    elif not node.alive:
        tl, tr, bl, br, h, v = "╭", "╮", "╰", "╯", "╌", "╎"
    else:
        tl, tr, bl, br, h, v = "╭", "╮", "╰", "╯", "─", "│"

    # The selected card's ▶ takes the place of the border's first dash, and the space after the
    # title goes first when the title fills the row: a small card stays whole when selected
    # ("┏▶S1 ○ FOLL T1 ┓") and at two-digit terms ("╭─S5 ○ FOLL T12╮").
    top = CellLine().add(tl if selected else tl + h, border)
    top.cells.extend(_title(node, level, palette, selected).cells)
    if len(top) < width - 1:
        top.add(" ", border)
    top_cells = top.fit(width - 1, border)
    top_cells = [
        (h if char == " " and i >= len(top) else char, style)
        for i, (char, style) in enumerate(top_cells)
    ]
    rows: list[list[Cell]] = [[*top_cells, (tr, border)]]

    contents = _content(node, level, palette, cluster_size, cuts)
    pad = 1 if level.name in ("full", "medium") else 0
    for index in range(level.lines):
        line = contents[index] if index < len(contents) else CellLine()
        inner = line.fit(width - 2 - 2 * pad, blank)
        rows.append(
            [(v, border), *([(" ", blank)] * pad), *inner, *([(" ", blank)] * pad), (v, border)]
        )

    bottom = CellLine().add(bl, border)
    state = link_state(node, cuts, group=False) if level.name != "full" else ""
    if state and len(state) + 4 <= width - 1:
        bottom.add(h, border).add(f" {state} ", palette.warning)
    elif state:
        bottom.add(state, palette.warning)  # tight: the words matter more than the frame
    else:
        bottom.add(h, border)
    bottom_cells = bottom.fit(width - 1, border)
    bottom_cells = [
        (h if char == " " and i >= len(bottom) else char, style)
        for i, (char, style) in enumerate(bottom_cells)
    ]
    rows.append([*bottom_cells, (br, border)])
    return rows


def _micro(
    node: NodeView,
    width: int,
    palette: Palette,
    selected: bool,
    cuts: Iterable[tuple[int, int]],
    cluster_size: int,
) -> list[list[Cell]]:
    """Two borderless rows for the smallest screens: a role-coloured chip, then indexes.

    Without a border the chip's glyph carries the role and ▶ the selection (plus bold and
    underline), so monochrome still tells them apart.
    """
    info = role_info(node.role, node.alive)
    chip = palette.role_badge(node.role, node.alive)
    if selected:
        chip = chip + Style(underline=True)
    top = CellLine().add(
        ("▶" if selected else " ") + f"{node_label(node.id)} {info.glyph} T{node.term}", chip
    )
    state = link_state(node, cuts, group=False)
    if node.group is not None and not node.isolated and len(top) + 3 <= width:
        top.add(f" g{node.group}", chip)
    second = CellLine()
    if node.isolated:
        second.add("ISOLATED", palette.warning)
    elif state.startswith("✂"):
        second.add(state, palette.warning)
    else:
        tally = _short_tally(node, cluster_size, palette)
        if tally is not None:
            second.cells.extend(tally.cells)
        else:
            second.add("c", palette.muted).add(str(node.commit), palette.text)
            second.add("/", palette.muted).add(str(node.last_index), palette.text)
        second.add(" ", palette.text)
        second.cells.extend(_timer(node, max(width - len(second), 1), palette, numbers=False).cells)
    return [top.fit(width, chip), second.fit(width, palette.text)]
