"""Stories never change a run, and the same seed tells the same story.

Story events are opt-in (`Cluster(stories=True)`): with them on, every other event of every
built-in scenario is the same as with them off, event for event.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import pytest

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import load_script
from raftviz.core.sim.events import Event
from raftviz.core.sim.story import Story, story_line

SCENARIO_DIR = Path(str(resources.files("raftviz.scenarios")))
SCENARIOS = sorted(p.name for p in SCENARIO_DIR.iterdir() if p.name.endswith(".raft"))


def events_of(path: Path, stories: bool, seed: int | None = None) -> list[Event]:
    script = load_script(str(path))
    cluster = script.cluster if seed is None else dataclasses.replace(script.cluster, seed=seed)
    events: list[Event] = []
    executor = Executor(cluster, stories=stories)
    executor.on_progress = lambda: events.extend(executor.cluster.drain())
    for located in script.commands:
        executor.run(located.command, located.line)
        events.extend(executor.cluster.drain())
    return events


def without_seq(event: Event) -> tuple[object, ...]:
    """An event's identity apart from its sequence number (stories take numbers too)."""
    values = tuple(getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "seq")
    return (type(event), *values)


@pytest.mark.parametrize("name", SCENARIOS)
def test_stories_change_nothing_else_in_the_run(name: str) -> None:
    plain = events_of(SCENARIO_DIR / name, stories=False)
    told = events_of(SCENARIO_DIR / name, stories=True)
    assert not any(type(e) is Story for e in plain)
    assert any(type(e) is Story for e in told)
    assert [without_seq(e) for e in told if type(e) is not Story] == [without_seq(e) for e in plain]


@pytest.mark.parametrize("name", ["election.raft", "one-way-cut.raft", "minority-partition.raft"])
def test_the_same_seed_tells_the_same_story(name: str) -> None:
    def told(seed: int) -> list[tuple[int, str]]:
        events = events_of(SCENARIO_DIR / name, stories=True, seed=seed)
        return [(e.time_ms, story_line(e)) for e in events if type(e) is Story]

    first = told(7)
    assert first and told(7) == first
    assert told(8) != first


def test_a_restored_snapshot_tells_the_same_story() -> None:
    """A rewind (snapshot/restore, as the TUI does) goes on telling stories, the same ones."""
    from raftviz.core.sim.cluster import Cluster, Settings

    cluster = Cluster(Settings(seed=3), stories=True)
    cluster.advance_to(1000)
    snap = cluster.snapshot()
    cluster.drain()
    cluster.advance_to(3000)
    ahead = [(e.time_ms, e.decision) for e in cluster.drain() if type(e) is Story]
    cluster.restore(snap)
    cluster.drain()
    cluster.advance_to(3000)
    again = [(e.time_ms, e.decision) for e in cluster.drain() if type(e) is Story]
    assert ahead and again == ahead
