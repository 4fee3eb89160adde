"""Standings (档次/星级: 分类定级、提档升级) — the one home of the standing a branch holds across cycles.

A scheme that grades standings says how (``scheme.StandingRule``): a ladder (五星 … 一星), the standing a branch
starts from, the grading periods (the year, by default the scheme's graded periods) at which results move it up or
down one step, and the periods watched between gradings (quarters) where a relapse (反弹) is flagged and, where the
scheme says, the standing taken. Seed 002: 提档升级 … 按一定的时间周期进行评定，保持相对稳定性；也要强化评比定级后的
效果监控，及时进行调整 … 防止出现"一劳永逸"和反弹现象.

**The history** (``models.Standing``) is append-only: each step names the standing after it and before it, what
moved it (``kind``: ``initial``, ``graded``, ``relapse``, ``manual``) and why, in Chinese. A step caused by a period
holds from the period's first publication (``since``); the steps of one event (a branch, a period, a kind) may be
revised by a correction — a new row, ``revision`` one more, ``revises`` naming the first, replaces it and stands in
its place (the *effective* step). Steps follow each other in the order they were first recorded (a revision in the
place of the step it revises: :func:`ordinal`), and a branch's current standing is its latest effective step.

**When it is written.** Publishing a grading or watched period decides its steps (:func:`record`) in the
publication's transaction, under the period's lease, with an audit row: set-based over the period's results, one
bulk insert. A period is decided once: its steps exist, publishing again adds none. A correction of a published
period decides again (:func:`redecide`) from that period on — the later periods' steps too, since each starts from
the standing the one before left — and appends a revision wherever a decision changed, audited. An administrator
sets a standing by hand (:func:`set_standing`, 分类定级 by the superior), with the reason.

The incentive policies see a period's steps (``PolicyContext.standings``): a scheme's sanction on relapse is cashed
from here, never decided twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit
from .access import Action, Principal, require
from .bulk_write import bulk_insert
from .cycles import cycle_scheme
from .engine import assessed_in
from .errors import BastionError, NotFound
from .i18n import tr
from .models import (
    Cycle,
    Evaluation,
    EvaluationStatus,
    Organization,
    OrgLevel,
    Standing,
    StandingKind,
    as_utc,
    code_is,
    utcnow,
)
from .periods import Period, time_order
from .scheme import Scheme, StandingCondition, StandingRule

MOVE_COLUMNS = ["org_id", "kind", "previous", "standing", "move", "flagged", "reason"]
"""A period's decided steps, as :func:`decide` gives them and the policies get them (``PolicyContext.standings``)."""
STATE_COLUMNS = ["org_id", "standing", "promoted", "relapsed"]
"""Where each branch stands before a period: its standing, whether its last grading met ``up`` (``promoted``) and
whether a relapse was flagged since (``relapsed``)."""
HISTORY_COLUMNS = ["id", "org_id", "code", "name", "since", "standing", "previous", "kind", "move", "flagged",
                   "year", "period", "revision", "superseded", "reason", "actor", "recorded_at"]
CURRENT_COLUMNS = ["org_id", "code", "name", "standing", "since", "kind", "period", "reason"]

Moment = Literal["grading", "watch"]


# --- the rules: pure functions over frames ------------------------------------------------------


def moment(scheme: Scheme, period: Period) -> Moment | None:
    """What ``period`` is to the scheme's standings: a ``grading`` (定级), a ``watch`` between gradings, or None."""
    rule = scheme.standings
    if rule is None or period.to_date:
        return None
    if assessed_in(scheme.standing_graded, period):
        return "grading"
    if rule.relapse and assessed_in(rule.watched, period):
        return "watch"
    return None


def describe(condition: StandingCondition) -> str:
    """A condition in the words of a bulletin: 第一档, 等次为差, 一票否决, 得分率低于 60%."""
    parts = []
    if condition.vetoed is not None:
        parts.append("一票否决" if condition.vetoed else "未被一票否决")
    if condition.grade:
        parts.append(f"等次为{'或'.join(condition.grade)}")
    if condition.tier:
        parts.append(f"处于{'或'.join(condition.tier)}")
    if condition.rate_below is not None:
        parts.append(f"得分率低于 {condition.rate_below:g}%")
    if condition.rate_at_least is not None:
        parts.append(f"得分率不低于 {condition.rate_at_least:g}%")
    return "且".join(parts)


