"""A notice's life after it is issued: answered, re-verified failed (reopened), answered again, verified."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import AuditEvent, Rectification, Tenant
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.core.stages import service as stages
from tests import factories


def test_answer_reverify_reopen_and_close_a_notice(engine, registry, tenant, cycle, tmp_path):
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    number = factories.issued_notice(engine, registry, tenant, cycle, ids["A"], tmp_path)
    with engine.connect() as conn:
        notice = rectification_queries.read_notices(conn, tenant.id).iloc[0]
    assert (notice.notice_no, notice.code, notice.status) == (number, "A", "issued")
    assert notice.problem == "支部工作记录规范：支部工作记录不全" and notice.deadline == date(2026, 6, 2)

    with transaction(engine) as session:
        with pytest.raises(Conflict, match="只有已反馈的整改通知书才能复验"):
            rectification_service.verify(session, tenant_id=tenant.id, notice_no=number, passed=True, note="", verifier="x")
        rectification_service.respond(session, tenant_id=tenant.id, notice_no=number, response="已补齐记录", actor="A书记")
        with pytest.raises(BastionError, match="请给出一个将来的新整改期限"):
            rectification_service.verify(session, tenant_id=tenant.id, notice_no=number, passed=False, note="", verifier="x")
        later = date.today() + timedelta(days=30)
        reopened = rectification_service.verify(session, tenant_id=tenant.id, notice_no=number, passed=False,
                                         note="仍缺两次支委会记录", verifier="督查组", new_deadline=later)
        assert (reopened.status, reopened.deadline) == ("reopened", later)
        rectification_service.respond(session, tenant_id=tenant.id, notice_no=number, response="已全部补齐", actor="A书记")
        closed = rectification_service.verify(session, tenant_id=tenant.id, notice_no=number, passed=True, note="复验通过",
                                       verifier="督查组")
        assert closed.status == "verified"
        with pytest.raises(Conflict, match="状态为“复验通过”"):
            rectification_service.respond(session, tenant_id=tenant.id, notice_no=number, response="再次", actor="A书记")
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "rectification")).all()
    assert actions == ["issue", "respond", "verify", "respond", "verify"]  # the stage audits what it issues
    with engine.connect() as conn:
        assert rectification_queries.read_notices(conn, tenant.id, status="issued").empty


def test_overdue_is_one_rule_the_stage_the_lists_and_the_dashboard_agree(engine, registry, tenant, cycle, tmp_path):
    """A reported disagreement: the dashboard's 逾期整改 counted notices already answered, which the stage
    treats as "to re-verify". Every reader now counts by the one rule."""
    from bastion.core import dashboard, users

    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "车间"})
    today = date(2026, 9, 1)
    past, future = today - timedelta(days=3), today + timedelta(days=3)
    cases = {  # status, deadline → overdue by the rule?
        "ZG-1": ("issued", past, True), "ZG-2": ("reopened", past, True), "ZG-3": ("overdue", past, True),
        "ZG-4": ("responded", past, False), "ZG-5": ("verified", past, False), "ZG-6": ("issued", future, False),
    }
    with transaction(engine) as session:
        for number, (status, deadline, _) in cases.items():
            session.add(Rectification(tenant_id=tenant.id, cycle_id=cycle.id, org_id=ids["A"], notice_no=number,
                                      problem="问题", issued_at=date(2026, 6, 1), deadline=deadline, status=status))
        users.create_user(session, tenant=session.get(Tenant, tenant.id), username="boss",
                          password="long-enough-pw-1", grants=[("admin", None)], actor="t")
    expected = {number for number, (_, _, late) in cases.items() if late}
    assert {n for n, (s, d, _) in cases.items() if rectification_service.is_overdue(s, d, today)} == expected

    with engine.connect() as conn:
        listed = rectification_queries.read_notices(conn, tenant.id, today=today)
        with Session(engine) as session:
            boss = users.principal_of(session, users.find_user(session, tenant.id, "boss"))
        head = dashboard.headline(conn, boss, cycle_id=cycle.id, period="2026", unqualified_grade="不合格",
                                  today=today)
    assert set(listed.loc[listed["overdue"], "notice_no"]) == expected
    assert (head.open_notices, head.overdue_notices) == (5, len(expected))

    ctx = stages.StageContext(engine, registry, tmp_path, "督查组")
    run = stages.run_stage(ctx, cycle, "rectification", on=today)
    with Session(engine) as session:
        marked = {n.notice_no for n in session.exec(select(Rectification)).all() if n.status == "overdue"}
    assert marked == expected and set(run.detail["overdue"]) == expected - {"ZG-3"}
    assert run.detail["to_reverify"] == ["ZG-4"]
