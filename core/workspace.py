"""The branch workspace (支部工作台): what a branch secretary reads and writes about their branch.

Targets and progress so far, ledger entries (台账) with their evidence, the self-assessment (自评),
answers to rectification notices (整改反馈), the branch's published results with their history, and its standing
(星级/档次, 分类定级) with the history of how it moved.
Every function takes the :class:`~bastion.core.access.Principal` first and is scoped here: a
secretary reaches their own branch only, an administrator the branches of their subtree, never
another tenant. Writes are audited; published results are only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit, evidence, periods, scoring, standings
from .access import Action, Forbidden, Principal, allows, org_row, require, visible
from .engine import score_slices
from .ballots.questions import rating_readers
from .ledger import service as ledger_service
from .tenants import enabled_plugins
from .contributions import LedgerType
from .cycles import cycle_scheme
from .periods import Period
from .errors import BastionError, Conflict, NotFound, refuse
from .frames import read_frame
from .i18n import tr
from .models import (
    Cycle,
    Evidence,
    Indicator,
    IndicatorKind,
    LedgerEntry,
    Organization,
    OrgLevel,
    Rating,
    RatingSource,
    Target,
    Tenant,
    utcnow,
)
from .registry import Registry
from .values import text_problems

UNIT_LABELS = {"month": "月", "quarter": "季度", "half": "半年", "year": "年"}
SELF_ASSESSMENTS = ("自评", "self-assessments")


# --- the branch --------------------------------------------------------------------------------


def branch(conn: Connection, principal: Principal, org_id: int, action: Action) -> dict[str, Any]:
    """The branch ``org_id`` if ``principal`` may ``action`` on it; refused otherwise."""
    require(conn, principal, action, org_id)
    o = Organization.__table__.c
    row = conn.execute(select(o.id, o.code, o.name, o.category, o.level, o.member_count, o.staff_count)
                       .where(o.id == org_id, o.tenant_id == principal.tenant_id)).mappings().first()
    if row is None:
        raise NotFound(tr(f"没有组织 {org_id}", f"no organisation {org_id}"))
    if row["level"] != OrgLevel.branch.value:
        raise BastionError(tr(f"{row['code']} 不是党支部：支部工作台只供党支部使用",
                              f"{row['code']} is not a branch (党支部): the workspace is a branch's"))
    return dict(row)


def branches_in_scope(conn: Connection, principal: Principal, *, action: Action = Action.record_ledger,
                      search: str = "", limit: int = 200) -> pd.DataFrame:
    """The active branches ``principal`` may ``action`` on, by code; ``search`` matches code or name."""
    if not principal.may(action):
        return pd.DataFrame({"org_id": [], "code": [], "name": [], "category": []})
    o = Organization.__table__.c
    query = (select(o.id.label("org_id"), o.code, o.name, o.category)
             .where(o.tenant_id == principal.tenant_id, o.level == OrgLevel.branch.value, o.active.is_(True),
                    visible(conn, principal, action, o.id))
             .order_by(o.code).limit(limit))
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(o.code.ilike(like) | o.name.ilike(like))
    return read_frame(query, conn)


# --- targets and progress ----------------------------------------------------------------------

TARGET_FROM = ("default", "category", "branch")  # 方案默认 / 类别目标 / 本支部调整


def _target_layers(conn: Connection, cycle: Cycle, org: Mapping[str, Any]) -> dict[str, tuple[int, float, str]]:
    """Each indicator's target for the branch as ``(layer, value, reason)``: its own row beats its category's,
    which beats the default; within a layer the later row wins (as :func:`engine.resolve_targets`)."""
    found: dict[str, tuple[int, int, float, str]] = {}

    def offer(code: str, layer: int, order: int, value: float, reason: str) -> None:
        if code not in found or (layer, order) >= found[code][:2]:
            found[code] = (layer, order, float(value), reason)

    for spec in cycle_scheme(cycle).indicators():
        for category, value in spec.targets.items():
            if category == "*":
                offer(spec.code, 0, -1, value, "方案默认目标")
            elif category == org["category"]:
                offer(spec.code, 1, -1, value, "方案类别目标")
    t, i = Target.__table__.c, Indicator.__table__.c
    rows = conn.execute(select(t.id, i.code, t.category, t.org_id, t.value, t.reason)
                        .join_from(Target.__table__, Indicator.__table__, t.indicator_id == i.id)
                        .where(t.cycle_id == cycle.id, (t.org_id == org["id"]) | (t.category == org["category"])
                               | (t.org_id.is_(None) & t.category.is_(None))).order_by(t.id))
    for row in rows:
        layer = 2 if row.org_id is not None else 1 if row.category is not None else 0
        offer(row.code, layer, row.id, row.value, row.reason or "")
    return {code: (layer, value, reason) for code, (layer, _, value, reason) in found.items()}


TARGET_COLUMNS = ["indicator_code", "name", "block_code", "block_name", "kind", "points", "rule", "target",
                  "target_from", "target_reason"]


def read_targets(conn: Connection, principal: Principal, *, cycle: Cycle, org_id: int) -> pd.DataFrame:
    """The branch's indicators in ``cycle`` with its resolved target, where it came from and why."""
    org = branch(conn, principal, org_id, Action.record_ledger)
    _same_tenant(principal, cycle)
    layers = _target_layers(conn, cycle, org)
    rows = []
    for block in cycle_scheme(cycle).blocks:
        for spec in block.indicators:
            layer = layers.get(spec.code)
            rows.append({"indicator_code": spec.code, "name": spec.name, "block_code": block.code,
                         "block_name": block.name, "kind": str(spec.kind), "points": spec.points, "rule": spec.rule,
                         "target": None if layer is None else layer[1],
                         "target_from": None if layer is None else TARGET_FROM[layer[0]],
                         "target_reason": None if layer is None else layer[2]})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def _same_tenant(principal: Principal, cycle: Cycle) -> None:
    if cycle.tenant_id != principal.tenant_id:
        raise Forbidden(tr(f"{principal.username} 无权查看其他单位的考核年度",
                           f"{principal.username} may not read another tenant's cycle"))


