"""The TUI's command line turns bad input away before drawing anything.

`raftviz` with a bad option or script must end with one line on stderr naming the problem and
exit code 2, without ever starting the app: nothing on stdout, no escape sequence anywhere
(Textual draws on stderr, so a started app would show there), and no traceback. Each case runs
the real command in a subprocess with no terminal and no input, so an app that started anyway
would fail the check (or hang until the timeout) instead of passing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT_S = 20


def raftviz(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "RAFTVIZ_THEME"}
    return subprocess.run(
        [sys.executable, "-m", "raftviz", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def rejected(result: subprocess.CompletedProcess[bytes]) -> str:
    """The one line of a clean rejection (asserting everything else about it)."""
    assert result.stdout == b""
    assert b"\x1b" not in result.stderr, "the app started drawing"
    text = result.stderr.decode("utf-8")
    assert "Traceback" not in text
    assert text.endswith("\n") and text.count("\n") == 1, f"not one line: {text!r}"
    assert result.returncode == 2, text
    return text.rstrip("\n")


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    """A folder of broken scripts, and the working directory of every run."""
    (tmp_path / "unknown.raft").write_text(
        "cluster nodes=3 seed=2\n# a comment\nbogus 1\nrun 1s\n", encoding="utf-8"
    )
    (tmp_path / "binary.raft").write_bytes(b"cluster nodes=3\n\x00\x01\x02\xff\n")
    (tmp_path / "latin1.raft").write_bytes("say café\n".encode("latin-1"))
    (tmp_path / "huge.raft").write_text("cluster nodes=12\n", encoding="utf-8")
    (tmp_path / "big.raft").write_text("#" * 2**20 + "\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.raft")
    return tmp_path


NEITHER = "neither a file nor a built-in scenario"
SEED_RULE = "seed must be a whole number from 0 to 9223372036854775807"
SPEED_RULE = r"raftviz: argument --speed: the speed must be a positive number"
BAD_INPUT: list[tuple[list[str], str]] = [
    (["--nodes", "12"], r"raftviz: --nodes must be between 3 and 9, got 12"),
    (["--nodes", "2"], r"raftviz: --nodes must be between 3 and 9, got 2"),
    (["--nodes", "five"], r"raftviz: argument --nodes: invalid int value: 'five'"),
    (["--speed", "0"], rf"{SPEED_RULE}, got 0"),
    (["--speed", "-2"], rf"{SPEED_RULE}, got -2"),
    (["--speed", "nan"], rf"{SPEED_RULE}, got nan"),
    (["--speed", "inf"], rf"{SPEED_RULE}, got inf"),
    (["--speed", "-inf"], rf"{SPEED_RULE}, got -inf"),
    (["--speed=-inf"], rf"{SPEED_RULE}, got -inf"),
    (["--speed", "-1e3"], rf"{SPEED_RULE}, got -1e3"),
    (["--speed", "fast"], rf"{SPEED_RULE}, got fast"),
    (["--speed"], r"raftviz: argument --speed: expected one argument"),
    (["--nodes", "abc"], r"raftviz: argument --nodes: invalid int value: 'abc'"),
    (["--nodes", "-abc"], r"raftviz: argument --nodes: invalid int value: '-abc'"),
    (["--theme", "nope"], r"raftviz: unknown theme 'nope' \(raftviz themes: .*raft-dark.*\)"),
    (["missing.raft"], rf"missing\.raft: {NEITHER}; the scenarios: check-quorum, .*"),
    (["no-such-scenario"], rf"no-such-scenario: {NEITHER}; the scenarios: .*"),
    (["leader-crsh"], rf"leader-crsh: {NEITHER} \(did you mean leader-crash\?\); .*"),
    (["unknown.raft"], r"unknown\.raft:3: unknown command bogus"),
    (["binary.raft"], r"binary\.raft: not a text file \(it contains NUL bytes\)"),
    (["latin1.raft"], r"latin1\.raft: not UTF-8 text \(bad byte at offset \d+\)"),
    (["huge.raft"], r"raftviz: the TUI shows 3 to 9 nodes, the script asks for 12"),
    (["big.raft"], r"big\.raft: too large for a script: over 1048576 bytes \(1 MiB\)"),
    (["pipe.raft"], r"pipe\.raft: not a regular file, so not a script"),
    (["/dev/null"], r"/dev/null: not a regular file, so not a script"),
    ([""], r"raftviz: no script given \(the file name is empty\)"),
    (["--seed", "-1"], rf"raftviz: argument --seed: {SEED_RULE}, got -1"),
    (["--seed", "1" * 31], rf"raftviz: argument --seed: {SEED_RULE}, got 1{{31}}"),
    (["--seed", "abc"], rf"raftviz: argument --seed: {SEED_RULE}, got abc"),
    (["--seed", "-1e3"], rf"raftviz: argument --seed: {SEED_RULE}, got -1e3"),
    (
        ["--unsafe", "no-log"],
        r"raftviz: argument --unsafe: unknown unsafe variant no-log"
        r" \(did you mean no-log-check\?\); the unsafe variants are"
        r" no-log-check, commit-old-terms, forget-vote, accept-stale-leader",
    ),
    (
        ["--unsafe", "forget-vote,forget-vote"],
        r"raftviz: argument --unsafe: unsafe variant forget-vote is given twice",
    ),
    (["--unsafe"], r"raftviz: argument --unsafe: expected one argument"),
    (["--bogus"], r"raftviz: unrecognized arguments: --bogus"),
    (["--bogus\x1b[2J"], r"raftviz: unrecognized arguments: --bogus\\x1b\[2J"),
    (["a.raft", "b.raft"], r"raftviz: unrecognized arguments: b\.raft"),
]
"""Arguments, and the one line (a regular expression) that must reject them."""


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT]
)
def test_bad_input_is_one_line_and_exit_code_2(
    scripts: Path, args: list[str], message: str
) -> None:
    line = rejected(raftviz(*args, cwd=scripts))
    assert re.fullmatch(message, line), line


def test_a_builtin_scenario_name_resolves(scripts: Path) -> None:
    """`raftviz election` plays the packaged scenario: it loads (the run then stops at the
    next check, the theme, before drawing), where an unknown name is a missing file."""
    line = rejected(raftviz("election", "--theme", "nope", cwd=scripts))
    assert line.startswith("raftviz: unknown theme 'nope'"), line
    line = rejected(raftviz("no-such-scenario", "--theme", "nope", cwd=scripts))
    assert line.startswith(f"no-such-scenario: {NEITHER}")


def test_a_local_file_wins_over_a_builtin_scenario_of_the_same_name(scripts: Path) -> None:
    (scripts / "election").write_text("cluster nodes=3\nbogus\n", encoding="utf-8")
    line = rejected(raftviz("election", cwd=scripts))
    assert line == "election:2: unknown command bogus"


def test_nodes_option_cannot_contradict_the_script_s_cluster(tmp_path: Path) -> None:
    script = tmp_path / "twelve.raft"
    script.write_text("cluster nodes=7\nrun 1s\n")
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", str(script), "--nodes", "3"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"{script}: the script's cluster has 7 nodes; --nodes 3 contradicts it\n"
    )


def test_run_also_finds_built_in_scenarios_by_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", "run", "--json", "election"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"ok": true' in result.stdout


@pytest.mark.parametrize(
    ("args", "lecture"),
    [
        (["election"], True),
        (["election", "--no-lecture"], False),
        (["mine.raft"], False),
        (["mine.raft", "--lecture"], True),
        ([], False),
    ],
)
def test_built_in_scenarios_play_as_lectures_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], lecture: bool
) -> None:
    from raftviz.app import RaftvizApp
    from raftviz.cli import main

    (tmp_path / "mine.raft").write_text('say "hi"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    seen: list[bool] = []

    def run(app: RaftvizApp) -> int:
        seen.append(app.controller.runtime.lecture)  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(RaftvizApp, "run", run)
    assert main(args) == 0
    assert seen == [lecture]
