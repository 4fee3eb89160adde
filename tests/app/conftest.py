"""The command line's tests run in a temporary BASTION_HOME with the embedded database.

Tests that read a command's messages run in English (``BASTION_LANG=en``): core's messages keep their
English text in both languages' pairs, so these tests say what the words are, not which language. Tests
of the Chinese a user sees by default set ``BASTION_LANG`` themselves (fixture ``zh``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app

runner = CliRunner()


def bastion(*args: str, ok: bool = True, input: str | None = None):
    result = runner.invoke(app, list(args), input=input, prog_name="bastion")
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="package", autouse=True)
def english() -> Iterator[None]:
    """The command line's tests read its English output, so they run in English: core's messages follow
    BASTION_LANG (set before any module-scoped fixture, such as the shared demo, runs a command). Package
    scope: the tests outside tests/app that run after these must not inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BASTION_LANG", "en")
        yield


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_USER", "组织部张三")
    monkeypatch.setenv("BASTION_LANG", "en")
    return tmp_path / "home"


@pytest.fixture
def zh(monkeypatch) -> None:
    """The default language: Chinese."""
    monkeypatch.delenv("BASTION_LANG", raising=False)


@dataclass
class Demo:
    home: Path
    output: str


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """One demo run (in Chinese, the default), shared by the tests that only read it."""
    home = tmp_path_factory.mktemp("demo") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BASTION_HOME", str(home))
        mp.delenv("BASTION_DATABASE_URL", raising=False)
        mp.delenv("BASTION_LANG", raising=False)
        result = bastion("demo", "--no-ui")
    return Demo(home, result.output)


@pytest.fixture
def in_demo(demo, monkeypatch) -> Demo:
    monkeypatch.setenv("BASTION_HOME", str(demo.home))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_LANG", "en")
    return demo
