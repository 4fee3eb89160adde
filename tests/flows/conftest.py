"""One Prefect test server for the whole session (~10 s), and a database the flows find through the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect")))
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def flow_home(tmp_path: Path, sqlite_template: Path, monkeypatch, prefect_server) -> Path:
    """A migrated SQLite database in a BASTION_HOME of its own, where the flows' tasks look for it."""
    import shutil

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(sqlite_template, home / "bastion.db")
    monkeypatch.setenv("BASTION_HOME", str(home))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_USER", "调度")
    return home
