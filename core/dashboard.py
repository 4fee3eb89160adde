"""What the leaders' dashboard (领导驾驶舱) shows, aggregated in the database and scoped to the principal.

Every function takes the :class:`~bastion.core.access.Principal` and sees only the organisations
its roles reach; results before publication only for those who may see drafts. ``under`` narrows a
figure to the subtree of one organisation the principal may see: the node the drill-down stands on
(committee → general branch → branch). Large tables come a page at a time (``LIMIT``/``OFFSET``
with the total count), and everything else is counted, summed and averaged in SQL, so that the
figures of 100 000 branches never pass through Python row by row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Float, String, case, cast, func, null, or_, select, true, union_all
from sqlmodel import Session

from .access import Action, Forbidden, Principal, allows, require, subtree, visible
from . import restructuring, snapshots, standings
from .bulletins import queries as bulletin_queries
from .bulletins.queries import BulletinInfo
from .cycles import cycle_scheme
from .periods import TIME_ZONE, Period
from .errors import BastionError, NotFound
from .exports import xlsx
from .i18n import tr
from .rectification.queries import count_notices
from .models import (
    BlockSubtotal,
    Cycle,
    Evaluation,
    EvaluationLine,
    EvaluationStatus,
    IndicatorKind,
    Organization,
    OrgLevel,
    OrgSnapshot,
    Rectification,
    Role,
)
from .engine import NOT_GRADED
from .results import Explanation, explain, grade_label
from .words import ROLE, period_name, word

RANKING_COLUMNS = ("org_id", "rank", "code", "name", "parent", "total", "rate", "grade", "tier", "vetoed", "vetoes",
                   "status")
PAGE_SIZE = 50
HEATMAP_ROWS = 40
MAX_PAGE_SIZE = 1000
DASHBOARD_ROLES = frozenset({Role.admin.value, Role.leader.value, Role.inspector.value})


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the dashboard for one period."""

    branches: int
    average: float | None
    advanced: int
    unqualified: int
    open_notices: int
    overdue_notices: int


@dataclass(frozen=True)
class Node:
    """An organisation on the drill-down path."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class Page:
    """One page of a longer table: its rows and how many there are in all."""

    rows: pd.DataFrame
    total: int
    limit: int
    offset: int


# --- scope ----------------------------------------------------------------------------------


def _viewer(conn: Connection, principal: Principal) -> Principal:
    """The principal with only the grants of the dashboard's roles (管理员、领导、督查人员), or Forbidden.

    A branch secretary sees their branch's results in their workspace, not here; a user who is also
    a secretary somewhere sees here only what their other roles reach.
    """
    grants = tuple((role, org) for role, org in principal.grants if role in DASHBOARD_ROLES)
    if not grants:
        roles = sorted(principal.roles)
        raise Forbidden(tr(f"{principal.username} 无权打开领导驾驶舱（角色：{'、'.join(word(ROLE, r) for r in roles) or '无'}）",
                           f"{principal.username} may not open the leaders' dashboard "
                           f"(roles: {', '.join(roles) or 'none'})"))
    narrowed = replace(principal, grants=grants)
    require(conn, narrowed, Action.view_results)
    return narrowed


def _is_top(conn: Connection, tenant_id: int, org_id: int) -> bool:
    o = Organization.__table__.c
    return conn.execute(select(o.id).where(o.id == org_id, o.tenant_id == tenant_id,
                                           o.parent_id.is_(None))).first() is not None


def _scope(conn: Connection, principal: Principal, under: int | None, org_column):
    """A condition keeping ``org_column`` in the principal's scope and, when given, in the subtree of ``under``
    (refused when ``under`` is out of scope, so its subtree is inside it and needs no second condition)."""
    if under is None:
        return visible(conn, principal, Action.view_results, org_column)
    require(conn, principal, Action.view_results, under)
    if _is_top(conn, principal.tenant_id, under):
        return true()  # the tenant filter says it already, without walking 100 000 branches
    return org_column.in_(subtree(principal.tenant_id, [under]))


def _evaluations(conn: Connection, principal: Principal, cycle_id: int, period: str, under: int | None = None,
                 level: str = OrgLevel.branch.value):
    """The conditions on a period's evaluations of one level (党支部 unless said) the principal may see.

    The cycle is checked to be the tenant's once, here, so that the evaluations are filtered on
    (cycle, period) alone: a condition on their tenant too leads SQLite to the tenant's index,
    every period of every year, instead of the period's.
    """
    _cycle(conn, principal, cycle_id)
    e = Evaluation.__table__.c
    where = [e.cycle_id == cycle_id, e.period == period, e.level == level, _scope(conn, principal, under, e.org_id)]
    if not principal.may(Action.view_drafts):
        where.append(e.status == EvaluationStatus.published.value)
    return where


def _cycle(conn: Connection, principal: Principal, cycle_id: int) -> Cycle:
    cycle = Session(bind=conn).get(Cycle, cycle_id)
    if cycle is None or cycle.tenant_id != principal.tenant_id:
        raise NotFound(tr(f"本单位没有考核年度 {cycle_id}", f"no cycle {cycle_id} in this tenant"))
    return cycle


def _count(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _node(row) -> Node:
    return Node(id=int(row.id), code=row.code, name=row.name, level=row.level,
                parent_id=None if row.parent_id is None else int(row.parent_id))


def _org_columns():
    o = Organization.__table__.c
    return o.id, o.code, o.name, o.level, o.parent_id


def sees_whole_tenant(conn: Connection, principal: Principal) -> bool:
    """Whether the principal's results reach every top organisation of its tenant (the bulletins are theirs)."""
    principal = _viewer(conn, principal)
    o = Organization.__table__.c
    tops = conn.execute(select(o.id).where(o.tenant_id == principal.tenant_id, o.parent_id.is_(None))).scalars().all()
    return bool(tops) and all(allows(conn, principal, Action.view_results, top) for top in tops)


