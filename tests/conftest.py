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


def etcd_testdata_dir() -> Path:
    """etcd's interaction files: $RAFTVIZ_ETCD_TESTDATA, else ../shared/etcd-testdata."""
    env = os.environ.get("RAFTVIZ_ETCD_TESTDATA")
    return Path(env) if env else REPO.parent / "shared" / "etcd-testdata"


@pytest.fixture(scope="session")
def etcd_testdata() -> Path:
    folder = etcd_testdata_dir()
    if not folder.is_dir():
        pytest.skip(f"etcd interaction test data not found at {folder}")
    return folder
