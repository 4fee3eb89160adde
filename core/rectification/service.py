"""The rules of rectification notices and every write to them (整改通知书, 整改反馈, 复验).

Every notice is created by :func:`issue` — numbered, stored and audited in the caller's
transaction — whether the daily follow-up issues it for a finding or an incentive
(:func:`issue_due`) or an inspector issues it on the inspection page (:func:`issue_notice`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit
from ..access import Action, Principal, org_by_code, org_row, require, tenant_cycle
from ..errors import BastionError, Conflict, NotFound, refuse
from ..i18n import tr
from ..models import Cycle, Evaluation, Finding, Incentive, Indicator, Rectification, RectificationStatus, utcnow
from ..periods import day_of
from ..values import text_problems
from ..words import NOTICE_STATUS, word

NOTICE_DAYS = 30  # a finding's notice is due this many days after it is issued, unless the inspector says otherwise
REMIND_DAYS = 7  # the follow-up reminds of a deadline this many days ahead
FINDING_REQUIREMENT = "针对检查发现的问题限期整改，整改情况书面反馈，期满复验"
PROBLEM_REQUIREMENT = "针对存在问题限期整改，整改情况书面反馈，期满复验"
RESULT_REQUIREMENT = "对照考核结果查找差距，制定整改措施，按期整改到位，期满复验"

#: Statuses of a notice that waits for the branch's answer (待整改): it may be answered.
AWAITING_ANSWER = (RectificationStatus.issued.value, RectificationStatus.overdue.value,
                   RectificationStatus.reopened.value)
#: Statuses of a notice not yet closed by a passed re-verification (未销号): what bulletins and the dashboard count.
OPEN = (*AWAITING_ANSWER, RectificationStatus.responded.value)


# --- the rules ---------------------------------------------------------------------------------


def is_overdue(status: str, deadline: date, today: date) -> bool:
    """A notice is overdue (逾期) when it still waits for an answer after its deadline."""
    return status in AWAITING_ANSWER and deadline < today


def overdue_clause(today: date) -> ColumnElement[bool]:
    """:func:`is_overdue` as a condition on the ``rectification`` table, for queries that count or list."""
    r = Rectification.__table__.c
    return and_(r.status.in_(AWAITING_ANSWER), r.deadline < today)


def is_due_for_reverification(status: str, deadline: date, today: date) -> bool:
    """An answered notice is due for re-verification (复验) once its deadline has come."""
    return status == RectificationStatus.responded and deadline <= today


def default_deadline(today: date | None = None) -> date:
    """The deadline a finding's notice gets by default: :data:`NOTICE_DAYS` after it is issued."""
    return (today or date.today()) + timedelta(NOTICE_DAYS)


def award_deadline(effective_until: date | None, published_at: datetime | None, today: date) -> date:
    """When a rectification award's notice is due: the award's ``effective_until`` (its policy counted it from
    publication, ``PolicyContext.after_publication``); an award without one, :data:`NOTICE_DAYS` after the day
    its results were published — not after the day the follow-up happens to issue the notice."""
    return effective_until or default_deadline(today if published_at is None else day_of(published_at))


def notice_numbers(session: Session, tenant_id: int, year: int, count: int) -> list[str]:
    """The next ``count`` notice numbers (``ZG<year>-NNNNN``), running on from the tenant's notices so far."""
    issued_before = session.exec(select(func.count()).select_from(Rectification).where(
        Rectification.tenant_id == tenant_id)).one()[0]
    return [f"ZG{year}-{n:05d}" for n in range(issued_before + 1, issued_before + count + 1)]


def notice_by_number(session: Session, tenant_id: int, notice_no: str) -> Rectification:
    """The tenant's notice numbered ``notice_no`` (e.g. ZG2026-00012); NotFound if there is none."""
    notice = session.exec(select_model(Rectification).where(Rectification.tenant_id == tenant_id,
                                                            Rectification.notice_no == notice_no)).first()
    if notice is None:
        raise NotFound(tr(f"没有整改通知书 {notice_no!r}", f"no rectification notice {notice_no!r}"))
    return notice


# --- issuing -------------------------------------------------------------------------------------


def issue(session: Session, cycle: Cycle, notices: list[Rectification], *, actor: str) -> list[Rectification]:
    """Number, store and audit ``notices`` of ``cycle`` in the caller's transaction: how every notice is issued."""
    if not notices:
        return []
    for notice, number in zip(notices, notice_numbers(session, cycle.tenant_id, cycle.year, len(notices)),
                              strict=True):
        notice.tenant_id, notice.cycle_id, notice.notice_no = cycle.tenant_id, cycle.id, number
    session.add_all(notices)
    session.flush()
    if len(notices) == 1:
        (notice,) = notices
        audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="issue", entity="rectification",
                     entity_id=notice.id, new={"notice_no": notice.notice_no, "org_id": notice.org_id,
                                               "finding_id": notice.finding_id, "problem": notice.problem,
                                               "deadline": notice.deadline.isoformat()})
    else:
        audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="issue", entity="rectification",
                     new={"notices": [n.notice_no for n in notices], "on": notices[0].issued_at.isoformat()})
    return notices


