"""What a newcomer asks first: `raftviz --help` shows the TUI's own options, every subcommand
and every built-in scenario; `raftviz run` of a name that is neither a file nor a scenario
says so and lists the scenarios."""

from __future__ import annotations

import subprocess
import sys

import pytest

from raftviz.cli import main
from raftviz.scenarios import builtin_scenarios

TUI_OPTIONS = (
    "SCRIPT",
    "--nodes",
    "--seed",
    "--speed",
    "--theme",
    "--paused",
    "--no-prevote",
    "--no-checkquorum",
)


def help_text(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "raftviz", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_shows_the_tui_options_the_commands_and_the_scenarios(flag: str) -> None:
    text = help_text(flag)
    for option in TUI_OPTIONS:
        assert option in text
    lines = text.splitlines()
    for command in ("conform", "run", "bench", "serve", "record"):
        assert any(line.startswith(f"  raftviz {command} ") for line in lines), command
    for scenario in builtin_scenarios():
        (line,) = [line for line in lines if line.startswith(f"  raftviz {scenario.name} ")]
        assert line.endswith(scenario.description) and scenario.description
    assert "q quits" in text


@pytest.mark.parametrize("command", ["serve", "record"])
def test_serve_and_record_take_the_tui_s_options(command: str) -> None:
    text = help_text(command, "--help")
    for option in TUI_OPTIONS:
        assert option in text


def test_run_of_an_unknown_name_lists_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "electon"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "electon: neither a file nor a built-in scenario (did you mean election?); the scenarios: "
    )
    assert err.count("\n") == 1
    for scenario in builtin_scenarios():
        assert scenario.name in err
