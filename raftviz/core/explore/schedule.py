"""Core room: random fault schedules, each one a script of the script language's own commands.

`raftviz check` runs one schedule per seed. A schedule is a plain script (a `cluster` line and
commands), so whatever it finds can be saved, read, replayed by `raftviz run` and opened in the
TUI without a second format. The generator is a pure function of the seed and the cluster line:
it draws from its own `random.Random`, seeded from a string (whose seeding never depends on
Python's hash randomization), so the same seed gives the same schedule on any machine, in any
process.

A schedule has two parts. The *storm* is a random sequence of faults and client actions, each
followed by a `run` of random length. The *recovery* then takes every fault away - `heal`, the
network's own settings back, every crashed node restarted - and waits, within a bound, for a
leader and for every node to hold the same log: a cluster that cannot get there is a liveness
failure. The safety properties themselves are checked at every step by the simulation.

Every command the generator writes is valid where it stands (a node is crashed only while it
is up, restarted only while it is down, and `leader` is never named, since whether there is one
is only known by running), so a schedule fails only when Raft does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from raftviz.core.raft.unsafe import ACCEPT_STALE_LEADER, COMMIT_OLD_TERMS, FORGET_VOTE
from raftviz.core.script.parse import (
    AlignTimersCmd,
    CampaignCmd,
    ClusterCmd,
    Command,
    Condition,
    Converged,
    CrashCmd,
    CutCmd,
    ForgetLeaderCmd,
    HasLeader,
    HealCmd,
    IsolateCmd,
    PartitionCmd,
    ProposeCmd,
    RejoinCmd,
    RestartCmd,
    RunCmd,
    RunUntilCmd,
    SetCmd,
    TransferLeadershipCmd,
)

CONVERGENCE_BOUND_MS: Final = 30_000
"""How long the recovery may take, in simulated time, before the cluster is declared stuck:
after every fault is gone it needs an election (1-2 s of election timeout, a few rounds at
worst) and the catching up of the nodes that fell behind. Over 2000 seeds each of 3, 5 and 7
nodes the slowest recovery took 5.4 s (the median half a second), so 30 s flags a cluster that
will not recover, not an unlucky one."""

STEPS: Final = (8, 24)
"""How many random actions a storm holds, at least and at most: each is followed by a `run`,
so with the pauses below a storm lasts some 10 to 40 simulated seconds."""

RECOVERY: Final = RunUntilCmd(Condition((HasLeader(), Converged())), CONVERGENCE_BOUND_MS)
"""The recovery's wait: a leader, and every node with the same log, commit and applied index."""

_LOSS: Final = (0.0, 0.05, 0.1, 0.2, 0.4)
_DUP: Final = (0.0, 0.05, 0.1, 0.3)
_LATENCY: Final = ((5, 20), (20, 80), (50, 150), (100, 400), (200, 1000))
"""Network settings a storm may switch to: from a quiet LAN to links slower than the election
timeout, where elections are lost and retried."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A script: its `cluster` line and the commands that follow it. Frozen and hashable, so a
    shrinker can remember the ones it has tried."""

    cluster: ClusterCmd
    commands: tuple[Command, ...]

    def lines(self) -> list[str]:
        return [self.cluster.to_text(), *(command.to_text() for command in self.commands)]


@dataclass
class _World:
    """What the generator knows of the cluster: only what its own commands made so."""

    rng: random.Random
    nodes: int
    crashed: set[int]
    isolated: set[int]
    writes: int = 0

    def live(self) -> list[int]:
        return [n for n in range(1, self.nodes + 1) if n not in self.crashed]

    def pick(self, among: list[int]) -> int:
        return among[self.rng.randrange(len(among))]

    def write(self) -> str:
        """A new client write: a key never written before, so that its loss can be seen."""
        self.writes += 1
        return f"k{self.writes}={self.writes}"


def _propose(w: _World) -> list[Command]:
    return [ProposeCmd(w.write(), w.pick(w.live()))]


def _crash(w: _World) -> list[Command]:
    node = w.pick(w.live())
    w.crashed.add(node)
    return [CrashCmd(node)]


def _restart(w: _World) -> list[Command]:
    node = w.pick(sorted(w.crashed))
    w.crashed.discard(node)
    return [RestartCmd(node)]


def _bounce(w: _World) -> list[Command]:
    """A crash and a quick restart, the way a supervisor brings a process back: what a node
    persisted is then tested against the election or the replication it was in the middle of."""
    node = w.pick(w.live())
    return [CrashCmd(node), RunCmd(w.rng.randrange(1, 30) * 10), RestartCmd(node)]


