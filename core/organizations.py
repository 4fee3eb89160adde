"""The organisation tree as administrators keep it (组织机构管理): read, edit, move, import.

Each function takes the :class:`~bastion.core.access.Principal` first. An administrator reaches the
organisations under their grants; importing a file, which may touch any organisation of the tenant,
needs an administrator of the whole tenant. Moves and edits are checked with the tree's rules
(:mod:`bastion.core.tree`: parent levels, no loops, a term that ends after it starts) and the import's
column parsers, as an import is, so the tree a move or an edit leaves is one an import would have accepted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlmodel import Session

from . import audit
from .access import (
    Action,
    Principal,
    org_by_code,
    require,
    require_whole_tenant,
    visible,
)
from .errors import BastionError, Conflict, Problem, refuse
from .i18n import tr
from .importing import ORGANIZATIONS, ImportReport, import_bytes
from .members import count_problems
from .models import Organization, Tenant
from .registry import Registry
from .tree import (
    PARENT_LEVELS,
    chain,
    hold_tree,
    inactive_parent_reason,
    level_reason,
    looping,
    term_problems,
)

EDITABLE = ("name", "category", "secretary", "secretary_term_start", "secretary_term_end", "first_secretary",
            "member_count", "staff_count", "party_staff_count")
TREE_COLUMNS = ("depth", "code", "name", "level", "parent_code", "category", "secretary", "secretary_term_start",
                "secretary_term_end", "first_secretary", "member_count", "staff_count", "party_staff_count", "active")


def require_tenant_admin(conn: Connection, principal: Principal) -> None:
    """Refuse unless the principal administers every top organisation of its tenant (the whole tenant)."""
    require_whole_tenant(conn, principal, Action.administer, ("此操作需要全单位的管理员",
                                                              "this needs an administrator of the whole tenant"))


def read_tree(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The organisations the principal administers in tree order (each under its parent), with their depth."""
    require(conn, principal, Action.administer)
    o = Organization.__table__.c
    parent = Organization.__table__.alias("parent")
    query = (select(o.id, o.parent_id, o.code, o.name, o.level, parent.c.code.label("parent_code"), o.category,
                    o.secretary, o.secretary_term_start, o.secretary_term_end, o.first_secretary, o.member_count,
                    o.staff_count, o.party_staff_count, o.active)
             .outerjoin(parent, parent.c.id == o.parent_id)
             .where(o.tenant_id == principal.tenant_id, visible(conn, principal, Action.administer, o.id))
             .order_by(o.code))
    frame = pd.read_sql(query, conn)
    if frame.empty:
        return pd.DataFrame(columns=TREE_COLUMNS)
    ids = [int(org_id) for org_id in frame["id"]]
    parents = [None if pd.isna(parent_id) else int(parent_id) for parent_id in frame["parent_id"]]
    known = set(ids)
    children: dict[int | None, list[int]] = {}
    for position, parent_id in enumerate(parents):  # a visible organisation whose parent is not is a root here
        children.setdefault(parent_id if parent_id in known else None, []).append(position)
    order, depth = [], []
    stack = [(position, 0) for position in reversed(children.get(None, []))]
    while stack:
        position, level = stack.pop()
        order.append(position)
        depth.append(level)
        stack.extend((child, level + 1) for child in reversed(children.get(ids[position], [])))
    out = frame.iloc[order].assign(depth=depth).reset_index(drop=True)
    out["active"] = out["active"].astype(bool)
    return out[list(TREE_COLUMNS)]


def get_organization(session: Session, principal: Principal, code: str) -> Organization:
    return org_by_code(session, principal, Action.administer, code)


def _value(key: str, raw: Any) -> Any:
    """A field's new value, parsed and checked as the organisations import would (blank: none)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if key == "name":
            raise BastionError(tr("组织名称：组织须有名称", "name: an organisation needs a name"))
        return {"category": "", "member_count": 0, "staff_count": 0, "party_staff_count": 0}.get(key)
    try:
        return ORGANIZATIONS.column(key).value(raw)
    except ValueError as exc:
        raise BastionError(tr(f"{ORGANIZATIONS.field_name(key)}：{exc}", f"{key}: {exc}")) from None


def _names(keys: Any) -> list[str]:
    """Fields named as the organisations template heads them, in the current language."""
    return [ORGANIZATIONS.field_name(key) for key in keys]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def update_organization(session: Session, principal: Principal, *, code: str, **changes: Any) -> Organization:
    """Edit an organisation's name, category, secretary and term, first secretary and head counts."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BastionError(tr(f"{'、'.join(_names(unknown))}：此处不能修改（可修改：{'、'.join(_names(EDITABLE))}）",
                              f"{', '.join(unknown)}: not editable here (editable: {', '.join(EDITABLE)})"))
    require(session.connection(), principal, Action.administer)
    org = org_by_code(session, principal, Action.administer, code)
    return edit(session, org, changes, tenant_id=principal.tenant_id, actor=principal.username,
                note=f"edited in the UI ({org.code})")


