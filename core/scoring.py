"""Score and publish a period: bulk reads, the engine slice by slice, bulk writes, one transaction.

A scoring run reads the cycle's branches, targets and the period's facts in a handful of queries
(:func:`read_inputs`), then replaces the period's draft results in one transaction
(:func:`write_scores`), writing each slice of lines as the engine yields it: a failed run leaves
the previous results as they were. Published results are never overwritten. Publishing
(:func:`publish_period`) applies the scheme's incentive policies to the results and marks them
published, in one transaction.

How rows are read and written at that scale — the SQLite planner's hints, reads by key range,
the spool's helper process, temporary tables — is ``core.bulk_read``'s and ``core.bulk_write``'s.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update
from sqlmodel import Session

from . import audit, incentives, lifecycle, snapshots, standings
from .notify import planning as notify
from .restructuring import queries as restructuring
from .ballots.rounds import entitled_columns, open_over
from .duties.queries import list_sizes
from .bulk_read import read_window
from .bulk_write import batch_writer, bulk_insert, update_by_key
from .contributions import AWARD_COLUMNS, AWARD_KINDS, CycleEvent, PolicyContext, PolicyCycle
from .cycles import cycle_scheme
from .db import cut, transaction
from .engine import (
    LINE_COLUMNS,
    Facts,
    Inputs,
    Period,
    block_subtotals,
    conclude,
    prepare,
    roll_up,
    score_slices,
    subtotals,
    validate_params,
)
from .errors import BastionError, Conflict
from .i18n import tr
from .models import (
    AuditEvent,
    BlockSubtotal,
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
    Rectification,
    RectificationStatus,
    ResponsibilityTick,
    Target,
    Tenant,
    as_utc,
    utcnow,
)
from .periods import day_of, in_cycle
from .scheme import Scheme
from .plugin_faults import PluginFault, plugin_code
from .registry import Registry
from .results import policy_history, read_incentives, read_results
from .tenants import enabled_plugins


@dataclass(frozen=True)
class ScoreSummary:
    cycle_id: int
    period: str
    organizations: int
    vetoed: int
    advanced: int
    mean_total: float


# --- reading --------------------------------------------------------------------------------


def read_branches(conn: Connection, tenant_id: int, *, org_id: int | None = None,
                  levels: Iterable[str] = (OrgLevel.branch.value,),
                  evaluated: tuple[int, str] | None = None) -> pd.DataFrame:
    """The organisations a cycle scores: active ones at branch level (党支部), and at the other ``levels`` the
    scheme assesses (only ``org_id``, when given).

    ``evaluated`` (a cycle id and a period key): the organisations the period's stored results are of instead,
    as they were when it was scored (``core.snapshots``: code, name, level, parent, category, member count,
    secretary and term; their first secretary and staff counts, which the snapshot does not keep, as they are
    now) — a closed period's (:func:`facts_until`)."""
    o = Organization.__table__.c
    kept = ("code", "name", "level", "category", "parent_id", "secretary", "secretary_term_end", "member_count")
    live = ("first_secretary", "staff_count", "party_staff_count")
    if evaluated is None:
        query = (select(o.id.label("org_id"), *(o[c] for c in kept), *(o[c] for c in live))
                 .where(o.tenant_id == tenant_id, o.level.in_(list(levels)), o.active.is_(True)))
    else:
        e, snap = Evaluation.__table__.c, OrgSnapshot.__table__.c
        query = (select(o.id.label("org_id"), *(snap[c] for c in kept), *(o[c] for c in live))
                 .join_from(Evaluation.__table__, OrgSnapshot.__table__,
                            (snap.cycle_id == e.cycle_id) & (snap.period == e.period) & (snap.org_id == e.org_id))
                 .join(Organization.__table__, o.id == e.org_id)
                 .where(e.cycle_id == evaluated[0], e.period == evaluated[1]))
    if org_id is not None:
        query = query.where(o.id == org_id)
    orgs = pd.read_sql(query.order_by(query.selected_columns.code), conn)
    orgs["secretary_term_end"] = pd.to_datetime(orgs["secretary_term_end"])
    orgs["category"] = orgs["category"].fillna("")
    return orgs


