"""Levels above the branch through the database: scored with the branches, ranked within their level, read by
level, explained, and corrected along with their branches (一级抓一级、一级考一级)."""

from __future__ import annotations

import sys
from datetime import date

import pytest
from sqlmodel import Session

from bastion import hookimpl
from bastion.core import scoring
from bastion.core.corrections import correct_points
from bastion.core.engine import ROLLUP
from bastion.core.errors import BastionError
from bastion.core.models import LedgerEntry, Organization
from bastion.core.registry import Registry
from bastion.core.results import explain, read_results, results_records
from bastion.core.scheme import Scheme
from tests import factories
from tests.core.people import person

SCHEME = {
    "id": "levels-test", "version": "1", "name": "层级考核测试方案", "total_points": 100,
    "blocks": [{"code": "A", "name": "组织生活", "indicators": [
        {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 100, "rule": "ledger_target",
         "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
    ]}],
    "grades": [{"name": "好", "min_score": 85}, {"name": "一般", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "前列", "share": 0.5}, {"name": "其余", "share": 0.5}]},
    "levels": [{"level": "general_branch", "by": "rollup"}, {"level": "committee", "by": "rollup"}],
}


@hookimpl
def bastion_schemes():
    return [Scheme.model_validate(SCHEME)]


@pytest.fixture
def levels_registry() -> Registry:
    return Registry.load(extra=[("levels-test", sys.modules[__name__])])


@pytest.fixture
def scored(engine, levels_registry):
    """Committee DW; general branch ZZ1 (branches A: every month, B: half the months) and ZZ2 (branch C: every
    month but two); the year scored."""
    tenant = factories.tenant(engine, levels_registry, plugins=("standard-rules", "standard-ledgers", "levels-test"))
    cycle = factories.cycle(engine, levels_registry, tenant, scheme_id="levels-test")
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "机关"})
    with Session(engine) as session:
        zz2 = Organization(tenant_id=tenant.id, code="ZZ2", name="第二党总支", level="general_branch",
                           parent_id=ids["DW"])
        session.add(zz2)
        session.flush()
        c = Organization(tenant_id=tenant.id, code="C", name="C支部", level="branch", parent_id=zz2.id,
                         category="机关")
        session.add(c)
        session.flush()
        ids |= {"ZZ2": zz2.id, "C": c.id}
        months = {"A": range(1, 13), "B": range(1, 7), "C": range(1, 11)}
        for code, its in months.items():
            session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=ids[code], type="committee_meeting",
                                        date=date(2026, m, 5), title=f"{m}月支委会") for m in its)
        session.commit()
    scoring.score_period(engine, cycle=cycle, period_key=None, registry=levels_registry, actor="test")
    return tenant, cycle, ids


def test_each_level_is_scored_ranked_and_read_on_its_own(engine, scored):
    tenant, cycle, ids = scored
    with engine.connect() as conn:
        branches = read_results(conn, cycle.id, "2026").set_index("code")
        general = read_results(conn, cycle.id, "2026", level="general_branch").set_index("code")
        committee = read_results(conn, cycle.id, "2026", level="committee").set_index("code")
        every = read_results(conn, cycle.id, "2026", level=None)
    # Branches: A 100, B 50, C 10/12 × 100 = 83.33; ranked 1..3 among themselves.
    assert branches["total"].to_dict() == {"A": 100.0, "C": 83.33, "B": 50.0}
    assert branches["rank"].tolist() == [1, 2, 3]
    # ZZ1 = mean(100, 50) = 75; ZZ2 = 83.33: ZZ2 first among general branches. DW = mean(100, 50, 83.33) = 77.78.
    assert general["total"].to_dict() == {"ZZ2": 83.33, "ZZ1": 75.0}
    assert general["rank"].tolist() == [1, 2]
    assert committee.loc["DW", ["total", "rank"]].tolist() == [77.78, 1]
    # Level by level, branches first; the JSON names each result's level and parent.
    assert every["level"].tolist() == ["branch"] * 3 + ["general_branch"] * 2 + ["committee"]
    record = next(r for r in results_records(every) if r["org_code"] == "ZZ1")
    assert record["level"] == "general_branch" and record["parent_code"] == "DW"
    assert record["assessed_points"] == 100.0 and record["rate"] == 75.0
    with engine.connect() as conn:
        ex = explain(conn, cycle=cycle, period="2026", org_code="ZZ1")
    assert [line["indicator_code"] for line in ex.lines] == [ROLLUP]
    assert ex.lines[0]["reason"] == "下属 2 个党支部得分率平均 75（A 100、B 50）" and ex.lines[0]["max_points"] == 100


def test_a_correction_of_a_branch_moves_the_roll_ups_above_it(engine, levels_registry, scored):
    tenant, cycle, ids = scored
    admin = person(engine, tenant, "levels_admin", ("admin", "DW"))
    correct_points(engine, admin, cycle=cycle, period="2026", org_code="B", indicator_code="M1", points=100,
                   reason="申诉成立：会议记录已补交", registry=levels_registry)
    with engine.connect() as conn:
        general = read_results(conn, cycle.id, "2026", level="general_branch").set_index("code")
        committee = read_results(conn, cycle.id, "2026", level="committee").set_index("code")
        ex = explain(conn, cycle=cycle, period="2026", org_code="ZZ1")
    # B 50 → 100: ZZ1 = 100, now first; DW = (100 + 100 + 83.33) / 3 = 94.44.
    assert general.loc["ZZ1", ["total", "rank"]].tolist() == [100.0, 1]
    assert general.loc["ZZ2", "rank"] == 2
    assert committee.loc["DW", "total"] == 94.44
    assert ex.lines[0]["reason"] == "下属 2 个党支部得分率平均 100（A 100、B 100）"
    with pytest.raises(BastionError, match="ROLLUP"):  # a roll-up follows its branches: it is not corrected itself
        correct_points(engine, admin, cycle=cycle, period="2026", org_code="ZZ1", indicator_code=ROLLUP, points=90,
                       reason="更正", registry=levels_registry)


def test_the_dashboard_ranks_each_level_on_its_own(engine, scored):
    from bastion.core import dashboard

    tenant, cycle, ids = scored
    leader = person(engine, tenant, "levels_leader", ("leader", "DW"))
    with engine.connect() as conn:
        branches = dashboard.ranking(conn, leader, cycle_id=cycle.id, period="2026")
        general = dashboard.ranking(conn, leader, cycle_id=cycle.id, period="2026", level="general_branch")
        head = dashboard.headline(conn, leader, cycle_id=cycle.id, period="2026", unqualified_grade="一般")
    assert branches.rows["code"].tolist() == ["A", "C", "B"] and branches.total == 3
    assert general.rows[["code", "rank", "total", "rate"]].values.tolist() == [["ZZ2", 1, 83.33, 83.33],
                                                                           ["ZZ1", 2, 75.0, 75.0]]
    assert head.branches == 3  # the headline counts branches, not the 党总支 ranked beside them
