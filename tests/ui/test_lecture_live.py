"""Lecture-ready (issue 8) against the real stack: Runtime + TrioBridge + RaftvizApp.

A played lesson's lines, its waits and its end reach the narration panel; what `status`,
`raft-log` and `raft-state` print opens on screen; a typed `expect` answers both ways. Time
is frozen (the runtime starts paused, or waits in the lecture), so Pilot sees an idle app.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import outcome
from textual.pilot import Pilot

from raftviz.app import RaftvizApp
from raftviz.bridge import TrioBridge
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import SayCmd, parse_script
from raftviz.runtime import Runtime
from raftviz.scenarios import builtin_scenarios
from raftviz.widgets import NarrationBar, OutputScreen
from raftviz.widgets.lessons import LessonPicker

from .test_keys_live import Stack, elect, started, type_command, until

Text = Callable[[RaftvizApp], str]

SIZE = (160, 48)

LESSON = """\
# A tiny lesson.
cluster nodes=3 seed=1
say "First line: three followers wait for their election timers."
say "Second line: predict who times out first."
campaign 1
run until leader=1 timeout=5s
say "Third line: S1 leads."
expect leader=1
"""


def lecture_stack(text: str = LESSON, *, lecture: bool = True) -> Stack:
    script = parse_script(text, "lesson.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands, lecture=lecture)
    bridge = TrioBridge(rt)
    return Stack(RaftvizApp(bridge, services=[bridge]), bridge, rt)


def flat(text: str) -> str:
    return " ".join(text.split())


def panel(stack: Stack) -> Any:
    return stack.app.screen_main.query_one(NarrationBar)


async def test_a_played_lecture_keeps_its_lines_waits_and_announces_its_end(
    text_of: Text,
) -> None:
    stack = lecture_stack()
    async with stack.app.run_test(size=SIZE) as pilot:
        await until(pilot, stack, lambda: panel(stack).text is not None, "the first line")
        await until(pilot, stack, lambda: panel(stack).waiting, "the lecture waiting")
        assert panel(stack).text.startswith("First line")
        assert "‖ space: continue" in text_of(stack.app)
        await pilot.press("space")
        await until(pilot, stack, lambda: (panel(stack).text or "").startswith("Second"), "2")
        await until(pilot, stack, lambda: panel(stack).waiting, "the second wait")
        assert stack.app.paused and "PAUSED" in text_of(stack.app)  # one press per line
        screen = flat(text_of(stack.app))
        assert "First line: three followers wait for their election timers." in screen
        assert "» Second line: predict who times out first." in screen
        await pilot.press("space")
        await until(pilot, stack, lambda: (panel(stack).text or "").startswith("Third"), "3")
        await until(pilot, stack, lambda: panel(stack).waiting, "the third wait")
        assert stack.app.paused  # the status bar says so too
        await pilot.press("space")
        await until(pilot, stack, lambda: panel(stack).note is not None, "the end")
        assert panel(stack).note == "The scenario has ended: 2 of 2 checks held."
        assert panel(stack).history == (
            "First line: three followers wait for their election timers.",
            "Second line: predict who times out first.",
        )
        await pilot.pause()
        screen = flat(text_of(stack.app))
        assert "The scenario has ended: 2 of 2 checks held." in screen
        # The script is over: nothing left to continue.
        assert not panel(stack).waiting
        assert "space: continue" not in screen


async def test_status_raft_log_and_raft_state_typed_at_the_prompt_show_whole(
    text_of: Text,
) -> None:
    stack = lecture_stack("cluster nodes=5 seed=1\n", lecture=False)
    stack.runtime.paused = True
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        await type_command(pilot, stack, "status 1", lambda: True)
        await until(pilot, stack, lambda: isinstance(stack.app.screen, OutputScreen), "status")
        await pilot.pause()
        screen = text_of(stack.app)
        assert "status 1" in screen
        for peer in range(1, 6):  # the leader's progress table, one row per node
            assert f"{peer}: StateReplicate" in screen
        await pilot.press("escape")
        assert not isinstance(stack.app.screen, OutputScreen)
        await type_command(pilot, stack, "raft-state", lambda: True)
        await until(pilot, stack, lambda: isinstance(stack.app.screen, OutputScreen), "state")
        await pilot.pause()
        output = stack.app.screen
        assert isinstance(output, OutputScreen)
        assert [heading for heading, _ in output.sections] == ["raft-state"]
        text = str(output.sections[0][1])
        assert len(text.splitlines()) == 5 and text.startswith("1: StateLeader")
        for line in text.splitlines():
            assert line in text_of(stack.app)  # whole lines, not cut
        await pilot.press("escape")
        await type_command(pilot, stack, "raft-log 2", lambda: True)
        await until(pilot, stack, lambda: isinstance(stack.app.screen, OutputScreen), "log")
        await pilot.pause()
        assert "1/1 EntryNormal" in text_of(stack.app)


async def test_a_typed_expect_answers_both_ways_and_a_failure_stays(text_of: Text) -> None:
    stack = lecture_stack("cluster nodes=5 seed=1\n", lecture=False)
    stack.runtime.paused = True
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        await type_command(pilot, stack, "expect leader=1", lambda: True)
        await until(pilot, stack, lambda: panel(stack).note is not None, "the answer")
        await pilot.pause()
        assert "✔ expect leader=1: holds" in text_of(stack.app)
        await type_command(pilot, stack, "expect leader=2", lambda: True)
        await until(pilot, stack, lambda: (panel(stack).note or "").startswith("✖"), "fails")
        await pilot.pause()
        failure = "✖ expect leader=2: fails: expected leader 2, got 1"
        assert failure in text_of(stack.app)
        assert not any("expect" in n.message for n in stack.app._notifications)  # no toast
        # The run goes on: the failure stays on screen until replaced or dismissed.
        for _ in range(5):
            before = stack.cluster.view()
            await pilot.press("comma")
            await until(pilot, stack, lambda b=before: stack.cluster.view() != b, "a tick")
        await pilot.pause()
        assert failure in text_of(stack.app)
        await pilot.press("escape")
        await pilot.pause()
        assert failure not in text_of(stack.app)


async def run_until_said(pilot: Pilot[Any], stack: Stack, start: str) -> None:
    await until(pilot, stack, lambda: (panel(stack).text or "").startswith(start), start)


# ------------------------------------------------------------------ lessons: a new runtime


async def test_a_lesson_replaces_the_runtime_inside_the_same_trio_run(text_of: Text) -> None:
    stack = lecture_stack("cluster nodes=5 seed=1\n", lecture=False)
    stack.runtime.paused = True
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        await elect(pilot, stack, 1)
        old, old_scope = stack.runtime, stack.bridge._run_scope
        assert old_scope is not None
        await pilot.press("o")
        assert isinstance(stack.app.screen, LessonPicker)
        # Down from "restart" to leader-crash, wherever the lessons put it.
        names = [scenario.name for scenario in builtin_scenarios()]
        await pilot.press(*["down"] * (names.index("leader-crash") + 1), "enter")
        # (The stack's own runtime is the old one until it is told: compare no views yet.)
        await until(pilot, stack, lambda: stack.bridge.runtime is not old, "it", synced=False)
        stack.runtime = new = stack.bridge.runtime
        # The old runtime's task was cancelled, not left running beside the new one.
        await until(pilot, stack, lambda: old_scope.cancelled_caught, "the old task's end")
        assert new.lecture and new.playing
        assert new.executor.cluster_cmd.seed == 2  # leader-crash.raft's own cluster
        assert stack.bridge.scenario == "leader-crash"
        assert stack.app.title == "raftviz - leader-crash"
        # It plays from its beginning and waits after its first line, as a lecture.
        first = next(c.command.text for c in new.script if isinstance(c.command, SayCmd))
        await until(pilot, stack, lambda: panel(stack).text == first, "the lesson's first line")
        await until(pilot, stack, lambda: panel(stack).waiting, "the lecture waiting")
        # The panel is repainted on the next frame after it learns its line.
        shown = flat(f"» {first}")
        await until(pilot, stack, lambda: shown in flat(text_of(stack.app)), "the line on screen")
        # Keys reach the new cluster only.
        await pilot.press("2", "c")
        await until(pilot, stack, lambda: not new.cluster.nodes[2].alive, "S2 crashed")
        assert old.cluster.nodes[2].alive
        assert "CRASHED" in text_of(stack.app)
        # Restart: the same lesson again from its start, on yet another runtime.
        await pilot.press("o", "enter")
        await until(pilot, stack, lambda: stack.bridge.runtime is not new, "it", synced=False)
        stack.runtime = again = stack.bridge.runtime
        assert again.script == new.script and again.lecture
        await until(pilot, stack, lambda: panel(stack).text == first, "the first line again")
        assert again.cluster.nodes[2].alive
        await pilot.press("q")
        await pilot.pause()
    done = stack.bridge._done
    assert done is not None and done.done()
    assert isinstance(done.result(), outcome.Value)


async def test_a_script_that_cannot_be_played_leaves_the_run_alone(tmp_path: Any) -> None:
    stack = lecture_stack("cluster nodes=5 seed=1\n", lecture=False)
    stack.runtime.paused = True
    bad = tmp_path / "bad.raft"
    bad.write_text("cluster nodes=5\nfrobnicate 3\n")
    big = tmp_path / "big.raft"
    big.write_text("cluster nodes=11\n")
    async with stack.app.run_test(size=SIZE) as pilot:
        await started(pilot, stack)
        old = stack.runtime
        for path, problem in ((bad, "frobnicate"), (big, "3 to 9 nodes")):
            try:
                stack.bridge.load(str(path))
            except ValueError as error:
                assert problem in str(error)
            else:
                raise AssertionError(f"{path.name} was loaded")
        assert stack.bridge.runtime is old and stack.bridge.generation == 0


async def test_an_unsafe_lesson_plays_to_its_violation_under_its_red_badge(
    text_of: Text,
) -> None:
    """unsafe-figure-8 in the TUI, line by line: a step-by-step cluster (no ticks) under a
    lecture, to the violation it is about, every check holding, the badge on throughout."""
    (lesson,) = [s for s in builtin_scenarios() if s.name == "unsafe-figure-8"]
    with open(lesson.path, encoding="utf-8") as file:
        stack = lecture_stack(file.read())
    async with stack.app.run_test(size=SIZE) as pilot:
        await until(pilot, stack, lambda: panel(stack).waiting, "the first wait")
        assert "UNSAFE: commit-old-terms" in text_of(stack.app)
        for _ in range(40):
            if panel(stack).note is not None:
                break
            await pilot.press("space")
            await until(
                pilot,
                stack,
                lambda: panel(stack).waiting or panel(stack).note is not None,
                "the next wait",
            )
        screen = text_of(stack.app)
        note = panel(stack).note
        ended = re.fullmatch(r"The scenario has ended: (\d+) of (\d+) checks held\.", note)
        assert ended and ended[1] == ended[2], note
        assert "SAFETY VIOLATION: leader-completeness" in screen
        assert "UNSAFE: commit-old-terms" in screen
