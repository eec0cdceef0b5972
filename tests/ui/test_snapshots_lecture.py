"""Snapshots of the lecture-ready screens (issue 8), each in a dark and a light theme: the
narration panel (several lines, the lecture waiting, a note), the presentation layout and the
scenario picker. Every view is hand-built and time never moves, so each frame is exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from raftviz.app import RuntimeNotes
from raftviz.core.sim.events import Narration

Snap = Callable[..., bool]

THEMES = ["raft-dark", "raft-light"]

LESSON = (
    "Five servers start as followers at term 0, with no leader. Each waits for its own "
    "randomized election timeout (10 to 19 ticks of 100 ms).",
    "S3's timer fired first. With pre-vote it first asks: could I win? It does not raise "
    "its term yet.",
    "Predict: which servers will grant S3 a vote, and why does S3 need three of them?",
)


def _lecture(ui: Any, *keys: str, note: str | None = None) -> Callable[[Pilot[Any]], Any]:
    """Before the shot: three lines of a lesson, the lecture waiting, maybe a note; keys."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        ui.controller.script_waiting = True
        for index, line in enumerate(LESSON):
            ui.controller.publish((Narration(1000 * index, 900 + index, line),))
        if note is not None:
            ui.app.post_message(RuntimeNotes([note]))
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", THEMES)
def test_narration_panel_waiting(snap_compare: Snap, make_ui: Any, theme: str) -> None:
    ui = make_ui(theme=theme)
    assert snap_compare(ui.app, terminal_size=(100, 30), run_before=_lecture(ui))


@pytest.mark.parametrize("theme", THEMES)
def test_narration_panel_with_a_note_at_80x24(snap_compare: Snap, make_ui: Any, theme: str) -> None:
    ui = make_ui(theme=theme)
    note = "✖ expect leader=2: fails: expected leader 2, got 1"
    assert snap_compare(ui.app, terminal_size=(80, 24), run_before=_lecture(ui, note=note))


@pytest.mark.parametrize("theme", ["raft-dark", "raft-projector"])
def test_presentation_layout(snap_compare: Snap, make_ui: Any, theme: str) -> None:
    ui = make_ui(theme=theme)
    assert snap_compare(ui.app, terminal_size=(160, 48), run_before=_lecture(ui, "f5"))


@pytest.mark.parametrize("theme", ["raft-light", "raft-projector"])
def test_presentation_layout_nine_nodes_at_100x30(
    snap_compare: Snap, make_ui: Any, views: Any, theme: str
) -> None:
    ui = make_ui(views.nine(), theme=theme)
    assert snap_compare(ui.app, terminal_size=(100, 30), run_before=_lecture(ui, "f5"))


@pytest.mark.parametrize("theme", ["raft-dark", "raft-light"])
def test_lesson_picker(snap_compare: Snap, make_ui: Any, theme: str) -> None:
    ui = make_ui(theme=theme)
    ui.controller.scenario = "election"
    assert snap_compare(
        ui.app, terminal_size=(100, 36), run_before=_lecture(ui, "o", "down", "down")
    )