def issue_due(session: Session, cycle: Cycle, today: date, *, actor: str) -> list[str]:
    """A notice for each rectification incentive of the cycle and each finding of its year that has none yet."""
    conn = session.connection()
    r, i, f, e = Rectification.__table__.c, Incentive.__table__.c, Finding.__table__.c, Evaluation.__table__.c
    awards = conn.execute(
        select(i.id, i.org_id, i.evaluation_id, i.title, i.effect, i.effective_until, e.published_at)
        .join_from(Incentive.__table__, Evaluation.__table__, e.id == i.evaluation_id, isouter=True)
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
    names = _indicator_names(session, cycle)
    notices = [Rectification(org_id=award.org_id, incentive_id=award.id, evaluation_id=award.evaluation_id,
                             notice_no="", problem=award.title,
                             requirement=str((award.effect or {}).get("requirement") or RESULT_REQUIREMENT),
                             issued_at=today, deadline=award_deadline(award.effective_until, award.published_at, today))
               for award in awards]
    notices += [Rectification(org_id=finding.org_id, finding_id=finding.id, notice_no="",
                              problem=f"{names.get(finding.indicator_code, finding.indicator_code)}：{finding.description}",
                              requirement=FINDING_REQUIREMENT, issued_at=today,
                              deadline=default_deadline(max(today, finding.date)))
                for finding in findings]
    return [n.notice_no for n in issue(session, cycle, notices, actor=actor)]


def _indicator_names(session: Session, cycle: Cycle) -> dict[str, str]:
    return {i.code: i.name for i in session.exec(select_model(Indicator).where(Indicator.cycle_id == cycle.id))}


def issue_notice(session: Session, principal: Principal, *, cycle_id: int, deadline: date,
                 finding_id: int | None = None, org_code: str | None = None, problem: str = "",
                 requirement: str = "", today: date | None = None) -> Rectification:
    """An inspector issues a notice with a deadline: for a finding (one notice per finding), or against an
    organisation with the problem in free text."""
    require(session.connection(), principal, Action.inspect)
    cycle = tenant_cycle(session, principal, cycle_id)
    today = today or date.today()
    if (finding_id is None) == (org_code is None):
        raise BastionError(tr("整改通知书要么针对一条督查发现，要么针对一个组织，不能两者兼有",
                              "a notice is issued either for a finding or against an organisation, not both"))
    refuse(text_problems(("problem", ("存在问题", "problem"), problem),
                         ("requirement", ("整改要求", "requirement"), requirement)))
    if deadline <= today:
        raise BastionError(tr(f"整改期限：{deadline.isoformat()} 须晚于今天（{today.isoformat()}）",
                              f"deadline: {deadline.isoformat()} is not after today ({today.isoformat()})"))
    if finding_id is not None:
        finding = org_row(session, principal, Action.inspect, Finding, finding_id, ("督查发现", "finding"))
        if finding.date.year != cycle.year:
            raise BastionError(tr(f"{finding.date.isoformat()} 的督查发现 #{finding.id} 不在 {cycle.year} 考核年度内",
                                  f"finding #{finding.id} of {finding.date.isoformat()} is not in the "
                                  f"{cycle.year} cycle"))
        existing = session.exec(select_model(Rectification.notice_no)
                                .where(Rectification.finding_id == finding.id)).first()
        if existing is not None:
            raise Conflict(tr(f"督查发现 #{finding.id} 已有整改通知书 {existing}：一条督查发现只下发一份整改通知书",
                              f"finding #{finding.id} already has notice {existing}: a finding gets one notice"))
        org_id = finding.org_id
        indicator_name = _indicator_names(session, cycle).get(finding.indicator_code, finding.indicator_code)
        problem = problem.strip() or f"{indicator_name}：{finding.description}"
        requirement = requirement.strip() or FINDING_REQUIREMENT
    else:
        org_id = org_by_code(session, principal, Action.inspect, org_code).id
        if not problem.strip():
            raise BastionError(tr("存在问题：请写明需要整改的问题", "problem: say what is to be rectified (存在问题)"))
        problem = problem.strip()
        requirement = requirement.strip() or PROBLEM_REQUIREMENT
    (notice,) = issue(session, cycle, [Rectification(org_id=org_id, finding_id=finding_id, notice_no="",
                                                     problem=problem, requirement=requirement, issued_at=today,
                                                     deadline=deadline)], actor=principal.username)
    return notice


# --- the daily follow-up ---------------------------------------------------------------------------


@dataclass
class FollowUp:
    """What one day's follow-up did and found: notice numbers by what happens to them."""

    issued: list[str] = field(default_factory=list)
    due_soon: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    to_reverify: list[str] = field(default_factory=list)

    def detail(self) -> dict[str, list[str]]:
        return {"issued": self.issued, "due_soon": self.due_soon, "overdue": self.overdue,
                "to_reverify": self.to_reverify}


def follow_up(session: Session, cycle: Cycle, today: date, *, actor: str,
              remind_days: int = REMIND_DAYS) -> FollowUp:
    """Issue the notices still due, mark the overdue ones, and list those to remind of and to re-verify."""
    done = FollowUp(issued=issue_due(session, cycle, today, actor=actor))
    for notice in session.exec(select_model(Rectification).where(Rectification.cycle_id == cycle.id)
                               .order_by(Rectification.id)).all():
        if is_overdue(notice.status, notice.deadline, today):
            if notice.status != RectificationStatus.overdue:
                notice.status = RectificationStatus.overdue.value
                session.add(notice)
                done.overdue.append(notice.notice_no)
        elif notice.status == RectificationStatus.issued and notice.deadline <= today + timedelta(remind_days):
            done.due_soon.append(notice.notice_no)
        elif is_due_for_reverification(notice.status, notice.deadline, today):
            done.to_reverify.append(notice.notice_no)
    if done.overdue:
        audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="overdue", entity="rectification",
                     new={"notices": done.overdue, "on": today.isoformat()})
    return done


