"""`raftviz run --level`: the default output stays etcd's lines, byte for byte; `story` tells
why instead; `info` leaves out etcd's DEBUG lines.
"""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import pytest

from raftviz.commands.run import run_script
from raftviz.core.etcdtext.describe import describe_event
from raftviz.core.sim.events import RaftLog
from tests.sim.test_story_stream import events_of
from tests.sim.test_unsafe_scenarios import UNSAFE_SCENARIOS

SCENARIO_DIR = Path(str(resources.files("raftviz.scenarios")))
SCENARIOS = sorted(p.name for p in SCENARIO_DIR.iterdir() if p.name.endswith(".raft"))

STORY_LINE = re.compile(r"^ *\d+\.\d{3}s S\d+\b")
ETCD_LINE = re.compile(r"^ *\d+\.\d{3}s (DEBUG|INFO|WARN|ERROR) ")
MESSAGE_LINE = re.compile(r"^ *\d+\.\d{3}s (deliver|drop) ")
"""A message delivered or dropped (not a narration that speaks of delivering one)."""


def run_text(path: Path, level: str = "debug", seed: int | None = None) -> str:
    out = io.StringIO()
    run_script(str(path), as_json=False, seed=seed, out=out, level=level)
    return out.getvalue()


@pytest.mark.parametrize("name", SCENARIOS)
def test_default_output_is_unchanged_and_tells_no_story(name: str) -> None:
    path = SCENARIO_DIR / name
    default = run_text(path)
    assert run_text(path, level="debug") == default
    lines = default.splitlines()
    assert not [line for line in lines if STORY_LINE.match(line)]
    # Every etcd line of the run is printed, in order, among the default output's lines.
    etcd = [describe_event(e) for e in events_of(path, stories=True) if type(e) is RaftLog]
    printed = [line.split("s ", 1)[1] for line in lines if ETCD_LINE.match(line)]
    assert printed == etcd


@pytest.mark.parametrize("name", SCENARIOS)
def test_story_level_prints_stories_and_no_etcd_line(name: str) -> None:
    lines = run_text(SCENARIO_DIR / name, level="story").splitlines()
    assert [line for line in lines if STORY_LINE.match(line)]
    assert not [line for line in lines if ETCD_LINE.match(line)]
    assert not [line for line in lines if MESSAGE_LINE.match(line)]
    if name in UNSAFE_SCENARIOS:
        # Each violation is told among the stories, and counted at the end.
        told = [line for line in lines if " VIOLATION " in line]
        assert told and lines[-1].startswith(f"FAILED: 0 failed checks, {len(told)} safety")
    else:
        assert lines[-1].startswith("ok: 0 failed checks, 0 safety violations")


def test_info_level_leaves_out_only_etcd_s_debug_lines() -> None:
    path = SCENARIO_DIR / "transfer-catchup.raft"
    default = run_text(path).splitlines()
    info = run_text(path, level="info").splitlines()
    assert any(" DEBUG " in line for line in default)
    assert info == [line for line in default if not re.match(r"^ *\d+\.\d{3}s DEBUG ", line)]


def test_story_output_is_the_same_for_the_same_seed() -> None:
    path = SCENARIO_DIR / "election.raft"
    assert run_text(path, level="story", seed=5) == run_text(path, level="story", seed=5)


def test_code_level_prints_each_story_followed_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "election.raft"
    path.write_text("cluster nodes=3 auto-tick=false\ncampaign 1\n", encoding="utf-8")
    lines = run_text(path, level="code").splitlines()
    story = run_text(path, level="story").splitlines()
    assert [line for line in lines if not line.startswith(" " * 13)] == story
    assert lines[:4] == [
        "    0.000s S1 was told to campaign (MsgHup), so it starts a pre-vote for term 1 without "
        "changing its term 0: it asks S2, S3 whether they would vote for its log (last term 0, "
        "index 0)",
        "             Step: MsgHup (local, term 0) -> hup(campaignPreElection)",
        "             hup: StateFollower, not leader, promotable -> campaign(campaignPreElection)",
        "             campaign(campaignPreElection): becomePreCandidate, then ask for Term "
        "r.Term + 1 = 1",
    ]