PROGRESS_COLUMNS = [*TARGET_COLUMNS, "measured", "goal", "share", "detail", "measurable"]


def read_progress(conn: Connection, principal: Principal, *, cycle: Cycle, org_id: int, registry: Registry,
                  today: date | None = None) -> pd.DataFrame:
    """The branch's targets and its year so far (目标与进度), per indicator, scored by the tenant's own rule types.

    The year to date (:func:`periods.year_to_date`: January to this month) is scored for this branch
    alone exactly as a stage scores a period — the cycle's frozen scheme, its targets, the enabled
    rule types, the facts dated so far: ``measured`` is what the rule measured, ``goal`` what it
    measured against for these months, ``share`` the points earned of the indicator's, ``detail``
    the rule's reason. A rule type scored at period end (``RuleType.at_period_end``: ballots, levels,
    a secretary's term) says so instead (考核期末评分).
    """
    targets = read_targets(conn, principal, cycle=cycle, org_id=org_id)
    branch(conn, principal, org_id, Action.record_ledger)
    period = periods.year_to_date(cycle.year, today or date.today())
    inputs = scoring.read_inputs(conn.engine, cycle=cycle, period=period, registry=registry, org_id=org_id)
    scored = list(score_slices(inputs))
    lines = pd.concat(scored).set_index("indicator_code") if scored else pd.DataFrame()
    rows = []
    for row in targets.to_dict("records"):
        code, rule = row["indicator_code"], inputs.rule_types.get(row["rule"])
        if rule is None or rule.at_period_end or code not in lines.index:
            rows.append(row | {"measured": None, "goal": None, "share": None,
                               "detail": tr("考核期末评分", "scored at the period's end"), "measurable": False})
            continue
        line = lines.loc[code]
        share = None if row["kind"] == IndicatorKind.veto or not row["points"] else float(line["points"]) / row["points"]
        rows.append(row | {"measured": _number(line["value"]), "goal": _number(line["target"]), "share": share,
                           "detail": line["reason"], "measurable": True})
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- ledger entries and evidence -------------------------------------------------------------


