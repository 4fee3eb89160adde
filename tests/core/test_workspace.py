"""The branch workspace (支部工作台) in core: targets and progress, ledger entries with evidence, the
self-assessment, answers to notices and published results, each scoped to the principal's branch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest
from bastion.core import cycles, i18n, periods, results, scoring, users, workspace
from bastion.core.access import Forbidden, Principal
from bastion.core.db import transaction
from bastion.core.engine import resolve_targets, score_slices
from bastion.core.errors import BastionError, Conflict, NotFound
from bastion.core.models import (
    AuditEvent,
    Check,
    Cycle,
    Evidence,
    Finding,
    LedgerEntry,
    Rating,
    Rectification,
    Tenant,
)
from bastion.core.registry import Registry
from bastion.core.scoring import read_target_rows
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests import factories

TODAY = date(2026, 3, 20)


@dataclass(frozen=True)
class People:
    """A tenant's organisations and one principal per role (secretaries of A and B)."""

    ids: dict[str, int]
    admin: Principal
    leader: Principal
    secretary: Principal  # of branch A
    other_secretary: Principal  # of branch B
    auditor: Principal  # reads the audit trail, nothing of the branches
    stranger: Principal  # the administrator of another tenant


def principal(engine: Engine, tenant: Tenant, username: str, *grants: tuple[str, str | None]) -> Principal:
    with transaction(engine) as session:
        user = users.create_user(session, tenant=tenant, username=username, password="password-1",
                                 grants=grants, actor="test")
        return users.principal_of(session, user)


def people(engine: Engine, registry: Registry, tenant: Tenant) -> People:
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "离退休"})
    other = factories.tenant(engine, registry, code="other")
    factories.org_tree(engine, other, {"X": "机关"})
    return People(
        ids=ids,
        admin=principal(engine, tenant, "admin", ("admin", None)),
        leader=principal(engine, tenant, "leader", ("leader", None)),
        secretary=principal(engine, tenant, "sec-a", ("secretary", "A")),
        other_secretary=principal(engine, tenant, "sec-b", ("secretary", "B")),
        auditor=principal(engine, tenant, "audit-1", ("auditor", None)),
        stranger=principal(engine, other, "other-admin", ("admin", None)),
    )


@pytest.fixture(autouse=True)
def cheap_password_hashes(cheap_passwords) -> None:
    """Argon2 at its lightest for the many test users."""


@pytest.fixture
def folks(engine, registry, tenant) -> People:
    return people(engine, registry, tenant)


def record(engine, who, cycle, registry, org_id, kind="committee_meeting", day=date(2026, 1, 10), **more):
    with transaction(engine) as session:
        return workspace.record_entry(session, who, cycle=cycle, org_id=org_id, ledger_type=kind, day=day,
                                      title=more.pop("title", "支委会"), registry=registry, **more)


# --- targets and progress ----------------------------------------------------------------------


def test_a_branch_target_is_its_own_row_else_its_category_else_the_default(engine, registry, cycle, folks):
    with transaction(engine) as session:
        cycles.set_target(session, cycle=cycle, indicator_code="B1-3", value=8, reason="人少", actor="admin",
                          category="机关")
        cycles.set_target(session, cycle=cycle, indicator_code="B1-3", value=5, reason="新成立", actor="admin",
                          org_code="A")
        cycles.set_target(session, cycle=cycle, indicator_code="B5-2", value=3, reason="机关类", actor="admin",
                          category="机关")
    with engine.connect() as conn:
        a = workspace.read_targets(conn, folks.secretary, cycle=cycle, org_id=folks.ids["A"]).set_index("indicator_code")
        b = workspace.read_targets(conn, folks.other_secretary, cycle=cycle,
                                   org_id=folks.ids["B"]).set_index("indicator_code")
        rows = read_target_rows(conn, cycle.id)
    assert (a.loc["B1-3", "target"], a.loc["B1-3", "target_from"], a.loc["B1-3", "target_reason"]) == (5, "branch", "新成立")
    assert (a.loc["B5-2", "target"], a.loc["B5-2", "target_from"]) == (3, "category")
    assert (a.loc["B1-1", "target"], a.loc["B1-1", "target_from"]) == (1, "default")
    assert (b.loc["B1-3", "target"], b.loc["B1-3", "target_from"]) == (6, "category")  # the scheme's 离退休 target
    assert pd.isna(a.loc["B6-4", "target"]) and pd.isna(a.loc["B6-4", "target_from"])
    orgs = pd.DataFrame({"org_id": [folks.ids["A"], folks.ids["B"]], "category": ["机关", "离退休"]})
    engine_says = resolve_targets(cycles.cycle_scheme(cycle), orgs, rows).set_index(["org_id", "indicator_code"])["target"]
    for org, frame in ((folks.ids["A"], a), (folks.ids["B"], b)):
        ours = frame["target"].dropna()
        assert ours.to_dict() == engine_says.xs(org).reindex(ours.index).to_dict()


