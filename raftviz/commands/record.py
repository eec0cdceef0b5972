"""`raftviz record`: a script played in the TUI, headless, into an asciicast v2 file.

The real app runs, on a driver that keeps what Textual writes to the terminal instead of writing
it anywhere, while the recorder steps simulated time itself, a frame at a time, on a frozen
Trio clock: each frame moves the clock on by 1/FPS of a second, waits until the runtime has
caught up and the app has drawn it, then stamps the frame with its time. So a recording plays at
`--speed` however slowly the machine drew it, and the same options make the same file.

Textual redraws whole widgets (the map, the cards) when any of their cells change, some 25 KB a
frame; a terminal emulator (pyte) keeps the screen that output draws, and each frame is written
as only the cells that changed on it, about a tenth of that.

Where the played script waits for the viewer (a `pause`, a line of a lecture, a breakpoint),
the recording holds the screen for as long as its narration takes to read, then goes on, as a
presenter pressing space would.

asciicast v2 (what asciinema plays, and most slide tools embed) is a JSON header line, then one
JSON line per output: `[seconds, "o", text]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping
from typing import IO, Any

import pyte
import pyte.graphics
import trio.testing
from pyte.screens import wcwidth
from textual.driver import Driver
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot

from raftviz.app import RaftvizApp
from raftviz.bridge import TrioBridge
from raftviz.commands import EXIT_USAGE
from raftviz.commands.tui import UsageError, build_app
from raftviz.widgets import NarrationBar

PROG = "raftviz record"

FPS = 10
"""Frames per second of recording: a message crossing the map moves every frame, and a
minute of recording stays well under a megabyte."""

READ_CHARS_PER_S = 15.0
HOLD_S = (2.0, 8.0)
"""How long a wait of the script is held: its narration at a calm reading pace, within these."""

END_HOLD_S = 3.0
"""The last frame stays at least this long (or as long as its narration takes to read), so
that the end of the story can be read."""

FREE_RUN_S = 30.0
"""How long a recording of a cluster without a script lasts, unless told."""

MAX_SETTLE_ROUNDS = 500
"""Pauses to wait for the app to show a frame before calling it a bug (each ~20 ms)."""


def record(args: argparse.Namespace) -> int:
    """Record as `args` say (the TUI's options, `out`, `size`, `duration`, `still`)."""
    # The file declares a truecolor terminal, whatever terminal the recorder runs in.
    os.environ["COLORTERM"] = "truecolor"
    clock = trio.testing.MockClock(rate=0)
    with contextlib.ExitStack() as files:
        try:
            app = build_app(
                args, prog=PROG, trio_clock=clock, animate=False, clock=clock.current_time
            )
            out = files.enter_context(_open(args.out, "--out"))
            still = None
            if args.still is not None:
                still = files.enter_context(_open(args.still, "--still"))
        except UsageError as e:
            print(e, file=sys.stderr)
            return EXIT_USAGE
        width, height = args.size
        tape: list[str] = []
        app.driver_class = _taping_driver(tape)
        app.animation_level = "none"  # Textual animates scrolling in wall time: frames would vary
        frames = _Frames(width, height)
        duration = args.duration or (None if args.script else FREE_RUN_S)
        cast = _Cast(out, width, height, title=app.title)

        async def play(pilot: Pilot[Any]) -> None:
            await _play(pilot, tape, frames, cast, duration, scripted=args.script is not None)
            if still is not None:
                still.write(app.export_screenshot())
            app.exit(0)

        app.run(headless=False, size=(width, height), auto_pilot=play)
    return 0


def _open(path: str, option: str) -> IO[str]:
    """Open the output now, before recording, so that a bad path costs no recording."""
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{PROG}: {option} {path}: cannot write: {e.strerror or e}") from None


def _taping_driver(tape: list[str]) -> type[Driver]:
    """A driver that appends all Textual writes to `tape`, and reads nothing."""

    class TapingDriver(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False  # Textual draws only for a driver that is not headless

        def write(self, data: str) -> None:
            tape.append(data)

    return TapingDriver


_SGR_COLORS = {
    **{name: str(code) for code, name in pyte.graphics.FG_ANSI.items()},
    **{name: str(code) for code, name in pyte.graphics.FG_AIXTERM.items()},
}
_SGR_FLAGS = (
    ("bold", "1"),
    ("italics", "3"),
    ("underscore", "4"),
    ("blink", "5"),
    ("reverse", "7"),
    ("strikethrough", "9"),
)

MERGE_GAP = 4
"""Unchanged cells between two changed runs of a line that are rewritten rather than jumped
over: a cursor move costs about as much."""


def _sgr(char: pyte.screens.Char) -> str:
    """The escape sequence that sets `char`'s style from scratch."""
    codes = ["0"] + [code for flag, code in _SGR_FLAGS if getattr(char, flag)]
    for color, base, default in ((char.fg, 0, "39"), (char.bg, 10, "49")):
        if color == "default":
            codes.append(default)
        elif color in _SGR_COLORS:
            codes.append(str(int(_SGR_COLORS[color]) + base))
        else:  # a hex colour: truecolor, and pyte's form of the 256-colour palette
            rgb = (int(color[i : i + 2], 16) for i in (0, 2, 4))
            codes.append(f"{38 + base};2;" + ";".join(map(str, rgb)))
    return f"\x1b[{';'.join(codes)}m"


class _Frames:
    """The screen Textual's output draws, and each frame as only the cells it changed."""

    def __init__(self, width: int, height: int) -> None:
        self._screen = pyte.Screen(width, height)
        self._stream = pyte.Stream(self._screen)
        self._shown: list[list[pyte.screens.Char]] = [
            [self._screen.default_char] * width for _ in range(height)
        ]

    def take(self, written: str) -> str:
        """What a player must write to go from the last frame to the one `written` draws."""
        screen = self._screen
        self._stream.feed(written)
        out: list[str] = []
        for y in sorted(screen.dirty):
            now = _visible(screen.buffer[y], screen.columns)
            changed = [x for x in range(screen.columns) if now[x] != self._shown[y][x]]
            self._shown[y] = now
            for start, end in _runs(changed):
                while start > 0 and now[start].data == "":
                    start -= 1  # the right half of a wide character: from its left half
                out.append(f"\x1b[{y + 1};{start + 1}H")
                style = None
                for char in now[start : end + 1]:
                    if char.data == "":
                        continue  # covered by the wide character before it
                    if (sgr := _sgr(char)) != style:
                        out.append(sgr)
                        style = sgr
                    out.append(char.data)
        screen.dirty.clear()
        return "".join(out) + ("\x1b[0m" if out else "")


def _visible(row: Mapping[int, pyte.screens.Char], columns: int) -> list[pyte.screens.Char]:
    """A line's cells as a terminal shows them. pyte keeps what a terminal erases when one half
    of a wide character is overwritten: the other half, which a terminal shows as a blank."""
    cells = [row[x] for x in range(columns)]

    def wide(x: int) -> bool:
        return bool(cells[x].data) and wcwidth(cells[x].data) == 2

    for x, char in enumerate(cells):
        if char.data == "" and not (x and wide(x - 1)):
            cells[x] = char._replace(data=" ")  # a right half without its left
    for x, char in enumerate(cells):
        if wide(x) and not (x + 1 < columns and cells[x + 1].data == ""):
            cells[x] = char._replace(data=" ")  # a left half without its right
    return cells


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """Sorted columns as (first, last) runs, joining runs that only a short gap separates."""
    runs: list[tuple[int, int]] = []
    for x in columns:
        if runs and x - runs[-1][1] <= MERGE_GAP + 1:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return runs


class _Cast:
    """An asciicast v2 file being written: the header, then each frame's output."""

    def __init__(self, out: IO[str], width: int, height: int, *, title: str) -> None:
        self._out = out
        header = {
            "version": 2,
            "width": width,
            "height": height,
            "title": title,
            "env": {"TERM": "xterm-256color"},
        }
        out.write(json.dumps(header) + "\n")

    def output(self, seconds: float, text: str) -> None:
        self._out.write(json.dumps([round(seconds, 3), "o", text], ensure_ascii=False) + "\n")


async def _play(
    pilot: Pilot[Any],
    tape: list[str],
    frames: _Frames,
    cast: _Cast,
    duration: float | None,
    *,
    scripted: bool,
) -> None:
    """Step the run frame by frame into `cast` until the script ends or `duration` is up."""
    app = pilot.app
    assert isinstance(app, RaftvizApp) and isinstance(app.controller, TrioBridge)
    bridge = app.controller
    seconds = 0.0
    cast.output(0, "\x1b[?25l")  # no cursor: nobody types in a recording
    bridge.advance(0)  # once the Trio run is up, `settled` says so
    while True:
        await _settle(pilot, app, bridge, tape)
        if changes := frames.take("".join(tape)):
            cast.output(seconds, changes)
        tape.clear()
        if duration is not None and seconds >= duration - 1e-9:
            return
        if scripted and not bridge.runtime.playing:
            cast.output(seconds + max(END_HOLD_S, _reading_time(app)), "")
            return
        if bridge.paused:
            seconds += _reading_time(app)
            if duration is not None and seconds > duration:
                cast.output(duration, "")  # held to the end
                return
            bridge.resume()
        else:
            step = 1 / FPS if duration is None else min(1 / FPS, duration - seconds)
            bridge.advance(step)
            seconds += step


async def _settle(pilot: Pilot[Any], app: RaftvizApp, bridge: TrioBridge, tape: list[str]) -> None:
    """Until the runtime has taken every request and the app shows the cluster as it is, and
    has drawn all of it: a change can take the app more than one pass to lay out (a panel
    grows, a scrollbar appears), and a frame taken between two passes would depend on timing.
    Each pause lets the app handle what arrived and draw it."""
    for _ in range(MAX_SETTLE_ROUNDS):
        await pilot.pause()
        if bridge.settled and app.view == bridge.view():
            break
    else:
        raise RuntimeError("the app never showed the simulation's latest state")
    for _ in range(MAX_SETTLE_ROUNDS):
        drawn = len(tape)
        await pilot.pause()
        if len(tape) == drawn:
            return
    raise RuntimeError("the app never stopped drawing")


def _reading_time(app: RaftvizApp) -> float:
    text = app.screen_main.query_one(NarrationBar).text or ""
    low, high = HOLD_S
    return min(high, max(low, len(text) / READ_CHARS_PER_S))
