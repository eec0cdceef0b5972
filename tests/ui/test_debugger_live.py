"""The step-through debugger against the real stack (Runtime + TrioBridge + RaftvizApp): the
timeline keys, branches, ctrl+s of a branch, each message's fate from the keyboard and the
prompt, manual delivery, and breakpoints. Each test asserts on the cluster itself."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from raftviz.commands.run import run_script
from raftviz.core.raft.messages import StateType
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, load_script
from raftviz.runtime import Runtime
from raftviz.widgets.choices import ChoiceScreen
from raftviz.widgets.flight_table import FlightTable
from raftviz.widgets.prompt import PromptScreen
from raftviz.widgets.timeline_strip import TimelineStrip
from tests.ui.test_keys_live import (
    SIZE,
    Stack,
    _node_report,
    changed,
    command,
    elect,
    make_stack,
    press_until,
    stack_of,
    started,
    type_command,
    until,
)


@pytest.fixture
def stack() -> Stack:
    return make_stack()


def timeline_at(stack: Stack) -> tuple[int, int]:
    tl = stack.runtime.timeline
    return tl.cursor, tl.length


async def run_for(pilot: Pilot[Any], stack: Stack, ms: int) -> None:
    end = stack.cluster.time_ms + ms
    await command(pilot, stack, f"run {ms}ms", lambda: stack.cluster.time_ms >= end)
    await until(pilot, stack, lambda: stack.runtime.busy is None, "the run's end")


# ------------------------------------------------------------------ time travel


async def test_back_fifty_events_then_forward_fifty_is_the_same_state(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await run_for(pilot, stack, 3000)
        live = stack.cluster.view()
        _, length = timeline_at(stack)
        for _ in range(50):
            await pilot.press("left_square_bracket")
        await until(pilot, stack, lambda: timeline_at(stack)[0] == length - 50, "50 back")
        assert stack.cluster.view() != live
        strip = stack.app.screen_main.query_one(TimelineStrip)
        assert not strip.has_class("-live")
        for _ in range(50):
            await pilot.press("right_square_bracket")
        await until(pilot, stack, lambda: stack.runtime.timeline.live, "the live end")
        assert stack.cluster.view() == live


async def test_story_mark_start_end_and_undo_keys(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await command(pilot, stack, 'mark "before the election"', lambda: True)
        await run_for(pilot, stack, 3000)
        assert stack.cluster.leader() is not None
        leader = stack.cluster.leader()
        live = stack.cluster.view()
        # Story by story, backwards: each stop shows a story's position.
        await press_until(
            pilot, stack, "left_curly_bracket", lambda: not stack.runtime.timeline.live, "a story"
        )
        stories = stack.runtime.timeline._b.stories
        assert stack.runtime.timeline.cursor in stories
        await press_until(
            pilot,
            stack,
            "home",
            lambda: timeline_at(stack)[0] == 0 and stack.cluster.leader() is None,
            "the start",
        )
        await press_until(
            pilot,
            stack,
            "apostrophe",
            lambda: timeline_at(stack)[0] == stack.runtime.timeline.marks()[0].position,
            "the mark",
        )
        await press_until(
            pilot, stack, "right_curly_bracket", lambda: timeline_at(stack)[0] > 1, "next story"
        )
        await press_until(pilot, stack, "end", lambda: stack.runtime.timeline.live, "live end")
        assert stack.cluster.view() == live and stack.cluster.leader() == leader
        await press_until(pilot, stack, "m", lambda: not stack.runtime.timeline.live, "mark")
        # u: back to just before the last action, the crash.
        await press_until(pilot, stack, "end", lambda: stack.runtime.timeline.live, "live end")
        await press_until(pilot, stack, ["3", "c"], lambda: not stack.cluster.nodes[3].alive, "")
        await press_until(pilot, stack, "u", lambda: stack.cluster.nodes[3].alive, "undone")


async def test_acting_in_the_past_forks_and_b_switches_back(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await run_for(pilot, stack, 2000)
        old_end = stack.cluster.view()
        for _ in range(20):
            await pilot.press("left_square_bracket")
        await until(pilot, stack, lambda: not stack.runtime.timeline.live, "the past")
        await press_until(pilot, stack, ["5", "c"], lambda: not stack.cluster.nodes[5].alive, "")
        names = [b.name for b in stack.runtime.timeline.view().branches]
        assert names == ["main", "crash 5"] and stack.runtime.timeline.live
        # Live again, but on a branch: even a short terminal keeps saying which one.
        strip = stack.app.screen_main.query_one(TimelineStrip)
        await until(pilot, stack, lambda: not strip.has_class("-live"), "the branch named")
        await pilot.press("b")
        assert isinstance(stack.app.screen, ChoiceScreen)
        await press_until(
            pilot, stack, ["up", "enter"], lambda: stack.runtime.timeline.branch == 0, "branch 0"
        )
        assert stack.cluster.view() == old_end


async def test_ctrl_s_saves_the_branch_on_screen_up_to_the_position_on_screen(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await run_for(pilot, stack, 2500)
        await press_until(pilot, stack, ["2", "c"], lambda: not stack.cluster.nodes[2].alive, "")
        await run_for(pilot, stack, 1000)
        for _ in range(30):
            await pilot.press("left_square_bracket")
        await until(pilot, stack, lambda: not stack.runtime.timeline.live, "the past")
        await press_until(pilot, stack, ["4", "i"], lambda: 4 in stack.cluster.links.isolated, "")
        for _ in range(7):
            await pilot.press("left_square_bracket")
        await until(pilot, stack, lambda: not stack.runtime.timeline.live, "the past again")
        await until(pilot, stack, lambda: stack.app.view is not None, "the view")
        await pilot.press("ctrl+s")
        assert isinstance(stack.app.screen, PromptScreen)
        saved = tmp_path / stack.app.screen.input.value
        await pilot.press("enter")
        await until(pilot, stack, saved.exists, "the saved file")
        on_screen = stack.cluster.view()
    out = io.StringIO()
    assert run_script(str(saved), as_json=True, seed=None, out=out) == 0
    report = json.loads(out.getvalue())
    assert report["time_ms"] == on_screen.time_ms
    assert report["nodes"] == [_node_report(n) for n in on_screen.nodes]
    script = load_script(saved)
    replay = Executor(script.cluster, stories=True)
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    assert replay.cluster.view() == on_screen


async def test_a_click_on_the_strip_jumps_there(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await run_for(pilot, stack, 4000)
        strip = stack.app.screen_main.query_one(TimelineStrip)
        await until(pilot, stack, lambda: strip._view is not None, "the strip")
        bar_middle = strip._bar_start + (strip.size.width - strip._bar_start) // 2
        await pilot.click(TimelineStrip, offset=(bar_middle + 1, 0))
        await until(pilot, stack, lambda: not stack.runtime.timeline.live, "the jump")
        assert 1500 <= stack.cluster.time_ms <= 2500


async def test_steps_to_the_next_delivery_and_the_next_change(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await press_until(pilot, stack, "e", lambda: bool(stack.cluster.flights), "pre-votes")
        sent = set(stack.cluster.flights)
        await press_until(
            pilot,
            stack,
            "greater_than_sign",
            lambda: not sent <= set(stack.cluster.flights),
            "a delivery",
        )
        assert len(sent - set(stack.cluster.flights)) == 1  # exactly one, and then it stopped
        before = [(n.raw.raft.term, n.raw.raft.state) for n in stack.cluster.nodes.values()]
        await press_until(
            pilot,
            stack,
            "semicolon",
            lambda: (
                [(n.raw.raft.term, n.raw.raft.state) for n in stack.cluster.nodes.values()]
                != before
                or any(n.raw.raft.raft_log.last_index() for n in stack.cluster.nodes.values())
            ),
            "a change",
        )


# ------------------------------------------------------------------ each message's fate


async def test_the_in_flight_list_delivers_drops_duplicates_and_holds(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await press_until(pilot, stack, "M", lambda: stack.cluster.manual, "manual delivery")
        await press_until(pilot, stack, "e", lambda: len(stack.cluster.flights) == 4, "pre-votes")
        for _ in range(30):  # ticks go on; messages wait
            await pilot.press("comma")
        await until(pilot, stack, lambda: stack.cluster.time_ms >= 3000, "ticks")
        assert len(stack.cluster.flights) >= 4
        table = stack.app.screen_main.query_one(FlightTable)
        await pilot.press("F")
        assert table.has_focus and table.picked is not None
        first = table.picked
        await press_until(pilot, stack, "d", lambda: first not in stack.cluster.flights, "deliver")
        await pilot.press("down")
        picked = table.picked
        assert picked is not None
        await press_until(pilot, stack, "k", lambda: picked in stack.cluster.held, "hold")
        await press_until(pilot, stack, "k", lambda: picked not in stack.cluster.held, "release")
        count = len(stack.cluster.flights)
        await press_until(pilot, stack, "y", lambda: len(stack.cluster.flights) == count + 1, "dup")
        table.pick(picked)
        await press_until(pilot, stack, "x", lambda: picked not in stack.cluster.flights, "drop")
        lines = stack.runtime.session_script()
        assert "set delivery=manual" in lines and "deliver " in lines and "drop " in lines


async def test_a_dropped_vote_response_changes_who_wins(tmp_path: Path) -> None:
    """Typed at the prompt: with S3's vote for S1 dropped, S1 cannot win; S2 then can."""

    async def winner(drop: bool) -> int | None:
        stack = make_stack(nodes=3)
        async with stack.app.run_test(size=SIZE) as pilot:
            await started(pilot, stack)
            await command(pilot, stack, "set delivery=manual", lambda: stack.cluster.manual)
            await command(pilot, stack, "campaign 1", lambda: len(stack.cluster.flights) == 2)
            await type_command(
                pilot, stack, "deliver 1->2", lambda: len(stack.cluster.flights) == 2
            )
            await type_command(pilot, stack, "deliver 2->1", lambda: True)
            await until(
                pilot,
                stack,
                lambda: stack.cluster.nodes[1].raw.raft.state == StateType.StateCandidate,
                "S1 a candidate",
            )
            await type_command(pilot, stack, "deliver 1->2 MsgVote", lambda: True)
            fate = "drop" if drop else "deliver"
            await type_command(
                pilot,
                stack,
                f"{fate} 2->1 MsgVoteResp",
                lambda: not any(f.msg.to == 1 for f in stack.cluster.flights.values()),
            )
            return stack.cluster.leader()

    assert await winner(drop=False) == 1
    assert await winner(drop=True) is None