def edit(session: Session, org: Organization, changes: dict[str, Any], *, tenant_id: int, actor: str,
         note: str) -> Organization:
    """Set ``changes`` (fields of :data:`EDITABLE`, raw as a form or a file gives them) on ``org``, each parsed and
    checked as the organisations import would, audited old → new with ``note``; nothing when nothing changes.
    The access to ``org`` is the caller's to check (:func:`update_organization`, ``core.restructuring``)."""
    new = {key: _value(key, raw) for key, raw in changes.items()}
    if "member_count" in new:
        refuse(count_problems(session.connection(), tenant_id, org.id, new["member_count"]))
    refuse(term_problems(new.get("secretary_term_start", org.secretary_term_start),
                         new.get("secretary_term_end", org.secretary_term_end)))
    changed = {key: value for key, value in new.items() if getattr(org, key) != value}
    if not changed:
        return org
    old = {key: _jsonable(getattr(org, key)) for key in changed}
    for key, value in changed.items():
        setattr(org, key, value)
    session.add(org)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="update", entity="organization", entity_id=org.id,
                 old=old, new={key: _jsonable(value) for key, value in changed.items()}, note=note)
    return org


def _ancestors(session: Session, org: Organization) -> dict[str, str | None]:
    """Code → parent code from ``org`` up to its root (a loop already stored stops the walk)."""
    chain: dict[str, str | None] = {}
    node = org
    while node is not None and node.code not in chain:
        parent = session.get(Organization, node.parent_id) if node.parent_id is not None else None
        chain[node.code] = None if parent is None else parent.code
        node = parent
    return chain


def move_organization(session: Session, principal: Principal, *, code: str, parent_code: str) -> Organization:
    """Move an organisation (with everything under it) under another parent of a suitable level, never under
    itself or its own descendants."""
    require(session.connection(), principal, Action.administer)
    org = org_by_code(session, principal, Action.administer, code)
    parent = org_by_code(session, principal, Action.administer, parent_code, ("上级组织", "parent"))
    return relink(session, org, parent, tenant_id=principal.tenant_id, actor=principal.username,
                  note=f"moved in the UI ({org.code})")


def move_problems(session: Session, org: Organization, parent: Organization) -> list[Problem]:
    """What the tree's rules find wrong with putting ``org`` under ``parent``: a loop, or a parent of a level ``org``
    cannot sit under (the field: the parent, ``parent_code``)."""
    field = tr("上级组织", "parent")
    parent_of = _ancestors(session, parent) | {org.code: parent.code}
    if org.code in looping(parent_of):
        links = chain(org.code, parent_of)
        return [Problem("parent_code", field, tr(f"{parent.code} 隶属于 {org.code}，上级关系将形成循环：{links}",
                                                 f"{parent.code} is under {org.code}, so the parent chain would loop "
                                                 f"back: {links}"))]
    if org.level in PARENT_LEVELS and parent.level not in PARENT_LEVELS[org.level]:
        return [Problem("parent_code", field, level_reason(org.level, parent.code, parent.level))]
    if not parent.active:
        return [Problem("parent_code", field, inactive_parent_reason(parent.code))]
    return []


def relink(session: Session, org: Organization, parent: Organization, *, tenant_id: int, actor: str,
           note: str) -> Organization:
    """Put ``org`` (with everything under it) under ``parent`` by the tree's rules (:func:`move_problems`), audited
    with ``note``. The access to both is the caller's to check (:func:`move_organization`, ``core.restructuring``)."""
    hold_tree(session, tenant_id)
    if org.parent_id == parent.id:
        raise Conflict(tr(f"上级组织：{org.code} 已隶属于 {parent.code}", f"parent: {org.code} is already under {parent.code}"))
    refuse(move_problems(session, org, parent))
    old_parent = session.get(Organization, org.parent_id) if org.parent_id is not None else None
    org.parent_id = parent.id
    session.add(org)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="move", entity="organization", entity_id=org.id,
                 old={"parent_code": None if old_parent is None else old_parent.code},
                 new={"parent_code": parent.code}, note=note)
    return org


def import_organizations(engine: Engine, principal: Principal, *, filename: str, data: bytes,
                         registry: Registry, again: bool = False, kind: str = "organizations") -> ImportReport:
    """Import an uploaded organisations file (.xlsx or .csv) — or, with ``kind`` ``restructure``, a file of
    restructurings (机构调整: ``core.restructuring``) — whole or not at all; a file imported before is refused
    (:class:`~bastion.core.importing.AlreadyImported`) unless ``again``. Either changes the tree: it needs an
    administrator of the whole tenant.

    Row errors (:class:`~bastion.core.importing.ImportRejected`) name the file the user chose
    (``importing.import_bytes``).
    """
    with engine.connect() as conn:
        require_tenant_admin(conn, principal)
    with Session(engine) as session:
        tenant = session.get(Tenant, principal.tenant_id)
    return import_bytes(engine, tenant=tenant, kind=kind, filename=filename, data=data, registry=registry,
                        actor=principal.username, again=again)
