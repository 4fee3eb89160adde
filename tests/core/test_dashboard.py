"""The leaders' dashboard queries: golden figures on a small hand-made tree, and who may see what.

The tree (tenant ``acme``)::

    DW 公司党委
    ├── ZZ1 第一党总支: B11 (96, 先进), B12 (80, 合格)
    └── ZZ2 第二党总支: B21 (90, 良好), B22 (50, vetoed), B23 (55, 不合格)

Results of 2026 (published), 2026-H1 (published), 2026-Q3 (a draft of B11) and 2025 (another
cycle, published); a second tenant ``other`` with a branch of its own that must never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from bastion.core import dashboard, results, scoring, snapshots, users
from bastion.core.access import Forbidden, Principal
from bastion.core.bulletins.service import archive_dir
from bastion.core.corrections import correct_points
from bastion.core.db import transaction
from bastion.core.errors import BastionError, NotFound
from bastion.core.models import (
    Bulletin,
    Evaluation,
    EvaluationLine,
    Indicator,
    LedgerEntry,
    Organization,
    Rectification,
    Tenant,
)
from bastion.core.results import explain, read_results
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion import demo
from tests import factories

TODAY = date(2026, 7, 1)
RESULTS_2026 = {  # code: (total, grade, tier, rank, vetoed, advanced)
    "B11": (96.0, "先进", "第一档", 1, False, True),
    "B12": (80.0, "合格", "第二档", 3, False, False),
    "B21": (90.0, "良好", "第二档", 2, False, False),
    "B22": (50.0, "不合格", "第三档", 5, True, False),
    "B23": (55.0, "不合格", "第三档", 4, False, False),
}
LINES_2026 = {  # code: {indicator: points}; B1 and B2 can give 20 points each
    "B11": {"B1-1": 5, "B1-2": 6, "B2-1": 5},
    "B12": {"B1-1": 3, "B1-2": 2, "B2-1": 1},
    "B21": {"B1-1": 4, "B2-1": 2},
    "B22": {"B1-1": 0, "B1-V": 0, "B2-1": 0},
    "B23": {"B1-1": 2, "B2-1": 3},
}


@dataclass
class World:
    engine: Engine
    home: Path
    tenant: Tenant
    other: Tenant
    cycle_id: int
    last_year_id: int
    other_cycle_id: int
    ids: dict[str, int]
    other_ids: dict[str, int]
    bulletin_id: int
    other_bulletin_id: int

    def who(self, *grants: tuple[str, str], tenant: Tenant | None = None) -> Principal:
        tenant = tenant or self.tenant
        ids = self.ids if tenant is self.tenant else self.other_ids
        return Principal(user_id=1, username="someone", display_name="", tenant_id=tenant.id,
                         grants=tuple((role, ids[code]) for role, code in grants))


def _tree(session: Session, tenant: Tenant, shape: dict[str, list[str]]) -> dict[str, int]:
    top = Organization(tenant_id=tenant.id, code="DW", name=f"{tenant.code}党委", level="committee")
    session.add(top)
    session.flush()
    ids = {"DW": top.id}
    for n, (general, branches) in enumerate(shape.items(), start=1):
        org = Organization(tenant_id=tenant.id, code=general, name=f"第{n}党总支", level="general_branch",
                           parent_id=top.id)
        session.add(org)
        session.flush()
        ids[general] = org.id
        for code in branches:
            branch = Organization(tenant_id=tenant.id, code=code, name=f"{code}党支部", level="branch",
                                  parent_id=org.id, category="机关")
            session.add(branch)
            session.flush()
            ids[code] = branch.id
    return ids


def _evaluation(session: Session, tenant_id: int, cycle_id: int, period: str, org_id: int, total: float,
                grade: str = "合格", tier: str = "第二档", rank: int = 1, vetoed: bool = False,
                advanced: bool = False, status: str = "published") -> Evaluation:
    evaluation = Evaluation(tenant_id=tenant_id, cycle_id=cycle_id, period=period, org_id=org_id,
                            scheme_id="target-table", scheme_version="1", base_points=total, bonus_points=0,
                            total=total, rate=total, vetoed=vetoed,
                            veto_reasons=["班子不团结：班子成员闹矛盾"] if vetoed else [],
                            grade=grade, advanced_eligible=advanced, rank=rank, tier=tier, status=status)
    session.add(evaluation)
    session.flush()
    return evaluation


@pytest.fixture
def world(engine, registry, tmp_path) -> World:
    acme = factories.tenant(engine, registry, "acme")
    other = factories.tenant(engine, registry, "other")
    cycle = factories.cycle(engine, registry, acme, 2026)
    last_year = factories.cycle(engine, registry, acme, 2025)
    other_cycle = factories.cycle(engine, registry, other, 2026)
    home = tmp_path / "home"
    with Session(engine) as session:
        ids = _tree(session, acme, {"ZZ1": ["B11", "B12"], "ZZ2": ["B21", "B22", "B23"]})
        other_ids = _tree(session, other, {"ZZ9": ["B91"]})
        entry = LedgerEntry(tenant_id=acme.id, org_id=ids["B11"], type="三会一课", date=date(2026, 3, 10),
                            title="三月支部党员大会")
        session.add(entry)
        session.flush()
        scored = []
        for code, (total, grade, tier, rank, vetoed, advanced) in RESULTS_2026.items():
            evaluation = _evaluation(session, acme.id, cycle.id, "2026", ids[code], total, grade, tier, rank, vetoed,
                                     advanced)
            for indicator, points in LINES_2026[code].items():
                evidence = f"ledger:{entry.id}" if (code, indicator) == ("B11", "B1-1") else ""
                session.add(EvaluationLine(evaluation_id=evaluation.id, indicator_code=indicator, points=points,
                                           reason=f"{indicator} → {points} 分", evidence=evidence))
            scored.append(evaluation.id)
        session.flush()
        scoring.store_block_subtotals(session.connection(), scored)  # lines written by hand, not by scoring
        _evaluation(session, acme.id, cycle.id, "2026-H1", ids["B11"], 90.0, rank=1)
        _evaluation(session, acme.id, cycle.id, "2026-H1", ids["B21"], 70.0, rank=2)
        _evaluation(session, acme.id, cycle.id, "2026-Q3", ids["B11"], 60.0, status="draft")
        _evaluation(session, acme.id, last_year.id, "2025", ids["B11"], 70.0, rank=2)
        _evaluation(session, acme.id, last_year.id, "2025", ids["B21"], 80.0, rank=1)
        _evaluation(session, other.id, other_cycle.id, "2026", other_ids["B91"], 99.0, "先进", "第一档", 1,
                    advanced=True)
        for tenant_id, cycle_id, period in session.exec(select(Evaluation.tenant_id, Evaluation.cycle_id,
                                                               Evaluation.period).distinct()).all():
            # results written by hand: their tree is snapshot as scoring does it (core.snapshots)
            snapshots.take(session.connection(), tenant_id=tenant_id, cycle_id=cycle_id, period=period)
        for org, deadline, status, n in ((ids["B12"], date(2026, 6, 1), "issued", 1),
                                         (ids["B21"], date(2026, 8, 1), "responded", 2),
                                         (ids["B22"], date(2026, 5, 1), "verified", 3),
                                         (other_ids["B91"], date(2026, 5, 1), "issued", 4)):
            tenant_id = other.id if org == other_ids["B91"] else acme.id
            session.add(Rectification(tenant_id=tenant_id, cycle_id=cycle.id if tenant_id == acme.id else other_cycle.id,
                                      org_id=org, notice_no=f"ZG-{n}", problem="问题", issued_at=date(2026, 4, 1),
                                      deadline=deadline, status=status))
        bulletins = {}
        for tenant, cycle_id, year, period in ((acme, cycle.id, 2026, "2026-H1"), (acme, cycle.id, 2026, "2026"),
                                               (acme, cycle.id, 2026, "2026-Q3"), (other, other_cycle.id, 2026, "2026")):
            folder = archive_dir(home, tenant.code, year)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"通报-{period}.docx").write_bytes(f"docx {tenant.code} {period}".encode())
            (folder / f"考核结果-{period}.xlsx").write_bytes(f"xlsx {tenant.code} {period}".encode())
            bulletin = Bulletin(tenant_id=tenant.id, cycle_id=cycle_id, period=period, title=f"{tenant.code} {period} 通报",
                                docx_path=f"/elsewhere/{tenant.code}/通报-{period}.docx",
                                xlsx_path=f"/elsewhere/{tenant.code}/考核结果-{period}.xlsx",
                                created_at=datetime(2026, 7, 1, tzinfo=timezone.utc))
            session.add(bulletin)
            session.flush()
            bulletins[(tenant.code, period)] = bulletin.id
        session.commit()
    return World(engine, home, acme, other, cycle.id, last_year.id, other_cycle.id, ids, other_ids,
                 bulletins[("acme", "2026")], bulletins[("other", "2026")])


ADMIN = ("admin", "DW")
LEADER = ("leader", "DW")
INSPECTOR = ("inspector", "DW")
LEADER_ZZ1 = ("leader", "ZZ1")


def _headline(world: World, who: Principal, **kwargs):
    with world.engine.connect() as conn:
        return dashboard.headline(conn, who, cycle_id=world.cycle_id, period="2026", unqualified_grade="不合格",
                                  today=TODAY, **kwargs)


# --- golden figures ---------------------------------------------------------------------------


def test_headline_of_the_whole_tenant_and_of_one_general_branch(world):
    head = _headline(world, world.who(ADMIN))
    assert head == dashboard.Headline(branches=5, average=74.2, advanced=1, unqualified=2, open_notices=2,
                                      overdue_notices=1)
    assert _headline(world, world.who(ADMIN), under=world.ids["ZZ2"]) == dashboard.Headline(
        branches=3, average=65.0, advanced=0, unqualified=2, open_notices=1, overdue_notices=0)
    assert _headline(world, world.who(LEADER_ZZ1)) == dashboard.Headline(
        branches=2, average=88.0, advanced=1, unqualified=0, open_notices=1, overdue_notices=1)


def test_ranking_pages_in_rank_order_with_the_total(world):
    with world.engine.connect() as conn:
        first = dashboard.ranking(conn, world.who(LEADER), cycle_id=world.cycle_id, period="2026", limit=2)
        last = dashboard.ranking(conn, world.who(LEADER), cycle_id=world.cycle_id, period="2026", limit=2, offset=4)
    assert first.total == 5 and last.total == 5
    assert first.rows[["rank", "code", "name", "parent", "total", "grade", "tier"]].values.tolist() == [
        [1, "B11", "B11党支部", "第1党总支", 96.0, "先进", "第一档"],
        [2, "B21", "B21党支部", "第2党总支", 90.0, "良好", "第二档"]]
    assert last.rows[["code", "vetoed", "vetoes"]].values.tolist() == [["B22", True, "班子不团结：班子成员闹矛盾"]]


def test_ranking_is_searched_by_name_or_code_and_narrowed_to_a_node(world):
    with world.engine.connect() as conn:
        def codes(**kwargs):
            page = dashboard.ranking(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026", **kwargs)
            assert page.total == len(page.rows)
            return page.rows["code"].tolist()

        assert codes(search="b2") == ["B21", "B23", "B22"]
        assert codes(search="B12党") == ["B12"]
        assert codes(search="%") == [] and codes(search="_1") == []
        assert codes(under=world.ids["ZZ1"]) == ["B11", "B12"]
        assert codes(under=world.ids["B23"]) == ["B23"]
        assert codes(under=world.ids["DW"], search="B1") == ["B11", "B12"]


def test_bad_pages_are_refused_with_the_reason(world):
    with world.engine.connect() as conn:
        with pytest.raises(BastionError, match="offset -1"):
            dashboard.ranking(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026", offset=-1)
        with pytest.raises(BastionError, match="每页条数"):
            dashboard.ranking(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026", limit=0)
        with pytest.raises(BastionError, match="分布只能按等次"):
            dashboard.distribution(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026", by="rank")


def test_the_ranking_downloads_as_a_workbook(world):
    with world.engine.connect() as conn:
        data = dashboard.ranking_xlsx(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026",
                                      search="B2", headers={"rank": "排名", "code": "编码", "total": "总分"})
    table = pd.read_excel(BytesIO(data), header=1)
    assert table.columns.tolist() == ["排名", "编码", "总分"]
    assert table.values.tolist() == [[2, "B21", 90.0], [4, "B23", 55.0], [5, "B22", 50.0]]
    sheet = load_workbook(BytesIO(data)).active
    assert sheet.title == "2026年度排名"
    assert sheet["A1"].value.endswith("2026年度党组织排名（B2）") and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A3" and sheet.column_dimensions["B"].width >= 6


def test_grade_and_tier_distributions_in_the_schemes_order(world):
    with world.engine.connect() as conn:
        grades = dashboard.distribution(conn, world.who(INSPECTOR), cycle_id=world.cycle_id, period="2026", by="grade")
        tiers = dashboard.distribution(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026", by="tier",
                                       under=world.ids["ZZ1"])
    assert grades.values.tolist() == [["先进", 1], ["良好", 1], ["合格", 1], ["不合格", 2]]
    assert tiers.values.tolist() == [["第一档", 1], ["第二档", 1], ["第三档", 0]]


def test_trend_across_periods_and_cycles(world):
    with world.engine.connect() as conn:
        leader = dashboard.trend(conn, world.who(LEADER))
        inspector = dashboard.trend(conn, world.who(INSPECTOR))
        zz1 = dashboard.trend(conn, world.who(LEADER_ZZ1))
    assert leader[["period", "kind", "branches", "average"]].values.tolist() == [
        ["2025", "year", 2, 75.0], ["2026-H1", "half", 2, 80.0], ["2026-Q3", "quarter", 1, 60.0],
        ["2026", "year", 5, 74.2]]
    assert leader["end"].tolist() == [date(2025, 12, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    assert "2026-Q3" not in inspector["period"].tolist()  # a draft
    assert zz1[["period", "average"]].values.tolist() == [["2025", 70.0], ["2026-H1", 90.0], ["2026-Q3", 60.0],
                                                          ["2026", 88.0]]


def _shares(heat: dashboard.Heatmap, block: str) -> dict[str, float]:
    cells = heat.cells[heat.cells["block_code"] == block]
    return dict(zip(cells["code"], cells["share"]))


def test_heatmap_of_the_general_branches_then_of_one_of_them(world):
    with world.engine.connect() as conn:
        top = dashboard.heatmap(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026",
                                node_id=world.ids["DW"])
        zz1 = dashboard.heatmap(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026",
                                node_id=world.ids["ZZ1"])
    assert top.total_rows == 2
    assert top.cells["block_code"].drop_duplicates().tolist() == ["B1", "B2", "B3", "B4", "B5", "B6", "BX"]
    assert _shares(top, "B1") == {"ZZ1": 0.4, "ZZ2": 0.1}  # (11 + 5) / 2 / 20, (4 + 0 + 2) / 3 / 20
    assert _shares(top, "B2") == {"ZZ1": 0.15, "ZZ2": 0.0833}  # (5 + 1) / 2 / 20, (2 + 0 + 3) / 3 / 20
    assert _shares(top, "B3") == {"ZZ1": 0.0, "ZZ2": 0.0}
    assert top.cells.query("code == 'ZZ2' and block_code == 'B1'")[["evaluations", "average", "max_points"]] \
        .values.tolist() == [[3, 2.0, 20.0]]
    assert _shares(zz1, "B1") == {"B11": 0.55, "B12": 0.25} and _shares(zz1, "B2") == {"B11": 0.25, "B12": 0.05}


def test_heatmap_rows_are_paged(world):
    with world.engine.connect() as conn:
        heat = dashboard.heatmap(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026",
                                 node_id=world.ids["ZZ2"], limit=2, offset=2)
    assert heat.total_rows == 3 and heat.cells["code"].unique().tolist() == ["B23"]
    assert _shares(heat, "B2") == {"B23": 0.15}


def test_a_row_without_results_keeps_its_place_with_no_evaluations_and_no_share(world):
    """In 2026-H1 B11 has a result (and no points) and B12 none: B12's cells are 0 evaluations and NaN, not 0."""
    with world.engine.connect() as conn:
        heat = dashboard.heatmap(conn, world.who(ADMIN), cycle_id=world.cycle_id, period="2026-H1",
                                 node_id=world.ids["ZZ1"])
    cells = heat.cells.set_index(["code", "block_code"])
    assert heat.total_rows == 2 and cells.index.get_level_values("code").unique().tolist() == ["B11", "B12"]
    assert cells.loc["B11", "evaluations"].eq(1).all() and cells.loc["B11", "share"].eq(0.0).all()
    assert cells.loc["B12", "evaluations"].eq(0).all()
    assert cells.loc["B12", ["average", "share"]].isna().all().all()
    assert cells.loc["B12", "max_points"].gt(0).all()
    assert {c: str(heat.cells[c].dtype) for c in ("evaluations", "average", "share")} == {
        "evaluations": "int64", "average": "float64", "share": "float64"}


