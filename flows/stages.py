"""The calendar's stages as one Prefect flow: a generic loop over ``bastion.core.stages``' table, a task per step.

One flow, ``bastion-stage``, runs any stage of any tenant. It asks core what the request acts on
(:func:`~bastion.core.stages.service.plan`), then for each subject starts its run (or stops if it
already succeeded) and runs the stage's steps in order, each a task — so the Prefect UI shows where a
run is and where one failed, and a failing step is retried on its own. This module names no stage:
the steps, their order and what they act on are core's, and ``run_stage`` runs the very same ones
in-process. Tasks get plain values (the subject) and open the database themselves, so a task can be
retried, or run on another worker, without shipping connections around. Branches are batched
inside the core functions (one scoring call per period), never one task per branch.

A scheduled run names no period: core assesses the last period of the stage's length that ended
before the run (a quarterly run on 5 April assesses Q1; the annual run in January, last year). Days
are reckoned in Asia/Shanghai.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy import Engine

from bastion.core import db, locks
from bastion.core.registry import default_registry
from bastion.core.settings import Settings, current_actor
from bastion.core.stages import service as stages
from bastion.core.periods import TIME_ZONE

RETRIES = 2
RETRY_DELAY_SECONDS = 10


def _tie_temporary_server() -> None:
    """With no Prefect server configured, the temporary one Prefect starts for these flows dies with this process,
    even when it is killed (:mod:`.server`)."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        from .server import tie_temporary_server

        tie_temporary_server()


_tie_temporary_server()


def today() -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date()


_engines: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """One engine per database URL for this process's flows (its pool shared by their tasks)."""
    if url not in _engines:
        _engines[url] = db.connect(Settings(home=Settings.from_env().home, database_url=url))
    return _engines[url]


def forget_engines() -> None:
    """Close the engines this process keeps for its flows: the database behind a URL was replaced (the demo
    rebuilt in a fresh embedded database), and the next flow must open the new one."""
    while _engines:
        _engines.popitem()[1].dispose()


def context() -> stages.StageContext:
    """The stage context of this process, linked to the running flow (if any)."""
    settings = Settings.from_env()
    run_id = flow_run.get_id()
    return stages.StageContext(_engine(settings.database_url), default_registry(), settings.home, current_actor(),
                               flow_run_id=str(run_id) if run_id else None)


def summary(run) -> dict[str, Any]:
    """What a run tells whoever ran it: its key, status and attempts, and what it did."""
    if run is None:
        return {"status": "already succeeded"}
    return {"key": run.key, "status": run.status, "attempts": run.attempts, **run.detail}


@task(name="begin", cache_policy=NO_CACHE)
def begin_task(subject: dict[str, Any]) -> dict[str, Any]:
    """Record the subject's run as started under this runner's lease: its id and the lease's token; or why there
    is nothing to do (it already succeeded, or another runner has it in hand)."""
    try:
        run = stages.begin(context(), stages.Subject(**subject))
    except locks.Held as held:
        return {"held": str(held)}
    return {} if run is None else {"id": run.id, "token": run.lease_token}


def held_elsewhere(why: Exception) -> dict[str, Any]:
    """What a flow tells when another runner has the run in hand."""
    return {"status": "held elsewhere", "detail": str(why)}


@task(cache_policy=NO_CACHE)
def step_task(subject: dict[str, Any], step: str, run_id: int, token: str) -> dict[str, Any] | None:
    """One step of the subject's stage; what the run tells when the stage ends with it, else None.

    A runner taken over (its lease expired while it was away, and another runner has the run now)
    ends here, having written nothing: the task is not retried, the run is the other's."""
    ctx = context()
    try:
        done = stages.do_step(ctx, stages.Subject(**subject), step, stages.get_run(ctx.engine, run_id), token=token)
    except (locks.LeaseLost, locks.Held) as taken:
        return held_elsewhere(taken)
    return None if done is None else summary(done)


def _run_name() -> str:
    params = flow_run.parameters
    return "-".join(str(params.get(k)) for k in ("tenant", "stage", "period", "year", "on") if params.get(k))


@flow(name="bastion-stage", flow_run_name=_run_name, log_prints=True)
def stage_flow(tenant: str, stage: str, period: str | None = None, on: date | None = None,
               year: int | None = None) -> dict[str, Any]:
    """Run one stage of a tenant's calendar (see the module docstring); what the last subject's run tells."""
    logger = get_run_logger()
    out: dict[str, Any] = {}
    for subject in stages.plan(context(), tenant, stage, period=period, on=on or today(), year=year):
        values = asdict(subject)
        started = begin_task(values)
        if "held" in started:
            logger.warning("%s: %s", subject.run_key, started["held"])
            out = {"status": "held elsewhere", "detail": started["held"]}
            continue
        if not started:
            logger.info("%s: already succeeded, nothing to do", subject.run_key)
            out = summary(None)
            continue
        for step in stages.STAGES[stage].steps:
            out = step_task.with_options(name=step.name, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)(
                values, step.name, started["id"], started["token"])
            if out is not None:
                break
        (logger.warning if out.get("status") == "held elsewhere" else logger.info)("%s: %s", subject.run_key, out)
    return out
