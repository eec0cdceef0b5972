"""etcd/raft's own interaction files, run on raftviz's core and compared byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from raftviz.cli import main
from raftviz.core.etcdtext.interaction import collect_files, run_file
from tests.conftest import ETCD_FETCH, ETCD_FILES, REPO, etcd_missing, etcd_testdata_dir

_FOLDER = etcd_testdata_dir()
_FILES = collect_files([_FOLDER]) if _FOLDER.is_dir() else []
_MISSING = etcd_missing(_FOLDER)


@pytest.mark.skipif(not _FILES, reason=_MISSING)
@pytest.mark.parametrize(("path", "name"), _FILES, ids=[name for _, name in _FILES])
def test_etcd_interaction_file_passes(path: Path, name: str) -> None:
    result = run_file(path, name)
    assert result.passed, f"{result.reason}\n{result.diff}"


@pytest.mark.skipif(not _FILES, reason=_MISSING)
@pytest.mark.parametrize(("path", "name"), _FILES, ids=[name for _, name in _FILES])
def test_etcd_interaction_file_passes_with_decision_records_on(path: Path, name: str) -> None:
    """Explaining a decision never changes it, and etcd's output never shows the explanation."""
    result = run_file(path, name, stories=True)
    assert result.passed, f"{result.reason}\n{result.diff}"


def test_conformance_suite_is_not_empty(etcd_testdata: Path) -> None:
    assert len(collect_files([etcd_testdata])) >= 10


def test_a_changed_expectation_fails_with_its_line(etcd_testdata: Path, tmp_path: Path) -> None:
    text = (etcd_testdata / "campaign.txt").read_text()
    broken = text.replace("INFO 2 became follower at term 1", "INFO 2 became follower at term 7")
    target = tmp_path / "campaign.txt"
    target.write_text(broken)
    line = broken.split("\n").index("  INFO 2 became follower at term 7") + 1
    result = run_file(target)
    assert not result.passed
    assert result.reason.startswith(f"line {line}: expected")
    assert "+  INFO 2 became follower at term 1" in result.diff


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("frobnicate 1\n----\nok\n", "line 1: unknown command 'frobnicate'"),
        ("campaign 1\nok\n", "line 1: missing '----' after command 'campaign 1'"),
        ("add-nodes 1\n----\nok\n\ncompact 1 2\n----\nok\n", "line 5: unsupported command"),
        (
            "add-nodes 1 voters=(1) index=2\n----\nok\n\ncampaign 9\n----\nok\n",
            "line 5: unknown node 9",
        ),
        ("add-nodes 1 voters=(1) index=x\n----\nok\n", "line 1: bad arguments to add-nodes"),
        ("add-nodes 1 prevote=maybe\n----\nok\n", "line 1: expected true or false"),
    ],
)
def test_malformed_files_fail_with_line_and_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(content)
    result = run_file(f)
    assert not result.passed
    assert result.reason.startswith(reason), result.reason


def test_conform_command_exit_codes(
    etcd_testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conform", str(etcd_testdata / "campaign.txt")]) == 0
    assert capsys.readouterr().out == "PASS campaign.txt\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("nope\n----\nok\n")
    assert main(["conform", str(etcd_testdata / "campaign.txt"), str(bad)]) == 1
    assert (
        capsys.readouterr().out.splitlines()[-1] == "FAIL bad.txt: line 1: unknown command 'nope'"
    )
    assert main(["conform", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_binary_file_fails_cleanly(tmp_path: Path) -> None:
    f = tmp_path / "bin.txt"
    f.write_bytes(b"\xff\xfe\x00\x01")
    result = run_file(f)
    assert not result.passed
    assert result.reason.startswith("cannot read")


def test_the_readme_shows_the_command_that_fetches_etcd_s_files() -> None:
    """A newcomer copies it from the README, or from the skip reason: they must agree."""
    assert ETCD_FETCH in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_fetch_command_brings_the_files_the_suite_runs(etcd_testdata: Path) -> None:
    """The command's list of files is the suite: a file added to the data (or taken away)
    must be added to the command too, or a fresh clone would test less than CI."""
    assert sorted(Path(name).stem for _, name in collect_files([etcd_testdata])) == sorted(
        ETCD_FILES
    )
