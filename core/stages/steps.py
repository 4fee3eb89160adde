"""What each step of a stage does (the table in :mod:`.service` names them).

Every step gets the context, the subject, its cycle and the run; it returns the finished run when
the stage ends with it, None to go on to the next step. Each transaction a step writes in begins
with the run's fence (:func:`.runs.fence`; scoring and publishing fence the run's lease with their
period's, ``core.locks.fence``): a runner taken over while it worked writes nothing.

- ``open_cycle``: the year's cycle opened with its scheme frozen (a cycle opened by hand is kept);
- ``draw_sample``: a random sample of branches (seeded; the seed and the sample recorded) and their checks
  (不定期抽查);
- ``score`` then ``conclude``: the period scored from the facts recorded so far, then published with its
  bulletin (月评价、季通报、半年检查) — or, for the year, put to the leaders' review first (年终考核);
- ``confirm`` then ``publish``: a leader's confirmation of the year under review, then its publication, which the
  annual stage ends by verifying (``core.verify``: scored again from its frozen inputs, the outcome in the run's
  detail);
- ``follow_up``: notices issued, reminded, marked overdue, called for re-verification
  (:func:`bastion.core.rectification.service.follow_up`).
"""

from __future__ import annotations

import math
import zlib
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select, update
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit, cycles, lifecycle, scoring
from ..bulletins.service import write_bulletin
from ..contributions import CycleEvent
from ..db import transaction
from ..errors import BastionError
from ..i18n import tr
from ..models import (Check, CheckKind, Cycle, Evaluation, EvaluationStatus, Incentive, OrgLevel, StageRun,
                      StageStatus, Tenant)
from ..periods import Period, moment_on
from ..rectification import service as rectification
from ..tenants import enabled_plugins
from ..verify import summary as verification_summary
from ..verify import verify_period
from .runs import StageContext, fence, finish_run

if TYPE_CHECKING:
    from .service import Subject


def _tenant(ctx: StageContext, tenant_id: int) -> Tenant:
    with Session(ctx.engine) as session:
        return session.get(Tenant, tenant_id)