def drill_roots(conn: Connection, principal: Principal) -> list[Node]:
    """Where the principal's drill-down starts: the organisations granted to them, less those under another."""
    principal = _viewer(conn, principal)
    o = Organization.__table__.c
    granted = principal.roots(Action.view_results)
    rows = conn.execute(select(*_org_columns()).where(o.tenant_id == principal.tenant_id, o.id.in_(granted))
                        .order_by(o.code)).all()
    parents = dict(conn.execute(select(o.id, o.parent_id).where(o.tenant_id == principal.tenant_id)
                                .where(o.id.in_(ancestors(conn, principal.tenant_id, granted)))).all())
    return [_node(r) for r in rows if not _has_ancestor_in(r.id, parents, set(granted))]


def ancestors(conn: Connection, tenant_id: int, org_ids) -> list[int]:
    """``org_ids`` and all their ancestors, walking up the tree in SQL."""
    o = Organization.__table__
    up = select(o.c.id, o.c.parent_id).where(o.c.tenant_id == tenant_id, o.c.id.in_(list(org_ids))) \
        .cte("ancestors", recursive=True)
    parent = o.alias("parent")
    up = up.union_all(select(parent.c.id, parent.c.parent_id).where(parent.c.id == up.c.parent_id))
    return sorted(set(conn.execute(select(up.c.id)).scalars()))


def _has_ancestor_in(org_id: int, parents: dict[int, int | None], granted: set[int]) -> bool:
    parent = parents.get(org_id)
    while parent is not None:
        if parent in granted:
            return True
        parent = parents.get(parent)
    return False


def _one_level_down(conn: Connection, principal: Principal, org_id: int | None):
    """Which organisations stand one level below ``org_id`` on the drill-down: its children, or the
    principal's roots when None."""
    principal = _viewer(conn, principal)
    require(conn, principal, Action.view_results, org_id)
    o = Organization.__table__.c
    if org_id is None:
        return [o.tenant_id == principal.tenant_id, o.id.in_([n.id for n in drill_roots(conn, principal)])]
    return [o.tenant_id == principal.tenant_id, o.parent_id == org_id]


