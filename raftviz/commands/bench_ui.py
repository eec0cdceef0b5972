"""`raftviz bench ui`: the TUI measured headless, with the real runtime and Trio bridge.

It reports what a teacher and an engineer feel: how soon the first frame appears, how smooth a
busy 9-node cluster at 10x is, how fast a key shows on screen, whether a paused app is idle,
and whether memory stays flat over a long run. Frames are counted where Textual hands a
rendered screen update to its driver (`App._display`).

The timeline has two lines of its own: how soon a jump to any earlier event of a 10-minute
session (10 proposals a second) is on screen, and how much memory the timeline of a one-hour
session holds, measured in two fresh processes, with and without it, on the same session.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

from textual import events

from raftviz import IMPORTED_AT
from raftviz.app import RaftvizApp
from raftviz.bridge import TrioBridge
from raftviz.core.explore.timeline import Timeline
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, RunCmd, RunUntilCmd, parse_script
from raftviz.runtime import Runtime

SIZE = (160, 48)
KEY_SAMPLES = 100
JUMPS = 100
PROPOSALS_PER_S = 10


def _rss_mib() -> float:
    """Resident memory now (not the peak), from /proc where available."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _FrameCounter:
    def __init__(self, app: RaftvizApp) -> None:
        self.times: list[float] = []
        original: Callable[..., Any] = app._display

        def counted(*args: Any, **kwargs: Any) -> Any:
            if args and args[-1] is not None:
                self.times.append(time.perf_counter())
            return original(*args, **kwargs)

        app._display = counted  # type: ignore[method-assign]

    def since(self, t: float) -> int:
        return sum(1 for x in self.times if x >= t)

    async def next_after(self, t: float, timeout: float = 2.0) -> float | None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            later = [x for x in self.times[-8:] if x > t]
            if later:
                return later[0]
            await asyncio.sleep(0.0005)
        return None


async def _measure(lines: list[str], fps_seconds: float, hour_ms: int) -> None:
    start = IMPORTED_AT
    runtime = Runtime(Executor(ClusterCmd(nodes=9, seed=1), stories=True), speed=10.0)
    bridge = TrioBridge(runtime)
    app = RaftvizApp(bridge, services=[bridge])
    frames = _FrameCounter(app)
    async with app.run_test(headless=True, size=SIZE):
        first = await frames.next_after(start, timeout=10)
        if first is None:
            raise RuntimeError("no frame was drawn within 10 s")
        lines.append(f"first frame: {(first - start) * 1000:.0f} ms (from loading raftviz)")

        # Smoothness with proposals flowing: 9 nodes, 10x, a client request every 100 ms.
        while runtime.cluster.leader() is None:
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        sent = 0
        while time.perf_counter() - t0 < fps_seconds:
            if runtime.cluster.leader() is not None:
                bridge.command(f"propose leader k{sent % 50}=v{sent}")
                sent += 1
            await asyncio.sleep(0.1)
        fps = frames.since(t0) / (time.perf_counter() - t0)
        lines.append(f"frames/s (9 nodes, 10x, {sent} proposals): {fps:.1f}")

        # Key to screen: select nodes by number and wait for the frame that shows it.
        latencies: list[float] = []
        for k in range(KEY_SAMPLES):
            node = k % 9 + 1
            pressed = time.perf_counter()
            # As the terminal driver does: a key event posted to the app.
            app.post_message(events.Key(str(node), str(node)))
            while app.selected != node and time.perf_counter() - pressed < 2:
                await asyncio.sleep(0.0005)
            shown = await frames.next_after(pressed)
            if shown is not None:
                latencies.append((shown - pressed) * 1000)
            await asyncio.sleep(0.05)
        lines.append(
            f"key to screen: p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {_percentile(latencies, 0.95):.1f} ms ({len(latencies)} keys)"
        )

        # Paused: nothing changes, so nothing should render or run.
        bridge.pause()
        await asyncio.sleep(0.5)
        cpu0, wall0, frames0 = time.process_time(), time.perf_counter(), len(frames.times)
        await asyncio.sleep(3)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        lines.append(f"CPU while paused: {cpu:.1f}% ({len(frames.times) - frames0} frames in 3 s)")

        # One simulated hour as fast as it goes, proposals included: memory must stay flat.
        bridge.set_speed(100_000.0)
        bridge.resume()
        samples: list[tuple[int, float]] = []
        held: list[float] = []  # what the timeline holds at each sample
        step = hour_ms // 4
        mark = 0
        t_hour = time.perf_counter()
        while runtime.cluster.time_ms < hour_ms:
            if runtime.cluster.time_ms >= mark:
                samples.append((runtime.cluster.time_ms, _rss_mib()))
                held.append(runtime.timeline.memory_bytes() / 2**20)
                mark += step
            if runtime.cluster.leader() is not None:
                bridge.command(f"propose leader k{sent % 50}=v{sent}")
                sent += 1
            await asyncio.sleep(0.01)
        samples.append((runtime.cluster.time_ms, _rss_mib()))
        held.append(runtime.timeline.memory_bytes() / 2**20)
        bridge.pause()
        memory = ", ".join(f"{t // 60_000}min {m:.0f} MiB" for t, m in samples)
        lines.append(
            f"memory over {hour_ms // 60_000} simulated min "
            f"({time.perf_counter() - t_hour:.0f} s wall): {memory}"
        )
        warm = samples[1] if len(samples) > 2 else samples[0]  # after the first quarter
        kept = held[-1] - held[samples.index(warm)]
        lines.append(
            f"memory growth: {samples[-1][1] - warm[1]:+.1f} MiB after warm-up, of which the "
            f"timeline holds {kept:+.1f} MiB by its own count (the way back, on purpose)"
        )


