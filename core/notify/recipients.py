"""Who a notification goes to (收件人): an organisation's secretary, the office over an organisation, the leaders,
a user — the active users holding those roles, with their e-mail address and language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ..models import Grant, Organization, Role, User


@dataclass(frozen=True)
class Person:
    user_id: int
    username: str
    display_name: str
    email: str | None
    locale: str


def _people(conn: Connection, tenant_id: int, *conditions) -> list[tuple[int, Person]]:
    """``(org_id, person)`` for each active user of the tenant with a grant matching ``conditions``."""
    u, g = User.__table__.c, Grant.__table__.c
    rows = conn.execute(select(g.org_id, u.id, u.username, u.display_name, u.email, u.locale)
                        .join_from(Grant.__table__, User.__table__, u.id == g.user_id)
                        .where(u.tenant_id == tenant_id, u.active.is_(True), *conditions)
                        .order_by(u.id)).all()
    return [(r.org_id, Person(r.id, r.username, r.display_name or r.username, r.email, r.locale or "zh"))
            for r in rows]


def secretaries(conn: Connection, tenant_id: int, org_ids: list[int]) -> dict[int, list[Person]]:
    """Each organisation's secretaries: the users with the secretary role granted on it."""
    g = Grant.__table__.c
    wanted = set(org_ids)  # narrowed here, not listed in SQL: a tenant's branches can be more than a query may bind
    found: dict[int, list[Person]] = {}
    for org_id, person in _people(conn, tenant_id, g.role == Role.secretary.value):
        if org_id in wanted:
            found.setdefault(org_id, []).append(person)
    return found


def admins_on(conn: Connection, tenant_id: int, org_ids: list[int]) -> dict[int, list[Person]]:
    """Each organisation's administrators (its office): the users with the admin role granted on it."""
    g = Grant.__table__.c
    found: dict[int, list[Person]] = {}
    for org_id, person in _people(conn, tenant_id, g.role == Role.admin.value, g.org_id.in_(org_ids)):
        found.setdefault(org_id, []).append(person)
    return found


def user(conn: Connection, tenant_id: int, username: str) -> Person | None:
    u = User.__table__.c
    row = conn.execute(select(u.id, u.username, u.display_name, u.email, u.locale)
                       .where(u.tenant_id == tenant_id, u.username == username, u.active.is_(True))).first()
    return None if row is None else Person(row.id, row.username, row.display_name or row.username, row.email,
                                           row.locale or "zh")


def leaders(conn: Connection, tenant_id: int) -> list[Person]:
    """The tenant's leaders (any grant of the leader role), once each."""
    g = Grant.__table__.c
    return list({p.user_id: p for _, p in _people(conn, tenant_id, g.role == Role.leader.value)}.values())


class Offices:
    """The office above each organisation: the administrators granted on its nearest superior organisation that has
    any (escalation goes one level up: a branch's notice to its general branch's office, else the committee's).
    The tree and the administrators' grants are read once, for every organisation asked about."""

    def __init__(self, conn: Connection, tenant_id: int) -> None:
        o, g = Organization.__table__.c, Grant.__table__.c
        self.parents = dict(conn.execute(select(o.id, o.parent_id).where(o.tenant_id == tenant_id)).all())
        self.admins: dict[int, list[Person]] = {}
        for held, person in _people(conn, tenant_id, g.role == Role.admin.value):
            self.admins.setdefault(held, []).append(person)

    def over(self, org_id: int) -> list[Person]:
        seen: set[int] = set()
        current = self.parents.get(org_id)
        while current is not None and current not in seen:
            if current in self.admins:
                return self.admins[current]
            seen.add(current)
            current = self.parents.get(current)
        return []