def children(conn: Connection, principal: Principal, org_id: int | None, *, search: str = "",
             limit: int = 200, offset: int = 0) -> Page:
    """The organisations one level down the drill-down (the principal's roots when ``org_id`` is None),
    by code, searched by name or code; a page of at most ``limit`` with the total."""
    o = Organization.__table__.c
    where = [*_one_level_down(conn, principal, org_id), _matches(search)]
    total = conn.execute(select(func.count()).select_from(Organization.__table__).where(*where)).scalar_one()
    rows = conn.execute(select(*_org_columns()).where(*where).order_by(o.code)
                        .limit(_limit(limit)).offset(_offset(offset))).all()
    frame = pd.DataFrame([_node(r).__dict__ for r in rows], columns=["id", "code", "name", "level", "parent_id"])
    return Page(rows=frame, total=int(total), limit=limit, offset=offset)


def node(conn: Connection, principal: Principal, org_id: int) -> Node:
    """One organisation the principal may see."""
    principal = _viewer(conn, principal)
    require(conn, principal, Action.view_results, org_id)
    o = Organization.__table__.c
    return _node(conn.execute(select(*_org_columns()).where(o.id == org_id)).one())


def _matches(search: str, named=None):
    """Whether an organisation's name or code contains ``search`` (``named``: the table whose ``name`` and
    ``code`` to search, the organisations as they are by default)."""
    text = (search or "").strip()
    if not text:
        return true()
    o = (Organization.__table__ if named is None else named).c
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(o.name.ilike(pattern, escape="\\"), o.code.ilike(pattern, escape="\\"))


def _offset(offset: int) -> int:
    if offset < 0:
        raise BastionError(tr(f"分页不能从第一行之前开始（offset {offset}）",
                              f"a page cannot start before the first row (offset {offset})"))
    return offset


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BastionError(tr(f"每页条数须在 1 到 {MAX_PAGE_SIZE} 之间，不能是 {limit}",
                              f"page size must be between 1 and {MAX_PAGE_SIZE}, not {limit}"))
    return limit


# --- figures ---------------------------------------------------------------------------------


def headline(conn: Connection, principal: Principal, *, cycle_id: int, period: str, unqualified_grade: str,
             today: date | None = None, under: int | None = None) -> Headline:
    """Branches, their average (of the total for the year, of the rate for a shorter period: what it grades by),
    how many may be named advanced, how many are unqualified (vetoed or graded ``unqualified_grade``), and the
    cycle's open and overdue rectification notices."""
    principal = _viewer(conn, principal)
    e, r = Evaluation.__table__.c, Rectification.__table__.c
    averaged = e.total if Period.parse(period).months == 12 else e.rate
    row = conn.execute(select(func.count(), func.avg(averaged), _count(e.advanced_eligible),
                              _count(e.vetoed | (e.grade == unqualified_grade)))
                       .where(*_evaluations(conn, principal, cycle_id, period, under))).one()
    today = today or date.today()
    open_notices, overdue_notices = count_notices(conn, tenant_id=principal.tenant_id, cycle_id=cycle_id,
                                                  today=today, where=_scope(conn, principal, under, r.org_id))
    return Headline(branches=int(row[0]), average=None if row[1] is None else round(float(row[1]), 2),
                    advanced=int(row[2]), unqualified=int(row[3]), open_notices=open_notices,
                    overdue_notices=overdue_notices)


def _ranking_query(conn: Connection, principal: Principal, cycle_id: int, period: str, search: str,
                   under: int | None, level: str = OrgLevel.branch.value):
    e = Evaluation.__table__.c
    joined, org, parent = snapshots.named(Evaluation.__table__)  # named as they were when scored
    o = org.c
    where = [*_evaluations(conn, principal, cycle_id, period, under, level), _matches(search, org)]
    rows = (select(e.org_id, e.rank, o.code, o.name, parent.c.name.label("parent"), e.total, e.rate, e.grade, e.tier,
                   e.vetoed, e.veto_reasons, e.status)
            .select_from(joined).where(*where).order_by(e.rank, o.code))
    count = select(func.count()).select_from(joined).where(*where)
    return rows, count