def _session_script(minutes: int) -> str:
    """A session of `minutes` with a client request every 100 ms once there is a leader."""
    lines = ["cluster nodes=5 seed=1", "run until leader"]
    for i in range(minutes * 60 * PROPOSALS_PER_S):
        lines += [f"propose leader k{i % 50}=v{i}", f"run {1000 // PROPOSALS_PER_S}ms"]
    return "\n".join(lines) + "\n"


async def _measure_jumps(lines: list[str], minutes: int) -> None:
    script = parse_script(_session_script(minutes), "session.raft")
    runtime = Runtime(
        Executor(script.cluster, stories=True), speed=100_000.0, script=script.commands
    )
    bridge = TrioBridge(runtime)
    app = RaftvizApp(bridge, services=[bridge])
    frames = _FrameCounter(app)
    async with app.run_test(headless=True, size=SIZE):
        t0 = time.perf_counter()
        while runtime.playing:
            await asyncio.sleep(0.05)
        built = time.perf_counter() - t0
        bridge.pause()
        timeline = runtime.timeline
        rng = random.Random(1)
        latencies: list[float] = []
        for _ in range(JUMPS):
            target = rng.randrange(timeline.length)
            pressed = time.perf_counter()
            bridge.travel("position", target)
            while (
                app._timeline is None or app._timeline.position != target
            ) and time.perf_counter() - pressed < 5:
                await asyncio.sleep(0.0005)
            shown = await frames.next_after(pressed)
            if shown is not None:
                latencies.append((shown - pressed) * 1000)
        lines.append(
            f"jump to any earlier event ({minutes} simulated min, {PROPOSALS_PER_S} proposals/s, "
            f"{timeline.length:,} events, built in {built:.0f} s): "
            f"p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {_percentile(latencies, 0.95):.1f} ms ({len(latencies)} jumps)"
        )


def _hour_session(with_timeline: bool, hour_ms: int) -> tuple[float, float]:
    """Run the session in this process: resident memory at its end in MiB, and what the
    timeline says it holds."""
    executor = Executor(ClusterCmd(nodes=5, seed=1), stories=True)
    timeline = Timeline(executor) if with_timeline else None
    cluster = executor.cluster
    script = parse_script(_session_script(hour_ms // 60_000), "session.raft")
    for located in script.commands:
        # As the TUI plays a script: time passing is events, one position each; the rest are
        # actions.
        if timeline is None or isinstance(located.command, RunCmd | RunUntilCmd):
            executor.run(located.command)
        else:
            timeline.act(located.command, partial(executor.run, located.command))
        cluster.drain()
    held = timeline.memory_bytes() / 2**20 if timeline is not None else 0.0
    return _rss_mib(), held


def _timeline_memory(lines: list[str], hour_ms: int) -> None:
    peaks = []
    spawn = multiprocessing.get_context("spawn")
    for with_timeline in (False, True):
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            peaks.append(pool.submit(_hour_session, with_timeline, hour_ms).result())
    (without, _), (with_it, held) = peaks
    lines.append(
        f"timeline memory over {hour_ms // 60_000} simulated min: "
        f"{with_it - without:.0f} MiB of resident memory ({with_it:.0f} with it, "
        f"{without:.0f} without), "
        f"{held:.0f} MiB by its own count"
    )


def bench_ui(fps_seconds: float = 5.0, hour_ms: int = 3_600_000) -> list[str]:
    lines: list[str] = []
    asyncio.run(_measure(lines, fps_seconds, hour_ms))
    asyncio.run(_measure_jumps(lines, minutes=10))
    _timeline_memory(lines, hour_ms)
    return lines
