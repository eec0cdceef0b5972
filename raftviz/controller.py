"""UI room: the one door through which the TUI drives the simulation.

The app never touches the cluster or the Trio runtime directly. Every key becomes a call on a
`Controller`, and almost every call is a script command (SCRIPT.md), so whatever a key does can
also be typed at the `:` prompt, recorded in a saved session and replayed. The real controller
lives next to the runtime; tests use a fake that records calls. Keeping this a `Protocol` (not a
base class) means neither side has to import the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.app import App

    from raftviz.core.sim.events import ClusterView

__all__ = ["MAX_SPEED", "MIN_SPEED", "AppService", "Controller", "clamp_speed"]

MIN_SPEED = 0.125
"""Slowest simulated/wall time ratio the speed keys reach (one tick of 100 ms takes 0.8 s)."""

MAX_SPEED = 64.0
"""Fastest ratio the speed keys reach; beyond it frames cannot show individual messages."""


def clamp_speed(speed: float) -> float:
    """Keep a requested speed inside the range the UI can still show meaningfully."""
    return min(MAX_SPEED, max(MIN_SPEED, speed))


@runtime_checkable
class Controller(Protocol):
    """What the UI may ask of the running simulation.

    Calls are synchronous and cheap: they queue or apply the request and return; the effects come
    back later as `ClusterUpdated` messages posted by the bridge. User mistakes (an unknown
    command, a node that does not exist, no leader to propose to) raise `ValueError` with a
    one-line message, which the app shows as an error, never as a traceback.
    """

    @property
    def speed(self) -> float:
        """Simulated time per wall time (1.0 = real time)."""
        ...

    @property
    def paused(self) -> bool:
        """True when simulated time stands still (by a key, or by a script's `pause`)."""
        ...

    @property
    def achieved_speed(self) -> float | None:
        """The speed really achieved while running, when the machine cannot keep `speed`."""
        ...

    @property
    def breakpoints(self) -> tuple[str, ...]:
        """The conditions of the breakpoints set (``break CONDITION``), numbered from 1."""
        ...

    @property
    def busy(self) -> str | None:
        """A prompt command still working (``run 5m: 42.0s of 300.0s simulated``), or None."""
        ...

    @property
    def settled(self) -> bool:
        """Every request made so far has taken effect (`paused` and `speed` say its result)."""
        ...

    @property
    def script_waiting(self) -> bool:
        """A played script (a lecture) waits for the viewer: paused with commands left."""
        ...

    def interrupt(self) -> None:
        """Stop the prompt command in progress; what it did so far stays done."""
        ...

    def command(self, text: str) -> None:
        """Run one script command, e.g. ``"crash 3"`` (raises `ValueError` on bad input)."""
        ...

    def pause(self) -> None:
        """Stop simulated time; queued commands and steps still run."""
        ...

    def resume(self) -> None:
        """Let simulated time flow again at `speed`."""
        ...

    def step_event(self) -> None:
        """While paused: process exactly the next simulation event."""
        ...

    def step_tick(self) -> None:
        """While paused: advance simulated time by one Raft tick (every event up to it)."""
        ...

    def travel(self, where: str, value: int = 0) -> None:
        """Move on the session's timeline: back or forward one event, to a story, a mark,
        the start or the live end, undo the last action, a position, a time or a branch
        (`raftviz.runtime.TRAVELS`). Going back pauses."""
        ...

    def set_speed(self, x: float) -> None:
        """Change the simulated/wall time ratio."""
        ...

    def view(self) -> ClusterView:
        """A snapshot of the whole cluster now (used for the first frame)."""
        ...

    def save_script(self, path: str) -> None:
        """Write the session so far as a replayable script (raises `ValueError`/`OSError`)."""
        ...

    @property
    def generation(self) -> int:
        """Which run this is: it grows with every `load` and `restart`, and updates carry the
        generation they come from, so that the app can drop a previous run's late ones."""
        ...

    @property
    def scenario(self) -> str | None:
        """The name of the script being played (None: a free cluster)."""
        ...

    def load(self, path: str) -> None:
        """Play the script at `path` from its beginning on a new cluster, in place of the
        current run (a built-in scenario as a lecture); `ValueError` if it cannot be."""
        ...

    def restart(self) -> None:
        """The current run again from its beginning (same cluster, seed and script)."""
        ...


@runtime_checkable
class AppService(Protocol):
    """Something that must live exactly as long as the app, such as the Trio guest run.

    The app starts every service after its first frame is composed and stops them when it
    unmounts, so a bridge does not need to subclass the app to hook its lifetime (and stopping
    always happens, whichever way the app exits).
    """

    async def start(self, app: App[Any]) -> None:
        """Called once from the app's mount handler."""
        ...

    async def stop(self) -> None:
        """Called once from the app's unmount handler; must not hang."""
        ...