def _ranking_frame(conn: Connection, query) -> pd.DataFrame:
    frame = pd.DataFrame(conn.execute(query).all(),
                         columns=["org_id", "rank", "code", "name", "parent", "total", "rate", "grade", "tier",
                                  "vetoed", "veto_reasons", "status"])
    frame["vetoed"] = frame["vetoed"].astype(bool)
    frame["total"] = frame["total"].astype(float)
    frame["rate"] = frame["rate"].astype(float)
    frame["vetoes"] = frame.pop("veto_reasons").map(lambda v: "；".join(_as_list(v)))
    frame["grade"] = frame["grade"].map(grade_label)
    return frame[list(RANKING_COLUMNS)]


def ranking(conn: Connection, principal: Principal, *, cycle_id: int, period: str, search: str = "",
            under: int | None = None, limit: int = PAGE_SIZE, offset: int = 0,
            level: str = OrgLevel.branch.value) -> Page:
    """One page of the period's ranking (排名) of one level in rank order, searched by the organisation's name or
    code."""
    principal = _viewer(conn, principal)
    rows, count = _ranking_query(conn, principal, cycle_id, period, search, under, level)
    total = conn.execute(count).scalar_one()
    frame = _ranking_frame(conn, rows.limit(_limit(limit)).offset(_offset(offset)))
    if level == OrgLevel.branch.value:  # 星级 beside the result, for the page's branches
        frame = standings.beside(conn, _cycle(conn, principal, cycle_id), period, frame)
    return Page(rows=frame, total=int(total), limit=limit, offset=offset)


def ranking_table(conn: Connection, principal: Principal, *, cycle_id: int, period: str, search: str = "",
                  under: int | None = None, level: str = OrgLevel.branch.value) -> pd.DataFrame:
    """The whole ranking the page shows a page of (for the download)."""
    principal = _viewer(conn, principal)
    rows, _ = _ranking_query(conn, principal, cycle_id, period, search, under, level)
    frame = _ranking_frame(conn, rows)
    if level == OrgLevel.branch.value:
        frame = standings.beside(conn, _cycle(conn, principal, cycle_id), period, frame)
    return frame


def ranking_xlsx(conn: Connection, principal: Principal, *, cycle_id: int, period: str, search: str = "",
                 under: int | None = None, headers: dict[str, str] | None = None,
                 level: str = OrgLevel.branch.value) -> bytes:
    """The ranking as an Excel workbook: a title row naming the cycle and period, then ``headers`` (which
    name and pick the columns, in order) and a row per organisation, columns as wide as their text."""
    principal = _viewer(conn, principal)
    cycle = _cycle(conn, principal, cycle_id)
    frame = ranking_table(conn, principal, cycle_id=cycle_id, period=period, search=search, under=under, level=level)
    headers = headers or {c: c for c in RANKING_COLUMNS if c != "org_id"}
    name = period_name(period)
    title = tr(f"{cycle.name} · {name}党组织排名", f"{cycle.name} · ranking, {name}") + (f"（{search}）" if search else "")
    return xlsx(sheet_name=tr(f"{name}排名", f"Ranking {name}"), title=title, headers=list(headers.values()),
                rows=frame[list(headers)].itertuples(index=False))


