"""Raft broken on purpose, for tests that need a real failure from today's code: the checker
and the shrinker must find and keep what these bugs cause, through the real simulation."""

from __future__ import annotations

import pytest

from raftviz.core.sim.cluster import Cluster


def deaf_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restarted node's clock never ticks again (its tick chain is dropped), so it never
    campaigns: once every node has been restarted, no leader is ever elected (liveness)."""
    restart = Cluster.restart

    def deaf(self: Cluster, id: int) -> None:
        restart(self, id)
        node = self.nodes[id]
        node.chain = None
        node.generation += 1

    monkeypatch.setattr(Cluster, "restart", deaf)