def read_facts(conn: Connection, tenant_id: int, period: Period, *, org_id: int | None = None,
               recorded_until: datetime | None = None) -> Facts:
    """The period's ledger entries, findings and ratings, one streamed query each (``bulk_read.read_window``).

    Millions of rows are read in chunks straight into typed columns: ids as int32 when they fit, the
    ledger's ``type`` as a categorical, and each distinct text value is one shared string, so no
    Python object per value outlives the chunk it was fetched in. Rows come ordered by branch, the
    engine's order (no sorted copy later). A half-year or longer covers most of a tenant's rows: its
    facts are read by a table scan. ``recorded_until``: only the facts recorded up to that moment (a
    closed period's frozen inputs, :func:`facts_until`).

    The facts of an organisation merged away or split (机构调整) count for its heir — the organisation that
    carries it now (``restructuring.heirs``) — by the lineage recorded up to ``recorded_until``: a period closed
    before the restructuring reads its facts as it scored them; a period scored after it, its predecessors' facts
    under their heir. The fact rows keep their organisation; only the frames read are re-keyed
    (``restructuring.reassign``). ``org_id``: that organisation's facts and its predecessors'.
    """
    heir_of = restructuring.heirs(conn, tenant_id, until=recorded_until)
    owners = org_id if org_id is None or not heir_of else restructuring.carried(heir_of, org_id)

    def facts_of(model: type, *columns: str, categorical: tuple[str, ...] = ()) -> pd.DataFrame:
        return restructuring.reassign(
            read_window(conn, model.__table__, columns, tenant_id=tenant_id, start=period.start, end=period.end,
                        most_rows=period.months >= 6, sort_by="org_id", categorical=categorical,
                        org_id=owners, recorded_until=recorded_until), heir_of)

    return Facts.of(
        facts_of(LedgerEntry, "id", "org_id", "type", "date", "quantity", categorical=("type",)),
        facts_of(Finding, "id", "org_id", "indicator_code", "date", "deduction", "description"),
        facts_of(Rating, "id", "org_id", "source", "indicator_code", "score", "level", "date"),
        facts_of(DutyRecord, "id", "org_id", "member_id", "date"),
        facts_of(ResponsibilityTick, "id", "org_id", "item_id", "date"),
    )


def read_target_rows(conn: Connection, cycle_id: int, *, set_until: datetime | None = None) -> pd.DataFrame:
    """The cycle's target rows in the order they were set (the latest of a kind wins, ``engine.resolve_targets``);
    ``set_until``: those set up to that moment (a closed period's, :func:`facts_until`)."""
    t, i = Target.__table__.c, Indicator.__table__.c
    query = (select(i.code.label("indicator_code"), t.category, t.org_id, t.value)
             .join_from(Target.__table__, Indicator.__table__, t.indicator_id == i.id)
             .where(t.cycle_id == cycle_id).order_by(t.id))
    if set_until is not None:
        query = query.where(t.set_at <= set_until)
    return pd.read_sql(query, conn)


# --- scoring -------------------------------------------------------------------------------