def distribution(conn: Connection, principal: Principal, *, cycle_id: int, period: str, by: str,
                 under: int | None = None) -> pd.DataFrame:
    """How many branches in each grade (等次) or tier (档次), in the scheme's order, empty ones included; no
    rows by grade for a period the scheme does not grade."""
    if by not in ("grade", "tier"):
        raise BastionError(tr(f"分布只能按等次（grade）或档次（tier）统计，不能按 {by!r}",
                              f"a distribution is by grade or tier, not {by!r}"))
    principal = _viewer(conn, principal)
    scheme = cycle_scheme(_cycle(conn, principal, cycle_id))
    column = Evaluation.__table__.c[by]
    counts = dict(conn.execute(select(column, func.count())
                               .where(*_evaluations(conn, principal, cycle_id, period, under))
                               .group_by(column)).all())
    if by == "grade":
        counts.pop(NOT_GRADED, None)  # a period its scheme does not grade (Scheme.graded): no grades to count
        if not counts:
            return pd.DataFrame({by: [], "branches": []})
        order = [g.name for g in scheme.grades] + [scheme.veto_grade]
    else:
        order = [b.name for b in scheme.tiers.bands]
    order = list(dict.fromkeys(order + sorted(set(counts) - set(order))))
    return pd.DataFrame({by: order, "branches": [int(counts.get(name, 0)) for name in order]})


def standing_counts(conn: Connection, principal: Principal, *, cycle_id: int,
                    under: int | None = None) -> pd.DataFrame | None:
    """How many of the principal's branches hold each standing now (分类定级, in the ladder's order, with
    ``unrated``: branches holding none yet), counted in the database; None when the cycle's scheme grades no
    standing."""
    principal = _viewer(conn, principal)
    rule = cycle_scheme(_cycle(conn, principal, cycle_id)).standings
    if rule is None:
        return None
    where = lambda column: _scope(conn, principal, under, column)
    frame = standings.counts(conn, principal.tenant_id, rule.ladder, where=where)
    o = Organization.__table__.c
    branches = conn.execute(select(func.count()).where(o.tenant_id == principal.tenant_id,
                                                       o.level == OrgLevel.branch.value, o.active.is_(True),
                                                       where(o.id))).scalar_one()
    return frame.assign(unrated=max(int(branches) - int(frame["branches"].sum()), 0))


def relapses(conn: Connection, principal: Principal, *, cycle_id: int, under: int | None = None) -> pd.DataFrame:
    """The relapses flagged (反弹预警) in the cycle's periods among the principal's branches, latest first: code,
    name, period, day, standing before and after, reason."""
    principal = _viewer(conn, principal)
    cycle = _cycle(conn, principal, cycle_id)
    frame = standings.relapses(conn, principal.tenant_id, year=cycle.year,
                               where=lambda column: _scope(conn, principal, under, column))
    return frame.assign(day=frame["since"].map(lambda m: m.tz_convert(TIME_ZONE).date()))[
        ["org_id", "code", "name", "period", "day", "previous", "standing", "reason"]]


def branch_standing(conn: Connection, principal: Principal, *, cycle_id: int, period: str,
                    org_id: int) -> dict | None:
    """A branch's standing beside its result of ``period`` (held once the period was published) and now, with what
    the scheme calls it; None when the cycle's scheme grades no standing."""
    principal = _viewer(conn, principal)
    require(conn, principal, Action.view_results, org_id)
    cycle = _cycle(conn, principal, cycle_id)
    rule = cycle_scheme(cycle).standings
    if rule is None:
        return None
    then = standings.beside(conn, cycle, period, pd.DataFrame({"org_id": [org_id]}))["standing"].iloc[0]
    now = standings.current(conn, principal.tenant_id, org_ids=[org_id])
    return {"name": rule.name, "then": then, "now": None if now.empty else now.iloc[0]["standing"],
            "reason": None if now.empty else now.iloc[0]["reason"]}


PERIOD_KINDS = {12: "year", 6: "half", 3: "quarter", 1: "month"}


