"""Administration (系统管理): users and their roles, plugins, cycles, the calendar, stage runs, the audit trail.

Every function takes the :class:`~bastion.core.access.Principal` first. An administrator manages the users
whose roles lie within their subtree (:func:`~bastion.core.users.require_admin_over`) and grants roles only
there; what concerns the whole tenant — its plugins, opening a cycle — needs an administrator of the whole
tenant (:func:`~bastion.core.organizations.require_tenant_admin`). The audit trail is read by an auditor
(审计管理员) or an administrator of the whole tenant (:func:`require_audit_reader`); nothing here or
anywhere edits it (the table refuses UPDATE and DELETE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, or_, select
from sqlmodel import Session

from . import audit, cycles, tenants, users
from .access import Action, Forbidden, Principal, org_by_code, require, require_whole_tenant, tenant_cycle
from .cycles import cycle_scheme
from .errors import BastionError
from .frames import read_frame
from .i18n import tr
from .importing import ORGANIZATIONS
from .models import AuditEvent, Cycle, Organization, Role, StageRun, Tenant, User
from .notify import outbox
from .notify import settings as notify_settings
from .organizations import require_tenant_admin
from .registry import Registry
from .stages import queries as stage_queries
from .words import (
    AUDIT_ACTION,
    AUDIT_DETAIL,
    AUDIT_ENTITY,
    CHECK_KIND,
    CHECK_STATUS,
    CONTRIBUTION,
    IMPORT_KIND,
    LEVEL,
    NOTICE_STATUS,
    RESTRUCTURING,
    ROLE,
    SOURCE,
    word,
)

# --- users and roles --------------------------------------------------------------------------


def read_users(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The users the administrator manages, one row per role granted (a user without a role: one row)."""
    return users.read_users(conn, principal)


def _org_in_scope(session: Session, principal: Principal, org_code: str | None) -> None:
    if not (org_code or "").strip():
        raise BastionError(tr("组织：请指定授予该角色的组织", "organisation: name the organisation the role is granted on"))
    org_by_code(session, principal, Action.administer, org_code)


def _managed_user(session: Session, principal: Principal, username: str) -> User:
    require(session.connection(), principal, Action.administer)
    user = users.find_user(session, principal.tenant_id, username.strip())
    users.require_admin_over(session.connection(), principal, user)
    return user


def create_user(session: Session, principal: Principal, *, username: str, password: str, display_name: str,
                role: str, org_code: str) -> User:
    """A new user of the principal's tenant with ``role`` on ``org_code`` (within the principal's subtree)."""
    require(session.connection(), principal, Action.administer)
    _org_in_scope(session, principal, org_code)
    tenant = session.get(Tenant, principal.tenant_id)
    return users.create_user(session, tenant=tenant, username=username, password=password,
                             display_name=display_name.strip(), grants=[(role, org_code.strip())],
                             actor=principal.username)


def grant_role(session: Session, principal: Principal, *, username: str, role: str, org_code: str) -> None:
    user = _managed_user(session, principal, username)
    _org_in_scope(session, principal, org_code)
    users.grant(session, user=user, role=role, org_code=org_code.strip(), actor=principal.username)


def revoke_role(session: Session, principal: Principal, *, username: str, role: str, org_code: str) -> None:
    """Take a role back; administrators cannot take away their own administration (ask another one)."""
    user = _managed_user(session, principal, username)
    if user.id == principal.user_id and role == Role.admin.value:
        raise Forbidden(tr("角色：不能撤销自己的管理员角色，请由其他管理员操作",
                           "role: you cannot revoke your own administrator role; ask another administrator"))
    _org_in_scope(session, principal, org_code)
    users.revoke(session, user=user, role=role, org_code=org_code.strip(), actor=principal.username)


