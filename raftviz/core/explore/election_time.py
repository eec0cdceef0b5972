"""Core room: the Raft paper's election-time experiment (section 9.3, Figure 16), as trials of
the simulation.

Each trial, as the paper sets it up: a cluster with a leader; the followers' logs of different
lengths, so that some of them cannot win (each is cut off from the leader's appends for one more
entry than the one before); the leader's regular, synchronized round of heartbeats, then its
crash at a uniformly random point of its heartbeat interval (half the minimum election timeout);
measured, the simulated time from the crash until a live node leads at a higher term, and how
many terms that took.

A trial's clock counts microseconds (`CLOCK` units per ms): the simulation's clock is whole
units, and with millisecond units the paper's narrow ranges would collapse (150-151 ms would
draw one of two timeouts, and ties within a millisecond would be common).

Everything a trial does is the simulation's own (a cluster line, `campaign`, `cut ... type=MsgApp`,
`propose`, `crash`), so a trial is exactly a script: `script()` writes it, and `raftviz run`
replays it. A trial is a pure function of its `Setup` and its number: its seed is derived from
both by a string (never Python's hash), so the results of a run are the same whatever the
number of processes that computed them and whatever the order.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from raftviz.core.raft.messages import Message, MsgType, StateType
from raftviz.core.script.parse import ClusterCmd
from raftviz.core.sim.cluster import Cluster

DEFAULT_RANGES: Final = ((150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300))
"""The paper's Figure 16 (top): election timeouts drawn from these ranges, in ms."""

DEFAULT_LATENCY: Final = (6, 9)
"""One-way latency in ms, uniform: a round trip to a follower (the broadcast time) of 12 to 18
ms, 15 on average, as in the paper's setup."""

CLOCK: Final = 1000
"""Units of a trial's clock per millisecond: its cluster counts microseconds. Every duration it
is given (tick, timeouts, latency) is scaled by CLOCK, and every time it reports divided."""

TICK_US: Final = 10
"""A trial's nodes tick every 10 us: timeouts are drawn to 10 us (a hundred values in each
millisecond of a range), within the script language's 100,000 ticks per timeout."""

SECOND: Final = 1000 * CLOCK
"""A second of a trial's clock."""

CAP_MS: Final = 10_000
"""A trial that has no new leader 10 simulated seconds after the crash stops there and counts
as capped (with 150 ms timeouts that is dozens of failed elections)."""

WRITES: Final = 3
"""Entries the leader writes before it crashes, each reaching one follower fewer."""


class SetupFailed(RuntimeError):
    """A trial never reached what the experiment measures from (node 1 leading, its entries
    spread, its heartbeats): the network is too slow for the timeouts."""