def trend(conn: Connection, principal: Principal, *, under: int | None = None) -> pd.DataFrame:
    """The branches' average rate (得分率: the total where the whole table is assessed) of every period of every
    cycle of the tenant, in time order: a month is comparable with a year only so.

    ``end`` is the period's last day, ``kind`` its length (year, half, quarter, month): months and
    years are different series, not one line. ``under``: that organisation's subtree — with the organisations its
    branches carry (merged into them, or split with them as heirs: :func:`_carried_under`), so a branch's trend
    crosses its merge or split.
    """
    principal = _viewer(conn, principal)
    e, c = Evaluation.__table__.c, Cycle.__table__.c
    scope = _scope(conn, principal, under, e.org_id)
    if under is not None and (carried := _carried_under(conn, principal.tenant_id, under)):
        scope = or_(scope, e.org_id.in_(carried))  # 机构调整: the predecessors of the branches here count before
    where = [c.tenant_id == principal.tenant_id, e.level == OrgLevel.branch.value, scope]
    if not principal.may(Action.view_drafts):
        where.append(e.status == EvaluationStatus.published.value)
    rows = conn.execute(select(c.year, e.period, func.count(), func.avg(e.rate))
                        .join_from(Evaluation.__table__, Cycle.__table__, e.cycle_id == c.id)
                        .where(*where).group_by(c.year, e.period)).all()
    records = []
    for year, key, branches, average in rows:
        period = Period.parse(key)
        records.append({"year": int(year), "period": key, "kind": PERIOD_KINDS[period.months],
                        "end": period.end - timedelta(days=1), "branches": int(branches),
                        "average": round(float(average), 2)})
    frame = pd.DataFrame(records, columns=["year", "period", "kind", "end", "branches", "average"])
    return frame.sort_values(["end", "kind"]).reset_index(drop=True)


def _carried_under(conn: Connection, tenant_id: int, under: int) -> list[int]:
    """The organisations merged away or split whose heir is ``under`` or under it now (``restructuring.heirs``): a
    branch's trend crosses its merge or split."""
    heir_of = restructuring.heirs(conn, tenant_id)
    if not heir_of:
        return []
    o = Organization.__table__.c
    here = set(conn.execute(select(o.id).where(o.id.in_(set(heir_of.values())),
                                               o.id.in_(subtree(tenant_id, [under])))).scalars())
    return sorted(p for p, h in heir_of.items() if h in here)


def results_stamp(conn: Connection, principal: Principal, *, cycle_id: int, period: str) -> str:
    """An opaque token that changes when the period's results do (scored again, reviewed, published,
    corrected): what a cache of the costlier figures is keyed on, so it can live long."""
    principal = _viewer(conn, principal)
    e = Evaluation.__table__.c
    _cycle(conn, principal, cycle_id)
    row = conn.execute(select(func.count(), func.max(e.id), func.max(e.scored_at), func.sum(e.total),
                              _count(e.status == EvaluationStatus.published.value))
                       .where(e.cycle_id == cycle_id, e.period == period)).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:16]


# --- heatmap ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heatmap:
    """Organisations × indicator blocks: ``cells`` has one row per (organisation, block)."""

    cells: pd.DataFrame
    total_rows: int
    limit: int
    offset: int


def blocks(conn: Connection, principal: Principal, cycle_id: int, period: str | None = None) -> pd.DataFrame:
    """The cycle's indicator blocks in scheme order with the points their branch indicators carry at most (veto
    indicators none; in ``period``, only the indicators assessed in it: a month's blocks are out of what the
    month assesses); blocks that can give no points are left out."""
    principal = _viewer(conn, principal)
    scheme = cycle_scheme(_cycle(conn, principal, cycle_id))
    assessed = None if period is None else _assessed_in(conn, cycle_id, period)
    rows = []
    for block in scheme.blocks:
        points = sum(i.points for i in block.indicators
                     if i.kind != IndicatorKind.veto and OrgLevel.branch in i.levels
                     and (assessed is None or assessed.get(i.code, True)))
        if points > 0:
            rows.append((block.code, block.name, float(points)))
    return pd.DataFrame(rows, columns=["block_code", "block_name", "max_points"])


def _assessed_in(conn: Connection, cycle_id: int, period: str) -> dict[str, bool]:
    """Which indicators the period assessed (decided for the whole period, so one branch's lines tell)."""
    e, line = Evaluation.__table__.c, EvaluationLine.__table__.c
    first = (select(func.min(e.id)).where(e.cycle_id == cycle_id, e.period == period,
                                          e.level == OrgLevel.branch.value).scalar_subquery())
    return {code: bool(assessed) for code, assessed in
            conn.execute(select(line.indicator_code, line.assessed).where(line.evaluation_id == first)).all()}


