"""Reading results back: the ranking of a period and the explanation of one organisation's score."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from .contributions import HISTORY_COLUMNS
from .periods import Period, in_time_order
from .errors import NotFound
from .i18n import tr
from .models import (
    Cycle,
    Evaluation,
    EvaluationLine,
    EvaluationStatus,
    Finding,
    Incentive,
    Indicator,
    LedgerEntry,
    Organization,
    Rating,
    code_is,
)

EVIDENCE_KINDS = ("ledger", "finding", "rating")


def read_results(conn: Connection, cycle_id: int, period: str) -> pd.DataFrame:
    """A period's results with the organisations' names, in rank order."""
    e, o = Evaluation.__table__.c, Organization.__table__.c
    parent = Organization.__table__.alias("parent")
    query = (select(e.id.label("evaluation_id"), e.org_id, o.code, o.name, o.category,
                    o.parent_id, parent.c.code.label("parent_code"), parent.c.name.label("parent_name"),
                    e.base_points, e.bonus_points, e.total, e.vetoed,
                    e.veto_reasons, e.grade, e.advanced_eligible, e.rank, e.tier, e.status, e.scheme_id,
                    e.scheme_version)
             .join_from(Evaluation.__table__, Organization.__table__, e.org_id == o.id)
             .outerjoin(parent, parent.c.id == o.parent_id)
             .where(e.cycle_id == cycle_id, e.period == period).order_by(e.rank))
    frame = pd.read_sql(query, conn)
    frame["vetoed"] = frame["vetoed"].astype(bool)
    frame["advanced_eligible"] = frame["advanced_eligible"].astype(bool)
    frame["veto_reasons"] = frame["veto_reasons"].map(_as_list)
    return frame


def result_periods(conn: Connection, cycle_id: int, *, published_only: bool = False) -> list[str]:
    """The periods of a cycle that have results (published ones only, if asked), the latest first."""
    e = Evaluation.__table__.c
    query = select(e.period).where(e.cycle_id == cycle_id).group_by(e.period)
    if published_only:
        query = query.where(e.status == EvaluationStatus.published.value)
    keys = conn.execute(query).scalars().all()
    return in_time_order(keys, latest_first=True)


def read_history(conn: Connection, tenant_id: int, period: Period) -> pd.DataFrame:
    """The tenant's published results of the periods before ``period``, this year and the last.

    What an incentive policy may look back on (:attr:`PolicyContext.history`): e.g. the level a
    branch was graded last year, to take it away when it relapses (提档升级). Only periods that end
    no later than ``period`` and are not ``period`` itself count, so publishing again gives the
    same history.
    """
    e, c = Evaluation.__table__.c, Cycle.__table__.c
    query = (select(e.org_id, c.year, e.period, e.total, e.grade, e.rank, e.tier, e.vetoed)
             .join_from(Evaluation.__table__, Cycle.__table__, e.cycle_id == c.id)
             .where(e.tenant_id == tenant_id, e.status == EvaluationStatus.published.value,
                    c.year.in_([period.year - 1, period.year])))
    frame = pd.read_sql(query, conn)
    if frame.empty:
        return pd.DataFrame({name: [] for name in HISTORY_COLUMNS})
    ends = frame["period"].map({key: Period.parse(key).end for key in frame["period"].unique()})
    earlier = (ends <= period.end) & (frame["period"] != period.key)
    frame = frame[earlier].assign(vetoed=lambda f: f["vetoed"].astype(bool))
    return frame.sort_values(["year", "period", "rank"]).reset_index(drop=True)[HISTORY_COLUMNS]


def results_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON shape of ``bastion results --format json``."""
    return [
        {"org_id": int(r.org_id), "org_code": r.code, "org_name": r.name, "category": r.category,
         "parent": r.parent_name, "total": float(r.total), "base_points": float(r.base_points),
         "bonus_points": float(r.bonus_points), "grade": r.grade, "advanced_eligible": bool(r.advanced_eligible),
         "rank": int(r.rank), "tier": r.tier, "vetoed": bool(r.vetoed), "vetoes": list(r.veto_reasons),
         "status": r.status, "scheme": f"{r.scheme_id} {r.scheme_version}"}
        for r in frame.itertuples()
    ]


