"""What inspectors (督查人员) do: the day's checks and the spot-check samples, findings recorded against the
indicators of the cycle's scheme. Their rectification notices (整改通知书) and re-verification (复验) are
:mod:`bastion.core.rectification`'s.

Every function takes the :class:`~bastion.core.access.Principal` first and reaches only the organisations
its ``inspect`` grants cover, in its own tenant.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit
from .access import Action, Principal, org_by_code, org_row, require, tenant_cycle, visible
from .errors import BastionError, NotFound
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
    StageRun,
    Tenant,
)


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
