"""Shared test fixtures: where etcd's interaction files live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run, so a red CI always means a change broke something;
# local runs keep exploring new ones (and keep any failure they find in .hypothesis/).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent

ETCD_REPOSITORY = "https://github.com/etcd-io/raft"
ETCD_COMMIT = "cdfbeed3149e6dd1c7881853d8ed5993ffcd6be2"
"""The upstream commit the interaction files come from (their content is the same at v3.6.0,
the version raftviz follows)."""

ETCD_FILES = (
    "campaign",
    "checkquorum",
    "forget_leader",
    "forget_leader_read_only_lease_based",
    "prevote",
    "single_node",
    "heartbeat_resp_recovers_from_probing",
    "lagging_commit",
    "probe_and_replicate",
    "replicate_pause",
)
"""The files of etcd's `testdata/` that raftviz's core covers; the others need membership
changes, log compaction or asynchronous storage writes, which are out of its scope."""

ETCD_FETCH = (
    f"git clone -q --filter=blob:none --no-checkout {ETCD_REPOSITORY} ../etcd-raft && "
    f"git -C ../etcd-raft checkout -q {ETCD_COMMIT} -- testdata/{{{','.join(ETCD_FILES)}}}.txt && "
    'export RAFTVIZ_ETCD_TESTDATA="$PWD/../etcd-raft/testdata"'
)
"""One bash command, run in the project's folder, that fetches only those files and points the
tests at them (the README shows it, and a skipped test names it)."""


def etcd_missing(folder: Path) -> str:
    """Why the conformance tests skip: where the data was expected, and how to get it."""
    return (
        f"etcd/raft's interaction files not found at {folder}: they are etcd-io/raft's "
        f"testdata/ at commit {ETCD_COMMIT}; fetch them with: {ETCD_FETCH}"
    )


def etcd_testdata_dir() -> Path:
    """etcd's interaction files: $RAFTVIZ_ETCD_TESTDATA, else ../shared/etcd-testdata."""
    env = os.environ.get("RAFTVIZ_ETCD_TESTDATA")
    return Path(env) if env else REPO.parent / "shared" / "etcd-testdata"


@pytest.fixture(scope="session")
def etcd_testdata() -> Path:
    folder = etcd_testdata_dir()
    if not folder.is_dir():
        pytest.skip(etcd_missing(folder))
    return folder