def test_a_leader_of_one_general_branch_starts_the_drill_down_there(world):
    with world.engine.connect() as conn:
        who = world.who(LEADER_ZZ1)
        roots = dashboard.drill_roots(conn, who)
        heat = dashboard.heatmap(conn, who, cycle_id=world.cycle_id, period="2026")
        below = dashboard.children(conn, who, world.ids["ZZ1"])
        everyone = dashboard.drill_roots(conn, world.who(ADMIN, ("leader", "ZZ1")))
        found = dashboard.children(conn, world.who(ADMIN), world.ids["ZZ2"], search="B22")
    assert [r.code for r in roots] == ["ZZ1"]
    assert heat.cells["code"].unique().tolist() == ["ZZ1"] and _shares(heat, "B1") == {"ZZ1": 0.4}
    assert below.rows["code"].tolist() == ["B11", "B12"] and below.total == 2
    assert [r.code for r in everyone] == ["DW"]  # a grant under another one adds no root
    assert found.rows["code"].tolist() == ["B22"] and found.total == 1


def test_a_branch_is_explained_with_the_records_behind_its_points(world):
    with world.engine.connect() as conn:
        explanation = dashboard.explain_branch(conn, world.who(LEADER_ZZ1), cycle_id=world.cycle_id, period="2026",
                                               org_code="B11")
    assert explanation.evaluation["total"] == 96.0
    assert [(line["indicator_code"], line["points"]) for line in explanation.lines] == [
        ("B1-1", 5.0), ("B1-2", 6.0), ("B2-1", 5.0)]
    evidence = results.evidence_rows(explanation)
    assert evidence[["indicator_code", "kind", "type", "detail"]].values.tolist() == [
        ["B1-1", "ledger", "三会一课", "三月支部党员大会"]]


