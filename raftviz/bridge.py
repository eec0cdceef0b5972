"""UI room: runs Trio in guest mode on Textual's asyncio loop, and is the app's Controller.

Trio's guest mode runs every Trio task step as a callback on the host's thread, so the runtime
and the app share one thread and call each other directly: no locks, no cross-thread queues.
Requests from the app enter Trio through `TrioToken.run_sync_soon`, which also wakes a guest
that is asleep; batches from the runtime become `ClusterUpdated` messages. When the Trio side
fails the app shows the error (`SimulationFailed`) instead of hanging, and when the app exits
the Trio run is cancelled and awaited, so neither loop outlives the other.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import outcome
import trio

from raftviz.app import ClusterUpdated, RuntimeNotes, SimulationFailed
from raftviz.core.script.parse import parse_command
from raftviz.core.sim.events import ClusterView
from raftviz.runtime import (
    VIEW_LOG_TAIL,
    Control,
    Do,
    Interrupt,
    Pause,
    Resume,
    Runtime,
    SetSpeed,
    StepEvent,
    StepTick,
)

if TYPE_CHECKING:
    from textual.app import App

STOP_TIMEOUT_S = 2.0


class TrioBridge:
    """Both doors of the UI: the Controller the app calls, the service that hosts Trio."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._app: App[Any] | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._scope = trio.CancelScope()
        self._done: asyncio.Future[outcome.Outcome[None]] | None = None
        self._pending: list[Control] = []
        self._sent = 0

    # ------------------------------------------------------------------ Controller

    @property
    def speed(self) -> float:
        return self.runtime.speed

    @property
    def paused(self) -> bool:
        return self.runtime.paused

    @property
    def achieved_speed(self) -> float | None:
        return self.runtime.achieved_speed

    @property
    def busy(self) -> str | None:
        return self.runtime.busy

    @property
    def settled(self) -> bool:
        return self.runtime.applied >= self._sent

    @property
    def script_waiting(self) -> bool:
        return self.runtime.paused and self.runtime.playing

    def interrupt(self) -> None:
        self._control(Interrupt())

    def command(self, text: str) -> None:
        command = parse_command(text, nodes=len(self.runtime.cluster.nodes))
        if command is not None:
            self._control(Do(command))

    def pause(self) -> None:
        self._control(Pause())

    def resume(self) -> None:
        self._control(Resume())

    def step_event(self) -> None:
        self._control(StepEvent())

    def step_tick(self) -> None:
        self._control(StepTick())

    def set_speed(self, x: float) -> None:
        self._control(SetSpeed(x))

    def view(self) -> ClusterView:
        return self.runtime.cluster.view(log_tail=VIEW_LOG_TAIL)

    def save_script(self, path: str) -> None:
        try:
            Path(path).write_text(self.runtime.session_script(), encoding="utf-8")
        except OSError as e:
            raise ValueError(f"{path}: cannot save: {e.strerror or e}") from None

    def _control(self, control: Control) -> None:
        self._sent += 1
        if self._token is None:
            # Before Trio has started: hand it over on start, in order.
            self._pending.append(control)
            return
        try:
            self._token.run_sync_soon(self.runtime.control, control)
        except trio.RunFinishedError:
            raise ValueError("the simulation has stopped") from None

    # ------------------------------------------------------------------ AppService

    async def start(self, app: App[Any]) -> None:
        self._app = app
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        trio.lowlevel.start_guest_run(
            self._main,
            app,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=self._finished,
            # Textual's web driver installs signal handlers through the wakeup fd.
            host_uses_signal_set_wakeup_fd=True,
        )

    async def stop(self) -> None:
        if self._done is None:
            return
        if self._token is not None and not self._done.done():
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self._scope.cancel)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._done), STOP_TIMEOUT_S)

    async def _main(self, app: App[Any]) -> None:
        self._token = trio.lowlevel.current_trio_token()
        for control in self._pending:
            self.runtime.control(control)
        self._pending.clear()
        subscription = self.runtime.subscribe()
        with self._scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.runtime.run)
                while True:
                    batch = await subscription.receive()
                    app.post_message(ClusterUpdated(batch.view, batch.events))
                    if batch.notices or batch.outputs:
                        outputs = tuple((o.command, o.text) for o in batch.outputs)
                        app.post_message(RuntimeNotes(batch.notices, outputs))
                    for error in batch.errors:
                        app.notify(error, title="Command failed", severity="error", timeout=8)

    def _finished(self, result: outcome.Outcome[None]) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(result)
        if isinstance(result, outcome.Error) and self._app is not None:
            self._app.post_message(SimulationFailed(_describe(result.error)))


def _describe(error: BaseException) -> str:
    """``Type: message`` of what actually failed: Trio's nurseries wrap every error in an
    exception group, whose own text ("Exceptions from Trio nursery") tells the user nothing."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in error.exceptions)
    return f"{type(error).__name__}: {error}"