def ledger_types(conn: Connection, tenant_id: int, registry: Registry) -> dict[str, LedgerType]:
    """The ledger types the tenant's enabled plugins contribute, by code."""
    return {code: c.item for code, c in registry.ledger_types(enabled_plugins(conn, tenant_id)).items()}


def record_entry(session: Session, principal: Principal, *, cycle: Cycle, org_id: int, ledger_type: str, day: date,
                 title: str, registry: Registry, quantity: float | None = None, note: str = "",
                 late: periods.Late | None = None) -> LedgerEntry:
    """Record a ledger entry (台账) of the branch in ``cycle``, audited; bad input is refused field by field
    by the ledger's one rule (:mod:`bastion.core.ledger.service`).

    An entry dated in a period whose results are under review or published (a quarter, a half-year, the year)
    is late: that period is scored from the entries recorded by then. It is refused, or — where the tenant takes
    late facts — goes where ``late`` says: the next period, or a correction (``periods.place``; what each route
    would do: ``periods.late_routes``).
    """
    branch(session.connection(), principal, org_id, Action.record_ledger)
    _same_tenant(principal, cycle)
    return ledger_service.record_entry(session, cycle=cycle, org_id=org_id, ledger_type=ledger_type, day=day,
                                       title=title, registry=registry, actor=principal.username, quantity=quantity,
                                       note=note, source="ui", late=late)


def attach_evidence(session: Session, principal: Principal, *, entry_id: int, filename: str, data: bytes,
                    home) -> Evidence:
    """Keep a file as evidence (佐证材料) of one of the branch's ledger entries."""
    entry = org_row(session, principal, Action.record_ledger, LedgerEntry, entry_id, ("台账", "ledger entry"))
    tenant = session.get(Tenant, principal.tenant_id)
    return evidence.store(session, home=home, tenant_id=tenant.id, tenant_code=tenant.code, filename=filename,
                          data=data, actor=principal.username, ledger_entry_id=entry.id)


ENTRY_COLUMNS = ["id", "type", "date", "late_date", "quantity", "title", "note", "recorded_by", "recorded_at", "source"]


def read_entries(conn: Connection, principal: Principal, *, cycle: Cycle, org_id: int,
                 limit: int = 500) -> pd.DataFrame:
    """The branch's ledger entries in ``cycle``'s year, the latest first."""
    branch(conn, principal, org_id, Action.record_ledger)
    _same_tenant(principal, cycle)
    e = LedgerEntry.__table__.c
    query = (select(*(e[c] for c in ENTRY_COLUMNS))
             .where(e.tenant_id == principal.tenant_id, e.org_id == org_id, e.date >= date(cycle.year, 1, 1),
                    e.date < date(cycle.year + 1, 1, 1))
             .order_by(e.date.desc(), e.id.desc()).limit(limit))
    return read_frame(query, conn)


def read_evidence(conn: Connection, principal: Principal, *, org_id: int, entry_ids: list[int]) -> pd.DataFrame:
    """The evidence files of the branch's entries ``entry_ids``."""
    branch(conn, principal, org_id, Action.record_ledger)
    v, e = Evidence.__table__.c, LedgerEntry.__table__.c
    query = (select(v.id, v.ledger_entry_id, v.filename, v.sha256, v.uploaded_by, v.uploaded_at)
             .join_from(Evidence.__table__, LedgerEntry.__table__, e.id == v.ledger_entry_id)
             .where(v.tenant_id == principal.tenant_id, e.org_id == org_id, v.ledger_entry_id.in_(entry_ids))
             .order_by(v.ledger_entry_id, v.id))
    return read_frame(query, conn)