def _notify(ctx: StageContext, cycle: Cycle, name: str, period: str | None, detail: dict[str, Any]) -> None:
    with Session(ctx.engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
        tenant = session.get(Tenant, cycle.tenant_id)
    ctx.registry.notify(CycleEvent(name, tenant.code, cycle.year, period, detail=detail), enabled)


# --- opening the year -----------------------------------------------------------------------------


def open_cycle(ctx: StageContext, subject: Subject, cycle: Cycle | None, run: StageRun) -> StageRun:
    """Open the tenant's cycle of the subject's year: its enabled scheme frozen as it is now, with its targets.

    The scheme is the subject's ``scheme_id`` option, else the one the previous year's cycle ran if
    the tenant still enables it, else the only scheme the tenant enables. A cycle already opened (by
    hand) is kept.
    """
    with transaction(ctx.engine) as session:
        fence(session, run)
        tenant = session.exec(select_model(Tenant).where(Tenant.code == subject.tenant)).one()
        cycle = session.exec(select_model(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.year == subject.year)).first()
        existing = cycle is not None
        if cycle is None:
            previous = session.exec(select_model(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.year < subject.year)
                                    .order_by(Cycle.year.desc())).first()
            enabled = ctx.registry.schemes(enabled_plugins(session, tenant.id))
            chosen = subject.options.get("scheme_id") or (
                previous.scheme_id if previous and previous.scheme_id in enabled else None)
            cycle = cycles.open_cycle(session, tenant=tenant, year=subject.year, registry=ctx.registry,
                                      actor=ctx.actor, scheme_id=chosen)
        return finish_run(session, run, {"cycle": cycle.id, "scheme": cycle.scheme_id,
                                         "version": cycle.scheme_version, "already_open": existing}, cycle_id=cycle.id)


# --- spot checks ------------------------------------------------------------------------------------


def draw_seed(tenant_code: str, on: date) -> int:
    """The default seed of a day's draw: fixed by tenant and day, so a rerun draws the same sample."""
    return zlib.crc32(f"{tenant_code}:{on.isoformat()}".encode())


def draw_sample(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> StageRun:
    """Draw ``size`` branches (default ``share`` of them, 10 %) at random and create their checks for the day.

    Options: ``share``, ``size``, ``seed`` (default :func:`draw_seed`), ``inspector``.
    """
    on, options = subject.on, subject.options
    with ctx.engine.connect() as conn:
        branches = scoring.read_branches(conn, cycle.tenant_id).sort_values("code")
    if branches.empty:
        raise BastionError(tr("没有可供抽取的在用党支部", "there are no active branches to draw from"))
    drawn_seed = draw_seed(subject.tenant, on) if options.get("seed") is None else int(options["seed"])
    n = min(len(branches), options.get("size") or max(1, math.ceil(options.get("share", 0.1) * len(branches))))
    picked = np.random.default_rng(drawn_seed).choice(len(branches), size=n, replace=False)
    sample = branches.iloc[np.sort(picked)]
    with transaction(ctx.engine) as session:
        fence(session, run)
        checks = [Check(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=int(org), kind=CheckKind.spot.value,
                        date=on, inspector=options.get("inspector", "督查组"), status="planned",
                        note=f"随机抽查（种子 {drawn_seed}）")
                  for org in sample["org_id"]]
        session.add_all(checks)
        session.flush()
        detail = {"seed": drawn_seed, "drawn": n, "of": len(branches), "sample": list(sample["code"]),
                  "checks": [c.id for c in checks]}
        audit.record(session, tenant_id=cycle.tenant_id, actor=ctx.actor, action="draw", entity="spot_check",
                     entity_id=on.isoformat(), new=detail)
        return finish_run(session, run, detail)


# --- assessing a period -----------------------------------------------------------------------------


def score(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> None:
    """Score the period unless it is under review or published already."""
    with ctx.engine.connect() as conn:
        now = lifecycle.state(conn, cycle.id, subject.key)
    if now in (lifecycle.UNSCORED, lifecycle.DRAFT):
        scoring.score_period(ctx.engine, cycle=cycle, period_key=subject.key, registry=ctx.registry, actor=ctx.actor)
    return None


#: How often a stage scores its period again when a fact of it was recorded while it was being scored.
RESCORES = 3


def conclude(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> StageRun:
    """After scoring: the leaders' review for the year (unless the tenant confirms automatically), else publish.

    Run again after a failure, it carries on from where the period stands: results already put to
    the review wait for it, published ones get their bulletin. Drafts a fact of the period recorded since
    they were scored outdates (``scoring.Outdated``) are scored again first."""
    for _ in range(RESCORES):
        try:
            return _conclude(ctx, subject, cycle, run)
        except scoring.Outdated:
            scoring.score_period(ctx.engine, cycle=cycle, period_key=subject.key, registry=ctx.registry,
                                 actor=ctx.actor)
    return _conclude(ctx, subject, cycle, run)


def _conclude(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> StageRun:
    period = Period.parse(subject.key)
    with ctx.engine.connect() as conn:
        now = lifecycle.state(conn, cycle.id, period.key)
    if now == lifecycle.REVIEWED:
        return _awaiting_review(ctx, cycle, period, run)
    if now == lifecycle.DRAFT and period.months == 12 and not _tenant(ctx, cycle.tenant_id).auto_confirm_review:
        return _put_to_review(ctx, cycle, period, run)
    return publish(ctx, subject, cycle, run)


def _put_to_review(ctx: StageContext, cycle: Cycle, period: Period, run: StageRun) -> StageRun:
    """The drafts wait as ``reviewed`` for the leaders' review (领导审核) until a leader confirms them."""
    with lifecycle.changing(ctx.engine, cycle, period.key, "review", actor=ctx.actor), \
            transaction(ctx.engine) as session:
        conn = session.connection()
        fence(conn, run)
        lifecycle.fence(conn, cycle, period.key, "review")
        scoring.refuse_outdated(conn, cycle, period, action="review")
        e = Evaluation.__table__.c
        marked = conn.execute(update(Evaluation.__table__).where(e.cycle_id == cycle.id, e.period == period.key)
                              .values(status=EvaluationStatus.reviewed.value)).rowcount
        audit.record(session, tenant_id=cycle.tenant_id, actor=ctx.actor, action="put_to_review", entity="cycle",
                     entity_id=cycle.id, new={"period": period.key, "organizations": marked})
    return _awaiting_review(ctx, cycle, period, run)


def _awaiting_review(ctx: StageContext, cycle: Cycle, period: Period, run: StageRun) -> StageRun:
    with transaction(ctx.engine) as session:
        fence(session, run)
        done = finish_run(session, run, {"period": period.key, "awaiting": "leader review (领导审核)"},
                          StageStatus.awaiting_review)
    _notify(ctx, cycle, "awaiting_review", period.key, {"stage": run.stage})
    return done


def confirm(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> None:
    """A leader's confirmation: the results must await the review (or be published by this confirmation already,
    when a killed confirmation runs again). The next step publishes them."""
    with ctx.engine.connect() as conn:
        try:
            lifecycle.check(conn, cycle, subject.key, "confirm")
        except lifecycle.AlreadyDone:
            pass
    return None


def publish(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> StageRun:
    """Publish the period — ranks, tiers, incentives — and write its bulletin; a leader's confirmation publishes
    the results under review. Already published (a rerun), it only makes sure the bulletin is there. The results
    are published on the day the run acts on (``subject.on``), the day its bulletin is dated."""
    period = Period.parse(subject.key)
    try:
        scoring.publish_period(ctx.engine, cycle=cycle, period_key=period.key, registry=ctx.registry,
                               actor=ctx.actor, confirming=subject.stage == "confirm", now=moment_on(subject.on))
    except lifecycle.AlreadyDone:
        pass
    verified = _verified(ctx, cycle, period) if period.months == 12 else None
    with transaction(ctx.engine) as session:
        fence(session, run)
        bulletin = write_bulletin(session, cycle=cycle, period=period, home=ctx.home, today=subject.on,
                                  actor=ctx.actor)
        i, e = Incentive.__table__.c, Evaluation.__table__.c
        awards = session.connection().execute(select(func.count()).where(i.cycle_id == cycle.id,
                                                                         i.period == period.key)).scalar()
        organizations = session.connection().execute(select(func.count()).where(  # the branches, as it is told
            e.cycle_id == cycle.id, e.period == period.key, e.level == OrgLevel.branch.value)).scalar()
        detail = {"period": period.key, "organizations": organizations, "awards": awards,
                  "bulletin": bulletin.docx_path, "table": bulletin.xlsx_path}
        return finish_run(session, run, detail if verified is None else detail | {"verify": verified})


def _verified(ctx: StageContext, cycle: Cycle, period: Period) -> dict[str, Any]:
    """The year's published results verified against their frozen inputs (``core.verify``), for the run's detail:
    the annual stage ends with it. A difference is recorded, not raised: the results are published, and
    ``bastion verify`` lists every difference."""
    try:
        found = verify_period(ctx.engine, cycle=cycle, period_key=period.key, registry=ctx.registry)
    except BastionError as exc:
        return {"identical": None, "error": str(exc)}
    return verification_summary(found)


# --- rectification follow-up -------------------------------------------------------------------------


def follow_up(ctx: StageContext, subject: Subject, cycle: Cycle, run: StageRun) -> StageRun:
    """The day's rectification follow-up of the cycle, then the reminders it calls for."""
    with transaction(ctx.engine) as session:
        fence(session, run)
        done = rectification.follow_up(session, cycle, subject.on, actor=ctx.actor,
                                       **{k: v for k, v in subject.options.items() if k == "remind_days"})
        finished = finish_run(session, run, done.detail())
    for name, notices in (("rectification_due", done.due_soon), ("rectification_overdue", done.overdue),
                          ("reverification_due", done.to_reverify)):
        if notices:
            _notify(ctx, cycle, name, None, {"notices": notices, "on": subject.on.isoformat()})
    return finished
