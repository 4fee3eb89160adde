"""The command line's tests run in a temporary BASTION_HOME with the embedded database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def english() -> Iterator[None]:
    """The command line's tests read its English output, so they run in English: core's messages follow
    BASTION_LANG (set before any module-scoped fixture, such as the shared demo, runs a command)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BASTION_LANG", "en")
        yield


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_USER", "组织部张三")
    return tmp_path / "home"
