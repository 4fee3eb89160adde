"""Each tenant's check calendar (考核日历) as Prefect deployments with cron schedules.

The calendar comes from the scheme plugin (``Scheme.calendar``: stage, cron, description) of the
tenant's current cycle — the latest it opened — or, before it opens one, of the only scheme it
enables. Every tenant also gets a daily rectification follow-up and the opening of each new year's
cycle on 1 January. Schedules run in Asia/Shanghai.
``bastion serve`` serves these deployments from one process; the same deployments can be applied to
a standing Prefect server and run by workers (README, "Running the calendar").
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron
from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion.core import stages, tenants
from bastion.core.cycles import cycle_scheme
from bastion.core.models import Cycle, Tenant
from bastion.core.registry import Registry
from bastion.core.scheme import Scheme

from .stages import TIME_ZONE, stage_flow

RECTIFICATION_CRON = "0 8 * * *"
OPEN_CYCLE_CRON = "0 6 1 1 *"  # New Year's Day, before anything else of the year runs


@dataclass(frozen=True)
class Scheduled:
    tenant: str
    stage: str
    cron: str
    description: str
    scheme: str

    @property
    def name(self) -> str:
        return f"{self.tenant}-{self.stage}"


def _scheme_of(session: Session, tenant: Tenant, registry: Registry) -> Scheme | None:
    cycle = session.exec(select(Cycle).where(Cycle.tenant_id == tenant.id).order_by(Cycle.year.desc())).first()
    if cycle is not None:
        return cycle_scheme(cycle)
    enabled = registry.schemes(tenants.enabled_plugins(session, tenant.id))
    return next(iter(enabled.values())).item if len(enabled) == 1 else None


def calendar(engine: Engine, registry: Registry, tenant_code: str | None = None) -> list[Scheduled]:
    """What each tenant's calendar schedules (one tenant's with ``tenant_code``)."""
    out = []
    with Session(engine) as session:
        query = select(Tenant).order_by(Tenant.code)
        if tenant_code is not None:
            query = query.where(Tenant.code == tenant_code)
        for tenant in session.exec(query):
            scheme = _scheme_of(session, tenant, registry)
            if scheme is None:
                continue
            for entry in scheme.calendar:
                if entry.stage in stages.STAGES:
                    out.append(Scheduled(tenant.code, entry.stage, entry.cron, entry.description, scheme.id))
            out.append(Scheduled(tenant.code, "rectification", RECTIFICATION_CRON, "整改跟踪：下发、提醒、逾期、复验",
                                 scheme.id))
            out.append(Scheduled(tenant.code, "open_cycle", OPEN_CYCLE_CRON, "开启新考核年度：冻结方案版本及目标",
                                 scheme.id))
    return out


def deployments(schedule: list[Scheduled], *, work_pool: str | None = None) -> list[RunnerDeployment]:
    """The schedule's deployments: served by ``bastion serve``, or for ``work_pool``'s workers.

    For a work pool they name the flow by its module path (``bastion.flows.stages:stage_flow``), so a
    worker with Bastion installed runs it from the installed package: nothing to upload or build.
    """
    return [
        stage_flow.to_deployment(
            name=item.name, schedules=[Cron(item.cron, timezone=TIME_ZONE)],
            parameters={"tenant": item.tenant, "stage": item.stage},
            description=item.description, tags=[item.tenant, item.scheme, item.stage],
            work_pool_name=work_pool,
            entrypoint_type=EntrypointType.MODULE_PATH if work_pool else EntrypointType.FILE_PATH,
        )
        for item in schedule
    ]