# --- access -------------------------------------------------------------------------------------


def test_a_leader_of_one_general_branch_sees_only_its_subtree(world):
    who = world.who(LEADER_ZZ1)
    with world.engine.connect() as conn:
        page = dashboard.ranking(conn, who, cycle_id=world.cycle_id, period="2026")
        assert page.rows["code"].tolist() == ["B11", "B12"] and page.total == 2
        assert dashboard.distribution(conn, who, cycle_id=world.cycle_id, period="2026", by="grade")[
            "branches"].sum() == 2
        for call in (lambda: dashboard.ranking(conn, who, cycle_id=world.cycle_id, period="2026",
                                               under=world.ids["ZZ2"]),
                     lambda: dashboard.heatmap(conn, who, cycle_id=world.cycle_id, period="2026",
                                               node_id=world.ids["DW"]),
                     lambda: dashboard.children(conn, who, world.ids["ZZ2"]),
                     lambda: dashboard.explain_branch(conn, who, cycle_id=world.cycle_id, period="2026",
                                                      org_code="B21"),
                     lambda: dashboard.latest_bulletin(conn, who)):
            with pytest.raises(Forbidden):
                call()
        assert not dashboard.sees_whole_tenant(conn, who)


@pytest.mark.parametrize("role", ["secretary", "auditor"])
def test_a_secretary_or_an_auditor_is_refused(world, role):
    who = world.who((role, "DW"))
    with world.engine.connect() as conn:
        for call in (lambda: _headline(world, who),
                     lambda: dashboard.ranking(conn, who, cycle_id=world.cycle_id, period="2026"),
                     lambda: dashboard.trend(conn, who),
                     lambda: dashboard.heatmap(conn, who, cycle_id=world.cycle_id, period="2026"),
                     lambda: dashboard.drill_roots(conn, who),
                     lambda: dashboard.explain_branch(conn, who, cycle_id=world.cycle_id, period="2026",
                                                      org_code="B11")):
            with pytest.raises(Forbidden, match="无权打开领导驾驶舱"):
                call()


