"""Graded leader review (分级点评): leaders comment on an organisation's achievements, problems and direction.

Each level reviews the level below (一级抓一级、一级考一级): the committee reviews its general
branches, a general branch its branches. A review is recorded for a period of a cycle — usually
the half-year or the year, at a review meeting (点评专会) — by a leader over the organisation, in the
leader's own name (the user and the name then); the organisation reads it in its workspace, the
period's bulletin carries the period's reviews, and the assessment archive keeps them.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit
from .access import Action, Principal, require, visible
from .errors import BastionError, NotFound, refuse
from .frames import read_frame
from .i18n import tr
from .models import Cycle, Organization, ReviewComment, code_is
from .periods import Period, of_year
from .values import text_problems


def add_review(session: Session, principal: Principal, *, cycle: Cycle, org_code: str, period: Period,
               achievements: str, problems: str, direction: str) -> ReviewComment:
    """Record ``principal``'s review of one organisation they lead for a period of the cycle, in their own name."""
    of_year(period, cycle.year)
    if not any(text.strip() for text in (achievements, problems, direction)):
        raise BastionError(tr("点评须至少写明成绩、问题或方向中的一项",
                              "a review needs at least one of achievements (成绩), problems (问题) or direction (方向)"))
    refuse(text_problems(("achievements", ("成绩", "achievements"), achievements),
                         ("problems", ("问题", "problems"), problems),
                         ("direction", ("方向", "direction"), direction)))
    org = session.exec(select_model(Organization).where(Organization.tenant_id == cycle.tenant_id,
                                                  code_is(Organization.code, org_code))).first()
    if org is None:
        raise NotFound(tr(f"没有组织 {org_code!r}", f"no organisation {org_code!r}"))
    require(session.connection(), principal, Action.review, org.id)
    reviewer = principal.display_name.strip() or principal.username
    review = ReviewComment(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=org.id, period=period.key,
                           reviewer=reviewer, reviewer_id=principal.user_id, achievements=achievements.strip(),
                           problems=problems.strip(), direction=direction.strip())
    session.add(review)
    session.flush()
    audit.record(session, tenant_id=cycle.tenant_id, actor=principal.username, action="review", entity="organization",
                 entity_id=org.id, new={"period": period.key, "reviewer": reviewer, "review_id": review.id})
    return review


def read_reviews(conn: Connection, cycle_id: int, period: str | None = None, *, viewer: Principal | None = None,
                 org_id: int | None = None) -> pd.DataFrame:
    """A cycle's reviews (of one period, or all; of one organisation, or all), oldest first, with the organisations'
    codes and names; with ``viewer``, only of the organisations whose results they see (a branch sees its own)."""
    r, o = ReviewComment.__table__.c, Organization.__table__.c
    query = (select(r.id, r.period, r.org_id, o.code, o.name, o.level, r.reviewer, r.achievements, r.problems,
                    r.direction, r.created_at)
             .join_from(ReviewComment.__table__, Organization.__table__, r.org_id == o.id)
             .where(r.cycle_id == cycle_id).order_by(r.created_at, r.id))
    if period is not None:
        query = query.where(r.period == period)
    if org_id is not None:
        query = query.where(r.org_id == org_id)
    if viewer is not None:
        query = query.where(o.tenant_id == viewer.tenant_id, visible(conn, viewer, Action.view_results, r.org_id))
    return read_frame(query, conn)
