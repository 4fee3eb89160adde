"""The stages of a tenant's calendar (考核日历): one table, one runner, the run records.

:data:`STAGES` names every stage, the subjects one request of it acts on (:func:`plan`) and its
steps. :func:`run_subject` runs a subject's steps here, in this process (``bastion`` tools and
tests); the Prefect flow (``bastion.flows.stages``) runs the very same steps, a task each, through
:func:`begin` and :func:`do_step` — so the two leave the same records. What each step does lives
in :mod:`.steps`.

Exactly once: each subject is recorded as a :class:`~bastion.core.models.StageRun` under a key
naming what it acts on (``2026:quarterly:2026-Q2``). A stage that succeeded is not acted out
again; one that failed or was killed half-way is run again from the start, and every step is
idempotent — scoring replaces drafts, publishing replaces its awards, a notice exists once per
source, a bulletin once per period — so the rerun leaves what one clean run leaves. The stages
that only write rows (spot check, rectification) write them in the same transaction that marks the
run succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlmodel import Session
from sqlmodel import select as select_model

from .. import locks, periods, tenants
from ..access import Action, Principal, require_whole_tenant
from . import steps
from .runs import StageContext, StageFailed, fail_run, fence, find_run, get_run, run_lease, stage_key
from ..cycles import resolve_cycle
from ..db import transaction
from ..errors import BadValue, BastionError
from ..i18n import tr
from ..models import Cycle, StageRun, StageStatus, Tenant, utcnow
from ..periods import STAGE_MONTHS, Period
from ..words import STAGE_STATUS, word


@dataclass(frozen=True)
class Subject:
    """What one run of a stage acts on, in plain values (a Prefect task carries it as it is).

    ``key`` is a period (``2026-Q1``), a day (``2026-03-02``) or a year (``2026``); ``on`` is the
    day the run acts on; ``options`` are the stage's own (a spot check's ``size`` or ``seed``).
    """

    tenant: str
    year: int
    stage: str
    key: str
    on: date
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def run_key(self) -> str:
        return stage_key(self.year, self.recorded_as, self.key)

    @property
    def recorded_as(self) -> str:
        """The stage whose run this subject's run is: a confirmation carries on the annual run it confirms."""
        return STAGES[self.stage].records_as or self.stage


# A step gets the context, the subject, its cycle (None before the cycle is opened) and the run; it returns
# the finished run to end the stage, or None to go on to the next step.
StepFunction = Callable[[StageContext, Subject, Cycle | None, StageRun], StageRun | None]


@dataclass(frozen=True)
class Step:
    name: str
    act: StepFunction


@dataclass(frozen=True)
class Stage:
    """A stage of the calendar: what a request of it acts on, how its run starts, and its steps in order.

    ``cron`` is set for the stages every tenant's calendar runs whatever its scheme says (the daily
    rectification follow-up, the opening of each year); ``scheduled`` is False for a stage only a
    person starts (a leader's confirmation).
    """

    name: str
    subjects: Callable[[StageContext, Tenant, str | None, date, int | None], list[tuple[int, str]]]
    steps: tuple[Step, ...]
    needs_cycle: bool = True
    resumes: bool = False  # carries on a run waiting for the leaders' review instead of starting one
    records_as: str | None = None
    cron: str | None = None
    cron_description: tuple[str, str] | None = None
    scheduled: bool = True


# --- what a request acts on ----------------------------------------------------------------------


def _the_year(ctx: StageContext, tenant: Tenant, period: str | None, on: date, year: int | None) -> list[tuple[int, str]]:
    opened = year or (Period.parse(period).year if period else on.year)
    return [(opened, str(opened))]


def _the_day(ctx: StageContext, tenant: Tenant, period: str | None, on: date, year: int | None) -> list[tuple[int, str]]:
    return [(year or on.year, on.isoformat())]


def _followed_cycles(ctx: StageContext, tenant: Tenant, period: str | None, on: date,
                     year: int | None) -> list[tuple[int, str]]:
    """The cycles a follow-up on ``on`` looks after: the one asked for, else last year's and this year's (the
    annual notices fall due in the next year)."""
    if year is not None:
        return [(year, on.isoformat())]
    with Session(ctx.engine) as session:
        found = session.exec(select_model(Cycle.year).where(Cycle.tenant_id == tenant.id,
                                                            Cycle.year.in_([on.year - 1, on.year]))).all()
    return [(y, on.isoformat()) for y in sorted(found)]