def test_a_secretary_who_leads_elsewhere_sees_only_what_leading_reaches(world):
    who = world.who(("secretary", "B21"), LEADER_ZZ1)
    with world.engine.connect() as conn:
        assert dashboard.ranking(conn, who, cycle_id=world.cycle_id, period="2026").rows["code"].tolist() == [
            "B11", "B12"]
        with pytest.raises(Forbidden):
            dashboard.explain_branch(conn, who, cycle_id=world.cycle_id, period="2026", org_code="B21")


def test_drafts_only_for_those_who_may_see_them(world):
    with world.engine.connect() as conn:
        def q3(who):
            return dashboard.ranking(conn, who, cycle_id=world.cycle_id, period="2026-Q3").rows["code"].tolist()

        assert q3(world.who(LEADER)) == ["B11"] and q3(world.who(ADMIN)) == ["B11"]
        assert q3(world.who(INSPECTOR)) == []
        with pytest.raises(Forbidden, match="无权在发布前查看"):
            dashboard.explain_branch(conn, world.who(INSPECTOR), cycle_id=world.cycle_id, period="2026-Q3",
                                     org_code="B11")
        assert dashboard.explain_branch(conn, world.who(LEADER), cycle_id=world.cycle_id, period="2026-Q3",
                                        org_code="B11").evaluation["status"] == "draft"
        assert dashboard.latest_bulletin(conn, world.who(LEADER)).period == "2026"  # Q3 ends earlier
        assert dashboard.latest_bulletin(conn, world.who(INSPECTOR)).period == "2026"
        assert _headline(world, world.who(INSPECTOR)).branches == 5


