"""What pages and commands read of rectification notices: one reader, scoped to who asks."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Connection, case, func, select

from ..access import Action, Forbidden, Principal, allows, require, visible
from ..frames import read_frame
from ..i18n import tr
from ..models import Organization, Rectification, code_is
from .service import AWAITING_ANSWER, OPEN, overdue_clause

COLUMNS = ["notice_no", "code", "name", "problem", "requirement", "issued_at", "deadline", "status", "overdue",
           "response", "responded_at", "verifier", "verification_note", "finding_id"]


def read_notices(conn: Connection, viewer: Principal | int, *, org_id: int | None = None,
                 org_code: str | None = None, cycle_id: int | None = None, status: str | tuple[str, ...] | None = None,
                 today: date | None = None) -> pd.DataFrame:
    """Notices — those awaiting an answer first, then by deadline — with ``overdue`` by the rule.

    ``viewer`` is a :class:`Principal` (the UI), who reads only what it may: one branch's notices
    if it may answer or inspect them (``org_id``), else those of the organisations it inspects; or a
    tenant's id (the CLI, run by the operator on the server), for the whole tenant.
    """
    principal = viewer if isinstance(viewer, Principal) else None
    tenant_id = viewer.tenant_id if principal is not None else viewer
    r, o = Rectification.__table__.c, Organization.__table__.c
    today = today or date.today()
    late = case((overdue_clause(today), True), else_=False).label("overdue")
    query = (select(r.notice_no, o.code, o.name, r.problem, r.requirement, r.issued_at, r.deadline, r.status, late,
                    r.response, r.responded_at, r.verifier, r.verification_note, r.finding_id)
             .join_from(Rectification.__table__, Organization.__table__, r.org_id == o.id)
             .where(r.tenant_id == tenant_id)
             .order_by(r.status.not_in(AWAITING_ANSWER), r.deadline, r.notice_no))
    if principal is not None:
        if org_id is not None:
            if not (allows(conn, principal, Action.answer_notice, org_id)
                    or allows(conn, principal, Action.inspect, org_id)):
                raise Forbidden(tr(f"{principal.username} 无权查看组织 {org_id} 的整改通知书",
                                   f"{principal.username} may not read the notices of organisation {org_id}"))
        else:
            require(conn, principal, Action.inspect)
            query = query.where(visible(conn, principal, Action.inspect, r.org_id))
    if org_id is not None:
        query = query.where(r.org_id == org_id)
    if org_code is not None:
        query = query.where(code_is(o.code, org_code))
    if cycle_id is not None:
        query = query.where(r.cycle_id == cycle_id)
    if status is not None:
        query = query.where(r.status.in_((status,) if isinstance(status, str) else status))
    frame = read_frame(query, conn)
    frame["overdue"] = frame["overdue"].astype(bool)
    return frame[COLUMNS]


def count_notices(conn: Connection, *, tenant_id: int, cycle_id: int, today: date,
                  where: ColumnElement[bool] | None = None) -> tuple[int, int]:
    """How many of the cycle's notices (``where`` they match) are open (未销号), and how many of those are
    overdue (逾期), by the rules of :mod:`.service`."""
    r = Rectification.__table__.c
    query = select(func.count(), func.coalesce(func.sum(case((overdue_clause(today), 1), else_=0)), 0)).where(
        r.tenant_id == tenant_id, r.cycle_id == cycle_id, r.status.in_(OPEN))
    if where is not None:
        query = query.where(where)
    total, late = conn.execute(query).one()
    return int(total), int(late)
