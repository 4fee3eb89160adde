"""Audited corrections (更正) of results, in whatever state the period is (``core.lifecycle``).

Published evaluations are read-only: rescoring refuses them, as it refuses results under the
leaders' review. When a point is wrong — an appeal upheld, a finding recorded against the wrong
branch — an administrator corrects one indicator's points of one branch, with the reason. The
line keeps the correction and the reason in its explanation, and its evaluation's block subtotals
follow it; the period's totals, grades,
ranks and tiers are concluded again from the stored lines by the engine, the incentive policies
are applied again if the period is published (awards already made keep their ids; an award no
longer given is withdrawn with its rectification notice) after the standings it moved are decided again
(``standings.redecide``), and the audit trail holds the line and
every changed result, old → new. All of it in one transaction, under the period's lease. (A
draft corrected is still a draft: scoring the period again replaces it.)

A veto is not corrected here: it comes from a finding, and is lifted by correcting the finding
and rescoring the period before publication.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from . import audit, incentives, lifecycle, standings
from .access import Action, Principal, require, visible
from .bulletins.service import reissue_bulletin
from .cycles import cycle_scheme
from .db import transaction
from .engine import EVALUATION_COLUMNS, ROLLUP, conclude, roll_up
from .errors import BastionError, NotFound, refuse
from .i18n import tr
from .models import (
    AuditEvent,
    Cycle,
    Evaluation,
    EvaluationLine,
    IndicatorKind,
    Organization,
    Tenant,
    code_is,
    utcnow,
)
from .periods import Period, day_of, in_cycle
from .registry import Registry
from .scheme import POINTS_EPSILON
from .scoring import apply_policies, read_tree, store_block_subtotals
from .tenants import enabled_plugins
from .values import text_problems

CONCLUDED = ["base_points", "bonus_points", "total", "rate", "grade", "advanced_eligible", "rank", "tier"]


@dataclass(frozen=True)
class Correction:
    org_code: str
    indicator_code: str
    old_points: float
    new_points: float
    changed: pd.DataFrame  # org_id, code and the old and new figures of every result that changed
    awards: int
    bulletin_version: int | None = None  # the period's bulletin as re-issued, when it was


def correct_points(engine, principal: Principal, *, cycle: Cycle, period: str, org_code: str, indicator_code: str,
                   points: float, reason: str, registry: Registry, home: Path | None = None,
                   today: date | None = None) -> Correction:
    """Set one indicator's points of one branch's published result, and conclude the period again. With the
    archive's ``home``, a published period's bulletin is re-issued in the same transaction (dated ``today``,
    the tenant's day by default): a new version that says why, the old one kept (``reissue_bulletin``)."""
    key = checked_request(cycle, period, indicator_code, points, reason)
    with lifecycle.changing(engine, cycle, key.key, "correct", actor=principal.username), \
            transaction(engine) as session:
        status = lifecycle.fence(session.connection(), cycle, key.key, "correct")
        return correct_in(session, principal, cycle=cycle, period=key, status=status, org_code=org_code,
                          indicator_code=indicator_code, points=points, reason=reason, registry=registry, home=home,
                          today=today)


def checked_request(cycle: Cycle, period: str, indicator_code: str, points: float, reason: str) -> Period:
    """The period of a correction asked for, or the reason it cannot be made (before anything is locked)."""
    if not reason.strip():
        raise BastionError(tr("更正须写明更正理由", "a correction needs its reason (更正理由)"))
    refuse(text_problems(("reason", ("更正理由", "reason"), reason)))
    key = in_cycle(cycle, period)
    spec = correctable_indicator(cycle, indicator_code)
    if not -POINTS_EPSILON <= points <= spec.points + POINTS_EPSILON:
        raise BastionError(tr(f"{indicator_code} 的分值为 0 至 {spec.points:g} 分，不能是 {points:g} 分",
                              f"{indicator_code} is worth 0 to {spec.points:g} points, not {points:g}"))
    return key


def correctable_indicator(cycle: Cycle, indicator_code: str, *, appealed: bool = False):
    """The cycle's indicator ``indicator_code`` if its lines can be corrected — and so appealed (``appealed``: the
    refusal says what to do instead for an appeal) — else why not: a roll-up line sums the branches below (correct
    theirs), a veto item is lifted by correcting the finding behind it."""
    if indicator_code == ROLLUP:
        raise BastionError(tr("汇总行不能申诉：请对相应党支部的指标申诉", "a roll-up line cannot be appealed: appeal the "
                              "branch's indicator") if appealed else
                           tr("汇总行（ROLLUP）是下属党支部考核结果的汇总：请更正相应党支部的指标，汇总随之更新",
                              "a ROLLUP line sums up the branches below: correct the branch's indicator, and the "
                              "roll-up follows"))
    spec = next((s for s in cycle_scheme(cycle).indicators() if s.code == indicator_code), None)
    if spec is None:
        raise NotFound(tr(f"{cycle.year} 年度方案没有指标 {indicator_code!r}",
                          f"the {cycle.year} scheme has no indicator {indicator_code!r}"))
    if spec.kind == IndicatorKind.veto:
        raise BastionError(tr(f"{indicator_code} 是一票否决项：对其依据的督查发现有异议，请向督查组反映",
                              f"{indicator_code} is a veto item: object to the finding behind it with the inspectors")
                           if appealed else
                           tr(f"{indicator_code} 是一票否决项：请更正其依据的督查发现",
                              f"{indicator_code} is a veto item: correct the finding behind it instead"))
    return spec


def correctable_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Of a result's lines (``results.explain``), those a correction or an appeal may name: assessed in the period,
    of an indicator :func:`correctable_indicator` allows."""
    return lines[lines["assessed"].astype(bool) & (lines["kind"] != IndicatorKind.veto.value)
                 & (lines["indicator_code"] != ROLLUP)]


def correct_in(session: Session, principal: Principal, *, cycle: Cycle, period: Period, status: str, org_code: str,
               indicator_code: str, points: float, reason: str, registry: Registry, home: Path | None = None,
               today: date | None = None, appeal_id: int | None = None) -> Correction:
    """The correction itself, in ``session``'s transaction, which holds the period's lease and has fenced it
    (``status``: the state the fence found): :func:`correct_points`, and an accepted appeal (``core.appeals``),
    whose id the audit row then names."""
    key = period
    conn = session.connection()
    e, line, o = Evaluation.__table__.c, EvaluationLine.__table__.c, Organization.__table__.c
    target = conn.execute(select(e.id, e.org_id).join_from(Evaluation.__table__, Organization.__table__,
                                                           o.id == e.org_id)
                          .where(e.cycle_id == cycle.id, e.period == key.key, code_is(o.code, org_code),
                                 o.tenant_id == principal.tenant_id)).first()
    if target is None:
        raise NotFound(tr(f"{org_code} 没有 {key.key} 的考核结果", f"{org_code} has no result for {key.key}"))
    require(conn, principal, Action.administer, target.org_id)
    old = conn.execute(select(line.id, line.points, line.reason, line.assessed)
                       .where(line.evaluation_id == target.id, line.indicator_code == indicator_code)).first()
    if old is None:
        raise NotFound(tr(f"{org_code} 的 {key.key} 考核结果中没有指标 {indicator_code}",
                          f"{org_code}'s {key.key} result has no line for {indicator_code}"))
    if not old.assessed:
        raise BastionError(tr(f"{indicator_code} 在 {key.key} 不考核（本期不考核），没有分值可更正",
                              f"{indicator_code} is not assessed in {key.key}: it has no points to correct"))
    note = f"更正为 {points:g} 分（原 {old.points:g} 分）：{reason.strip()}；原说明：{old.reason}"
    conn.execute(update(EvaluationLine.__table__).where(line.id == old.id).values(points=points, reason=note))
    store_block_subtotals(conn, [target.id])
    changed = _conclude_again(conn, cycle, key.key)
    awards, reissued = 0, None
    if status == lifecycle.PUBLISHED:  # the standings and incentives follow the corrected results
        standings.redecide(conn, cycle=cycle, period=key, actor=principal.username, note=reason.strip())
        tenant = session.get(Tenant, cycle.tenant_id)
        awards = apply_policies(conn, cycle=cycle, period=key, registry=registry,
                                enabled=enabled_plugins(session, cycle.tenant_id), tenant_code=tenant.code,
                                actor=principal.username)
        if home is not None:
            reissued = reissue_bulletin(session, cycle=cycle, period=key, home=home,
                                        today=today or day_of(utcnow()), actor=principal.username,
                                        reason=reason.strip())
    audit.record(session, tenant_id=cycle.tenant_id, actor=principal.username, action="correct",
                 entity="evaluation", entity_id=target.id, note=reason.strip(),
                 old={"indicator": indicator_code, "points": old.points},
                 new={"indicator": indicator_code, "points": points, "period": key.key, "status": status,
                      **({"appeal": appeal_id} if appeal_id is not None else {}),
                      "results_changed": changed[["code", *[f"{c}_old" for c in CONCLUDED],
                                                  *[f"{c}_new" for c in CONCLUDED]]]
                      .astype(object).to_dict("records")})
    return Correction(org_code, indicator_code, float(old.points), points, changed, awards,
                      None if reissued is None else reissued.version)


def _conclude_again(conn, cycle: Cycle, period: str) -> pd.DataFrame:
    """Conclude the period from its stored lines (vetoes as stored, bars as scoring reads them) and write the
    results that changed; the levels assessed by their branches' results (``engine.roll_up``) follow, their roll-up
    lines too."""
    scheme = cycle_scheme(cycle)
    e, line, o = Evaluation.__table__.c, EvaluationLine.__table__.c, Organization.__table__.c
    bonus = (line.indicator_code.in_([s.code for s in scheme.indicators() if s.kind == IndicatorKind.bonus]))
    period_ids = select(e.id).where(e.cycle_id == cycle.id, e.period == period)
    points = func.coalesce(line.points, 0.0)
    per_evaluation = (select(line.evaluation_id, func.sum(points).filter(~bonus).label("base"),
                             func.sum(points).filter(bonus).label("bonus"))
                      .where(line.evaluation_id.in_(period_ids), line.indicator_code != ROLLUP)
                      .group_by(line.evaluation_id).subquery())
    sums = pd.read_sql(
        select(e.id.label("evaluation_id"), e.org_id, o.code, e.level, e.assessed_points, e.vetoed, e.veto_reasons,
               *[e[c].label(f"{c}_old") for c in CONCLUDED], per_evaluation.c.base, per_evaluation.c.bonus)
        .join_from(Evaluation.__table__, per_evaluation, per_evaluation.c.evaluation_id == e.id, isouter=True)
        .join(Organization.__table__, o.id == e.org_id).where(e.id.in_(period_ids)), conn)
    sums["vetoed"] = sums["vetoed"].astype(bool)
    sums[["base", "bonus"]] = sums[["base", "bonus"]].fillna(0.0)
    sums["veto_reasons"] = sums["veto_reasons"].map(lambda v: v if isinstance(v, list) else json.loads(v))
    rolled_levels = [rule.level for rule in scheme.levels if rule.by in ("rollup", "both")]
    if rolled_levels:  # their stored points assessed are the roll-up's 100: their own lines' are counted again
        sums = _own_assessed_points(conn, scheme, sums, rolled_levels)
    barred = incentives.barred_orgs(conn, cycle.tenant_id, Period.parse(period))  # as scoring reads them
    concluded = conclude(scheme, sums[["org_id", "code", "level"]],
                         sums.set_index("org_id")[["base", "bonus", "assessed_points", "vetoed", "veto_reasons"]],
                         Period.parse(period), barred)
    tree = read_tree(conn, cycle.tenant_id, evaluated=(cycle.id, period)) if rolled_levels else None
    concluded, rolled = roll_up(scheme, concluded, tree, Period.parse(period), barred)
    if not rolled.empty:
        ids = dict(zip(sums["org_id"], sums["evaluation_id"]))
        conn.execute(update(EvaluationLine.__table__)
                     .where(line.evaluation_id == bindparam("v_id"), line.indicator_code == ROLLUP)
                     .values(points=bindparam("v_points"), value=bindparam("v_value"), reason=bindparam("v_reason")),
                     [{"v_id": int(ids[r["org_id"]]), "v_points": float(r["points"]),
                       "v_value": None if pd.isna(r["value"]) else float(r["value"]), "v_reason": r["reason"]}
                      for r in rolled.to_dict("records")])
    merged = sums.merge(concluded[EVALUATION_COLUMNS].rename(columns={c: f"{c}_new" for c in CONCLUDED}),
                        on="org_id")
    differs = pd.Series(False, index=merged.index)
    for c in CONCLUDED:
        differs |= _differs(merged[f"{c}_old"], merged[f"{c}_new"])
    changed = merged[differs].reset_index(drop=True)
    if not changed.empty:
        values = {c: bindparam(f"v_{c}") for c in CONCLUDED}
        conn.execute(update(Evaluation.__table__).where(e.id == bindparam("v_id")).values(**values),
                     [{"v_id": int(r["evaluation_id"]), **{f"v_{c}": _plain(r[f"{c}_new"]) for c in CONCLUDED}}
                      for r in changed.to_dict("records")])
    return changed


def _own_assessed_points(conn, scheme, sums: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """``sums`` with the points assessed by their own lines for the organisations at ``levels`` (a few: the levels
    above the branch), from their stored lines."""
    line = EvaluationLine.__table__.c
    mine = sums.loc[sums["level"].isin(levels), "evaluation_id"].astype(int).tolist()
    if not mine:
        return sums
    counted = {s.code: s.points for s in scheme.indicators() if s.kind not in (IndicatorKind.veto, IndicatorKind.bonus)}
    lines = pd.read_sql(select(line.evaluation_id, line.indicator_code, line.assessed)
                        .where(line.evaluation_id.in_(mine)), conn)
    lines["points"] = lines["indicator_code"].map(counted).fillna(0.0).where(lines["assessed"].astype(bool), 0.0)
    own = lines.groupby("evaluation_id")["points"].sum()
    at = sums["level"].isin(levels)
    return sums.assign(assessed_points=sums["assessed_points"].where(~at, sums["evaluation_id"].map(own).fillna(0.0)))


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(new):
        return (old.astype(float) - new.astype(float)).abs() > POINTS_EPSILON
    if pd.api.types.is_bool_dtype(new):
        return old.astype(bool) != new.astype(bool)
    if pd.api.types.is_integer_dtype(new):
        return old.astype("int64") != new.astype("int64")
    return old.astype(str) != new.astype(str)


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def read_corrections(conn, principal: Principal, *, cycle_id: int) -> pd.DataFrame:
    """The cycle's corrections, as the audit trail holds them (the record of each), of the organisations whose
    results ``principal`` sees, the latest first: when, who, the period, the organisation, the indicator, old → new
    points, the reason and the appeal it decided (if any)."""
    a, e, o = AuditEvent.__table__.c, Evaluation.__table__.c, Organization.__table__.c
    events = conn.execute(select(a.id, a.at, a.actor, a.entity_id, a.old, a.new, a.note)
                          .where(a.tenant_id == principal.tenant_id, a.action == "correct", a.entity == "evaluation")
                          .order_by(a.id.desc())).all()
    ids = sorted({int(r.entity_id) for r in events})
    orgs = {r.id: r for r in conn.execute(
        select(e.id, e.period, o.code, o.name).join_from(Evaluation.__table__, Organization.__table__, o.id == e.org_id)
        .where(e.id.in_(ids), e.cycle_id == cycle_id, visible(conn, principal, Action.view_results, e.org_id)))}
    rows = []
    for r in events:
        found = orgs.get(int(r.entity_id))
        if found is None:
            continue
        old, new = _json_of(r.old), _json_of(r.new)
        rows.append({"at": r.at, "actor": r.actor, "period": found.period, "code": found.code, "name": found.name,
                     "indicator": new.get("indicator"), "old_points": old.get("points"),
                     "new_points": new.get("points"), "reason": r.note, "appeal": new.get("appeal"),
                     "results_changed": len(new.get("results_changed") or [])})
    return pd.DataFrame(rows, columns=["at", "actor", "period", "code", "name", "indicator", "old_points",
                                       "new_points", "reason", "appeal", "results_changed"])


def _json_of(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value or {}
