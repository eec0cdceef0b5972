"""The runtime under stress: keys obeyed however far behind the simulation is, long prompt
commands that advance in slices and can be stopped, time that flows while running whatever the
nodes do, failed actions saved as comments, and live runs identical to `raftviz run`."""

from __future__ import annotations

import time

import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, parse_command, parse_script
from raftviz.core.sim.events import Event, Narration
from raftviz.runtime import Do, Interrupt, Pause, Printed, Resume, Runtime, Subscription

from .test_runtime import do, run_with_runtime


def test_a_slow_subscriber_far_behind_at_top_speed_still_gets_every_command_obeyed() -> None:
    """The simulation can never keep this speed, and the subscriber spends 5 ms of the thread
    per batch, as a busy screen does: every command is applied anyway, and pause stops time."""
    rt = Runtime(Executor(ClusterCmd(seed=11)), speed=100_000.0)
    sub = rt.subscribe(limit=4)
    frozen: list[int] = []

    async def slow_screen() -> None:
        while True:
            await sub.receive()
            time.sleep(0.005)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(rt.run)
            nursery.start_soon(slow_screen)
            for i in range(78):
                do(rt, f'mark "m{i}"')
                await trio.sleep(0.01)
            rt.control(Pause())
            await trio.sleep(0.1)
            frozen.append(rt.cluster.time_ms)
            await trio.sleep(0.3)
            frozen.append(rt.cluster.time_ms)
            nursery.cancel_scope.cancel()

    trio.run(main)
    marks = [line for line in rt.recorded if line.startswith("mark")]
    assert marks == [f'mark "m{i}"' for i in range(78)]
    assert rt.paused
    assert frozen[0] == frozen[1] > 0


def test_the_achieved_speed_is_reported_when_the_machine_cannot_keep_up() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=11)), speed=1_000_000.0)
    seen: list[float | None] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(rt.run)
            await trio.sleep(1.5)
            seen.append(rt.achieved_speed)
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert seen[0] is not None and 0 < seen[0] < 1_000_000


def test_keeping_up_reports_no_achieved_speed() -> None:
    seen: list[float | None] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(3)
        seen.append(rt.achieved_speed)

    run_with_runtime(body)
    assert seen == [None]


def test_time_flows_while_running_with_every_node_crashed() -> None:
    seen: list[int] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(1)
        for node in range(1, 6):
            do(rt, f"crash {node}")
        await trio.testing.wait_all_tasks_blocked()
        start = rt.cluster.time_ms
        await trio.sleep(2)
        seen.append(rt.cluster.time_ms - start)

    run_with_runtime(body)
    assert 1900 <= seen[0] <= 2000


# ------------------------------------------------------------------ long prompt commands


def test_a_huge_run_typed_at_the_prompt_advances_in_slices_and_esc_stops_it() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)
    seen: dict[str, object] = {}

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "run 1440m")
        # Batches keep coming while it works: the screen is never left waiting.
        batches = 0
        while batches < 5:
            await sub.receive()
            batches += 1
        seen["busy"] = rt.busy
        seen["mid"] = rt.cluster.time_ms
        rt.control(Interrupt())
        await trio.testing.wait_all_tasks_blocked()
        seen["after"] = rt.busy
        seen["stopped_at"] = rt.cluster.time_ms
        await trio.sleep(1)
        seen["later"] = rt.cluster.time_ms
        errors = []
        while (batch := sub.receive_nowait()) is not None:
            errors.extend(batch.errors)
        seen["errors"] = errors

    run_with_runtime(body, rt)
    assert isinstance(seen["busy"], str) and seen["busy"].startswith("run 1440m: ")
    assert "of 86,400.0s simulated  (esc stops it)" in seen["busy"]
    assert 0 < seen["mid"] < 86_400_000  # type: ignore[operator]
    assert seen["after"] is None
    assert seen["later"] == seen["stopped_at"]  # paused: nothing more after the stop
    assert any(e.startswith("run 1440m: ") and e.endswith(": stopped") for e in seen["errors"])  # type: ignore[attr-defined]


def test_a_prompt_run_until_ends_when_its_condition_holds() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "run until leader timeout=10m")
        while rt.busy is not None or rt.cluster.leader() is None:
            await sub.receive()

    run_with_runtime(body, rt)
    assert rt.cluster.leader() is not None
    assert rt.cluster.time_ms < 60_000
    # It stopped at the end of a millisecond, as the saved `run Xms` will.
    assert rt.cluster.next_time() != rt.cluster.time_ms


