"""Appeals (申诉): a branch objects to one line of its published result, and the office decides.

Within the scheme's window after a period's results are published (``Scheme.appeal_days``, 7 days by default:
until the end of the seventh day after the day of publication, the tenant's time), the branch's secretary lodges
an appeal on one line of its result — the reason, and evidence files if any. The office (an administrator over
the branch) decides:

- **accepted** (申诉成立) with the points the line should have: the decision *is* the audited correction
  (:func:`core.corrections.correct_in`), in the same transaction under the period's lease, so ranks, tiers,
  standings, awards and the bulletin follow it, and the correction's audit row names the appeal;
- **rejected** (不予支持) with the reason.

One appeal per line (a unique key: two lodged at once make one); a decision is final, and a second decision of
the same appeal — two clicks, two offices at once — is refused naming the first (a conditional update: it acts
once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from . import audit, evidence, lifecycle
from .access import Action, Principal, require, visible
from .corrections import Correction, checked_request, correct_in, correctable_indicator
from .cycles import cycle_scheme
from .db import transaction
from .errors import BastionError, Conflict, NotFound, refuse
from .frames import read_frame
from .i18n import tr
from .notify import planning
from .models import (
    Appeal,
    AppealStatus,
    Cycle,
    Evaluation,
    EvaluationLine,
    EvaluationStatus,
    Evidence,
    Indicator,
    Organization,
    Tenant,
    code_is,
    utcnow,
)
from .periods import Period, day_of, in_cycle
from .registry import Registry
from .scheme import POINTS_EPSILON
from .values import text_problems
from .words import APPEAL_STATUS, word


class AlreadyDecided(Conflict):
    """The appeal was decided before: a decision is final."""


@dataclass(frozen=True)
class Window:
    """When a period's results may be appealed: from the day they were published to ``closes``, inclusive."""

    published: date
    closes: date

    def open_on(self, day: date) -> bool:
        return self.published <= day <= self.closes


@dataclass(frozen=True)
class Decision:
    appeal_id: int
    status: str
    correction: Correction | None  # the correction an accepted appeal made


def window(conn: Connection, cycle: Cycle, period: Period) -> Window | None:
    """The appeal window of the period's results; None while they are not published."""
    e = Evaluation.__table__.c
    published = conn.execute(select(func.min(e.published_at)).where(
        e.cycle_id == cycle.id, e.period == period.key, e.status == EvaluationStatus.published.value)).scalar()
    if published is None:
        return None
    first = day_of(published)
    return Window(first, first + timedelta(days=cycle_scheme(cycle).appeal_days))


def lodge(session: Session, principal: Principal, *, cycle: Cycle, period: str, org_code: str, indicator_code: str,
          reason: str, files: Sequence[tuple[str, bytes]] = (), home: Path | None = None,
          now: datetime | None = None) -> Appeal:
    """The branch's appeal against its line ``indicator_code`` of ``period``, with the reason and evidence files
    (stored under ``home``); refused outside the window, on a line that cannot be corrected, or a second time."""
    if not reason.strip():
        raise BastionError(tr("申诉须写明申诉理由", "an appeal needs its reason (申诉理由)"))
    refuse(text_problems(("reason", ("申诉理由", "reason"), reason)))
    if files and home is None:
        raise BastionError(tr("没有存放佐证材料的目录", "no home folder to keep the evidence files in"))
    key = in_cycle(cycle, period)
    scheme = cycle_scheme(cycle)
    correctable_indicator(cycle, indicator_code, appealed=True)
    conn = session.connection()
    e, line, o = Evaluation.__table__.c, EvaluationLine.__table__.c, Organization.__table__.c
    org = conn.execute(select(o.id, o.code, o.name).where(o.tenant_id == principal.tenant_id,
                                                          code_is(o.code, org_code))).first()
    if org is None:
        raise NotFound(tr(f"没有组织 {org_code!r}", f"no organisation {org_code!r}"))
    require(conn, principal, Action.appeal, org.id)
    found = conn.execute(select(e.id, e.status, line.points, line.assessed)
                         .join_from(Evaluation.__table__, EvaluationLine.__table__,
                                    (line.evaluation_id == e.id) & (line.indicator_code == indicator_code),
                                    isouter=True)
                         .where(e.cycle_id == cycle.id, e.period == key.key, e.org_id == org.id)).first()
    if found is None or found.status != EvaluationStatus.published.value:
        raise BastionError(tr(f"{org.code} 的 {key.key} 考核结果尚未发布：只能对已发布的考核结果申诉",
                              f"{org.code}'s {key.key} result is not published: only published results are appealed"))
    if found.points is None or not found.assessed:
        raise BastionError(tr(f"{indicator_code} 在 {key.key} 不考核，没有得分可申诉",
                              f"{indicator_code} is not assessed in {key.key}: it has no points to appeal"))
    when = window(conn, cycle, key)
    today = day_of(now or utcnow())
    if scheme.appeal_days == 0:
        raise BastionError(tr(f"{cycle.year} 年度考核方案不受理申诉", f"the {cycle.year} scheme takes no appeals"))
    if not when.open_on(today):
        raise BastionError(tr(f"{key.key} 考核结果于 {when.published} 发布，申诉期至 {when.closes}（{scheme.appeal_days} 天），"
                              f"已过申诉期",
                              f"the {key.key} results were published on {when.published}; appeals closed on "
                              f"{when.closes} ({scheme.appeal_days} days)"))
    earlier = _on_line(conn, found.id, indicator_code)
    if earlier is not None:
        raise _lodged_before(earlier)
    appeal = Appeal(tenant_id=principal.tenant_id, cycle_id=cycle.id, org_id=org.id, evaluation_id=found.id,
                    period=key.key, indicator_code=indicator_code, points_then=float(found.points),
                    reason=reason.strip(), lodged_by=principal.username, lodged_at=now or utcnow())
    session.add(appeal)
    try:
        session.flush()
    except IntegrityError:  # lodged at the same moment by another request: that one stands
        raise Conflict(tr(f"已就 {org.code} {key.key} 的 {indicator_code} 提出申诉",
                          f"an appeal on {org.code}'s {indicator_code} of {key.key} is already lodged")) from None
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="lodge", entity="appeal",
                 entity_id=appeal.id, new={"org": org.code, "period": key.key, "indicator": indicator_code,
                                           "points": appeal.points_then, "reason": appeal.reason})
    if files:
        tenant = session.get(Tenant, principal.tenant_id)
        for name, data in files:
            evidence.store(session, home=home, tenant_id=principal.tenant_id, tenant_code=tenant.code, filename=name,
                           data=data, actor=principal.username, appeal_id=appeal.id)
    return appeal


