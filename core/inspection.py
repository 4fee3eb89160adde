"""What inspectors (督查人员) do: the day's checks and the spot-check samples, findings recorded against the
indicators of the cycle's scheme, rectification notices (整改通知书) and their re-verification (复验).

Every function takes the :class:`~bastion.core.access.Principal` first and reaches only the organisations
its ``inspect`` grants cover, in its own tenant. Notices are numbered as the rectification stage numbers
them (:func:`~bastion.core.stages.notice_numbers`), and a finding has at most one notice, whoever issues it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, case, func, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit, rectifications
from .access import Action, Principal, org_by_code, org_row, require, tenant_cycle, visible
from .errors import BastionError, Conflict, NotFound
from .frames import read_frame
from .i18n import tr
from .evidence import store
from .models import (
    Check,
    CheckKind,
    Cycle,
    Evidence,
    Finding,
    Indicator,
    Organization,
    Rectification,
    RectificationStatus,
    StageRun,
    Tenant,
)
from .stages import FINDING_REQUIREMENT, NOTICE_DAYS, notice_numbers

OPEN_STATUSES = (RectificationStatus.issued.value, RectificationStatus.reopened.value,
                 RectificationStatus.overdue.value)  # waiting for the branch's answer


def _cycle_year(conn: Connection, principal: Principal, cycle_id: int) -> int:
    c = Cycle.__table__.c
    year = conn.execute(select(c.year).where(c.id == cycle_id, c.tenant_id == principal.tenant_id)).scalar()
    if year is None:
        raise NotFound(tr(f"考核年度：本单位没有考核年度 #{cycle_id}", f"cycle: no assessment cycle #{cycle_id} in this tenant"))
    return year


# --- checks and spot-check samples --------------------------------------------------------------


def planned_checks(conn: Connection, principal: Principal, *, on: date) -> pd.DataFrame:
    """The checks still to be done on ``on`` (today's checks, 今日检查) within the principal's organisations."""
    require(conn, principal, Action.inspect)
    c, o = Check.__table__.c, Organization.__table__.c
    query = (select(c.id.label("check_id"), o.code, o.name, c.kind, c.date, c.inspector, c.note)
             .join_from(Check.__table__, Organization.__table__, c.org_id == o.id)
             .where(c.tenant_id == principal.tenant_id, c.date == on, c.status == "planned",
                    visible(conn, principal, Action.inspect, c.org_id))
             .order_by(o.code, c.id))
    return read_frame(query, conn)


def spot_samples(conn: Connection, principal: Principal, *, cycle_id: int) -> pd.DataFrame:
    """The spot-check draws (随机抽查) of the cycle, one row per drawn organisation the principal inspects.

    Each draw's seed and size come from its stage run (``StageRun.detail``), so anyone can redraw the
    same sample; the checks it created show whether each visit has been done and what it found.
    """
    require(conn, principal, Action.inspect)
    s = StageRun.__table__.c
    runs = conn.execute(select(s.period, s.key, s.status, s.detail)
                        .where(s.tenant_id == principal.tenant_id, s.cycle_id == cycle_id, s.stage == "spot_check")
                        .order_by(s.key)).all()
    draws = {check_id: (run.key.rsplit(":", 1)[-1], run.detail or {})
             for run in runs for check_id in (run.detail or {}).get("checks", [])}
    columns = ["day", "seed", "drawn", "of", "check_id", "code", "name", "status", "findings"]
    if not draws:
        return pd.DataFrame(columns=columns)
    c, o, f = Check.__table__.c, Organization.__table__.c, Finding.__table__.c
    found = select(func.count()).where(f.check_id == c.id).scalar_subquery()
    rows = conn.execute(select(c.id, o.code, o.name, c.status, found)
                        .join_from(Check.__table__, Organization.__table__, c.org_id == o.id)
                        .where(c.id.in_(list(draws)), c.tenant_id == principal.tenant_id,
                               visible(conn, principal, Action.inspect, c.org_id))).all()
    frame = pd.DataFrame([{"day": draws[r.id][0], "seed": draws[r.id][1].get("seed"),
                           "drawn": draws[r.id][1].get("drawn"), "of": draws[r.id][1].get("of"), "check_id": r.id,
                           "code": r.code, "name": r.name, "status": r.status, "findings": r[4]} for r in rows],
                         columns=columns)
    return frame.sort_values(["day", "code"], ascending=[False, True]).reset_index(drop=True)


# --- findings ---------------------------------------------------------------------------------


def scheme_indicators(conn: Connection, principal: Principal, *, cycle_id: int) -> pd.DataFrame:
    """The indicators of the cycle's frozen scheme a finding may be recorded against."""
    require(conn, principal, Action.inspect)
    i, c = Indicator.__table__.c, Cycle.__table__.c
    query = (select(i.code, i.name, i.block_name, i.kind, i.points, i.rule)
             .join_from(Indicator.__table__, Cycle.__table__, i.cycle_id == c.id)
             .where(c.id == cycle_id, c.tenant_id == principal.tenant_id).order_by(i.position))
    return read_frame(query, conn)


def inspectable_organizations(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The organisations the principal may inspect (code, name, level), by code."""
    require(conn, principal, Action.inspect)
    o = Organization.__table__.c
    return read_frame(select(o.code, o.name, o.level)
                       .where(o.tenant_id == principal.tenant_id, o.active.is_(True),
                              visible(conn, principal, Action.inspect, o.id)).order_by(o.code), conn)


def _indicator(session: Session, cycle: Cycle, code: str) -> Indicator:
    found = session.exec(select_model(Indicator).where(Indicator.cycle_id == cycle.id,
                                                       Indicator.code == code.strip())).first()
    if found is None:
        raise BastionError(tr(f"指标：{code!r} 不是 {cycle.year} 考核年度（方案 {cycle.scheme_id} {cycle.scheme_version}）的指标",
                              f"indicator: {code!r} is not an indicator of the {cycle.year} cycle (scheme "
                              f"{cycle.scheme_id} {cycle.scheme_version})"))
    return found


def _check_for(session: Session, principal: Principal, cycle: Cycle, org: Organization, on: date, kind: str,
               check_id: int | None) -> Check:
    """The check a finding belongs to: the one named, else the organisation's check planned for that day, else
    a new one. A planned check is completed (status ``done``) by its first finding."""
    if check_id is not None:
        check = session.get(Check, check_id)
        if check is None or check.tenant_id != principal.tenant_id or check.org_id != org.id:
            raise NotFound(tr(f"督查：{org.code} 没有督查 #{check_id}", f"check: no check #{check_id} of {org.code}"))
    else:
        check = session.exec(select_model(Check).where(Check.tenant_id == principal.tenant_id,
                                                       Check.org_id == org.id, Check.date == on,
                                                       Check.status == "planned").order_by(Check.id)).first()
    if check is None:
        if kind not in {k.value for k in CheckKind}:
            raise BastionError(tr(f"检查方式：{kind!r} 不是以下之一：{'、'.join(k.value for k in CheckKind)}",
                                  f"check kind: {kind!r} is not one of {', '.join(k.value for k in CheckKind)}"))
        check = Check(tenant_id=principal.tenant_id, cycle_id=cycle.id, org_id=org.id, kind=kind, date=on,
                      inspector=principal.display_name, status="done", note="督查记录")
        session.add(check)
        session.flush()
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="create",
                     entity="check", entity_id=check.id, new={"org": org.code, "kind": kind, "date": on.isoformat()})
    elif check.status != "done":
        check.status = "done"
        session.add(check)
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="complete",
                     entity="check", entity_id=check.id, old={"status": "planned"}, new={"status": "done"})
    return check


def record_finding(session: Session, principal: Principal, *, cycle_id: int, org_code: str, indicator_code: str,
                   deduction: float, description: str, on: date, kind: str = CheckKind.daily.value,
                   check_id: int | None = None, today: date | None = None) -> Finding:
    """A problem found at ``org_code`` on ``on``, deducting ``deduction`` points from an indicator of the cycle."""
    require(session.connection(), principal, Action.inspect)
    cycle = tenant_cycle(session, principal, cycle_id)
    org = org_by_code(session, principal, Action.inspect, org_code)
    indicator = _indicator(session, cycle, indicator_code)
    today = today or date.today()
    if not description.strip():
        raise BastionError(tr("问题描述：请写明发现的问题", "description: say what was found (问题描述)"))
    if on.year != cycle.year:
        raise BastionError(tr(f"日期：{on.isoformat()} 不在 {cycle.year} 考核年度内",
                              f"date: {on.isoformat()} is not in the {cycle.year} cycle"))
    if on > today:
        raise BastionError(tr(f"日期：{on.isoformat()} 是将来的日期；请在发现问题后再记录",
                              f"date: {on.isoformat()} is in the future; record a finding once it is found"))
    if not 0 <= deduction <= indicator.points:
        raise BastionError(tr(f"扣分：{deduction:g} 不在 0 与 {indicator.code}（{indicator.name}）的分值 {indicator.points:g} 分之间",
                              f"deduction: {deduction:g} is not between 0 and the {indicator.points:g} points of "
                              f"{indicator.code} ({indicator.name})"))
    check = _check_for(session, principal, cycle, org, on, kind, check_id)
    finding = Finding(tenant_id=principal.tenant_id, check_id=check.id, org_id=org.id, date=on,
                      indicator_code=indicator.code, deduction=float(deduction), description=description.strip())
    session.add(finding)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="record", entity="finding",
                 entity_id=finding.id, new={"org": org.code, "indicator": indicator.code, "deduction": deduction,
                                            "date": on.isoformat(), "description": finding.description,
                                            "check": check.id})
    return finding


def attach_evidence(session: Session, principal: Principal, *, finding_id: int, filename: str, data: bytes,
                    home: Path) -> Evidence:
    """Keep a file (photo, minutes …) as evidence of a finding the principal may inspect."""
    finding = org_row(session, principal, Action.inspect, Finding, finding_id, ("督查发现", "finding"))
    tenant = session.get(Tenant, principal.tenant_id)
    return store(session, home=home, tenant_id=tenant.id, tenant_code=tenant.code, filename=filename, data=data,
                 actor=principal.username, finding_id=finding.id)


def finding_evidence(session: Session, principal: Principal, *, finding_id: int) -> list[Evidence]:
    finding = org_row(session, principal, Action.inspect, Finding, finding_id, ("督查发现", "finding"))
    return list(session.exec(select_model(Evidence).where(Evidence.finding_id == finding.id)
                             .order_by(Evidence.id)).all())


def read_findings(conn: Connection, principal: Principal, *, cycle_id: int) -> pd.DataFrame:
    """The findings of the cycle's year within the principal's organisations, the latest first, with their
    notice (if one was issued)."""
    require(conn, principal, Action.inspect)
    year = _cycle_year(conn, principal, cycle_id)
    f, o, r, c = Finding.__table__.c, Organization.__table__.c, Rectification.__table__.c, Check.__table__.c
    query = (select(f.id.label("finding_id"), f.date, o.code, o.name, f.indicator_code, f.deduction, f.description,
                    c.kind, c.inspector, r.notice_no, r.status.label("notice_status"))
             .join_from(Finding.__table__, Organization.__table__, f.org_id == o.id)
             .join(Check.__table__, c.id == f.check_id)
             .outerjoin(Rectification.__table__, r.finding_id == f.id)
             .where(f.tenant_id == principal.tenant_id, f.date >= date(year, 1, 1),
                    f.date < date(year + 1, 1, 1), visible(conn, principal, Action.inspect, f.org_id))
             .order_by(f.date.desc(), f.id.desc()))
    return read_frame(query, conn)


# --- rectification notices ----------------------------------------------------------------------


def issue_notice(session: Session, principal: Principal, *, cycle_id: int, deadline: date,
                 finding_id: int | None = None, org_code: str | None = None, problem: str = "",
                 requirement: str = "", today: date | None = None) -> Rectification:
    """Issue a rectification notice (整改通知书) with a deadline: for a finding (one notice per finding), or
    against an organisation with the problem in free text."""
    require(session.connection(), principal, Action.inspect)
    cycle = tenant_cycle(session, principal, cycle_id)
    today = today or date.today()
    if (finding_id is None) == (org_code is None):
        raise BastionError(tr("整改通知书要么针对一条督查发现，要么针对一个组织，不能两者兼有",
                              "a notice is issued either for a finding or against an organisation, not both"))
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
        names = {i.code: i.name for i in session.exec(select_model(Indicator).where(Indicator.cycle_id == cycle.id))}
        org_id = finding.org_id
        indicator_name = names.get(finding.indicator_code, finding.indicator_code)
        problem = problem.strip() or f"{indicator_name}：{finding.description}"
        requirement = requirement.strip() or FINDING_REQUIREMENT
    else:
        org_id = org_by_code(session, principal, Action.inspect, org_code).id
        if not problem.strip():
            raise BastionError(tr("存在问题：请写明需要整改的问题", "problem: say what is to be rectified (存在问题)"))
        problem = problem.strip()
        requirement = requirement.strip() or "针对存在问题限期整改，整改情况书面反馈，期满复验"
    (number,) = notice_numbers(session, principal.tenant_id, cycle.year, 1)
    notice = Rectification(tenant_id=principal.tenant_id, cycle_id=cycle.id, org_id=org_id, finding_id=finding_id,
                           notice_no=number, problem=problem, requirement=requirement, issued_at=today,
                           deadline=deadline)
    session.add(notice)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="issue",
                 entity="rectification", entity_id=notice.id,
                 new={"notice_no": number, "org_id": org_id, "finding_id": finding_id, "problem": problem,
                      "deadline": deadline.isoformat()})
    return notice


def default_deadline(today: date | None = None) -> date:
    """The deadline the rectification stage gives a finding's notice."""
    return (today or date.today()) + timedelta(NOTICE_DAYS)


def read_notices(conn: Connection, principal: Principal, *, cycle_id: int | None = None, status: str | None = None,
                 today: date | None = None) -> pd.DataFrame:
    """The notices of the principal's organisations (of one cycle, of one status) by deadline; ``overdue`` flags
    those still unanswered past their deadline."""
    require(conn, principal, Action.inspect)
    r, o = Rectification.__table__.c, Organization.__table__.c
    today = today or date.today()
    late = case((r.status.in_(OPEN_STATUSES) & (r.deadline < today), True), else_=False).label("overdue")
    query = (select(r.notice_no, o.code, o.name, r.problem, r.requirement, r.issued_at, r.deadline, r.status, late,
                    r.response, r.responded_at, r.verifier, r.verification_note, r.finding_id)
             .join_from(Rectification.__table__, Organization.__table__, r.org_id == o.id)
             .where(r.tenant_id == principal.tenant_id, visible(conn, principal, Action.inspect, r.org_id))
             .order_by(r.deadline, r.notice_no))
    if cycle_id is not None:
        query = query.where(r.cycle_id == cycle_id)
    if status is not None:
        query = query.where(r.status == status)
    frame = read_frame(query, conn)
    frame["overdue"] = frame["overdue"].astype(bool)
    return frame


def reverify(session: Session, principal: Principal, *, notice_no: str, passed: bool, note: str,
             new_deadline: date | None = None) -> Rectification:
    """Re-verify (复验) an answered notice of the principal's organisations: closed, or reopened with a new deadline."""
    require(session.connection(), principal, Action.inspect)
    notice = rectifications.notice_by_number(session, principal.tenant_id, notice_no)
    require(session.connection(), principal, Action.inspect, notice.org_id)
    return rectifications.verify(session, tenant_id=principal.tenant_id, notice_no=notice_no, passed=passed,
                                 note=note, verifier=principal.username, new_deadline=new_deadline)
