"""Reading the register (党员名册): the members a principal may see, their personal data as the one rule shows it
(:mod:`.privacy`), a member's history of transfers, and who was a member of an organisation on a day."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import aliased

from ..access import Action, Principal, require, visible
from ..errors import NotFound
from ..i18n import tr
from ..models import Member, MemberTransfer, Organization, code_is
from ..words import GENDER, MEMBER_STATUS, word
from .privacy import shown, view_for

MEMBER_COLUMNS = ["code", "name", "gender", "birth_date", "joined_on", "status", "post", "phone", "org_code",
                  "org_name", "active", "left_on"]
HISTORY_COLUMNS = ["moved_on", "from_code", "from_name", "to_code", "to_name", "note", "actor", "recorded_at"]


def read_members(conn: Connection, principal: Principal, *, org_code: str | None = None, include_left: bool = False,
                 export: bool = False) -> pd.DataFrame:
    """The members the principal may see (``Action.view_members``), of ``org_code`` and the organisations under it
    when given, in organisation and number order — personal data as :mod:`.privacy` shows it to them (``export``:
    for a file). Columns :data:`MEMBER_COLUMNS`; ``gender`` and ``status`` as codes (:func:`labelled` words them)."""
    require(conn, principal, Action.view_members)
    m, o = Member.__table__.c, Organization.__table__.c
    query = (select(m.code, m.name, m.gender, m.birth_date, m.joined_on, m.status, m.post, m.phone,
                    o.code.label("org_code"), o.name.label("org_name"), m.active, m.left_on, m.org_id)
             .join_from(Member.__table__, Organization.__table__, o.id == m.org_id)
             .where(m.tenant_id == principal.tenant_id, visible(conn, principal, Action.view_members, m.org_id)))
    if org_code is not None:
        org = conn.execute(select(o.id).where(o.tenant_id == principal.tenant_id, code_is(o.code, org_code))).scalar()
        if org is None:
            raise NotFound(tr(f"组织：本单位没有组织 {org_code!r}", f"organisation: no organisation {org_code!r} in this tenant"))
        require(conn, principal, Action.view_members, org)
        query = query.where(or_(m.org_id == org, m.org_id.in_(select(o.id).where(o.parent_id == org))))
    if not include_left:
        query = query.where(m.active)
    frame = pd.read_sql(query.order_by(o.code, m.code), conn)
    if frame.empty:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    administered = set(conn.execute(select(o.id).where(o.tenant_id == principal.tenant_id,
                                                        visible(conn, principal, Action.administer, o.id))).scalars())
    views = pd.Series([view_for(administers=org_id in administered, export=export) for org_id in frame["org_id"]],
                      index=frame.index)
    frame["active"] = frame["active"].astype(bool)
    return shown(frame, views)[MEMBER_COLUMNS]


def labelled(members: pd.DataFrame) -> pd.DataFrame:
    """The register with gender and status in words (男, 正式党员), for a page or a file."""
    out = members.copy()
    out["gender"] = out["gender"].map(lambda g: word(GENDER, g))
    out["status"] = out["status"].map(lambda s: word(MEMBER_STATUS, s))
    return out


def member_history(conn: Connection, principal: Principal, code: str) -> pd.DataFrame:
    """A member's moves (组织关系转接) in order: onto the register, between organisations, off it. Columns
    :data:`HISTORY_COLUMNS`."""
    require(conn, principal, Action.view_members)
    m, t = Member.__table__.c, MemberTransfer.__table__.c
    found = conn.execute(select(m.id, m.org_id).where(m.tenant_id == principal.tenant_id, code_is(m.code, code))).first()
    if found is None:
        raise NotFound(tr(f"党员编号：本单位党员名册中没有 {code!r}", f"member number: no {code!r} on this tenant's register"))
    require(conn, principal, Action.view_members, found.org_id)
    source, target = aliased(Organization.__table__), aliased(Organization.__table__)
    query = (select(t.moved_on, source.c.code.label("from_code"), source.c.name.label("from_name"),
                    target.c.code.label("to_code"), target.c.name.label("to_name"), t.note, t.actor, t.recorded_at)
             .select_from(MemberTransfer.__table__)
             .join(source, source.c.id == t.from_org_id, isouter=True)
             .join(target, target.c.id == t.to_org_id, isouter=True)
             .where(t.member_id == found.id).order_by(t.moved_on, t.id))
    frame = pd.read_sql(query, conn)
    return frame.astype(object).where(frame.notna(), None)  # onto the register from none: None, not NaN


def _on_day(tenant_id: int, day: date):
    """The one definition of who was a member where on a day: the last move of each member on or before ``day``
    (by date, then by the order recorded) put them in its ``to_org_id`` — none when it took them off the register.
    A subquery of ``member_id, org_id`` (one sort of the moves, whatever the register's size)."""
    t = MemberTransfer.__table__.c
    latest = func.row_number().over(partition_by=t.member_id, order_by=(t.moved_on.desc(), t.id.desc()))
    moves = (select(t.member_id, t.to_org_id.label("org_id"), latest.label("latest"))
             .where(t.tenant_id == tenant_id, t.moved_on <= day).subquery())
    return (select(moves.c.member_id, moves.c.org_id)
            .where(moves.c.latest == 1, moves.c.org_id.is_not(None)).subquery())


def members_on(conn: Connection, tenant_id: int, org_ids: list[int] | None, day: date) -> pd.DataFrame:
    """Who was a member of each organisation of ``org_ids`` (None: of every organisation) on ``day``, by the
    register's history (:func:`_on_day`): columns ``member_id, org_id, status``."""
    on, m = _on_day(tenant_id, day), Member.__table__.c
    query = select(on.c.member_id, on.c.org_id, m.status).join(Member.__table__, m.id == on.c.member_id)
    if org_ids is not None:
        query = query.where(on.c.org_id.in_(org_ids))
    return pd.read_sql(query, conn)


def counts_on(conn: Connection, tenant_id: int, day: date) -> pd.Series:
    """How many were members of each organisation on ``day`` (by ``org_id``), counted in the database."""
    on = _on_day(tenant_id, day)
    query = select(on.c.org_id, func.count().label("members")).group_by(on.c.org_id)
    found = pd.read_sql(query, conn)
    return pd.Series(found["members"].to_numpy(), index=found["org_id"].to_numpy(), dtype="int64")