def matches(conditions: list[StandingCondition], results: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Which results meet any of ``conditions``, and in words the first each meets ("" where none)."""
    masks = []
    for condition in conditions:
        mask = pd.Series(True, index=results.index)
        if condition.vetoed is not None:
            mask &= results["vetoed"].astype(bool) == condition.vetoed
        if condition.grade:
            mask &= results["grade"].isin(condition.grade)
        if condition.tier:
            mask &= results["tier"].isin(condition.tier)
        if condition.rate_below is not None:
            mask &= results["rate"].astype(float) < condition.rate_below
        if condition.rate_at_least is not None:
            mask &= results["rate"].astype(float) >= condition.rate_at_least
        masks.append(mask.to_numpy())
    if not masks:
        return pd.Series(False, index=results.index), pd.Series("", index=results.index)
    why = np.select(masks, [describe(c) for c in conditions], default="")
    return pd.Series(np.logical_or.reduce(masks), index=results.index), pd.Series(why, index=results.index)


def decide(scheme: Scheme, period: Period, results: pd.DataFrame, state: pd.DataFrame) -> pd.DataFrame:
    """The steps ``period`` takes (:data:`MOVE_COLUMNS`), from its branches' ``results`` (``org_id``, ``grade``,
    ``tier``, ``vetoed``, ``rate``) and where they stood before it (``state``, :data:`STATE_COLUMNS`).

    At a grading: a branch without a standing first gets the scheme's ``start`` (``initial``), then every branch
    moves a step up (``up`` met), down (``down`` met; it wins over up) or holds (``graded``). At a watch: each
    watched branch holding a standing whose result meets ``relapse`` — not flagged since its last grading — is
    flagged, and its standing taken as ``take_on_relapse`` says (``relapse``)."""
    when = moment(scheme, period)
    if when is None or results.empty:
        return pd.DataFrame({c: [] for c in MOVE_COLUMNS})
    rule = scheme.standings
    merged = results.merge(state, on="org_id", how="left")
    if when == "grading":
        return _grading(rule, period, merged)
    return _watch(rule, period, merged[merged["standing"].notna()].reset_index(drop=True))


def _grading(rule: StandingRule, period: Period, r: pd.DataFrame) -> pd.DataFrame:
    ladder, name = rule.ladder, rule.name
    new = r["standing"].isna()
    initial = pd.DataFrame({"org_id": r.loc[new, "org_id"], "kind": StandingKind.initial.value, "previous": None,
                            "standing": rule.start, "move": "set", "flagged": False,
                            "reason": f"首次定级：按方案，起始{name}为{rule.start}"})
    at = _place(r["standing"], rule)
    before = pd.Series(np.array(ladder, dtype=object)[at], index=r.index)
    up, up_why = matches(rule.up, r)
    down, down_why = matches(rule.down, r)
    step = np.where(down, 1, np.where(up, -1, 0))
    after = pd.Series(np.array(ladder, dtype=object)[np.clip(at + step, 0, len(ladder) - 1)], index=r.index)
    moved = after != before
    label = period.label
    reason = np.select(
        [down & moved, down, up & moved, up],
        [f"{label}" + down_why + "，降档：" + before + " → " + after,
         f"{label}" + down_why + f"，已是最低{name}，保持" + after,
         f"{label}" + up_why + "，提档：" + before + " → " + after,
         f"{label}" + up_why + f"，已是最高{name}，保持" + after],
        default=f"{label}未达提档、降档条件，保持" + after)
    graded = pd.DataFrame({"org_id": r["org_id"], "kind": StandingKind.graded.value, "previous": before,
                           "standing": after, "move": np.where(down, "down", np.where(up, "up", "hold")),
                           "flagged": False, "reason": reason})
    return pd.concat([initial, graded], ignore_index=True)[MOVE_COLUMNS]


def _watch(rule: StandingRule, period: Period, r: pd.DataFrame) -> pd.DataFrame:
    ladder, name = rule.ladder, rule.name
    hit, why = matches(rule.relapse, r)
    watched = ~r["relapsed"].astype(bool)
    if rule.watch == "promoted":
        watched &= r["promoted"].astype(bool)
    r, why = r[hit & watched], why[hit & watched]
    at = _place(r["standing"], rule)
    before = pd.Series(np.array(ladder, dtype=object)[at], index=r.index)
    taken = {"drop_one": np.minimum(at + 1, len(ladder) - 1), "lowest": np.full(len(at), len(ladder) - 1),
             "flag": at}[rule.take_on_relapse]
    after = pd.Series(np.array(ladder, dtype=object)[taken], index=r.index)
    label = f"{period.label}" + why + "，出现反弹"
    reason = np.select([after != before, pd.Series(rule.take_on_relapse != "flag", index=r.index)],
                       [label + "：" + before + " → " + after, label + f"，已是最低{name}"],
                       default=label + "，予以预警（保持" + before + "）")
    moves = {"drop_one": "drop", "lowest": "lowest", "flag": "flag"}
    return pd.DataFrame({"org_id": r["org_id"], "kind": StandingKind.relapse.value, "previous": before,
                         "standing": after, "move": moves[rule.take_on_relapse], "flagged": True,
                         "reason": reason})[MOVE_COLUMNS].reset_index(drop=True)


def _place(standings: pd.Series, rule: StandingRule) -> np.ndarray:
    """Each standing's place on the ladder (0: the best); none, or one the ladder no longer names (a scheme that
    changed its ladder between years), is the ladder's ``start``."""
    places = {s: n for n, s in enumerate(rule.ladder)}
    return standings.map(places).fillna(places[rule.start]).to_numpy(dtype=int)


