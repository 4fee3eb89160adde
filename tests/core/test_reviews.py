"""Graded leader review (分级点评) stored per organisation and period, with its audit event."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bastion.core import reviews
from bastion.core.db import transaction
from bastion.core.engine import Period
from bastion.core.errors import BastionError
from bastion.core.access import Forbidden
from bastion.core.models import AuditEvent, ReviewComment
from tests import factories
from tests.core import people


def _leader(engine, tenant, name: str, org: str = "ZZ1"):
    return people.person(engine, tenant, name, ("leader", org))


def test_reviews_are_kept_per_period_in_the_leaders_name_and_audited(engine, tenant, cycle):
    factories.org_tree(engine, tenant, {"A": "机关", "B": "离退休"})
    leader = _leader(engine, tenant, "总支书记")
    secretary = people.person(engine, tenant, "a_secretary", ("secretary", "A"))
    with transaction(engine) as session:
        reviews.add_review(session, leader, cycle=cycle, org_code="ZZ1", period=Period.parse("2026-H1"),
                           achievements="组织有力", problems="", direction="抓好下半年")
        reviews.add_review(session, leader, cycle=cycle, org_code="A", period=Period.parse("2026"),
                           achievements="", problems="台账不全", direction="")
    with engine.connect() as conn:
        half = reviews.read_reviews(conn, cycle.id, "2026-H1")
        every = reviews.read_reviews(conn, cycle.id)
        seen_by_a = reviews.read_reviews(conn, cycle.id, viewer=secretary)
    assert list(half["code"]) == ["ZZ1"] and half["level"].item() == "general_branch"
    assert list(every["code"]) == ["ZZ1", "A"] and list(every["problems"]) == ["", "台账不全"]
    assert set(every["reviewer"]) == {"总支书记"}
    assert list(seen_by_a["code"]) == ["A"]  # a branch reads its own, not its general branch's
    with Session(engine) as session:
        stored = session.exec(select(ReviewComment)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()
    assert {r.reviewer_id for r in stored} == {leader.user_id}
    assert [e.actor for e in events] == ["总支书记", "总支书记"]


def test_a_leader_reviews_only_what_they_lead(engine, tenant, cycle):
    factories.org_tree(engine, tenant, {"A": "机关"})
    leader = _leader(engine, tenant, "other", org="A")
    secretary = people.person(engine, tenant, "sec", ("secretary", "A"))
    with transaction(engine) as session, pytest.raises(Forbidden):
        reviews.add_review(session, leader, cycle=cycle, org_code="ZZ1", period=Period.parse("2026"),
                           achievements="好", problems="", direction="")
    with transaction(engine) as session, pytest.raises(Forbidden):
        reviews.add_review(session, secretary, cycle=cycle, org_code="A", period=Period.parse("2026"),
                           achievements="好", problems="", direction="")


def test_a_review_outside_the_cycle_or_without_content_is_refused(engine, tenant, cycle):
    factories.org_tree(engine, tenant, {"A": "机关"})
    leader = _leader(engine, tenant, "leader")
    with transaction(engine) as session:
        with pytest.raises(BastionError, match="不在 2026 考核年度内"):
            reviews.add_review(session, leader, cycle=cycle, org_code="A", period=Period.parse("2025"),
                               achievements="好", problems="", direction="")
        with pytest.raises(BastionError, match="点评须至少写明成绩、问题或方向中的一项"):
            reviews.add_review(session, leader, cycle=cycle, org_code="A", period=Period.parse("2026"),
                               achievements=" ", problems="", direction="")