def _assessed_period(months: int) -> Callable[..., list[tuple[int, str]]]:
    def subjects(ctx: StageContext, tenant: Tenant, period: str | None, on: date,
                 year: int | None) -> list[tuple[int, str]]:
        assessed = Period.parse(period) if period else periods.last_completed(months, on)
        if assessed.months != months:
            raise BastionError(tr(f"考核的是 {months} 个月的考核期，不是 {assessed.key}",
                                  f"assesses periods of {months} month(s), not {assessed.key}"))
        if year is not None:
            periods.of_year(assessed, year)
        return [(assessed.year, assessed.key)]

    return subjects


def _period_to_confirm(ctx: StageContext, tenant: Tenant, period: str | None, on: date,
                       year: int | None) -> list[tuple[int, str]]:
    assessed = Period.parse(period or str(year or on.year))
    if year is not None:
        periods.of_year(assessed, year)
    return [(assessed.year, assessed.key)]


# --- the table --------------------------------------------------------------------------------------

_PERIOD_STEPS = (Step("score", steps.score), Step("conclude", steps.conclude))

STAGES: dict[str, Stage] = {
    "open_cycle": Stage("open_cycle", _the_year, (Step("open", steps.open_cycle),), needs_cycle=False,
                        cron="0 6 1 1 *", cron_description=("开启新考核年度：冻结方案版本及目标",
                                                            "open the new year's cycle: its scheme and targets frozen")),
    "spot_check": Stage("spot_check", _the_day, (Step("draw", steps.draw_sample),)),
    **{name: Stage(name, _assessed_period(months), _PERIOD_STEPS) for name, months in STAGE_MONTHS.items()},
    "rectification": Stage("rectification", _followed_cycles, (Step("follow_up", steps.follow_up),),
                           cron="0 8 * * *", cron_description=("整改跟踪：下发、提醒、逾期、复验",
                                                               "rectification follow-up: issue, remind, overdue, re-verify")),
    "confirm": Stage("confirm", _period_to_confirm, (Step("confirm", steps.confirm), Step("publish", steps.publish)),
                     resumes=True, records_as="annual", scheduled=False),
}


def stage_named(name: str) -> Stage:
    """The stage called ``name``; a :class:`BadValue` naming the stages when there is none."""
    try:
        return STAGES[name]
    except KeyError:
        raise BadValue(tr(f"没有阶段 {name!r}：应为 {'、'.join(STAGES)}",
                          f"no stage {name!r}; stages: {', '.join(STAGES)}")) from None


def plan(ctx: StageContext, tenant_code: str, stage: str, *, period: str | None = None, on: date | None = None,
         year: int | None = None, options: dict[str, Any] | None = None) -> list[Subject]:
    """The subjects a request of ``stage`` acts on: a scheduled run names no period and assesses the last one
    of the stage's length that ended before ``on``; ``year`` pins the cycle."""
    spec = stage_named(stage)
    on = on or date.today()
    with Session(ctx.engine) as session:
        tenant = tenants.resolve_tenant(session, tenant_code)
    return [Subject(tenant.code, cycle_year, stage, key, on, dict(options or {}))
            for cycle_year, key in spec.subjects(ctx, tenant, period, on, year)]


# --- the run records --------------------------------------------------------------------------------


def _tenant_and_cycle(ctx: StageContext, subject: Subject, needs_cycle: bool) -> tuple[Tenant, Cycle | None]:
    with Session(ctx.engine) as session:
        tenant = tenants.resolve_tenant(session, subject.tenant)
        if not needs_cycle:
            return tenant, None
        return tenant, resolve_cycle(session, tenant, subject.year)