def fold(steps: pd.DataFrame) -> pd.DataFrame:
    """Where each branch stands after ``steps`` (effective steps: ``org_id``, ``kind``, ``standing``, ``move``,
    ``flagged``, ``ordinal``), as :data:`STATE_COLUMNS`: the standing of its latest step; ``promoted`` when its
    last grading (or manual set) was a grading that met ``up``; ``relapsed`` when a relapse was flagged after it."""
    if steps.empty:
        return pd.DataFrame({"org_id": pd.Series(dtype="int64"), "standing": pd.Series(dtype=object),
                             "promoted": pd.Series(dtype=bool), "relapsed": pd.Series(dtype=bool)})
    s = steps.sort_values("ordinal", kind="stable").reset_index(drop=True)
    s["position"] = np.arange(len(s))
    resets = s["kind"].isin([StandingKind.graded.value, StandingKind.manual.value])
    last_reset = s["position"].where(resets).groupby(s["org_id"]).transform("max").fillna(-1)
    grading = s[resets].groupby("org_id").tail(1).set_index("org_id")
    promoted = (grading["kind"] == StandingKind.graded.value) & (grading["move"] == "up")
    flagged = s[(s["kind"] == StandingKind.relapse.value) & s["flagged"].astype(bool) & (s["position"] > last_reset)]
    last = s.groupby("org_id").tail(1)
    return pd.DataFrame({"org_id": last["org_id"].astype("int64").to_numpy(), "standing": last["standing"].to_numpy(),
                         "promoted": last["org_id"].map(promoted).fillna(False).astype(bool).to_numpy(),
                         "relapsed": last["org_id"].isin(set(flagged["org_id"])).to_numpy()})


# --- reading the history ------------------------------------------------------------------------

_s = Standing.__table__.c


def ordinal():
    """Where a step stands in a branch's history: the id of its event's first row (a revision stands in the place of
    the step it revises)."""
    return func.coalesce(_s.revises, _s.id)


def _effective():
    """The condition on ``standing`` keeping effective steps: no later revision of their event."""
    later = aliased(Standing)
    return ~exists().where(later.revises == ordinal(), later.revision > _s.revision)


def effective_steps(conn: Connection, tenant_id: int, *, org_ids: list[int] | None = None) -> pd.DataFrame:
    """The tenant's effective steps (a correction's revision in place of the step it revised)."""
    query = (select(_s.id, ordinal().label("ordinal"), _s.org_id, _s.kind, _s.standing, _s.previous, _s.move,
                    _s.flagged, _s.since, _s.cycle_id, _s.period, _s.revision)
             .where(_s.tenant_id == tenant_id, _effective()))
    if org_ids is not None:
        query = query.where(_s.org_id.in_(org_ids))
    frame = pd.read_sql(query, conn)
    frame["flagged"] = frame["flagged"].astype(bool)
    frame["since"] = pd.to_datetime(frame["since"], utc=True)
    return frame


