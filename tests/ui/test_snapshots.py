"""Snapshot tests of the screens (pytest-textual-snapshot; ``--snapshot-update`` to accept).

Every view is hand-built and the fake controller never moves time, so each frame is exactly
reproducible: the main screen at 80x24 and 160x48 in every theme, then the situations a class
sees (a crashed node, a partition, an election among nine nodes, a safety violation) and the
help, inspector and prompt screens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from raftviz.app import ClusterUpdated
from raftviz.core.raft.logline import Level, LogLine
from raftviz.core.raft.messages import Message, MsgType
from raftviz.core.sim.events import Event, MessageDropped, NetworkChanged, NextEvent, RaftLog
from raftviz.themes import THEMES
from tests.ui.conftest import sample_timeline

Snap = Callable[..., bool]


def _with_events(ui: Any, events: Any, *keys: str) -> Callable[[Pilot[Any]], Any]:
    """Before the shot: deliver the sample events like the bridge would, then press keys."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        ui.app.post_message(
            ClusterUpdated(ui.controller.current, events, timeline=ui.controller.timeline)
        )
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_main_screen(
    snap_compare: Snap, make_ui: Any, events: Any, theme: str, size: tuple[int, int]
) -> None:
    ui = make_ui(theme=theme)
    assert snap_compare(ui.app, terminal_size=size, run_before=_with_events(ui, events))


def test_crashed_node(snap_compare: Snap, make_ui: Any, views: Any, events: Any) -> None:
    ui = make_ui(views.crashed())
    assert snap_compare(ui.app, terminal_size=(120, 36), run_before=_with_events(ui, events, "3"))


def test_partition(snap_compare: Snap, make_ui: Any, views: Any, events: Any) -> None:
    ui = make_ui(views.partition())
    assert snap_compare(ui.app, terminal_size=(160, 48), run_before=_with_events(ui, events, "3"))


def test_partition_small(snap_compare: Snap, make_ui: Any, views: Any, events: Any) -> None:
    ui = make_ui(views.partition())
    assert snap_compare(ui.app, terminal_size=(80, 24), run_before=_with_events(ui, events))


@pytest.mark.parametrize(
    ("theme", "size"),
    [("raft-dark", (160, 48)), ("raft-light", (160, 48)), ("raft-projector", (80, 24))],
    ids=lambda v: v if isinstance(v, str) else f"{v[0]}x{v[1]}",
)
def test_partition_isolation_and_one_way_cut(
    snap_compare: Snap, make_ui: Any, views: Any, theme: str, size: tuple[int, int]
) -> None:
    """The map draws every fault: the partition's sides apart behind a labelled wall, S5
    alone behind another, and the one-way cut S3→S4 with its direction."""
    ui = make_ui(views.split(), theme=theme)
    assert snap_compare(ui.app, terminal_size=size, run_before=_with_events(ui, (), "3"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_nine_node_election(
    snap_compare: Snap, make_ui: Any, views: Any, size: tuple[int, int]
) -> None:
    ui = make_ui(views.nine(), paused=False)
    assert snap_compare(ui.app, terminal_size=size)


def test_three_nodes(snap_compare: Snap, make_ui: Any, views: Any) -> None:
    ui = make_ui(views.three())
    assert snap_compare(ui.app, terminal_size=(100, 30))


def test_safety_violation(snap_compare: Snap, make_ui: Any, views: Any) -> None:
    ui = make_ui(views.violation())
    assert snap_compare(ui.app, terminal_size=(100, 30))


def _in_the_past(ui: Any) -> None:
    """Looking back at event 600 of 1,234, on a session with a second branch; one message
    held, another about to be delivered by the next step."""
    view = ui.controller.current
    flights = view.flights
    ui.controller.timeline = sample_timeline(view.time_ms, position=600)
    ui.controller.replace_view(
        dataclasses.replace(
            view,
            held=(flights[1].flight,),
            next_event=NextEvent("deliver", flights[0].flight, flights[0].deliver_ms),
        )
    )


def test_the_past_with_a_message_picked(snap_compare: Snap, make_ui: Any) -> None:
    """The timeline strip says PAST, where, and on which branch; the in-flight list, focused,
    marks the message the next step delivers (▶), the held one (‖) and the picked one."""
    ui = make_ui()
    _in_the_past(ui)
    assert snap_compare(
        ui.app, terminal_size=(100, 30), run_before=_with_events(ui, (), "F", "down", "down")
    )


def test_the_branch_list(snap_compare: Snap, make_ui: Any) -> None:
    ui = make_ui()
    _in_the_past(ui)
    assert snap_compare(ui.app, terminal_size=(100, 30), run_before=_with_events(ui, (), "b"))


def _story_events() -> tuple[Event, ...]:
    """A partition's first seconds: a folded drop line per cut link, long lines that wrap."""

    def log(seq: int, time_ms: int, node: int, text: str) -> RaftLog:
        return RaftLog(time_ms, seq, LogLine(Level.INFO, node, "raft", text))

    def drop(seq: int, frm: int, to: int, kind: MsgType, time_ms: int) -> MessageDropped:
        msg = Message(kind, to=to, frm=frm, term=3, log_term=3, index=8, commit=6)
        return MessageDropped(time_ms, seq, seq, msg, time_ms - 60, time_ms, "partition")

    story: list[Event] = [
        log(1, 11_020, 1, "1 became leader at term 3"),
        NetworkChanged(12_250, 2, "partition 1,2 | 3,4,5"),
    ]
    for k in range(42):
        kind = MsgType.MsgApp if k % 4 == 0 else MsgType.MsgHeartbeat
        story.append(drop(10 + k, 1, 3, kind, 12_300 + 100 * k))
    story += [
        log(
            100,
            13_300,
            4,
            "4 [logterm: 3, index: 4, vote: 1] rejected MsgPreVote from 3 [logterm: 3, "
            "index: 7] at term 3: the leader was heard from within the election timeout",
        ),
        log(
            101,
            14_400,
            1,
            "1 stepped down to follower since quorum is not active (heard from 2 of 5)",
        ),
    ]
    return tuple(story)


def test_event_log_folds_drops_and_wraps_long_lines(
    snap_compare: Snap, make_ui: Any, views: Any
) -> None:
    ui = make_ui(views.partition())
    assert snap_compare(
        ui.app, terminal_size=(160, 48), run_before=_with_events(ui, _story_events())
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare: Snap, make_ui: Any, size: tuple[int, int]) -> None:
    ui = make_ui()
    assert snap_compare(ui.app, terminal_size=size, press=["question_mark"])


def test_inspector_on_the_leader(snap_compare: Snap, make_ui: Any) -> None:
    ui = make_ui()
    assert snap_compare(ui.app, terminal_size=(100, 36), press=["enter"])


def test_command_prompt_with_an_error(snap_compare: Snap, make_ui: Any) -> None:
    ui = make_ui()
    keys = ["colon", *"bogus 1", "enter"]
    assert snap_compare(ui.app, terminal_size=(100, 30), press=keys)