def set_user_active(session: Session, principal: Principal, *, username: str, active: bool) -> None:
    user = _managed_user(session, principal, username)
    if user.id == principal.user_id and not active:
        raise Forbidden(tr("用户：不能停用自己的账号，请由其他管理员操作",
                           "user: you cannot deactivate yourself; ask another administrator"))
    if user.active != active:
        users.set_active(session, user=user, active=active, actor=principal.username)


def reset_password(session: Session, principal: Principal, *, username: str, password: str) -> None:
    user = _managed_user(session, principal, username)
    users.set_password(session, user=user, password=password, actor=principal.username)


def unlock_user(session: Session, principal: Principal, *, username: str) -> bool:
    """End a user's lockout after failed logins; whether they were locked."""
    user = _managed_user(session, principal, username)
    return users.unlock(session, user=user, actor=principal.username)


# --- plugins ----------------------------------------------------------------------------------


def read_plugins(session: Session, principal: Principal, registry: Registry) -> pd.DataFrame:
    """Every installed plugin, whether the tenant enables it, and what it contributes."""
    require(session.connection(), principal, Action.administer)
    enabled = set(tenants.enabled_plugins(session, principal.tenant_id))
    rows = []
    for name, info in sorted(registry.infos.items()):
        contributes = registry.contributions_of(name)
        rows.append({"plugin": name, "version": info.version, "builtin": info.builtin, "enabled": name in enabled,
                     "contributes": "；".join(f"{word(CONTRIBUTION, kind)}：{'、'.join(_named(registry, kind, items))}"
                                             for kind, items in contributes.items())})
    return pd.DataFrame(rows, columns=["plugin", "version", "builtin", "enabled", "contributes"])


def _named(registry: Registry, kind: str, codes: list[str]) -> list[str]:
    """A plugin's contributions by the names people know them by: a scheme by its title, a ledger type by its
    name in the current language; rule types and policies by their codes."""
    if kind == "schemes":
        found = registry.schemes()
        return [found[c].item.name for c in codes]
    if kind == "ledger types":
        found = registry.ledger_types()
        return [found[c].item.label for c in codes]
    if kind == "events":
        return [tr("考核事件", "cycle events")]
    return codes


def enable_plugin(session: Session, principal: Principal, registry: Registry, plugin: str) -> list[str]:
    require_tenant_admin(session.connection(), principal)
    tenant = session.get(Tenant, principal.tenant_id)
    return tenants.enable_plugins(session, tenant, [plugin], registry=registry, actor=principal.username)


def disable_plugin(session: Session, principal: Principal, plugin: str) -> list[str]:
    require_tenant_admin(session.connection(), principal)
    tenant = session.get(Tenant, principal.tenant_id)
    return tenants.disable_plugins(session, tenant, [plugin], actor=principal.username)


# --- cycles and the calendar -------------------------------------------------------------------


def read_cycles(session: Session, principal: Principal) -> pd.DataFrame:
    require(session.connection(), principal, Action.administer)
    rows = [{"year": c.year, "name": c.name, "scheme": c.scheme_id, "version": c.scheme_version,
             "plugin": c.scheme_plugin, "status": c.status, "opened_at": c.opened_at, "opened_by": c.opened_by}
            for c in cycles.tenant_cycles(session, principal.tenant_id)]
    return pd.DataFrame(rows, columns=["year", "name", "scheme", "version", "plugin", "status", "opened_at",
                                       "opened_by"])


def open_next_cycle(session: Session, principal: Principal, registry: Registry, *, year: int | None = None,
                    scheme_id: str | None = None) -> Cycle:
    """Open the tenant's next cycle (the year after its latest): with ``scheme_id``, else the previous year's
    scheme if still enabled, else the only scheme the tenant enables — as the calendar's opening does."""
    require_tenant_admin(session.connection(), principal)
    tenant = session.get(Tenant, principal.tenant_id)
    existing = cycles.tenant_cycles(session, tenant.id)
    if year is None:
        year = existing[0].year + 1 if existing else datetime.now().year
    if scheme_id is None and existing:
        enabled = registry.schemes(tenants.enabled_plugins(session, tenant.id))
        scheme_id = existing[0].scheme_id if existing[0].scheme_id in enabled else None
    return cycles.open_cycle(session, tenant=tenant, year=year, registry=registry, actor=principal.username,
                             scheme_id=scheme_id)