def period_steps(conn: Connection, cycle_id: int, period: str) -> pd.DataFrame:
    """The effective steps a period took (:data:`MOVE_COLUMNS`), initial ones first: what its policies and bulletin
    see."""
    query = (select(_s.org_id, _s.kind, _s.previous, _s.standing, _s.move, _s.flagged, _s.reason)
             .where(_s.cycle_id == cycle_id, _s.period == period, _effective(), _s.move != "void")
             .order_by(ordinal()))
    frame = pd.read_sql(query, conn)
    frame["flagged"] = frame["flagged"].astype(bool)
    return frame[MOVE_COLUMNS]


def _latest(tenant_id: int, at: datetime | None = None, upto: int | None = None):
    """A subquery of each branch's latest effective step (among those holding from ``at`` or before, or recorded
    up to the step whose place is ``upto``, when given)."""
    order = [ordinal().desc()]
    where = [_s.tenant_id == tenant_id, _effective()]
    if at is not None:
        where.append(_s.since <= at)
    if upto is not None:
        where.append(ordinal() <= upto)
    ranked = select(_s.org_id, _s.standing, _s.since, _s.kind, _s.period, _s.reason, _s.move,
                    func.row_number().over(partition_by=_s.org_id, order_by=order).label("n")).where(*where)
    return ranked.subquery()


def current(conn: Connection, tenant_id: int, *, org_ids: list[int] | None = None, at: datetime | None = None,
            upto: int | None = None, where=None) -> pd.DataFrame:
    """Each branch's current standing (:data:`CURRENT_COLUMNS`) — or held at the moment ``at``, or once the step
    whose place is ``upto`` was taken — with the step that set it; ``org_ids`` or ``where`` (a condition on an
    organisation id column, given the column) narrow it."""
    latest = _latest(tenant_id, at, upto)
    o = Organization.__table__.c
    query = (select(latest.c.org_id, o.code, o.name, latest.c.standing, latest.c.since, latest.c.kind,
                    latest.c.period, latest.c.reason)
             .join_from(latest, Organization.__table__, o.id == latest.c.org_id)
             .where(latest.c.n == 1).order_by(o.code))
    if org_ids is not None:
        query = query.where(latest.c.org_id.in_(org_ids))
    if where is not None:
        query = query.where(where(latest.c.org_id))
    frame = pd.read_sql(query, conn)
    frame["since"] = pd.to_datetime(frame["since"], utc=True)
    return frame[CURRENT_COLUMNS]


def beside(conn: Connection, cycle: Cycle, period: str, results: pd.DataFrame) -> pd.DataFrame:
    """``results`` (of the period, with ``org_id``) with each branch's ``standing`` beside its result: the standing
    held once the period was published (its own steps included), or now for results not yet published; None for a
    branch that holds none. Unchanged where the cycle's scheme grades no standing."""
    if cycle_scheme(cycle).standings is None or results.empty:
        return results
    last = conn.execute(select(func.max(ordinal())).where(_s.cycle_id == cycle.id, _s.period == period)).scalar()
    held = current(conn, cycle.tenant_id, org_ids=[int(o) for o in results["org_id"]],
                   **({"upto": int(last)} if last is not None else {"at": _published_at(conn, cycle.id, period)}))
    standing = results["org_id"].map(dict(zip(held["org_id"], held["standing"])))
    return results.assign(standing=standing.astype(object).where(standing.notna(), None))


def after_cycle(conn: Connection, cycle_id: int) -> dict | None:
    """Where the standings as they stood after a cycle's year are read (:func:`current`'s ``upto`` or ``at``): up to
    the last step its periods took, or, where they took none, the moment its last period was first published; None
    when nothing of it is published."""
    last = conn.execute(select(func.max(ordinal())).where(_s.cycle_id == cycle_id)).scalar()
    if last is not None:
        return {"upto": int(last)}
    e = Evaluation.__table__.c
    stamp = conn.execute(select(func.max(e.published_at)).where(e.cycle_id == cycle_id)).scalar()
    return None if stamp is None else {"at": as_utc(stamp)}


