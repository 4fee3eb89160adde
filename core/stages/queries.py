"""What pages and commands read of the stages: the runs recorded, and each tenant's calendar.

The calendar (考核日历) is built here once: the stages of the scheme a tenant's calendar runs on (the
scheme of its latest cycle, or the only one it enables before it opens any), plus the stages every
tenant runs whatever its scheme says (:data:`.service.STAGES` with a ``cron``: the daily
rectification follow-up, the opening of each year), and the delivery of its notifications every five minutes. ``bastion serve`` and ``bastion deploy`` turn it
into Prefect deployments; the administration page shows it in words with when each fires next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cronsim import CronSim, CronSimError
from sqlalchemy import Engine
from sqlmodel import Session, select

from .. import tenants
from ..cycles import cycle_scheme
from ..i18n import tr
from ..models import Cycle, StageRun, Tenant
from ..registry import Registry
from ..scheme import Scheme
from .service import STAGES



@dataclass(frozen=True)
class Scheduled:
    """One stage of a tenant's calendar: when it runs (a cron in ``periods.TIME_ZONE``), and from which scheme."""

    tenant: str
    stage: str
    cron: str
    description: str
    scheme: str

    @property
    def name(self) -> str:
        return f"{self.tenant}-{self.stage}"

    def next_run(self, now: datetime) -> datetime | None:
        """The next time the cron fires after ``now``; None when it cannot be read."""
        try:
            return next(CronSim(self.cron, now))
        except (CronSimError, StopIteration):
            return None


def calendar_scheme(session: Session, tenant: Tenant, registry: Registry) -> Scheme | None:
    """The scheme a tenant's calendar runs on: its latest cycle's, else the only scheme it enables."""
    cycle = session.exec(select(Cycle).where(Cycle.tenant_id == tenant.id).order_by(Cycle.year.desc())).first()
    if cycle is not None:
        return cycle_scheme(cycle)
    enabled = registry.schemes(tenants.enabled_plugins(session, tenant.id))
    return next(iter(enabled.values())).item if len(enabled) == 1 else None


NOTIFY = "notify"  # not a stage: the ``bastion-notify`` flow, every few minutes (core.notify.service)
NOTIFY_CRON = "*/5 * * * *"


def scheme_calendar(tenant_code: str, scheme: Scheme) -> list[Scheduled]:
    """A scheme's calendar for a tenant: the scheme's own stages, then those every tenant runs, then the delivery of
    its notifications."""
    out = [Scheduled(tenant_code, entry.stage, entry.cron, entry.description, scheme.id)
           for entry in scheme.calendar if entry.stage in STAGES and STAGES[entry.stage].scheduled]
    out += [Scheduled(tenant_code, stage.name, stage.cron, tr(*stage.cron_description), scheme.id)
            for stage in STAGES.values() if stage.cron]
    out.append(Scheduled(tenant_code, NOTIFY, NOTIFY_CRON, tr("通知：把到期的提醒发到站内通知、电子邮件和群机器人",
                                                              "notifications: what is due, to the inbox, e-mail and "
                                                              "group robots"), scheme.id))
    return out


def calendar(engine: Engine, registry: Registry, tenant_code: str | None = None) -> list[Scheduled]:
    """What each tenant's calendar schedules (one tenant's with ``tenant_code``)."""
    out = []
    with Session(engine) as session:
        query = select(Tenant).order_by(Tenant.code)
        if tenant_code is not None:
            query = query.where(Tenant.code == tenant_code)
        for tenant in session.exec(query):
            scheme = calendar_scheme(session, tenant, registry)
            if scheme is not None:
                out += scheme_calendar(tenant.code, scheme)
    return out


def read_runs(engine: Engine, tenant_id: int, year: int | None = None) -> list[StageRun]:
    """The tenant's stage runs (of one cycle's year), in the order they started."""
    with Session(engine) as session:
        query = select(StageRun).where(StageRun.tenant_id == tenant_id)
        if year is not None:
            query = query.where(StageRun.key.startswith(f"{year}:"))
        return list(session.exec(query.order_by(StageRun.started_at, StageRun.id)).all())
