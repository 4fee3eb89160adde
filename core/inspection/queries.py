"""What inspectors (督查人员) read: the day's checks, the spot-check samples, the indicators a finding may name,
the organisations they inspect and the findings with their evidence.

Every function takes the :class:`~bastion.core.access.Principal` first and reaches only the organisations
its ``inspect`` grants cover, in its own tenant.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlmodel import Session
from sqlmodel import select as select_model

from ..access import Action, Principal, org_row, require, visible
from ..errors import NotFound
from ..frames import read_frame
from ..i18n import tr
from ..models import Check, Cycle, Evidence, Finding, Indicator, Organization, Rectification, StageRun
from ..registry import Registry
from .service import finding_rule_types


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


def scheme_indicators(conn: Connection, principal: Principal, *, cycle_id: int,
                      registry: Registry | None = None) -> pd.DataFrame:
    """The indicators of the cycle's frozen scheme; with ``registry``, only those a finding may be recorded
    against (whose rule type reads findings: :mod:`.service`)."""
    require(conn, principal, Action.inspect)
    i, c = Indicator.__table__.c, Cycle.__table__.c
    query = (select(i.code, i.name, i.block_name, i.kind, i.points, i.rule)
             .join_from(Indicator.__table__, Cycle.__table__, i.cycle_id == c.id)
             .where(c.id == cycle_id, c.tenant_id == principal.tenant_id).order_by(i.position))
    if registry is not None:
        query = query.where(i.rule.in_(sorted(finding_rule_types(conn, principal.tenant_id, registry))))
    return read_frame(query, conn)


def inspectable_organizations(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The organisations the principal may inspect (code, name, level), by code."""
    require(conn, principal, Action.inspect)
    o = Organization.__table__.c
    return read_frame(select(o.code, o.name, o.level)
                       .where(o.tenant_id == principal.tenant_id, o.active.is_(True),
                              visible(conn, principal, Action.inspect, o.id)).order_by(o.code), conn)


def finding_evidence(session: Session, principal: Principal, *, finding_id: int) -> list[Evidence]:
    finding = org_row(session, principal, Action.inspect, Finding, finding_id, ("督查发现", "finding"))
    return list(session.exec(select_model(Evidence).where(Evidence.finding_id == finding.id)
                             .order_by(Evidence.id)).all())


def read_findings(conn: Connection, principal: Principal, *, cycle_id: int) -> pd.DataFrame:
    """The findings of the cycle's year within the principal's organisations, the latest first, with their
    notice (if one was issued); ``late_date``: the date a late one bore (``periods.place``)."""
    require(conn, principal, Action.inspect)
    year = _cycle_year(conn, principal, cycle_id)
    f, o, r, c = Finding.__table__.c, Organization.__table__.c, Rectification.__table__.c, Check.__table__.c
    query = (select(f.id.label("finding_id"), f.date, f.late_date, o.code, o.name, f.indicator_code, f.deduction, f.description,
                    c.kind, c.inspector, r.notice_no, r.status.label("notice_status"))
             .join_from(Finding.__table__, Organization.__table__, f.org_id == o.id)
             .join(Check.__table__, c.id == f.check_id)
             .outerjoin(Rectification.__table__, r.finding_id == f.id)
             .where(f.tenant_id == principal.tenant_id, f.date >= date(year, 1, 1),
                    f.date < date(year + 1, 1, 1), visible(conn, principal, Action.inspect, f.org_id))
             .order_by(f.date.desc(), f.id.desc()))
    return read_frame(query, conn)
