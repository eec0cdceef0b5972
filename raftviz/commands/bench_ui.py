"""`raftviz bench ui`: the TUI measured headless, with the real runtime and Trio bridge.

It reports what a teacher and an engineer feel: how soon the first frame appears, how smooth a
busy 9-node cluster at 10x is, how fast a key shows on screen, whether a paused app is idle,
and whether memory stays flat over a long run. Frames are counted where Textual hands a
rendered screen update to its driver (`App._display`).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from textual import events

from raftviz import IMPORTED_AT
from raftviz.app import RaftvizApp
from raftviz.bridge import TrioBridge
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd
from raftviz.runtime import Runtime

SIZE = (160, 48)
KEY_SAMPLES = 100


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
        step = hour_ms // 4
        mark = 0
        t_hour = time.perf_counter()
        while runtime.cluster.time_ms < hour_ms:
            if runtime.cluster.time_ms >= mark:
                samples.append((runtime.cluster.time_ms, _rss_mib()))
                mark += step
            if runtime.cluster.leader() is not None:
                bridge.command(f"propose leader k{sent % 50}=v{sent}")
                sent += 1
            await asyncio.sleep(0.01)
        samples.append((runtime.cluster.time_ms, _rss_mib()))
        bridge.pause()
        memory = ", ".join(f"{t // 60_000}min {m:.0f} MiB" for t, m in samples)
        lines.append(
            f"memory over {hour_ms // 60_000} simulated min "
            f"({time.perf_counter() - t_hour:.0f} s wall): {memory}"
        )
        warm = samples[1] if len(samples) > 2 else samples[0]  # after the first quarter
        lines.append(f"memory growth: {samples[-1][1] - warm[1]:+.1f} MiB after warm-up")


def bench_ui(fps_seconds: float = 5.0, hour_ms: int = 3_600_000) -> list[str]:
    lines: list[str] = []
    asyncio.run(_measure(lines, fps_seconds, hour_ms))
    return lines