@dataclass(frozen=True)
class CalendarLine:
    stage: str
    cron: str
    description: str
    next_run: datetime | None  # the next time the cron fires (server-local), None when it cannot be read


def read_calendar(session: Session, principal: Principal, *, cycle_id: int,
                  now: datetime | None = None) -> list[CalendarLine]:
    """The check calendar (考核日历) of the cycle's scheme as ``bastion serve`` schedules it — the scheme's
    stages and those every tenant runs — each with its cron and when it fires next."""
    require(session.connection(), principal, Action.administer)
    cycle = tenant_cycle(session, principal, cycle_id)
    tenant = session.get(Tenant, principal.tenant_id)
    now = now or datetime.now()
    return [CalendarLine(item.stage, item.cron, item.description, item.next_run(now))
            for item in stage_queries.scheme_calendar(tenant.code, cycle_scheme(cycle))]


def read_stage_runs(conn: Connection, principal: Principal, *, year: int | None = None,
                    limit: int = 100) -> pd.DataFrame:
    """The tenant's latest stage runs: stage, period, status, attempts, the Prefect flow run, the error."""
    require(conn, principal, Action.administer)
    s = StageRun.__table__.c
    query = (select(s.id, s.key, s.stage, s.period, s.status, s.attempts, s.flow_run_id, s.started_at,
                    s.finished_at, s.error)
             .where(s.tenant_id == principal.tenant_id).order_by(s.started_at.desc(), s.id.desc()).limit(limit))
    if year is not None:
        query = query.where(s.key.startswith(f"{year}:"))
    return read_frame(query, conn)


# --- notifications (通知): the tenant's channels and quiet hours, and how delivery stands ---------------------


def read_channels(conn: Connection, principal: Principal, registry: Registry) -> list[dict]:
    """The tenant's channels as :func:`core.notify.settings.read_channels` gives them (never a secret)."""
    require_tenant_admin(conn, principal)
    return notify_settings.read_channels(conn, registry, principal.tenant_id)


def set_channel(session: Session, principal: Principal, registry: Registry, channel: str, **how) -> None:
    """Set one of the tenant's channels (``core.notify.settings.set_channel``'s ``how``), in the administrator's
    name."""
    require_tenant_admin(session.connection(), principal)
    notify_settings.set_channel(session, registry, session.get(Tenant, principal.tenant_id), channel,
                                actor=principal.username, **how)


def set_user_contact(session: Session, principal: Principal, *, username: str, email: str | None = None,
                     locale: str | None = None) -> User:
    """A managed user's e-mail address (where the e-mail channel reaches them; "" clears it) and language (of the
    notifications they get), in the administrator's name (``core.notify.settings.set_contact``)."""
    user = _managed_user(session, principal, username)
    return notify_settings.set_contact(session, principal.tenant_id, user.username, actor=principal.username,
                                       email=email, locale=locale)


def set_quiet_hours(session: Session, principal: Principal, hours: str) -> bool:
    require_tenant_admin(session.connection(), principal)
    return notify_settings.set_quiet_hours(session, session.get(Tenant, principal.tenant_id), hours,
                                           actor=principal.username)


def read_delivery(conn: Connection, principal: Principal) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How the tenant's notifications stand — counts by channel and state — and the latest that did not go."""
    require_tenant_admin(conn, principal)
    return outbox.outcomes(conn, principal.tenant_id), outbox.troubles(conn, principal.tenant_id)


# --- the audit trail -----------------------------------------------------------------------------