def counts(conn: Connection, tenant_id: int, ladder: list[str], *, where=None) -> pd.DataFrame:
    """How many branches hold each standing now (``standing``, ``branches``), in the ladder's order, empty ones
    included; counted in the database."""
    latest = _latest(tenant_id)
    query = select(latest.c.standing, func.count()).where(latest.c.n == 1).group_by(latest.c.standing)
    if where is not None:
        query = query.where(where(latest.c.org_id))
    found = dict(conn.execute(query).all())
    order = list(dict.fromkeys(ladder + sorted(set(found) - set(ladder))))
    return pd.DataFrame({"standing": order, "branches": [int(found.get(s, 0)) for s in order]})


def history(conn: Connection, tenant_id: int, *, org_id: int | None = None, viewer: Principal | None = None
            ) -> pd.DataFrame:
    """Every step of the history (:data:`HISTORY_COLUMNS`), revisions too (``superseded``: a later revision replaced
    it), in the order they hold; of one branch, which ``viewer`` (when given) must be allowed to read."""
    if viewer is not None:
        if org_id is None or viewer.tenant_id != tenant_id:
            raise BastionError(tr("只能查看本单位某个党支部的档次记录", "one may read the standings of a branch of one's tenant"))
        require(conn, viewer, Action.view_results, org_id)
    o, c = Organization.__table__.c, Cycle.__table__.c
    revised = aliased(Standing)
    superseded = exists().where(revised.org_id == _s.org_id, revised.cycle_id == _s.cycle_id,
                                revised.period == _s.period, revised.kind == _s.kind, revised.revision > _s.revision)
    query = (select(_s.id, ordinal().label("ordinal"), _s.org_id, o.code, o.name, _s.since, _s.standing, _s.previous, _s.kind, _s.move,
                    _s.flagged, c.year, _s.period, _s.revision, superseded.label("superseded"), _s.reason, _s.actor,
                    _s.recorded_at)
             .join_from(Standing.__table__, Organization.__table__, o.id == _s.org_id)
             .join(Cycle.__table__, c.id == _s.cycle_id, isouter=True)
             .where(_s.tenant_id == tenant_id))
    if org_id is not None:
        query = query.where(_s.org_id == org_id)
    frame = pd.read_sql(query, conn)
    if frame.empty:
        return pd.DataFrame({name: [] for name in HISTORY_COLUMNS})
    for column in ("flagged", "superseded"):
        frame[column] = frame[column].astype(bool)
    frame["since"] = pd.to_datetime(frame["since"], utc=True)
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    frame["year"] = frame["year"].astype("Int64")
    frame[["previous", "period"]] = frame[["previous", "period"]].astype(object).where(
        frame[["previous", "period"]].notna(), None)
    # a revision sits right after the step it revises
    return frame.sort_values(["ordinal", "revision"], kind="stable").reset_index(drop=True)[HISTORY_COLUMNS]


def relapses(conn: Connection, tenant_id: int, *, year: int | None = None, where=None) -> pd.DataFrame:
    """The relapses flagged (反弹预警), effective ones, latest first: ``org_id``, ``code``, ``name``, ``period``,
    ``since``, ``previous``, ``standing``, ``reason``; of one cycle's year when given."""
    o, c = Organization.__table__.c, Cycle.__table__.c
    query = (select(_s.org_id, o.code, o.name, c.year, _s.period, _s.since, _s.previous, _s.standing, _s.reason)
             .join_from(Standing.__table__, Organization.__table__, o.id == _s.org_id)
             .join(Cycle.__table__, c.id == _s.cycle_id)
             .where(_s.tenant_id == tenant_id, _s.kind == StandingKind.relapse.value, _s.flagged.is_(True),
                    _effective())
             .order_by(ordinal().desc()))
    if year is not None:
        query = query.where(c.year == year)
    if where is not None:
        query = query.where(where(_s.org_id))
    frame = pd.read_sql(query, conn)
    frame["since"] = pd.to_datetime(frame["since"], utc=True)
    return frame


# --- writing: publication, correction, by hand ----------------------------------------------------


def _published_at(conn: Connection, cycle_id: int, period: str) -> datetime | None:
    e = Evaluation.__table__.c
    stamp = conn.execute(select(func.min(e.published_at)).where(e.cycle_id == cycle_id, e.period == period)).scalar()
    return None if stamp is None else as_utc(stamp)


