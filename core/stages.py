"""The stages of a tenant's calendar (考核日历) as plain functions: what Prefect's flows run.

- ``spot_check``: draw a random sample of branches (seeded; the seed and the sample recorded) and
  create the checks to be done (不定期抽查);
- ``monthly`` / ``quarterly`` / ``half_year``: score the period from the facts recorded so far and
  publish its standings with a bulletin (月评价、季通报、半年检查);
- ``annual``: score, put the results to the leaders' review (they wait as ``reviewed`` until
  confirmed, unless the tenant confirms automatically), then publish — ranks, tiers, incentives —
  and the bulletin (年终考核);
- ``rectification``: issue notices (整改通知书) for findings and rectification incentives, remind
  before the deadline, mark overdue and escalate after it, call for re-verification (复验).

Exactly once: each run is recorded as a :class:`~bastion.core.models.StageRun` under a key naming
what it acts on (``2026:quarterly:2026-Q2``). A stage that succeeded is not acted out again; one that
failed or was killed half-way is run again from the start, and every step is idempotent — scoring
replaces drafts, publishing replaces its awards, a notice exists once per source, a bulletin once
per period — so the rerun leaves what one clean run leaves. The stages that only write rows
(spot check, rectification) write them in the same transaction that marks the run succeeded.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit, cycles, scoring
from .bulletins import write_bulletin
from .contributions import CycleEvent
from .cycles import cycle_scheme
from .db import transaction
from .engine import Period
from .errors import BastionError, NotFound
from .i18n import tr
from .models import (
    Check,
    CheckKind,
    Cycle,
    Evaluation,
    EvaluationStatus,
    Finding,
    Incentive,
    Rectification,
    RectificationStatus,
    StageRun,
    StageStatus,
    Tenant,
    utcnow,
)
from .registry import Registry
from .tenants import enabled_plugins
from .words import STAGE_STATUS, word

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "half_year": 6, "annual": 12}
STAGES = ("open_cycle", "spot_check", *PERIOD_MONTHS, "rectification")
NOTICE_DAYS = 30  # a finding's notice is due this many days after it is issued
REMIND_DAYS = 7
FINDING_REQUIREMENT = "针对检查发现的问题限期整改，整改情况书面反馈，期满复验"


class StageFailed(BastionError):
    """A stage raised: its run is recorded as failed with the reason; published results are untouched."""


@dataclass(frozen=True)
class StageContext:
    """What every stage needs: where, for whom, by whom, and the Prefect flow run (if any) that runs it."""

    engine: Engine
    registry: Registry
    home: Path
    actor: str
    flow_run_id: str | None = None


def stage_key(year: int, stage: str, subject: str) -> str:
    return f"{year}:{stage}:{subject}"


def find_run(engine: Engine, tenant_id: int, key: str) -> StageRun | None:
    with Session(engine) as session:
        return session.exec(select_model(StageRun).where(StageRun.tenant_id == tenant_id, StageRun.key == key)).first()


def get_run(engine: Engine, run_id: int) -> StageRun:
    with Session(engine) as session:
        run = session.get(StageRun, run_id)
    if run is None:
        raise NotFound(tr(f"没有阶段运行记录 #{run_id}", f"no stage run #{run_id}"))
    return run


def start_run(ctx: StageContext, cycle: Cycle, stage: str, subject: str) -> StageRun | None:
    """Record that a stage starts; None when it already succeeded (nothing is to be done again)."""
    return _start(ctx, cycle.tenant_id, cycle.year, cycle.id, stage, subject)


def _start(ctx: StageContext, tenant_id: int, year: int, cycle_id: int | None, stage: str,
           subject: str) -> StageRun | None:
    key = stage_key(year, stage, subject)
    with transaction(ctx.engine) as session:
        run = session.exec(select_model(StageRun).where(StageRun.tenant_id == tenant_id,
                                                        StageRun.key == key)).first()
        if run is not None and run.status == StageStatus.succeeded:
            return None
        run = run or StageRun(tenant_id=tenant_id, cycle_id=cycle_id, key=key, stage=stage,
                              period=subject if stage in PERIOD_MONTHS else "", status=StageStatus.running)
        run.status, run.attempts, run.error = StageStatus.running.value, run.attempts + 1, None
        run.flow_run_id, run.started_at, run.finished_at = ctx.flow_run_id, utcnow(), None
        session.add(run)
    return run


def _resume(ctx: StageContext, run: StageRun) -> StageRun:
    """Carry on a run that waited (for the leaders' review): the same try, still linked to the flow run that
    scored it, unless a flow run carries it on."""
    with transaction(ctx.engine) as session:
        run = session.merge(run)
        run.status, run.error, run.finished_at = StageStatus.running.value, None, None
        run.flow_run_id = ctx.flow_run_id or run.flow_run_id
        session.add(run)
    return run


def finish_run(session: Session, run: StageRun, detail: dict[str, Any],
               status: StageStatus = StageStatus.succeeded) -> StageRun:
    run = session.merge(run)
    run.status, run.detail, run.finished_at = status.value, detail, utcnow()
    session.add(run)
    return run


def fail_run(engine: Engine, run: StageRun, exc: BaseException) -> None:
    with transaction(engine) as session:
        run = session.merge(run)
        run.status, run.error, run.finished_at = StageStatus.failed.value, f"{type(exc).__name__}: {exc}", utcnow()
        session.add(run)


def guarded(ctx: StageContext, run: StageRun, action: Callable[[], StageRun]) -> StageRun:
    """Run a stage's body; if it raises, record the failure on the run and raise :class:`StageFailed`."""
    try:
        return action()
    except Exception as exc:
        fail_run(ctx.engine, run, exc)
        raise StageFailed(tr(f"阶段 {run.key} 失败（第 {run.attempts} 次尝试）：{type(exc).__name__}: {exc}",
                             f"stage {run.key} failed (attempt {run.attempts}): {type(exc).__name__}: {exc}")) from exc


def _tenant(engine: Engine, tenant_id: int) -> Tenant:
    with Session(engine) as session:
        return session.get(Tenant, tenant_id)


def _notify(ctx: StageContext, cycle: Cycle, name: str, period: str | None, detail: dict[str, Any]) -> None:
    with Session(ctx.engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
        tenant = session.get(Tenant, cycle.tenant_id)
    ctx.registry.notify(CycleEvent(name, tenant.code, cycle.year, period, detail=detail), enabled)


# --- opening the year ---------------------------------------------------------------------------


def open_year(ctx: StageContext, tenant: Tenant, year: int, *, scheme_id: str | None = None) -> StageRun | None:
    """Open the tenant's cycle of ``year``: its enabled scheme frozen as it is now, with its targets.

    The scheme is ``scheme_id``, else the one the previous year's cycle ran if the tenant still
    enables it, else the only scheme the tenant enables. A cycle already opened (by hand) is kept.
    """
    run = _start(ctx, tenant.id, year, None, "open_cycle", str(year))
    if run is None:
        return None

    def body() -> StageRun:
        with transaction(ctx.engine) as session:
            cycle = session.exec(select_model(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.year == year)).first()
            existing = cycle is not None
            if cycle is None:
                previous = session.exec(select_model(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.year < year)
                                        .order_by(Cycle.year.desc())).first()
                enabled = ctx.registry.schemes(enabled_plugins(session, tenant.id))
                chosen = scheme_id or (previous.scheme_id if previous and previous.scheme_id in enabled else None)
                cycle = cycles.open_cycle(session, tenant=tenant, year=year, registry=ctx.registry, actor=ctx.actor,
                                          scheme_id=chosen)
            run.cycle_id = cycle.id
            return finish_run(session, run, {"cycle": cycle.id, "scheme": cycle.scheme_id,
                                             "version": cycle.scheme_version, "already_open": existing})

    return guarded(ctx, run, body)


# --- spot checks ------------------------------------------------------------------------------


def draw_seed(tenant_code: str, on: date) -> int:
    """The default seed of a day's draw: fixed by tenant and day, so a rerun draws the same sample."""
    return zlib.crc32(f"{tenant_code}:{on.isoformat()}".encode())


def spot_check(ctx: StageContext, cycle: Cycle, on: date, *, share: float = 0.1, size: int | None = None,
               seed: int | None = None, inspector: str = "督查组") -> StageRun | None:
    """Draw ``size`` branches (default ``share`` of them) at random and create their checks for ``on``."""
    run = start_run(ctx, cycle, "spot_check", on.isoformat())
    if run is None:
        return None

    def body() -> StageRun:
        tenant = _tenant(ctx.engine, cycle.tenant_id)
        with ctx.engine.connect() as conn:
            branches = scoring.read_branches(conn, cycle.tenant_id).sort_values("code")
        if branches.empty:
            raise BastionError(tr("没有可供抽取的在用党支部", "there are no active branches to draw from"))
        drawn_seed = draw_seed(tenant.code, on) if seed is None else seed
        n = min(len(branches), size or max(1, math.ceil(share * len(branches))))
        picked = np.random.default_rng(drawn_seed).choice(len(branches), size=n, replace=False)
        sample = branches.iloc[np.sort(picked)]
        with transaction(ctx.engine) as session:
            checks = [Check(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=int(org), kind=CheckKind.spot.value,
                            date=on, inspector=inspector, status="planned", note=f"随机抽查（种子 {drawn_seed}）")
                      for org in sample["org_id"]]
            session.add_all(checks)
            session.flush()
            detail = {"seed": drawn_seed, "drawn": n, "of": len(branches), "sample": list(sample["code"]),
                      "checks": [c.id for c in checks]}
            audit.record(session, tenant_id=cycle.tenant_id, actor=ctx.actor, action="draw", entity="spot_check",
                         entity_id=on.isoformat(), new=detail)
            return finish_run(session, run, detail)

    return guarded(ctx, run, body)


# --- periods ----------------------------------------------------------------------------------


def last_completed(stage: str, day: date) -> Period:
    """The last period of ``stage``'s length that ended on or before ``day``."""
    months = PERIOD_MONTHS[stage]
    index = (day.year * 12 + day.month - 1) // months - 1  # the period before the one ``day`` is in
    year, first = divmod(index * months, 12)
    key = {12: f"{year}", 6: f"{year}-H{first // 6 + 1}", 3: f"{year}-Q{first // 3 + 1}",
           1: f"{year}-{first + 1:02d}"}[months]
    return Period.parse(key)


def period_of_stage(stage: str, cycle: Cycle, period_key: str) -> Period:
    period = scoring.period_in_cycle(cycle, period_key)
    if stage in PERIOD_MONTHS and period.months != PERIOD_MONTHS[stage]:
        raise BastionError(tr(f"阶段 {stage} 考核的是 {PERIOD_MONTHS[stage]} 个月的考核期，不是 {period.key}",
                              f"stage {stage} assesses periods of {PERIOD_MONTHS[stage]} month(s), not {period.key}"))
    return period


def _statuses(engine: Engine, cycle: Cycle, period: Period) -> set[str]:
    e = Evaluation.__table__.c
    with engine.connect() as conn:
        return set(conn.execute(select(e.status).where(e.cycle_id == cycle.id, e.period == period.key).distinct())
                   .scalars())


def evaluate_period(ctx: StageContext, cycle: Cycle, stage: str, period_key: str, *,
                    today: date | None = None) -> StageRun | None:
    """Score a period, publish it (after the leaders' review for ``annual``) and write its bulletin."""
    period = period_of_stage(stage, cycle, period_key)
    run = start_run(ctx, cycle, stage, period.key)
    if run is None:
        return None

    def body() -> StageRun:
        score_step(ctx, cycle, period)
        return conclude_step(ctx, cycle, stage, period, run, today or date.today())

    return guarded(ctx, run, body)


def score_step(ctx: StageContext, cycle: Cycle, period: Period) -> bool:
    """Score the period unless it is under review or published already; True when it scored."""
    statuses = _statuses(ctx.engine, cycle, period)
    if EvaluationStatus.published in statuses or EvaluationStatus.reviewed in statuses:
        return False
    scoring.score_period(ctx.engine, cycle=cycle, period_key=period.key, registry=ctx.registry, actor=ctx.actor)
    return True


def conclude_step(ctx: StageContext, cycle: Cycle, stage: str, period: Period, run: StageRun,
                  today: date) -> StageRun:
    """After scoring: the leaders' review for an annual stage (unless confirmed automatically), else publish."""
    if stage == "annual" and EvaluationStatus.published not in _statuses(ctx.engine, cycle, period):
        if not _tenant(ctx.engine, cycle.tenant_id).auto_confirm_review:
            return review_step(ctx, cycle, period, run)
        confirm_step(ctx, cycle, period)
    return publish_step(ctx, cycle, period, run, today)


def review_step(ctx: StageContext, cycle: Cycle, period: Period, run: StageRun) -> StageRun:
    """Put the drafts to the leaders' review: they wait as ``reviewed`` until :func:`confirm_review`."""
    with transaction(ctx.engine) as session:
        _mark_reviewed(session, cycle, period)
        done = finish_run(session, run, {"period": period.key, "awaiting": "leader review (领导审核)"},
                          StageStatus.awaiting_review)
    _notify(ctx, cycle, "awaiting_review", period.key, {"stage": run.stage})
    return done


def _mark_reviewed(session: Session, cycle: Cycle, period: Period) -> None:
    e = Evaluation.__table__.c
    session.connection().execute(update(Evaluation.__table__)
                                 .where(e.cycle_id == cycle.id, e.period == period.key,
                                        e.status == EvaluationStatus.draft.value)
                                 .values(status=EvaluationStatus.reviewed.value))


def confirm_step(ctx: StageContext, cycle: Cycle, period: Period) -> None:
    with transaction(ctx.engine) as session:
        _mark_reviewed(session, cycle, period)
        audit.record(session, tenant_id=cycle.tenant_id, actor=ctx.actor, action="confirm", entity="cycle",
                     entity_id=cycle.id, new={"period": period.key})


def publish_step(ctx: StageContext, cycle: Cycle, period: Period, run: StageRun, today: date) -> StageRun:
    awards = scoring.publish_period(ctx.engine, cycle=cycle, period_key=period.key, registry=ctx.registry,
                                    actor=ctx.actor)
    with transaction(ctx.engine) as session:
        bulletin = write_bulletin(session, cycle=cycle, period=period, home=ctx.home, today=today)
        organizations = session.exec(select(func.count()).select_from(Evaluation).where(
            Evaluation.cycle_id == cycle.id, Evaluation.period == period.key)).one()[0]
        return finish_run(session, run, {"period": period.key, "organizations": organizations, "awards": awards,
                                         "bulletin": bulletin.docx_path, "table": bulletin.xlsx_path})


def confirm_review(ctx: StageContext, cycle: Cycle, period_key: str, *, today: date | None = None) -> StageRun:
    """A leader confirms the annual results under review: they are published with their incentives."""
    period = scoring.period_in_cycle(cycle, period_key)
    key = stage_key(cycle.year, "annual", period.key)
    run = find_run(ctx.engine, cycle.tenant_id, key)
    if run is None or run.status != StageStatus.awaiting_review:
        if run is None:
            raise BastionError(tr(f"{period.key} 没有待审核的结果：年度考核阶段尚未运行",
                                  f"nothing awaits review for {period.key}: the annual stage has not run"))
        raise BastionError(tr(f"{period.key} 没有待审核的结果：年度考核阶段的状态为“{word(STAGE_STATUS, run.status)}”",
                              f"nothing awaits review for {period.key}: the annual stage is {run.status}"))
    run = _resume(ctx, run)

    def body() -> StageRun:
        confirm_step(ctx, cycle, period)
        return publish_step(ctx, cycle, period, run, today or date.today())

    return guarded(ctx, run, body)


# --- rectification follow-up -------------------------------------------------------------------


def follow_up_rectifications(ctx: StageContext, cycle: Cycle, today: date, *,
                             remind_days: int = REMIND_DAYS) -> StageRun | None:
    """Issue the notices still due, remind, mark overdue and escalate, call for re-verification."""
    run = start_run(ctx, cycle, "rectification", today.isoformat())
    if run is None:
        return None

    def body() -> StageRun:
        with transaction(ctx.engine) as session:
            issued = _issue_notices(session, cycle, today)
            notices = session.exec(select_model(Rectification).where(Rectification.cycle_id == cycle.id)).all()
            overdue, due, reverify = [], [], []
            for notice in notices:
                if notice.status in (RectificationStatus.issued, RectificationStatus.reopened) and notice.deadline < today:
                    notice.status = RectificationStatus.overdue.value
                    session.add(notice)
                    overdue.append(notice.notice_no)
                elif notice.status == RectificationStatus.issued and notice.deadline <= today + timedelta(remind_days):
                    due.append(notice.notice_no)
                elif notice.status == RectificationStatus.responded and notice.deadline <= today:
                    reverify.append(notice.notice_no)
            detail = {"issued": issued, "due_soon": due, "overdue": overdue, "to_reverify": reverify}
            if overdue:
                audit.record(session, tenant_id=cycle.tenant_id, actor=ctx.actor, action="overdue",
                             entity="rectification", new={"notices": overdue, "on": today.isoformat()})
            done = finish_run(session, run, detail)
        for name, notices_of in (("rectification_due", due), ("rectification_overdue", overdue),
                                 ("reverification_due", reverify)):
            if notices_of:
                _notify(ctx, cycle, name, None, {"notices": notices_of, "on": today.isoformat()})
        return done

    return guarded(ctx, run, body)


def notice_numbers(session: Session, tenant_id: int, year: int, count: int) -> list[str]:
    """The next ``count`` notice numbers (``ZG<year>-NNNNN``), running on from the tenant's notices so far."""
    issued_before = session.exec(select(func.count()).select_from(Rectification).where(
        Rectification.tenant_id == tenant_id)).one()[0]
    return [f"ZG{year}-{n:05d}" for n in range(issued_before + 1, issued_before + count + 1)]


def _issue_notices(session: Session, cycle: Cycle, today: date) -> list[str]:
    """A notice for each rectification incentive and each finding of the cycle's year that has none yet."""
    conn = session.connection()
    r, i, f = Rectification.__table__.c, Incentive.__table__.c, Finding.__table__.c
    awards = conn.execute(
        select(i.id, i.org_id, i.evaluation_id, i.title, i.effect, i.effective_until)
        .where(i.cycle_id == cycle.id, i.kind == "rectification",
               i.id.not_in(select(r.incentive_id).where(r.incentive_id.is_not(None))))
        .order_by(i.id)).all()
    findings = conn.execute(
        select(f.id, f.org_id, f.indicator_code, f.description, f.date)
        .where(f.tenant_id == cycle.tenant_id, f.date >= date(cycle.year, 1, 1), f.date < date(cycle.year + 1, 1, 1),
               f.id.not_in(select(r.finding_id).where(r.finding_id.is_not(None))))
        .order_by(f.id)).all()
    if not awards and not findings:
        return []
    names = {spec.code: spec.name for spec in cycle_scheme(cycle).indicators()}
    notices = []
    for award in awards:
        effect = award.effect or {}
        notices.append(Rectification(
            tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=award.org_id, incentive_id=award.id,
            evaluation_id=award.evaluation_id, notice_no="", problem=award.title,
            requirement=str(effect.get("requirement") or "对照考核结果查找差距，制定整改措施，按期整改到位，期满复验"),
            issued_at=today, deadline=award.effective_until or today + timedelta(NOTICE_DAYS)))
    for finding in findings:
        notices.append(Rectification(
            tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=finding.org_id, finding_id=finding.id, notice_no="",
            problem=f"{names.get(finding.indicator_code, finding.indicator_code)}：{finding.description}",
            requirement=FINDING_REQUIREMENT,
            issued_at=today, deadline=max(today, finding.date) + timedelta(NOTICE_DAYS)))
    for notice, number in zip(notices, notice_numbers(session, cycle.tenant_id, cycle.year, len(notices)), strict=True):
        notice.notice_no = number
    session.add_all(notices)
    session.flush()
    return [n.notice_no for n in notices]


def run_stage(ctx: StageContext, cycle: Cycle, stage: str, *, period: str | None = None,
              on: date | None = None) -> StageRun | None:
    """Run one stage by name (as ``bastion run`` and the flows do); None when it had already succeeded."""
    today = on or date.today()
    if stage == "spot_check":
        return spot_check(ctx, cycle, today)
    if stage in PERIOD_MONTHS:
        if period is None:
            raise BastionError(tr(f"阶段 {stage} 需要指定考核期（如 {cycle.year}-Q1、{cycle.year}-H1、{cycle.year}）",
                                  f"stage {stage} needs a period (e.g. {cycle.year}-Q1, {cycle.year}-H1, "
                                  f"{cycle.year})"))
        return evaluate_period(ctx, cycle, stage, period, today=today)
    if stage == "rectification":
        return follow_up_rectifications(ctx, cycle, today)
    raise NotFound(tr(f"没有考核阶段 {stage!r}；可用：{'、'.join(STAGES)}", f"no stage {stage!r}; stages: {', '.join(STAGES)}"))


def read_runs(engine: Engine, tenant_id: int, year: int | None = None) -> list[StageRun]:
    with Session(engine) as session:
        query = select_model(StageRun).where(StageRun.tenant_id == tenant_id)
        if year is not None:
            query = query.where(StageRun.key.startswith(f"{year}:"))
        return list(session.exec(query.order_by(StageRun.started_at, StageRun.id)).all())
