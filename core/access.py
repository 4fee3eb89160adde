"""Who may see and do what (权限): a principal's roles, each on the subtree of one organisation.

A :class:`Principal` is what a login yields. Every query and write that the UI uses takes one and
is scoped here, in core, not by hiding pages: a role granted on an organisation reaches that
organisation and everything under it, and never another tenant. :class:`Action` names what is
being done and which roles may do it; :func:`require` refuses with :class:`Forbidden`, and
:func:`visible` narrows a query to the organisations a principal may see.

A principal is a snapshot: the UI reads it again on every run (``core.sessions.resume``), the
CLI's ``--as`` when a command starts, and :func:`require` once more inside every write transaction
(:func:`current_principal`), so a user deactivated or a grant revoked meanwhile writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Select, false, select

from sqlmodel import Session
from sqlmodel import select as select_model

from .db import writing
from .errors import BastionError, NotFound
from .i18n import tr
from .models import Cycle, Grant, Organization, Role, User, code_is
from .words import ACCESS_ACTION, ROLE, word


T = TypeVar("T")


class Forbidden(BastionError):
    """The principal may not do this, or not to this organisation."""


class Action(StrEnum):
    view_results = "view_results"  # rankings, explanations, the dashboard
    view_drafts = "view_drafts"  # results before publication
    review = "review"  # 分级点评 and confirming the annual results
    record_ledger = "record_ledger"  # 台账 and evidence
    self_assess = "self_assess"  # 自评
    answer_notice = "answer_notice"  # 整改反馈
    inspect = "inspect"  # checks, findings, notices, 复验
    administer = "administer"  # organisations, users, plugins, cycles, schedules
    read_audit = "read_audit"  # the audit trail (审计日志), read only: nobody edits it
    view_members = "view_members"  # the register (党员名册); personal data as core.members.privacy says
    appeal = "appeal"  # 申诉: a branch objects to a line of its published result (the office decides: administer)


ROLES_FOR: dict[Action, frozenset[Role]] = {
    Action.view_results: frozenset({Role.admin, Role.leader, Role.inspector, Role.secretary}),
    Action.view_drafts: frozenset({Role.admin, Role.leader}),
    Action.review: frozenset({Role.leader}),
    Action.record_ledger: frozenset({Role.admin, Role.secretary}),
    Action.self_assess: frozenset({Role.secretary}),
    Action.answer_notice: frozenset({Role.admin, Role.secretary}),
    Action.inspect: frozenset({Role.admin, Role.inspector}),
    Action.administer: frozenset({Role.admin}),
    Action.read_audit: frozenset({Role.auditor, Role.admin}),
    Action.view_members: frozenset({Role.admin, Role.secretary}),
    Action.appeal: frozenset({Role.secretary}),
}


@dataclass(frozen=True)
class Principal:
    """A logged-in user: their tenant and their grants, as ``(role, org_id)`` pairs."""

    user_id: int
    username: str
    display_name: str
    tenant_id: int
    grants: tuple[tuple[str, int], ...]

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _ in self.grants)

    def may(self, action: Action) -> bool:
        """Whether any of the principal's roles allows ``action`` somewhere."""
        return any(role in ROLES_FOR[action] for role in self.roles)

    def roots(self, action: Action) -> tuple[int, ...]:
        """The organisations whose subtrees ``action`` reaches."""
        return tuple(sorted({org for role, org in self.grants if role in ROLES_FOR[action]}))


# Argon2id at the configuration OWASP's Password Storage Cheat Sheet recommends as its minimum: 19 MiB of
# memory, 2 passes, 1 lane (about 20 ms on a 2-core server, against 120-300 ms for argon2-cffi's default,
# RFC 9106's low-memory profile of 64 MiB, 3 passes, 4 lanes). A guess costs an attacker with the stolen
# table that much memory and time on any hardware; online guessing is capped by the lockout anyway
# (``users.authenticate``); the login is on the way to the first page a person sees. OWASP's equivalent
# settings are :data:`OWASP_MINIMUM`; a test keeps the hasher at one of them or stronger.
PASSWORD_HASHING = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
OWASP_MINIMUM = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))  # (memory in KiB, passes)
_hasher = PasswordHasher(**PASSWORD_HASHING)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_needs_rehash(stored_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than today's (it is redone at the next login)."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def subtree(tenant_id: int, roots: Iterable[int]) -> Select:
    """The ids of ``roots`` (organisations of ``tenant_id``) and of everything under them, in SQL."""
    o = Organization.__table__
    tree = select(o.c.id).where(o.c.tenant_id == tenant_id, o.c.id.in_(list(roots))).cte("scope", recursive=True)
    child = o.alias("child")
    tree = tree.union_all(select(child.c.id).where(child.c.parent_id == tree.c.id))
    return select(tree.c.id)


def covers_tenant(conn: Connection, tenant_id: int, roots: tuple[int, ...]) -> bool:
    """Whether ``roots`` include every top organisation of the tenant (one without a parent)."""
    o = Organization.__table__.c
    tops = set(conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.parent_id.is_(None))).scalars())
    return bool(tops) and tops <= set(roots)