def test_another_tenants_rows_never_appear(world):
    admin = world.who(ADMIN)
    with world.engine.connect() as conn:
        assert "B91" not in dashboard.ranking_table(conn, admin, cycle_id=world.cycle_id, period="2026")[
            "code"].tolist()
        assert dashboard.trend(conn, admin)["branches"].sum() == 2 + 2 + 1 + 5
        assert _headline(world, admin).open_notices == 2
        for call in (lambda: dashboard.distribution(conn, admin, cycle_id=world.other_cycle_id, period="2026",
                                                    by="grade"),
                     lambda: dashboard.ranking(conn, admin, cycle_id=world.other_cycle_id, period="2026"),
                     lambda: dashboard.heatmap(conn, admin, cycle_id=world.other_cycle_id, period="2026"),
                     lambda: dashboard.headline(conn, admin, cycle_id=world.other_cycle_id, period="2026",
                                                unqualified_grade="不合格"),
                     lambda: dashboard.results_stamp(conn, admin, cycle_id=world.other_cycle_id, period="2026"),
                     lambda: dashboard.bulletin_file(conn, admin, bulletin_id=world.other_bulletin_id, kind="docx",
                                                     home=world.home),
                     lambda: dashboard.explain_branch(conn, admin, cycle_id=world.cycle_id, period="2026",
                                                      org_code="B91")):
            with pytest.raises(NotFound):
                call()
        for call in (lambda: dashboard.heatmap(conn, admin, cycle_id=world.cycle_id, period="2026",
                                               node_id=world.other_ids["ZZ9"]),
                     lambda: dashboard.children(conn, admin, world.other_ids["DW"]),
                     lambda: dashboard.ranking(conn, admin, cycle_id=world.cycle_id, period="2026",
                                               under=world.other_ids["ZZ9"])):
            with pytest.raises(Forbidden):
                call()
        other_admin = world.who(ADMIN, tenant=world.other)
        with pytest.raises(NotFound):
            dashboard.ranking(conn, other_admin, cycle_id=world.cycle_id, period="2026")
        assert dashboard.ranking(conn, other_admin, cycle_id=world.other_cycle_id, period="2026").rows[
            "code"].tolist() == ["B91"]