def _results(conn: Connection, cycle_id: int, period: str) -> pd.DataFrame:
    """A period's branch results as the rules read them, with their evaluation ids."""
    e = Evaluation.__table__.c
    frame = pd.read_sql(select(e.id.label("evaluation_id"), e.org_id, e.grade, e.tier, e.vetoed, e.rate)
                        .where(e.cycle_id == cycle_id, e.period == period, e.level == OrgLevel.branch.value), conn)
    frame["vetoed"] = frame["vetoed"].astype(bool)
    return frame


def record(conn: Connection, *, cycle: Cycle, period: Period, actor: str) -> int:
    """Decide the standings ``period`` moves (a grading or a watched period of the cycle's scheme) and append its
    steps, in ``conn``'s transaction — the publication's, after its moment is stamped — with an audit row. A period
    decided before is not decided again (the same publication twice acts once). Returns the steps appended."""
    scheme = cycle_scheme(cycle)
    if moment(scheme, period) is None:
        return 0
    done = conn.execute(select(_s.id).where(_s.cycle_id == cycle.id, _s.period == period.key).limit(1)).first()
    since = _published_at(conn, cycle.id, period.key)
    if done is not None or since is None:
        return 0
    results = _results(conn, cycle.id, period.key)
    made = decide(scheme, period, results, fold(effective_steps(conn, cycle.tenant_id)))  # all recorded: before it
    rows = _rows(made, cycle=cycle, period=period, since=since, results=results, actor=actor)
    _insert(conn, rows)
    tally = made.groupby(["kind", "move"]).size()
    audit.record(conn, tenant_id=cycle.tenant_id, actor=actor, action="decide", entity="standings",
                 entity_id=cycle.id, new={"period": period.key, "steps": len(rows),
                                          "moves": {f"{k}:{m}": int(n) for (k, m), n in tally.items()}})
    return len(rows)


def _insert(conn: Connection, rows: list[dict]) -> None:
    """Append steps in one bulk insert (a grading of 100 000 branches writes twice as many)."""
    if rows:
        bulk_insert(conn, Standing.__table__, {name: [row[name] for row in rows] for name in rows[0]})


def _rows(made: pd.DataFrame, *, cycle: Cycle, period: Period, since: datetime, results: pd.DataFrame, actor: str,
          revisions: dict | None = None, note: str = "") -> list[dict]:
    """Rows of ``standing`` for a period's steps; ``revisions``: (org, kind) → (revision, the first row's id) of the
    steps they revise."""
    evaluation = dict(zip(results["org_id"], results["evaluation_id"]))
    revisions = revisions or {}
    now = utcnow()
    return [{"tenant_id": cycle.tenant_id, "org_id": int(m.org_id), "standing": m.standing,
             "previous": None if m.previous is None or pd.isna(m.previous) else m.previous, "kind": m.kind,
             "move": m.move, "flagged": bool(m.flagged), "since": since, "cycle_id": cycle.id, "period": period.key,
             "evaluation_id": None if m.org_id not in evaluation else int(evaluation[m.org_id]),
             "revision": revisions.get((int(m.org_id), m.kind), (0, None))[0],
             "revises": revisions.get((int(m.org_id), m.kind), (0, None))[1], "reason": note + m.reason,
             "actor": actor, "recorded_at": now}
            for m in made.itertuples(index=False)]


