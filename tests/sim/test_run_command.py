"""`raftviz run`: scenario scripts, exit codes, JSON output, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from raftviz.cli import main
from raftviz.core.etcdtext.describe import describe_event
from raftviz.core.script.executor import Executor
from raftviz.core.script.parse import ClusterCmd, RunCmd
from raftviz.core.sim.cluster import Cluster, Settings
from raftviz.core.sim.events import Event, Narration, TimersChanged
from tests.sim.test_unsafe_scenarios import UNSAFE_SCENARIOS

SCENARIOS = sorted(
    p.name for p in resources.files("raftviz.scenarios").iterdir() if p.name.endswith(".raft")
)
SCENARIO_DIR = Path(str(resources.files("raftviz.scenarios")))


def test_the_issue_s_scenarios_are_all_shipped() -> None:
    assert set(SCENARIOS) >= {
        "election.raft",
        "leader-crash.raft",
        "minority-partition.raft",
        "check-quorum.raft",
        "prevote-rejoin.raft",
        "no-prevote-rejoin.raft",
        "transfer-catchup.raft",
        "one-way-cut.raft",
        "late-vote.raft",
        "unsafe-no-log-check.raft",
        "unsafe-figure-8.raft",
        "unsafe-forget-vote.raft",
        "unsafe-stale-leader.raft",
        "disruptive-not-unsafe.raft",
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_passes_its_expectations(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every check of every lesson holds; only the unsafe lessons break a safety property (the
    one each is about, see test_unsafe_scenarios), and so exit 1."""
    path = SCENARIO_DIR / name
    assert "expect" in path.read_text()
    code = main(["run", str(path)])
    out = capsys.readouterr().out
    last = out.splitlines()[-1]
    if name in UNSAFE_SCENARIOS:
        assert code == 1, out[-2000:]
        assert last.startswith("FAILED: 0 failed checks, ") and " 0 safety" not in last
    else:
        assert code == 0, out[-2000:]
        assert last.startswith("ok: 0 failed checks, 0 safety violations")


def test_failed_expectation_exits_1_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.raft"
    script.write_text("cluster seed=1\ncampaign 1\nrun until leader=1\nexpect leader=2\n")
    assert main(["run", str(script)]) == 1
    out = capsys.readouterr().out
    assert f"{script}:4: FAILED expect leader=2: expected leader 2, got 1" in out


def test_json_report_has_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.raft"
    script.write_text("campaign 2\nrun until leader=2\npropose x=1\nrun 1s\nexpect converged\n")
    assert main(["run", "--json", "--seed", "4", str(script)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["seed"] == 4
    assert report["leader"] == 2
    assert report["failures"] == [] and report["violations"] == []
    node = report["nodes"][0]
    assert set(node) == {
        "id",
        "alive",
        "role",
        "term",
        "lead",
        "vote",
        "commit",
        "applied",
        "last_index",
        "last_term",
        "log",
        "kv",
    }
    assert node["log"] == [[1, 1, ""], [1, 2, "x=1"]]
    assert node["kv"] == {"x": "1"}


def test_seed_override_changes_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.raft"
    script.write_text("run until leader\n")
    outs = []
    for seed in ("1", "1", "2"):
        main(["run", "--json", "--seed", seed, str(script)])
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]
    assert (outs[0]["time_ms"], outs[0]["leader"]) != (outs[2]["time_ms"], outs[2]["leader"])


@pytest.mark.parametrize("seed", ["-5", "-1", "9223372036854775808", "1" * 31, "abc", "1.5"])
def test_a_seed_a_script_would_refuse_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str
) -> None:
    """`--seed -1` used to run exactly as seed 1, and seeds the saved script would refuse ran."""
    script = tmp_path / "s.raft"
    script.write_text("run until leader\n")
    with pytest.raises(SystemExit) as exit:
        main(["run", "--seed", seed, str(script)])
    assert exit.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "raftviz run: argument --seed: seed must be a whole number"
        f" from 0 to 9223372036854775807, got {seed}\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["election", "extra"], "raftviz run: unrecognized arguments: extra"),
        (["--bogus", "election"], "raftviz run: unrecognized arguments: --bogus"),
        ([], "raftviz run: the following arguments are required: file"),
        (["--seed", "-inf", "election"], "raftviz run: argument --seed: seed must be a whole"),
    ],
)
def test_run_s_usage_errors_name_raftviz_run(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """They used to blame plain `raftviz` for an argument that only `raftviz run` refused."""
    with pytest.raises(SystemExit) as exit:
        main(["run", *args])
    assert exit.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1


def test_the_largest_seed_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.raft"
    script.write_text("run until leader\n")
    assert main(["run", "--json", "--seed", str(2**63 - 1), str(script)]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 2**63 - 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("campain 1\n", ":1: unknown command"),
        ("run 1s\ncrash 9\n", ":2: unknown node 9 (cluster has nodes 1-5)"),
        ("run -1s\n", ":1: "),
        ("set loss=1.5\n", ":1: loss must be a probability between 0 and 1, got 1.5"),
        ('say "unterminated\n', ":1: unterminated"),
        ("# harmless comment\u2028crash 1\n", ":1: control character U+2028 is not allowed"),
    ],
)
def test_bad_script_is_one_line_on_stderr_with_exit_2(
    tmp_path: Path, content: str, message: str
) -> None:
    script = tmp_path / "bad.raft"
    script.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", "run", str(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{script}{message}")


