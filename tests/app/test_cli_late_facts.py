"""Late facts on the command line: the tenant's setting (`bastion tenant set --late-facts`), the importer's
`--late next|correction`, and `bastion verify --late` naming what late facts would change in a published period."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bastion.core import db, scoring
from bastion.core.models import AuditEvent, Organization
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion

LEDGER_HEADER = ["组织编码", "台账类型", "日期", "数量", "标题", "备注"]
FINDING_HEADER = ["组织编码", "检查日期", "检查方式", "检查人", "指标编码", "扣分", "问题描述"]
Q1 = ("--tenant", "late", "--period", "2026-Q1")


@pytest.fixture
def published(home, registry) -> list[str]:
    """Tenant ``late``: 4 branches with a year of facts, its first quarter published; the branches' codes."""
    store = db.connect(Settings.from_env())
    try:
        _, cycle = factories.enterprise(store, registry, "late", branches=4)
        for act in (scoring.score_period, scoring.publish_period):
            act(store, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
        with store.connect() as conn:
            return list(conn.execute(select(Organization.code).where(Organization.level == "branch")
                                     .order_by(Organization.code)).scalars())
    finally:
        store.dispose()


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_the_tenant_s_setting_is_set_listed_and_audited(published):
    assert "tenant late: refuses late ledger entries and findings (already so)" in \
        bastion("tenant", "set", "--late-facts", "refuse", "--tenant", "late").output
    said = " ".join(bastion("tenant", "set", "--late-facts", "allow", "--tenant", "late").output.split())
    assert said.startswith("tenant late: takes late ledger entries and findings") and "already" not in said
    listed = json.loads(bastion("tenant", "list", "--format", "json").stdout)
    assert [(t["code"], t["late_facts"]) for t in listed] == [("late", True)]
    assert "taken" in bastion("tenant", "list").output
    store = db.connect(Settings.from_env())
    try:
        with store.connect() as conn:
            actors = conn.execute(select(AuditEvent.actor).where(AuditEvent.entity == "tenant",
                                                                 AuditEvent.action == "update")).scalars().all()
    finally:
        store.dispose()
    assert actors == ["组织部张三"]  # once: the refusal changed nothing
    bad = bastion("tenant", "set", "--late-facts", "maybe", "--tenant", "late", ok=False)
    assert bad.exit_code == 2


def test_a_late_ledger_import_is_refused_then_booked_in_the_next_period(published, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", LEDGER_HEADER,
                     [[published[0], "study_session", "2026-05-10", "", "五月学习", ""],
                      [published[0], "study_session", "2026-02-10", "", "二月学习（补录）", ""]])
    refused = bastion("import", "ledger", path, "--tenant", "late", "--late", "next", ok=False)
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert "ledger.csv, row 3, date: 2026-02-10 falls in period 2026-Q1" in said
    assert "this tenant takes no late ledgers" in said

    bastion("tenant", "set", "--late-facts", "allow", "--tenant", "late")
    ask = " ".join(bastion("import", "ledger", path, "--tenant", "late", ok=False).output.split())
    assert "row 3, date:" in ask and "choose to book it in the next period (next: on 2026-04-01)" in ask

    done = " ".join(bastion("import", "ledger", path, "--tenant", "late", "--late", "next").output.split())
    assert "2 inserted" in done and "1 of them late" in done
    assert bastion("verify", *Q1).stdout.startswith("identical")
    nothing = " ".join(bastion("verify", *Q1, "--late").stdout.split())
    assert "no fact of the period was recorded after the results were scored" in nothing
    assert "nothing to correct" in nothing


def test_verify_late_names_what_a_late_finding_would_change(published, tmp_path):
    bastion("tenant", "set", "--late-facts", "allow", "--tenant", "late")
    path = write_csv(tmp_path / "findings.csv", FINDING_HEADER,
                     [[code, "2026-02-10", "日常督查", "督查组", "C1", "2", "迟报的问题"] for code in published])
    done = " ".join(bastion("import", "findings", path, "--tenant", "late", "--late", "correction").output.split())
    assert "4 of them late" in done
    assert bastion("verify", *Q1).stdout.startswith("identical")  # the published quarter stands

    late = bastion("verify", *Q1, "--late", ok=False)
    assert late.exit_code == 1
    said = " ".join(late.stdout.split())
    assert "4 finding(s) of the period were recorded after the results were scored" in said
    assert "To correct it: bastion correct" in said
    found = json.loads(bastion("verify", *Q1, "--late", "--format", "json", ok=False).stdout)
    assert found["late"] is True and found["late_facts"] == {"finding": 4} and found["identical"] is False
    changed = {d["org_code"] for d in found["differences"] if d["indicator_code"] == "C1" and d["field"] == "points"}
    assert changed and changed <= set(published)  # a branch whose C1 had points to lose
