"""One pass of notifications for a tenant (``bastion notify``, the ``bastion-notify`` flow): put in the outbox what
the day brings, then deliver what is due — or, dry, say what would go and keep nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ..db import transaction
from ..models import Tenant, utcnow
from ..periods import day_of
from ..registry import Registry
from . import delivery, planning


def run(engine: Engine, registry: Registry, tenant: Tenant, *, actor: str, now: datetime | None = None,
        dry_run: bool = False) -> dict[str, Any]:
    """Plan ``now``'s day (tenant time) and deliver; the delivery's summary with how many notifications are new."""
    now = now or utcnow()
    if dry_run:  # planned and read in one transaction, rolled back
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                planned = planning.plan_day(conn, registry, tenant, day_of(now))
                went = delivery.preview(conn, tenant, now)
            finally:
                trans.rollback()
    else:
        with transaction(engine) as session:
            planned = planning.plan_day(session.connection(), registry, tenant, day_of(now))
        went = delivery.deliver(engine, registry, tenant=tenant, actor=actor, now=now)
    return {**went.summary(), "planned": planned, "dry_run": dry_run}
