"""The ``bastion-notify`` flow, run through Prefect: what the day brings is planned and delivered to the inbox, once;
run again, it sends nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from bastion.core import db
from bastion.core.db import transaction
from bastion.core.models import Notification, Rectification
from bastion.core.registry import default_registry
from tests import factories
from tests.core import people


def test_the_notify_flow_delivers_the_day_s_reminders_once(flow_home):
    from bastion.flows.notify import notify_flow

    engine = db.connect()
    try:
        tenant = factories.tenant(engine, default_registry())
        ids = people.tree(engine, tenant)
        people.person(engine, tenant, "sec", ("secretary", "A"))
        deadline = date(2026, 12, 20)
        with transaction(engine) as session:
            session.add(Rectification(tenant_id=tenant.id, org_id=ids["A"], notice_no="ZG-9", problem="记录不全",
                                      issued_at=deadline - timedelta(days=20), deadline=deadline))
        first = notify_flow(tenant.code, now="2026-12-17T10:00:00+08:00")
        again = notify_flow(tenant.code, now="2026-12-17T10:05:00+08:00")
        with Session(engine) as session:
            (row,) = session.exec(select(Notification)).all()
    finally:
        engine.dispose()
    assert (first["planned"], first["sent"]) == (1, 1) and (again["planned"], again["sent"]) == (0, 0)
    assert row.state == "sent" and row.title == "整改期限提醒：ZG-9"
