"""What makes a valid finding (检查发现), and the writes of inspection: a finding, its check, its evidence.

A finding is valid when

- its date falls in a year the tenant has a cycle for, in no period of it whose results are under review or
  published — or, where the tenant takes late facts, the user chose where such a late finding goes: the next
  period, or a correction (:func:`bastion.core.periods.place`, :func:`finding_date`) — and is not in the future
  (a problem is recorded once found);
- the indicator it names is one of that cycle's scheme and *takes findings*: its rule type reads
  findings (``"findings"`` in the rule type's ``inputs``, as ``finding_deduction`` and ``veto_on_finding``
  do), so the finding counts in the score; a finding may also name no indicator (it then deducts nothing);
- its deduction lies between 0 and the indicator's points (0 without an indicator);
- it says what was found, in text without control characters (:mod:`bastion.core.values`).

:func:`finding_problems` lists what is wrong with a finding; the inspectors' form raises the first
(:func:`record_finding`), the importer reports every one with the row (:mod:`bastion.core.importing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit, periods
from ..access import Action, Principal, org_by_code, org_row, require, tenant_cycle
from ..errors import BastionError, NotFound, Problem, refuse
from ..evidence import store
from ..i18n import tr
from ..models import Check, CheckKind, Cycle, Evidence, Finding, Indicator, Organization, Tenant
from ..registry import Registry
from ..tenants import enabled_plugins
from ..values import text_problem

WHAT = ("检查发现", "findings")
FIELDS = {"date": ("日期", "date"), "indicator_code": ("指标", "indicator"), "deduction": ("扣分", "deduction"),
          "description": ("问题描述", "description")}


# --- the rule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An indicator of a cycle's scheme as a finding sees it: its points and whether its rule reads findings."""

    code: str
    name: str
    points: float
    rule: str
    takes_findings: bool


@dataclass(frozen=True)
class FindingRules:
    """What a finding is checked against: where the tenant's years stand, each cycle's indicators (cycle id →
    code → :class:`Target`) and today."""

    years: periods.Years
    indicators: Mapping[int, Mapping[str, Target]]
    today: date


def finding_rule_types(conn: Connection, tenant_id: int, registry: Registry) -> set[str]:
    """The names of the tenant's rule types that read findings: the indicators scored by them take findings."""
    return {name for name, c in registry.rule_types(enabled_plugins(conn, tenant_id)).items()
            if "findings" in c.item.inputs}


def finding_rules(session: Session, tenant_id: int, registry: Registry, *, within: Cycle | None = None,
                  years: Iterable[int] | None = None, today: date | None = None,
                  late: periods.Late | None = None) -> FindingRules:
    """The rules for findings of ``tenant_id``: ``within`` one cycle, or in any of its cycles (of ``years``);
    ``late``, the user's choice for a late finding."""
    dated = periods.years(session, tenant_id, within=within, only=years, late=late)
    reading = finding_rule_types(session.connection(), tenant_id, registry)
    by_id = {c.id: c for c in dated.cycles.values()}
    indicators: dict[int, dict[str, Target]] = {cycle_id: {} for cycle_id in by_id}
    if by_id:
        i = Indicator.__table__.c
        for cycle_id, code, name, points, rule in session.execute(
                select(i.cycle_id, i.code, i.name, i.points, i.rule).where(i.cycle_id.in_(list(by_id)))):
            indicators[cycle_id][code] = Target(code, name, float(points), rule, rule in reading)
    return FindingRules(dated, indicators, today or date.today())


def _problem(key: str, zh: str, en: str) -> Problem:
    return Problem(key, tr(*FIELDS[key]), tr(zh, en))


def finding_date(rules: FindingRules, day: date | None) -> periods.Placed:
    """Where a finding dated ``day`` goes: the date to store and, when it is late, the date it bore
    (:func:`bastion.core.periods.place`). Its check keeps the day given: the inspection was made then."""
    return periods.place(rules.years, day, what=WHAT, field=FIELDS["date"])