def _write_alone(w: _World) -> list[Command]:
    """A node cut off from the others takes a write and crashes; its links come back 1 to 2 s
    later, once what it sent has met the cut (a link is checked when a message arrives; only
    the 1.5 s flights of a late append may outlast that). If it led, its log now holds an
    entry of its term that no one else has, and later leaders must decide what to do with it:
    the situation of the paper's Figure 8."""
    node = w.pick(w.live())
    data = w.write()
    w.crashed.add(node)
    w.isolated.discard(node)
    return [
        RunCmd(2000 + w.rng.randrange(0, 100) * 10),
        IsolateCmd(node),
        ProposeCmd(data, node),
        RunCmd(w.rng.randrange(1, 10) * 10),
        CrashCmd(node),
        RunCmd(1000 + w.rng.randrange(0, 100) * 10),
        RejoinCmd(node),
    ]


def _contested_vote(w: _World) -> list[Command]:
    """Two nodes campaign at once and a third, asked by both, crashes and restarts before the
    second request reaches it: what it persisted decides whether it can vote twice."""
    a, b, voter = w.rng.sample(w.live(), 3)
    return [
        CampaignCmd(a),
        CampaignCmd(b),
        RunCmd(w.rng.randrange(4, 31) * 10),  # one round trip, or two with pre-votes first
        CrashCmd(voter),
        RunCmd(w.rng.randrange(1, 5) * 10),
        RestartCmd(voter),
    ]


def _late_append(w: _World) -> list[Command]:
    """A write goes out on a slow network, and before its appends arrive another node takes
    over with a campaign and a write of its own: the old leader's appends reach followers
    that already moved to the newer term (and hold the newer leader's entries)."""
    node, other = w.rng.sample(w.live(), 2)
    first, second = w.write(), w.write()
    return [
        SetCmd(latency_ms=(50, 1500)),
        ProposeCmd(first, node),
        RunCmd(w.rng.randrange(1, 6) * 10),
        CampaignCmd(other),
        RunCmd(w.rng.randrange(3, 10) * 100),
        ProposeCmd(second, other),
    ]


def _partition(w: _World) -> list[Command]:
    order = list(range(1, w.nodes + 1))
    w.rng.shuffle(order)
    cuts = sorted(w.rng.sample(range(1, w.nodes), w.rng.choice((1, 1, 2))))
    groups = [order[a:b] for a, b in zip([0, *cuts], [*cuts, w.nodes], strict=True)]
    return [PartitionCmd(tuple(tuple(sorted(g)) for g in groups))]


def _isolate(w: _World) -> list[Command]:
    node = w.pick([n for n in range(1, w.nodes + 1) if n not in w.isolated])
    w.isolated.add(node)
    return [IsolateCmd(node)]


def _rejoin(w: _World) -> list[Command]:
    node = w.pick(sorted(w.isolated))
    w.isolated.discard(node)
    return [RejoinCmd(node)]


def _cut(w: _World) -> list[Command]:
    a, b = w.rng.sample(range(1, w.nodes + 1), 2)
    return [CutCmd(a, b, both_ways=w.rng.random() < 0.5)]


def _heal(w: _World) -> list[Command]:
    w.isolated.clear()
    return [HealCmd()]


def _loss(w: _World) -> list[Command]:
    return [SetCmd(loss=w.rng.choice(_LOSS))]


def _dup(w: _World) -> list[Command]:
    return [SetCmd(dup=w.rng.choice(_DUP))]


def _latency(w: _World) -> list[Command]:
    return [SetCmd(latency_ms=w.rng.choice(_LATENCY))]


def _transfer(w: _World) -> list[Command]:
    frm = w.pick(w.live())
    return [TransferLeadershipCmd(frm, w.pick([n for n in range(1, w.nodes + 1) if n != frm]))]


def _forget_leader(w: _World) -> list[Command]:
    return [ForgetLeaderCmd(w.pick(w.live()))]


def _align_timers(w: _World) -> list[Command]:
    return [AlignTimersCmd()]


def _campaign(w: _World) -> list[Command]:
    return [CampaignCmd(w.pick(w.live()))]


_Action = tuple[float, Callable[[_World], bool], Callable[[_World], list[Command]]]


def _always(w: _World) -> bool:
    return True


def _some_live(w: _World) -> bool:
    return len(w.crashed) < w.nodes


def _some_crashed(w: _World) -> bool:
    return bool(w.crashed)


