"""A quiet cluster (`Cluster(quiet=True)`: no events, no log lines) runs exactly like a normal
one: on random `raftviz check` schedules, every command succeeds or fails alike and leaves the
same state behind (nodes, clock, flights, safety violations, random draws)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.core.explore.schedule import generate
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd
from raftviz.core.sim.cluster import Cluster

CLUSTERS = [
    ClusterCmd(nodes=5),
    ClusterCmd(nodes=3, latency_ms=(100, 100)),
    ClusterCmd(nodes=5, prevote=False, checkquorum=False, latency_ms=(0, 20)),
]


def _state(c: Cluster) -> tuple[object, ...]:
    """Everything of a cluster a caller can read but its events."""
    flights = tuple((f, s.msg, s.sent_ms, s.deliver_ms) for f, s in sorted(c.flights.items()))
    return (
        c.time_ms,
        tuple(c.node_view(n) for n in c.nodes.values()),
        tuple(
            (n.raw.raft.election_elapsed, n.raw.raft.randomized_election_timeout)
            for n in c.nodes.values()
        ),
        flights,
        tuple(c.violations),
        c.rng.getstate(),
    )


def _run(seed: int, cluster: ClusterCmd, quiet: bool, skip: bool) -> list[object]:
    schedule = generate(seed, cluster)
    executor = Executor(schedule.cluster, skip_idle_ticks=skip, quiet=quiet)
    c = executor.cluster
    out: list[object] = []
    for command in schedule.commands:
        out.append((command.to_text(), executor.run(command)))
        out.append(_state(c))
    if quiet:
        assert c.drain() == [] and c.event_seq == 0
    return out


@settings(max_examples=12, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(CLUSTERS),
    st.booleans(),
)
def test_a_quiet_cluster_runs_like_a_normal_one(seed: int, cluster: ClusterCmd, skip: bool) -> None:
    assert _run(seed, cluster, quiet=True, skip=skip) == _run(seed, cluster, quiet=False, skip=skip)


def test_a_quiet_cluster_builds_no_log_line() -> None:
    c = Cluster(quiet=True)
    assert all(n.raw.raft.sink is None for n in c.nodes.values())
    c.advance_to(5000)
    assert c.leader() is not None and c.drain() == []