def heatmap(conn: Connection, principal: Principal, *, cycle_id: int, period: str, node_id: int | None = None,
            limit: int = HEATMAP_ROWS, offset: int = 0) -> Heatmap:
    """For each child of ``node_id`` (the principal's roots when None) and each block: the average points the
    block gave the evaluations in the child's subtree, as a share of the block's maximum.

    ``cells`` has the columns ``org_id, code, name, block_code, block_name, evaluations, average,
    max_points, share``, a row per (child, block) in the children's code order and the scheme's
    block order. A child whose subtree has no evaluation of the period (visible to the principal)
    keeps its rows, so that every page has the children :func:`children` pages: ``evaluations``
    is 0 there and ``average`` and ``share`` are NaN (the columns stay float) — no result, which
    is not 0 points; a page leaves those cells blank.

    The rows and their subtrees are the tree as it was when the period was scored (``core.snapshots``): a
    general branch renamed, moved or merged since keeps its row, its name and its branches there.

    Rows are paged (by code) before anything is summed, so a general branch of 25 000 branches costs
    a page of them. The points come from the evaluations' block subtotals (``BlockSubtotal``, a few
    rows per evaluation, written with its lines), not from the lines: at the top of 100 000
    branches that is 0.7 M small rows instead of 6 M lines. Every row is in the principal's scope
    (a root or under one), and so is everything below it.
    """
    principal = _viewer(conn, principal)
    rows = _heat_rows(conn, principal, cycle_id, period, node_id, limit=limit, offset=offset)
    page = list(rows.rows.itertuples())
    block_frame = blocks(conn, principal, cycle_id, period)
    if not page or block_frame.empty:
        return Heatmap(_heat_frame([]), rows.total, limit, offset)
    records = []
    for r in page:
        n, by_block = _subtree_blocks(conn, principal, cycle_id, period, int(r.id))
        for b in block_frame.itertuples():
            average = round(round(by_block.get(b.block_code, 0.0), SUM_PLACES) / n, 4) if n else float("nan")
            share = round(average / b.max_points, 4) if n else float("nan")
            records.append([int(r.id), r.code, r.name, b.block_code, b.block_name, n, average, b.max_points, share])
    return Heatmap(_heat_frame(records), rows.total, limit, offset)


def _heat_rows(conn: Connection, principal: Principal, cycle_id: int, period: str, node_id: int | None, *,
               limit: int, offset: int) -> Page:
    """The heatmap's rows: the organisations one level below ``node_id`` (the principal's roots when None) in the
    period's snapshot, by code, a page of them with the total."""
    require(conn, principal, Action.view_results, node_id)
    s = OrgSnapshot.__table__.c
    where = [s.cycle_id == cycle_id, s.period == period,
             s.org_id.in_([n.id for n in drill_roots(conn, principal)]) if node_id is None else s.parent_id == node_id]
    total = conn.execute(select(func.count()).select_from(OrgSnapshot.__table__).where(*where)).scalar_one()
    rows = conn.execute(select(s.org_id.label("id"), s.code, s.name, s.level, s.parent_id).where(*where)
                        .order_by(s.code).limit(_limit(limit)).offset(_offset(offset))).all()
    frame = pd.DataFrame([_node(r).__dict__ for r in rows], columns=["id", "code", "name", "level", "parent_id"])
    return Page(rows=frame, total=int(total), limit=limit, offset=offset)


SUM_PLACES = 6
"""A block's points summed over a subtree are rounded to this many places before they are averaged: lines
have two (``engine.ROUND``), so this undoes only the floating-point noise of the sum, whose order differs
between databases and between summing lines and summing subtotals; an average on a rounding boundary
(13.07375) then shows the same fourth place whichever way it was summed."""

HEATMAP_COLUMNS = ["org_id", "code", "name", "block_code", "block_name", "evaluations", "average", "max_points",
                   "share"]


