"""Reading results back: the ranking of a period, an organisation's history and the explanation of its score.

The one home of who may read a result (:func:`visible_statuses`): a result is seen once published
(发布后), before that only by those who may see drafts. The workspace, the dashboard, the CLI and
the incentive policies all read results through this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, literal, select

from . import incentives
from . import restructuring
from .access import Action, Forbidden, Principal, allows, require
from .contributions import BARRED_FROM, BONUS_WEIGHT, HISTORY_COLUMNS, MULTIPLIER
from .periods import Period, in_time_order, time_order
from .errors import BastionError, NotFound
from .i18n import tr
from . import snapshots
from .ballots import secrecy
from .cycles import cycle_scheme
from .engine import NOT_GRADED, ROLLUP, level_order, rollup_points
from .rounding import half_up
from .scheme import POINTS_EPSILON
from .models import (
    Cycle,
    DutyRecord,
    Evaluation,
    EvaluationLine,
    EvaluationStatus,
    Finding,
    Incentive,
    Indicator,
    LedgerEntry,
    Organization,
    OrgLevel,
    OrgSnapshot,
    Rating,
    ResponsibilityTick,
    code_is,
)

EVIDENCE_KINDS = ("ledger", "finding", "rating", "duty", "tick")


def read_results(conn: Connection, cycle_id: int, period: str, *, level: str | None = OrgLevel.branch.value
                 ) -> pd.DataFrame:
    """A period's results of one level (党支部 by default; None: every level, level by level) with the
    organisations' names, categories and parents as they were when it was scored (``core.snapshots``), in rank
    order; ``published_at`` (UTC) is when the period was first published
    (NaT before)."""
    e = Evaluation.__table__.c
    joined, org, parent = snapshots.named(Evaluation.__table__)
    o = org.c
    query = (select(e.id.label("evaluation_id"), e.org_id, o.code, o.name, e.level, o.category,
                    o.parent_id, parent.c.code.label("parent_code"), parent.c.name.label("parent_name"),
                    e.base_points, e.bonus_points, e.total, e.assessed_points, e.rate, e.vetoed,
                    e.veto_reasons, e.grade, e.advanced_eligible, e.rank, e.tier, e.status, e.scheme_id,
                    e.scheme_version, e.published_at)
             .select_from(joined)
             .where(e.cycle_id == cycle_id, e.period == period))
    if level is not None:
        query = query.where(e.level == level)
    frame = pd.read_sql(query, conn)
    frame = frame.sort_values(["level", "rank"], key=level_order, kind="stable").reset_index(drop=True)
    frame["vetoed"] = frame["vetoed"].astype(bool)
    frame["advanced_eligible"] = frame["advanced_eligible"].astype(bool)
    frame["veto_reasons"] = frame["veto_reasons"].map(_as_list)
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)  # SQLite gives it back naive, in UTC
    return frame


def result_periods(conn: Connection, cycle_id: int, *, published_only: bool = False) -> list[str]:
    """The periods of a cycle that have results (published ones only, if asked), the latest first."""
    e = Evaluation.__table__.c
    query = select(e.period).where(e.cycle_id == cycle_id).group_by(e.period)
    if published_only:
        query = query.where(e.status == EvaluationStatus.published.value)
    keys = conn.execute(query).scalars().all()
    return in_time_order(keys, latest_first=True)


def visible_statuses(viewer: Principal | None) -> tuple[str, ...]:
    """The statuses of results ``viewer`` may read: published ones, and every status for those who may
    see drafts (and for ``None``, the platform itself: the CLI's operator, a stage)."""
    if viewer is None or viewer.may(Action.view_drafts):
        return tuple(s.value for s in EvaluationStatus)
    return (EvaluationStatus.published.value,)


RESULT_HISTORY_COLUMNS = ["org_id", "code", "name", "inherited", "cycle_id", "year", "period", "total", "rank",
                          "branches", "grade", "tier", "vetoed", "status"]


def read_history(conn: Connection, tenant_id: int, *, org_id: int | None = None, before: Period | None = None,
                 viewer: Principal | None = None, statuses: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Results across periods and cycles, in time order (then by rank), with ``branches`` ranked beside each, and
    the organisation's code and name as each period's snapshot has them.

    ``org_id`` narrows to one organisation, which ``viewer`` (when given) must be allowed to read, and the
    organisations it carries (机构调整: those merged into it, or split with it as their heir, transitively —
    ``restructuring.carried``): its trend and archive cross a merge or a split, each of their results marked
    ``inherited`` under its own code and name. The statuses are those the viewer may see unless given. ``before``
    keeps what an incentive policy may look back on (:attr:`PolicyContext.history`): the periods of that year and the
    last that end no later than ``before`` and are not ``before`` itself, so that publishing again sees the same
    history.
    """
    if viewer is not None:
        if viewer.tenant_id != tenant_id or org_id is None:
            raise Forbidden(tr(f"{viewer.username} 只能查看本单位某个组织的考核结果",
                               f"{viewer.username} may read the results of one organisation of their tenant"))
        require(conn, viewer, Action.view_results, org_id)
    e, c = Evaluation.__table__.c, Cycle.__table__.c
    ranked = (select(e.cycle_id, e.period, e.level, func.count().label("branches"))
              .where(e.tenant_id == tenant_id).group_by(e.cycle_id, e.period, e.level))
    if org_id is None:  # every result (a policy's look back, at cycle scale): no names wanted, none joined
        joined, named = Evaluation.__table__, (literal(None).label("code"), literal(None).label("name"))
    else:
        joined, org, _ = snapshots.named(Evaluation.__table__)
        named = (org.c.code, org.c.name)
    query = (select(e.org_id, *named, e.cycle_id, c.year, e.period, e.level, e.total, e.rank, e.grade, e.tier,
                    e.vetoed, e.status)
             .select_from(joined.join(Cycle.__table__, c.id == e.cycle_id))
             .where(e.tenant_id == tenant_id, e.status.in_(statuses or visible_statuses(viewer))))
    if org_id is not None:
        ids = restructuring.carried(restructuring.heirs(conn, tenant_id), org_id)
        mine = Evaluation.__table__.alias("mine")
        query = query.where(e.org_id.in_(ids))
        ranked = ranked.where(e.cycle_id.in_(select(mine.c.cycle_id).where(mine.c.org_id.in_(ids))))
    if before is not None:
        years = select(c.id).where(c.tenant_id == tenant_id, c.year.in_([before.year - 1, before.year]))
        query, ranked = query.where(e.cycle_id.in_(years)), ranked.where(e.cycle_id.in_(years))
    frame = pd.read_sql(query, conn)
    if frame.empty:
        return pd.DataFrame({name: [] for name in RESULT_HISTORY_COLUMNS})
    if before is not None:
        ends = frame["period"].map({key: Period.parse(key).end for key in frame["period"].unique()})
        frame = frame[(ends <= before.end) & (frame["period"] != before.key)]
    counts = pd.read_sql(ranked, conn)
    frame = frame.merge(counts, on=["cycle_id", "period", "level"], how="left")  # ranked among its level
    frame["vetoed"] = frame["vetoed"].astype(bool)
    frame["inherited"] = False if org_id is None else frame["org_id"] != org_id
    order = frame["period"].map(time_order)
    return (frame.assign(_order=order).sort_values(["_order", "rank"], kind="stable").drop(columns="_order")
            .reset_index(drop=True)[RESULT_HISTORY_COLUMNS])


def policy_history(conn: Connection, tenant_id: int, period: Period) -> pd.DataFrame:
    """What an incentive policy may look back on when ``period`` is published: the tenant's published
    results before it, this year and the last (e.g. the level a branch was graded last year, to take it
    away when it relapses, 提档升级)."""
    frame = read_history(conn, tenant_id, before=period, statuses=(EvaluationStatus.published.value,))
    return frame[HISTORY_COLUMNS]


def results_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON shape of ``bastion results --format json`` (with ``standing`` where the frame has it:
    ``standings.beside``)."""
    return [
        {"org_id": int(r.org_id), "org_code": r.code, "org_name": r.name, "level": r.level, "category": r.category,
         "parent": r.parent_name, "parent_code": r.parent_code, "total": float(r.total),
         "base_points": float(r.base_points), "bonus_points": float(r.bonus_points),
         "assessed_points": float(r.assessed_points), "rate": float(r.rate), "grade": r.grade,
         "advanced_eligible": bool(r.advanced_eligible),
         "rank": int(r.rank), "tier": r.tier, "vetoed": bool(r.vetoed), "vetoes": list(r.veto_reasons),
         "status": r.status, "scheme": f"{r.scheme_id} {r.scheme_version}",
         "published_at": None if pd.isna(r.published_at) else r.published_at.isoformat(),
         **({"standing": r.standing} if "standing" in frame else {})}
        for r in frame.itertuples()
    ]


def read_incentives(conn: Connection, cycle_id: int, period: str) -> pd.DataFrame:
    """The incentives a published period brought, with the organisations' names as they were (``core.snapshots``),
    by rank then kind."""
    i, e, live = Incentive.__table__.c, Evaluation.__table__.c, Organization.__table__.c
    joined, org, _ = snapshots.named(Evaluation.__table__)
    o = org.c
    # An award made without a result (none today, the column allows it) names the organisation as it is now.
    query = (select(i.id, i.org_id, func.coalesce(o.code, live.code).label("code"),
                    func.coalesce(o.name, live.name).label("name"), e.rank, e.total, e.grade, e.tier, i.policy,
                    i.kind, i.code.label("award"), i.title, i.effect, i.effective_until)
             .select_from(Incentive.__table__.join(Organization.__table__, live.id == i.org_id)
                          .outerjoin(joined, e.id == i.evaluation_id))
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


BRANCH_INCENTIVE_COLUMNS = ["org_id", "code", "name", "rank", "grade", "tier", "member_count", "bonus_weight",
                            "weight", "share", "amount", "multiplier", "barred_until"]


def read_branch_incentives(conn: Connection, cycle: Cycle, period: Period, *, pool: Decimal | None = None,
                           by_members: bool = False) -> pd.DataFrame:
    """The branches of a published period, in rank order, with what their awards bind (``core.incentives``,
    :data:`BRANCH_INCENTIVE_COLUMNS`): ``bonus_weight`` (the coefficient, 1.0 where no award gives one),
    ``multiplier`` (None where none), the last day of the bar the period's awards gave (``barred_until``), and —
    given a ``pool`` in yuan — ``weight`` (coefficient, × ``member_count`` as the period's snapshot has it when
    ``by_members``), ``share`` of the pool (%, 四舍五入 to 0.01) and ``amount`` in yuan (``incentives.allocate``:
    whole fen that add up to the pool)."""
    results = read_results(conn, cycle.id, period.key)
    if results.empty or (results["status"] != EvaluationStatus.published.value).any():
        raise BastionError(tr(f"{period.key} 的考核结果尚未发布：奖惩随发布兑现（`bastion publish --period {period.key}`）",
                              f"{period.key}'s results are not published: incentives come with publication "
                              f"(`bastion publish --period {period.key}`)"))
    awards = read_incentives(conn, cycle.id, period.key)
    snap = OrgSnapshot.__table__.c  # member counts as they were when the period was scored
    members = dict(conn.execute(select(snap.org_id, snap.member_count)
                                .where(snap.cycle_id == cycle.id, snap.period == period.key)).all())
    weights = incentives.products(awards, BONUS_WEIGHT)
    multipliers = incentives.products(awards, MULTIPLIER)
    bars = awards[awards["effect"].map(lambda e: bool(e.get(BARRED_FROM)))]
    barred_until = bars.groupby("org_id")["effective_until"].max().map(lambda d: incentives.as_date(d).isoformat())
    table = pd.DataFrame({
        "org_id": results["org_id"].astype(int), "code": results["code"], "name": results["name"],
        "rank": results["rank"].astype(int), "grade": results["grade"], "tier": results["tier"],
        "member_count": results["org_id"].map(members).fillna(0).astype(int),
        "bonus_weight": results["org_id"].map(lambda i: weights.get(i, Fraction(1))),
        "multiplier": results["org_id"].map(lambda i: float(multipliers[i]) if i in multipliers else None),
        "barred_until": results["org_id"].map(barred_until).astype(object),
    })
    table["barred_until"] = table["barred_until"].where(table["barred_until"].notna(), None)
    exact = table["bonus_weight"] * (table["member_count"] if by_members else 1)
    whole = sum(exact, Fraction(0))
    if pool is not None:
        if whole == 0:
            raise BastionError(tr(f"{period.key} 各党支部的分配权数（系数 × 党员人数）之和为 0：无从分配（党员人数是否已导入？）",
                                  f"{period.key}: the branches' weights (coefficient × members) add up to 0: nothing to "
                                  f"share by (are the member counts imported?)"))
        fen = incentives.allocate(int(pool * 100), list(exact), table["code"].astype(str).tolist())
        table["amount"] = [float(Decimal(f) / 100) for f in fen]
        table["share"] = half_up(pd.Series([float(w / whole * 100) for w in exact], index=table.index))
    else:
        table["amount"], table["share"] = None, None
    table["weight"] = [float(w) for w in exact]
    table["bonus_weight"] = [float(w) for w in table["bonus_weight"]]
    return table[BRANCH_INCENTIVE_COLUMNS].reset_index(drop=True)


def branch_incentive_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON shape of ``bastion incentives --by-branch`` / ``--pool``: one record per branch."""
    return [
        {"org_id": int(r.org_id), "org_code": r.code, "org_name": r.name, "rank": int(r.rank), "grade": r.grade,
         "tier": r.tier, "member_count": int(r.member_count), "bonus_weight": float(r.bonus_weight),
         "weight": float(r.weight), "share": None if _missing(r.share) else float(r.share),
         "amount": None if _missing(r.amount) else float(r.amount),
         "multiplier": None if _missing(r.multiplier) else float(r.multiplier),
         "barred_until": None if _missing(r.barred_until) else r.barred_until}
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


def explain(conn: Connection, *, cycle: Cycle, period: str, org_code: str,
            viewer: Principal | None = None) -> Explanation:
    """Why ``org_code`` got its score in ``period``: each indicator's line and the records behind it.

    With a ``viewer``, only an organisation they may read the results of, and a result not yet
    published only if they may see drafts (:func:`visible_statuses`).
    """
    o, snap = Organization.__table__.c, OrgSnapshot.__table__.c
    if viewer is not None and viewer.tenant_id != cycle.tenant_id:
        raise NotFound(tr(f"本单位没有考核年度 {cycle.id}", f"no cycle {cycle.id} in this tenant"))
    # The organisation as it was in the period (its code then), else the one with that code now (renamed since).
    named = (select(snap.org_id.label("id"), snap.code, snap.name, snap.category, snap.secretary)
             .where(snap.cycle_id == cycle.id, snap.period == period))
    org = conn.execute(named.where(code_is(snap.code, org_code))).mappings().first()
    if org is None:
        now = conn.execute(select(o.id).where(o.tenant_id == cycle.tenant_id, code_is(o.code, org_code))).scalar()
        org = None if now is None else conn.execute(named.where(snap.org_id == now)).mappings().first()
        if org is None and now is not None:  # no snapshot of the period for it: it has no result there either
            org = conn.execute(select(o.id, o.code, o.name, o.category, o.secretary).where(o.id == now)).mappings().first()
    if org is None:
        raise NotFound(tr(f"本单位没有组织 {org_code!r}", f"no organisation {org_code!r} in this tenant"))
    if viewer is not None:
        _require_view(conn, viewer, org["id"])
    e = Evaluation.__table__.c
    ev = conn.execute(select(Evaluation.__table__).where(e.cycle_id == cycle.id, e.period == period,
                                                         e.org_id == org["id"])).mappings().first()
    if ev is None:
        raise NotFound(tr(f"{org_code} 没有 {period} 的考核结果：请先运行 `bastion score --period {period}`",
                          f"{org_code} has no result for {period}: run `bastion score --period {period}` first"))
    if ev["status"] not in visible_statuses(viewer):
        raise Forbidden(tr(f"{viewer.username} 无权在发布前查看 {org_code} 的 {period} 考核结果",
                           f"{viewer.username} may not see {org_code}'s {period} result before it is published"))
    line, ind = EvaluationLine.__table__.c, Indicator.__table__.c
    rows = conn.execute(
        select(line.indicator_code, ind.name, ind.block_code, ind.block_name, ind.kind, line.points,
               ind.points.label("max_points"), line.value, line.target, line.veto, line.assessed, ind.rule,
               line.reason, line.evidence)
        .join_from(EvaluationLine.__table__, Indicator.__table__,
                   (ind.code == line.indicator_code) & (ind.cycle_id == cycle.id), isouter=True)
        .where(line.evaluation_id == ev["id"]).order_by(ind.position.is_(None), ind.position)).mappings().all()
    top = rollup_points(cycle_scheme(cycle), ev["level"])
    rows = [_rollup_line(r, top) if r["indicator_code"] == ROLLUP else dict(r) for r in rows]
    # A line not assessed in the period (本期不考核) is out of 0 points: the blocks add up to the points assessed.
    lines = [dict(r) | {"evidence": parse_evidence(r["evidence"]), "assessed": bool(r["assessed"]),
                        "max_points": r["max_points"] if r["assessed"] else 0.0} for r in rows]
    wanted = {k: sorted({i for r in lines for i in r["evidence"].get(k, [])}) for k in EVIDENCE_KINDS}
    evaluation = dict(ev)
    evaluation["veto_reasons"] = _as_list(evaluation["veto_reasons"])
    evaluation["bars"] = bar_reasons(conn, cycle, period, evaluation)
    evidence = _evidence(conn, wanted)
    if "rating" in evidence:  # no single ballot of a secret source: its aggregate, from enough ballots
        evidence["rating"] = secrecy.conceal(lines, evidence["rating"])
    return Explanation(org=dict(org), evaluation=evaluation, lines=lines, evidence=evidence)


def _require_view(conn: Connection, viewer: Principal, org_id: int) -> None:
    """Refuse unless ``viewer`` may read the results of ``org_id`` — or of the organisation that carries it now
    (机构调整: a predecessor's results are part of its heir's archive, :func:`read_history`)."""
    heir = restructuring.heirs(conn, viewer.tenant_id).get(int(org_id))
    if heir is not None and allows(conn, viewer, Action.view_results, heir):
        return
    require(conn, viewer, Action.view_results, org_id)


def bar_reasons(conn: Connection, cycle: Cycle, period: str, evaluation: Mapping[str, Any]) -> list[str]:
    """Why a result is not advanced-eligible although not vetoed: the bars from the advanced selection in force in
    its period (``incentives.bars_in_force``), each as "一年内取消参加先进党支部评选资格（2025年度考核落后，至
    2027-01-15）". None for a result that is advanced-eligible (scored before the bar was given)."""
    if evaluation["advanced_eligible"] or evaluation["vetoed"]:
        return []
    bars = incentives.bars_in_force(conn, cycle.tenant_id, Period.parse(period), org_id=evaluation["org_id"])
    return bars["text"].tolist()


def _rollup_line(row: Mapping[str, Any], top: float) -> dict[str, Any]:
    """What a roll-up line (``engine.roll_up``: an organisation above the branch assessed by its branches' results)
    shows where an indicator's line shows its indicator: it has none. ``top``: its points at most."""
    return dict(row) | {"name": tr("下属党支部考核结果汇总", "the branches' results below"), "block_code": ROLLUP,
                        "block_name": tr("汇总", "Roll-up"), "kind": "controllable", "rule": "rollup",
                        "max_points": top}


NOT_GRADED_LABEL = ("不定等次", "not graded")
"""How a result without a grade (a period its scheme does not grade, ``Scheme.graded``) reads."""


def grade_label(grade: str) -> str:
    """A result's grade as shown: the grade, or :data:`NOT_GRADED_LABEL` in a period not graded."""
    return tr(*NOT_GRADED_LABEL) if grade == NOT_GRADED else grade


def score_statement(evaluation: Mapping[str, Any]) -> str:
    """A result's figures in one sentence: total = base + bonus, the cap on the total where it bit (总分封顶), and
    the points assessed in the period with the rate (得分率) where they are not the scheme's whole table."""
    ev = evaluation
    raw = half_up(ev["base_points"] + ev["bonus_points"])
    text = tr(f"总分 {ev['total']:g} = 基本分 {ev['base_points']:g} + 加分 {ev['bonus_points']:g}",
              f"total {ev['total']:g} = base {ev['base_points']:g} + bonus {ev['bonus_points']:g}")
    if raw > ev["total"] + POINTS_EPSILON:
        text = tr(f"总分 {ev['total']:g}（基本分 {ev['base_points']:g} + 加分 {ev['bonus_points']:g} = {raw:g}，"
                  f"总分封顶 {ev['total']:g} 分）",
                  f"total {ev['total']:g} (base {ev['base_points']:g} + bonus {ev['bonus_points']:g} = {raw:g}, "
                  f"capped at {ev['total']:g})")
    return text + tr(f"；本期考核 {ev['assessed_points']:g} 分，得分率 {ev['rate']:g}%",
                     f"; {ev['assessed_points']:g} points assessed in the period, rate {ev['rate']:g}%")


EVIDENCE_DETAIL = {"ledger": ("title", "quantity"), "finding": ("description", "deduction"),
                   "rating": ("source", "score", "level", "rater"), "duty": ("note",), "tick": ("evidence",)}
"""What names a record on its row; a rating's rater is there only for open sources (自评): ``secrecy.conceal``
takes the secret ones off first."""


def evidence_rows(explanation: Explanation) -> pd.DataFrame:
    """The records behind each indicator's points, one row per (indicator, record): the explanation flattened."""
    records = []
    for line in explanation.lines:
        for kind, ids in line["evidence"].items():
            found = explanation.evidence.get(kind, {})
            for record_id in ids:
                fact = found.get(record_id, {})
                detail = " · ".join(str(fact[k]) for k in EVIDENCE_DETAIL.get(kind, ()) if fact.get(k) not in (None, ""))
                records.append({"indicator_code": line["indicator_code"], "indicator": line["name"], "kind": kind,
                                "id": record_id, "date": fact.get("date"), "type": fact.get("type", ""),
                                "detail": detail})
        for ballots in line.get("ballots", ()):  # a secret source: its aggregate, never a single ballot
            records.append({"indicator_code": line["indicator_code"], "indicator": line["name"], "kind": "ballots",
                            "id": None, "date": None, "type": ballots["source"],
                            "detail": secrecy.aggregate_text(ballots)})
    return pd.DataFrame(records, columns=["indicator_code", "indicator", "kind", "id", "date", "type", "detail"])


def _evidence(conn: Connection, wanted: dict[str, list[int]]) -> dict[str, dict[int, dict[str, Any]]]:
    sources = {
        "ledger": (LedgerEntry.__table__, ("type", "date", "quantity", "title")),
        "finding": (Finding.__table__, ("date", "indicator_code", "deduction", "description")),
        "rating": (Rating.__table__, ("source", "rater", "score", "level", "date")),
        "duty": (DutyRecord.__table__, ("date", "member_id", "note")),
        "tick": (ResponsibilityTick.__table__, ("date", "item_id", "evidence")),
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


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])
