"""The calendar's stages as Prefect flows: each task a thin call of a plain ``bastion.core.stages`` function.

One flow, ``bastion-stage``, runs any stage of any tenant: ``spot_check``, ``monthly``,
``quarterly``, ``half_year``, ``annual`` or ``rectification``. A period stage runs as three tasks —
start (record the run, or stop if it already succeeded), score, conclude (review or publish, the
bulletin) — so the Prefect UI shows where a run is and where one failed. Tasks get plain values
(tenant code, year, period …) and open the database themselves, so a task can be retried, or run
on another worker, without shipping connections around. Branches are batched inside the core
functions (one scoring call per period), never one task per branch.

A scheduled run names no period: the flow assesses the last period of the stage's length that
ended before the run (a quarterly run on 5 April assesses Q1; the annual run in January, last
year). Days are reckoned in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion.core import cycles, db, scoring, stages, tenants
from bastion.core.engine import Period
from bastion.core.models import Cycle
from bastion.core.registry import default_registry
from bastion.core.settings import Settings, current_actor

TIME_ZONE = "Asia/Shanghai"
RETRIES = 2
RETRY_DELAY_SECONDS = 10


def today() -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date()


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return db.connect(Settings(home=Settings.from_env().home, database_url=url))


def context() -> stages.StageContext:
    """The stage context of this process, linked to the running flow (if any)."""
    settings = Settings.from_env()
    run_id = flow_run.get_id()
    return stages.StageContext(_engine(settings.database_url), default_registry(), settings.home, current_actor(),
                               flow_run_id=str(run_id) if run_id else None)


def _cycle(ctx: stages.StageContext, tenant_code: str, year: int) -> Cycle:
    with Session(ctx.engine) as session:
        tenant = tenants.resolve_tenant(session, tenant_code)
        return cycles.resolve_cycle(session, tenant, year)


def cycle_years(tenant_code: str, day: date) -> list[int]:
    """The years of the tenant's cycles a follow-up on ``day`` looks after: last year's and this year's."""
    ctx = context()
    with Session(ctx.engine) as session:
        t = tenants.resolve_tenant(session, tenant_code)
        found = session.exec(select(Cycle.year).where(Cycle.tenant_id == t.id,
                                                      Cycle.year.in_([day.year - 1, day.year]))).all()
    return sorted(found)


def _summary(run) -> dict[str, Any]:
    if run is None:
        return {"status": "already succeeded"}
    return {"key": run.key, "status": run.status, "attempts": run.attempts, **run.detail}


@task(name="start", cache_policy=NO_CACHE)
def start_task(tenant: str, year: int, stage: str, period: str) -> int | None:
    """Record the stage run as started; None when it already succeeded."""
    ctx = context()
    run = stages.start_run(ctx, _cycle(ctx, tenant, year), stage, period)
    return None if run is None else run.id


@task(name="score", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def score_task(tenant: str, year: int, period: str) -> bool:
    ctx = context()
    cycle = _cycle(ctx, tenant, year)
    return stages.score_step(ctx, cycle, scoring.period_in_cycle(cycle, period))


@task(name="conclude", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def conclude_task(tenant: str, year: int, stage: str, period: str, run_id: int, on: date) -> dict[str, Any]:
    """Publish (after the review, for the annual stage) and write the bulletin."""
    ctx = context()
    cycle = _cycle(ctx, tenant, year)
    run = stages.get_run(ctx.engine, run_id)
    return _summary(stages.conclude_step(ctx, cycle, stage, scoring.period_in_cycle(cycle, period), run, on))


@task(name="open", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def open_task(tenant: str, year: int) -> dict[str, Any]:
    """Open the tenant's cycle of the year (its scheme frozen), unless it is open already."""
    ctx = context()
    with Session(ctx.engine) as session:
        t = tenants.resolve_tenant(session, tenant)
    return _summary(stages.open_year(ctx, t, year))


@task(name="run", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def single_task(tenant: str, year: int, stage: str, on: date) -> dict[str, Any]:
    """A stage that writes in one transaction (spot check, rectification follow-up)."""
    ctx = context()
    return _summary(stages.run_stage(ctx, _cycle(ctx, tenant, year), stage, on=on))


def _run_name() -> str:
    params = flow_run.parameters
    return "-".join(str(params.get(k)) for k in ("tenant", "stage", "period", "year", "on") if params.get(k))


@flow(name="bastion-stage", flow_run_name=_run_name, log_prints=True)
def stage_flow(tenant: str, stage: str, period: str | None = None, on: date | None = None,
               year: int | None = None) -> dict[str, Any]:
    """Run one stage of a tenant's calendar (see the module docstring).

    ``open_cycle`` opens the cycle of ``year`` (default: the day's year). A spot check acts in the
    cycle of ``year`` (default: the day's year). The rectification
    follow-up does so too when given a year; scheduled, it follows up this year's cycle and last
    year's (the annual notices fall due in the next year).
    """
    logger = get_run_logger()
    day = on or today()
    if stage not in stages.STAGES:
        raise ValueError(f"no stage {stage!r}; stages: {', '.join(stages.STAGES)}")
    if stage == "open_cycle":
        opened = year or (Period.parse(period).year if period else day.year)
        summary = open_task(tenant, opened)
        logger.info("%s open_cycle %s: %s", tenant, opened, summary)
        return summary
    if stage not in stages.PERIOD_MONTHS:
        years = [year] if year else ([day.year] if stage == "spot_check" else cycle_years(tenant, day))
        summary = {}
        for cycle_year in years:
            summary = single_task(tenant, cycle_year, stage, day)
            logger.info("%s %s %s (%s cycle): %s", tenant, stage, day, cycle_year, summary)
        return summary
    assessed = Period.parse(period) if period else stages.last_completed(stage, day)
    run_id = start_task(tenant, assessed.year, stage, assessed.key)
    if run_id is None:
        logger.info("%s %s %s already succeeded: nothing to do", tenant, stage, assessed.key)
        return {"status": "already succeeded"}
    try:
        score_task(tenant, assessed.year, assessed.key)
        summary = conclude_task(tenant, assessed.year, stage, assessed.key, run_id, day)
    except Exception as exc:
        ctx = context()
        stages.fail_run(ctx.engine, stages.get_run(ctx.engine, run_id), exc)
        raise
    logger.info("%s %s %s: %s", tenant, stage, assessed.key, summary)
    return summary