@dataclass(frozen=True, slots=True)
class Setup:
    """One line of the figure: everything a trial depends on but its number."""

    timeout_ms: tuple[int, int]
    nodes: int = 5
    latency_ms: tuple[int, int] = DEFAULT_LATENCY
    disk_ms: int = 0
    equal_logs: bool = False
    timer_rule: str = "raft"
    prevote: bool = False
    checkquorum: bool = False
    seed: int = 1

    @property
    def setup_limit_us(self) -> int:
        """How long node 1 has to be elected, or an entry to reach the followers, before the
        setup counts as broken: a second, plus eight one-way trips of the slowest message
        after the slowest write (a pre-vote, a vote and an append round trip, with room)."""
        return SECOND + 8 * (self.latency_ms[1] + self.disk_ms) * CLOCK

    @property
    def heartbeat_us(self) -> int:
        """The leader's heartbeat interval: half the minimum election timeout."""
        return self.timeout_ms[0] * CLOCK // 2

    def label(self) -> str:
        return f"{self.timeout_ms[0]}-{self.timeout_ms[1]}"

    def cluster(self, trial: int) -> ClusterCmd:
        """The `cluster` line of trial `trial`, in units of a microsecond (see CLOCK): a tick
        every TICK_US, so timeouts are drawn to 10 us; latencies are drawn to the microsecond."""
        lo, hi = self.timeout_ms
        return ClusterCmd(
            nodes=self.nodes,
            seed=trial_seed(self, trial),
            prevote=self.prevote,
            checkquorum=self.checkquorum,
            election_tick=lo * CLOCK // TICK_US,
            heartbeat_tick=max(1, self.heartbeat_us // TICK_US),
            tick_ms=TICK_US,
            latency_ms=(self.latency_ms[0] * CLOCK, self.latency_ms[1] * CLOCK),
            election_timeout_ms=(lo * CLOCK, hi * CLOCK),
            timer_rule=self.timer_rule,
            disk_ms=self.disk_ms * CLOCK,
        )


def trial_seed(setup: Setup, trial: int) -> int:
    """The cluster seed of one trial, from the run's seed, the line and the trial's number."""
    name = f"election-time {setup.seed} {setup.label()} trial {trial}"
    return random.Random(name).randrange(2**31)


@dataclass(frozen=True, slots=True)
class Result:
    """One trial: `elapsed_us` from the crash to the new leader, the `terms` it took (1: the
    first election won), `capped` if no leader came within CAP_MS (elapsed is then CAP_MS)."""

    trial: int
    elapsed_us: int
    terms: int
    capped: bool
    crash_offset_us: int

    @property
    def elapsed_ms(self) -> float:
        return self.elapsed_us / CLOCK

    @property
    def crash_offset_ms(self) -> float:
        return self.crash_offset_us / CLOCK


class _Trial:
    """A trial's cluster, driven a whole unit at a time (as a script's `run` does) so that
    every action lands between two units, and each one written down as the script command that
    does the same: `lines` replays the trial with `raftviz run`, its `ms` read as microseconds
    (the script language counts whole milliseconds; its first line says so)."""

    def __init__(self, setup: Setup, trial: int) -> None:
        # Nobody counts the ticks, and nearly all of them only count: skip those. Nobody reads
        # the events or the log lines either: build none.
        line = setup.cluster(trial)
        self.cluster = Cluster(line.settings(), skip_idle_ticks=True, quiet=True)
        self.lines = [
            f"# election-time trial {trial} of line {setup.label()} ms: its clock counts "
            "microseconds, so read every ms below as a microsecond",
            line.to_text(),
        ]
        self._acted = 0

    def act(self, command: str) -> None:
        c = self.cluster
        if c.time_ms > self._acted:
            self.lines.append(f"run {c.time_ms - self._acted}ms")
            self._acted = c.time_ms
        self.lines.append(command)

    def run(self, units: int) -> None:
        self.cluster.advance_to(self.cluster.time_ms + units)

    def run_until(self, holds: Callable[[], bool], limit: int) -> bool:
        """Whole units until `holds()`, for at most `limit` units: whether it held. Between two
        scheduled events nothing changes, so the clock jumps to the next one's unit."""
        c = self.cluster
        end = c.time_ms + limit
        while not holds():
            if c.time_ms >= end:
                return False
            due = c.next_time()
            c.advance_to(end if due is None else min(end, max(due, c.time_ms + 1)))
        return True


def log_lengths(setup: Setup) -> dict[int, int]:
    """The followers' last index at the crash: the leader's empty entry, then one write each
    as long as they are not cut off (node N misses every write, N-1 all but the first...)."""
    followers = list(range(setup.nodes, 1, -1))
    cut = 0 if setup.equal_logs else min(WRITES, len(followers) - 1)
    return {id: 1 + (WRITES if k >= cut else k) for k, id in enumerate(followers)}


def possible_winners(setup: Setup) -> list[int]:
    """The followers that can win an election once the leader is gone: those whose log is at
    least as long as the logs of enough others to make a majority of the whole cluster."""
    lengths = log_lengths(setup)
    majority = setup.nodes // 2 + 1
    return sorted(
        id
        for id, mine in lengths.items()
        if sum(1 for n in lengths.values() if n <= mine) >= majority
    )


def _replicated(cluster: Cluster, upto: int) -> bool:
    """Do nodes 2 to `upto` hold the last entry of node 1, the leader?"""
    index = cluster.nodes[1].raw.raft.raft_log.last_index()
    return all(
        cluster.nodes[id].raw.raft.raft_log.last_index() >= index for id in range(2, upto + 1)
    )


def _leader_at_least(cluster: Cluster, term: int) -> int | None:
    for node in cluster.nodes.values():
        r = node.raw.raft
        if node.alive and r.state == StateType.StateLeader and r.term >= term:
            return node.id
    return None


def _trial(setup: Setup, trial: int) -> tuple[Result, list[str]]:
    t = _Trial(setup, trial)
    c = t.cluster
    limit = setup.setup_limit_us
    t.act("campaign 1")
    c.campaign(1)
    if not t.run_until(lambda: _leader_at_least(c, 1) == 1 and _replicated(c, setup.nodes), limit):
        raise SetupFailed(f"trial {trial}: node 1 was not elected")
    followers = list(range(setup.nodes, 1, -1))  # the last ones get the fewest entries
    for k in range(WRITES):
        if not setup.equal_logs and k < len(followers) - 1:
            t.act(f"cut 1>{followers[k]} type=MsgApp")
            c.cut(1, followers[k], both=False, msg_type=str(MsgType.MsgApp))
        t.act(f"propose 1 x={k}")
        c.propose(1, f"x={k}")
        # The entry reaches every follower not cut off yet before the next cut.
        reached = setup.nodes if setup.equal_logs else max(2, setup.nodes - 1 - k)
        if not t.run_until(partial(_replicated, c, reached), limit):
            raise SetupFailed(f"trial {trial}: entry {k + 2} did not reach the followers")
    # The leader's next regular round of heartbeats, then its crash somewhere in the interval
    # before the round after.
    beats: list[Message] = []

    def note_beat(m: Message) -> None:
        if m.type == MsgType.MsgHeartbeat:
            beats.append(m)

    c.on_send = note_beat
    if not t.run_until(lambda: bool(beats), 2 * setup.heartbeat_us + 1):
        raise SetupFailed(f"trial {trial}: the leader sent no heartbeat")
    c.on_send = None
    offset = random.Random(f"crash {c.settings.seed}").randrange(setup.heartbeat_us)
    t.run(offset)
    old_term = c.nodes[1].raw.raft.term
    t.act("crash 1")
    c.crash(1)
    crashed_at = c.time_ms
    cap = CAP_MS * CLOCK
    t.act(f"run until leader term>={old_term + 1} timeout={cap // 1000}s")
    found = t.run_until(lambda: _leader_at_least(c, old_term + 1) is not None, cap)
    leader = _leader_at_least(c, old_term + 1)
    if not found or leader is None:
        return Result(trial, cap, 0, True, offset), t.lines
    terms = c.nodes[leader].raw.raft.term - old_term
    return Result(trial, c.time_ms - crashed_at, terms, False, offset), t.lines


def run_trial(setup: Setup, trial: int) -> Result:
    """One trial (see the module's docstring)."""
    return _trial(setup, trial)[0]


def script(setup: Setup, trial: int) -> list[str]:
    """The script that replays trial `trial`: `raftviz run` ends it at the same new leader."""
    return _trial(setup, trial)[1]


@dataclass(frozen=True, slots=True)
class Summary:
    """A line's figures, in ms."""

    trials: int
    minimum: float
    median: float
    mean: float
    p90: float
    p99: float
    maximum: float
    first_term: float  # share of the trials won at the first election
    capped: int


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (1-99) of `values`, interpolated between ranks."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarize(results: list[Result]) -> Summary:
    times = sorted(r.elapsed_ms for r in results)
    return Summary(
        trials=len(results),
        minimum=times[0],
        median=percentile(times, 50),
        mean=statistics.fmean(times),
        p90=percentile(times, 90),
        p99=percentile(times, 99),
        maximum=times[-1],
        first_term=sum(1 for r in results if r.terms == 1) / len(results),
        capped=sum(1 for r in results if r.capped),
    )


def cdf(results: list[Result]) -> tuple[list[float], list[float]]:
    """The cumulative distribution of election times: x in ms, y the share elected by x."""
    times = sorted(r.elapsed_ms for r in results)
    n = len(times)
    return times, [(i + 1) / n for i in range(n)]
