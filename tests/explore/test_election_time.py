"""The election-time experiment: one trial checked by hand, its script replayed, its summary
figures, and its command line (determinism across --jobs, the plot at 80x24, bad input)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from raftviz.commands.experiment import (
    Options,
    describe,
    election_time,
    plot,
    run_trials,
    table,
)
from raftviz.commands.run import run_script
from raftviz.core.explore.election_time import (
    CLOCK,
    TICK_US,
    Result,
    Setup,
    log_lengths,
    percentile,
    possible_winners,
    run_trial,
    script,
    summarize,
)
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import CrashCmd, parse_script

LATENCY = 5
TINY = Setup((150, 300), nodes=3, latency_ms=(LATENCY, LATENCY), equal_logs=True)
L_US = LATENCY * CLOCK


def _before_the_crash(setup: Setup, trial: int) -> Executor:
    """The trial's own script, run up to (not including) the leader's crash."""
    parsed = parse_script("\n".join(script(setup, trial)), "trial.raft")
    executor = Executor(parsed.cluster)
    for numbered in parsed.commands:
        if isinstance(numbered.command, CrashCmd):
            break
        executor.run(numbered.command, numbered.line)
    return executor


@pytest.mark.parametrize("trial", [1, 2, 3, 4, 5])
def test_a_trial_measures_the_first_timer_to_fire_plus_one_round_trip(trial: int) -> None:
    """By hand: with 3 nodes, equal logs and a fixed latency L, the first follower whose
    timer fires after the crash wins at once, one round trip (2L) later, unless the other
    fires before its vote request arrives. A timer fires after its timeout minus what has
    elapsed, or, when the leader's last heartbeat is still on its way (the crash came less
    than L after it), after the heartbeat's arrival and a whole timeout. Times are in the
    trial's microseconds; a timer fires on a tick of its node, so within one tick (TICK_US) of
    the computed time."""
    # In trial 4 the last heartbeat is under way at the crash. (In trial 0 both timers fire
    # within L of each other: not the simple case.)
    result = run_trial(TINY, trial)
    cluster = _before_the_crash(TINY, trial).cluster
    beats = {
        f.msg.to: f.deliver_ms - cluster.time_ms
        for f in cluster.flights.values()
        if str(f.msg.type) == "MsgHeartbeat"
    }
    assert (trial_offset := result.crash_offset_us) >= L_US or beats, "a heartbeat is due"
    fires = sorted(
        beats[id] + node.raw.raft.randomized_election_timeout * TICK_US
        if id in beats
        else (node.raw.raft.randomized_election_timeout - node.raw.raft.election_elapsed) * TICK_US
        for id, node in cluster.nodes.items()
        if id != 1
    )
    assert trial_offset < L_US or not beats
    assert fires[1] - fires[0] > L_US  # the simple case
    assert fires[0] - TICK_US <= result.elapsed_us - 2 * L_US <= fires[0]
    assert (result.terms, result.capped) == (1, False)


def test_a_trial_s_script_replays_to_the_same_new_leader(tmp_path: Path) -> None:
    setup = Setup((150, 175))
    result = run_trial(setup, 3)
    lines = script(setup, 3)
    # The trial's clock counts microseconds, and its first line says so: 10 s is 10,000 "s".
    assert "read every ms below as a microsecond" in lines[0]
    assert lines[-2:] == ["crash 1", "run until leader term>=2 timeout=10000s"]
    path = tmp_path / "trial.raft"
    path.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    assert run_script(str(path), as_json=True, seed=None, out=out) == 0
    report = json.loads(out.getvalue())
    crashed = sum(
        int(line[4:-2]) for line in lines if line.startswith("run ") and "until" not in line
    )
    assert report["time_ms"] == crashed + result.elapsed_us
    assert report["leader"] != 1
    assert report["nodes"][report["leader"] - 1]["term"] == 1 + result.terms


@pytest.mark.parametrize(
    ("setup", "winners"),
    [
        (Setup((150, 300)), [2, 3]),
        (Setup((150, 300), nodes=3), [2]),
        (Setup((150, 300), nodes=7), [2, 3, 4]),
        (Setup((150, 300), equal_logs=True), [2, 3, 4, 5]),
    ],
)
def test_logs_of_different_lengths_leave_some_followers_unable_to_win(
    setup: Setup, winners: list[int]
) -> None:
    """What the run's header says of the logs is what the trials hold at the crash."""
    cluster = _before_the_crash(setup, 0).cluster
    lasts = {id: node.raw.raft.raft_log.last_index() for id, node in cluster.nodes.items()}
    assert lasts == {1: 4, **log_lengths(setup)}  # the empty entry, then x=0, x=1, x=2
    assert possible_winners(setup) == winners