def require_audit_reader(conn: Connection, principal: Principal) -> None:
    """Refuse unless the principal reads the audit trail (an auditor or an administrator) on the whole tenant."""
    require_whole_tenant(conn, principal, Action.read_audit, (
        "审计日志需要全单位的审计管理员或管理员查看", "the audit trail is read by an auditor or administrator of the whole tenant"))


def verify_audit(conn: Connection, principal: Principal) -> audit.Verification:
    """Walk the tenant's hash chain (``bastion audit verify``) for an audit reader."""
    require_audit_reader(conn, principal)
    return audit.verify(conn, principal.tenant_id)


def read_audit(conn: Connection, principal: Principal, *, entity: str | None = None, actor: str | None = None,
               limit: int = 200) -> pd.DataFrame:
    """The tenant's latest audit events (审计日志), of one entity kind or one actor if asked."""
    require_audit_reader(conn, principal)
    if limit < 1:
        raise BastionError(tr("条数：至少显示一条记录", "limit: show at least one event"))
    a = AuditEvent.__table__.c
    query = (select(a.at, a.actor, a.action, a.entity, a.entity_id, a.old, a.new, a.note)
             .where(a.tenant_id == principal.tenant_id).order_by(a.at.desc(), a.id.desc()).limit(limit))
    if entity:
        query = query.where(a.entity == entity.strip())
    if actor:
        query = query.where(a.actor == actor.strip())
    return read_frame(query, conn)


# Keys whose values are organisation ids, and entities whose entity_id is an organisation's id.
_ORG_ID_KEYS = ("org_id",)
_ORG_ENTITIES = ("organization", "self_assessment")


def read_audit_trail(conn: Connection, principal: Principal, *, entity: str | None = None, actor: str | None = None,
                     limit: int = 200) -> pd.DataFrame:
    """The audit trail (:func:`read_audit`) in words in the current language, for a person to read.

    Columns ``at``, ``actor``, ``action``, ``entity``, ``object`` (what the event is about: an organisation by
    code and name, else its id), ``old``, ``new`` (the values as phrases, :func:`describe_values`) and ``note``.
    The organisations the events name are read in one query, whatever the number of events.
    """
    events = read_audit(conn, principal, entity=entity, actor=actor, limit=limit)
    orgs = _org_names(conn, principal.tenant_id, events)
    rows = []
    for event in events.itertuples(index=False):
        subject = _text(event.entity_id)
        if event.entity in _ORG_ENTITIES and subject.isdigit():
            subject = orgs.get(int(subject), subject)
        rows.append({"at": event.at, "actor": event.actor,
                     "action": word(AUDIT_ACTION, event.action), "entity": word(AUDIT_ENTITY, event.entity),
                     "object": subject, "old": describe_values(_values(event.old), entity=event.entity, orgs=orgs),
                     "new": describe_values(_values(event.new), entity=event.entity, orgs=orgs),
                     "note": _text(event.note)})
    return pd.DataFrame(rows, columns=["at", "actor", "action", "entity", "object", "old", "new", "note"])


def _values(value: object) -> dict | None:
    return value if isinstance(value, dict) else None  # None, NaN from the frame: no values


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value)


def _org_names(conn: Connection, tenant_id: int, events: pd.DataFrame) -> dict[int | str, str]:
    """Organisation id (and code) → "code name" for every organisation the events name: one query."""
    ids: set[int] = set()
    codes: set[str] = set()
    for event in events.itertuples(index=False):
        if event.entity in _ORG_ENTITIES and _text(event.entity_id).isdigit():
            ids.add(int(event.entity_id))
        for values in (_values(event.old), _values(event.new)):
            for key, value in (values or {}).items():
                if key in _ORG_ID_KEYS and isinstance(value, int):
                    ids.add(value)
                elif key == "org" and isinstance(value, str):
                    codes.add(value)
    if not ids and not codes:
        return {}
    o = Organization.__table__.c
    found = conn.execute(select(o.id, o.code, o.name).where(o.tenant_id == tenant_id,
                                                            or_(o.id.in_(ids), o.code.in_(codes))))
    names: dict[int | str, str] = {}
    for org_id, code, name in found:
        names[org_id] = names[code] = f"{code} {name}"
    return names


