"""The election-time experiment from the palette: progress, then the plot and the table beside
the cluster; `l` switches the time axis, escape closes it and stops what still runs."""

from __future__ import annotations

from typing import Any

import pytest

from raftviz import app as app_module
from raftviz.widgets.experiment import ExperimentScreen
from tests.ui.conftest import screen_text


async def _until(pilot: Any, holds: Any, what: str) -> None:
    for _ in range(600):  # the trials run in other processes: up to a minute on a busy machine
        if holds():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"never saw {what}")


async def test_the_experiment_runs_beside_the_cluster_and_closes(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "EXPERIMENT_TRIALS", 4)
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        ui.app.action_experiment()
        await pilot.pause()
        screen = ui.app.screen
        assert isinstance(screen, ExperimentScreen)
        await _until(pilot, lambda: "24 trials in" in screen_text(ui.app), "the trials done")
        text = screen_text(ui.app)
        assert "Share of trials with a new leader (CDF)" in text
        assert "log scale" in text
        assert "150-300" in text and "median" in text and "capped" in text
        assert "Cluster" in text  # the cluster's panel stays in view, left of the figure
        await pilot.press("l")
        await pilot.pause()
        assert "log scale" not in screen_text(ui.app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(ui.app.screen, ExperimentScreen)


async def test_closing_the_screen_early_stops_the_trials(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "EXPERIMENT_TRIALS", 1000)
    async with ui.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ui.app.action_experiment()
        await pilot.pause(0.5)
        await pilot.press("escape")
        await _until(
            pilot,
            lambda: not [w for w in ui.app.workers if w.group == "experiment" and w.is_running],
            "the experiment's worker stopped",
        )
        assert not isinstance(ui.app.screen, ExperimentScreen)


async def test_the_pre_vote_variant_says_so_and_elects_faster_with_equal_timeouts(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The palette's second entry runs the same trials with pre-vote: its setup line says so,
    and with 150-150 ms timeouts its median is far below the paper's Raft's (the nodes that
    cannot win stay voters instead of splitting the vote)."""
    monkeypatch.setattr(app_module, "EXPERIMENT_TRIALS", 12)
    async with ui.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        ui.app.action_experiment(prevote=True)
        await pilot.pause()
        screen = ui.app.screen
        assert isinstance(screen, ExperimentScreen)
        await _until(pilot, lambda: "72 trials in" in screen_text(ui.app), "the trials done")
        text = screen_text(ui.app)
        assert "with pre-vote" in text and "Timer rule raft, pre-vote" in text
        row = next(line for line in text.splitlines() if "150-150 " in line and "%" in line)
        median = float(row.split("150-150")[1].split()[2])
        assert median < 400  # the paper's Raft: about 2 s