def _on_line(conn: Connection, evaluation_id: int, indicator_code: str):
    a = Appeal.__table__.c
    return conn.execute(select(a.id, a.status, a.decided_by, a.decided_at)
                        .where(a.evaluation_id == evaluation_id, a.indicator_code == indicator_code)).first()


def _lodged_before(earlier) -> Conflict:
    status = word(APPEAL_STATUS, earlier.status)
    return Conflict(tr(f"该指标已提出过申诉（第 {earlier.id} 号，{status}）：每项指标只能申诉一次",
                       f"this line was appealed before (appeal {earlier.id}, {status}): a line is appealed once"))


def decide(engine: Engine, principal: Principal, *, appeal_id: int, accept: bool, reason: str,
           points: float | None = None, registry: Registry, home: Path | None = None,
           today: date | None = None) -> Decision:
    """The office's decision: ``accept`` with the line's corrected ``points`` (the correction is made, the bulletin
    re-issued under ``home``), or reject; ``reason`` either way (办理意见)."""
    if not reason.strip():
        raise BastionError(tr("办理申诉须写明理由", "a decision on an appeal needs its reason"))
    refuse(text_problems(("reason", ("办理意见", "reason"), reason)))
    with engine.connect() as conn:
        appeal = _appeal(conn, principal, appeal_id)
    with Session(engine) as session:
        cycle = session.get(Cycle, appeal.cycle_id)
    if appeal.status != AppealStatus.lodged.value:
        raise _decided(appeal)
    if not accept:
        with transaction(engine) as session:
            conn = session.connection()
            require(conn, principal, Action.administer, appeal.org_id)
            _mark(conn, principal, appeal, AppealStatus.rejected, reason, None)
            _tell(conn, registry, principal, appeal, AppealStatus.rejected, reason)
            audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="reject",
                         entity="appeal", entity_id=appeal.id, old={"status": appeal.status},
                         new={"status": AppealStatus.rejected.value}, note=reason.strip())
        return Decision(appeal.id, AppealStatus.rejected.value, None)
    if points is None:
        raise BastionError(tr("申诉成立须给出更正后的得分", "an accepted appeal needs the corrected points"))
    # stored in the line's reason beside the correction's own words, which are Chinese in every locale
    note = f"申诉成立（第 {appeal.id} 号申诉）：{reason.strip()}"
    key = checked_request(cycle, appeal.period, appeal.indicator_code, points, note)
    with lifecycle.changing(engine, cycle, key.key, "correct", actor=principal.username), \
            transaction(engine) as session:
        conn = session.connection()
        status = lifecycle.fence(conn, cycle, key.key, "correct")
        require(conn, principal, Action.administer, appeal.org_id)
        line = EvaluationLine.__table__.c
        now = conn.execute(select(line.points).where(line.evaluation_id == appeal.evaluation_id,
                                                     line.indicator_code == appeal.indicator_code)).scalar()
        if abs(float(now) - points) <= POINTS_EPSILON:
            raise BastionError(tr(f"更正后的得分与现有得分（{now:g} 分）相同：申诉不成立请选择“不予支持”",
                                  f"the points given are the line's now ({now:g}): reject the appeal instead"))
        _mark(conn, principal, appeal, AppealStatus.accepted, reason, points)
        _tell(conn, registry, principal, appeal, AppealStatus.accepted, reason)
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="accept",
                     entity="appeal", entity_id=appeal.id, old={"status": appeal.status, "points": float(now)},
                     new={"status": AppealStatus.accepted.value, "points": points}, note=reason.strip())
        correction = correct_in(session, principal, cycle=cycle, period=key, status=status, org_code=appeal.code,
                                indicator_code=appeal.indicator_code, points=points, reason=note, registry=registry,
                                home=home, today=today, appeal_id=appeal.id)
    return Decision(appeal.id, AppealStatus.accepted.value, correction)