def begin(ctx: StageContext, subject: Subject, *, wait: float | None = None) -> StageRun | None:
    """Record that the subject's run starts (a new try); None when it already succeeded: nothing to do again.

    The run is taken under its lease (``core.locks``), held until the run finishes: a second runner
    of the same subject waits up to ``wait`` seconds, then finds it done, or is refused with a
    :class:`~bastion.core.locks.Held` naming the runner. A run left ``running`` by a runner that is
    gone (killed, its machine lost) is taken over and run again. A confirmation carries on the
    annual run that waits for the leaders' review, as the same try.
    """
    spec = STAGES[subject.stage]
    tenant, cycle = _tenant_and_cycle(ctx, subject, spec.needs_cycle)
    holding = locks.acquire(ctx.engine, run_lease(tenant.id, subject.run_key), actor=ctx.actor,
                            purpose=tr(f"阶段 {subject.run_key}", f"stage {subject.run_key}"), wait=wait)
    try:
        run = _resume(ctx, tenant, subject, holding) if spec.resumes else _start(ctx, tenant, cycle, subject, holding)
    except BaseException:
        locks.release(ctx.engine, holding)
        raise
    if run is None:
        locks.release(ctx.engine, holding)
    return run


def _start(ctx: StageContext, tenant: Tenant, cycle: Cycle | None, subject: Subject,
           holding: locks.Holding) -> StageRun | None:
    with transaction(ctx.engine) as session:
        locks.fence(session.connection(), holding.name, holding)
        run = session.exec(select_model(StageRun).where(StageRun.tenant_id == tenant.id,
                                                        StageRun.key == subject.run_key)).first()
        if run is not None and run.status == StageStatus.succeeded:
            return None
        run = run or StageRun(tenant_id=tenant.id, cycle_id=cycle.id if cycle else None, key=subject.run_key,
                              stage=subject.stage, period=subject.key if subject.stage in STAGE_MONTHS else "",
                              status=StageStatus.running)
        run.status, run.attempts, run.error = StageStatus.running.value, run.attempts + 1, None
        run.flow_run_id, run.started_at, run.finished_at = ctx.flow_run_id, utcnow(), None
        run.lease_token = holding.token
        session.add(run)
    return run


def _resume(ctx: StageContext, tenant: Tenant, subject: Subject, holding: locks.Holding) -> StageRun | None:
    """The annual run a confirmation carries on: waiting for the review, or left running or failed by a confirmation
    that did not finish (whether its results are still under review is the lifecycle's to say, at its step)."""
    run = find_run(ctx.engine, tenant.id, subject.run_key)
    if run is None:
        raise BastionError(tr(f"{subject.key} 没有待审核的结果：年度考核阶段尚未运行",
                              f"nothing awaits review for {subject.key}: the annual stage has not run"))
    if run.status == StageStatus.succeeded:
        return None
    if run.status not in (StageStatus.awaiting_review, StageStatus.running, StageStatus.failed) or (
            run.status != StageStatus.awaiting_review and not run.detail.get("confirming")):
        raise BastionError(tr(f"{subject.key} 没有待审核的结果：年度考核阶段的状态为“{word(STAGE_STATUS, run.status)}”",
                              f"nothing awaits review for {subject.key}: the annual stage is {run.status}"))
    with transaction(ctx.engine) as session:
        locks.fence(session.connection(), holding.name, holding)
        run = session.merge(run)
        run.status, run.error, run.finished_at = StageStatus.running.value, None, None
        run.flow_run_id = ctx.flow_run_id or run.flow_run_id  # still linked to the flow run that scored it
        run.lease_token, run.detail = holding.token, {**run.detail, "confirming": True}
        session.add(run)
    return run


