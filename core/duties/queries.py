"""Duties and responsibility lists, read: a branch's duties with their fulfilments, a unit's list with its ticks,
for one who may read the unit's ledgers (its secretary, an administrator over it)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, func, or_, select

from ..access import Action, Principal, require
from ..models import DutyRecord, Member, MemberDuty, ResponsibilityItem, ResponsibilityTick

DUTY_COLUMNS = ["id", "member_code", "member_name", "kind", "text", "active", "fulfilled", "last"]
ITEM_COLUMNS = ["id", "position", "text", "active", "ticks", "last", "evidence"]


def list_sizes(conn: Connection, tenant_id: int, year: int, *, until: datetime | None = None) -> pd.DataFrame:
    """How many items each unit's responsibility list of ``year`` holds (``org_id, list_items``) — on the list at
    ``until`` (a closed period's frozen inputs), else now."""
    i = ResponsibilityItem.__table__.c
    on = [i.tenant_id == tenant_id, i.year == year]
    if until is None:
        on.append(i.active.is_(True))
    else:
        on += [i.created_at <= until, or_(i.removed_at.is_(None), i.removed_at > until)]
    found = pd.read_sql(select(i.org_id, func.count().label("list_items")).where(*on).group_by(i.org_id), conn)
    return found.astype({"org_id": "int64", "list_items": "int64"})


def duties_of(conn: Connection, principal: Principal, org_id: int, year: int) -> pd.DataFrame:
    """The branch's duties of ``year``, by member: how many times each was fulfilled in the year, and last when."""
    require(conn, principal, Action.record_ledger, org_id)
    d, m, r = MemberDuty.__table__.c, Member.__table__.c, DutyRecord.__table__.c
    records = (select(r.duty_id, func.count().label("fulfilled"), func.max(r.date).label("last"))
               .where(r.org_id == org_id, r.date >= date(year, 1, 1), r.date <= date(year, 12, 31))
               .group_by(r.duty_id).subquery())
    query = (select(d.id, m.code.label("member_code"), m.name.label("member_name"), d.kind, d.text, d.active,
                    func.coalesce(records.c.fulfilled, 0).label("fulfilled"), records.c.last)
             .join(Member.__table__, m.id == d.member_id).outerjoin(records, records.c.duty_id == d.id)
             .where(d.tenant_id == principal.tenant_id, d.org_id == org_id, d.year == year)
             .order_by(m.code, d.id))
    return pd.read_sql(query, conn)[DUTY_COLUMNS]


def items_of(conn: Connection, principal: Principal, org_id: int, year: int) -> pd.DataFrame:
    """The unit's responsibility list of ``year``: each item, how many times it was ticked, the last tick's day and
    evidence."""
    require(conn, principal, Action.record_ledger, org_id)
    i, t = ResponsibilityItem.__table__.c, ResponsibilityTick.__table__.c
    latest = (select(t.item_id, func.count().label("ticks"), func.max(t.id).label("last_id"))
              .where(t.org_id == org_id, t.date >= date(year, 1, 1), t.date <= date(year, 12, 31))
              .group_by(t.item_id).subquery())
    last = ResponsibilityTick.__table__.alias("last")
    query = (select(i.id, i.position, i.text, i.active, func.coalesce(latest.c.ticks, 0).label("ticks"),
                    last.c.date.label("last"), last.c.evidence)
             .outerjoin(latest, latest.c.item_id == i.id).outerjoin(last, last.c.id == latest.c.last_id)
             .where(i.tenant_id == principal.tenant_id, i.org_id == org_id, i.year == year)
             .order_by(i.position, i.id))
    return pd.read_sql(query, conn)[ITEM_COLUMNS]
