"""Restructuring (机构调整, issue 18): a year scored and published, then a branch renamed, one moved, two merged, one
split and one dissolved. The published year reads byte for byte as it was — results, ranking, heatmap, explanation,
bulletin files — and verifies identical; the next year follows the new tree (the merged branch scored once, on its
predecessors' facts); a branch's trend crosses the merge. Each change refuses what the tree's rules refuse, dated,
audited, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, select

from bastion.core import dashboard, i18n, restructuring, scoring
from bastion.core.bulletins import service as bulletins
from bastion.core.cycles import cycle_scheme
from bastion.core.db import transaction
from bastion.core.lifecycle import AlreadyDone
from bastion.core.models import (
    AuditEvent,
    Bulletin,
    LedgerEntry,
    Organization,
    OrgLineage,
    Rating,
    Restructuring,
)
from bastion.core.periods import Period
from bastion.core.restructuring import Refused, Successor
from bastion.core.results import explain, read_history, read_results, results_records
from bastion.core.stages import service as stages
from bastion.core.verify import verify_period
from bastion.synthetic import build_tree, generate_facts
from tests import factories
from tests.core.people import person

pytestmark = pytest.mark.storage

ON = date(2026, 12, 1)  # inside the published 2026 year: fine, the year stays as published


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


def published_year(engine, registry, ctx, *, branches: int = 12):
    """A tenant whose 2026 year is scored, published (its bulletin in the archive) and whose 2027 cycle is open with
    a year of facts recorded; returns the tenant, both cycles, the branches and an administrator."""
    tenant = factories.tenant(engine, registry, code="acme", plugins=factories.ENTERPRISE_PLUGINS)
    with transaction(engine) as session:
        session.get(type(tenant), tenant.id).auto_confirm_review = True
    y2026 = factories.cycle(engine, registry, tenant, year=2026, scheme_id="study-education")
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=5, year=2026)
    generate_facts(engine, tenant_id=tenant.id, scheme=cycle_scheme(y2026), branches=orgs, year=2026, seed=5)
    run = stages.run_stage(ctx, y2026, "annual", period="2026", on=date(2027, 1, 10))
    assert run.status == "succeeded"
    y2027 = factories.cycle(engine, registry, tenant, year=2027, scheme_id="study-education")
    generate_facts(engine, tenant_id=tenant.id, scheme=cycle_scheme(y2027), branches=orgs, year=2027, seed=6)
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    return tenant, y2026, y2027, orgs, admin


def seen(engine, admin, cycle, period: str, codes: list[str]) -> dict:
    """Everything a reader of the published ``period`` is shown, as plain values."""
    with engine.connect() as conn:
        heat = dashboard.heatmap(conn, admin, cycle_id=cycle.id, period=period)
        below = dashboard.heatmap(conn, admin, cycle_id=cycle.id, period=period,
                                  node_id=int(heat.cells["org_id"].iloc[0]))
        return {
            "results": results_records(read_results(conn, cycle.id, period, level=None)),
            "ranking": dashboard.ranking_table(conn, admin, cycle_id=cycle.id, period=period).to_dict("records"),
            "heatmap": heat.cells.to_dict("records"), "heatmap_below": below.cells.to_dict("records"),
            "explanations": [(e.org, {k: v for k, v in e.evaluation.items() if k != "scored_at"}, e.lines)
                             for e in (explain(conn, cycle=cycle, period=period, org_code=c) for c in codes)],
        }


def archive(engine, cycle) -> dict[str, bytes]:
    with Session(engine) as session:
        bulletin = session.exec(select(Bulletin).where(Bulletin.cycle_id == cycle.id)).one()
    return {path: open(path, "rb").read() for path in (bulletin.docx_path, bulletin.xlsx_path)}


def org(engine, tenant, code: str) -> Organization:
    with Session(engine) as session:
        return session.exec(select(Organization).where(Organization.tenant_id == tenant.id,
                                                       Organization.code == code)).one()


def pick(orgs: pd.DataFrame, engine, tenant) -> dict[str, str]:
    """Branches to restructure: two under one general branch (to merge), one to split, one to rename, one to move
    (to a general branch of another) and one to dissolve."""
    with Session(engine) as session:
        parent = {o.code: o.parent_id for o in session.exec(select(Organization).where(
            Organization.tenant_id == tenant.id, Organization.level == "branch"))}
    by_parent: dict[int, list[str]] = {}
    for code in sorted(parent):
        by_parent.setdefault(parent[code], []).append(code)
    crowded = max(by_parent.values(), key=len)
    assert len(crowded) >= 2
    rest = [c for c in sorted(parent) if c not in crowded[:2]]
    other = next(p for p in by_parent if p != parent[rest[2]])
    with Session(engine) as session:
        other_code = session.get(Organization, other).code
    return {"a": crowded[0], "b": crowded[1], "split": rest[0], "rename": rest[1], "move": rest[2],
            "dissolve": rest[3], "new_parent": other_code}


def restructure(engine, admin, p: dict[str, str]) -> None:
    with transaction(engine) as session:
        restructuring.rename(session, admin, code=p["rename"], name="改名后的党支部", effective_on=ON)
        restructuring.move(session, admin, code=p["move"], parent_code=p["new_parent"], effective_on=ON)
        restructuring.merge(session, admin, codes=[p["a"], p["b"]], into="ZB50", name="合并后的党支部",
                            effective_on=ON, note="党委〔2026〕12号")
        restructuring.split(session, admin, code=p["split"], into=[Successor("ZB61", "分设一支部", 20),
                                                                  Successor("ZB62", "分设二支部", 15)],
                            effective_on=ON)
        restructuring.dissolve(session, admin, code=p["dissolve"], effective_on=ON)


# --- the Done-when ----------------------------------------------------------------------------------


def test_a_published_year_stays_as_published_and_the_next_follows_the_new_tree(engine, registry, ctx, tmp_path):
    tenant, y2026, y2027, orgs, admin = published_year(engine, registry, ctx)
    p = pick(orgs, engine, tenant)
    codes = [p[k] for k in ("a", "b", "split", "rename", "move", "dissolve")]
    before, files = seen(engine, admin, y2026, "2026", codes), archive(engine, y2026)
    with engine.connect() as conn:
        a_2027 = {t.__tablename__: conn.execute(select(func.count()).select_from(t).where(
            t.org_id.in_([org(engine, tenant, p["a"]).id, org(engine, tenant, p["b"]).id]),
            t.date >= date(2027, 1, 1))).scalar() for t in (LedgerEntry, Rating)}

    restructure(engine, admin, p)

    # The published year: every reader sees it as published; its archive is untouched; it verifies identical.
    assert seen(engine, admin, y2026, "2026", codes) == before
    assert archive(engine, y2026) == files
    found = verify_period(engine, cycle=y2026, period_key="2026", registry=registry)
    assert found.identical, found.differences
    again = tmp_path / "again"  # the bulletin written again from the published results reads the same
    with transaction(engine) as session:
        rewritten = bulletins.write_bulletin(session, cycle=y2026, period=Period.parse("2026"), home=again,
                                             today=date(2027, 1, 10), actor="test")
    old_xlsx = next(path for path in files if path.endswith(".xlsx"))
    assert _cells(rewritten.xlsx_path) == _cells(old_xlsx)

    # The next year follows the new tree.
    scoring.score_period(engine, cycle=y2027, period_key="2027", registry=registry, actor="test")
    with engine.connect() as conn:
        now = read_results(conn, y2027.id, "2027").set_index("code")
    gone = {p["a"], p["b"], p["split"], p["dissolve"]}
    assert gone.isdisjoint(now.index) and {"ZB50", "ZB61", "ZB62"} <= set(now.index)
    assert len(now) == len(orgs) - 4 + 3
    assert now.loc[p["rename"], "name"] == "改名后的党支部"
    assert now.loc[p["move"], "parent_code"] == p["new_parent"]
    # … the merged branch scored once, on its predecessors' facts of the open year
    merged = org(engine, tenant, "ZB50")
    with engine.connect() as conn:
        facts = scoring.read_facts(conn, tenant.id, Period.parse("2027"))
    assert (facts.ledger["org_id"] == merged.id).sum() == a_2027["ledgerentry"] > 0
    assert (facts.ratings["org_id"] == merged.id).sum() == a_2027["rating"] > 0
    with engine.connect() as conn:
        cited = explain(conn, cycle=y2027, period="2027", org_code="ZB50")
        stored = {row.id for row in conn.execute(select(LedgerEntry.id).where(
            LedgerEntry.org_id.in_([org(engine, tenant, p["a"]).id, org(engine, tenant, p["b"]).id])))}
    assert {i for line in cited.lines for i in line["evidence"].get("ledger", [])} <= stored
    assert any(line["evidence"].get("ledger") for line in cited.lines)

    # A branch's trend crosses the merge: its predecessors' 2026 results, marked as theirs, then its own.
    with engine.connect() as conn:
        trend = read_history(conn, tenant.id, org_id=merged.id)
    assert set(map(tuple, trend[["code", "period", "inherited"]].values.tolist())) == {
        (p["a"], "2026", True), (p["b"], "2026", True), ("ZB50", "2027", False)}
    assert trend["period"].tolist() == ["2026", "2026", "2027"]
    with engine.connect() as conn:  # the dashboard's drill-down to the branch too
        drilled = dashboard.trend(conn, admin, under=merged.id)
    assert drilled[["period", "branches"]].values.tolist() == [["2026", 2], ["2027", 1]]
    heir = org(engine, tenant, "ZB61")
    with engine.connect() as conn:
        assert read_history(conn, tenant.id, org_id=heir.id)["code"].tolist() == [p["split"], "ZB61"]
        assert read_history(conn, tenant.id, org_id=org(engine, tenant, "ZB62").id)["code"].tolist() == ["ZB62"]

    # Published after the restructuring, the new year verifies identical too.
    scoring.publish_period(engine, cycle=y2027, period_key="2027", registry=registry, actor="test")
    found = verify_period(engine, cycle=y2027, period_key="2027", registry=registry)
    assert found.identical, found.differences


def _cells(path) -> list[tuple]:
    sheet = load_workbook(path).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_drafts_scored_before_a_restructuring_are_outdated(engine, registry, ctx):
    tenant, _, y2027, orgs, admin = published_year(engine, registry, ctx, branches=8)
    p = pick(orgs, engine, tenant)
    scoring.score_period(engine, cycle=y2027, period_key="2027-Q1", registry=registry, actor="test")
    with transaction(engine) as session:
        restructuring.rename(session, admin, code=p["rename"], name="新名称党支部", effective_on=ON)
    with pytest.raises(scoring.Outdated, match="1 次机构调整"):
        scoring.publish_period(engine, cycle=y2027, period_key="2027-Q1", registry=registry, actor="test")
    scoring.score_period(engine, cycle=y2027, period_key="2027-Q1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=y2027, period_key="2027-Q1", registry=registry, actor="test")
    with engine.connect() as conn:
        assert "新名称党支部" in set(read_results(conn, y2027.id, "2027-Q1")["name"])


def test_every_kind_keeps_verify_identical_for_each_published_period(engine, registry, ctx):
    """Quarter by quarter: each kind of change after a published quarter, that quarter still verifies identical, and
    the next quarter, scored and published after it, too."""
    tenant, y2026, y2027, orgs, admin = published_year(engine, registry, ctx, branches=10)
    p = pick(orgs, engine, tenant)
    changes = [
        lambda s: restructuring.rename(s, admin, code=p["rename"], name="改名党支部", effective_on=ON),
        lambda s: restructuring.move(s, admin, code=p["move"], parent_code=p["new_parent"], effective_on=ON),
        lambda s: restructuring.merge(s, admin, codes=[p["a"], p["b"]], into=p["b"], effective_on=ON),
        lambda s: restructuring.split(s, admin, code=p["split"], into=[Successor("S1", "甲"), Successor("S2", "乙")],
                                      heir="S2", effective_on=ON),
    ]
    closed = [("2026", y2026)]
    for n, change in enumerate(changes, start=1):
        key = f"2027-Q{n}"
        scoring.score_period(engine, cycle=y2027, period_key=key, registry=registry, actor="test")
        scoring.publish_period(engine, cycle=y2027, period_key=key, registry=registry, actor="test")
        closed.append((key, y2027))
        with transaction(engine) as session:
            change(session)
        for period, cycle in closed:
            found = verify_period(engine, cycle=cycle, period_key=period, registry=registry)
            assert found.identical, (period, found.differences)
    with transaction(engine) as session:
        restructuring.dissolve(session, admin, code=p["dissolve"], effective_on=ON)
    for period, cycle in closed:
        assert verify_period(engine, cycle=cycle, period_key=period, registry=registry).identical
    scoring.score_period(engine, cycle=y2027, period_key="2027-H2", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=y2027, period_key="2027-H2", registry=registry, actor="test")
    assert verify_period(engine, cycle=y2027, period_key="2027-H2", registry=registry).identical
    with engine.connect() as conn:
        h2 = read_results(conn, y2027.id, "2027-H2").set_index("code")
    assert p["a"] not in h2.index and p["b"] in h2.index  # merged into b: b goes on, carrying a
    assert {"S1", "S2"} <= set(h2.index) and p["dissolve"] not in h2.index


# --- the rules ----------------------------------------------------------------------------------------------


@pytest.fixture
def tree(engine, registry, tenant):
    """DW → ZZ1 → A, B; DW → ZZ2 → C (every branch 10 members), a party group G under A, and an administrator."""
    from tests.core import people

    ids = people.tree(engine, tenant)
    with transaction(engine) as session:
        group = Organization(tenant_id=tenant.id, code="G", name="第一党小组", level="group", parent_id=ids["A"])
        session.add(group)
    return ids, person(engine, tenant, "admin", ("admin", "DW"))


def change(engine, fn, **kwargs):
    with transaction(engine) as session:
        return fn(session, **kwargs)


def test_a_merge_makes_the_successor_moves_the_children_and_links_the_lineage(engine, tenant, tree):
    ids, admin = tree
    done = change(engine, restructuring.merge, principal=admin, codes=["a", "B"], into="AB", name="联合党支部",
                  effective_on=ON, note="文件")
    assert done.restructuring_id is not None and done.summary.startswith("合并：A A党组织、B B党组织 → AB 联合党支部")
    ab = org(engine, tenant, "AB")
    assert (ab.level, ab.parent_id, ab.member_count, ab.category, ab.active) == ("branch", ids["ZZ1"], 20, "机关", True)
    assert not org(engine, tenant, "A").active and not org(engine, tenant, "B").active
    assert org(engine, tenant, "G").parent_id == ab.id  # the party group follows its branch
    with Session(engine) as session:
        links = session.exec(select(OrgLineage.predecessor_id, OrgLineage.successor_id, OrgLineage.heir)).all()
        event = session.exec(select(Restructuring)).one()
        audited = session.exec(select(AuditEvent.entity, AuditEvent.action)
                               .where(AuditEvent.actor == "admin")).all()
    assert sorted(links) == sorted([(ids["A"], ab.id, True), (ids["B"], ab.id, True)])
    assert (event.kind, event.effective_on, event.note, event.detail["children_moved"]) == ("merge", ON, "文件", ["G"])
    assert {("organization", "create"), ("organization", "deactivate"), ("organization", "move"),
            ("restructuring", "restructure")} <= set(audited)
    with engine.connect() as conn:
        line = restructuring.lineage(conn, ab.id)
        assert sorted(line.predecessors["code"]) == ["A", "B"] and line.successors.empty
        assert restructuring.lineage(conn, ids["A"]).successors["code"].tolist() == ["AB"]
        history = restructuring.read_restructurings(conn, tenant.id)
    assert history[["kind", "org_code", "predecessors", "successors"]].values.tolist() == \
        [["merge", "AB", ["A", "B"], ["AB"]]]


def test_lineage_is_transitive_and_heirs_follow_the_split(engine, tenant, tree):
    ids, admin = tree
    change(engine, restructuring.merge, principal=admin, codes=["A"], into="B", effective_on=ON)
    change(engine, restructuring.split, principal=admin, code="B", into=[Successor("B1", "一"), Successor("B2", "二")],
           heir="B2", effective_on=ON)
    b1, b2 = org(engine, tenant, "B1"), org(engine, tenant, "B2")
    with engine.connect() as conn:
        assert restructuring.heirs(conn, tenant.id) == {ids["A"]: b2.id, ids["B"]: b2.id}
        back = restructuring.lineage(conn, b2.id).predecessors
        ahead = restructuring.lineage(conn, ids["A"]).successors
    assert back[["code", "depth"]].values.tolist() == [["B", 1], ["A", 2]]
    assert ahead[["code", "depth", "heir"]].values.tolist() == [["B", 1, True], ["B1", 2, False], ["B2", 2, True]]
    assert org(engine, tenant, "B").member_count == 20 and b1.member_count == 0  # A's members went to B, then
    assert org(engine, tenant, "G").parent_id == b2.id  # the group went with A into B, then to B's heir


@pytest.mark.parametrize(("call", "kwargs", "key", "message"), [
    (restructuring.merge, {"codes": ["A", "ZZ2"], "into": "X", "name": "x"}, "from_codes", "不能合并不同层级的组织"),
    (restructuring.merge, {"codes": ["A", "C"], "into": "X", "name": "x"}, "parent_code", "隶属于不同的上级组织"),
    (restructuring.merge, {"codes": ["A", "B"], "into": "X"}, "name", "新组织 X 须有名称"),
    (restructuring.merge, {"codes": ["A"], "into": "X", "name": "x"}, "from_codes", "至少两个组织"),
    (restructuring.merge, {"codes": ["A", "B"], "into": "X", "name": "x", "parent_code": "A"}, "parent_code",
     "隶属于被调整的 A"),
    (restructuring.merge, {"codes": ["A", "B"], "into": "X", "name": "x", "parent_code": "C"}, "parent_code",
     "党支部不能隶属于 'C'"),
    (restructuring.merge, {"codes": ["ZZ1", "DW"], "into": "X", "name": "x"}, "from_codes", "不能合并不同层级"),
    (restructuring.split, {"code": "A", "into": [Successor("B", "b"), Successor("Y", "y")]}, "code",
     "编码 B 已被 B B党组织 使用"),
    (restructuring.split, {"code": "A", "into": [Successor("A", "a"), Successor("Y", "y")]}, "code", "新组织须用新编码"),
    (restructuring.split, {"code": "A", "into": [Successor("X", "x")]}, "code", "至少两个新组织"),
    (restructuring.split, {"code": "A", "into": [Successor("X", "x"), Successor("Y", "y")], "heir": "Z"}, "heir",
     "不是分设出的新组织之一"),
    (restructuring.dissolve, {"code": "A"}, "from_codes", "A 下仍有在用的组织 G 第一党小组"),
    (restructuring.move, {"code": "A", "parent_code": "B"}, "parent_code", "党支部不能隶属于 'B'"),
    (restructuring.move, {"code": "ZZ1", "parent_code": "A"}, "parent_code", "A 隶属于 ZZ1，上级关系将形成循环"),
    (restructuring.rename, {"code": "NOPE", "name": "x"}, "from_codes", "本单位没有组织 'NOPE'"),
])
def test_what_the_tree_s_rules_refuse_is_refused_and_nothing_written(engine, tenant, tree, call, kwargs, key, message):
    _, admin = tree
    with pytest.raises(Refused, match=message) as refused:
        change(engine, call, principal=admin, effective_on=ON, **kwargs)
    assert refused.value.key == key
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Restructuring)).one() == 0
        assert all(o.active for o in session.exec(select(Organization)))


def test_a_future_date_and_an_organisation_gone_are_refused_saying_why(engine, tenant, tree):
    _, admin = tree
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(Refused, match="晚于今天"):
        change(engine, restructuring.rename, principal=admin, code="C", name="x", effective_on=tomorrow)
    change(engine, restructuring.dissolve, principal=admin, code="C", effective_on=ON)
    with pytest.raises(Refused, match=f"C C党组织 已于 {ON} 撤销，不能再调整"):
        change(engine, restructuring.rename, principal=admin, code="C", name="x", effective_on=ON)
    change(engine, restructuring.merge, principal=admin, codes=["A", "B"], into="AB", name="联合", effective_on=ON)
    with pytest.raises(Refused, match=f"已于 {ON} 合并入 AB"):
        change(engine, restructuring.move, principal=admin, code="A", parent_code="ZZ2", effective_on=ON)
    with pytest.raises(Refused, match="编码 A 已被 A A党组织（已停用） 使用"):  # codes are never reused
        change(engine, restructuring.split, principal=admin, code="AB", into=[Successor("A", "a"), Successor("Z", "z")],
               effective_on=ON)
    with i18n.using("en"), pytest.raises(Refused, match=f"was merged into AB on {ON}: it cannot change"):
        change(engine, restructuring.dissolve, principal=admin, code="B", effective_on=ON)


def test_the_same_request_twice_acts_once(engine, tenant, tree):
    _, admin = tree
    requests = [
        (restructuring.merge, {"codes": ["A", "B"], "into": "AB", "name": "联合"}),
        (restructuring.split, {"code": "AB", "into": [Successor("X", "x"), Successor("Y", "y")]}),
        (restructuring.move, {"code": "X", "parent_code": "ZZ2"}),
        (restructuring.rename, {"code": "X", "name": "新名"}),
        (restructuring.dissolve, {"code": "Y"}),
    ]
    for call, kwargs in requests:
        change(engine, call, principal=admin, effective_on=ON, **kwargs)
        with pytest.raises(AlreadyDone):
            change(engine, call, principal=admin, effective_on=ON, **kwargs)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Restructuring)).one() == len(requests)


def test_a_preview_says_what_would_happen_and_writes_nothing(engine, registry, tenant, cycle, tree):
    _, admin = tree
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry, actor="test")
    with Session(engine) as session:
        audited = session.exec(select(func.count()).select_from(AuditEvent)).one()
    said = change(engine, restructuring.merge, principal=admin, codes=["A", "B"], into="AB", name="联合党支部",
                  effective_on=date(2026, 2, 1), preview=True)
    assert said.restructuring_id is None
    text = str(said)
    assert "生效日期在已审核或已发布的考核期 2026-Q1 内：这些考核期的结果保持发布时的样子" in text
    assert "考核期 2026-Q2 的草稿评分在此之前，随之过时" in text
    assert "A、B 不再单独评分，其在这些考核期的台账、检查发现和测评计入 AB" in text
    assert "其下属组织 G 第一党小组 随之调整到 AB 之下" in text
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audited
        assert session.exec(select(func.count()).select_from(Organization)).one() == 7
        assert session.exec(select(func.count()).select_from(Restructuring)).one() == 0


def test_only_an_administrator_of_the_organisations_restructures_them(engine, tenant, tree):
    from bastion.core.access import Forbidden

    _, _ = tree
    part = person(engine, tenant, "part", ("admin", "ZZ2"))
    leader = person(engine, tenant, "boss", ("leader", "DW"))
    with pytest.raises(Forbidden):
        change(engine, restructuring.merge, principal=part, codes=["A", "B"], into="AB", name="x", effective_on=ON)
    with pytest.raises(Forbidden):
        change(engine, restructuring.rename, principal=leader, code="C", name="x", effective_on=ON)
    change(engine, restructuring.rename, principal=part, code="C", name="新名", effective_on=ON)  # its own subtree


def test_an_open_period_counts_a_merged_branch_s_facts_for_its_successor_without_moving_them(engine, registry, tenant,
                                                                                             cycle, tree):
    ids, admin = tree
    from bastion.core.ledger import service as ledger_service

    with transaction(engine) as session:
        for code in ("A", "B"):
            for month in (1, 2, 3):
                ledger_service.record_entry(session, cycle=cycle, org_id=ids[code], ledger_type="committee_meeting",
                                            day=date(2026, month, 5), title=f"{code} 支委会", registry=registry,
                                            actor="test")
    change(engine, restructuring.merge, principal=admin, codes=["A", "B"], into="AB", name="联合", effective_on=ON)
    ab = org(engine, tenant, "AB")
    with engine.connect() as conn:
        stored = conn.execute(select(LedgerEntry.org_id, func.count()).group_by(LedgerEntry.org_id)).all()
        facts = scoring.read_facts(conn, tenant.id, Period.parse("2026"))
        one = scoring.read_facts(conn, tenant.id, Period.parse("2026"), org_id=ab.id)
    assert sorted(stored) == sorted([(ids["A"], 3), (ids["B"], 3)])  # the rows keep their organisation
    assert facts.ledger["org_id"].tolist() == [ab.id] * 6 and one.ledger["org_id"].tolist() == [ab.id] * 6


# --- the import ---------------------------------------------------------------------------------------------

HEADER = "调整类型 kind,生效日期 effective_on,原组织编码 from_codes,新组织编码 code,新组织名称 name," \
         "上级组织编码 parent_code,党员人数 member_count,承继历史 heir,说明 note\n"
GOOD = ("合并,2026-12-01,A、B,AB,联合党支部,,,,党委〔2026〕12号\n"
        "分设,2026-12-01,C,C1,一支部,,5,,\n"
        "分设,2026-12-01,C,C2,二支部,,6,是,\n"
        "调整隶属,2026-12-01,AB,,,ZZ2,,,\n")


def test_an_import_restructures_in_the_file_s_order_whole_or_not_at_all(engine, registry, tenant, tree, tmp_path):
    from bastion.core.importing import ImportRejected, import_file

    ids, _ = tree
    bad = tmp_path / "机构调整.csv"
    bad.write_text(HEADER + GOOD + "撤销,2026-12-01,ZZ2,,,,,,\n更名,2026-12-01,NOPE,,新名,,,,\n"
                   "调整隶属,2026-12-01,C1,,,,,,\n合并,2099-01-01,C1、C2,C9,x,,,,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_file(engine, tenant=tenant, kind="restructure", path=bad, registry=registry, actor="admin")
    named = [(e.file, e.row, e.field) for e in rejected.value.errors]
    assert named == [("机构调整.csv", 6, "原组织编码"), ("机构调整.csv", 7, "原组织编码"),
                     ("机构调整.csv", 8, "上级组织编码"), ("机构调整.csv", 9, "生效日期")]
    reasons = [e.reason for e in rejected.value.errors]
    assert "ZZ2 下仍有在用的组织 AB 联合党支部、C1 一支部、C2 二支部" in reasons[0]  # as the rows before left it
    assert "本单位没有组织 'NOPE'" in reasons[1] and "调整隶属须填写此项" in reasons[2] and "晚于今天" in reasons[3]
    with Session(engine) as session:  # nothing written
        assert session.exec(select(func.count()).select_from(Restructuring)).one() == 0
        assert all(o.active for o in session.exec(select(Organization)))

    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD, encoding="utf-8")
    report = import_file(engine, tenant=tenant, kind="restructure", path=good, registry=registry, actor="admin")
    assert (report.inserted, report.skipped) == (3, 0)
    ab, c1, c2 = (org(engine, tenant, code) for code in ("AB", "C1", "C2"))
    assert ab.parent_id == ids["ZZ2"] and (c1.member_count, c2.member_count) == (5, 6)
    with engine.connect() as conn:
        assert restructuring.heirs(conn, tenant.id) == {ids["A"]: ab.id, ids["B"]: ab.id, ids["C"]: c2.id}
        history = restructuring.read_restructurings(conn, tenant.id)
    assert history["kind"].tolist() == ["move", "split", "merge"] and history["note"].iloc[-1] == "党委〔2026〕12号"
    again = import_file(engine, tenant=tenant, kind="restructure", path=good, registry=registry, actor="admin",
                        again=True)
    assert (again.inserted, again.skipped) == (0, 4)


def test_a_note_with_a_control_character_is_refused_naming_it(engine, tenant, tree):
    _, admin = tree
    with pytest.raises(Refused, match="^说明：含有控制字符 U\\+0000") as refused:
        change(engine, restructuring.dissolve, principal=admin, code="C", effective_on=ON, note="文件\x00")
    assert refused.value.key == "note" and org(engine, tenant, "C").active


def test_a_new_organisation_goes_only_where_its_maker_administers(engine, tenant, tree):
    from bastion.core.access import Forbidden

    part = person(engine, tenant, "branches-only", ("admin", "A"), ("admin", "B"))
    with pytest.raises(Forbidden):  # A + B → a new branch under ZZ1, which they do not administer
        change(engine, restructuring.merge, principal=part, codes=["A", "B"], into="AB", name="x", effective_on=ON)
    change(engine, restructuring.merge, principal=part, codes=["A"], into="B", effective_on=ON)  # into one of theirs
    assert not org(engine, tenant, "A").active


def test_nothing_goes_under_an_organisation_merged_away_by_a_move_or_an_import(engine, registry, tenant, tree, tmp_path):
    from bastion.core.errors import BastionError
    from bastion.core.importing import ImportRejected, import_file
    from bastion.core.organizations import move_organization

    _, admin = tree
    change(engine, restructuring.merge, principal=admin, codes=["ZZ2"], into="ZZ1", effective_on=ON)
    with pytest.raises(BastionError, match="上级组织 'ZZ2' 已停用（已合并、分设或撤销）：不能再隶属于它"):
        change(engine, move_organization, principal=admin, code="A", parent_code="ZZ2")
    path = tmp_path / "组织.csv"
    path.write_text("组织编码,组织名称,上级组织编码,层级\nB,B党组织,ZZ1,党支部\nA,A党组织,ZZ2,党支部\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_file(engine, tenant=tenant, kind="organizations", path=path, registry=registry, actor="admin")
    assert [(e.row, e.field) for e in rejected.value.errors] == [(3, "上级组织编码")]
    assert "上级组织 'ZZ2' 已停用" in rejected.value.errors[0].reason
    assert org(engine, tenant, "A").parent_id == org(engine, tenant, "ZZ1").id  # nothing written