def _heat_frame(records: list[list]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=HEATMAP_COLUMNS)
    return frame.astype({"org_id": "int64", "evaluations": "int64", "average": float, "max_points": float,
                         "share": float})


def _subtree_blocks(conn: Connection, principal: Principal, cycle_id: int, period: str,
                    row_id: int) -> tuple[int, dict[str, float]]:
    """How many evaluations the subtree of ``row_id`` has, and the points per block they add up to.

    One statement per row: the subtree's evaluations are found once (a CTE used twice, which both
    databases materialise) and give their count (the row whose block is NULL) and their block
    subtotals summed per block. An evaluation without subtotals (no lines) counts, with no points.
    """
    snap = OrgSnapshot.__table__
    tree = select(snap.c.org_id).where(snap.c.cycle_id == cycle_id, snap.c.period == period, snap.c.org_id == row_id) \
        .cte("heat_row", recursive=True)
    child = snap.alias("child")  # the subtree as it was when the period was scored
    tree = tree.union_all(select(child.c.org_id).where(child.c.cycle_id == cycle_id, child.c.period == period,
                                                      child.c.parent_id == tree.c.org_id))
    e, block = Evaluation.__table__.c, BlockSubtotal.__table__.c
    # the tenant's: the cycle was checked, and its snapshot is the tenant's; branches only (a 党总支 in the subtree has its own result)
    where = [e.cycle_id == cycle_id, e.period == period, e.level == OrgLevel.branch.value]
    if not principal.may(Action.view_drafts):
        where.append(e.status == EvaluationStatus.published.value)
    where.append(e.org_id.in_(select(tree.c.org_id)))  # not a join: SQLite would start from all the evaluations
    found = select(e.id).where(*where).cte("heat_evaluations")
    count = select(cast(null(), String).label("block_code"), cast(func.count(), Float).label("points")) \
        .select_from(found)
    sums = (select(block.block_code, func.sum(block.points))
            .join_from(found, BlockSubtotal.__table__, block.evaluation_id == found.c.id).group_by(block.block_code))
    n, by_block = 0, {}
    for code, value in conn.execute(union_all(count, sums)).all():
        if code is None:
            n = int(value)
        else:
            by_block[code] = float(value)
    return n, by_block


# --- one branch --------------------------------------------------------------------------------


def explain_branch(conn: Connection, principal: Principal, *, cycle_id: int, period: str,
                   org_code: str) -> Explanation:
    """Why a branch got its score, for a principal whose dashboard roles reach it (:func:`results.explain`)."""
    principal = _viewer(conn, principal)
    return explain(conn, cycle=_cycle(conn, principal, cycle_id), period=period, org_code=org_code, viewer=principal)


# --- bulletins -----------------------------------------------------------------------------------


def _require_whole_tenant(conn: Connection, principal: Principal) -> Principal:
    """A bulletin names organisations across the enterprise: only for those who see all of it."""
    principal = _viewer(conn, principal)
    if not sees_whole_tenant(conn, principal):
        raise Forbidden(tr(f"{principal.username} 无权阅读通报：通报涵盖整个企业，而其被授予的角色只涉及其中一部分",
                           f"{principal.username} may not read the bulletins: they cover the whole enterprise and "
                           "the roles granted reach only part of it"))
    return principal


def latest_bulletin(conn: Connection, principal: Principal) -> BulletinInfo | None:
    """The tenant's bulletin (通报) of the latest period, among those whose results the principal may see."""
    return bulletin_queries.latest(conn, _require_whole_tenant(conn, principal))


def bulletin_file(conn: Connection, principal: Principal, *, bulletin_id: int, kind: str,
                  home: Path) -> tuple[str, bytes]:
    """A bulletin's Word document or Excel table, as ``(filename, bytes)`` (:func:`bulletins.queries.read_file`)."""
    principal = _require_whole_tenant(conn, principal)
    return bulletin_queries.read_file(conn, principal.tenant_id, bulletin_id=bulletin_id, kind=kind, home=home)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])
