"""Core room: online checks of Raft's five safety properties (Figure 3 of the Raft paper).

The cluster calls these hooks as things happen; a violation is returned as a value (property,
nodes, detail) so the simulation can report it as an event. Nothing here raises: a teacher who
disables pre-vote or an engineer chasing a bug wants to *see* a violation, not a crash.

Each check is incremental (constant work per entry or per election) so it can stay on during
long runs and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from raftviz.core.raft.messages import Entry

ELECTION_SAFETY = "election-safety"
LEADER_APPEND_ONLY = "leader-append-only"
LOG_MATCHING = "log-matching"
LEADER_COMPLETENESS = "leader-completeness"
STATE_MACHINE_SAFETY = "state-machine-safety"


@dataclass(frozen=True, slots=True)
class Violation:
    property: str
    nodes: tuple[int, ...]
    detail: str


@dataclass
class SafetyChecker:
    """Remembers just enough history to check every property in O(1) per entry."""

    # term -> the node that led it (Election Safety, over all time)
    leaders: dict[int, int] = field(default_factory=dict)
    # (index, term) -> fingerprint of the log prefix ending there (Log Matching)
    prefixes: dict[tuple[int, int], int] = field(default_factory=dict)
    # node -> fingerprints of its persisted log, position i for index i (index 0 = dummy)
    chains: dict[int, list[int]] = field(default_factory=dict)
    # index -> term of the entry committed there, by anyone (Leader Completeness)
    committed: list[int] = field(default_factory=lambda: [0])
    # index -> (term, data) applied there, by anyone (State Machine Safety)
    applied: list[tuple[int, str]] = field(default_factory=lambda: [(0, "")])

    def __deepcopy__(self, memo: dict[int, object]) -> SafetyChecker:
        # Everything inside is immutable: copying the containers is a full, and fast, copy.
        return SafetyChecker(
            dict(self.leaders),
            dict(self.prefixes),
            {node: list(chain) for node, chain in self.chains.items()},
            list(self.committed),
            list(self.applied),
        )

    def became_leader(self, node: int, term: int, log_terms: Sequence[int]) -> list[Violation]:
        """`log_terms[i]` is the term of the new leader's entry at index i (0 = dummy)."""
        found: list[Violation] = []
        other = self.leaders.setdefault(term, node)
        if other != node:
            found.append(
                Violation(
                    ELECTION_SAFETY,
                    (other, node),
                    f"nodes {other} and {node} were both leader of term {term}",
                )
            )
        for i in range(1, len(self.committed)):
            have = log_terms[i] if i < len(log_terms) else None
            if have != self.committed[i]:
                found.append(
                    Violation(
                        LEADER_COMPLETENESS,
                        (node,),
                        f"leader {node} of term {term} lacks committed entry "
                        f"{self.committed[i]}/{i}"
                        + (f" (has {have}/{i})" if have is not None else ""),
                    )
                )
                break
        return found

    def persisted(self, node: int, entries: Sequence[Entry], is_leader: bool) -> list[Violation]:
        """A node persisted `entries` (possibly replacing a suffix of its log)."""
        if not entries:
            return []
        found: list[Violation] = []
        chain = self.chains.setdefault(node, [0])
        first = entries[0].index
        if first < len(chain):
            if is_leader:
                found.append(
                    Violation(
                        LEADER_APPEND_ONLY,
                        (node,),
                        f"leader {node} overwrote its entries from index {first}",
                    )
                )
            del chain[first:]
        elif first > len(chain):
            # Bootstrapped from a snapshot: the chain starts where the log does.
            chain.extend([0] * (first - len(chain)))
        for e in entries:
            fp = hash((chain[-1], e.term, e.data))
            chain.append(fp)
            known = self.prefixes.setdefault((e.index, e.term), fp)
            if known != fp:
                found.append(
                    Violation(
                        LOG_MATCHING,
                        (node,),
                        f"node {node} holds entry {e.term}/{e.index} with a log prefix "
                        "different from another node's",
                    )
                )
        return found

    def committed_to(self, index: int, term_of: Callable[[int], int]) -> None:
        """Record the terms of entries a node committed, up to `index`."""
        for i in range(len(self.committed), index + 1):
            self.committed.append(term_of(i))

    def applied_entries(self, node: int, entries: Sequence[Entry]) -> list[Violation]:
        found: list[Violation] = []
        for e in entries:
            if e.index < len(self.applied):
                if self.applied[e.index] != (e.term, e.data) and not found:
                    t, d = self.applied[e.index]
                    found.append(
                        Violation(
                            STATE_MACHINE_SAFETY,
                            (node,),
                            f"node {node} applied {e.term}/{e.index} {e.data!r} where another "
                            f"node applied {t}/{e.index} {d!r}",
                        )
                    )
            elif e.index == len(self.applied):
                self.applied.append((e.term, e.data))
        return found
