"""A notice's life after it is issued: answered, re-verified failed (reopened), answered again, verified."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import rectifications, stages
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import AuditEvent, Check, Finding
from tests import factories


def test_answer_reverify_reopen_and_close_a_notice(engine, registry, tenant, cycle, tmp_path):
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    with transaction(engine) as session:
        check = Check(tenant_id=tenant.id, org_id=ids["A"], kind="covert", date=date(2026, 5, 1), inspector="督查组")
        session.add(check)
        session.flush()
        session.add(Finding(tenant_id=tenant.id, check_id=check.id, org_id=ids["A"], date=date(2026, 5, 1),
                            indicator_code="B6-1", description="支部工作记录不全"))
    ctx = stages.StageContext(engine, registry, tmp_path, "督查组")
    (number,) = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 5, 3)).detail["issued"]
    with engine.connect() as conn:
        notice = rectifications.read_notices(conn, tenant.id).iloc[0]
    assert (notice.notice_no, notice.code, notice.status) == (number, "A", "issued")
    assert notice.problem == "支部工作记录规范：支部工作记录不全" and notice.deadline == date(2026, 6, 2)

    with transaction(engine) as session:
        with pytest.raises(Conflict, match="只有已反馈的整改通知书才能复验"):
            rectifications.verify(session, tenant_id=tenant.id, notice_no=number, passed=True, note="", verifier="x")
        rectifications.respond(session, tenant_id=tenant.id, notice_no=number, response="已补齐记录", actor="A书记")
        with pytest.raises(BastionError, match="请给出一个将来的新整改期限"):
            rectifications.verify(session, tenant_id=tenant.id, notice_no=number, passed=False, note="", verifier="x")
        later = date.today() + timedelta(days=30)
        reopened = rectifications.verify(session, tenant_id=tenant.id, notice_no=number, passed=False,
                                         note="仍缺两次支委会记录", verifier="督查组", new_deadline=later)
        assert (reopened.status, reopened.deadline) == ("reopened", later)
        rectifications.respond(session, tenant_id=tenant.id, notice_no=number, response="已全部补齐", actor="A书记")
        closed = rectifications.verify(session, tenant_id=tenant.id, notice_no=number, passed=True, note="复验通过",
                                       verifier="督查组")
        assert closed.status == "verified"
        with pytest.raises(Conflict, match="状态为“复验通过”"):
            rectifications.respond(session, tenant_id=tenant.id, notice_no=number, response="再次", actor="A书记")
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "rectification")).all()
    assert actions == ["respond", "verify", "respond", "verify"]
    with engine.connect() as conn:
        assert rectifications.read_notices(conn, tenant.id, status="issued").empty
