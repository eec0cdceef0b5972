"""Shared test fixtures: where etcd's interaction files live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