def test_the_summary_s_figures() -> None:
    times_us = [300_000, 100_500, 200_000, 400_000]
    results = [Result(k, us, 1 + (k % 2), False, 0) for k, us in enumerate(times_us)]
    s = summarize([*results, Result(4, 10_000_000, 0, True, 0)])
    assert (s.trials, s.minimum, s.median, s.maximum, s.capped) == (5, 100.5, 300.0, 10_000, 1)
    assert s.mean == pytest.approx(2200.1)
    assert s.first_term == pytest.approx(0.4)
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([7], 99) == 7


def test_results_are_the_same_whatever_the_number_of_jobs() -> None:
    setups = (Setup((150, 155)), Setup((150, 300)))
    one = run_trials(Options(setups, 30, jobs=1))
    two = run_trials(Options(setups, 30, jobs=2))
    assert one == two
    assert [r.trial for r in one[setups[0]]] == list(range(30))


def test_the_table_and_the_plot_render_at_80x24() -> None:
    setups = (Setup((150, 151)), Setup((150, 300)))
    results = {s: [run_trial(s, k) for k in range(15)] for s in setups}
    console = Console(width=80, height=24, record=True, color_system=None, file=io.StringIO())
    console.print(table(results))
    console.print(plot(results, 80, 22, log_x=True))
    text = console.export_text()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "150-151" in text and "capped" in text  # the table, whole at 80 columns
    assert "150-300 ms" in text  # the legend
    assert "log scale" in text
    assert len([line for line in lines if "┤" in line]) >= 4  # the y axis' ticks


def test_the_table_shows_whole_figures_at_80_columns_even_for_capped_lines() -> None:
    """Every column of a line capped at 10 s holds 5 digits: none may be cut to '100…'."""
    capped = [Result(k, 10_000_000, 0, True, 0) for k in range(1000)]
    console = Console(width=80, record=True, color_system=None, file=io.StringIO())
    console.print(table({Setup((150, 150)): capped}))
    row = next(line for line in console.export_text().splitlines() if line.startswith("150"))
    assert "…" not in row
    assert row.split() == ["150-150", "1000", *["10000"] * 6, "0%", "1000"]


def test_the_table_keeps_tenths_of_a_millisecond_below_10_ms() -> None:
    """Tiny timeouts elect in about 2 ms: whole ms would show 2 for 1.57 and for 2.43."""
    results = [Result(k, us, 1, False, 0) for k, us in enumerate([1_570, 2_430, 15_400])]
    console = Console(width=80, record=True, color_system=None, file=io.StringIO())
    console.print(table({Setup((2, 3)): results}))
    row = next(
        line for line in console.export_text().splitlines() if line.lstrip().startswith("2-3")
    )
    assert row.split()[2:4] == ["1.6", "2.4"]  # min and median
    assert row.split()[7] == "15"  # max: whole ms from 10 ms on


