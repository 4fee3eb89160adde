"""Notifications as a Prefect flow: ``bastion-notify`` plans what the day brings and delivers what is due for one
tenant (``bastion.core.notify.service.run``), every five minutes on each tenant's calendar. One task: what is
sent is recorded row by row in the outbox, so a retried or rerun flow sends nothing twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session, select

from bastion.core.models import Tenant
from bastion.core.notify import service
from bastion.core.registry import default_registry
from bastion.core.settings import Settings, current_actor

from .stages import _engine


@task(name="deliver", cache_policy=NO_CACHE)
def deliver_task(tenant: str, now: str | None = None) -> dict[str, Any]:
    engine = _engine(Settings.from_env().database_url)
    with Session(engine) as session:
        found = session.exec(select(Tenant).where(Tenant.code == tenant)).one()
    return service.run(engine, default_registry(), found, actor=current_actor(),
                       now=datetime.fromisoformat(now) if now else None)


@flow(name="bastion-notify", log_prints=True)
def notify_flow(tenant: str, now: str | None = None) -> dict[str, Any]:
    """Deliver a tenant's notifications: what the day brings put in the outbox, what is due sent, once."""
    return deliver_task(tenant, now)