def read_incentives(conn: Connection, cycle_id: int, period: str) -> pd.DataFrame:
    """The incentives a published period brought, with the organisations' names, by rank then kind."""
    i, o, e = Incentive.__table__.c, Organization.__table__.c, Evaluation.__table__.c
    query = (select(i.id, i.org_id, o.code, o.name, e.rank, e.total, e.grade, e.tier, i.policy, i.kind, i.code.label("award"),
                    i.title, i.effect, i.effective_until)
             .join_from(Incentive.__table__, Organization.__table__, i.org_id == o.id)
             .outerjoin(Evaluation.__table__, e.id == i.evaluation_id)
             .where(i.cycle_id == cycle_id, i.period == period).order_by(e.rank, i.kind, i.id))
    frame = pd.read_sql(query, conn)
    frame["effect"] = frame["effect"].map(lambda v: json.loads(v) if isinstance(v, str) else (v or {}))
    return frame


def incentive_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON shape of ``bastion incentives --format json``."""
    return [
        {"org_id": int(r.org_id), "org_code": r.code, "org_name": r.name, "rank": None if pd.isna(r.rank) else int(r.rank),
         "grade": r.grade, "tier": r.tier, "policy": r.policy, "kind": r.kind, "code": r.award, "title": r.title,
         "effect": r.effect, "effective_until": None if r.effective_until is None or pd.isna(r.effective_until)
         else str(r.effective_until)[:10]}
        for r in frame.itertuples()
    ]


def parse_evidence(text: str) -> dict[str, list[int]]:
    """``ledger:1,2;finding:7`` → ``{"ledger": [1, 2], "finding": [7]}``."""
    out: dict[str, list[int]] = {}
    for part in filter(None, (text or "").split(";")):
        kind, _, ids = part.partition(":")
        out.setdefault(kind, []).extend(int(i) for i in ids.split(",") if i)
    return out


@dataclass
class Explanation:
    """Why an organisation got its score: the evaluation, each indicator's line and the facts behind it."""

    org: dict[str, Any]
    evaluation: dict[str, Any]
    lines: list[dict[str, Any]]
    evidence: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"org": self.org, "evaluation": self.evaluation, "lines": self.lines,
                "evidence": {k: {str(i): v for i, v in d.items()} for k, d in self.evidence.items()}}


def explain(conn: Connection, *, cycle: Cycle, period: str, org_code: str) -> Explanation:
    o = Organization.__table__.c
    org = conn.execute(select(o.id, o.code, o.name, o.category, o.secretary)
                       .where(o.tenant_id == cycle.tenant_id, code_is(o.code, org_code))).mappings().first()
    if org is None:
        raise NotFound(tr(f"没有组织 {org_code!r}", f"no organisation {org_code!r}"))
    e = Evaluation.__table__.c
    ev = conn.execute(select(Evaluation.__table__).where(e.cycle_id == cycle.id, e.period == period,
                                                         e.org_id == org["id"])).mappings().first()
    if ev is None:
        raise NotFound(tr(f"{org_code} 没有 {period} 的考核结果：请先运行 `bastion score --period {period}`",
                          f"{org_code} has no result for {period}: run `bastion score --period {period}` first"))
    line, ind = EvaluationLine.__table__.c, Indicator.__table__.c
    rows = conn.execute(
        select(line.indicator_code, ind.name, ind.block_code, ind.block_name, ind.kind, line.points,
               ind.points.label("max_points"), line.value, line.target, line.veto, ind.rule, line.reason, line.evidence)
        .join_from(EvaluationLine.__table__, Indicator.__table__,
                   (ind.code == line.indicator_code) & (ind.cycle_id == cycle.id))
        .where(line.evaluation_id == ev["id"]).order_by(ind.position)).mappings().all()
    lines = [dict(r) | {"evidence": parse_evidence(r["evidence"])} for r in rows]
    wanted = {k: sorted({i for r in lines for i in r["evidence"].get(k, [])}) for k in EVIDENCE_KINDS}
    evaluation = dict(ev)
    evaluation["veto_reasons"] = _as_list(evaluation["veto_reasons"])
    return Explanation(org=dict(org), evaluation=evaluation, lines=lines, evidence=_evidence(conn, wanted))


def _evidence(conn: Connection, wanted: dict[str, list[int]]) -> dict[str, dict[int, dict[str, Any]]]:
    sources = {
        "ledger": (LedgerEntry.__table__, ("type", "date", "quantity", "title")),
        "finding": (Finding.__table__, ("date", "indicator_code", "deduction", "description")),
        "rating": (Rating.__table__, ("source", "rater", "score", "level", "date")),
    }
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for kind, ids in wanted.items():
        table, columns = sources[kind]
        found: dict[int, dict[str, Any]] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            query = select(table.c.id, *(table.c[c] for c in columns)).where(table.c.id.in_(part))
            found.update({r["id"]: {c: r[c] for c in columns} for r in conn.execute(query).mappings()})
        out[kind] = found
    return out


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])
