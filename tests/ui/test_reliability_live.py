"""The real stack (runtime, bridge, app) under long commands: the screen never blocks, the
status bar shows the progress and the achieved speed, `esc` stops the command, `q` quits."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from raftviz.widgets import StatusBar

from .test_keys_live import Stack, stack, started, until

__all__ = ["stack"]  # the fixture, used by name


async def start_long_command(pilot: Pilot[Any], stack: Stack, text: str) -> None:
    """Type TEXT at the prompt and wait until it is under way (time flows, so no sync)."""
    await pilot.press("colon", *text, "enter")
    await until(pilot, stack, lambda: stack.runtime.busy is not None, text, synced=False)


async def test_q_quits_while_a_huge_command_is_running(stack: Stack) -> None:
    async with stack.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, stack)
        await start_long_command(pilot, stack, "run 1440m")
        await until(pilot, stack, lambda: stack.cluster.time_ms > 1000, "time moving", synced=False)
        assert stack.runtime.busy is not None
        await pilot.press("q")
        await pilot.pause()
    assert stack.app.return_code == 0
    assert stack.cluster.time_ms < 1440 * 60_000


async def test_esc_stops_a_long_command_and_the_status_bar_showed_its_progress(
    stack: Stack,
) -> None:
    async with stack.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, stack)
        await start_long_command(pilot, stack, "run 1440m")
        await until(
            pilot,
            stack,
            lambda: "run 1440m:" in str(stack.app.query_one(StatusBar).render()),
            "the progress line",
            synced=False,
        )
        line = str(stack.app.query_one(StatusBar).render()).splitlines()[1]
        assert line.startswith("⏩ run 1440m: ") and line.endswith("(esc stops it)")
        await pilot.press("escape")
        await until(pilot, stack, lambda: stack.runtime.busy is None, "the command stopped")
        stopped_at = stack.cluster.time_ms
        for _ in range(5):
            await pilot.pause()
        assert stack.cluster.time_ms == stopped_at  # paused: the stop really stopped it
        assert any(n.endswith(": stopped") for n in stack.notifications())
        assert "run 1440m:" not in str(stack.app.query_one(StatusBar).render())


async def test_the_status_bar_says_when_the_asked_speed_is_not_achieved(stack: Stack) -> None:
    async with stack.app.run_test(size=(160, 40)) as pilot:
        await started(pilot, stack)
        stack.runtime.speed = 1_000_000.0  # more than any machine can simulate
        await pilot.press("space")
        await until(
            pilot,
            stack,
            lambda: "achieved ×" in str(stack.app.query_one(StatusBar).render()),
            "the achieved speed",
            synced=False,
        )
        await pilot.press("space")
        await until(pilot, stack, lambda: stack.runtime.paused, "the pause")
        frozen = stack.cluster.time_ms
        for _ in range(5):
            await pilot.pause()
        assert stack.cluster.time_ms == frozen


async def test_the_status_bar_shows_the_network_s_faults_and_the_highest_term(stack: Stack) -> None:
    async with stack.app.run_test(size=(80, 24)) as pilot:
        await started(pilot, stack)
        for command in ("campaign 2", "deliver-msgs 1", "deliver-msgs 3", "deliver-msgs 2"):
            stack.bridge.command(command)  # S2 wins its pre-vote: a candidate at term 1
        stack.bridge.command("partition 1,2 | 3,4,5")
        stack.bridge.command("cut 3>4")

        def bar() -> str:
            return str(stack.app.query_one(StatusBar).render())

        await until(pilot, stack, lambda: "network:" in bar(), "the network line")
        lines = bar().splitlines()
        assert lines[1] == "⚡ network: partition {1,2} | {3,4,5} · cut 3>4"
        # No leader yet, but the candidate's term is the story.
        assert stack.raft(2).term == 1 and stack.cluster.leader() is None
        assert "no leader  term 1" in lines[0]
        stack.bridge.command("heal")
        await until(pilot, stack, lambda: "network:" not in bar(), "the healed network")