def read_inputs(engine: Engine, *, cycle: Cycle, period: Period, registry: Registry,
                org_id: int | None = None, late_facts: bool = False, as_of: datetime | None = None,
                scheme: Scheme | None = None) -> Inputs:
    """Everything the period's scoring needs, read in bulk: branches, facts, targets, rule types, and the
    organisations barred from the advanced selection in the period (``incentives.barred_orgs``).

    A closed period — under the leaders' review or published — is read from its frozen inputs: the facts
    recorded and the targets set up to the moment its results took theirs (:func:`facts_until`), for the
    organisations its results are of; an open one from everything recorded. ``org_id`` reads one branch's only: its progress so
    far (``workspace.read_progress``) is scored by the same steps as a stage scores the whole tenant.
    ``late_facts``: a closed period with every fact dated in it, recorded up to now — the late ones too
    (``periods.place``, the correction route) — its organisations and targets still as frozen: what the late facts
    would change (``verify.verify_period(late=True)``). ``as_of``: an open period's facts, targets and lineage
    recorded up to that moment (a scoring run's cut, ``db.cut``), as its frozen inputs will be read once closed.
    ``scheme``: another scheme than the cycle's to score the same inputs by (a what-if, ``core.whatif``)."""
    with Session(engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
    scheme = scheme or cycle_scheme(cycle)
    contributions = registry.rule_types(enabled)
    rules = {name: c.item for name, c in contributions.items()}
    owners = {name: c.plugin for name, c in contributions.items()}
    params = validate_params(scheme, rules, owners)
    ledger_names = {code: c.item.name for code, c in registry.ledger_types(enabled).items()}
    levels = [OrgLevel.branch.value, *(rule.level for rule in scheme.levels)]
    with engine.connect() as conn:
        frozen = None if period.to_date else facts_until(conn, cycle, period)
        evaluated = None if frozen is None else (cycle.id, period.key)
        until = frozen or as_of
        orgs = read_branches(conn, cycle.tenant_id, org_id=org_id, levels=levels, evaluated=evaluated)
        # those entitled to vote in the period's ballot round (a quorum taken as a share of them)
        orgs = orgs.merge(entitled_columns(conn, cycle.id, period.key, until=until), on="org_id", how="left")
        # the items of each unit's responsibility list for the year (what a list's share is of)
        orgs = orgs.merge(list_sizes(conn, cycle.tenant_id, cycle.year, until=until), on="org_id", how="left")
        if not (orgs["level"] == OrgLevel.branch.value).any():
            raise BastionError(tr("没有可评分的在用党支部：请先导入组织机构",
                                  "there are no active branches (党支部) to score: import organisations first"))
        tree = read_tree(conn, cycle.tenant_id, evaluated=evaluated) if scheme.levels and org_id is None else None
        facts = read_facts(conn, cycle.tenant_id, period, org_id=org_id, recorded_until=None if late_facts else until)
        target_rows = read_target_rows(conn, cycle.id, set_until=until)
        barred = incentives.barred_orgs(conn, cycle.tenant_id, period)
    return prepare(scheme, rules, orgs, facts, period, target_rows=target_rows, params=params, rule_owners=owners,
                   tree=tree, ledger_names=ledger_names, barred=barred)


def read_tree(conn: Connection, tenant_id: int, *, evaluated: tuple[int, str] | None = None) -> pd.DataFrame:
    """Every active organisation of the tenant, for the roll-ups of the levels above the branch (``engine.roll_up``);
    with ``evaluated`` (a cycle id and a period key), the tree as it was when that period was scored
    (``core.snapshots``)."""
    columns = ("code", "name", "level", "parent_id", "member_count")
    if evaluated is not None:
        snap = OrgSnapshot.__table__.c
        return pd.read_sql(select(snap.org_id, *(snap[c] for c in columns))
                           .where(snap.cycle_id == evaluated[0], snap.period == evaluated[1]), conn)
    o = Organization.__table__.c
    return pd.read_sql(select(o.id.label("org_id"), *(o[c] for c in columns))
                       .where(o.tenant_id == tenant_id, o.active.is_(True)), conn)


# --- frozen inputs -----------------------------------------------------------------------------

CLOSED = (EvaluationStatus.reviewed.value, EvaluationStatus.published.value)


class Outdated(Conflict):
    """Drafts scored before a fact of their period was recorded: scored again before they are published or put to
    the leaders' review (:func:`refuse_outdated`)."""


def facts_until(conn: Connection, cycle: Cycle, period: Period) -> datetime | None:
    """The moment up to which a closed period's facts count; None while the period is open.

    A period under the leaders' review or published is scored — verified (``core.verify``), or rescored by
    whatever path — from its *frozen inputs*: the facts recorded up to the moment the run that scored its
    results took its facts (``evaluation.scored_at``). Nothing recorded later counts there: a fact dated in it
    is refused from then on (``periods.date_problems``), and its drafts are published, or put to the review,
    only when no fact of the period was recorded after them (:func:`refuse_outdated`) — so these are the facts
    recorded up to its publication. Drafts and unscored periods are scored from everything recorded."""
    e = Evaluation.__table__.c
    until = conn.execute(select(func.max(e.scored_at)).where(e.cycle_id == cycle.id, e.period == period.key,
                                                             e.status.in_(CLOSED))).scalar()
    return None if until is None else as_utc(until)


FACT_TABLES = (("ledger", LedgerEntry, ("该期的 {n} 条台账", "{n} ledger entr(ies) of the period")),
               ("finding", Finding, ("该期的 {n} 条检查发现", "{n} finding(s) of the period")),
               ("rating", Rating, ("该期的 {n} 条测评", "{n} rating(s) of the period")),
               ("duty", DutyRecord, ("该期的 {n} 条履职记录", "{n} duty record(s) of the period")),
               ("tick", ResponsibilityTick, ("该期的 {n} 条责任清单落实记录", "{n} responsibility list record(s) of "
                                                                          "the period")))
_SINCE = {kind: what for kind, _, what in FACT_TABLES} | {
    "target": ("本年度 {n} 次目标值调整", "{n} target adjustment(s) of the cycle"),
    "restructuring": ("{n} 次机构调整（合并、分设、调整隶属、更名或撤销）",
                      "{n} restructuring(s) of the organisation tree (merge, split, move, rename, dissolve)")}


def recorded_since(conn: Connection, tenant_id: int, period: Period, since: datetime) -> dict[str, int]:
    """How many of the period's facts of each kind (ledger, finding, rating) were recorded after ``since``.

    Through each fact table's ``(tenant_id, recorded_at)`` index: the few rows recorded since, not the period's."""
    found = {}
    for kind, model, _ in FACT_TABLES:
        table = model.__table__
        t = table.c
        query = (select(func.count()).select_from(table)
                 .where(t.tenant_id == tenant_id, t.recorded_at > since, t.date >= period.start, t.date < period.end)
                 .with_hint(table, f"INDEXED BY ix_{table.name}_tenant_recorded", "sqlite"))
        if n := conn.execute(query).scalar():
            found[kind] = int(n)
    return found


def told(counts: dict[str, int]) -> tuple[str, str]:
    """Counts of the period's facts by kind (:func:`recorded_since`; ``target``: adjustments) in words, Chinese and
    English (该期的 2 条台账、1 条检查发现)."""
    return ("、".join(_SINCE[kind][0].format(n=n) for kind, n in counts.items()),
            ", ".join(_SINCE[kind][1].format(n=n) for kind, n in counts.items()))


def refuse_outdated(conn: Connection, cycle: Cycle, period: Period, *, action: str) -> None:
    """Refuse to publish the period's drafts, or to put them to the leaders' review (``action``), when a fact of
    the period was recorded, a target of the cycle adjusted, or the tenant's tree restructured (机构调整: the period
    not yet closed follows the new tree) after they were scored, or while a ballot round whose ballots count in it
    is open: :class:`Outdated`, saying what and how to score again."""
    verb = lifecycle.PURPOSES[action]
    if waiting := open_over(conn, cycle, period):  # ballots still to count in it: counted first, never lost
        keys = "、".join(f.period for f in waiting)
        raise Outdated(tr(f"考核期 {keys} 的民主测评尚未结束计票，其测评票计入考核期 {period.key}：请先结束计票（bastion ballots "
                          f"close --period {waiting[0].period}）并重新评分，再{verb[0]}",
                          f"the ballot round of {keys} is still open and its ballots count in period {period.key}: "
                          f"close it (bastion ballots close --period {waiting[0].period}) and score again before "
                          f"{verb[1]}"))
    e = Evaluation.__table__.c
    scored = conn.execute(select(func.max(e.scored_at)).where(e.cycle_id == cycle.id, e.period == period.key)).scalar()
    if scored is None:
        return
    scored = as_utc(scored)
    newer = recorded_since(conn, cycle.tenant_id, period, scored)
    t = Target.__table__.c
    if adjusted := conn.execute(select(func.count()).where(t.cycle_id == cycle.id, t.set_at > scored)).scalar():
        newer["target"] = int(adjusted)
    if restructured := restructuring.restructured_since(conn, cycle.tenant_id, scored):
        newer["restructuring"] = restructured
    if not newer:
        return
    zh, en = told(newer)
    raise Outdated(tr(f"考核期 {period.key} 的考核结果评分于 {scored:%Y-%m-%d %H:%M:%S} UTC，其后又记录了{zh}："
                      f"请先重新评分（bastion score --period {period.key}），再{verb[0]}",
                      f"the results of period {period.key} were scored at {scored:%Y-%m-%d %H:%M:%S} UTC, and "
                      f"{en} were recorded since: score it again (bastion score --period {period.key}) before "
                      f"{verb[1]}"))


def score_period(engine: Engine, *, cycle: Cycle, period_key: str | None, registry: Registry,
                 actor: str) -> ScoreSummary:
    """Score a period and store it as draft results, replacing the period's earlier drafts.

    The results are stamped with the moment the run took its facts (``scored_at``), a cut (``db.cut``) taken
    before reading the facts recorded up to it: publishing them later is refused if a fact of the period was
    recorded after it (:func:`refuse_outdated`)."""
    period = in_cycle(cycle, period_key)
    with lifecycle.changing(engine, cycle, period.key, "score", actor=actor):
        taken = cut(engine)  # every fact stamped up to here is committed: the run reads those, as verify will
        inputs = read_inputs(engine, cycle=cycle, period=period, registry=registry, as_of=taken)
        with transaction(engine) as session:
            lifecycle.fence(session.connection(), cycle, period.key, "score")
            evaluations = write_scores(session, cycle=cycle, inputs=inputs, scored_at=taken)
            audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="score", entity="cycle",
                         entity_id=cycle.id, new={"period": period.key, "organizations": len(evaluations)})
    with Session(engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
        tenant = session.get(Tenant, cycle.tenant_id)
    summary = summarize(cycle, period, evaluations)
    registry.notify(CycleEvent("scored", tenant.code, cycle.year, period.key, detail=summary.__dict__), enabled)
    return summary


def summarize(cycle: Cycle, period: Period, evaluations: pd.DataFrame) -> ScoreSummary:
    """The branches' results in figures (the levels above them aside)."""
    ev = evaluations[evaluations["level"] == OrgLevel.branch.value]
    return ScoreSummary(cycle.id, period.key, len(ev), int(ev["vetoed"].sum()), int(ev["advanced_eligible"].sum()),
                        round(float(ev["total"].mean()), 2) if len(ev) else 0.0)


def write_scores(session: Session, *, cycle: Cycle, inputs: Inputs,
                 slices: Iterable[pd.DataFrame] | None = None, scored_at: datetime | None = None) -> pd.DataFrame:
    """Score ``inputs`` and replace the period's draft results with them, in ``session``'s transaction.

    Lines are written slice by slice as the engine produces them (``slices`` defaults to
    :func:`engine.score_slices`), so a period of 100k branches never has all its lines in
    memory. Each branch's evaluation row is inserted first — the lines need its id — and gets
    its total, grade, rank and tier in one bulk update once every slice is scored. The block
    subtotals (:func:`engine.block_subtotals` of each slice, a few rows per branch) are inserted
    in bulk after the last slice, while the spool's helper still writes the last lines. Returns
    the evaluations (:func:`engine.conclude`). ``scored_at``: the moment ``inputs`` were read (now by default).
    """
    conn = session.connection()
    ev_t, line_t, block_t = Evaluation.__table__, EvaluationLine.__table__, BlockSubtotal.__table__
    period = inputs.period.key
    lifecycle.check(conn, cycle, period, "score")
    old_ids = select(ev_t.c.id).where(ev_t.c.cycle_id == cycle.id, ev_t.c.period == period).scalar_subquery()
    conn.execute(delete(block_t).where(block_t.c.evaluation_id.in_(old_ids)))
    conn.execute(delete(line_t).where(line_t.c.evaluation_id.in_(old_ids)))
    conn.execute(delete(ev_t).where(ev_t.c.cycle_id == cycle.id, ev_t.c.period == period))

    ids = _insert_evaluations(conn, cycle, inputs, scored_at or utcnow())
    snapshots.take(conn, tenant_id=cycle.tenant_id, cycle_id=cycle.id, period=period)
    sums, blocks = [], []
    with batch_writer(conn, line_t, expected_rows=len(inputs.orgs) * len(inputs.params),
                      to_batch=functools.partial(_line_batch, ids=ids)) as write:
        for lines in score_slices(inputs) if slices is None else slices:
            write(lines)
            sums.append(subtotals(lines))
            blocks.append(block_subtotals(lines))
            del lines
        if blocks:
            blocks = pd.concat(blocks, ignore_index=True)
            _insert_block_subtotals(conn, blocks.assign(evaluation_id=blocks["org_id"].map(ids)))
    sums = pd.concat(sums) if sums else subtotals(pd.DataFrame(columns=LINE_COLUMNS))
    evaluations, rolled = roll_up(inputs.scheme, conclude(inputs.scheme, inputs.orgs, sums, inputs.period,
                                                          inputs.barred), inputs.tree, inputs.period, inputs.barred)
    if not rolled.empty:
        write_rollup_lines(conn, rolled, ids)
    _update_evaluations(conn, evaluations, ids)
    return evaluations


def write_rollup_lines(conn: Connection, rolled: pd.DataFrame, ids: pd.Series) -> None:
    """Insert the roll-up lines (``engine.roll_up``), one per organisation assessed by its branches' results."""
    bulk_insert(conn, EvaluationLine.__table__, {
        "evaluation_id": rolled["org_id"].map(ids).astype("int64").tolist(),
        "indicator_code": rolled["indicator_code"].tolist(), "points": rolled["points"].astype(float).tolist(),
        "value": [None if pd.isna(v) else float(v) for v in rolled["value"]], "target": [None] * len(rolled),
        "veto": [False] * len(rolled), "assessed": [True] * len(rolled), "reason": rolled["reason"].tolist(),
        "evidence": [""] * len(rolled),
    })


def _insert_evaluations(conn: Connection, cycle: Cycle, inputs: Inputs, scored_at: datetime) -> pd.Series:
    """A draft evaluation per branch, its figures still empty; returns the ids by ``org_id``."""
    ev_t = Evaluation.__table__
    n = len(inputs.orgs)
    bulk_insert(conn, ev_t, {
        "tenant_id": [cycle.tenant_id] * n, "cycle_id": [cycle.id] * n,
        "org_id": inputs.orgs["org_id"].astype("int64").tolist(), "period": [inputs.period.key] * n,
        "level": inputs.orgs["level"].astype(str).tolist(), "assessed_points": [0.0] * n, "rate": [0.0] * n,
        "scheme_id": [inputs.scheme.id] * n, "scheme_version": [inputs.scheme.version] * n,
        "base_points": [0.0] * n, "bonus_points": [0.0] * n, "total": [0.0] * n, "vetoed": [False] * n,
        "veto_reasons": [[]] * n, "grade": [""] * n, "advanced_eligible": [False] * n, "rank": [0] * n,
        "tier": [""] * n, "status": [EvaluationStatus.draft.value] * n,
        "scored_at": [as_utc(scored_at).astimezone(UTC)] * n,
    })
    rows = conn.execute(select(ev_t.c.org_id, ev_t.c.id).where(ev_t.c.cycle_id == cycle.id,
                                                               ev_t.c.period == inputs.period.key)).all()
    return pd.Series(dict(rows), dtype="int64")


def _line_batch(lines: pd.DataFrame, ids: pd.Series) -> pa.RecordBatch:
    """A slice's lines as the columns of ``EvaluationLine`` (NaN values and targets as NULL)."""
    def floats(column: str) -> pa.Array:
        return pa.array(lines[column].to_numpy(dtype=float), from_pandas=True)

    return pa.record_batch({
        "evaluation_id": pa.array(lines["org_id"].map(ids).to_numpy(dtype="int64")),
        "indicator_code": pa.array(lines["indicator_code"].astype(str).to_numpy(), pa.string()),
        "points": pa.array(lines["points"].to_numpy(dtype=float)),
        "value": floats("value"),
        "target": floats("target"),
        "veto": pa.array(lines["veto"].to_numpy(dtype=bool)),
        "assessed": pa.array(lines["assessed"].to_numpy(dtype=bool)),
        "reason": pa.array(lines["reason"].array),
        "evidence": pa.array(lines["evidence"].fillna("").array),
    })


def _insert_block_subtotals(conn: Connection, rows: pd.DataFrame) -> None:
    """Insert :func:`engine.block_subtotals` rows keyed by ``evaluation_id``, in one bulk insert."""
    bulk_insert(conn, BlockSubtotal.__table__, {
        "evaluation_id": rows["evaluation_id"].astype("int64").tolist(),
        "block_code": rows["block_code"].astype(str).tolist(),
        "points": rows["points"].astype(float).tolist(),
    })


def store_block_subtotals(conn: Connection, evaluation_ids: Iterable[int]) -> None:
    """Replace the block subtotals of these evaluations with those of their stored lines, in ``conn``'s
    transaction: after a line's points changed (a correction), or lines were written otherwise than by
    :func:`write_scores`. A line's block is its indicator's in the evaluation's cycle."""
    wanted = sorted({int(i) for i in evaluation_ids})
    e, line, ind, block_t = (Evaluation.__table__.c, EvaluationLine.__table__.c, Indicator.__table__.c,
                             BlockSubtotal.__table__)
    conn.execute(delete(block_t).where(block_t.c.evaluation_id.in_(wanted)))
    lines = pd.read_sql(select(line.evaluation_id, ind.block_code, line.points)
                        .join_from(EvaluationLine.__table__, Evaluation.__table__, e.id == line.evaluation_id)
                        .join(Indicator.__table__, (ind.cycle_id == e.cycle_id) & (ind.code == line.indicator_code))
                        .where(line.evaluation_id.in_(wanted)), conn)
    _insert_block_subtotals(conn, block_subtotals(lines, by="evaluation_id"))


def _update_evaluations(conn: Connection, evaluations: pd.DataFrame, ids: pd.Series) -> None:
    """Set every evaluation's figures (:func:`engine.conclude`) in one statement."""
    ev = evaluations
    update_by_key(conn, Evaluation.__table__, {
        "id": ev["org_id"].map(ids).astype("int64").tolist(),
        "base_points": ev["base_points"].astype(float).tolist(), "bonus_points": ev["bonus_points"].astype(float).tolist(),
        "total": ev["total"].astype(float).tolist(), "vetoed": ev["vetoed"].astype(bool).tolist(),
        "assessed_points": ev["assessed_points"].astype(float).tolist(), "rate": ev["rate"].astype(float).tolist(),
        "veto_reasons": [list(r) for r in ev["veto_reasons"]], "grade": ev["grade"].tolist(),
        "advanced_eligible": ev["advanced_eligible"].astype(bool).tolist(), "rank": ev["rank"].astype(int).tolist(),
        "tier": ev["tier"].tolist(),
    })


# --- publication ---------------------------------------------------------------------------


def publish_period(engine: Engine, *, cycle: Cycle, period_key: str | None, registry: Registry,
                   actor: str, confirming: bool = False, now: datetime | None = None) -> int:
    """Publish a scored period and apply the scheme's incentive policies; returns the awards made.

    Drafts are published (``publish``); results under the leaders' review only by a leader's
    confirmation (``confirming``, the ``confirm`` stage). A period already published raises
    :class:`lifecycle.AlreadyDone`: nothing is applied again. The results are stamped published at
    ``now`` (the clock's by default; a stage passes the day it acts on) before the policies run, in
    the same transaction, so the policies count from the very moment stored (:func:`publication`)."""
    period = in_cycle(cycle, period_key)
    action = "confirm" if confirming else "publish"
    with Session(engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
        tenant = session.get(Tenant, cycle.tenant_id)
    with lifecycle.changing(engine, cycle, period.key, action, actor=actor), transaction(engine) as session:
        conn = session.connection()
        lifecycle.fence(conn, cycle, period.key, action)
        awarded = _publish(session, cycle=cycle, period=period, action=action, registry=registry, enabled=enabled,
                           tenant_code=tenant.code, actor=actor, now=now)
    registry.notify(CycleEvent("published", tenant.code, cycle.year, period.key, detail={"awards": awarded}), enabled)
    return awarded


def _publish(session: Session, *, cycle: Cycle, period: Period, action: str, registry: Registry, enabled: list[str],
             tenant_code: str, actor: str, now: datetime | None) -> int:
    """Publishing itself, in ``session``'s transaction: the moment, the standings, the policies' awards, the status
    and the audit rows. :func:`publish_period` commits it; :func:`rehearse_publication` rolls it back."""
    conn = session.connection()
    if action == "publish":  # confirmed results were reviewed as they are: no fact of theirs came since
        refuse_outdated(conn, cycle, period, action=action)
    ev_t = Evaluation.__table__
    published_at = publication(conn, cycle, period, now=now or utcnow())
    standings.record(conn, cycle=cycle, period=period, actor=actor)  # 提档升级: before the policies cash it
    awarded = apply_policies(conn, cycle=cycle, period=period, registry=registry, enabled=enabled,
                             tenant_code=tenant_code, actor=actor)
    conn.execute(update(ev_t).where(ev_t.c.cycle_id == cycle.id, ev_t.c.period == period.key)
                 .values(status=EvaluationStatus.published.value))
    notify.published(conn, registry, cycle, period, published_at)  # the secretaries and leaders told, in the outbox
    if action == "confirm":
        audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="confirm", entity="cycle",
                     entity_id=cycle.id, new={"period": period.key})
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="publish", entity="cycle",
                 entity_id=cycle.id, new={"period": period.key, "awards": awarded,
                                          "published_at": published_at.isoformat()})
    return awarded