def test_progress_counts_what_was_recorded_so_far_and_says_what_waits_for_period_end(engine, registry, cycle, folks):
    a = folks.ids["A"]
    for day in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 2, 20)):
        record(engine, folks.secretary, cycle, registry, a, day=day)
    record(engine, folks.secretary, cycle, registry, a, day=date(2026, 6, 1))  # after today: not yet counted
    record(engine, folks.secretary, cycle, registry, a, kind="volunteer_service", quantity=12.5, title="义务劳动")
    record(engine, folks.secretary, cycle, registry, a, kind="volunteer_service", quantity=4, title="社区服务")
    record(engine, folks.secretary, cycle, registry, a, kind="commendation", title="上级表彰")
    record(engine, folks.other_secretary, cycle, registry, folks.ids["B"])  # another branch's
    with transaction(engine) as session:
        check = Check(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=a, kind="spot", date=date(2026, 3, 1))
        session.add(check)
        session.flush()
        session.add(Finding(tenant_id=cycle.tenant_id, check_id=check.id, org_id=a, date=date(2026, 3, 1),
                            indicator_code="B6-1", description="记录不全"))
    with engine.connect() as conn:
        progress = workspace.read_progress(conn, folks.secretary, cycle=cycle, org_id=a, registry=registry,
                                           today=TODAY).set_index("indicator_code")
    meetings = progress.loc["B1-2"]  # one a month: January and February met, March not yet
    assert (meetings["measured"], meetings["goal"]) == (3, 3)
    assert "按月考核 2/3 个月达标" in meetings["detail"] and meetings["share"] == pytest.approx(4 / 6)
    hours = progress.loc["B2-4"]  # 120 hours a year: 30 by March
    assert hours["measured"] == pytest.approx(16.5) and hours["goal"] == 30
    assert progress.loc["BX-2", "measured"] == 1 and progress.loc["BX-2", "share"] == pytest.approx(0.5)
    assert progress.loc["B6-1", "detail"].startswith("检查发现问题 1 项")
    assert progress.loc["B1-V", "detail"] == "未触及否决事项" and pd.isna(progress.loc["B1-V", "share"])
    for waiting in ("B1-4", "B5-3", "B6-3", "B6-4"):  # ballots, levels, the term: rule types scored at period end
        assert progress.loc[waiting, "detail"] == "考核期末评分" and not progress.loc[waiting, "measurable"]

    # the same figures as the tenant's rule types give when the whole tenant is scored over those months
    inputs = scoring.read_inputs(engine, cycle=cycle, period=periods.year_to_date(2026, TODAY), registry=registry)
    lines = pd.concat(list(score_slices(inputs)))
    mine = lines[lines["org_id"] == a].set_index("indicator_code")
    measurable = progress[progress["measurable"].astype(bool) & (progress["kind"] != "veto")]
    assert (measurable["share"] * measurable["points"]).round(2).to_dict() == mine.loc[measurable.index, "points"].to_dict()


