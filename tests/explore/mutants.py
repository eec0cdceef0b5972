"""Raft broken on purpose, for tests that need a real failure from today's code: the checker
and the shrinker must find and keep what these bugs cause, through the real simulation."""

from __future__ import annotations

import dataclasses

import pytest

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import HardState
from raftviz.core.raft.rawnode import RawNode
from raftviz.core.sim.cluster import Cluster


def forget_votes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restarted node forgets whom it voted for in its term, so it may vote twice in one
    term, and two leaders may be elected in it (election safety)."""
    rawnode = Cluster._new_rawnode

    def forgetful(self: Cluster, id: int, storage: MemoryStorage, hs: HardState | None) -> RawNode:
        if hs is not None:
            hs = dataclasses.replace(hs, vote=0)
        return rawnode(self, id, storage, hs)

    monkeypatch.setattr(Cluster, "_new_rawnode", forgetful)


def deaf_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restarted node's clock never ticks again (its scheduled ticks are dropped), so it
    never campaigns: once every node has been restarted, no leader is ever elected (liveness)."""
    restart = Cluster.restart

    def deaf(self: Cluster, id: int) -> None:
        restart(self, id)
        self.nodes[id].generation += 1

    monkeypatch.setattr(Cluster, "restart", deaf)
