"""Core room, the etcd port: the lines etcd/raft's logger prints, as typed values.

The Raft state machine emits them at its decisions; the conformance driver compares their text
with etcd's byte for byte, and the simulation relays them as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(Enum):
    """etcd/raft's logger levels, in increasing severity."""

    DEBUG = 0
    INFO = 1
    WARN = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of etcd/raft's logger: `kind` names the decision, `fields` its values.

    `text` is the exact line etcd prints (without the level prefix), so the conformance driver
    can compare it byte for byte while a UI filters on `level`, `node` and `kind`.
    """

    level: Level
    node: int
    kind: str
    text: str
    fields: tuple[tuple[str, object], ...] = ()

    def render(self) -> str:
        return f"{self.level} {self.text}"
