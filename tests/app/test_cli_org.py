"""``bastion org``: restructuring on the command line — a dry run changes nothing, a merge as an administrator is
made once, refused changes exit 1 naming why, bad values exit 2, and the history lists it all (JSON too); the
published year still verifies identical."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import bastion


@pytest.fixture
def demo_copy(demo, tmp_path, monkeypatch):
    """A private copy of the shared demo: these tests change its tree."""
    home = tmp_path / "home"
    shutil.copytree(demo.home, home)
    monkeypatch.setenv("BASTION_HOME", str(home))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_LANG", "en")
    return home


def _branches_under(parent: str) -> list[str]:
    rows = json.loads(bastion("results", "--format", "json").stdout)
    return sorted(r["org_code"] for r in rows if r["parent_code"] == parent)


def test_merge_split_move_rename_dissolve_and_the_history(demo_copy):
    a, b, c, d = _branches_under("ZZ02")[:4]
    merge = ("org", "merge", "--from", a, "--from", b, "--into", "ZB09050", "--name", "联合党支部",
             "--date", "2026-12-01", "--as", "admin", "--note", "党委〔2026〕12号")
    preview = bastion(*merge, "--dry-run").stdout
    assert preview.startswith("preview (nothing changed):\nmerge: ") and f"{a}, {b} are no longer scored" in preview
    assert json.loads(bastion("org", "history", "--format", "json").stdout) == []

    assert f"merge: {a} " in bastion(*merge).stdout
    assert "already merged into ZB09050: nothing to do" in bastion(*merge).stdout  # twice acts once
    bastion("org", "split", c, "--into", "ZB09061:井下一队党支部:20", "--into", "ZB09062：井下二队党支部",
            "--heir", "ZB09062", "--as", "admin")
    bastion("org", "move", d, "--parent", "ZZ01", "--as", "admin")
    bastion("org", "rename", "ZB09050", "--name", "第一联合党支部", "--as", "admin")
    bastion("org", "dissolve", "ZB09061", "--as", "admin")

    history = json.loads(bastion("org", "history", "--format", "json").stdout)
    assert [h["kind"] for h in history] == ["dissolve", "rename", "move", "split", "merge"]
    assert history[-1]["predecessors"] == [a, b] and history[-1]["note"] == "党委〔2026〕12号"
    assert history[-1]["effective_on"] == "2026-12-01" and history[-1]["kind_words"] == "merge"
    assert history[3]["change"] == f"{c} → ZB09061, ZB09062 (ZB09062 carries the history)"
    mine = json.loads(bastion("org", "history", "--org", a, "--format", "json").stdout)
    assert [h["kind"] for h in mine] == ["rename", "merge"]  # its successor's changes too
    table = bastion("org", "history").stdout
    assert "restructurings (5)" in table and "ZB09050" in table
    assert "identical" in bastion("verify").stdout  # the published year stands as published


def test_refusals_and_bad_values(demo_copy):
    a = _branches_under("ZZ02")[0]
    refused = bastion("org", "merge", "--from", a, "--from", "ZZ01", "--into", "X", "--name", "x", "--as", "admin",
                      ok=False)
    assert refused.exit_code == 1 and "organisations of different levels cannot merge" in refused.stderr
    bad_day = bastion("org", "rename", a, "--name", "x", "--date", "2026-13-01", "--as", "admin", ok=False)
    assert bad_day.exit_code == 2 and "--date 2026-13-01: not a day" in bad_day.stderr
    future = bastion("org", "rename", a, "--name", "x", "--date", "2999-01-01", "--as", "admin", ok=False)
    assert future.exit_code == 1 and "is after today" in future.stderr
    bad_into = bastion("org", "split", a, "--into", "X", "--into", "Y:y", "--as", "admin", ok=False)
    assert bad_into.exit_code == 2 and "write CODE:NAME" in bad_into.stderr
    not_admin = bastion("org", "dissolve", a, "--as", "leader", ok=False)
    assert not_admin.exit_code == 1 and "may not administer" in not_admin.stderr
    assert json.loads(bastion("org", "history", "--format", "json").stdout) == []


def test_the_help_is_chinese_by_default(demo_copy, monkeypatch):
    monkeypatch.delenv("BASTION_LANG")
    out = bastion("org", "--help").stdout
    assert "机构调整：合并、分设、调整隶属、更名、撤销及调整记录。" in out
    assert "merge     合并组织" in out