@dataclass(frozen=True)
class Rehearsal:
    """What publishing a period would do, done and undone (:func:`rehearse_publication`)."""

    period: str
    state: str  # the period's state now (lifecycle)
    results: pd.DataFrame  # the results as they would be published (read_results)
    awards: pd.DataFrame  # the incentives the policies would make (read_incentives)
    standings: pd.DataFrame  # the standing steps it would take (standings.period_steps)


def rehearse_publication(engine: Engine, *, cycle: Cycle, period_key: str | None, registry: Registry,
                         actor: str) -> Rehearsal:
    """Publish the period — or confirm it, when it awaits the leaders' review — in a transaction that is rolled
    back, and say what it made: what a leader is shown before the click. The same code as publishing, so what it
    shows is what the click does (unless a fact or a correction comes in between; publishing refuses the former).
    Refused as publishing would be (unscored, already published, outdated)."""
    period = in_cycle(cycle, period_key)
    with Session(engine) as session:
        enabled = enabled_plugins(session, cycle.tenant_id)
        tenant = session.get(Tenant, cycle.tenant_id)
        conn = session.connection()
        state = lifecycle.state(conn, cycle.id, period.key)
        action = "confirm" if state == lifecycle.REVIEWED else "publish"
        lifecycle.check(conn, cycle, period.key, action)
        try:
            _publish(session, cycle=cycle, period=period, action=action, registry=registry, enabled=enabled,
                     tenant_code=tenant.code, actor=actor, now=None)
            results = read_results(conn, cycle.id, period.key)
            awards = read_incentives(conn, cycle.id, period.key)
            steps = standings.period_steps(conn, cycle.id, period.key)
        finally:
            session.rollback()
    return Rehearsal(period.key, state, results, awards, steps)


