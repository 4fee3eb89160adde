"""Graded leader review (分级点评) stored per organisation and period, with its audit event."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bastion.core import reviews
from bastion.core.db import transaction
from bastion.core.engine import Period
from bastion.core.errors import BastionError
from bastion.core.models import AuditEvent
from tests import factories


def test_reviews_are_kept_per_period_and_audited(engine, tenant, cycle):
    factories.org_tree(engine, tenant, {"A": "机关", "B": "离退休"})
    with transaction(engine) as session:
        reviews.add_review(session, cycle=cycle, org_code="ZZ1", period=Period.parse("2026-H1"), reviewer="党委书记",
                           achievements="组织有力", problems="", direction="抓好下半年", actor="admin")
        reviews.add_review(session, cycle=cycle, org_code="A", period=Period.parse("2026"), reviewer="总支书记",
                           achievements="", problems="台账不全", direction="", actor="admin")
    with engine.connect() as conn:
        half = reviews.read_reviews(conn, cycle.id, "2026-H1")
        every = reviews.read_reviews(conn, cycle.id)
    assert list(half["code"]) == ["ZZ1"] and half["level"].item() == "general_branch"
    assert list(every["code"]) == ["ZZ1", "A"] and list(every["problems"]) == ["", "台账不全"]
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()) == 2


def test_a_review_outside_the_cycle_or_without_content_is_refused(engine, tenant, cycle):
    factories.org_tree(engine, tenant, {"A": "机关"})
    with transaction(engine) as session:
        with pytest.raises(BastionError, match="不在 2026 考核年度内"):
            reviews.add_review(session, cycle=cycle, org_code="A", period=Period.parse("2025"), reviewer="x",
                               achievements="好", problems="", direction="", actor="admin")
        with pytest.raises(BastionError, match="点评须写明点评人姓名"):
            reviews.add_review(session, cycle=cycle, org_code="A", period=Period.parse("2026"), reviewer=" ",
                               achievements="好", problems="", direction="", actor="admin")