def redecide(conn: Connection, *, cycle: Cycle, period: Period, actor: str, note: str) -> int:
    """Decide the standings again after a correction of ``period`` (published), in ``conn``'s transaction: the
    period and every grading or watched period after it, each from the standing the one before leaves (manual sets
    in between kept as they were). Wherever a step differs from the effective one, a revision is appended (a step no
    longer taken: a ``void`` one, the standing as it was before it), and the changes are audited with ``note``, the
    correction's reason. Returns the revisions appended."""
    if moment(cycle_scheme(cycle), period) is None or _published_at(conn, cycle.id, period.key) is None:
        return 0
    steps = effective_steps(conn, cycle.tenant_id)
    placed = _decision_periods(conn, cycle.tenant_id, steps)
    start = next(key for key, c, p, _ in placed if c.id == cycle.id and p.key == period.key)
    chain = [(key, c, p, at) for key, c, p, at in placed if key >= start]
    decided = {(c.id, p.key) for _, c, p, _ in chain}
    of_chain = pd.Series([(ci, pk) in decided for ci, pk in zip(steps["cycle_id"], steps["period"])], index=steps.index,
                         dtype=bool)
    replayed = steps[~of_chain & (steps["ordinal"] < start)]  # what stands before the period corrected
    manual = steps[~of_chain & (steps["ordinal"] >= start)]  # set by hand since: kept, each in its place
    events = sorted([*((key, "period", (c, p, at)) for key, c, p, at in chain),
                     *((float(m.ordinal), "manual", m) for m in manual.itertuples(index=False))], key=lambda e: e[0])
    appended: list[dict] = []
    changes: list[dict] = []
    for key, what, item in events:
        if what == "manual":
            replayed = pd.concat([replayed, manual[manual["ordinal"] == item.ordinal]], ignore_index=True)
            continue
        c, p, at = item
        state = fold(replayed)
        results = _results(conn, c.id, p.key)
        made = decide(cycle_scheme(c), p, results, state)
        recorded = steps[(steps["cycle_id"] == c.id) & (steps["period"] == p.key)]
        rows, changed = _revisions(made, recorded, state, cycle=c, period=p, since=at, results=results, actor=actor,
                                   note=f"更正后重新认定（{note}）：")
        appended += rows
        changes += changed
        # the period's steps as now decided, in its place (an initial step before its grading)
        replayed = pd.concat([replayed, made.assign(ordinal=key + np.arange(len(made)) * 1e-9)], ignore_index=True)
    if appended:
        _insert(conn, appended)
        audit.record(conn, tenant_id=cycle.tenant_id, actor=actor, action="redecide", entity="standings",
                     entity_id=cycle.id, note=note, new={"period": period.key, "changes": changes})
    return len(appended)


def _decision_periods(conn: Connection, tenant_id: int, steps: pd.DataFrame
                      ) -> list[tuple[float, Cycle, Period, datetime]]:
    """The tenant's published periods that grade or watch standings, each with its place among the ``steps``
    recorded: the first of its own steps, or — a period that took none — where its publication falls among theirs;
    in that order."""
    e = Evaluation.__table__.c
    rows = conn.execute(select(e.cycle_id, e.period, func.min(e.published_at))
                        .where(e.tenant_id == tenant_id, e.status == EvaluationStatus.published.value,
                               e.published_at.is_not(None))
                        .group_by(e.cycle_id, e.period)).all()
    cycles: dict[int, Cycle] = {}
    placed = []
    for cycle_id, key, at in rows:
        if cycle_id not in cycles:
            cycles[cycle_id] = Session(bind=conn).get(Cycle, cycle_id)
        period = Period.parse(key)
        if moment(cycle_scheme(cycles[cycle_id]), period) is None:
            continue
        at = as_utc(at)
        own = steps.loc[(steps["cycle_id"] == cycle_id) & (steps["period"] == key), "ordinal"]
        after = steps.loc[steps["since"] > at, "ordinal"]
        place = float(own.min()) if len(own) else float(after.min()) - 0.5 if len(after) else float("inf")
        placed.append((place, cycles[cycle_id], period, at))
    return sorted(placed, key=lambda item: (item[0], item[3], time_order(item[2].key)))