def visible(conn: Connection, principal: Principal, action: Action, org_column: ColumnElement) -> ColumnElement:
    """A condition on ``org_column`` keeping the organisations ``principal`` may ``action`` on.

    Grants on every top organisation (committees without a parent) cover the whole tenant; the
    query then needs no tree walk. The caller still filters on the tenant.
    """
    roots = principal.roots(action)
    if not roots:
        return false()
    if covers_tenant(conn, principal.tenant_id, roots):
        return org_column.in_(select(Organization.__table__.c.id)
                              .where(Organization.__table__.c.tenant_id == principal.tenant_id))
    return org_column.in_(subtree(principal.tenant_id, roots))


def allows(conn: Connection, principal: Principal, action: Action, org_id: int) -> bool:
    o = Organization.__table__.c
    query = select(o.id).where(o.id == org_id, o.tenant_id == principal.tenant_id,
                               visible(conn, principal, action, o.id))
    return conn.execute(query).first() is not None


def current_principal(conn: Connection, principal: Principal) -> Principal:
    """``principal`` as the database has it now: refused unless the user is still active in their tenant, and
    keeping only the grants the user still holds (a principal narrowed on purpose stays narrowed)."""
    u, g = User.__table__.c, Grant.__table__.c
    rows = conn.execute(select(u.active, u.tenant_id, g.role, g.org_id)
                        .join_from(User.__table__, Grant.__table__, g.user_id == u.id, isouter=True)
                        .where(u.id == principal.user_id)).all()
    if not rows or not rows[0].active or rows[0].tenant_id != principal.tenant_id:
        raise Forbidden(tr(f"{principal.username} 的账号已停用，不能再操作",
                           f"{principal.username}'s account is deactivated: it can do nothing more"))
    held = {(row.role, row.org_id) for row in rows if row.role is not None}
    grants = tuple(grant for grant in principal.grants if grant in held)
    return principal if grants == principal.grants else replace(principal, grants=grants)


def require(conn: Connection, principal: Principal, action: Action, org_id: int | None = None) -> None:
    """Refuse unless ``principal`` may ``action`` (on ``org_id``, when given).

    In a write transaction (``db.transaction``, ``db.begin``) the principal is read again first
    (:func:`current_principal`): what the write relies on is the user's state now, not at login.
    """
    if writing(conn):
        principal = current_principal(conn, principal)
    if not principal.may(action):
        roles = sorted(principal.roles)
        named = "、".join(word(ROLE, r) for r in roles) or "无"
        raise Forbidden(tr(f"{principal.username} 无权{word(ACCESS_ACTION, action.value)}（角色：{named}）",
                           f"{principal.username} may not {action.value.replace('_', ' ')} "
                           f"(roles: {', '.join(roles) or 'none'})"))
    if org_id is not None and not allows(conn, principal, action, org_id):
        raise Forbidden(tr(f"{principal.username} 无权对组织 {org_id} {word(ACCESS_ACTION, action.value)}：该组织不在授予其的组织范围内",
                           f"{principal.username} may not {action.value.replace('_', ' ')} for organisation {org_id}: "
                           "it is outside the organisations granted to them"))


def require_whole_tenant(conn: Connection, principal: Principal, action: Action, needs: tuple[str, str]) -> None:
    """Refuse unless ``principal`` may ``action`` on the whole tenant (every top organisation of it): what
    touches any organisation at once (an import, the audit trail) needs it. ``needs`` says, in Chinese and
    English, who the operation needs, for the refusal."""
    require(conn, principal, action)
    if not covers_tenant(conn, principal.tenant_id, principal.roots(action)):
        raise Forbidden(tr(f"{principal.username} 的授权只覆盖本单位的一部分：{needs[0]}",
                           f"{principal.username} holds roles on part of the tenant only: {needs[1]}"))


def org_by_code(session: Session, principal: Principal, action: Action, code: str,
                what: tuple[str, str] = ("组织", "organisation")) -> Organization:
    """The organisation ``code`` of the principal's tenant, refused unless ``action`` reaches it.

    ``what`` names the field in the message, in Chinese and English (``parent: no organisation 'X' in this tenant``).
    """
    org = session.exec(select_model(Organization).where(Organization.tenant_id == principal.tenant_id,
                                                        code_is(Organization.code, code))).first()
    if org is None:
        raise NotFound(tr(f"{what[0]}：本单位没有组织 {code!r}", f"{what[1]}: no organisation {code!r} in this tenant"))
    require(session.connection(), principal, action, org.id)
    return org


def tenant_cycle(session: Session, principal: Principal, cycle_id: int) -> Cycle:
    """The cycle ``cycle_id`` if it is the principal's tenant's."""
    cycle = session.get(Cycle, cycle_id)
    if cycle is None or cycle.tenant_id != principal.tenant_id:
        raise NotFound(tr(f"考核年度：本单位没有考核年度 #{cycle_id}", f"cycle: no assessment cycle #{cycle_id} in this tenant"))
    return cycle


def org_row(session: Session, principal: Principal, action: Action, model: type[T], row_id: int,
            what: tuple[str, str]) -> T:
    """Row ``row_id`` of ``model`` (a table with ``tenant_id`` and ``org_id``) if it is the principal's tenant's
    and ``action`` reaches its organisation; ``what`` names it in the message, in Chinese and English."""
    row = session.get(model, row_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise NotFound(tr(f"{what[0]}：本单位没有{what[0]} #{row_id}", f"{what[1]}: no {what[1]} #{row_id} in this tenant"))
    require(session.connection(), principal, action, row.org_id)
    return row