# --- ledger entries and evidence -------------------------------------------------------------


def test_a_ledger_entry_is_recorded_audited_and_bad_input_refused_by_field(engine, registry, cycle, folks):
    a = folks.ids["A"]
    entry = record(engine, folks.secretary, cycle, registry, a, kind="volunteer_service", quantity=3,
                   title="  社区志愿服务 ", note="12 人参加")
    with Session(engine) as session:
        stored = session.get(LedgerEntry, entry.id)
        events = session.exec(select(AuditEvent).where(AuditEvent.entity == "ledger_entry")).all()
    assert (stored.org_id, stored.type, stored.quantity, stored.title, stored.recorded_by, stored.source) == (
        a, "volunteer_service", 3.0, "社区志愿服务", "sec-a", "ui")
    assert [(e.actor, e.action, e.entity_id) for e in events] == [("sec-a", "create", str(entry.id))]
    cases = [
        ({"kind": "no_such_type"}, "台账类型：'no_such_type' 不是本单位已启用插件提供的台账类型",
         "type: 'no_such_type' is not a ledger type"),
        ({"day": date(2025, 12, 31)}, "日期：2025-12-31 不在 2026 考核年度内", "date: 2025-12-31 is outside the 2026 cycle"),
        ({"title": "  "}, "标题：台账须有标题", "title: a ledger entry needs a title"),
        ({"kind": "volunteer_service"}, "数量：志愿服务须填写大于 0 的数量（单位：小时）",
         "quantity: 志愿服务 needs a quantity in 小时"),
        ({"quantity": 2}, "数量：支委会每条计为一次", "quantity: 支委会 entries count one each"),
    ]
    for change, message, english in cases:
        with pytest.raises(BastionError, match=message):
            record(engine, folks.secretary, cycle, registry, a, **change)
        with i18n.using("en"), pytest.raises(BastionError, match=english):
            record(engine, folks.secretary, cycle, registry, a, **change)
    with Session(engine) as session:
        assert len(session.exec(select(LedgerEntry)).all()) == 1


def test_evidence_is_stored_for_an_entry_and_read_back_by_its_branch_only(engine, registry, cycle, folks, tmp_path):
    a = folks.ids["A"]
    entry = record(engine, folks.secretary, cycle, registry, a)
    with transaction(engine) as session:
        kept = workspace.attach_evidence(session, folks.secretary, entry_id=entry.id, filename="纪要.pdf",
                                         data=b"%PDF minutes", home=tmp_path)
    with engine.connect() as conn:
        entries = workspace.read_entries(conn, folks.secretary, cycle=cycle, org_id=a)
        files = workspace.read_evidence(conn, folks.secretary, org_id=a, entry_ids=entries["id"].tolist())
    assert entries["id"].tolist() == [entry.id] and files["filename"].tolist() == ["纪要.pdf"]
    with Session(engine) as session:
        assert workspace.evidence_file(session, folks.secretary, kept.id) == ("纪要.pdf", b"%PDF minutes")
        assert workspace.evidence_file(session, folks.admin, kept.id)[1] == b"%PDF minutes"
        with pytest.raises(Forbidden):
            workspace.evidence_file(session, folks.other_secretary, kept.id)
        with pytest.raises(NotFound):
            workspace.evidence_file(session, folks.stranger, kept.id)
    with transaction(engine) as session:
        with pytest.raises(Forbidden):
            workspace.attach_evidence(session, folks.other_secretary, entry_id=entry.id, filename="x.pdf",
                                      data=b"x", home=tmp_path)
        with pytest.raises(BastionError, match="不接受 .exe 类型的文件"):
            workspace.attach_evidence(session, folks.secretary, entry_id=entry.id, filename="x.exe", data=b"x",
                                      home=tmp_path)
    with Session(engine) as session:
        assert len(session.exec(select(Evidence)).all()) == 1


# --- the self-assessment -----------------------------------------------------------------------