def _revisions(made: pd.DataFrame, recorded: pd.DataFrame, state: pd.DataFrame, *, cycle: Cycle, period: Period,
               since: datetime, results: pd.DataFrame, actor: str, note: str) -> tuple[list[dict], list[dict]]:
    """The revision rows that make ``recorded`` (a period's effective steps) say ``made``, and the changes."""
    key = ["org_id", "kind"]
    live = recorded[recorded["move"] != "void"]
    both = made.merge(live[[*key, "standing", "previous", "move", "flagged", "revision"]], on=key, how="outer",
                      suffixes=("", "_old"), indicator=True)
    differs = (both["_merge"] == "left_only") | ((both["_merge"] == "both") & (
        (both["standing"] != both["standing_old"]) | (both["move"] != both["move_old"])
        | (both["flagged"].astype(bool) != both["flagged_old"].astype(bool))
        | (both["previous"].fillna("") != both["previous_old"].fillna(""))))
    voided = both[both["_merge"] == "right_only"]
    standing_now = dict(zip(state["org_id"], state["standing"]))
    void = pd.DataFrame({"org_id": voided["org_id"], "kind": voided["kind"],
                         "previous": voided["org_id"].map(standing_now),
                         "standing": voided["org_id"].map(standing_now).fillna(voided["previous_old"]),
                         "move": "void", "flagged": False,
                         "reason": [f"{period.label}不再认定（原：{r}）" for r in voided["standing_old"]]})
    redo = both.loc[differs, MOVE_COLUMNS]
    revision_of = {(int(o), k): (int(n) + 1, int(first))
                   for o, k, n, first in zip(recorded["org_id"], recorded["kind"], recorded["revision"],
                                             recorded["ordinal"])}
    made_rows = pd.concat([redo, void], ignore_index=True)
    rows = _rows(made_rows, cycle=cycle, period=period, since=since, results=results, actor=actor,
                 revisions=revision_of, note=note)
    old = {(int(o), k): s for o, k, s in zip(live["org_id"], live["kind"], live["standing"])}
    changes = [{"org_id": r["org_id"], "period": period.key, "kind": r["kind"],
                "old": old.get((r["org_id"], r["kind"])), "new": None if r["move"] == "void" else r["standing"]}
               for r in rows]
    return rows, changes


def ladder_of(conn: Connection, tenant_id: int) -> StandingRule:
    """The standing rule of the tenant's latest cycle whose scheme grades standings; refused when none does."""
    for cycle in Session(bind=conn).exec(select_model(Cycle).where(Cycle.tenant_id == tenant_id)
                                         .order_by(Cycle.year.desc())):
        rule = cycle_scheme(cycle).standings
        if rule is not None:
            return rule
    raise BastionError(tr("本单位的考核方案没有规定档次（standings），无从定级",
                          "the tenant's schemes grade no standings (standings)"))


def set_standing(conn: Connection, principal: Principal, *, org_code: str, standing: str, reason: str,
                 now: datetime | None = None) -> dict:
    """Set a branch's standing by hand (分类定级 by the superior), in ``conn``'s transaction, audited: an
    administrator of the branch, a standing of the ladder, a reason. It holds from ``now``, until the next step."""
    if not reason.strip():
        raise BastionError(tr("定级须写明理由（--reason）", "setting a standing needs its reason (--reason)"))
    o = Organization.__table__.c
    org = conn.execute(select(o.id, o.code, o.level).where(o.tenant_id == principal.tenant_id,
                                                           code_is(o.code, org_code))).first()
    if org is None:
        raise NotFound(tr(f"本单位没有党组织 {org_code}", f"no organisation {org_code} in this tenant"))
    require(conn, principal, Action.administer, org.id)
    if org.level != OrgLevel.branch.value:
        raise BastionError(tr(f"{org.code} 不是党支部：档次只评定党支部", f"{org.code} is not a branch: only branches hold a standing"))
    rule = ladder_of(conn, principal.tenant_id)
    if standing not in rule.ladder:
        raise BastionError(tr(f"{rule.name} {standing!r} 不在方案的{rule.name}序列中（可用：{'、'.join(rule.ladder)}）",
                              f"{standing!r} is not a standing of the scheme (standings: {', '.join(rule.ladder)})"))
    before = current(conn, principal.tenant_id, org_ids=[org.id])
    previous = None if before.empty else before.iloc[0]["standing"]
    row = {"tenant_id": principal.tenant_id, "org_id": org.id, "standing": standing, "previous": previous,
           "kind": StandingKind.manual.value, "move": "set", "flagged": False, "since": now or utcnow(),
           "revision": 0, "revises": None, "reason": f"上级定级：{reason.strip()}", "actor": principal.username,
           "recorded_at": utcnow()}
    conn.execute(Standing.__table__.insert(), [row])
    audit.record(conn, tenant_id=principal.tenant_id, actor=principal.username, action="set", entity="standing",
                 entity_id=org.id, old={"standing": previous}, new={"standing": standing}, note=reason.strip())
    return {"org_id": org.id, "code": org.code, "previous": previous, "standing": standing}
