"""The same file imported twice at once — by two `bastion import` processes — is imported once."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bastion.core.models import ImportRecord, LedgerEntry
from tests import factories

pytestmark = pytest.mark.storage

ROWS = 3000
START_TOGETHER = """
import sys, time
from bastion.cli import app
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
app(args=sys.argv[2:], prog_name="bastion")
"""


def ledger_file(path: Path, branches: list[str], rows: int = ROWS, offset: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(["org_code", "type", "date", "quantity", "title", "note"])
        for i in range(offset, offset + rows):
            out.writerow([branches[i % len(branches)], "支委会", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "",
                          f"支委会 第{i}次", ""])
    return path


def bastion_at_once(engine, home: Path, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Run ``bastion`` commands in separate processes, released at the same moment (once each has imported Bastion)."""
    env = {**os.environ, "BASTION_HOME": str(home), "BASTION_USER": "组织部张三",
           "BASTION_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    env.pop("BASTION_LANG", None)
    start = time.time() + 6
    running = [subprocess.Popen([sys.executable, "-c", START_TOGETHER, str(start), *command], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for command in commands]
    done = []
    for process in running:
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def entries(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LedgerEntry)).scalar()


def test_one_file_imported_twice_at_once_is_imported_once(engine, registry, tmp_path):
    tenant = factories.tenant(engine, registry)
    factories.cycle(engine, registry, tenant)
    branches = [f"ZB{i:02d}" for i in range(20)]
    factories.org_tree(engine, tenant, dict.fromkeys(branches, "机关"))
    path = ledger_file(tmp_path / "台账.csv", branches)

    first, second = bastion_at_once(engine, tmp_path / "home", ["import", "ledger", str(path)],
                                    ["import", "ledger", str(path)])
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 1], (first, second)
    refused = next(p for p in (first, second) if p.returncode == 1)
    assert "台账.csv：内容相同的文件已于" in refused.stderr and "由 组织部张三 导入（台账.csv，3000 行）" in refused.stderr
    assert "--again" in refused.stderr
    assert entries(engine) == ROWS

    (again,) = bastion_at_once(engine, tmp_path / "home", ["import", "ledger", str(path), "--again"])
    assert again.returncode == 0, again.stderr
    assert entries(engine) == ROWS  # its rows are all stored already: skipped
    with engine.connect() as conn:
        assert [r.again for r in conn.execute(select(ImportRecord).order_by(ImportRecord.id))] == [False, True]


def test_two_files_with_the_same_rows_raced_store_each_row_once(engine, registry, tmp_path):
    tenant = factories.tenant(engine, registry)
    factories.cycle(engine, registry, tenant)
    branches = [f"ZB{i:02d}" for i in range(20)]
    factories.org_tree(engine, tenant, dict.fromkeys(branches, "机关"))
    a = ledger_file(tmp_path / "一月.csv", branches)
    b = ledger_file(tmp_path / "一月（重发）.csv", branches, rows=ROWS + 1)  # the same rows and one more

    done = bastion_at_once(engine, tmp_path / "home", ["import", "ledger", str(a)], ["import", "ledger", str(b)])
    assert [p.returncode for p in done] == [0, 0], done
    assert entries(engine) == ROWS + 1