def test_the_self_assessment_is_one_per_period_and_rewritten_in_place(engine, registry, cycle, folks):
    a = folks.ids["A"]
    with transaction(engine) as session:
        first = workspace.write_self_assessment(session, folks.secretary, cycle=cycle, period="2026-H1", org_id=a,
                                                overall=88, indicators={"B1-2": 90}, note="按期召开")
    assert first.day == date(2026, 6, 30) and first.indicators == {"B1-2": 90}
    with Session(engine) as session:
        ids = sorted(r.id for r in session.exec(select(Rating)).all())
    with transaction(engine) as session:
        workspace.write_self_assessment(session, folks.secretary, cycle=cycle, period="2026-H1", org_id=a,
                                        overall=91.5, indicators={"B1-2": None}, note="补充")
        workspace.write_self_assessment(session, folks.secretary, cycle=cycle, period="2026", org_id=a,
                                        overall=80, note="")
    with Session(engine) as session:
        again = workspace.read_self_assessment(session, folks.secretary, cycle=cycle, period="2026-H1", org_id=a)
        seen_by_admin = workspace.read_self_assessment(session, folks.admin, cycle=cycle, period="2026", org_id=a)
        rows = session.exec(select(Rating).order_by(Rating.id)).all()
        events = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "self_assessment")).all()
    assert (again.overall, again.indicators, again.note, again.rater, again.editable) == (91.5, {}, "补充", "sec-a", True)
    assert seen_by_admin.overall == 80 and seen_by_admin.day == date(2026, 12, 31)
    assert rows[0].id == ids[0] and [(r.source, r.date) for r in rows] == [("self", date(2026, 6, 30)),
                                                                        ("self", date(2026, 12, 31))]
    assert events == ["create", "update", "create"]


