"""Core room: the simulated network's links - partitions, isolation, one-way and two-way cuts.

The network decides only *whether* a link carries a message at a given moment; the cluster
decides *when* messages arrive. Keeping the rules here, as plain data, lets the TUI draw the
same partitions the simulation enforces.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Links:
    """Which directed links are open. Everything starts connected."""

    groups: list[frozenset[int]] = field(default_factory=list)
    isolated: set[int] = field(default_factory=set)
    cuts: set[tuple[int, int]] = field(default_factory=set)
    # Links cut for one type of message only: (from, to, type name).
    type_cuts: set[tuple[int, int, str]] = field(default_factory=set)

    def any(self) -> bool:
        """Is any link blocked at all? (The common case, no faults, is checked first.)"""
        return bool(self.groups or self.isolated or self.cuts or self.type_cuts)

    def group_of(self, node: int) -> int | None:
        """Index of the partition group holding `node`; unlisted nodes share one more group."""
        if not self.groups:
            return None
        for i, g in enumerate(self.groups):
            if node in g:
                return i
        return len(self.groups)

    def reason_blocked(self, frm: int, to: int, msg_type: object = None) -> str | None:
        """Why a message from `frm` to `to` (of type `msg_type`) cannot pass now, or None."""
        if frm in self.isolated or to in self.isolated:
            return "isolated"
        if self.groups and self.group_of(frm) != self.group_of(to):
            return "partition"
        if (frm, to) in self.cuts or (frm, to, str(msg_type)) in self.type_cuts:
            return "cut"
        return None

    def partition(self, groups: list[frozenset[int]]) -> None:
        self.groups = [g for g in groups if g]

    def heal(self) -> None:
        self.groups = []
        self.isolated.clear()
        self.cuts.clear()
        self.type_cuts.clear()

    def describe(self) -> str:
        parts: list[str] = []
        if self.groups:
            parts.append(" | ".join(",".join(map(str, sorted(g))) for g in self.groups))
        if self.isolated:
            parts.append("isolated " + ",".join(map(str, sorted(self.isolated))))
        if self.cuts:
            parts.append("cut " + " ".join(f"{a}>{b}" for a, b in sorted(self.cuts)))
        if self.type_cuts:
            parts.append("cut " + " ".join(f"{a}>{b} {t}" for a, b, t in sorted(self.type_cuts)))
        return "; ".join(parts) or "all links open"

    def summary(self) -> tuple[str, ...]:
        """The faults in short words for a status line: ``partition {1,2} | {3,4,5}``,
        ``isolated 5``, ``cut 1>2`` (one way) or ``cut 1-2`` (both ways)."""
        parts: list[str] = []
        if self.groups:
            groups = " | ".join("{" + ",".join(map(str, sorted(g))) + "}" for g in self.groups)
            parts.append(f"partition {groups}")
        if self.isolated:
            parts.append("isolated " + ",".join(map(str, sorted(self.isolated))))
        cuts = sorted(self.cuts)
        shown = [
            f"{a}-{b}" if (b, a) in self.cuts else f"{a}>{b}"
            for a, b in cuts
            if not (a > b and (b, a) in self.cuts)
        ]
        if shown:
            parts.append("cut " + " ".join(shown))
        if self.type_cuts:
            typed = (f"{a}>{b} {t}" for a, b, t in sorted(self.type_cuts))
            parts.append("cut " + " ".join(typed))
        return tuple(parts)
