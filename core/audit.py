"""The audit trail (审计留痕): who changed what, when, old → new."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .models import AuditEvent


def record(
    session: Session,
    *,
    tenant_id: int | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Add an audit event to the session's transaction: it is kept exactly when the change is."""
    event = AuditEvent(tenant_id=tenant_id, actor=actor, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id), old=old, new=new, note=note)
    session.add(event)
    return event