def publication(conn: Connection, cycle: Cycle, period: Period, *, now: datetime | None = None) -> datetime:
    """When the period's results were first published (``evaluation.published_at``), in ``conn``'s transaction.

    Once stored it is kept: publishing stamps it (``now``) only where none is stored, and a correction
    applying the policies again reads it back — so both count deadlines from one moment. Results
    published before Bastion stored the moment (revision 0011), or whose stamp was lost, are stamped
    with their first ``publish`` in the audit trail — the moment it names, else the event's own — or
    the clock's moment when there is none."""
    e = Evaluation.__table__.c
    mine = (e.cycle_id == cycle.id) & (e.period == period.key)
    stored = conn.execute(select(func.min(e.published_at)).where(mine)).scalar()
    if stored is None:
        stored = as_utc(now or _first_publish_audited(conn, cycle, period) or utcnow()).astimezone(UTC)
        conn.execute(update(Evaluation.__table__).where(mine, e.published_at.is_(None)).values(published_at=stored))
    return as_utc(stored)


def _first_publish_audited(conn: Connection, cycle: Cycle, period: Period) -> datetime | None:
    """When the audit trail says the period was first published (its ``publish`` events of the cycle, a few)."""
    a = AuditEvent.__table__.c
    events = conn.execute(select(a.at, a.new).where(a.tenant_id == cycle.tenant_id, a.action == "publish",
                                                    a.entity == "cycle", a.entity_id == str(cycle.id))
                          .order_by(a.id)).all()
    for at, new in events:
        new = json.loads(new) if isinstance(new, str) else new or {}
        if new.get("period") == period.key:  # the moment it stamped, where it says (a stamp lost since)
            return datetime.fromisoformat(new["published_at"]) if new.get("published_at") else at
    return None