def _tell(conn: Connection, registry: Registry, principal: Principal, appeal, status: AppealStatus,
          reason: str) -> None:
    """The secretary who lodged the appeal is told the decision (``core.notify``), in the decision's transaction."""
    planning.appeal_decided(conn, registry, principal.tenant_id, appeal_id=appeal.id, lodged_by=appeal.lodged_by,
                            org=appeal.code, period=appeal.period, indicator=appeal.indicator_code,
                            status=status.value, decision=reason.strip(), now=utcnow())


def _appeal(conn: Connection, principal: Principal, appeal_id: int):
    a, o = Appeal.__table__.c, Organization.__table__.c
    found = conn.execute(select(a.id, a.cycle_id, a.org_id, o.code, a.evaluation_id, a.period, a.indicator_code,
                                a.status, a.decided_by, a.decided_at, a.lodged_by)
                         .join_from(Appeal.__table__, Organization.__table__, o.id == a.org_id)
                         .where(a.id == appeal_id, a.tenant_id == principal.tenant_id)).first()
    if found is None:
        raise NotFound(tr(f"没有第 {appeal_id} 号申诉", f"no appeal {appeal_id}"))
    return found


def _mark(conn: Connection, principal: Principal, appeal, status: AppealStatus, reason: str,
          points: float | None) -> None:
    """The decision, only where the appeal is still lodged: of two decisions at once, the second changes nothing
    and is refused."""
    a = Appeal.__table__.c
    done = conn.execute(update(Appeal.__table__)
                        .where(a.id == appeal.id, a.status == AppealStatus.lodged.value)
                        .values(status=status.value, decided_by=principal.username, decided_at=utcnow(),
                                decision=reason.strip(), points_after=points))
    if done.rowcount != 1:
        raise _decided(_appeal(conn, principal, appeal.id))


def _decided(appeal) -> AlreadyDecided:
    status = word(APPEAL_STATUS, appeal.status)
    return AlreadyDecided(tr(f"第 {appeal.id} 号申诉已由 {appeal.decided_by} 办理（{status}）：办理结果不再改变",
                             f"appeal {appeal.id} was decided by {appeal.decided_by} ({status}): a decision is final"))


def read_appeals(conn: Connection, principal: Principal, *, cycle_id: int | None = None, org_id: int | None = None,
                 status: str | None = None) -> pd.DataFrame:
    """The appeals the principal may see (of the organisations whose results they see), the latest first, with the
    branch, the indicator's name, the line's points now and how many evidence files back each."""
    a, o, i, ev = Appeal.__table__.c, Organization.__table__.c, Indicator.__table__.c, Evidence.__table__.c
    line = EvaluationLine.__table__.c
    files = (select(ev.appeal_id, func.count().label("files")).where(ev.appeal_id.is_not(None))
             .group_by(ev.appeal_id).subquery())
    query = (select(a.id, a.cycle_id, a.period, a.org_id, o.code, o.name, a.indicator_code, i.name.label("indicator"),
                    i.points.label("max_points"), a.points_then, line.points.label("points_now"), a.reason,
                    a.lodged_by, a.lodged_at, a.status, a.decided_by, a.decided_at, a.decision, a.points_after,
                    func.coalesce(files.c.files, 0).label("files"))
             .join_from(Appeal.__table__, Organization.__table__, o.id == a.org_id)
             .join(Indicator.__table__, (i.cycle_id == a.cycle_id) & (i.code == a.indicator_code), isouter=True)
             .join(EvaluationLine.__table__, (line.evaluation_id == a.evaluation_id)
                   & (line.indicator_code == a.indicator_code), isouter=True)
             .join(files, files.c.appeal_id == a.id, isouter=True)
             .where(a.tenant_id == principal.tenant_id, visible(conn, principal, Action.view_results, a.org_id))
             .order_by(a.lodged_at.desc(), a.id.desc()))
    if cycle_id is not None:
        query = query.where(a.cycle_id == cycle_id)
    if org_id is not None:
        query = query.where(a.org_id == org_id)
    if status is not None:
        query = query.where(a.status == status)
    return read_frame(query, conn)


def evidence_of(conn: Connection, principal: Principal, appeal_id: int) -> list[Evidence]:
    """The evidence files of an appeal the principal may see."""
    a, ev = Appeal.__table__.c, Evidence.__table__.c
    visible_appeal = conn.execute(select(a.id).where(a.id == appeal_id, a.tenant_id == principal.tenant_id,
                                                     visible(conn, principal, Action.view_results, a.org_id))).first()
    if visible_appeal is None:
        raise NotFound(tr(f"没有第 {appeal_id} 号申诉", f"no appeal {appeal_id}"))
    rows = conn.execute(select(Evidence.__table__).where(ev.appeal_id == appeal_id).order_by(ev.id)).mappings()
    return [Evidence(**row) for row in rows]