def test_missing_and_binary_files_are_one_line_errors(tmp_path: Path) -> None:
    binary = tmp_path / "bin.raft"
    binary.write_bytes(b"\x00\x01\xff")
    for path in (tmp_path / "missing.raft", binary):
        result = subprocess.run(
            [sys.executable, "-m", "raftviz", "run", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(f"{path}: ")
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("pipe.raft", "{dir}/pipe.raft: not a regular file, so not a script"),
        ("/dev/null", "/dev/null: not a regular file, so not a script"),
        (
            "big.raft",
            "{dir}/big.raft: too large for a script: over 1048576 bytes (1 MiB)",
        ),
        ("", "raftviz run: no script given (the file name is empty)"),
    ],
)
def test_files_that_cannot_be_scripts_are_one_line_errors(
    tmp_path: Path, name: str, message: str
) -> None:
    """A pipe used to block for ever, a device to be read without end, a huge file to be read
    whole, and an empty name to be taken for the current directory."""
    (tmp_path / "big.raft").write_text("#" * 2**20 + "\n")
    os.mkfifo(tmp_path / "pipe.raft")
    path = name if name in ("", "/dev/null") else str(tmp_path / name)
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", "run", path],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == message.format(dir=tmp_path) + "\n"


def test_runtime_errors_are_failures_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.raft"
    script.write_text("cluster auto-tick=false\ncrash leader\nrestart 1\n")
    assert main(["run", str(script)]) == 1
    out = capsys.readouterr().out
    assert f"{script}:2: FAILED crash leader: there is no leader" in out
    assert f"{script}:3: FAILED restart 1: node 1 is not crashed" in out


