"""The Trio runtime, on trio.testing.MockClock: pacing, pause and steps, commands between events,
recorded sessions that replay exactly, slow subscribers, and script playback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio
import trio.testing

from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, parse_command, parse_script
from raftviz.core.sim.events import Event, Narration
from raftviz.runtime import (
    Batch,
    Do,
    Pause,
    Resume,
    Runtime,
    SetSpeed,
    StepEvent,
    StepTick,
    Subscription,
)


def run_with_runtime(
    body: Callable[[Runtime, Subscription], Awaitable[None]],
    runtime: Runtime | None = None,
    limit: int = 10_000,
) -> Runtime:
    """Run `body` beside a runtime on a MockClock; its subscription exists before the first
    batch (Trio may schedule either task first)."""
    rt = runtime or Runtime(Executor(ClusterCmd(seed=1)))
    sub = rt.subscribe(limit)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(rt.run)
            await trio.sleep(0)
            await body(rt, sub)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return rt


def do(rt: Runtime, text: str) -> None:
    command = parse_command(text, nodes=5)
    assert command is not None
    rt.control(Do(command))


def test_simulated_time_follows_wall_time_times_speed() -> None:
    seen: list[int] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(2)
        seen.append(rt.cluster.time_ms)
        rt.control(SetSpeed(10))
        await trio.sleep(1)
        seen.append(rt.cluster.time_ms)

    run_with_runtime(body)
    assert 1900 <= seen[0] <= 2000
    assert 11_800 <= seen[1] <= 12_000


def test_pause_freezes_time_and_steps_move_it_exactly() -> None:
    seen: list[int] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(1)
        rt.control(Pause())
        await trio.testing.wait_all_tasks_blocked()
        frozen = rt.cluster.time_ms
        await trio.sleep(5)
        seen.append(rt.cluster.time_ms - frozen)
        due = rt.cluster.next_time()
        rt.control(StepEvent())
        await trio.testing.wait_all_tasks_blocked()
        seen.append(rt.cluster.time_ms - (due or 0))
        stepped = rt.cluster.time_ms
        rt.control(StepTick())
        await trio.testing.wait_all_tasks_blocked()
        seen.append(rt.cluster.time_ms - stepped)
        rt.control(Resume())
        await trio.sleep(1)
        seen.append(rt.cluster.time_ms - frozen)

    run_with_runtime(body)
    assert seen[0] == 0
    assert seen[1] == 0
    assert seen[2] == 100  # one Raft tick of the cluster
    assert seen[3] >= 900


def test_a_live_session_saved_as_a_script_replays_event_for_event() -> None:
    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(3)
        do(rt, "crash 1")
        await trio.sleep(0.7)
        do(rt, "propose 2 x=1")
        rt.control(Pause())
        rt.control(StepEvent())
        rt.control(StepEvent())
        do(rt, "isolate 3")
        rt.control(Resume())
        await trio.sleep(2.5)
        do(rt, "heal")
        await trio.sleep(1)
        rt.control(Pause())
        await trio.sleep(0)

    rt = run_with_runtime(body)
    live_view = rt.cluster.view()
    text = rt.session_script()
    assert text.startswith("cluster nodes=5 seed=1 ")
    assert "crash " in text and "propose 2 x=1" in text and "isolate 3" in text

    script = parse_script(text, "session.raft")
    replay = Executor(script.cluster)
    for located in script.commands:
        assert replay.run(located.command, located.line), replay.failures
    assert replay.cluster.view() == live_view


def test_same_seed_and_commands_give_the_same_events_live() -> None:
    def session() -> list[Event]:
        events: list[Event] = []

        async def body(rt: Runtime, sub: Subscription) -> None:
            await trio.sleep(2)
            do(rt, "partition 1,2 | 3,4,5")
            await trio.sleep(2)
            while (batch := sub.receive_nowait()) is not None:
                events.extend(batch.events)

        run_with_runtime(body)
        return events

    first = session()
    assert len(first) > 100
    assert first == session()


def test_a_slow_subscriber_gets_a_coalesced_snapshot() -> None:
    got: list[Batch] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        slow, fast = sub, rt.subscribe(limit=10_000)
        await trio.sleep(3)
        while (batch := slow.receive_nowait()) is not None:
            got.append(batch)
        fast_batches = []
        while (batch := fast.receive_nowait()) is not None:
            fast_batches.append(batch)
        assert slow.skipped_events > 0
        got.append(fast_batches[-1])

    rt = run_with_runtime(body, limit=3)
    assert got[0].coalesced and got[0].events == ()
    assert len(got) <= 4  # at most the coalesced batch and what came after it, plus fast's last
    assert not any(b.coalesced for b in got[1:])
    assert got[-2].view == got[-1].view  # the slow subscriber still ends up at the latest state
    assert rt.cluster.time_ms >= 2900


def test_command_errors_are_reported_not_raised() -> None:
    batches: list[Batch] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        rt.control(Pause())
        do(rt, "crash leader")
        do(rt, "restart 2")
        await trio.sleep(0.1)
        while (batch := sub.receive_nowait()) is not None:
            batches.append(batch)

    run_with_runtime(body)
    errors = [e for b in batches for e in b.errors]
    assert errors == ["crash leader: there is no leader", "restart 2: node 2 is not crashed"]


def test_a_script_plays_at_speed_says_its_lines_and_waits_at_pause() -> None:
    text = 'say "hello"\nrun 2s\npause\nsay "after"\ncampaign 1\n'
    script = parse_script(text, "s.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands)
    marks: list[tuple[float, str, int]] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(5)
        marks.append(
            (trio.current_time(), "paused" if rt.paused else "running", rt.cluster.time_ms)
        )
        rt.control(Resume())
        await trio.sleep(0.1)
        while (batch := sub.receive_nowait()) is not None:
            for e in batch.events:
                if isinstance(e, Narration):
                    marks.append((0, e.text, e.time_ms))

    run_with_runtime(body, rt)
    assert marks[0][1:] == ("paused", 2000)
    assert [(m[1], m[2]) for m in marks[1:]] == [("hello", 0), ("after", 2000)]
    assert rt.cluster.nodes[1].raw.raft.state.name != "StateFollower"


def test_a_session_stepped_inside_a_millisecond_replays_to_that_very_event() -> None:
    rt = Runtime(Executor(ClusterCmd(seed=1)), paused=True)
    stepped_into_a_crowded_millisecond = False

    async def body(rt: Runtime, sub: Subscription) -> None:
        nonlocal stepped_into_a_crowded_millisecond
        # Step until the next event is due in the millisecond just stepped into.
        for _ in range(500):
            rt.control(StepEvent())
            await trio.testing.wait_all_tasks_blocked()
            if rt.cluster.next_time() == rt.cluster.time_ms:
                stepped_into_a_crowded_millisecond = True
                return

    run_with_runtime(body, rt)
    assert stepped_into_a_crowded_millisecond
    text = rt.session_script()
    assert text.splitlines()[-1].startswith("step ")
    replay = Executor(parse_script(text, "session.raft").cluster)
    for located in parse_script(text, "session.raft").commands:
        assert replay.run(located.command, located.line), replay.failures
    assert replay.cluster.view() == rt.cluster.view()
    assert replay.cluster.next_time() == replay.cluster.time_ms  # still inside the millisecond


def test_a_played_run_until_times_out_even_when_nothing_happens() -> None:
    text = 'cluster auto-tick=false\nrun until leader timeout=2s\nsay "gave up"\n'
    script = parse_script(text, "s.raft")
    rt = Runtime(Executor(script.cluster), script=script.commands)
    seen: list[Batch] = []

    async def body(rt: Runtime, sub: Subscription) -> None:
        await trio.sleep(3)
        while (batch := sub.receive_nowait()) is not None:
            seen.append(batch)

    run_with_runtime(body, rt)
    assert [e for b in seen for e in b.errors] == [
        "run until leader: timed out: expected a leader, got none"
    ]
    gave_up = [e for b in seen for e in b.events if isinstance(e, Narration)]
    assert [(e.text, e.time_ms) for e in gave_up] == [("gave up", 2000)]
    # Nothing is scheduled, yet time goes on flowing while the run is running.
    assert rt.cluster.time_ms == 3000
