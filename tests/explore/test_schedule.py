"""The generator of `raftviz check`: pure, deterministic per seed, valid, and varied."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from raftviz.core.explore import trial
from raftviz.core.explore.schedule import RECOVERY, Schedule, generate
from raftviz.core.script.parse import (
    ClusterCmd,
    CrashCmd,
    HealCmd,
    RestartCmd,
    RunCmd,
    SetCmd,
    parse_script,
)

FIVE = ClusterCmd(nodes=5)


def test_the_same_seed_gives_the_same_schedule() -> None:
    assert generate(7, FIVE) == generate(7, FIVE)
    assert generate(7, FIVE).lines() == generate(7, FIVE).lines()


def test_different_seeds_and_sizes_give_different_schedules() -> None:
    texts = {tuple(generate(seed, FIVE).lines()[1:]) for seed in range(50)}
    assert len(texts) == 50
    assert generate(3, FIVE).commands != generate(3, ClusterCmd(nodes=7)).commands


def test_the_schedule_does_not_depend_on_hash_randomization() -> None:
    """Two interpreters with different string hashes write the same schedule and see the same
    run end at the same time: nothing depends on the order of a set of strings."""
    code = (
        "from raftviz.core.explore.schedule import generate;"
        "from raftviz.core.explore.trial import run;"
        "from raftviz.core.script.parse import ClusterCmd;"
        "s = generate(11, ClusterCmd(nodes=5)); print(s.lines(), run(s))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert outputs == {f"{generate(11, FIVE).lines()} {trial.run(generate(11, FIVE))}\n"}


def test_a_schedule_is_a_script_that_parses_back_to_itself() -> None:
    for seed in range(20):
        schedule = generate(seed, ClusterCmd(nodes=3, prevote=False))
        script = parse_script("\n".join(schedule.lines()), "gen.raft")
        parsed = Schedule(script.cluster, tuple(c.command for c in script.commands))
        assert parsed == schedule


def test_the_cluster_line_keeps_every_setting_but_the_seed() -> None:
    template = ClusterCmd(nodes=4, prevote=False, checkquorum=False, seed=99)
    assert generate(5, template).cluster == ClusterCmd(
        nodes=4, prevote=False, checkquorum=False, seed=5
    )


def test_the_storm_uses_every_kind_of_command() -> None:
    kinds = Counter(
        command.name for seed in range(100) for command in generate(seed, FIVE).commands
    )
    assert set(kinds) == {
        "propose",
        "crash",
        "restart",
        "partition",
        "isolate",
        "rejoin",
        "cut",
        "heal",
        "set",
        "transfer-leadership",
        "forget-leader",
        "campaign",
        "align-timers",
        "run",
    }
    assert kinds["propose"] > kinds["crash"] > kinds["forget-leader"]


def test_an_unsafe_variant_s_storms_draw_from_its_focus() -> None:
    """commit-old-terms, forget-vote and accept-stale-leader break only after chains of faults
    the whole mix rarely strings together: their storms draw from the actions that make them
    (a lone leader's write; a contested vote with a restart in it; a late append)."""
    expected = {
        "commit-old-terms": {"propose", "isolate", "crash", "rejoin", "restart", "run"},
        "forget-vote": {"propose", "campaign", "crash", "restart", "run"},
        "accept-stale-leader": {"propose", "set", "campaign", "run"},
    }
    for name, kinds in expected.items():
        cluster = ClusterCmd(nodes=3, unsafe=(name,))
        storms = [generate(seed, cluster).commands for seed in range(40)]
        storm = {c.name for commands in storms for c in commands[: commands.index(HealCmd())]}
        assert storm == kinds, name
    assert generate(7, ClusterCmd(nodes=3, unsafe=("no-log-check",))).commands == (
        generate(7, ClusterCmd(nodes=3)).commands  # no focus: the whole mix
    )


def test_the_recovery_takes_every_fault_away_then_waits_within_the_bound() -> None:
    for seed in range(30):
        commands = generate(seed, FIVE).commands
        down: set[object] = set()
        for command in commands:
            if isinstance(command, CrashCmd):
                down.add(command.node)
            elif isinstance(command, RestartCmd):
                down.discard(command.node)
        assert not down, f"seed {seed} leaves nodes {down} down"
        heal = len(commands) - 1 - commands[::-1].index(HealCmd())
        assert commands[heal + 1] == SetCmd(loss=0, dup=0, latency_ms=FIVE.latency_ms)
        assert commands[-1] == RECOVERY
        assert all(isinstance(c, RestartCmd) for c in commands[heal + 2 : -1])


def test_storms_last_seconds_not_minutes() -> None:
    storms = [
        sum(c.duration_ms for c in generate(seed, FIVE).commands if isinstance(c, RunCmd))
        for seed in range(200)
    ]
    assert min(storms) > 1_000 and max(storms) < 90_000
    assert 10_000 < sum(storms) / len(storms) < 40_000


def test_today_s_raft_survives_the_schedules_and_every_command_is_valid() -> None:
    """No command of a generated schedule fails (a crashed node is never crashed again...),
    and etcd's rules break nothing: a failure here is a bug in the generator or in Raft."""
    for seed in range(25):
        outcome = trial.run(generate(seed, ClusterCmd(nodes=3)))
        assert outcome.property is None, (seed, outcome)