def test_the_latest_bulletins_files_come_from_the_archive(world):
    with world.engine.connect() as conn:
        latest = dashboard.latest_bulletin(conn, world.who(INSPECTOR))
        assert (latest.id, latest.year, latest.title) == (world.bulletin_id, 2026, "acme 2026 通报")
        name, data = dashboard.bulletin_file(conn, world.who(INSPECTOR), bulletin_id=latest.id, kind="xlsx",
                                             home=world.home)
        assert (name, data) == ("考核结果-2026.xlsx", b"xlsx acme 2026")
        assert dashboard.bulletin_file(conn, world.who(ADMIN), bulletin_id=latest.id, kind="docx",
                                       home=world.home)[1] == b"docx acme 2026"
        with pytest.raises(BastionError, match="docx 或 xlsx"):
            dashboard.bulletin_file(conn, world.who(ADMIN), bulletin_id=latest.id, kind="pdf", home=world.home)
        with pytest.raises(NotFound, match="档案中缺少该通报的"):
            dashboard.bulletin_file(conn, world.who(ADMIN), bulletin_id=latest.id, kind="docx",
                                    home=world.home / "nowhere")


def test_the_results_stamp_changes_when_the_results_do(world):
    def stamp():
        with world.engine.connect() as conn:
            return dashboard.results_stamp(conn, world.who(INSPECTOR), cycle_id=world.cycle_id, period="2026-Q3")

    before = stamp()
    assert stamp() == before and len(before) == 16
    with Session(world.engine) as session:
        draft = session.exec(select(Evaluation).where(Evaluation.period == "2026-Q3")).one()
        draft.status = "published"
        session.add(draft)
        session.commit()
    assert stamp() != before