# --- the answer and re-verification ---------------------------------------------------------------


def respond(session: Session, *, tenant_id: int, notice_no: str, response: str, actor: str) -> Rectification:
    """The branch's answer to a notice: what it rectified and how (整改情况)."""
    if not response.strip():
        raise BastionError(tr("整改反馈须写明整改情况", "an answer needs the rectification done (整改情况)"))
    refuse(text_problems(("response", ("整改情况", "response"), response)))
    notice = notice_by_number(session, tenant_id, notice_no)
    if notice.status not in AWAITING_ANSWER:
        raise Conflict(tr(f"整改通知书 {notice_no} 的状态为“{word(NOTICE_STATUS, notice.status)}”："
                          "只有待整改、逾期或复验未通过的整改通知书才能反馈",
                          f"notice {notice_no} is {notice.status}: only an issued, overdue or reopened notice "
                          f"is answered"))
    old = {"status": notice.status, "response": notice.response}
    notice.response, notice.responded_at, notice.status = response, utcnow(), RectificationStatus.responded.value
    session.add(notice)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="respond", entity="rectification",
                 entity_id=notice.id, old=old, new={"status": notice.status, "response": response})
    return notice


def answer_notice(session: Session, principal: Principal, *, notice_no: str, response: str) -> Rectification:
    """A secretary answers one of the branch's notices, through :func:`respond`."""
    notice = notice_by_number(session, principal.tenant_id, notice_no)
    require(session.connection(), principal, Action.answer_notice, notice.org_id)
    return respond(session, tenant_id=principal.tenant_id, notice_no=notice_no, response=response,
                   actor=principal.username)


def verify(session: Session, *, tenant_id: int, notice_no: str, passed: bool, note: str, verifier: str,
           new_deadline: date | None = None) -> Rectification:
    """Re-verification (复验) of an answered notice: closed when it passed, reopened with a new deadline when not."""
    refuse(text_problems(("note", ("复验意见", "note"), note)))
    notice = notice_by_number(session, tenant_id, notice_no)
    if notice.status != RectificationStatus.responded:
        raise Conflict(tr(f"整改通知书 {notice_no} 的状态为“{word(NOTICE_STATUS, notice.status)}”：只有已反馈的整改通知书才能复验",
                          f"notice {notice_no} is {notice.status}: only an answered notice is re-verified"))
    if not passed and (new_deadline is None or new_deadline <= date.today()):
        raise BastionError(tr("复验未通过将重新打开整改通知书：请给出一个将来的新整改期限",
                              "a failed re-verification reopens the notice: give a new deadline in the future"))
    old = {"status": notice.status, "deadline": notice.deadline.isoformat()}
    notice.verified_at, notice.verifier, notice.verification_note = utcnow(), verifier, note
    notice.status = (RectificationStatus.verified if passed else RectificationStatus.reopened).value
    if not passed:
        notice.deadline = new_deadline
    session.add(notice)
    audit.record(session, tenant_id=tenant_id, actor=verifier, action="verify", entity="rectification",
                 entity_id=notice.id, old=old,
                 new={"status": notice.status, "note": note, "deadline": notice.deadline.isoformat()})
    return notice


def reverify(session: Session, principal: Principal, *, notice_no: str, passed: bool, note: str,
             new_deadline: date | None = None) -> Rectification:
    """An inspector re-verifies an answered notice of the organisations they inspect, through :func:`verify`."""
    require(session.connection(), principal, Action.inspect)
    notice = notice_by_number(session, principal.tenant_id, notice_no)
    require(session.connection(), principal, Action.inspect, notice.org_id)
    return verify(session, tenant_id=principal.tenant_id, notice_no=notice_no, passed=passed, note=note,
                  verifier=principal.username, new_deadline=new_deadline)