def finding_problems(rules: FindingRules, *, day: date | None, indicator_code: str | None, deduction: float | None,
                     description: str | None) -> list[Problem]:
    """What is wrong with a finding, field by field (empty when it is valid).

    A date of None was already refused by the caller (it could not read it) and is not checked again;
    ``indicator_code`` None is a finding on no indicator.
    """
    found = finding_date(rules, day).problems
    if day is not None and not found and day > rules.today:
        found.append(_problem("date", f"{day.isoformat()} 是将来的日期；请在发现问题后再记录",
                              f"{day.isoformat()} is in the future; record a finding once it is found"))
    cycle = rules.years.cycle(day)
    limit: Target | None = None
    if indicator_code is not None and cycle is not None:
        target = rules.indicators.get(cycle.id, {}).get(indicator_code)
        if target is None:
            found.append(_problem("indicator_code",
                                  f"{indicator_code!r} 不是 {cycle.year} 考核年度（方案 {cycle.scheme_id} "
                                  f"{cycle.scheme_version}）的指标",
                                  f"{indicator_code!r} is not an indicator of the {cycle.year} cycle (scheme "
                                  f"{cycle.scheme_id} {cycle.scheme_version})"))
        elif not target.takes_findings:
            found.append(_problem("indicator_code",
                                  f"{target.code}（{target.name}）按 {target.rule} 评分，不计检查发现：不能对它记录问题",
                                  f"{target.code} ({target.name}) is scored by {target.rule}, which reads no "
                                  "findings: no finding can be recorded against it"))
        else:
            limit = target
    if deduction is not None:
        if limit is not None and not 0 <= deduction <= limit.points:
            found.append(_problem("deduction", f"{deduction:.10g} 不在 0 与 {limit.code}（{limit.name}）的分值 "
                                               f"{limit.points:.10g} 分之间",
                                  f"{deduction:.10g} is not between 0 and the {limit.points:.10g} points of "
                                  f"{limit.code} ({limit.name})"))
        elif indicator_code is None and deduction != 0:
            found.append(_problem("deduction", f"{deduction:.10g}：未填指标，无从扣分；请填写指标，或不扣分",
                                  f"{deduction:.10g}: there is no indicator to deduct it from; name the indicator, "
                                  "or deduct nothing"))
    if not (description or "").strip():
        found.append(_problem("description", "请写明发现的问题", "say what was found (问题描述)"))
    elif (reason := text_problem(description)) is not None:
        found.append(Problem("description", tr(*FIELDS["description"]), reason))
    return found


# --- the writes -------------------------------------------------------------------------------


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
                   deduction: float, description: str, on: date, registry: Registry,
                   kind: str = CheckKind.daily.value, check_id: int | None = None,
                   today: date | None = None, late: periods.Late | None = None) -> Finding:
    """A problem found at ``org_code`` on ``on``, deducting ``deduction`` points from an indicator of the cycle;
    an invalid finding is refused by its first problem (:func:`finding_problems`). A late finding goes where
    ``late`` says, if the tenant takes late facts; its audit row says the route, the date given and the date
    booked."""
    require(session.connection(), principal, Action.inspect)
    cycle = tenant_cycle(session, principal, cycle_id)
    org = org_by_code(session, principal, Action.inspect, org_code)
    code = indicator_code.strip()
    rules = finding_rules(session, principal.tenant_id, registry, within=cycle, today=today, late=late)
    refuse(finding_problems(rules, day=on, indicator_code=code, deduction=deduction, description=description))
    placed = finding_date(rules, on)
    check = _check_for(session, principal, cycle, org, on, kind, check_id)
    finding = Finding(tenant_id=principal.tenant_id, check_id=check.id, org_id=org.id, date=placed.day,
                      late_date=placed.late_date, indicator_code=code, deduction=float(deduction),
                      description=description.strip())
    session.add(finding)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="record", entity="finding",
                 entity_id=finding.id, new={"org": org.code, "indicator": code, "deduction": deduction,
                                            "date": placed.day.isoformat(), "description": finding.description,
                                            "check": check.id, **placed.audited()})
    return finding


def attach_evidence(session: Session, principal: Principal, *, finding_id: int, filename: str, data: bytes,
                    home: Path) -> Evidence:
    """Keep a file (photo, minutes …) as evidence of a finding the principal may inspect."""
    finding = org_row(session, principal, Action.inspect, Finding, finding_id, ("督查发现", "finding"))
    tenant = session.get(Tenant, principal.tenant_id)
    return store(session, home=home, tenant_id=tenant.id, tenant_code=tenant.code, filename=filename, data=data,
                 actor=principal.username, finding_id=finding.id)
