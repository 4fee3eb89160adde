"""Inspection (督查): checks, spot-check samples, findings, notices and re-verification, each within the
inspector's organisations and tenant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import i18n, inspection
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict, NotFound
from bastion.core.evidence import read_bytes
from bastion.core.models import AuditEvent, Check, Finding, Rectification
from bastion.core.registry import default_registry
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.core.stages import service as stages
from tests import factories
from tests.core import people

pytestmark = pytest.mark.usefixtures("cheap_passwords")

ON = date(2026, 6, 1)
TODAY = date(2026, 6, 30)


@pytest.fixture
def world(engine, tenant, cycle):
    ids = people.tree(engine, tenant)
    return {
        "ids": ids,
        "inspector": people.person(engine, tenant, "insp", ("inspector", "ZZ1")),
        "chief": people.person(engine, tenant, "chief", ("inspector", "DW")),
        "admin": people.person(engine, tenant, "boss", ("admin", "DW")),
        "leader": people.person(engine, tenant, "lead", ("leader", "DW")),
        "secretary": people.person(engine, tenant, "sec", ("secretary", "A")),
        "auditor": people.person(engine, tenant, "audit", ("auditor", "DW")),
    }


def _record(engine, who, cycle, org="A", **overrides):
    values = {"cycle_id": cycle.id, "org_code": org, "indicator_code": "B6-1", "deduction": 1.0,
              "description": "支委会记录缺签到", "on": ON, "today": TODAY, "registry": default_registry()} | overrides
    with transaction(engine) as session:
        return inspection.record_finding(session, who, **values)


def test_a_finding_completes_the_planned_check_and_keeps_its_evidence(engine, cycle, world, tmp_path):
    with transaction(engine) as session:
        planned = Check(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=world["ids"]["A"], kind="spot", date=ON,
                        inspector="督查组", status="planned")
        session.add(planned)
    with engine.connect() as conn:
        today = inspection.planned_checks(conn, world["inspector"], on=ON)
    assert list(today["code"]) == ["A"]

    finding = _record(engine, world["inspector"], cycle)
    with transaction(engine) as session:
        inspection.attach_evidence(session, world["inspector"], finding_id=finding.id, filename="记录.jpg",
                                   data=b"\xff\xd8\xff\xe0 photo", home=tmp_path)
    with Session(engine) as session:
        assert session.get(Check, planned.id).status == "done"
        assert session.get(Finding, finding.id).check_id == planned.id
        (kept,) = inspection.finding_evidence(session, world["inspector"], finding_id=finding.id)
        assert read_bytes(kept) == b"\xff\xd8\xff\xe0 photo"
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity.in_(["check", "finding"]))).all()
    assert sorted(actions) == ["complete", "record"]
    with engine.connect() as conn:
        assert inspection.planned_checks(conn, world["inspector"], on=ON).empty
        findings = inspection.read_findings(conn, world["inspector"], cycle_id=cycle.id)
    assert list(findings["code"]) == ["A"] and (findings["notice_no"] == "").all()


def test_without_a_planned_check_a_finding_creates_one(engine, cycle, world):
    finding = _record(engine, world["chief"], cycle, org="C", kind="covert")
    with Session(engine) as session:
        check = session.get(Check, finding.check_id)
    assert (check.kind, check.status, check.org_id, check.inspector) == ("covert", "done", world["ids"]["C"], "chief")


@pytest.mark.parametrize(("overrides", "message", "english"), [
    ({"indicator_code": "NOPE"}, "指标：'NOPE' 不是 2026 考核年度（方案 ", "indicator: 'NOPE' is not an indicator of the 2026 cycle"),
    ({"deduction": 7.0}, r"扣分：7 不在 0 与 B6-1（.*）的分值 6 分之间", "deduction: 7 is not between 0 and the 6 points of B6-1"),
    ({"deduction": -1.0}, "扣分：-1 不在 0 与", "deduction: -1 is not between"),
    ({"on": date(2026, 7, 1)}, "日期：2026-07-01 是将来的日期", "date: 2026-07-01 is in the future"),
    ({"on": date(2025, 12, 31)}, "日期：2025-12-31 不在 2026 考核年度内", "date: 2025-12-31 is outside the 2026 cycle"),
    ({"description": "  "}, "问题描述：", "description:"),
    ({"indicator_code": "B1-4"}, "指标：B1-4（班子建设上级考评）按 level_score 评分，不计检查发现",
     r"indicator: B1-4 \(班子建设上级考评\) is scored by level_score, which reads no findings"),
    ({"indicator_code": "B1-V", "deduction": 1.0}, "扣分：1 不在 0 与 B1-V（班子团结）的分值 0 分之间",
     "deduction: 1 is not between 0 and the 0 points of B1-V"),
    ({"org": "ZZZ"}, "组织：本单位没有组织 'ZZZ'", "organisation: no organisation 'ZZZ'"),
    ({"kind": "party"}, "检查方式：'party' 不是以下之一", "check kind: 'party' is not one of"),
])
def test_a_bad_finding_is_refused_and_nothing_is_written(engine, cycle, world, overrides, message, english):
    values = {"org": "A"} | overrides
    with pytest.raises(BastionError, match=message):
        _record(engine, world["inspector"], cycle, **values)
    with i18n.using("en"), pytest.raises(BastionError, match=english):
        _record(engine, world["inspector"], cycle, **values)
    with Session(engine) as session:
        assert session.exec(select(Finding)).all() == [] and session.exec(select(Check)).all() == []


def test_an_inspector_records_only_within_their_branches_and_other_roles_not_at_all(engine, cycle, world):
    with pytest.raises(Forbidden, match="不在授予其的组织范围内"):
        _record(engine, world["inspector"], cycle, org="C")
    for role in ("leader", "secretary", "auditor"):
        with pytest.raises(Forbidden, match="无权督查"):
            _record(engine, world[role], cycle)
        with engine.connect() as conn, pytest.raises(Forbidden):
            rectification_queries.read_notices(conn, world[role])
    assert _record(engine, world["admin"], cycle, org="C").id


def test_the_spot_check_sample_shows_only_the_inspectors_branches(engine, registry, cycle, world, tmp_path):
    ctx = stages.StageContext(engine, registry, tmp_path, "督查组")
    run = stages.spot_check(ctx, cycle, ON, size=3, seed=42)
    assert sorted(run.detail["sample"]) == ["A", "B", "C"]
    with engine.connect() as conn:
        mine = inspection.spot_samples(conn, world["inspector"], cycle_id=cycle.id)
        everyone = inspection.spot_samples(conn, world["chief"], cycle_id=cycle.id)
        planned = inspection.planned_checks(conn, world["inspector"], on=ON)
    assert list(mine["code"]) == ["A", "B"] and set(mine["seed"]) == {42} and set(mine["status"]) == {"planned"}
    assert list(everyone["code"]) == ["A", "B", "C"]
    assert list(planned["code"]) == ["A", "B"]
    _record(engine, world["inspector"], cycle, org="B")
    with engine.connect() as conn:
        mine = inspection.spot_samples(conn, world["inspector"], cycle_id=cycle.id).set_index("code")
    assert (mine.loc["B", "status"], mine.loc["B", "findings"]) == ("done", 1)


def test_a_finding_gets_one_notice_numbered_as_the_stage_numbers_them(engine, registry, cycle, world, tmp_path):
    finding = _record(engine, world["inspector"], cycle)
    other = _record(engine, world["inspector"], cycle, org="B", description="党课记录缺失")
    deadline = TODAY + timedelta(days=20)
    with transaction(engine) as session:
        notice = rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, finding_id=finding.id,
                                         deadline=deadline, today=TODAY)
    assert (notice.notice_no, notice.deadline, notice.issued_at) == ("ZG2026-00001", deadline, TODAY)
    assert notice.problem == "支部工作记录规范：支委会记录缺签到"
    with transaction(engine) as session, pytest.raises(Conflict, match="已有整改通知书 ZG2026-00001"):
        rectification_service.issue_notice(session, world["chief"], cycle_id=cycle.id, finding_id=finding.id,
                                deadline=deadline, today=TODAY)
    ctx = stages.StageContext(engine, registry, tmp_path, "督查组")
    issued = stages.run_stage(ctx, cycle, "rectification", on=TODAY).detail["issued"]
    assert issued == ["ZG2026-00002"]  # the other finding's; the first keeps its one notice
    with Session(engine) as session:
        by_finding = {r.finding_id: r.notice_no for r in session.exec(select(Rectification))}
    assert by_finding == {finding.id: "ZG2026-00001", other.id: "ZG2026-00002"}


def test_a_free_text_notice_is_issued_within_scope_with_a_future_deadline(engine, tenant, cycle, world):
    later = TODAY + timedelta(days=10)
    with transaction(engine) as session:
        with pytest.raises(Forbidden):
            rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, org_code="C", problem="台账不全",
                                    deadline=later, today=TODAY)
        with pytest.raises(BastionError, match=r"整改期限：2026-06-30 须晚于今天"):
            rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, org_code="A", problem="台账不全",
                                    deadline=TODAY, today=TODAY)
        with pytest.raises(BastionError, match="存在问题："):
            rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, org_code="A", problem=" ",
                                    deadline=later, today=TODAY)
        notice = rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, org_code="A",
                                         problem="台账不全", deadline=later, today=TODAY)
    assert notice.notice_no == "ZG2026-00001" and notice.finding_id is None
    with engine.connect() as conn:
        before = rectification_queries.read_notices(conn, world["inspector"], today=TODAY)
        after = rectification_queries.read_notices(conn, world["inspector"], today=later + timedelta(days=1))
        outside = rectification_queries.read_notices(conn, people.person(engine, tenant, "c-insp", ("inspector", "ZZ2")))
    assert list(before["overdue"]) == [False] and list(after["overdue"]) == [True]
    assert outside.empty


def test_reverification_is_scoped_and_closes_or_reopens(engine, cycle, world):
    later = date.today() + timedelta(days=30)
    with transaction(engine) as session:
        notice = rectification_service.issue_notice(session, world["chief"], cycle_id=cycle.id, org_code="C", problem="台账不全",
                                         deadline=later)
        rectification_service.respond(session, tenant_id=cycle.tenant_id, notice_no=notice.notice_no, response="已补齐",
                               actor="sec")
    with transaction(engine) as session, pytest.raises(Forbidden):
        rectification_service.reverify(session, world["inspector"], notice_no=notice.notice_no, passed=True, note="好")
    with transaction(engine) as session, pytest.raises(NotFound):
        rectification_service.reverify(session, world["inspector"], notice_no="ZG2026-99999", passed=True, note="好")
    with transaction(engine) as session:
        reopened = rectification_service.reverify(session, world["chief"], notice_no=notice.notice_no, passed=False,
                                       note="仍不全", new_deadline=later + timedelta(days=5))
    assert (reopened.status, reopened.verifier) == ("reopened", "chief")
    with engine.connect() as conn:
        shown = rectification_queries.read_notices(conn, world["chief"], cycle_id=cycle.id, status="reopened")
    assert list(shown["notice_no"]) == [notice.notice_no]


def test_another_tenant_sees_and_touches_nothing_of_this_one(engine, registry, cycle, world):
    finding = _record(engine, world["inspector"], cycle)
    with transaction(engine) as session:
        rectification_service.issue_notice(session, world["inspector"], cycle_id=cycle.id, finding_id=finding.id,
                                deadline=TODAY + timedelta(days=5), today=TODAY)
    other = factories.tenant(engine, registry, code="other")
    other_cycle = factories.cycle(engine, registry, other)
    people.tree(engine, other)  # the same codes in another tenant
    stranger = people.person(engine, other, "stranger", ("inspector", "DW"))
    with engine.connect() as conn:
        assert rectification_queries.read_notices(conn, stranger).empty
        assert inspection.read_findings(conn, stranger, cycle_id=other_cycle.id).empty
        with pytest.raises(NotFound):
            inspection.read_findings(conn, stranger, cycle_id=cycle.id)
    with transaction(engine) as session:
        with pytest.raises(NotFound):
            rectification_service.issue_notice(session, stranger, cycle_id=other_cycle.id, finding_id=finding.id,
                                    deadline=TODAY + timedelta(days=5), today=TODAY)
    with pytest.raises(NotFound):
        _record(engine, stranger, cycle)
    mine = _record(engine, stranger, other_cycle)  # "A" is the other tenant's own A
    assert mine.org_id == people.get_org(engine, other, "A").id != world["ids"]["A"]


def test_the_form_offers_only_the_indicators_that_take_findings(engine, registry, cycle, world):
    with engine.connect() as conn:
        every = inspection.scheme_indicators(conn, world["inspector"], cycle_id=cycle.id)
        offered = inspection.scheme_indicators(conn, world["inspector"], cycle_id=cycle.id, registry=registry)
    assert set(offered["rule"]) == {"finding_deduction", "veto_on_finding"} < set(every["rule"])
    assert list(offered["code"]) == ["B1-V", "B3-V", "B3-2", "B6-V", "B6-1"]


def test_no_finding_is_recorded_once_the_year_is_published(engine, registry, cycle, world):
    from bastion.core import scoring

    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with pytest.raises(Conflict, match="日期：2026 年度考核结果已在审核或已发布：该年度检查发现已关闭"):
        _record(engine, world["inspector"], cycle)
