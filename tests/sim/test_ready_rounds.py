"""`Cluster._process` asks a node for another Ready, and reports its state again, only when
`RawNode.advance()` says it stepped the node's own responses. That is sound only if a round
that stepped none leaves nothing behind: no Ready, and the role, term, leader and vote the node
had when the Ready was handed out. Random programs (faults, hand-decided fates, crashes,
timers) check it after every round, and so does a single node, the one whose own responses
give it more to do (its vote elects it, its acknowledgement commits)."""

from __future__ import annotations

import pytest

from raftviz.core.raft.rawnode import RawNode, Ready
from raftviz.core.sim.cluster import Cluster, Settings
from tests.sim.test_skip_idle_ticks import _program


def test_a_round_that_steps_no_own_response_leaves_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ready, advance = RawNode.ready, RawNode.advance
    at_ready: dict[int, tuple[object, ...]] = {}
    quiet_rounds = busy_rounds = 0

    def noting_ready(self: RawNode) -> Ready:
        r = self.raft
        at_ready[id(self)] = (r.state, r.term, r.lead, r.vote)
        return ready(self)

    def checked_advance(self: RawNode) -> bool:
        nonlocal quiet_rounds, busy_rounds
        stepped = advance(self)
        if not stepped:
            r = self.raft
            assert not self.has_ready()
            assert (r.state, r.term, r.lead, r.vote) == at_ready[id(self)]
            quiet_rounds += 1
        elif self.has_ready():
            busy_rounds += 1
        return stepped

    monkeypatch.setattr(RawNode, "ready", noting_ready)
    monkeypatch.setattr(RawNode, "advance", checked_advance)
    for seed in range(12):
        _program(seed, skip=seed % 2 == 0)
    alone = Cluster(Settings(nodes=1))
    alone.advance_to(3000)
    for k in range(3):
        alone.propose(None, f"k={k}")
    alone.advance_to(4000)
    assert alone.nodes[1].raw.raft.raft_log.committed == 4  # its empty entry and the three
    # The check ran on the common case, and on rounds whose own responses gave more to do.
    assert quiet_rounds > 1000 and busy_rounds >= 4