def describe_values(values: dict | None, *, entity: str, orgs: Mapping[int | str, str] | None = None) -> str:
    """An audit event's old or new values as a phrase: ``角色：支部书记；组织：ZB00006 第六党支部``.

    Keys are named through :data:`~bastion.core.words.AUDIT_DETAIL` (an organisation's fields as the
    organisations template heads them), codes through :mod:`~bastion.core.words` (roles, sources, statuses,
    check kinds, levels), organisation ids and codes through ``orgs`` ("code name"). Empty values are left out;
    an organisation id of None on a role is the whole tenant.
    """
    orgs = orgs or {}
    parts = []
    for key, value in (values or {}).items():
        shown = _value_words(key, value, entity, orgs)
        if shown:
            parts.append(tr(f"{_key_words(key, entity)}：{shown}", f"{_key_words(key, entity)}: {shown}"))
    return tr("；", "; ").join(parts)


def _key_words(key: str, entity: str) -> str:
    for suffix, pair in (("_old", ("（原）", " (old)")), ("_new", ("（新）", " (new)"))):
        if key.endswith(suffix) and key.removesuffix(suffix) in AUDIT_DETAIL:
            return _key_words(key.removesuffix(suffix), entity) + tr(*pair)
    if entity == "organization" and any(c.key == key for c in ORGANIZATIONS.columns):
        return ORGANIZATIONS.field_name(key)
    return word(AUDIT_DETAIL, key)


def _value_words(key: str, value: object, entity: str, orgs: Mapping[int | str, str]) -> str:
    if key in _ORG_ID_KEYS:
        return tr("全单位", "the whole tenant") if value is None else orgs.get(value, str(value))
    if key == "parent_code" and value is None:
        return tr("无（最高层组织）", "none (top level)")
    if value is None or value == "" or value != value or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return tr("是", "yes") if value else tr("否", "no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return tr("、", ", ").join(filter(None, (_value_words(key, item, entity, orgs) for item in value)))
    if isinstance(value, dict):
        if key == "scores":  # a self-assessment's scores by indicator; the key "None" is the overall score
            return tr("，", ", ").join(f"{tr('总体评分', 'overall') if code == 'None' else code} "
                                       f"{_value_words(key, score, entity, orgs)}" for code, score in value.items())
        return tr("（", "(") + describe_values(value, entity=entity, orgs=orgs) + tr("）", ")")
    table = _CODED.get((key, entity)) or _CODED.get((key, None))
    if table is not None:
        return word(table, str(value))
    if key == "org":
        return orgs.get(value, str(value))
    return str(value)


# Values that are codes, by key (and entity where the same key means different things).
_CODED: dict[tuple[str, str | None], dict] = {
    ("role", None): ROLE,
    ("source", None): SOURCE,
    ("status", "rectification"): NOTICE_STATUS,
    ("status", "check"): CHECK_STATUS,
    ("kind", "check"): CHECK_KIND,
    ("level", "organization"): LEVEL,
    ("kind", "restructuring"): RESTRUCTURING,
    **{("kind", kind): IMPORT_KIND for kind in IMPORT_KIND},
}


def audit_entities(conn: Connection, principal: Principal) -> list[str]:
    """The entity kinds the tenant's audit trail holds (for a filter)."""
    require_audit_reader(conn, principal)
    a = AuditEvent.__table__.c
    return list(conn.execute(select(a.entity).where(a.tenant_id == principal.tenant_id).distinct()
                             .order_by(a.entity)).scalars())


def user_names(session: Session, principal: Principal) -> list[str]:
    """The usernames the administrator manages (for pickers)."""
    frame = read_users(session.connection(), principal)
    return sorted(frame["username"].unique())