def test_an_action_typed_during_many_ticks_is_saved_between_the_ticks_around_it() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1, auto_tick=False)), paused=True)

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "tick 2 count=100000")
        while rt.busy is None or "0 of" in rt.busy:
            await sub.receive()
        do(rt, 'mark "between"')
        while rt.busy is not None:
            await sub.receive()

    run_with_runtime(body, rt)
    lines = rt.recorded[1:]
    assert lines[1] == 'mark "between"'
    counts = [int(line.split("=")[1]) for line in (lines[0], lines[2])]
    assert lines[0].startswith("tick 2 count=") and lines[2].startswith("tick 2 count=")
    assert sum(counts) == 100_000 and all(counts)
    assert_replays_to_the_same_state(rt)


# ------------------------------------------------------------------ saved sessions


def test_failed_actions_are_saved_as_comments_so_the_session_replays_cleanly() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "propose leader x=1")  # no leader yet
        do(rt, "crash 2")
        do(rt, "tick 2")  # crashed
        do(rt, "restart 3")  # not crashed
        await trio.testing.wait_all_tasks_blocked()

    run_with_runtime(body, rt)
    assert rt.recorded[1:] == [
        "# failed: propose x=1",
        "crash 2",
        "# failed: tick 2",
        "# failed: restart 3",
    ]
    assert_replays_to_the_same_state(rt)


def assert_replays_to_the_same_state(rt: Runtime) -> list[Event]:
    script = parse_script(rt.session_script(), "session.raft")
    replay = Executor(script.cluster)
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    assert replay.cluster.view() == rt.cluster.view()
    return replay.cluster.drain()


# ------------------------------------------------------------------ live = headless = saved


def play_live(text: str, speed: float = 10.0) -> tuple[Runtime, list[Event]]:
    """Play a script through the runtime on a MockClock until it pauses at its end (a `pause`
    finishes the millisecond it is in, like any action)."""
    script = parse_script(text + "pause\n", "live.raft")
    rt = Runtime(Executor(script.cluster), speed=speed, script=script.commands)
    events: list[Event] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        while not rt.paused:
            events.extend((await sub.receive()).events)
        await trio.testing.wait_all_tasks_blocked()
        while (batch := sub.receive_nowait()) is not None:
            events.extend(batch.events)

    run_with_runtime(body, rt, limit=1_000_000)
    return rt, events


def play_headless(text: str) -> tuple[Executor, list[Event]]:
    script = parse_script(text, "headless.raft")
    executor = Executor(script.cluster)
    for located in script.commands:
        executor.run(located.command, located.line)
    return executor, executor.cluster.drain()


def assert_live_headless_and_saved_agree(text: str) -> None:
    rt, live = play_live(text)
    headless, expected = play_headless(text + "pause\n")
    assert live == expected
    assert rt.cluster.view() == headless.cluster.view()
    saved = assert_replays_to_the_same_state(rt)
    assert saved == expected


def test_the_issue_example_plays_the_same_live_headless_and_saved() -> None:
    text = (
        "cluster seed=1 latency=(0ms,0ms)\n"
        "run until leader\n"
        "propose leader a=1\n"
        "run 0ms\n"
        "crash 3\n"
        "run 2s\n"
    )
    headless, _ = play_headless(text)
    assert headless.cluster.nodes[3].raw.raft.raft_log.committed == 2
    assert_live_headless_and_saved_agree(text)