def apply_policies(conn: Connection, *, cycle: Cycle, period: Period, registry: Registry, enabled: list[str],
                   tenant_code: str, actor: str) -> int:
    """Run the scheme's incentive policies on the period's results and store their awards, in ``conn``'s
    transaction; an award made before keeps its row and id, one no longer given is withdrawn with its
    rectification notice (:func:`_replace_awards`). Returns how many awards there are.

    The policies get the day of the period's first publication (:func:`publication`): the one being
    stamped when the period is published, the stored one when they are applied again (a correction); and each
    result's ``barred`` (``incentives.barred_orgs``: the bars in force, as scoring read them), and the standing steps
    the period took (``standings.period_steps``)."""
    scheme = cycle_scheme(cycle)
    policies = registry.policies(enabled)
    missing = [p for p in scheme.policies if p not in policies]
    if missing:
        raise BastionError(tr(f"方案指定的激励政策 {'、'.join(missing)} 未启用",
                              f"incentive policies {', '.join(missing)} named by the scheme are not enabled"))
    published_on = day_of(publication(conn, cycle, period))
    results = read_results(conn, cycle.id, period.key)
    results["barred"] = results["org_id"].isin(incentives.barred_orgs(conn, cycle.tenant_id, period))
    context = PolicyContext(tenant_code, PolicyCycle(cycle.id, cycle.year, cycle.name, cycle.scheme_plugin), period,
                            scheme, published_on, policy_history(conn, cycle.tenant_id, period),
                            standings.period_steps(conn, cycle.id, period.key))
    awards = []
    for name in scheme.policies:
        contribution = policies[name]
        try:
            with plugin_code(contribution.plugin, name):
                made = contribution.item.apply(results, context)
                made = _checked_awards(made, results)
        except PluginFault as fault:
            exc = fault.error
            raise BastionError(tr(f"激励政策 {name!r}（插件 {contribution.plugin}）出错：{type(exc).__name__}: {exc}",
                                  f"incentive policy {name!r} (plugin {contribution.plugin}) failed: "
                                  f"{type(exc).__name__}: {exc}")) from exc
        awards.append(made.assign(policy=name))
    evaluation_ids = dict(zip(results["org_id"], results["evaluation_id"]))
    rows = [
        {"tenant_id": cycle.tenant_id, "cycle_id": cycle.id, "org_id": int(a["org_id"]),
         "evaluation_id": int(evaluation_ids[a["org_id"]]), "period": period.key, "policy": a["policy"],
         "kind": a["kind"], "code": a["code"], "title": a["title"], "effect": a["effect"] or {},
         "effective_until": _day(a["effective_until"])}
        for frame in awards for a in frame.to_dict("records")
    ]
    _replace_awards(conn, cycle, period, rows, actor=actor)
    return len(rows)


