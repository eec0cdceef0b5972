"""`raftviz record`: the real command, its asciicast v2 file played back in a terminal emulator
(what asciinema does), its bad input; and the frame encoding, against the full redraws."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftviz.commands.record import FPS, _Frames

TIMEOUT_S = 180


def raftviz_record(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftviz", "record", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_S,
        check=False,
    )


def played(cast: Path) -> tuple[dict[str, object], list[tuple[float, list[str]]]]:
    """The header, and each output's time with the screen after it, as a player shows it."""
    header_line, *lines = cast.read_text(encoding="utf-8").splitlines()
    header = json.loads(header_line)
    screen = pyte.Screen(header["width"], header["height"])
    stream = pyte.Stream(screen)
    frames = []
    for line in lines:
        seconds, kind, text = json.loads(line)
        assert kind == "o" and isinstance(seconds, float | int) and isinstance(text, str)
        stream.feed(text)
        frames.append((float(seconds), list(screen.display)))
    return header, frames


def flat(screen: list[str]) -> str:
    return " ".join(" ".join(screen).split())


def test_record_leader_crash_plays_the_story_in_simulated_time(tmp_path: Path) -> None:
    result = raftviz_record("leader-crash", "--out", "x.cast", "--still", "x.svg", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    header, frames = played(tmp_path / "x.cast")
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (120, 36)
    times = [seconds for seconds, _ in frames]
    assert times[0] == 0 and times == sorted(times)
    screens = [flat(screen) for _, screen in frames]

    def first(text: str) -> int:
        return next(i for i, screen in enumerate(screens) if text in screen)

    # The narration, line by line, in the order of the story, each on screen for a while.
    lines = [
        "S1 leads at term 1 and x=1 is committed on every server.",
        "S1 crashes. Predict: how do the others find out, and who can win the next election?",
        "The followers stopped hearing heartbeats; the first to time out won a new election",
        "No: it hears the new leader at term 2, follows it and catches up.",
    ]
    shown = [first(f"» {line}") for line in lines]
    assert shown == sorted(shown)
    crash, leader = first("S1 ✖ CRASHED"), first("★ S3 leader term 2")
    assert shown[1] < crash < leader == shown[2]  # elected, the script goes on at once

    # At a quarter of real time, each simulated second takes four of the recording's (to a
    # frame: a run that stops where its condition holds may stop short of the frame's time).
    def simulated(frame: int) -> float:
        found = re.search(r" t (\d+\.\d+)s ", screens[frame])
        assert found is not None
        return float(found[1])

    assert times[leader] - times[crash] == pytest.approx(
        (simulated(leader) - simulated(crash)) / 0.25, abs=1 / FPS
    )
    assert "The scenario has ended: 7 of 7 checks held." in screens[-1]
    assert times[-1] - times[-2] >= 3  # the end stays on screen
    still = (tmp_path / "x.svg").read_text(encoding="utf-8").replace("&#160;", " ")
    assert still.startswith("<svg") and "The scenario has ended: 7 of 7 checks held." in still


def test_the_same_options_record_the_same_file(tmp_path: Path) -> None:
    """A free cluster electing its first leader: messages in flight in every frame."""
    for name in ("a.cast", "b.cast"):
        args = ("--seed", "3", "--speed", "2", "--duration", "4", "--size", "100x30")
        result = raftviz_record(*args, "--out", name, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    header, frames = played(tmp_path / "a.cast")
    assert (header["width"], header["height"]) == (100, 30)
    assert frames[-1][0] == 4
    assert re.search(r"★ S\d leader", flat(frames[-1][1]))
    assert (tmp_path / "a.cast").read_bytes() == (tmp_path / "b.cast").read_bytes()


RULE = "raftviz record: argument"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["leader-crsh", "--out", "x.cast"], r"leader-crsh: neither a file nor a built-in .*"),
        (
            ["--out", "no/such/dir/x.cast"],
            r"raftviz record: --out no/such/dir/x\.cast: "
            r"cannot write: No such file or directory",
        ),
        (["--out", "."], r"raftviz record: --out \.: cannot write: Is a directory"),
        (["--out", "x.cast", "--still", "no/x.svg"], r"raftviz record: --still no/x\.svg: .*"),
        ([], rf"{RULE}s are required: --out|raftviz record: the following arguments .*--out"),
        (["--out", "x.cast", "--size", "120"], rf"{RULE} --size: the size must be WIDTHxHEIGHT .*"),
        (["--out", "x.cast", "--size", "20x10"], rf"{RULE} --size: the size must be 80x24 .*"),
        (["--out", "x.cast", "--duration", "0"], rf"{RULE} --duration: the duration must be .*"),
        (["--out", "x.cast", "--duration", "-1"], rf"{RULE} --duration: the duration must be .*"),
        (["--out", "x.cast", "--speed", "0"], rf"{RULE} --speed: the speed must be a positive .*"),
        (
            ["--out", "x.cast", "--nodes", "12"],
            r"raftviz record: --nodes must be between 3 and 9.*",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = raftviz_record(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, ""), result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.fullmatch(message, result.stderr.rstrip("\n")), result.stderr
    assert not (tmp_path / "x.cast").exists() or args[0] != "leader-crsh"


# What Textual writes: cursor moves, styles (truecolor, bold, reverse...) and text, with wide
# characters; written as each frame's changed cells, it must draw the very same screens.
WIDTH, HEIGHT = 24, 6
moves = st.tuples(st.integers(1, HEIGHT), st.integers(1, WIDTH)).map(
    lambda p: f"\x1b[{p[0]};{p[1]}H"
)
colors = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
styles = st.tuples(st.sampled_from(["0", "1", "3", "4", "7", "9", "0;1;7"]), colors, colors).map(
    lambda s: f"\x1b[{s[0]};38;2;{';'.join(map(str, s[1]))};48;2;{';'.join(map(str, s[2]))}m"
)
texts = st.text(alphabet="ab ★─│漢▰", min_size=1, max_size=10)
writes = st.lists(st.one_of(moves, styles, texts, st.just("\x1b[0m")), max_size=30).map("".join)


def shown(screen: pyte.Screen) -> list[list[tuple[str, ...]]]:
    """Each cell as a terminal shows it: a wide character takes two cells, and overwriting
    either half of it leaves the other half blank."""
    lines = []
    for y in range(HEIGHT):
        cells = [tuple(screen.buffer[y][x]) for x in range(WIDTH)]
        for x, cell in enumerate(cells):
            if cell[0] == "" and not (x and cells[x - 1][0] in WIDE):
                cells[x] = (" ", *cell[1:])
        for x, cell in enumerate(cells):
            if cell[0] in WIDE and not (x + 1 < WIDTH and cells[x + 1][0] == ""):
                cells[x] = (" ", *cell[1:])
        lines.append(cells)
    return lines


WIDE = {"漢"}


@settings(max_examples=300, deadline=None)
@given(st.lists(writes, min_size=1, max_size=8))
def test_frames_of_changed_cells_draw_the_same_screens(frames_written: list[str]) -> None:
    reference = pyte.Screen(WIDTH, HEIGHT)
    replayed = pyte.Screen(WIDTH, HEIGHT)
    reference_stream, replayed_stream = pyte.Stream(reference), pyte.Stream(replayed)
    frames = _Frames(WIDTH, HEIGHT)
    for written in frames_written:
        reference_stream.feed(written)
        replayed_stream.feed(frames.take(written))
        assert shown(replayed) == shown(reference)
