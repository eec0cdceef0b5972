"""UI room: the node inspector, everything one node knows (``enter`` on the selected node).

It stays live: while it is open the app hands it every new view. A leader also shows its
progress table (etcd's tracker: match, next, state, inflights, paused, recently active), the
thing to watch when a follower falls behind or a probe walks back its next index.
Only navigation happens here (←/→ or tab pick another node); the inspector never sends commands.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from raftviz.core.sim.events import ClusterView, NodeView
from raftviz.widgets.node_card import card_key, link_state, timer_ratio
from raftviz.widgets.palette import Palette, node_label, role_info

__all__ = ["InspectorScreen"]

LOG_TAIL = 12
"""Entries of the log shown with their data (the log grid shows the whole log's shape)."""


def _inspector_key(node: NodeView) -> tuple[object, ...]:
    """What the inspector shows, compared in bounded time (logs and stores can be long)."""
    return (card_key(node), node.progress, node.log[-LOG_TAIL:], len(node.kv), node.kv[:12])


class InspectorScreen(ModalScreen[None]):
    """A live, read-only view of one node."""

    DEFAULT_CSS = """
    InspectorScreen {
        align: center middle;
    }
    InspectorScreen > #inspector {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    InspectorScreen #inspector-title {
        width: 100%;
        text-style: bold;
    }
    InspectorScreen #inspector-body {
        height: 1fr;
    }
    InspectorScreen #progress {
        height: auto;
        max-height: 12;
        margin-top: 1;
    }
    InspectorScreen #inspector-hint {
        color: $raft-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close"),
        Binding("right,tab", "move(1)", "Next node"),
        Binding("left,shift+tab", "move(-1)", "Previous node"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._view: ClusterView | None = None
        self.node_id = 0
        self._composed = False

    def show(self, view: ClusterView, node: int) -> None:
        """Inspect this node (before each opening: the app keeps this screen for reuse)."""
        self._view = view
        self.node_id = node
        self._refresh_content()

    def compose(self) -> ComposeResult:
        with Vertical(id="inspector"):
            yield Label("", id="inspector-title", markup=False)
            with VerticalScroll(id="inspector-body"):
                yield Static("", id="state")
                yield DataTable(id="progress", show_cursor=False, cursor_type="none")
                yield Static("", id="log-tail")
            yield Label("←/→ other node · esc close", id="inspector-hint")

    def on_mount(self) -> None:
        table = self.query_one("#progress", DataTable)
        table.can_focus = False
        for label in (
            "follower",
            "match",
            "next",
            "state",
            "inflight",
            "paused",
            "active",
            "learner",
        ):
            table.add_column(label, key=label)
        self._composed = True
        self._refresh_content()

    def update_view(self, view: ClusterView) -> None:
        """A new snapshot from the app; redraws only if this node's state changed."""
        old = self.node
        self._view = view
        new = self.node
        if old is None or new is None or _inspector_key(old) != _inspector_key(new):
            self._refresh_content()

    @property
    def node(self) -> NodeView | None:
        nodes = self._view.nodes if self._view is not None else ()
        return next((n for n in nodes if n.id == self.node_id), None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_move(self, step: int) -> None:
        ids = [n.id for n in self._view.nodes] if self._view is not None else []
        if not ids:
            return
        position = ids.index(self.node_id) if self.node_id in ids else 0
        self.node_id = ids[(position + step) % len(ids)]
        self._refresh_content()

    # ------------------------------------------------------------------ drawing

    def _refresh_content(self) -> None:
        if not self._composed:
            return
        node = self.node
        palette = Palette.from_variables(self.app.theme_variables)
        title = self.query_one("#inspector-title", Label)
        table = self.query_one("#progress", DataTable)
        if node is None:
            title.update(f"{node_label(self.node_id)}: no such node")
            table.display = False
            return
        info = role_info(node.role, node.alive)
        heading = Text()
        heading.append(f" {node_label(node.id)} ", palette.badge("raft-selected"))
        heading.append(" ")
        heading.append(f" {info.glyph} {info.word} ", palette.role_badge(node.role, node.alive))
        heading.append(f"  term {node.term}", palette.term(node.term))
        if not node.alive:
            heading.append("  (persisted state of a crashed node)", palette.muted)
        title.update(heading)
        self.query_one("#state", Static).update(self._state_table(node, palette))
        self._fill_progress(node, table, palette)
        self.query_one("#log-tail", Static).update(self._log_tail(node, palette))

    def _state_table(self, node: NodeView, palette: Palette) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style=palette.muted, justify="right")
        table.add_column()
        table.add_column(style=palette.muted, justify="right")
        table.add_column()
        last_term = node.log[-1].term if node.log else 0
        vote = node_label(node.vote) if node.vote else "none"
        lead = node_label(node.lead) if node.lead else "none"
        timer = f"{node.election_elapsed}/{node.election_timeout} ticks ({timer_ratio(node):.0%})"
        votes = " ".join(f"{node_label(i)}{'✓' if ok else '✗'}" for i, ok in node.votes) or "–"
        kv = ", ".join(f"{k}={v}" for k, v in node.kv[:12]) or "–"
        if len(node.kv) > 12:
            kv += f" … ({len(node.kv)} keys)"
        rows = [
            ("alive", "yes" if node.alive else "NO (crashed)", "role", node.role),
            ("term", str(node.term), "vote", vote),
            (
                "lead",
                lead,
                "transferee",
                node_label(node.lead_transferee) if node.lead_transferee else "–",
            ),
            ("commit", str(node.commit), "applied", str(node.applied)),
            ("last index", str(node.last_index), "last term", str(last_term)),
            ("election timer", timer, "votes", votes),
            ("network", link_state(node) or "connected", "kv", kv),
        ]
        for row in rows:
            # Text, not str: a table parses strings as markup, and keys and values are the
            # user's own (``propose "[/x]=[/y]"``).
            table.add_row(*map(Text, row))
        return table

    def _fill_progress(
        self, node: NodeView, table: DataTable[str | Text], palette: Palette
    ) -> None:
        table.clear()
        if not node.progress:
            table.display = False
            return
        table.display = True
        for p in node.progress:
            table.add_row(
                Text(node_label(p.id), style=palette.node(p.id)),
                str(p.match),
                str(p.next),
                p.state,
                str(p.inflight),
                "paused" if p.paused else "–",
                "yes" if p.recent_active else Text("no", style=palette.warning),
                "yes" if p.learner else "–",
            )

    def _log_tail(self, node: NodeView, palette: Palette) -> Text:
        text = Text()
        text.append(
            f"\nLog (last {min(LOG_TAIL, len(node.log))} of {len(node.log)} entries)\n",
            palette.muted,
        )
        for entry in node.log[-LOG_TAIL:]:
            committed = entry.index <= node.commit
            style = palette.term_committed(entry.term) if committed else palette.term(entry.term)
            text.append(f"{entry.index:>6} ", palette.muted)
            text.append(f" t{entry.term} ", style)
            text.append(" committed " if committed else " pending   ", palette.muted)
            text.append((entry.data or "(empty)") + "\n", palette.text)
        return text