async def test_breakpoint_leader_3_stops_the_live_run_at_that_event() -> None:
    rt = Runtime(Executor(ClusterCmd(nodes=3, seed=2), stories=True), speed=64, paused=True)
    stack = stack_of(rt)
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await type_command(pilot, stack, "break leader=3", lambda: True)
        assert stack.bridge.breakpoints == ("leader=3",)
        await command(pilot, stack, "campaign 3", lambda: True)
        await pilot.press("space")
        await until(
            pilot, stack, lambda: stack.runtime.paused and stack.cluster.leader() == 3, "the break"
        )
        # Paused at the very event: one step back, node 3 is not the leader yet.
        assert stack.cluster.nodes[3].raw.raft.state == StateType.StateLeader
        tl = stack.runtime.timeline
        landmark = [x for x in tl.view().landmarks if x.kind == "leader"][-1]
        assert landmark.position == tl.cursor == tl.length
        await press_until(
            pilot, stack, "left_square_bracket", lambda: stack.cluster.leader() != 3, "before it"
        )
        # B lists it; enter on it removes it.
        await pilot.press("B")
        assert isinstance(stack.app.screen, ChoiceScreen)
        await press_until(
            pilot, stack, ["down", "enter"], lambda: not stack.runtime.executor.breakpoints, "gone"
        )


