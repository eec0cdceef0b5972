"""`raftviz run --level`, as a user runs it: the real command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TIMEOUT_S = 60


def raftviz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftviz", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_story_level_tells_why_with_the_narration(tmp_path: Path) -> None:
    result = raftviz("run", "election", "--level", "story", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    won = "    1.423s S2 won the election at term 1 and becomes its leader: 3 of 5 granted "
    assert any(line.startswith(won) for line in lines)
    said = (
        " say A client asks the leader to store x=1. Predict: "
        "at which index will it land, and when is it committed?"
    )
    assert any(line.endswith(said) for line in lines)
    assert not any(" INFO " in line or " DEBUG " in line for line in lines)
    assert lines[-1] == "ok: 0 failed checks, 0 safety violations, seed 1, simulated 3.423s"


def test_json_is_the_same_at_every_level(tmp_path: Path) -> None:
    plain = raftviz("run", "leader-crash", "--json", cwd=tmp_path)
    story = raftviz("run", "leader-crash", "--json", "--level", "story", cwd=tmp_path)
    assert plain.returncode == story.returncode == 0
    assert story.stdout == plain.stdout


def test_a_bad_level_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = raftviz("run", "election", "--level", "chatty", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    # argparse quotes the choices differently across Python versions: check the gist.
    assert result.stderr.startswith("raftviz run: argument --level: invalid choice: 'chatty'")
    assert "story" in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