def evidence_file(session: Session, principal: Principal, evidence_id: int) -> tuple[str, bytes]:
    """An evidence file of a ledger entry the principal may see: its name and content."""
    row = session.get(Evidence, evidence_id)
    if row is None or row.tenant_id != principal.tenant_id or row.ledger_entry_id is None:
        raise NotFound(tr(f"没有佐证材料 {evidence_id}", f"no evidence {evidence_id}"))
    org_row(session, principal, Action.record_ledger, LedgerEntry, row.ledger_entry_id, ("台账", "ledger entry"))
    return row.filename, evidence.read_bytes(row)


# --- the self-assessment (自评) ---------------------------------------------------------------


@dataclass(frozen=True)
class SelfAssessment:
    """The branch's self-assessment for one period: an overall score and/or scores per indicator."""

    period: str
    day: date
    overall: float | None
    indicators: dict[str, float]
    note: str
    rater: str
    editable: bool


def self_assessment_day(period: str) -> date:
    """A period's self-assessment is dated its last day, so the period's scoring (and any longer one) counts it.

    Periods ending on the same day (2026-Q2 and 2026-H1) share one self-assessment.
    """
    return Period.parse(period).last_day


def _self_rows(session: Session, tenant_id: int, org_id: int, day: date) -> list[Rating]:
    return list(session.exec(select_model(Rating).where(
        Rating.tenant_id == tenant_id, Rating.org_id == org_id, Rating.source == RatingSource.self_.value,
        Rating.date == day).order_by(Rating.id)).all())


def _may_read_self(conn: Connection, principal: Principal, org_id: int) -> None:
    if not (allows(conn, principal, Action.self_assess, org_id) or allows(conn, principal, Action.record_ledger, org_id)):
        raise Forbidden(tr(f"{principal.username} 无权查看组织 {org_id} 的自评",
                           f"{principal.username} may not read the self-assessment of organisation {org_id}"))


def self_indicators(conn: Connection, cycle: Cycle, registry: Registry) -> list[tuple[str, str]]:
    """The indicators whose rules read self-assessment scores on the indicator itself: ``(code, name)``."""
    return [(r.indicator_code, r.indicator_name) for r in rating_readers(conn, cycle, registry)
            if r.per_indicator and not r.qualitative and RatingSource.self_.value in r.sources]


def read_self_assessment(session: Session, principal: Principal, *, cycle: Cycle, period: str,
                         org_id: int) -> SelfAssessment | None:
    conn = session.connection()
    _may_read_self(conn, principal, org_id)
    _same_tenant(principal, cycle)
    periods.assessed_in_cycle(cycle, period)
    rows = _self_rows(session, principal.tenant_id, org_id, self_assessment_day(period))
    if not rows:
        return None
    overall = next((r for r in rows if r.indicator_code is None), None)
    return SelfAssessment(period=period, day=rows[0].date, overall=None if overall is None else overall.score,
                          indicators={r.indicator_code: r.score for r in rows if r.indicator_code is not None},
                          note=(overall or rows[0]).note, rater=(overall or rows[0]).rater,
                          editable=not periods.is_closed(conn, cycle.id, period))


def _score(field: tuple[str, str], value: float | None) -> float | None:
    """``value`` as a score 0–100; ``field`` names it in the message, in Chinese and English."""
    if value is None:
        return None
    if not 0 <= float(value) <= 100:
        raise BastionError(tr(f"{field[0]}：{float(value):g} 不在 0–100 之间",
                              f"{field[1]}: {float(value):g} is outside 0–100"))
    return float(value)