# --- the heatmap against the lines -----------------------------------------------------------------


def _heatmap_from_lines(conn, cycle_id: int, period: str, node_id: int) -> pd.DataFrame:
    """The heatmap computed from the lines, as the dashboard did before block subtotals: for each child of
    ``node_id``, the points of every line of the evaluations in its subtree, summed per block of the line's
    indicator (to 6 places: ``dashboard.SUM_PLACES``), over the evaluations, over the block's maximum (veto
    indicators give none), to 4 places."""
    o, e, ln, ind = (Organization.__table__.c, Evaluation.__table__.c, EvaluationLine.__table__.c,
                     Indicator.__table__.c)
    orgs = pd.read_sql(select(o.id, o.parent_id, o.code).order_by(o.code), conn)
    evaluated = set(pd.read_sql(select(e.org_id).where(e.cycle_id == cycle_id, e.period == period), conn)["org_id"])
    lines = pd.read_sql(select(e.org_id, ind.block_code, ind.kind, ind.points.label("max_points"), ln.points)
                        .join_from(EvaluationLine.__table__, Evaluation.__table__, e.id == ln.evaluation_id)
                        .join(Indicator.__table__, (ind.cycle_id == e.cycle_id) & (ind.code == ln.indicator_code))
                        .where(e.cycle_id == cycle_id, e.period == period), conn)
    scheme = pd.read_sql(select(ind.block_code, ind.kind, ind.points).where(ind.cycle_id == cycle_id), conn)
    maxima = scheme["points"].where(scheme["kind"] != "veto", 0.0).groupby(scheme["block_code"]).sum()
    records = []
    for child in orgs[orgs["parent_id"] == node_id].itertuples():
        subtree, frontier = {child.id}, {child.id}
        while frontier:
            frontier = set(orgs.loc[orgs["parent_id"].isin(frontier), "id"])
            subtree |= frontier
        n = len(evaluated & subtree)
        sums = lines[lines["org_id"].isin(subtree)].groupby("block_code")["points"].sum()
        for block, maximum in maxima[maxima > 0].items():  # Python's round, not numpy's (half to even)
            average = round(round(float(sums.get(block, 0.0)), 6) / n, 4) if n else float("nan")
            records.append((child.code, block, n, average, round(average / float(maximum), 4) if n else float("nan")))
    return pd.DataFrame(records, columns=["code", "block_code", "evaluations", "average", "share"])