def test_state_dumps_print_etcd_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.raft"
    script.write_text(
        "cluster nodes=3 auto-tick=false prevote=false\ncampaign 1\nstabilize\ncrash 3\n"
        "raft-state\nraft-log 2\nstatus 1\nstatus 2\n"
    )
    assert main(["run", str(script)]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("1: StateLeader (Voter) Term:1 Lead:1")
    assert out[start : start + 9] == [
        "1: StateLeader (Voter) Term:1 Lead:1",
        "2: StateFollower (Voter) Term:1 Lead:1",
        "3: StateCrashed (Voter) Term:1 Lead:1",
        '1/1 EntryNormal ""',
        "1: StateReplicate match=1 next=2",
        "2: StateReplicate match=1 next=2",
        "3: StateReplicate match=1 next=2",
        "2 is not the leader",
        "ok: 0 failed checks, 0 safety violations, seed 1, simulated 0.000s",
    ]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(
    "command",
    ["run 5m", "run until leader=none timeout=5m", "tick leader count=20000"],
)
def test_a_long_command_s_events_are_handed_over_as_it_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    as_json: bool,
) -> None:
    """`raftviz run` takes (prints, or drops for --json) the events of a long command in small
    batches while it runs, so its memory does not grow with the command's length: one command
    used to hold all its events until it ended (`run 200m`: 430 MB)."""
    batches: list[int] = []
    drain = Cluster.drain

    def counted(cluster: Cluster) -> list[Event]:
        events = drain(cluster)
        batches.append(len(events))
        return events

    monkeypatch.setattr(Cluster, "drain", counted)
    script = tmp_path / "long.raft"
    script.write_text(f"cluster seed=1\nrun until leader\n{command}\n")
    main(["run", *(["--json"] if as_json else []), str(script)])
    assert max(batches) < 2_000 < sum(batches)
    assert capsys.readouterr().out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_in_slices_is_the_same_run(seed: int) -> None:
    """Handing events over between slices changes nothing: the events of a sliced `run` are those
    of the cluster advanced in one go."""
    whole = Cluster(Settings(seed=seed, loss=0.1, dup=0.1))
    whole.advance_to(120_500)
    batches: list[list[Event]] = []
    executor = Executor(ClusterCmd(seed=seed, loss=0.1, dup=0.1))
    executor.on_progress = lambda: batches.append(executor.cluster.drain())
    executor.execute(RunCmd(120_500))
    batches.append(executor.cluster.drain())
    assert len(batches) > 100
    assert [event for batch in batches for event in batch] == whole.drain()
    assert executor.cluster.time_ms == whole.time_ms == 120_500


def test_narration_cannot_drive_the_terminal() -> None:
    """`say "<ESC>[2J<ESC>]0;pwned<BEL>"` cleared the screen and set the window title: the
    parser now refuses control characters, and the output escapes whatever is not printable
    anyway, the way it escapes proposal data."""
    text = "\x1b[2J\x1b]0;pwned\x07 \u202e"
    assert describe_event(Narration(0, 1, text, False)) == r"say \x1b[2J\x1b]0;pwned\x07 \u202e"
    assert describe_event(Narration(0, 1, text, True)) == r"mark \x1b[2J\x1b]0;pwned\x07 \u202e"
    assert describe_event(Narration(0, 1, 'a "quoted" \\ word', False)) == 'say a "quoted" \\ word'


def test_user_text_is_printed_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text the parser accepts may still hold characters a terminal acts on (a bidi override
    reorders the line); narration, failure lines quoting commands and values, and the file's
    own name are all printed with them escaped."""
    script = tmp_path / "evil\x1b[2J.raft"
    script.write_text(
        'cluster seed=1\nrun until leader\nsay "txt\u202eexe"\nmark \u202e\n'
        "propose x=\u202e\nrun 1s\nexpect node=1 kv.x=\u202d\n",
        encoding="utf-8",
    )
    assert main(["run", str(script)]) == 1
    out = capsys.readouterr().out
    assert out.isascii() and out.replace("\n", "").isprintable()
    lines = out.splitlines()
    events = [line.lstrip().partition(" ")[2] for line in lines]
    assert [event for event in events if event.startswith(("say ", "mark "))] == [
        r"say txt\u202eexe",
        r"mark \u202e",
    ]
    name = str(script).replace("\x1b", r"\x1b")
    assert lines[-2] == (
        rf"{name}:7: FAILED expect node=1 kv.x=\u202d: expected node 1 kv.x=\u202d, got \u202e"
    )


def test_a_script_error_is_printed_escaped(tmp_path: Path) -> None:
    script = tmp_path / "evil\x1b[2J.raft"
    script.write_text("bogus\u202e\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", "run", str(script)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )
    name = str(script).replace("\x1b", r"\x1b")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == rf"{name}:1: unknown command bogus\u202e" + "\n"


def test_timer_changes_print_as_timer_lines_not_network_ones() -> None:
    aligned = TimersChanged(0, 1, "aligned", ((1, 14), (2, 14)))
    spread = TimersChanged(0, 2, "spread", ((1, 10), (2, 15)))
    assert describe_event(aligned) == "timers aligned: 1,2 time out after 14 ticks"
    assert describe_event(spread) == "timers spread: 1=10 2=15 ticks"
