"""The runtime on its timeline: travelling pauses and shows the past, running from the past
plays the recorded future again, acting there forks a branch, and a saved session stops at the
position on screen."""

from __future__ import annotations

import trio
import trio.testing

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, parse_script
from raftviz.runtime import Batch, Pause, Resume, Runtime, StepEvent, Subscription, Travel
from raftviz.scenarios import FOLDER as SCENARIOS
from tests.sim.test_runtime import do, run_with_runtime


def _replays_to(rt: Runtime) -> bool:
    script = parse_script(rt.session_script(), "session.raft")
    replay = Executor(script.cluster, stories=True)
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    return replay.cluster.view() == rt.cluster.view()


async def _latest(sub: Subscription) -> Batch:
    await trio.testing.wait_all_tasks_blocked()
    batch = await sub.receive()
    while (more := sub.receive_nowait()) is not None:
        batch = more
    return batch


def test_back_fifty_then_forward_fifty_through_the_runtime_gives_the_same_state() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), speed=4)
    states = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(2)
        do(rt, "propose leader x=1")
        await trio.sleep(0.5)
        rt.control(Pause())
        await trio.testing.wait_all_tasks_blocked()
        states["live"] = rt.cluster.view()
        for _ in range(50):
            rt.control(Travel("back"))
        batch = await _latest(sub)
        states["past"] = batch
        for _ in range(50):
            rt.control(Travel("forward"))
        await trio.testing.wait_all_tasks_blocked()

    run_with_runtime(body, rt)
    past = states["past"]
    assert past.timeline is not None and past.timeline.position == past.timeline.length - 50
    assert past.paused and past.undone_after is not None
    assert rt.timeline.live and rt.cluster.view() == states["live"]


def test_running_from_the_past_plays_the_recorded_future_then_goes_on_live() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), speed=4)
    seen = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(1)
        do(rt, "crash 2")
        await trio.sleep(1)
        rt.control(Travel("start"))
        await trio.testing.wait_all_tasks_blocked()
        seen["start"] = (rt.timeline.cursor, rt.cluster.nodes[2].alive)
        rt.control(Resume())
        await trio.sleep(1.5)
        seen["halfway"] = (rt.timeline.live, rt.cluster.nodes[2].alive)
        await trio.sleep(1)
        seen["after"] = (rt.timeline.live, rt.cluster.nodes[2].alive)
        await trio.sleep(1)
        rt.control(Pause())
        await trio.testing.wait_all_tasks_blocked()

    run_with_runtime(body, rt)
    assert seen["start"] == (0, True)
    assert seen["halfway"] == (False, False)  # the crash was done again on the way...
    assert seen["after"] == (True, False)  # ...and the recorded future ran out
    assert [b.name for b in rt.timeline.view().branches] == ["main"]
    assert rt.cluster.time_ms > 3 * 4000  # and time went on beyond the old end
    assert _replays_to(rt)


def test_an_action_in_the_past_forks_and_a_question_does_not() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), paused=True)
    notices: list[str] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(300):
            rt.control(StepEvent())
        do(rt, "crash 1")
        for _ in range(100):
            rt.control(StepEvent())
        rt.control(Travel("undo"))  # to just before the crash
        do(rt, "expect node=1 role=follower")
        batch = await _latest(sub)
        notices.extend(batch.notices)
        assert len(rt.timeline.view().branches) == 1
        do(rt, "crash 4")

    run_with_runtime(body, rt)
    assert notices == ["✔ expect node=1 role=follower: holds"]
    view = rt.timeline.view()
    assert [(b.name, b.fork) for b in view.branches] == [("main", 0), ("crash 4", 300)]
    assert rt.cluster.nodes[1].alive and not rt.cluster.nodes[4].alive
    assert rt.recorded[-1] == "crash 4" and "crash 1" not in rt.session_script()
    assert _replays_to(rt)


def test_the_saved_session_stops_at_the_position_on_screen() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), speed=4)

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(2)
        rt.control(Pause())
        rt.control(Travel("story-back"))
        rt.control(Travel("back"))
        await trio.testing.wait_all_tasks_blocked()

    run_with_runtime(body, rt)
    assert not rt.timeline.live
    assert _replays_to(rt)


def test_stepping_forward_in_the_past_redoes_the_recorded_action() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), paused=True)

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(20):
            rt.control(StepEvent())
        do(rt, "crash 5")
        rt.control(Travel("back"))
        await trio.testing.wait_all_tasks_blocked()
        assert rt.cluster.nodes[5].alive
        rt.control(StepEvent())
        await trio.testing.wait_all_tasks_blocked()

    run_with_runtime(body, rt)
    assert rt.timeline.live and not rt.cluster.nodes[5].alive
    assert len(rt.timeline.view().branches) == 1


def test_steps_to_the_next_delivery_and_the_next_change() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), paused=True)
    found = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        await _latest(sub)
        rt.control(Travel("delivery"))
        batch = await _latest(sub)
        found["delivery"] = [type(e).__name__ for e in batch.events]
        rt.control(Travel("change"))
        batch = await _latest(sub)
        found["change"] = [type(e).__name__ for e in batch.events]

    run_with_runtime(body, rt)
    assert "MessageDelivered" in found["delivery"]
    assert {"StateChanged", "EntriesChanged"} & set(found["change"])
    assert _replays_to(rt)


def test_switching_branches_shows_each_live_end() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1), stories=True), paused=True)
    ends = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(200):
            rt.control(StepEvent())
        await trio.testing.wait_all_tasks_blocked()
        ends[0] = rt.cluster.view()
        rt.control(Travel("position", 100))
        do(rt, "isolate 3")
        await trio.testing.wait_all_tasks_blocked()
        ends[1] = rt.cluster.view()
        rt.control(Travel("branch", 0))
        await trio.testing.wait_all_tasks_blocked()
        ends["back to 0"] = rt.cluster.view()
        rt.control(Travel("branch", 1))
        await trio.testing.wait_all_tasks_blocked()
        ends["back to 1"] = rt.cluster.view()
        rt.control(Travel("branch", 7))

    run_with_runtime(body, rt)
    assert ends["back to 0"] == ends[0] and ends["back to 1"] == ends[1]
    assert ends[0] != ends[1]


def test_a_violation_breakpoint_stops_just_before_the_violating_event() -> None:
    """As `raftviz check` saves its findings: `break violations>0` first, so that the TUI opens
    them paused just before the rule breaks; one step forward shows it break."""
    text = (SCENARIOS / "unsafe-no-log-check.raft").read_text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("cluster"))
    lines.insert(at + 1, "break violations>0")
    script = parse_script("\n".join(lines) + "\n", "found.raft")
    rt = Runtime(Executor(script.cluster, stories=True), speed=100, script=script.commands)
    seen = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(200):
            batch = await _latest(sub)
            if any("breakpoint 1" in n for n in batch.notices):
                break
            if rt.paused and rt.playing:
                rt.control(Resume())  # the lesson's own pauses
        seen["before"] = (rt.timeline.live, len(rt.cluster.violations))
        rt.control(StepEvent())
        await trio.testing.wait_all_tasks_blocked()
        seen["after"] = len(rt.cluster.violations)

    run_with_runtime(body, rt)
    assert seen["before"] == (False, 0)
    assert seen["after"] > 0
