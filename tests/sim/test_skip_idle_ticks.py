"""Skipping idle ticks (`Cluster(skip_idle_ticks=True)`) changes what is processed, never the run:
random programs of commands, with latencies that make a delivery and a tick share a millisecond
often, give the same events (times and sequence numbers included), the same random draws and
the same node views whether the cluster skips or runs every tick."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from raftviz.core.explore.schedule import generate
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd
from raftviz.core.sim.cluster import Cluster, ClusterError, Settings

LATENCIES = [(100, 100), (50, 150), (100, 200), (0, 20), (200, 200)]
"""Flight times that are whole ticks (100 ms) tie deliveries with ticks all the time."""


def _act(c: Cluster, rng: random.Random, out: list[object]) -> None:
    """One random command, as a user or a script could give it."""
    ids = list(c.nodes)
    live = [n.id for n in c.nodes.values() if n.alive]
    a = rng.random()
    if a < 0.30:
        ms = rng.choice([1, 50, 100, 100, 200, 300, 1000, rng.randrange(1, 700)])
        c.advance_to(c.time_ms + ms)
    elif a < 0.40:
        # Stop inside a millisecond, after the next event that shows: both clusters stop there
        # (the one running every tick also steps over the idle ones, which show nothing).
        seq = c.event_seq
        while c.event_seq == seq and c.step_event():
            pass
    elif a < 0.45:
        c.propose(None if rng.random() < 0.5 else rng.choice(ids), f"k{rng.randrange(9)}=v")
    elif a < 0.48:
        c.campaign(rng.choice(ids))
    elif a < 0.52:
        if len(live) > 1:
            c.crash(rng.choice(live))
    elif a < 0.58:
        dead = [i for i in ids if i not in live]
        if dead:
            c.restart(rng.choice(dead))
    elif a < 0.61:
        c.align_timers()
    elif a < 0.63:
        c.spread_timers()
    elif a < 0.66:
        c.set_election_timeout(rng.choice(ids), rng.randrange(1, 20))
    elif a < 0.69:
        c.tick(rng.choice(ids))
    elif a < 0.72:
        c.set_delivery(not c.manual)
    elif a < 0.78 and c.flights:
        flight = rng.choice(sorted(c.flights))
        fate = rng.choice([c.hold, c.release, c.deliver, c.drop, c.duplicate])
        fate(flight)
    elif a < 0.80:
        c.stabilize()
    elif a < 0.82:
        c.deliver_msgs(rng.choice(ids))
    elif a < 0.86:
        r = rng.random()
        if r < 0.3:
            c.isolate(rng.choice(ids))
        elif r < 0.6:
            c.heal()
        else:
            c.cut(rng.choice(ids), rng.choice(ids), rng.random() < 0.5)
    elif a < 0.88:
        c.set_network(latency=rng.choice(LATENCIES))
    elif a < 0.90:
        c.transfer_leadership(rng.choice(ids), rng.choice(ids))
    elif a < 0.92:
        c.forget_leader(rng.choice(ids))
    elif a < 0.96:
        out.append([c.node_view(n) for n in c.nodes.values()])
    else:
        c.settle()


def _program(seed: int, skip: bool) -> tuple[list[object], int]:
    """Everything a random program shows, and how many events the cluster processed."""
    rng = random.Random(seed)
    s = Settings(
        nodes=rng.choice([3, 4, 5]),
        seed=seed,
        tick_ms=rng.choice([100, 100, 1, 10]),
        prevote=rng.random() < 0.5,
        checkquorum=rng.random() < 0.5,
        heartbeat_tick=rng.choice([1, 1, 2, 3]),
        election_tick=rng.choice([4, 5, 10]),
        latency=rng.choice(LATENCIES),
        loss=rng.choice([0, 0, 0.1]),
        dup=rng.choice([0, 0, 0.1]),
        timer_rule=rng.choice(["etcd", "raft"]),
        election_timeout_ms=rng.choice([None, None, (500, 600), (500, 1500)]),
    )
    c = Cluster(s, skip_idle_ticks=skip)
    processed = 0

    def count(_: int) -> None:
        nonlocal processed
        processed += 1

    c.on_step = count
    out: list[object] = []
    for _ in range(rng.randrange(20, 120)):
        try:
            _act(c, rng, out)
        except ClusterError as e:
            out.append(str(e))
        out.extend(c.drain())
    c.advance_to(c.time_ms + 3000)
    out.extend(c.drain())
    out.append([c.node_view(n) for n in c.nodes.values()])
    out.append(c.rng.random())  # the same draws, in the same order
    return out, processed


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
# A node restarted after a `step` while a tick of its phase was still to come in that
# millisecond: its chain must rank before that node's (`Cluster._start_ticking`).
@example(297)
def test_skipping_idle_ticks_gives_the_same_run_event_for_event(seed: int) -> None:
    skipped, _ = _program(seed, skip=True)
    every, _ = _program(seed, skip=False)
    assert skipped == every


def test_skipping_leaves_out_most_ticks() -> None:
    """Not a timing: the count of events processed, which is what skipping saves."""
    skipped = every = 0
    for seed in range(5):
        skipped += _program(seed, skip=True)[1]
        every += _program(seed, skip=False)[1]
    assert skipped < every * 0.8


def _trial_events(seed: int, skip: bool) -> list[object]:
    schedule = generate(seed, ClusterCmd(nodes=5, latency_ms=(100, 100)))
    executor = Executor(schedule.cluster, skip_idle_ticks=skip)
    out: list[object] = []
    for command in schedule.commands:
        out.append((command.to_text(), executor.run(command)))
        out.extend(executor.cluster.drain())
    return out


@settings(max_examples=3, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_a_check_schedule_runs_the_same_with_and_without_skipping(seed: int) -> None:
    assert _trial_events(seed, skip=True) == _trial_events(seed, skip=False)
