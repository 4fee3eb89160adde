"""What the leaders' dashboard (领导驾驶舱) shows, aggregated in the database and scoped to the principal.

Every function takes the :class:`~bastion.core.access.Principal` and sees only the organisations
its roles reach; results before publication only for those who may see drafts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, case, func, select

from .access import Action, Principal, require, visible
from .models import Evaluation, EvaluationStatus, Rectification, RectificationStatus

OPEN_NOTICES = (RectificationStatus.issued.value, RectificationStatus.responded.value,
                RectificationStatus.reopened.value, RectificationStatus.overdue.value)


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the dashboard for one period."""

    branches: int
    average: float | None
    advanced: int
    unqualified: int
    open_notices: int
    overdue_notices: int


def _evaluations(conn: Connection, principal: Principal, cycle_id: int, period: str):
    e = Evaluation.__table__.c
    where = [e.tenant_id == principal.tenant_id, e.cycle_id == cycle_id, e.period == period,
             visible(conn, principal, Action.view_results, e.org_id)]
    if not principal.may(Action.view_drafts):
        where.append(e.status == EvaluationStatus.published.value)
    return where


def _count(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def headline(conn: Connection, principal: Principal, *, cycle_id: int, period: str, unqualified_grade: str,
             today: date | None = None) -> Headline:
    """Branches, their average, how many may be named advanced, how many are unqualified (vetoed or graded
    ``unqualified_grade``), and the cycle's open and overdue rectification notices."""
    require(conn, principal, Action.view_results)
    e, r = Evaluation.__table__.c, Rectification.__table__.c
    row = conn.execute(select(func.count(), func.avg(e.total), _count(e.advanced_eligible),
                              _count(e.vetoed | (e.grade == unqualified_grade)))
                       .where(*_evaluations(conn, principal, cycle_id, period))).one()
    today = today or date.today()
    notices = conn.execute(select(func.count(), _count(r.deadline < today))
                           .where(r.tenant_id == principal.tenant_id, r.cycle_id == cycle_id,
                                  r.status.in_(OPEN_NOTICES), visible(conn, principal, Action.view_results, r.org_id))
                           ).one()
    return Headline(branches=int(row[0]), average=None if row[1] is None else round(float(row[1]), 2),
                    advanced=int(row[2]), unqualified=int(row[3]), open_notices=int(notices[0]),
                    overdue_notices=int(notices[1]))