AWARD_KEY = ("org_id", "policy", "code")


def _replace_awards(conn: Connection, cycle: Cycle, period: Period, rows: list[dict], *, actor: str) -> None:
    """Make the period's incentives exactly ``rows``, keeping the ones that stay (matched on org, policy, code).

    Applying the policies again therefore changes nothing: an incentive a rectification notice refers
    to keeps its id. An award no longer given (a correction lifted a branch out of 不合格) is deleted,
    and the notice issued for it is withdrawn (撤销) — kept, no longer open, its link to the award
    cleared — both audited; new awards are inserted.
    """
    inc_t = Incentive.__table__
    in_period = (inc_t.c.cycle_id == cycle.id) & (inc_t.c.period == period.key)
    existing = {tuple(r[:3]): r for r in conn.execute(
        select(inc_t.c.org_id, inc_t.c.policy, inc_t.c.code, inc_t.c.id, inc_t.c.title, inc_t.c.kind).where(in_period))}
    wanted = {tuple(row[k] for k in AWARD_KEY): row for row in rows}
    gone = [existing[k] for k in existing.keys() - wanted.keys()]
    if gone:
        _withdraw(conn, cycle, period, gone, actor=actor)
        conn.execute(delete(inc_t).where(inc_t.c.id.in_([g.id for g in gone])))
    fresh = [row for k, row in wanted.items() if k not in existing]
    if fresh:
        conn.execute(inc_t.insert(), fresh)
    changing = ("evaluation_id", "kind", "title", "effect", "effective_until")
    kept = [{"incentive_id": existing[k].id, **{f"new_{name}": row[name] for name in changing}}
            for k, row in wanted.items() if k in existing]
    if kept:
        conn.execute(update(inc_t).where(inc_t.c.id == bindparam("incentive_id"))
                     .values({name: bindparam(f"new_{name}") for name in changing}), kept)


