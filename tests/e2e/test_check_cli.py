"""`raftviz check` from the command line: its errors, its report, its shards, and Ctrl-C.

Each case runs the real command in a subprocess, with worker processes of its own, so what is
tested is what a user gets: exit codes, one-line errors, no traceback, no worker left behind.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from raftviz.commands.check import Failure, Hunt, Options, save_failure, shard_seeds
from raftviz.commands.run import run_script
from raftviz.core.explore import trial
from raftviz.core.explore.schedule import RECOVERY, Schedule
from raftviz.core.script.parse import ClusterCmd, CrashCmd, RestartCmd
from tests.explore import mutants
from tests.explore.test_shrink import FORGETFUL_SEED

TIMEOUT_S = 60


def check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftviz", "check", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("not a folder\n")
    return tmp_path


BAD_INPUT: list[tuple[list[str], str]] = [
    (["--seeds", "-1"], r"argument --seeds: must be a whole number from 1 to \d+, got -1"),
    (["--seeds", "0"], r"argument --seeds: must be a whole number from 1 to \d+, got 0"),
    (["--seeds", "ten"], r"argument --seeds: must be a whole number from 1 to \d+, got ten"),
    (["--jobs", "0"], r"argument --jobs: must be a whole number from 1 to 256, got 0"),
    (["--jobs", "-2"], r"argument --jobs: must be a whole number from 1 to 256, got -2"),
    (["--nodes", "2"], r"argument --nodes: must be a whole number from 3 to 9, got 2"),
    (["--nodes", "10"], r"argument --nodes: must be a whole number from 3 to 9, got 10"),
    (["--shard", "3/2"], r"argument --shard: must be I/N .*0 <= I < N .*got 3/2"),
    (["--shard", "2/2"], r"argument --shard: must be I/N .*got 2/2"),
    (["--shard", "1"], r"argument --shard: must be I/N .*got 1"),
    (["--shard", "-1/2"], r"argument --shard: must be I/N .*got -1/2"),
    (
        ["--unsafe", "nope"],
        r"argument --unsafe: unknown unsafe variant nope; the unsafe variants are no-log-check, .*",
    ),
    (
        ["--unsafe", "forget-vote,no-log"],
        r"argument --unsafe: unknown unsafe variant no-log \(did you mean no-log-check\?\).*",
    ),
    (["--time", "5x"], r"argument --time: must be a duration above 0 like 90s, .*got 5x"),
    (["--time", "0s"], r"argument --time: must be a duration above 0 like 90s, .*got 0s"),
    (["--seeds", "5", "--time", "1m"], r"argument --time: not allowed with argument --seeds"),
    (["--out", "a-file"], r"--out a-file: not a folder"),
    (["--out", "a-file/sub"], r"--out a-file/sub: a-file is not a folder"),
    (["--bogus"], r"unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT]
)
def test_bad_input_is_one_line_and_exit_code_2(cwd: Path, args: list[str], message: str) -> None:
    result = check(*args, cwd=cwd)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert re.fullmatch(rf"raftviz check: {message}\n", result.stderr), result.stderr
    assert not (cwd / "raftviz-check").exists()


def test_twenty_seeds_on_today_s_rules_find_nothing(cwd: Path) -> None:
    result = check("--seeds", "20", "--jobs", "1", "--nodes", "3", cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"checked 20 seeds \(0-19\) of 3 nodes: nothing broke "
        r"\(\d+\.\ds, \d+\.\d seeds/s, 1 job\)\n",
        result.stdout,
    )
    assert result.stderr == ""
    assert not (cwd / "raftviz-check").exists(), "made a folder with nothing to put there"


def test_the_json_report_of_a_shard(cwd: Path) -> None:
    result = check("--seeds", "10", "--shard", "1/3", "--jobs", "2", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["interrupted"] is False
    assert report["seeds"] == [1, 4, 7] and report["seeds_run"] == 3
    assert report["shard"] == [1, 3] and report["nodes"] == 5
    assert report["failures"] == []


@pytest.mark.parametrize(("seeds", "shards"), [(1, 1), (10, 3), (12, 4), (7, 7), (5, 9)])
def test_shards_partition_the_seeds_exactly(seeds: int, shards: int) -> None:
    parts = [list(shard_seeds((index, shards), seeds)) for index in range(shards)]
    flat = [seed for part in parts for seed in part]
    assert sorted(flat) == list(range(seeds))
    assert len(flat) == len(set(flat))


def test_time_runs_seeds_in_shard_order_until_it_is_up(cwd: Path) -> None:
    result = check("--time", "1s", "--jobs", "1", "--shard", "0/2", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["seeds_run"] >= 2
    assert report["seeds"] == list(range(0, 2 * report["seeds_run"], 2))
    assert report["elapsed_s"] < 15


def test_ctrl_c_stops_the_workers_and_reports_what_was_done(cwd: Path) -> None:
    """Ctrl-C reaches the whole process group, as a terminal sends it: the workers ignore it,
    the parent stops them and reports the seeds checked, with exit code 130."""
    process = subprocess.Popen(
        [sys.executable, "-m", "raftviz", "check", "--seeds", "1000000", "--jobs", "2"],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(2)
        # As a user would: a Ctrl-C in the milliseconds the workers take to start is ignored
        # (see `sigint_ignored` in commands/workers.py), and a second one stops the hunt.
        for _ in range(3):
            os.killpg(process.pid, signal.SIGINT)
            try:
                stdout, stderr = process.communicate(timeout=TIMEOUT_S / 3)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, stderr
    assert stderr == ""
    assert re.fullmatch(
        r"interrupted after \d+ seeds \(0-999999\) of 5 nodes: nothing broke .*\n", stdout
    )
    assert group_ends(process.pid), "a worker outlived the command"


def group_ends(group: int, within_s: float = 10) -> bool:
    """Whether every process of the group is gone within the time (multiprocessing's resource
    tracker leaves a moment after its parent)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_saved_failure_says_what_broke_and_replays_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file `raftviz check` writes for a failure: a header saying what broke and how to
    open it, then a script that `raftviz run` plays to the same failure (exit code 1). The
    failure is real, of a Raft whose restarted nodes never tick (`mutants.deaf_restarts`):
    the workers' processes cannot be given that bug, so the parent's part is tested alone."""
    mutants.deaf_restarts(monkeypatch)
    cluster = ClusterCmd(nodes=3, prevote=False)
    crashes = tuple(CrashCmd(n) for n in (1, 2, 3))
    restarts = tuple(RestartCmd(n) for n in (1, 2, 3))
    schedule = Schedule(replace(cluster, seed=41), (*crashes, *restarts, RECOVERY))
    outcome = trial.run(schedule)
    assert outcome.property == trial.LIVENESS
    hunt = Hunt(Options(cluster, 50, None, 2, (0, 1), tmp_path / "out", False))
    failure = Failure(41, outcome, 40, 5, schedule, outcome)
    save_failure(hunt, failure)
    path = tmp_path / "out" / "seed-41.raft"
    assert failure.file == path
    lines = path.read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    assert lines[: len(header)] == header
    assert header[:3] == [
        "# Found by raftviz check: seed 41, 5 nodes, prevote off, checkquorum on.",
        f"# It breaks liveness at 30.000s: {outcome.detail}",
        "# Shrunk from 40 commands on 5 nodes to 7 on 3: without any one of them it no longer"
        " fails this way.",
    ]
    assert f"# Replay it headless (exit code 1): raftviz run {path}" in header
    assert header[-1] == (
        "# Check the seed again: raftviz check --nodes 5 --seeds 42 --shard 41/42 --no-prevote"
    )
    assert lines[len(header) :] == schedule.lines()
    out = io.StringIO()
    assert run_script(str(path), as_json=False, seed=None, out=out) == 1
    assert f"{path}:{len(lines)}: FAILED {RECOVERY.to_text()}: " in out.getvalue()


def test_an_unsafe_variant_s_bug_is_found_shrunk_saved_and_replayed(tmp_path: Path) -> None:
    """End to end, with votes forgotten across restarts (`--unsafe forget-vote`): the seed
    that breaks it exits 1, its failure is shrunk by a worker and saved, and `raftviz run` of
    the file fails the same way, and passes with the rule back on."""
    args = [
        *("--nodes", "3", "--no-prevote", "--unsafe", "forget-vote"),
        *("--seeds", str(FORGETFUL_SEED + 1), "--shard", f"{FORGETFUL_SEED}/{FORGETFUL_SEED + 1}"),
        "--json",
    ]
    result = check(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    [failure] = report["failures"]
    assert failure["seed"] == FORGETFUL_SEED and failure["property"] == "election-safety"
    assert failure["shrunk"] and failure["shrunk_commands"] < failure["commands"]
    assert failure["file"] == f"raftviz-check/seed-{FORGETFUL_SEED}.raft"
    assert result.stderr.startswith(f"seed {FORGETFUL_SEED}: election-safety at ")
    replay = [sys.executable, "-m", "raftviz", "run", "--json", failure["file"]]
    broken = subprocess.run(replay, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["violations"][0]["property"] == "election-safety"
    saved = tmp_path / failure["file"]
    text = saved.read_text()
    assert " unsafe=forget-vote" in text and "--unsafe forget-vote" in text
    saved.write_text(text.replace(" unsafe=forget-vote", ""))
    healthy = subprocess.run(replay, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert healthy.returncode == 0, "the saved script fails with the rule on"