def test_a_disk_write_is_stated_and_slows_each_election_round_trip() -> None:
    """With a 10 ms write before every request and every vote, the setup line says so and
    counts it in the broadcast time; on equal logs with fixed latency, the first timer to
    fire wins exactly two writes later than without them."""
    options = Options((Setup((150, 300), latency_ms=(2, 3), disk_ms=10),), 1, 1)
    assert "and 10 ms to write to disk before a node's messages leave" in describe(options)
    assert "the broadcast time, of 14-16 ms" in describe(options)
    fast, slow = (replace(TINY, disk_ms=disk) for disk in (0, 10))
    for trial in range(3):
        plain, written = run_trial(fast, trial), run_trial(slow, trial)
        assert (plain.terms, written.terms) == (1, 1)
        # Heartbeats write nothing, so the timers run alike: the candidate's write, then the
        # voter's, are all the difference.
        assert written.elapsed_us - plain.elapsed_us == 2 * 10 * CLOCK


def test_a_slow_network_and_disk_still_leave_time_to_set_a_trial_up() -> None:
    """A 350 ms trip (200 ms of flight after a 150 ms write) under 1-2 s timeouts: electing
    node 1 and spreading its empty entry takes over a second, which the setup allows."""
    setup = Setup((1000, 2000), latency_ms=(200, 200), disk_ms=150)
    result = run_trial(setup, 0)
    # Elected, and no sooner than one election round trip: two writes and two flights.
    assert not result.capped
    assert result.elapsed_ms >= 2 * (200 + 150)


def test_a_trial_that_cannot_be_set_up_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command line refuses such a network first; were one to get through (here, 2-3 ms
    timeouts under 6-9 ms flights), the run says why in one line instead of a traceback."""
    assert election_time(Options((Setup((2, 3)),), 1, 1)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "trial 0: node 1 was not elected: the network is too slow for the timeouts" in err


def _experiment(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftviz", "experiment", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--timeouts", "300-150"], "argument --timeouts: 300-150: MIN must be at least 2"),
        (["--timeouts", "150"], "argument --timeouts: must be MIN-MAX in whole ms"),
        (["--trials", "0"], "argument --trials: must be a whole number from 1 to 1000000, got 0"),
        (["--jobs", "0"], "argument --jobs: must be a whole number from 1 to 256, got 0"),
        (["--latency", "9-6"], "argument --latency: 9-6: MIN must be at least 0"),
        (["--disk", "-1"], "argument --disk: must be a whole number from 0 to 10000, got -1"),
        (["--latency", "2000-2000"], "--latency/--disk: a round trip takes up to 4000 ms"),
        (["--disk", "70"], "not shorter than the 150 ms timeout: no leader could hold"),
        (["--csv", "/nonexistent/x.csv"], "--csv: cannot write /nonexistent/x.csv"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], problem: str) -> None:
    result = _experiment("election-time", "--trials", "1", *args)
    assert result.returncode == 2, result.stderr
    assert problem in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_the_command_prints_the_table_and_the_plot_and_writes_its_files(tmp_path: Path) -> None:
    csv_path, json_path = tmp_path / "t.csv", tmp_path / "t.json"
    result = _experiment(
        "election-time", "--trials", "10", "--timeouts", "150-200,150-300",
        "--jobs", "2", "--csv", str(csv_path), "--json", str(json_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "One-way latency uniform in 6-9 ms" in result.stdout
    assert "150-200" in result.stdout and "CDF" in result.stdout
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "timeout_ms,trial,elapsed_ms,terms,capped,crash_offset_ms"
    assert len(rows) == 21
    report = json.loads(json_path.read_text())
    assert [line["timeout_ms"] for line in report["lines"]] == [[150, 200], [150, 300]]
    assert report["lines"][1]["elapsed_ms"] == [
        run_trial(Setup((150, 300)), k).elapsed_ms for k in range(10)
    ]


def test_a_narrow_range_draws_timeouts_finer_than_a_millisecond() -> None:
    """150-151 ms: each follower's timeout (redrawn at every reset) lies within the range, and
    the draws take many values inside that one millisecond, not just its two ends."""
    setup = Setup((150, 151))
    drawn = {
        node.raw.raft.randomized_election_timeout * TICK_US
        for trial in range(12)
        for id, node in _before_the_crash(setup, trial).cluster.nodes.items()
        if id != 1
    }
    assert min(drawn) >= 150 * CLOCK and max(drawn) <= 151 * CLOCK
    assert len(drawn) > 20
