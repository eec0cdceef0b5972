"""Benchmarks behind `raftviz bench ...`: measured, never asserted in tests.

`bench core` drives a 5-node cluster of RawNodes by hand, stepping every message in-process,
so it measures the Raft core alone: no network model, no clock, no UI.
"""

from __future__ import annotations

import random
import time
from collections import deque

from raftviz.core.raft.log import MemoryStorage
from raftviz.core.raft.messages import Message, StateType
from raftviz.core.raft.raft import Config
from raftviz.core.raft.rawnode import RawNode


class CoreCluster:
    """N RawNodes and a FIFO of messages between them: etcd's `stabilize`, without output."""

    def __init__(self, n: int, seed: int = 1) -> None:
        voters = list(range(1, n + 1))
        rng = random.Random(seed)
        self.nodes = {
            i: RawNode(
                Config(id=i, voters=voters, rng=rng, pre_vote=True, check_quorum=True),
                MemoryStorage(),
            )
            for i in voters
        }
        self.queue: deque[Message] = deque()
        self.stepped = 0

    def stabilize(self) -> None:
        nodes = self.nodes
        queue = self.queue
        while True:
            for node in nodes.values():
                if node.has_ready():
                    rd = node.ready()
                    node.persist(rd)
                    queue.extend(rd.messages)
                    node.advance()
            if not queue:
                return
            while queue:
                m = queue.popleft()
                nodes[m.to].step(m)
                self.stepped += 1

    def leader(self) -> RawNode | None:
        for node in self.nodes.values():
            if node.raft.state == StateType.StateLeader:
                return node
        return None


def bench_core(proposals: int = 10_000, batch: int = 10) -> list[str]:
    """Elect a leader in a 5-node cluster, then commit `proposals` proposals, `batch` at a time."""
    cluster = CoreCluster(5)
    start = time.perf_counter()
    cluster.nodes[1].campaign()
    cluster.stabilize()
    leader = cluster.leader()
    if leader is None:
        raise RuntimeError("no leader elected")
    base = leader.raft.raft_log.committed
    for i in range(0, proposals, batch):
        for k in range(i, min(i + batch, proposals)):
            leader.propose(f"k{k}=v{k}")
        cluster.stabilize()
    elapsed = time.perf_counter() - start
    committed = min(n.raft.raft_log.committed for n in cluster.nodes.values()) - base
    if committed != proposals:
        raise RuntimeError(f"only {committed} of {proposals} proposals committed everywhere")
    return [
        f"nodes: 5, proposals committed: {committed}, batch: {batch}",
        f"messages stepped: {cluster.stepped}",
        f"wall time: {elapsed:.3f} s",
        f"messages/s: {int(cluster.stepped / elapsed)}",
    ]


def bench_sim(minutes: int = 10, rate: int = 10) -> list[str]:
    """Default 5-node cluster, `rate` proposals per simulated second for `minutes` simulated
    minutes, safety checks on; events are produced and drained as a UI would consume them,
    without a timeline (so the ticks that only count are skipped, as `raftviz run` does)."""
    from raftviz.core.sim.cluster import Cluster
    from raftviz.core.sim.events import MessageDelivered

    cluster = Cluster(skip_idle_ticks=True)
    period = 1000 // rate
    end = minutes * 60_000
    delivered = proposals = dropped = 0
    start = time.perf_counter()
    for t in range(period, end + 1, period):
        cluster.advance_to(t)
        if cluster.leader() is not None:
            proposals += 1
            if not cluster.propose(None, f"k{t % 100}=v{t}"):
                dropped += 1
        delivered += sum(1 for e in cluster.drain() if type(e) is MessageDelivered)
    elapsed = time.perf_counter() - start
    return [
        f"simulated: {minutes} min, proposals: {proposals} ({dropped} dropped), "
        f"violations: {len(cluster.violations)}",
        f"wall time: {elapsed:.2f} s",
        f"messages delivered/s (wall): {int(delivered / elapsed)}",
        f"speedup: {int(end / 1000 / elapsed)}",
    ]


def bench_experiment(trials: int = 1000, jobs: int = 2) -> list[str]:
    """`trials` trials of the election-time experiment's 150-300 ms line over `jobs` processes,
    as `raftviz experiment election-time --timeouts 150-300 --jobs 2` runs them (the processes'
    start included)."""
    from raftviz.commands.experiment import Options, run_trials
    from raftviz.core.explore.election_time import Setup, summarize

    setup = Setup((150, 300))
    start = time.perf_counter()
    results = run_trials(Options((setup,), trials, jobs))[setup]
    elapsed = time.perf_counter() - start
    s = summarize(results)
    return [
        f"election-time 150-300 ms: {trials} trials, median {s.median:.0f} ms, "
        f"p99 {s.p99:.0f} ms, {s.capped} capped",
        f"trials/s: {trials / elapsed:.0f} ({jobs} jobs)",
        f"wall time: {elapsed:.2f} s",
    ]