def _withdraw(conn: Connection, cycle: Cycle, period: Period, gone: list, *, actor: str) -> None:
    """Audit the awards no longer given, and withdraw the rectification notices issued for them."""
    r = Rectification.__table__
    notices = conn.execute(select(r.c.id, r.c.notice_no, r.c.status, r.c.incentive_id)
                           .where(r.c.incentive_id.in_([g.id for g in gone]))).all()
    if notices:
        conn.execute(update(r).where(r.c.id.in_([n.id for n in notices]))
                     .values(status=RectificationStatus.withdrawn.value, incentive_id=None))
    audit.record_many(conn, [
        *({"tenant_id": cycle.tenant_id, "actor": actor, "action": "withdraw", "entity": "incentive",
           "entity_id": g.id, "old": {"org_id": g.org_id, "policy": g.policy, "code": g.code, "kind": g.kind,
                                       "title": g.title, "period": period.key}} for g in gone),
        *({"tenant_id": cycle.tenant_id, "actor": actor, "action": "withdraw", "entity": "rectification",
           "entity_id": n.id, "old": {"notice_no": n.notice_no, "status": n.status, "incentive_id": n.incentive_id},
           "new": {"status": RectificationStatus.withdrawn.value, "incentive_id": None},
           "note": "考核结果更正后不再适用"} for n in notices),
    ])


def _day(value: object) -> date | None:
    """A policy's ``effective_until`` as a date: a datetime or Timestamp gives its day; None or NaT, None."""
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, datetime) else value


def _checked_awards(made: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(made, pd.DataFrame):
        raise TypeError(tr(f"返回了 {type(made).__name__}，而不是 DataFrame",
                           f"returned {type(made).__name__}, not a DataFrame"))
    missing = set(AWARD_COLUMNS) - set(made.columns)
    if missing:
        raise TypeError(tr(f"返回结果缺少列 {sorted(missing)}", f"returned no column(s) {sorted(missing)}"))
    bad_kind = set(made["kind"]) - set(AWARD_KINDS)
    if bad_kind:
        raise TypeError(tr(f"返回了不允许的奖惩类型 {sorted(bad_kind)}；可用：{'、'.join(AWARD_KINDS)}",
                           f"returned award kinds {sorted(bad_kind)}; allowed: {', '.join(AWARD_KINDS)}"))
    bad_until = [v for v in made["effective_until"] if not (v is None or pd.isna(v) or isinstance(v, date))]
    if bad_until:
        raise TypeError(tr(f"返回的有效期（effective_until）不是日期：{bad_until[:3]}",
                           f"returned effective_until values that are not dates: {bad_until[:3]}"))
    unknown = set(made["org_id"]) - set(results["org_id"])
    if unknown:
        raise TypeError(tr(f"为没有考核结果的组织返回了奖惩：{sorted(unknown)[:5]}",
                           f"returned awards for organisations without results: {sorted(unknown)[:5]}"))
    incentives.check_effects(made)
    return made[AWARD_COLUMNS]