def test_a_self_assessment_out_of_range_empty_or_after_publication_is_refused(engine, registry, cycle, folks):
    a = folks.ids["A"]
    write = lambda **kw: workspace.write_self_assessment(  # noqa: E731
        session, folks.secretary, cycle=cycle, org_id=a, **({"period": "2026", "overall": None, "note": ""} | kw))
    with transaction(engine) as session:
        with pytest.raises(BastionError, match="总体评分：101 不在 0–100 之间"):
            write(overall=101)
        with pytest.raises(BastionError, match="指标 B1-2：-1 不在 0–100 之间"):
            write(indicators={"B1-2": -1})
        with pytest.raises(BastionError, match="指标：2026 年度方案没有指标 'Z9'"):
            write(indicators={"Z9": 50})
        with pytest.raises(BastionError, match="请填写总体评分"):
            write()
        with pytest.raises(BastionError, match="考核期：'2026-Q1' 不是 2026 考核年度的考核期"):
            write(period="2026-Q1", overall=90)
        write(period="2026-H1", overall=90)
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    with transaction(engine) as session:
        with pytest.raises(Conflict, match="已在审核或已发布"):
            write(period="2026-H1", overall=95)
        assert not workspace.read_self_assessment(session, folks.secretary, cycle=cycle, period="2026-H1",
                                                  org_id=a).editable
    with engine.connect() as conn:
        line = conn.exec_driver_sql(
            "select l.reason from evaluationline l join evaluation e on e.id = l.evaluation_id "
            f"where e.org_id = {a} and e.period = '2026-H1' and l.indicator_code = 'B6-4'").scalar()
    assert "自评 90" in line  # the period's scoring counted the self-assessment
    with transaction(engine) as session:
        write(overall=85)  # the year's, dated 31 December: taken while the second half is open
    scoring.score_period(engine, cycle=cycle, period_key="2026-H2", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H2", registry=registry, actor="test")
    with transaction(engine) as session, pytest.raises(Conflict, match="自评日期：2026-12-31 在考核期 2026-H2（2026年下半年）内"):
        write(overall=95)  # rewriting it now would change what the published second half stands on


# --- notices ---------------------------------------------------------------------------------


def notice(engine, cycle, org_id, number):
    with transaction(engine) as session:
        session.add(Rectification(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=org_id, notice_no=number,
                                  problem="台账不全", issued_at=date(2026, 3, 1), deadline=date(2026, 4, 1)))


def test_a_secretary_answers_the_notices_of_their_branch(engine, registry, cycle, folks):
    notice(engine, cycle, folks.ids["A"], "ZG-A")
    notice(engine, cycle, folks.ids["B"], "ZG-B")
    with engine.connect() as conn:
        mine = rectification_queries.read_notices(conn, folks.secretary, org_id=folks.ids["A"])
    assert mine["notice_no"].tolist() == ["ZG-A"]
    with transaction(engine) as session:
        answered = rectification_service.answer_notice(session, folks.secretary, notice_no="ZG-A", response="已补齐台账")
        assert (answered.status, answered.response) == ("responded", "已补齐台账")
        with pytest.raises(Forbidden):
            rectification_service.answer_notice(session, folks.secretary, notice_no="ZG-B", response="越权")
        with pytest.raises(NotFound):
            rectification_service.answer_notice(session, folks.stranger, notice_no="ZG-B", response="别家")
        with pytest.raises(Forbidden):
            rectification_service.answer_notice(session, folks.leader, notice_no="ZG-B", response="领导")
    with Session(engine) as session:
        assert session.exec(select(Rectification.status).where(Rectification.notice_no == "ZG-B")).one() == "issued"


# --- results -------------------------------------------------------------------------------------


def test_a_secretary_sees_published_results_only_and_an_admin_the_drafts_too(engine, registry, cycle, folks):
    a = folks.ids["A"]
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        shown = results.read_history(conn, cycle.tenant_id, org_id=a, viewer=folks.secretary)
        drafts = results.read_history(conn, cycle.tenant_id, org_id=a, viewer=folks.admin)
        explained = results.explain(conn, cycle=cycle, period="2026-H1", org_code="A", viewer=folks.secretary)
        with pytest.raises(Forbidden, match="无权在发布前查看 A 的 2026 考核结果"):
            results.explain(conn, cycle=cycle, period="2026", org_code="A", viewer=folks.secretary)
        assert results.explain(conn, cycle=cycle, period="2026", org_code="A", viewer=folks.admin).org["code"] == "A"
    assert shown[["period", "status", "branches"]].values.tolist() == [["2026-H1", "published", 2]]
    assert drafts["period"].tolist() == ["2026-H1", "2026"]
    assert explained.evaluation["total"] == shown["total"].item() and explained.lines


# --- access --------------------------------------------------------------------------------------


def test_a_secretary_reaches_nothing_of_another_branch(engine, registry, cycle, folks, tmp_path):
    b = folks.ids["B"]
    entry = record(engine, folks.other_secretary, cycle, registry, b)
    notice(engine, cycle, b, "ZG-B")
    sec = folks.secretary
    with engine.connect() as conn:
        for read in (lambda: workspace.read_targets(conn, sec, cycle=cycle, org_id=b),
                     lambda: workspace.read_progress(conn, sec, cycle=cycle, org_id=b, registry=registry),
                     lambda: workspace.read_entries(conn, sec, cycle=cycle, org_id=b),
                     lambda: workspace.read_evidence(conn, sec, org_id=b, entry_ids=[entry.id]),
                     lambda: rectification_queries.read_notices(conn, sec, org_id=b),
                     lambda: results.read_history(conn, cycle.tenant_id, org_id=b, viewer=sec),
                     lambda: results.explain(conn, cycle=cycle, period="2026", org_code="B", viewer=sec)):
            with pytest.raises(Forbidden):
                read()
        assert workspace.branches_in_scope(conn, sec)["code"].tolist() == ["A"]
        assert workspace.branches_in_scope(conn, folks.admin)["code"].tolist() == ["A", "B"]
        assert workspace.branches_in_scope(conn, folks.auditor).empty
    with transaction(engine) as session:
        with pytest.raises(Forbidden):
            workspace.record_entry(session, sec, cycle=cycle, org_id=b, ledger_type="committee_meeting",
                                   day=date(2026, 1, 5), title="越权", registry=registry)
        with pytest.raises(Forbidden):
            workspace.attach_evidence(session, sec, entry_id=entry.id, filename="a.pdf", data=b"x", home=tmp_path)
        with pytest.raises(Forbidden):
            workspace.write_self_assessment(session, sec, cycle=cycle, period="2026", org_id=b, overall=99)
        with pytest.raises(Forbidden):
            workspace.read_self_assessment(session, sec, cycle=cycle, period="2026", org_id=b)


@pytest.mark.parametrize("role", ["leader", "auditor", "admin"])
def test_roles_without_the_secretary_s_rights_are_refused(engine, registry, cycle, folks, role):
    who = getattr(folks, role)
    a = folks.ids["A"]
    with transaction(engine) as session:
        with pytest.raises(Forbidden):  # only the branch's secretary writes its self-assessment
            workspace.write_self_assessment(session, who, cycle=cycle, period="2026", org_id=a, overall=99)
        if role != "admin":
            with pytest.raises(Forbidden):
                workspace.record_entry(session, who, cycle=cycle, org_id=a, ledger_type="committee_meeting",
                                       day=date(2026, 1, 5), title="x", registry=registry)
    if role == "auditor":
        with engine.connect() as conn, pytest.raises(Forbidden):
            results.read_history(conn, cycle.tenant_id, org_id=a, viewer=who)


def test_a_tenant_never_reaches_another_tenant_s_branches_or_cycle(engine, registry, cycle, folks):
    stranger, a = folks.stranger, folks.ids["A"]
    with engine.connect() as conn:
        with pytest.raises(Forbidden):
            workspace.read_entries(conn, stranger, cycle=cycle, org_id=a)
        with pytest.raises(Forbidden):
            results.read_history(conn, cycle.tenant_id, org_id=a, viewer=stranger)
        assert workspace.branches_in_scope(conn, stranger)["code"].tolist() == ["X"]
        own = workspace.branches_in_scope(conn, stranger)["org_id"].item()
        with pytest.raises(Forbidden, match="无权查看其他单位的考核年度"):
            workspace.read_targets(conn, stranger, cycle=cycle, org_id=own)
    with transaction(engine) as session:
        with pytest.raises(Forbidden):
            workspace.record_entry(session, stranger, cycle=cycle, org_id=a, ledger_type="committee_meeting",
                                   day=date(2026, 1, 5), title="x", registry=registry)


def test_the_cycle_s_periods_follow_its_calendar(engine, registry, cycle):
    assert periods.cycle_periods(cycle) == ["2026-H1", "2026-H2", "2026"]
    assert periods.current_period(cycle, date(2026, 3, 1)) == "2026-H1"
    assert periods.current_period(cycle, date(2027, 3, 1)) == "2026"
    quarterly = Cycle(tenant_id=1, year=2026, name="x", scheme_id="x", scheme_version="1", scheme_plugin="x",
                      scheme=cycle.scheme | {"calendar": [{"stage": "quarterly", "cron": "0 9 5 1,4,7,10 *"}]})
    assert periods.cycle_periods(quarterly) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"]


def test_no_ledger_entry_is_recorded_once_the_year_is_published(engine, registry, cycle, folks):
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    with pytest.raises(Conflict, match="2026-03-01 在考核期 2026-H1（2026年上半年）内"):  # late for the half-year
        record(engine, folks.secretary, cycle, registry, folks.ids["A"], day=date(2026, 3, 1))
    record(engine, folks.secretary, cycle, registry, folks.ids["A"], day=date(2026, 9, 1))  # the second half is open
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with pytest.raises(Conflict, match="2026 年度考核结果已在审核或已发布"):
        record(engine, folks.secretary, cycle, registry, folks.ids["A"], day=date(2026, 12, 1))