def _assert_heatmap_is_the_lines(engine, who, cycle_id: int, period: str, node_id: int) -> pd.DataFrame:
    with engine.connect() as conn:
        cells = dashboard.heatmap(conn, who, cycle_id=cycle_id, period=period, node_id=node_id, limit=1000).cells
        expected = _heatmap_from_lines(conn, cycle_id, period, node_id)
    got = cells[["code", "block_code", "evaluations", "average", "share"]]
    got = got.sort_values(["code", "block_code"]).reset_index(drop=True)
    expected = expected.sort_values(["code", "block_code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, atol=5e-5, rtol=0)
    return cells


def test_the_heatmap_is_the_sum_of_the_lines_after_scoring_a_rescore_and_a_correction(engine, registry):
    """On the demo's sample (24 branches, and a general branch with none): the heatmap of the committee and
    of each general branch is what the lines add up to, after each path that changes the lines' points."""
    sample = demo.build_sample(engine, registry=registry, branches=24, seed=5, year=2026)
    tenant, cycle = sample.tenant, sample.cycle
    with Session(engine) as session:
        ids = dict(session.exec(select(Organization.code, Organization.id)
                                .where(Organization.tenant_id == tenant.id)).all())
        session.add(Organization(tenant_id=tenant.id, code="ZZ09", name="新设党总支", level="general_branch",
                                 parent_id=ids["DW"]))
        session.commit()
    with transaction(engine) as session:  # an administrator of the committee (a correction reads the user again)
        users.create_user(session, tenant=tenant, username="admin", password="Bastion@2026", grants=[("admin", "DW")],
                          actor="test")
    with Session(engine) as session:
        admin = users.principal_of(session, users.find_user(session, tenant.id, "admin"))
    nodes = [ids["DW"], *(ids[code] for code in ("ZZ01", "ZZ02", "ZZ03", "ZZ04"))]

    def check() -> pd.DataFrame:
        cells = [_assert_heatmap_is_the_lines(engine, admin, cycle.id, "2026", node) for node in nodes]
        return cells[0].set_index(["code", "block_code"])

    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    scored = check()
    assert scored.loc["ZZ09", "evaluations"].eq(0).all() and scored.loc["ZZ09", "share"].isna().all()
    assert scored.drop(index="ZZ09")["evaluations"].groupby(level="code").first().sum() == 24
    assert scored["share"].dropna().between(0, 1).all() and scored["share"].dropna().gt(0).any()

    with Session(engine) as session:  # a year of committee meetings for every branch of ZZ01: its points rise
        branches = session.exec(select(Organization.id).where(Organization.parent_id == ids["ZZ01"])).all()
        session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=org, type="committee_meeting",
                                    date=date(2026, month, 20), title="支委会") for org in branches
                        for month in range(1, 13) for _ in range(2))
        session.commit()
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    rescored = check()
    assert not rescored.loc["ZZ01", "average"].equals(scored.loc["ZZ01", "average"])

    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        branch = read_results(conn, cycle.id, "2026").iloc[-1]
        line = next(r for r in explain(conn, cycle=cycle, period="2026", org_code=branch["code"]).lines
                    if r["kind"] == "controllable" and r["points"] < r["max_points"])
    correct_points(engine, admin, cycle=cycle, period="2026", org_code=branch["code"],
                   indicator_code=line["indicator_code"], points=line["max_points"], reason="申诉成立",
                   registry=registry)
    corrected = check()
    assert (corrected["average"] - rescored["average"]).abs().max() > 0