MIX: Final[tuple[_Action, ...]] = (
    (4.0, _some_live, _propose),
    (1.5, _some_live, _crash),
    (1.5, _some_crashed, _restart),
    (1.0, _some_live, _bounce),
    (1.0, _some_live, _write_alone),
    (0.5, lambda w: len(w.live()) >= 3, _contested_vote),
    (0.5, lambda w: len(w.live()) >= 2, _late_append),
    (1.0, _always, _partition),
    (0.8, lambda w: len(w.isolated) < w.nodes, _isolate),
    (0.8, lambda w: bool(w.isolated), _rejoin),
    (1.0, _always, _cut),
    (0.8, _always, _heal),
    (0.6, _always, _loss),
    (0.4, _always, _dup),
    (0.4, _always, _latency),
    (0.6, _some_live, _transfer),
    (0.4, _some_live, _forget_leader),
    (0.6, _some_live, _campaign),
    (0.6, _always, _align_timers),
)
"""The storm's actions: (weight, when it can be taken, how). Client writes are the most common,
so that there is always something committed to lose; crashes and restarts come next, since
persisted state is where Raft's subtle bugs hide (a quick crash and restart, a bounce, lands
in the middle of whatever the node was doing); the network's faults share the rest. A `restart`
is as likely as a `crash`, so about half of the nodes a storm crashes are back before the
recovery."""

FOCUS: Final[dict[str, dict[Callable[[_World], list[Command]], float]]] = {
    COMMIT_OLD_TERMS: {_propose: 4.0, _write_alone: 3.0, _restart: 3.0, _crash: 1.5},
    FORGET_VOTE: {_propose: 2.0, _contested_vote: 3.0, _crash: 1.0, _restart: 1.0},
    ACCEPT_STALE_LEADER: {_propose: 2.0, _late_append: 3.0, _campaign: 1.0},
}
"""Unsafe variants whose failure needs a long chain of faults that the whole mix almost never
strings together, and the only actions (with their weights) their storms draw from.
commit-old-terms breaks when two leaders in turn are left alone with a write of their own
term, then come back and lead again (Figure 8): over 1500 seeds of 3 nodes the whole mix found
it in none, these four actions in 5. The other variants break under the whole mix."""


def _mix(
    cluster: ClusterCmd,
) -> list[tuple[float, Callable[[_World], bool], Callable[[_World], list[Command]]]]:
    """The actions a storm draws from: the whole mix, or the focus of an unsafe variant on."""
    focus: dict[Callable[[_World], list[Command]], float] = {}
    for name in cluster.unsafe:
        focus.update(FOCUS.get(name, {}))
    if not focus:
        return list(MIX)
    return [(focus[make], can, make) for _, can, make in MIX if make in focus]


def _pause(rng: random.Random) -> int:
    """A `run` between two actions, in ms: mostly short (a fault lands in the middle of an
    election or a replication), sometimes long enough for a leader to be elected and to
    commit."""
    draw = rng.random()
    if draw < 0.5:
        ms = rng.randrange(10, 500)
    elif draw < 0.85:
        ms = rng.randrange(500, 3000)
    else:
        ms = rng.randrange(3000, 8000)
    return ms - ms % 10


def generate(seed: int, cluster: ClusterCmd) -> Schedule:
    """The schedule of `seed` for a cluster like `cluster` (its nodes and every setting, its
    seed replaced by `seed`): a storm, then the recovery."""
    rng = random.Random(f"raftviz check: seed {seed}, {cluster.nodes} nodes")
    world = _World(rng, cluster.nodes, set(), set())
    mix = _mix(cluster)
    commands: list[Command] = []
    for _ in range(rng.randint(*STEPS)):
        actions = [(weight, make) for weight, can, make in mix if can(world)]
        weights = [weight for weight, _ in actions]
        make = rng.choices([make for _, make in actions], weights)[0]
        commands.extend(make(world))
        commands.append(RunCmd(_pause(rng)))
    commands.append(HealCmd())
    commands.append(SetCmd(loss=cluster.loss, dup=cluster.dup, latency_ms=cluster.latency_ms))
    commands.extend(RestartCmd(node) for node in sorted(world.crashed))
    if COMMIT_OLD_TERMS in cluster.unsafe:
        # Its leaders append no empty entry, so they bring the others' logs in line only once
        # a client writes: without this write, every seed whose logs differ at the end would
        # be a liveness failure of the variant, not of the storm.
        commands.append(RunUntilCmd(Condition((HasLeader(),)), CONVERGENCE_BOUND_MS))
        commands.append(ProposeCmd(world.write()))
    commands.append(RECOVERY)
    return Schedule(replace(cluster, seed=seed), tuple(commands))