_NODE = st.integers(1, 5)
_DURATION = st.sampled_from(["0ms", "1ms", "7ms", "50ms", "100ms", "333ms", "1s", "2500ms"])
_ACTION = st.one_of(
    st.builds(lambda n: f"crash {n}", _NODE),
    st.builds(lambda n: f"restart {n}", _NODE),
    st.builds(lambda n: f"isolate {n}", _NODE),
    st.builds(lambda n: f"rejoin {n}", _NODE),
    st.builds(lambda a, d: f"cut {a}>{(a + d - 1) % 5 + 1}", _NODE, st.integers(1, 4)),
    st.just("partition 1,2 | 3,4,5"),
    st.just("heal"),
    st.builds(lambda k: f"propose leader k{k}={k}", st.integers(0, 9)),
    st.builds(lambda n: f"propose {n} p=1", _NODE),
    st.builds(lambda p: f"set loss={p}", st.sampled_from(["0", "0.1", "0.3"])),
    st.builds(lambda n: f"campaign {n}", _NODE),
    st.builds(lambda n: f"forget-leader {n}", _NODE),
    st.builds(lambda d: f"run {d}", _DURATION),
    st.just("run until leader timeout=3s"),
    st.just("expect leader=1"),
    st.just("align-timers"),
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 1000),
    latency=st.sampled_from(["(0ms,0ms)", "(1ms,3ms)", "(50ms,150ms)"]),
    actions=st.lists(_ACTION, min_size=1, max_size=12),
)
def test_random_fault_scripts_play_the_same_live_headless_and_saved(
    seed: int, latency: str, actions: list[str]
) -> None:
    text = f"cluster seed={seed} latency={latency}\n" + "".join(f"{a}\n" for a in actions)
    assert_live_headless_and_saved_agree(text)


def test_an_action_on_a_prompt_during_a_paced_run_replays_exactly() -> None:
    async def body(rt: Runtime, sub: Subscription) -> None:
        for t in ("crash 1", "propose leader v=1", "isolate 2", "heal", "restart 1"):
            await trio.sleep(0.37)
            rt.control(Do(parse_command(t, nodes=5)))  # type: ignore[arg-type]
        rt.control(Pause())
        await trio.testing.wait_all_tasks_blocked()

    rt = run_with_runtime(body, Runtime(Executor(ClusterCmd(seed=3)), speed=8.0))
    assert_replays_to_the_same_state(rt)


# ------------------------------------------------------------------ lectures


def test_a_lecture_waits_after_each_say_and_announces_its_end_with_its_checks() -> None:
    text = (
        'say "one"\nrun until leader timeout=10s\nsay "two"\n'
        "expect leader term=1\nexpect leader term=9\n"
    )
    script = parse_script(text, "lecture.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands, lecture=True)
    seen: list[tuple[str, bool]] = []
    notices: list[str] = []

    def said(sub: Subscription) -> str:
        lines = []
        while (batch := sub.receive_nowait()) is not None:
            lines += [e.text for e in batch.events if isinstance(e, Narration)]
            notices.extend(batch.notices)
        return " / ".join(lines)

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(2):
            await trio.sleep(20)
            seen.append((said(sub), rt.paused))
            rt.control(Resume())
        await trio.sleep(20)
        said(sub)

    run_with_runtime(body, rt)
    assert seen == [("one", True), ("two", True)]
    assert notices == ["The scenario has ended: 2 of 3 checks held."]


def test_without_lecture_a_say_does_not_wait() -> None:
    script = parse_script('say "one"\nrun 1s\nsay "two"\n', "s.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands)

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(2)

    run_with_runtime(body, rt)
    assert not rt.paused and rt.cluster.time_ms >= 1900


def test_a_lecture_question_followed_by_pause_waits_once() -> None:
    script = parse_script('say "predict?"\npause\nsay "answer"\n', "q.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands, lecture=True)
    waits: list[int] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        for _ in range(2):
            await trio.sleep(1)
            waits.append(len(rt.recorded))
            rt.control(Resume())
        await trio.sleep(1)

    run_with_runtime(body, rt)
    # First wait after "predict?" and its pause, the second after "answer".
    assert waits == [3, 4]


def test_what_status_raft_log_and_raft_state_print_reaches_the_subscriber() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)
    outputs: list[Printed] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        do(rt, "run until leader")
        while rt.busy is not None or rt.cluster.leader() is None:
            await sub.receive()
        do(rt, "status leader")
        do(rt, "raft-log 2")
        do(rt, "raft-state")
        while len(outputs) < 3:
            outputs.extend((await sub.receive()).outputs)

    run_with_runtime(body, rt)
    leader = rt.cluster.leader()
    assert [o.command for o in outputs] == ["status leader", "raft-log 2", "raft-state"]
    assert f"{leader}: StateReplicate" in outputs[0].text  # the leader's progress table
    assert outputs[1].text.startswith("1/1 EntryNormal")
    assert len(outputs[2].text.splitlines()) == 5 and outputs[2].text.startswith("1: State")
