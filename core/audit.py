"""The audit trail (审计留痕): who changed what, when, old → new — append-only, and chained.

Every write records its audit row in its own transaction (:func:`record`), so the row is kept
exactly when the change is. The table refuses UPDATE and DELETE (database triggers, migration
0009): nobody, an administrator included, edits the trail. Each tenant's rows form a hash chain:
a row's ``hash`` is the SHA-256 of its content and of the hash of the tenant's row before it
(``prev_hash``), so a row changed or removed behind the database's back (a file edited, the
triggers dropped) breaks the chain where it happened; :func:`verify` (``bastion audit verify``)
walks it.

Appending to a chain is serialised per tenant: on PostgreSQL by a transaction-scoped advisory
lock taken before the previous hash is read, on SQLite by the write lock every write transaction
takes first (``db.transaction``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlmodel import Session

from . import db
from .models import AuditEvent, utcnow

CHAIN_LOCK = 0x6A75  # the first key of the advisory lock that serialises a tenant's chain on PostgreSQL

_a = AuditEvent.__table__.c


def _moment(at: datetime) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds (SQLite gives it back naive, PostgreSQL aware)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def digest(prev_hash: str | None, *, tenant_id: int | None, at: datetime, actor: str, action: str, entity: str,
           entity_id: str | None, old: Any, new: Any, note: str) -> str:
    """The hash of one row of the chain: its content, canonically serialised, after the previous row's hash."""
    content = [prev_hash or "", tenant_id, _moment(at), actor, action, entity, entity_id, old, new, note]
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _last_hash(conn: Connection, tenant_id: int | None) -> str | None:
    """The hash at the end of the tenant's chain, with the chain held for this transaction (PostgreSQL)."""
    db.hold(conn, CHAIN_LOCK, tenant_id or 0)
    tenant = _a.tenant_id.is_(None) if tenant_id is None else _a.tenant_id == tenant_id
    last = select(func.max(_a.id)).where(tenant).scalar_subquery()
    return conn.execute(select(_a.hash).where(_a.id == last)).scalar()


def record(
    target: Session | Connection,
    *,
    tenant_id: int | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Append an audit event to the tenant's chain, in the transaction of ``target`` (a session or a connection):
    kept exactly when the change is."""
    record_many(target, [{"tenant_id": tenant_id, "actor": actor, "action": action, "entity": entity,
                          "entity_id": entity_id, "old": old, "new": new, "note": note}])


def record_many(target: Session | Connection, events: Iterable[dict[str, Any]]) -> int:
    """Append several events (the keyword arguments of :func:`record`, each) in one insert, chained in order;
    returns how many."""
    if isinstance(target, Session):
        target.flush()  # the changes audited are written first: the events follow them
        conn = target.connection()
    else:
        conn = target
    rows: list[dict[str, Any]] = []
    heads: dict[int | None, str | None] = {}
    for values in events:
        tenant_id = values.get("tenant_id")
        if tenant_id not in heads:
            heads[tenant_id] = _last_hash(conn, tenant_id)
        entity_id = values.get("entity_id")
        row = {"tenant_id": tenant_id, "at": utcnow(), "actor": values["actor"], "action": values["action"],
               "entity": values["entity"], "entity_id": None if entity_id is None else str(entity_id),
               "old": values.get("old"), "new": values.get("new"), "note": values.get("note", "")}
        row["prev_hash"] = heads[tenant_id]
        row["hash"] = heads[tenant_id] = digest(heads[tenant_id], **{k: row[k] for k in _CONTENT})
        rows.append(row)
    if rows:
        conn.execute(insert(AuditEvent.__table__), rows)
    return len(rows)


_CONTENT = ("tenant_id", "at", "actor", "action", "entity", "entity_id", "old", "new", "note")


@dataclass(frozen=True)
class Verification:
    """What walking the chain found: rows checked per chain, and the first break of each chain (if any)."""

    checked: int
    chains: int
    breaks: list[dict[str, Any]]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(conn: Connection, tenant_id: int | None = None, *, every_tenant: bool = False) -> Verification:
    """Walk the chain of ``tenant_id`` (or of every tenant, and the rows of no tenant): recompute each hash.

    A row whose ``prev_hash`` is not the hash of the tenant's row before it (a row removed, or
    inserted out of turn), or whose ``hash`` is not that of its content (a row changed), is a break;
    the first of each chain is reported with the row's id.
    """
    query = select(AuditEvent.__table__).order_by(_a.id)
    if not every_tenant:
        query = query.where(_a.tenant_id.is_(None) if tenant_id is None else _a.tenant_id == tenant_id)
    heads: dict[int | None, str | None] = {}
    broken: dict[int | None, dict[str, Any]] = {}
    checked = 0
    for row in conn.execute(query).mappings():
        tenant = row["tenant_id"]
        checked += 1
        if tenant in broken:
            continue
        expected_prev = heads.get(tenant)
        if row["prev_hash"] != expected_prev:
            broken[tenant] = {"tenant_id": tenant, "id": row["id"], "problem": "prev_hash",
                              "expected": expected_prev, "found": row["prev_hash"]}
            continue
        again = digest(row["prev_hash"], **{k: row[k] for k in _CONTENT})
        if again != row["hash"]:
            broken[tenant] = {"tenant_id": tenant, "id": row["id"], "problem": "hash", "expected": again,
                              "found": row["hash"]}
            continue
        heads[tenant] = row["hash"]
    return Verification(checked, len(heads.keys() | broken.keys()), list(broken.values()))


def latest_id(conn: Connection, tenant_id: int) -> int | None:
    """The tenant's latest audit row: every write writes one, so it marks the tenant's state (a cache's key)."""
    a = AuditEvent.__table__.c
    return conn.execute(select(func.max(a.id)).where(a.tenant_id == tenant_id)).scalar()