def do_step(ctx: StageContext, subject: Subject, step: str, run: StageRun, *, token: str | None = None) -> StageRun | None:
    """Run one step of the subject's stage; the finished run when the stage ends there, else None.

    The step runs under the run's lease (``token``: this runner's, from :func:`begin`; a retried step
    or the next task carries it on), and each of its writes is fenced by it (:func:`.runs.fence`). A
    runner whose lease was taken over — before the step, or while it worked — stops with
    :class:`~bastion.core.locks.LeaseLost` having written nothing, and leaves the run to the runner
    that has it now. A step that raises records the failure on the run and raises
    :class:`StageFailed`; the lease is released when the run finishes or fails, so it can be run
    again at once.
    """
    spec = STAGES[subject.stage]
    act = next(s.act for s in spec.steps if s.name == step)
    token = token or run.lease_token
    name = run_lease(run.tenant_id, run.key)
    with locks.hold(ctx.engine, name, actor=ctx.actor, purpose=tr(f"阶段 {run.key}", f"stage {run.key}"), wait=0,
                    token=token, keep=True) as holding:
        current = get_run(ctx.engine, run.id)
        try:
            if current.lease_token != holding.token:
                raise locks.LeaseLost(tr(f"阶段 {run.key} 已由其他运行者接管",
                                         f"stage {run.key} was taken over by another runner"))
            _, cycle = _tenant_and_cycle(ctx, subject, spec.needs_cycle)
            if current.status == StageStatus.failed:  # a retry of this step: the run goes on
                with transaction(ctx.engine) as session:
                    fence(session, current)
                    current.status, current.error, current.finished_at = StageStatus.running.value, None, None
                    session.add(session.merge(current))
            done = act(ctx, subject, cycle, current)
        except locks.LeaseLost:
            # The run is another runner's now: nothing is recorded on it. The lease goes only if it is still
            # ours (re-taken by this late step after the new runner had finished and let it go).
            locks.release(ctx.engine, holding)
            raise
        except BaseException as exc:
            if not isinstance(exc, Exception):  # interrupted (Ctrl-C, a cancelled flow): the run is left to be rerun
                locks.release(ctx.engine, holding)
                raise
            try:
                fail_run(ctx.engine, current, exc)
            except locks.LeaseLost as lost:  # taken over while it failed: the run is not this runner's to record
                locks.release(ctx.engine, holding)
                raise lost from exc
            locks.release(ctx.engine, holding)
            raise StageFailed(tr(f"阶段 {run.key} 失败（第 {current.attempts} 次尝试）：{type(exc).__name__}: {exc}",
                                 f"stage {run.key} failed (attempt {current.attempts}): {type(exc).__name__}: {exc}")) from exc
        if done is not None:
            locks.release(ctx.engine, holding)
        return done


def run_subject(ctx: StageContext, subject: Subject) -> StageRun | None:
    """Run the subject's stage here, step by step; None when it had already succeeded."""
    run = begin(ctx, subject)
    if run is None:
        return None
    token = run.lease_token
    for step in STAGES[subject.stage].steps:
        done = do_step(ctx, subject, step.name, run, token=token)
        if done is not None:
            return done
        run = get_run(ctx.engine, run.id)
    raise AssertionError(f"stage {subject.stage} ended without finishing its run")  # the table says otherwise


def run_stage(ctx: StageContext, cycle: Cycle, stage: str, *, period: str | None = None, on: date | None = None,
              **options: Any) -> StageRun | None:
    """Run one stage of ``cycle`` by name, here; None when it had already succeeded. The flow runs the same."""
    with Session(ctx.engine) as session:
        tenant = session.get(Tenant, cycle.tenant_id)
    (subject,) = plan(ctx, tenant.code, stage, period=period, on=on, year=cycle.year, options=options)
    return run_subject(ctx, subject)


def open_year(ctx: StageContext, tenant: Tenant, year: int, *, scheme_id: str | None = None) -> StageRun | None:
    """Open the tenant's cycle of ``year`` (the ``open_cycle`` stage): see :func:`.steps.open_cycle`."""
    (subject,) = plan(ctx, tenant.code, "open_cycle", year=year, on=date(year, 1, 1),
                      options={"scheme_id": scheme_id} if scheme_id else None)
    return run_subject(ctx, subject)


def spot_check(ctx: StageContext, cycle: Cycle, on: date, **options: Any) -> StageRun | None:
    """Draw the day's spot-check sample (the ``spot_check`` stage): see :func:`.steps.draw_sample`."""
    return run_stage(ctx, cycle, "spot_check", on=on, **options)


def confirm_review(ctx: StageContext, cycle: Cycle, period_key: str, *, today: date | None = None) -> StageRun:
    """A leader confirms the annual results under review: they are published with their incentives."""
    return run_stage(ctx, cycle, "confirm", period=period_key, on=today)


def leader_confirms(ctx: StageContext, principal: Principal, cycle: Cycle, period_key: str, *,
                    today: date | None = None) -> StageRun | None:
    """``principal`` — a leader over the whole tenant — confirms the results under review, from the dashboard: the
    ``confirm`` stage, run here in their name (``ctx.actor`` is theirs). None when it was confirmed before."""
    with ctx.engine.connect() as conn:
        require_whole_tenant(conn, principal, Action.review,
                             ("考核结果须由对全单位有领导角色的用户确认发布", "the results are confirmed by a leader of the "
                              "whole tenant"))
    return confirm_review(replace(ctx, actor=principal.username), cycle, period_key, today=today)
