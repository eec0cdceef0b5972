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
import trio.testing

from raftviz.app import ClusterUpdated, RuntimeNotes, SimulationFailed
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ScriptError, load_script, parse_command
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
    Travel,
    Wake,
)
from raftviz.scenarios import is_builtin

if TYPE_CHECKING:
    from textual.app import App

STOP_TIMEOUT_S = 2.0

TUI_NODES = (3, 9)
"""The cluster sizes the screens can show."""


class TrioBridge:
    """Both doors of the UI: the Controller the app calls, the service that hosts Trio.

    The runtime can be swapped while the app runs (`load`, `restart`): the Trio run then
    cancels the old runtime's task and starts the new one's, in the same guest run. Every
    message to the app carries the `generation` of the runtime it came from, so that a batch
    of the old cluster still queued in the app is dropped rather than drawn over the new one.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        scenario: str | None = None,
        clock: trio.abc.Clock | None = None,
    ) -> None:
        """`scenario`: the name of the script the runtime plays (None: a free cluster).
        `clock`: the Trio run's clock (None: the system's); a recording passes a frozen
        `MockClock` and moves it on with `advance`."""
        self.runtime = runtime
        self._clock = clock
        self.scenario = scenario
        self.generation = 0
        self._app: App[Any] | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._scope = trio.CancelScope()
        self._run_scope: trio.CancelScope | None = None
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
    def breakpoints(self) -> tuple[str, ...]:
        return tuple(b.condition.to_text() for b in self.runtime.executor.breakpoints)

    @property
    def busy(self) -> str | None:
        return self.runtime.busy

    @property
    def settled(self) -> bool:
        return self.runtime.applied >= self._sent

    @property
    def script_waiting(self) -> bool:
        rt = self.runtime
        return rt.paused and rt.playing and rt.timeline.live

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

    def travel(self, where: str, value: int = 0) -> None:
        self._control(Travel(where, value))

    def set_speed(self, x: float) -> None:
        self._control(SetSpeed(x))

    def view(self) -> ClusterView:
        return self.runtime.cluster.view(log_tail=VIEW_LOG_TAIL)

    def advance(self, seconds: float) -> None:
        """Move the run's mock clock on by `seconds`: a running simulation catches up with it
        (`settled` says when), exactly as far as that much wall time would have taken it."""
        if not isinstance(self._clock, trio.testing.MockClock):
            raise TypeError("advance needs the bridge to run on a MockClock")
        self._clock.jump(seconds)
        self._control(Wake())

    def save_script(self, path: str) -> None:
        try:
            Path(path).write_text(self.runtime.session_script(), encoding="utf-8")
        except OSError as e:
            raise ValueError(f"{path}: cannot save: {e.strerror or e}") from None

    def load(self, path: str) -> None:
        """Play the script at `path` from its beginning, on the cluster it describes, in place
        of the current run; a built-in scenario plays as a lecture (it waits after each line).
        A script that cannot be played raises `ValueError`, and the current run goes on."""
        try:
            script = load_script(path)
        except ScriptError as e:
            raise ValueError(str(e)) from None
        low, high = TUI_NODES
        if not low <= script.cluster.nodes <= high:
            raise ValueError(
                f"{Path(path).name}: the screens show {low} to {high} nodes, "
                f"the script asks for {script.cluster.nodes}"
            )
        runtime = Runtime(
            Executor(script.cluster),
            speed=self.runtime.speed,
            script=script.commands,
            lecture=is_builtin(path),
        )
        self._swap(runtime, Path(path).stem)

    def restart(self) -> None:
        """The current run again from its beginning: the same cluster and seed, the same
        script (if any) in the same mode; a free cluster keeps its paused state."""
        old = self.runtime
        runtime = Runtime(
            Executor(old.executor.cluster_cmd),
            speed=old.speed,
            paused=old.paused and not old.script,
            script=old.script,
            lecture=old.lecture,
        )
        self._swap(runtime, self.scenario)

    def _swap(self, runtime: Runtime, scenario: str | None) -> None:
        """From now on every request goes to `runtime`; the Trio run swaps the tasks."""
        if self._done is not None and self._done.done():
            raise ValueError("the simulation has stopped")
        self.runtime, self.scenario = runtime, scenario
        self.generation += 1
        self._sent = 0
        if self._token is not None and self._run_scope is not None:
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self._run_scope.cancel)

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
            clock=self._clock,
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
        with self._scope:
            while True:
                # One runtime at a time; `_swap` cancels this scope to move to the next.
                with trio.CancelScope() as self._run_scope:
                    await self._serve(app, self.runtime, self.generation)

    async def _serve(self, app: App[Any], runtime: Runtime, generation: int) -> None:
        """Run `runtime` and hand its batches to the app, until cancelled."""
        subscription = runtime.subscribe()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(runtime.run)
            while True:
                batch = await subscription.receive()
                if generation != self.generation:
                    nursery.cancel_scope.cancel()  # swapped: this runtime is done
                    return
                app.post_message(
                    ClusterUpdated(
                        batch.view,
                        batch.events,
                        generation=generation,
                        timeline=batch.timeline,
                        undone_after=batch.undone_after,
                    )
                )
                if batch.notices or batch.outputs:
                    outputs = tuple((o.command, o.text) for o in batch.outputs)
                    app.post_message(RuntimeNotes(batch.notices, outputs, generation=generation))
                for error in batch.errors:
                    app.notify(
                        error, title="Command failed", severity="error", timeout=8, markup=False
                    )

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