async def test_held_message_stays_across_a_hundred_ticks_then_arrives(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        before = stack.cluster.view()
        await press_until(pilot, stack, ["1", "r"], changed(stack, before), "a proposal")
        await type_command(pilot, stack, "hold 1->3 MsgApp", lambda: bool(stack.cluster.held))
        held = next(iter(stack.cluster.held))
        await type_command(pilot, stack, "tick 3 count=100", lambda: True)
        await until(pilot, stack, lambda: stack.runtime.busy is None, "the ticks")
        assert held in stack.cluster.flights
        await type_command(
            pilot, stack, "release 1->3 MsgApp", lambda: held not in stack.cluster.held
        )
        await run_for(pilot, stack, 500)
        assert held not in stack.cluster.flights


async def test_a_duplicated_append_is_handled_idempotently(stack: Stack) -> None:
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        before = stack.cluster.view()
        await press_until(pilot, stack, ["1", "r"], changed(stack, before), "a proposal")
        count = len(stack.cluster.flights)
        await type_command(
            pilot,
            stack,
            "duplicate 1->2 MsgApp",
            lambda: len(stack.cluster.flights) == count + 1,
        )
        await command(pilot, stack, "stabilize", lambda: not stack.cluster.flights)
        logs = {tuple(n.log) for n in stack.cluster.view().nodes}
        assert len(logs) == 1 and not stack.cluster.violations
        assert stack.cluster.nodes[2].raw.raft.raft_log.last_index() == 2