def write_self_assessment(session: Session, principal: Principal, *, cycle: Cycle, period: str, org_id: int,
                          overall: float | None, indicators: Mapping[str, float | None] | None = None,
                          note: str = "") -> SelfAssessment:
    """Write (or rewrite) the branch's self-assessment for ``period`` as ratings of source ``self``.

    One per period: writing again updates it in place, recorded anew. Refused once the period's results are
    under the leaders' review or published, and when its day (the period's last) falls in another period that
    is (``periods.date_problems``: the year's, dated 31 December, once the fourth quarter is published).
    """
    conn = session.connection()
    branch(conn, principal, org_id, Action.self_assess)
    _same_tenant(principal, cycle)
    refuse(text_problems(("note", ("自评说明", "note"), note)))
    periods.assessed_in_cycle(cycle, period)
    if periods.is_closed(conn, cycle.id, period):
        raise Conflict(tr(f"考核期：{period} 的考核结果已在审核或已发布，其自评不能再修改",
                          f"period: the results of {period} are under review or published; "
                          "its self-assessment can no longer be changed"))
    day = self_assessment_day(period)
    refuse(periods.date_problems(periods.years(session, principal.tenant_id, within=cycle), day,
                                 what=SELF_ASSESSMENTS, field=("自评日期", "date")))
    wanted: dict[str | None, float] = {}
    now = utcnow()
    if (value := _score(("总体评分", "overall"), overall)) is not None:
        wanted[None] = value
    known = {s.code for s in cycle_scheme(cycle).indicators()}
    for code, raw in (indicators or {}).items():
        if code not in known:
            raise BastionError(tr(f"指标：{cycle.year} 年度方案没有指标 {code!r}",
                                  f"indicator: the {cycle.year} scheme has no indicator {code!r}"))
        if (value := _score((f"指标 {code}", f"indicator {code}"), raw)) is not None:
            wanted[code] = value
    if not wanted:
        raise BastionError(tr("分数：请填写总体评分，或至少一项指标的评分（0–100）",
                              "score: give an overall score or a score for at least one indicator (0–100)"))
    existing = {r.indicator_code: r for r in _self_rows(session, principal.tenant_id, org_id, day)}
    old = {str(k): r.score for k, r in existing.items()}
    for code, value in wanted.items():
        row = existing.pop(code, None) or Rating(tenant_id=principal.tenant_id, org_id=org_id,
                                                 source=RatingSource.self_.value, indicator_code=code, date=day)
        row.score, row.level, row.rater, row.note = value, None, principal.username, note.strip()
        row.recorded_at = now  # rewritten: recorded again (drafts scored before it are outdated)
        session.add(row)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username,
                 action="update" if old else "create", entity="self_assessment", entity_id=org_id,
                 old=old or None, new={"period": period, "scores": {str(k): v for k, v in wanted.items()},
                                       "note": note.strip()})
    return SelfAssessment(period=period, day=day, overall=wanted.get(None),
                          indicators={k: v for k, v in wanted.items() if k is not None}, note=note.strip(),
                          rater=principal.username, editable=True)


# --- the standing (分类定级、提档升级) ---------------------------------------------------------------


@dataclass(frozen=True)
class BranchStanding:
    """A branch's standing now (None: none yet), what the scheme calls it, and every step of its history."""

    name: str
    ladder: list[str]
    current: dict[str, Any] | None
    history: pd.DataFrame


def read_standing(conn: Connection, principal: Principal, *, org_id: int) -> BranchStanding | None:
    """The branch's standing and its history (``core.standings``), for one who may read its results; None when the
    tenant's schemes grade no standing."""
    require(conn, principal, Action.view_results, org_id)
    try:
        rule = standings.ladder_of(conn, principal.tenant_id)
    except BastionError:
        return None
    history = standings.history(conn, principal.tenant_id, org_id=org_id, viewer=principal)
    now = standings.current(conn, principal.tenant_id, org_ids=[org_id])
    return BranchStanding(rule.name, list(rule.ladder), None if now.empty else now.iloc[0].to_dict(), history)
