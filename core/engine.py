"""The scoring engine (评分引擎): pure functions from a frozen scheme, targets and facts to results.

No database and no Prefect here. :func:`score` scores every organisation of a cycle for one period
in one call; ``core.scoring`` reads everything in bulk before, runs the same steps —
:func:`prepare`, :func:`score_slices`, :func:`subtotals`, :func:`conclude` — and writes each slice
of lines in bulk as it comes, so memory is bounded by a slice.

How a period is scored
======================
1. The grid: one row per (organisation, indicator), with the organisation's resolved target
   (:func:`resolve_targets`).
2. Each rule type scores, in one vectorised call, every grid row of the indicators that use it
   (:class:`RuleType`). It returns the points, the measured value, a reason in words and the ids
   of the facts behind the points.
   An indicator is scored only in the periods it is assessed in (:func:`assessed_in`: the scheme's
   ``IndicatorSpec.assessed`` or its rule type's default); elsewhere its line says 本期不考核 and
   carries 0 of 0 points. An indicator assesses the levels it names (branches by default).
3. Points are clipped to ``[0, indicator points]`` and rounded half up (四舍五入) to 0.01, decimal-exact
   (``core.rounding``); an organisation's base is the sum of its non-bonus lines, its bonus the sum of
   its bonus lines capped at ``scheme.bonus_cap``; ``total = base + bonus``, capped at
   ``scheme.max_total`` when the scheme has one. Totals are sums of the rounded lines, so an
   explanation always adds up. ``assessed_points`` are the points of the lines assessed (bonus and
   veto lines aside) and ``rate = total ÷ assessed_points × 100`` (得分率).
4. Veto (一票否决): any line flagged veto makes the organisation vetoed; its grade is
   ``scheme.veto_grade`` whatever its points, it is never advanced-eligible, it ranks below
   every organisation that is not vetoed and it is always in the last tier.
5. Grades, in the periods the scheme grades (``Scheme.graded``; every period unless it says): the
   first band (highest first) whose ``min_score`` the score reaches; below every band, the last band.
   Elsewhere the grade is :data:`NOT_GRADED` (a vetoed organisation is marked vetoed, with no grade)
   and no one is advanced-eligible; ranks and tiers stay. An organisation barred from the advanced
   selection in the period (``Inputs.barred``: an earlier award's bar still in force, ``core.incentives``)
   is not advanced-eligible either; its grade stays the one its score reaches. The score graded, ranked
   and tiered is the total for the year and, for periods shorter than the year, the rate rescaled to the whole table
   (``rate × total_points / 100``: the rate itself in a 100-point scheme), so a month's grades mean
   what the year's do (``Scheme.rank_by`` may say otherwise). Organisations above the branch always go by their rate, rescaled alike.
6. Ranking, within each level (党支部 with 党支部, 党总支 with 党总支), the tie rule: not vetoed
   before vetoed, then the score descending, then base (the points before bonus) descending, then
   organisation code ascending. Ranks are therefore a permutation 1..n per level; equal scores are
   visible as such in the results.
7. Tiers, within each level: see :class:`bastion.core.scheme.TierRule`.

Where the rest lives
====================
The rule types' contract is here (:class:`RuleBatch`, :class:`RuleType`, :class:`RuleError`); what
they read and the helpers they share have their own modules, and are named from here too:
``core.facts`` (:class:`Facts`), ``core.rule_helpers`` (:func:`achievement`, :func:`per_row`,
:func:`combine_sources`, :func:`quorum_needed`), ``core.reasons`` (reasons and evidence as Arrow text: :func:`fmt`,
:func:`concat`, :func:`choose`, :func:`join_text`, :func:`evidence_ids` …). Reading the facts and
writing the lines in bulk is ``core.scoring``'s, through ``core.bulk_read`` and ``core.bulk_write``.
"""

from __future__ import annotations

import math
from functools import partial
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import BastionError
from .facts import FINDING_COLUMNS, LEDGER_COLUMNS, NUMERIC_FACTS, RATING_COLUMNS, Facts
from .i18n import tr
from .models import IndicatorKind, OrgLevel
from .periods import UNIT_MONTHS, Period
from .plugin_faults import PluginFault, plugin_code
from .reasons import TEXT, choose, concat, evidence_ids, fmt, formatted, join_text, points_text, text_series
from .rounding import ROUND, half_up
from .rule_helpers import SOURCE_LABELS, achievement, combine_sources, per_row, quorum_needed
from .scheme import Assessed, IndicatorSpec, Scheme

__all__ = [
    # the engine's steps and what they take and give
    "Inputs", "ScoreResult", "LINE_COLUMNS", "EVALUATION_COLUMNS", "prepare", "score_slices", "subtotals",
    "block_subtotals", "conclude", "score", "indicator_frame", "resolve_targets", "validate_params",
    "assign_grades", "rank", "assign_tiers", "assessed_in", "NOT_ASSESSED", "NOT_GRADED", "ROUND", "half_up", "Assessed",
    "roll_up", "rollup_points", "ROLLUP", "level_order",
    # the rule-type contract
    "RuleBatch", "RuleType", "RuleError", "NoParams",
    # named from here by plugins, defined elsewhere (see "Where the rest lives")
    "Facts", "LEDGER_COLUMNS", "FINDING_COLUMNS", "RATING_COLUMNS", "NUMERIC_FACTS", "Period", "UNIT_MONTHS",
    "achievement", "per_row", "combine_sources", "quorum_needed", "SOURCE_LABELS",
    "TEXT", "text_series", "fmt", "formatted", "concat", "choose", "points_text", "join_text", "evidence_ids",
]


# --- the rule-type contract ----------------------------------------------------------------


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RuleBatch:
    """What a rule type gets: every grid row of the indicators that use it, and the facts.

    ``rows`` has one row per (organisation, indicator) with columns ``org_id``, ``indicator_code``,
    ``max_points``, ``kind``, ``tolerance``, ``target`` (NaN where none is set) and ``category``;
    its index is the one the result must keep. Only indicators assessed in the period are in it. ``params`` maps each indicator code to its
    validated parameters (an instance of the rule type's ``Params``).
    """

    rows: pd.DataFrame
    indicators: Mapping[str, IndicatorSpec]
    params: Mapping[str, Any]
    facts: Facts
    orgs: pd.DataFrame
    period: Period
    source_weights: Mapping[str, float]
    #: The ledger types' names by code (三会一课 …), for reasons that name a type: the enabled plugins' ledger types.
    ledger_names: Mapping[str, str] = field(default_factory=dict)

    def by_indicator(self) -> Iterator[tuple[str, Any, pd.DataFrame]]:
        """``(code, params, rows)`` for each indicator of the batch: the rows split once."""
        for code, rows in self.rows.groupby("indicator_code", sort=False):
            yield code, self.params[code], rows


class RuleType:
    """A measure and its scoring rule, contributed by a plugin (see ``hookspecs.bastion_rule_types``).

    ``evaluate`` returns a frame on the batch's index with the column ``points`` and ``reason``,
    and optionally ``value`` (what was measured), ``target`` (what it was measured against in this
    period, when that is not the row's own target: a monthly target of 1 is 12 over a year, and the
    explanation must say 12), ``evidence`` (``kind:id,id``: see
    :func:`evidence_ids`), ``veto`` (bool) and ``veto_reason``. It must be vectorised over
    organisations: loop over the batch's indicators if needed, never over its rows.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams
    inputs: ClassVar[tuple[str, ...]] = ()  # which facts it reads: ledger, findings, ratings, duties, ticks, orgs
    #: Scored only once the period is over (ballots cast at its end, a term measured at its last day):
    #: a branch's progress so far shows 考核期末评分 instead of a partial score.
    at_period_end: ClassVar[bool] = False
    #: In which periods its indicators are assessed when the scheme does not say (``scheme.Assessed``).
    assessed: ClassVar[Assessed] = "every"

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def default_assessed(self, params: Any) -> Assessed:
        """In which periods an indicator with these parameters is assessed by default: ``assessed``, unless
        the parameters decide (a target set per quarter is assessed from the quarter up)."""
        return self.assessed

    def rated(self, code: str, params: Any, ratings: pd.DataFrame) -> bool:
        """For ``assessed: rated``: whether the period's ratings (every branch's) rate indicator ``code``.
        By default, any rating on it; a rule counting overall ballots says otherwise."""
        return bool((ratings["indicator_code"] == code).any())


class RuleError(BastionError):
    """A rule type failed or returned something malformed while scoring."""

    def __init__(self, rule: str, plugin: str | None, message: str) -> None:
        self.rule, self.plugin = rule, plugin
        super().__init__(tr(f"规则类型 {rule!r}" + (f"（插件 {plugin}）" if plugin else "") + f"：{message}",
                            f"rule type {rule!r}" + (f" (plugin {plugin})" if plugin else "") + f": {message}"))


# --- targets -------------------------------------------------------------------------------


def resolve_targets(scheme: Scheme, orgs: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each organisation's target per indicator (step 1): own row, else its category's, else the default.

    ``orgs`` has ``org_id`` and ``category``. Scheme defaults come from ``IndicatorSpec.targets``
    (``'*'`` for every category). ``overrides`` (from the cycle's Target rows) has
    ``indicator_code``, ``category`` and ``org_id`` (either may be null) and ``value``; its rows
    win over the scheme's. Returns ``org_id, indicator_code, target`` for indicators with a target.
    """
    rows = [(spec.code, None if cat == "*" else cat, None, float(v))
            for spec in scheme.indicators() for cat, v in spec.targets.items()]
    layers = pd.DataFrame(rows, columns=["indicator_code", "category", "org_id", "value"])
    if overrides is not None and not overrides.empty:
        layers = pd.concat([layers, overrides[["indicator_code", "category", "org_id", "value"]]], ignore_index=True)
    if layers.empty:
        return pd.DataFrame({"org_id": [], "indicator_code": [], "target": []})
    layers["rank"] = np.where(layers["org_id"].notna(), 2, np.where(layers["category"].notna(), 1, 0))
    # Later rows of the same rank win (a newer per-branch adjustment replaces an older one).
    layers = layers.reset_index().sort_values(["rank", "index"])
    org_keys = orgs[["org_id", "category"]]
    default = layers[layers["rank"] == 0].drop_duplicates("indicator_code", keep="last")
    by_cat = layers[layers["rank"] == 1].drop_duplicates(["indicator_code", "category"], keep="last")
    by_org = layers[layers["rank"] == 2].drop_duplicates(["indicator_code", "org_id"], keep="last")
    parts = [
        org_keys.merge(default[["indicator_code", "value"]], how="cross").assign(rank=0),
        org_keys.merge(by_cat[["indicator_code", "category", "value"]], on="category").assign(rank=1),
        org_keys.merge(by_org[["indicator_code", "org_id", "value"]].astype({"org_id": "int64"}), on="org_id").assign(rank=2),
    ]
    resolved = pd.concat(parts, ignore_index=True).sort_values("rank")
    resolved = resolved.drop_duplicates(["org_id", "indicator_code"], keep="last")
    return resolved.rename(columns={"value": "target"})[["org_id", "indicator_code", "target"]].reset_index(drop=True)


# --- scoring -------------------------------------------------------------------------------

LINE_COLUMNS = ["org_id", "indicator_code", "block_code", "kind", "rule", "points", "max_points",
                "value", "target", "veto", "veto_reason", "assessed", "reason", "evidence"]

NOT_ASSESSED = "本期不考核"
"""The reason of a line not assessed in its period."""

NOT_GRADED = ""
"""The grade of a result in a period its scheme does not grade (``Scheme.graded``): none."""


@dataclass
class ScoreResult:
    """``evaluations``: one row per organisation; ``lines``: one per organisation and indicator."""

    period: Period
    scheme_id: str
    scheme_version: str
    evaluations: pd.DataFrame
    lines: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def indicator_frame(scheme: Scheme) -> pd.DataFrame:
    rows = [
        {"indicator_code": i.code, "block_code": block.code, "kind": str(i.kind), "rule": i.rule,
         "max_points": float(i.points), "tolerance": i.tolerance, "position": n,
         "levels": tuple(str(level) for level in i.levels)}
        for n, (block, i) in enumerate((b, i) for b in scheme.blocks for i in b.indicators)
    ]
    return pd.DataFrame(rows)


def assessed_in(assessed: Assessed, period: Period, rated: Any = None) -> bool:
    """Whether an indicator ``assessed`` so (``scheme.Assessed``) is assessed in ``period``; ``rated`` answers
    for ``rated`` (a callable, asked only then). A year so far (``Period.to_date``) measures everything."""
    if period.to_date or assessed == "every":
        return True
    if isinstance(assessed, list):
        return any(month in period.month_numbers for month in assessed)
    if assessed == "rated":
        return bool(rated())
    return period.months >= {"quarter": 3, "half": 6, "year": 12}[assessed]


def assessed_indicators(scheme: Scheme, rule_types: Mapping[str, RuleType], params: Mapping[str, Any],
                        facts: Facts, period: Period) -> dict[str, bool]:
    """Whether each indicator of the scheme is assessed in ``period`` (step 2): decided once for the period,
    from every branch's facts, before the branches are scored slice by slice."""
    out = {}
    for spec in scheme.indicators():
        rule = rule_types[spec.rule]
        assessed = spec.assessed if spec.assessed is not None else rule.default_assessed(params[spec.code])
        out[spec.code] = assessed_in(assessed, period, partial(rule.rated, spec.code, params[spec.code], facts.ratings))
    return out


@dataclass(frozen=True)
class Inputs:
    """Everything one period's scoring needs, ready to be scored slice by slice.

    Built by :func:`prepare` (``core.scoring.read_inputs`` reads it from the database).
    ``orgs`` and the frames of ``facts`` are sorted by ``org_id`` and ``facts`` holds only the
    period's rows; ``target_rows`` are the cycle's target adjustments (see :func:`resolve_targets`).
    """

    scheme: Scheme
    rule_types: Mapping[str, RuleType]
    orgs: pd.DataFrame
    facts: Facts
    period: Period
    target_rows: pd.DataFrame | None
    params: Mapping[str, Any]
    rule_owners: Mapping[str, str]
    assessed: Mapping[str, bool]  # indicator code → assessed in the period (:func:`assessed_indicators`)
    tree: pd.DataFrame | None = None  # every active organisation (org_id, code, name, level, parent_id, member_count)
    ledger_names: Mapping[str, str] = field(default_factory=dict)  # ledger type code → its name (RuleBatch's)
    barred: frozenset[int] = frozenset()  # organisations barred from the advanced selection in the period (step 5)


def prepare(
    scheme: Scheme,
    rule_types: Mapping[str, RuleType],
    orgs: pd.DataFrame,
    facts: Facts,
    period: Period,
    *,
    target_rows: pd.DataFrame | None = None,
    params: Mapping[str, Any] | None = None,
    rule_owners: Mapping[str, str] | None = None,
    tree: pd.DataFrame | None = None,
    ledger_names: Mapping[str, str] | None = None,
    barred: Iterable[int] = (),
) -> Inputs:
    """Check and order the inputs of a period's scoring.

    ``orgs`` needs ``org_id``, ``code`` and ``category``, and ``level`` where organisations other than branches
    are assessed (more columns are passed to rule types); ``tree`` is every active organisation, for the
    roll-ups of the levels assessed by their branches' results (``orgs`` when omitted);
    ``target_rows`` has ``indicator_code``, ``category``, ``org_id`` and ``value`` (the cycle's
    Target rows); ``params`` maps indicator code → validated rule parameters (validated here when
    omitted); ``rule_owners`` maps rule name → plugin name, for error messages; ``barred``: the ids of the
    organisations barred from the advanced selection in the period (``core.incentives.barred_orgs``).
    """
    if orgs["org_id"].duplicated().any():
        raise ValueError("duplicate org_id in orgs")
    if params is None:
        params = validate_params(scheme, rule_types, rule_owners)
    orgs = orgs.sort_values("org_id", kind="stable").reset_index(drop=True)
    if "level" not in orgs:
        orgs = orgs.assign(level=OrgLevel.branch.value)
    facts = facts.within(period).sorted_by_org()
    assessed = assessed_indicators(scheme, rule_types, params, facts, period)
    return Inputs(scheme, rule_types, orgs, facts, period, target_rows, params, rule_owners or {}, assessed,
                  orgs if tree is None else tree, dict(ledger_names or {}), frozenset(int(o) for o in barred))


def score_slices(inputs: Inputs, *, slice_size: int = 5_000) -> Iterator[pd.DataFrame]:
    """The lines (``LINE_COLUMNS``) of ``slice_size`` organisations at a time, in ``org_id`` order.

    Each slice is scored with only its own facts and targets, so a caller that writes each slice
    before asking for the next holds one slice's lines at a time, whatever the number of branches.
    """
    scheme = inputs.scheme
    specs = {i.code: i for i in scheme.indicators()}
    ind = indicator_frame(scheme)
    for start in range(0, len(inputs.orgs), slice_size):
        part = inputs.orgs.iloc[start:start + slice_size]
        lo, hi = int(part["org_id"].iloc[0]), int(part["org_id"].iloc[-1])
        targets = resolve_targets(scheme, part, inputs.target_rows)
        yield _score_lines(scheme, inputs.rule_types, specs, ind, part, inputs.facts.for_orgs(lo, hi),
                           inputs.period, targets, inputs.params, inputs.rule_owners, inputs.assessed,
                           inputs.ledger_names)


def subtotals(lines: pd.DataFrame) -> pd.DataFrame:
    """Per organisation of ``lines``: ``base`` and ``bonus`` (before the cap), ``assessed_points``, ``vetoed``
    and ``veto_reasons`` (steps 3–4)."""
    is_bonus = lines["kind"] == IndicatorKind.bonus
    counts = lines["assessed"].astype(bool) & ~is_bonus  # veto lines carry 0 points: they add nothing
    sums = pd.DataFrame({
        "org_id": lines["org_id"],
        "base": lines["points"].where(~is_bonus, 0.0),
        "bonus": lines["points"].where(is_bonus, 0.0),
        "assessed_points": lines["max_points"].astype(float).where(counts, 0.0),
        "vetoed": lines["veto"],
    }).groupby("org_id").agg(base=("base", "sum"), bonus=("bonus", "sum"),
                             assessed_points=("assessed_points", "sum"), vetoed=("vetoed", "any"))
    vetoes = lines.loc[lines["veto"], ["org_id", "veto_reason", "indicator_code"]]
    reasons = vetoes["veto_reason"].fillna(vetoes["indicator_code"]).groupby(vetoes["org_id"]).agg(list)
    lists: list[list] = [[] for _ in range(len(sums))]
    for at, its_reasons in zip(sums.index.get_indexer(reasons.index), reasons):  # vetoed organisations only
        lists[at] = its_reasons
    sums["veto_reasons"] = lists
    return sums


def block_subtotals(lines: pd.DataFrame, *, by: str = "org_id") -> pd.DataFrame:
    """The points of ``lines`` per (``by``, ``block_code``), every line counted (veto lines give none),
    as columns ``by``, ``block_code``, ``points``, in that order: what the dashboard's heatmap sums.

    ``by`` names the column that tells results apart: ``org_id`` in the engine's lines,
    ``evaluation_id`` in stored ones (``scoring.store_block_subtotals``)."""
    sums = lines.groupby([by, "block_code"], sort=True, observed=True)["points"].sum()
    return sums.reset_index()[[by, "block_code", "points"]]


def conclude(scheme: Scheme, orgs: pd.DataFrame, sums: pd.DataFrame, period: Period,
             barred: Collection[int] = frozenset()) -> pd.DataFrame:
    """Totals, rates, grades, ranks and tiers of every organisation (steps 3–7), from the :func:`subtotals` of
    all slices. ``orgs`` has ``org_id``, ``code`` and ``level`` (branch when absent); ``barred``: the organisations
    barred from the advanced selection (step 5)."""
    columns = ["org_id", "code", *(["level"] if "level" in orgs else [])]
    ev = orgs[columns].merge(sums, left_on="org_id", right_index=True, how="left")
    if "level" not in ev:
        ev["level"] = OrgLevel.branch.value
    ev["base_points"] = half_up(ev["base"].fillna(0.0))
    ev["bonus_points"] = half_up(np.minimum(ev["bonus"].fillna(0.0), scheme.bonus_cap))
    ev["total"] = half_up(ev["base_points"] + ev["bonus_points"])
    if scheme.max_total is not None:
        ev["total"] = np.minimum(ev["total"], scheme.max_total)
    ev["assessed_points"] = half_up(ev["assessed_points"].fillna(0.0).astype(float))
    ev["vetoed"] = ev["vetoed"].fillna(False).astype(bool)
    ev["veto_reasons"] = ev["veto_reasons"].apply(lambda r: r if isinstance(r, list) else [])
    return finish(scheme, ev, period, barred)


def finish(scheme: Scheme, ev: pd.DataFrame, period: Period, barred: Collection[int] = frozenset()) -> pd.DataFrame:
    """The rate, grade, rank and tier of results whose totals and assessed points are known (steps 3, 5–7):
    ``ev`` has ``org_id``, ``code``, ``level``, ``base_points``, ``bonus_points``, ``total``, ``assessed_points``,
    ``vetoed`` and ``veto_reasons``; ``barred`` organisations are not advanced-eligible. Ranks and tiers are within
    each level."""
    ev = ev.copy()
    points = ev["assessed_points"].astype(float)
    ev["rate"] = half_up((ev["total"] / points.where(points > 0) * 100).fillna(0.0))
    # By the rate, the score graded is the total rescaled to the whole table (折算分: rate × total_points / 100), so
    # grade bands in points hold for every period; levels above the branch, out of their own points, always.
    by_rate = scheme.ranks_by_rate(period.months) | (ev["level"] != OrgLevel.branch.value)
    ev["score"] = np.where(by_rate, half_up(ev["rate"] * scheme.total_points / 100), ev["total"])
    if assessed_in(scheme.graded, period):
        ev["grade"], ev["advanced_eligible"] = assign_grades(scheme, ev["score"], ev["vetoed"])
        if barred:  # a bar takes away the selection, not the grade (core.incentives)
            ev["advanced_eligible"] &= ~ev["org_id"].isin(barred)
    else:  # a scheme grading on a fixed cycle (Scheme.graded): this period ranks and tiers, and grades no one
        ev["grade"], ev["advanced_eligible"] = NOT_GRADED, False
    ev["rank"] = rank(ev)
    ev["tier"] = assign_tiers(scheme, ev["rank"], ev["score"], ev["vetoed"], ev["level"])
    return ev.sort_values(["level", "rank"], key=level_order)[EVALUATION_COLUMNS].reset_index(drop=True)


def level_order(column: pd.Series) -> pd.Series:
    """Sort key of results level by level (``sort_values(key=...)``): branches first, then the levels above them, then party groups (a column other than
    ``level`` as it is)."""
    if column.name != "level":
        return column
    order = {OrgLevel.branch.value: 0, OrgLevel.general_branch.value: 1, OrgLevel.committee.value: 2,
             OrgLevel.group.value: 3}
    return column.map(order).fillna(9)


# --- the levels above the branch (一级考一级) ----------------------------------------------------

ROLLUP = "ROLLUP"
"""The indicator code of a roll-up's line: the branches' results an organisation above them is assessed by."""


def roll_up(scheme: Scheme, evaluations: pd.DataFrame, tree: pd.DataFrame, period: Period,
            barred: Collection[int] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The results of the levels the scheme assesses by their branches' (``Scheme.levels``: rollup or both).

    ``evaluations`` are :func:`conclude`'s, every level concluded on its own lines; ``tree`` is every active
    organisation (``org_id``, ``code``, ``name``, ``level``, ``parent_id``, ``member_count``). An organisation's
    branches are the branches below it. Its roll-up rate is their rates' mean (or weighted by member count);
    by ``rollup`` its total is that rate, by ``both`` ``(1 − s) × its own rate + s × the roll-up rate``; either
    way out of 100 points. Returns the evaluations with those organisations' figures replaced, graded, ranked
    and tiered again within their levels (``barred`` ones not advanced-eligible), and one line per such organisation
    (indicator :data:`ROLLUP`, ``LINE_COLUMNS``) whose reason is the computation, branch by branch."""
    rules = [rule for rule in scheme.levels if rule.by in ("rollup", "both")]
    if not rules or evaluations.empty:
        return evaluations, pd.DataFrame(columns=LINE_COLUMNS)
    ev = evaluations.merge(tree[["org_id", "code"]], on="org_id", how="left")
    pairs = _branches_below(tree)
    branch_ev = ev[ev["level"] == OrgLevel.branch.value]
    members = tree.set_index("org_id")["member_count"] if "member_count" in tree else pd.Series(dtype=float)
    pairs = pairs.merge(branch_ev[["org_id", "code", "rate"]], on="org_id")
    pairs["weight"] = pairs["org_id"].map(members).fillna(0.0).astype(float)
    lines, replaced = [], []
    for rule in rules:
        mine = ev[ev["level"] == rule.level]
        if mine.empty:
            continue
        under = pairs[pairs["ancestor_id"].isin(mine["org_id"])].sort_values(["ancestor_id", "code"])
        if rule.rollup == "weighted" and (under.groupby("ancestor_id")["weight"].sum() > 0).all():
            weighted = (under["rate"] * under["weight"]).groupby(under["ancestor_id"]).sum()
            rolled = weighted / under.groupby("ancestor_id")["weight"].sum()
            how = "按党员人数加权平均"
        else:
            rolled = under.groupby("ancestor_id")["rate"].mean()
            how = "平均"
        rolled = half_up(rolled)
        count = under.groupby("ancestor_id").size()
        listed = under["code"].astype(str) + " " + under["rate"].map("{:g}".format)
        detail = listed.groupby(under["ancestor_id"]).agg("、".join)
        ids = mine["org_id"]
        roll = ids.map(rolled)
        # Stored reasons are in Chinese, as the rule types' are: they are the record, read by 公文 and archives.
        text = pd.Series([f"下属 {int(count.get(i, 0))} 个党支部得分率{how} {roll_rate:g}（{detail.get(i, '')}）"
                          if pd.notna(roll_rate) else "下属没有党支部考核结果" for i, roll_rate in zip(ids, roll)],
                         index=mine.index)
        top = rollup_points(scheme, rule.level)
        if rule.by == "rollup":
            total = roll.fillna(0.0)
            points = total
        else:
            share = rule.rollup_share
            own = mine["rate"]
            total = half_up((1 - share) * own + share * roll).where(roll.notna(), own)
            points = half_up(share * roll.fillna(0.0))
            text = text + [f"；自身指标得分率 {o:g} × {1 - share:.0%} + 汇总 {r:g} × {share:.0%} = {t:g}"
                           if pd.notna(r) else "" for o, r, t in zip(own, roll, total)]
        replaced.append(mine.assign(total=total, base_points=total, bonus_points=0.0, assessed_points=100.0))
        lines.append(pd.DataFrame({
            "org_id": ids, "indicator_code": ROLLUP, "block_code": ROLLUP, "kind": IndicatorKind.controllable.value,
            "rule": "rollup", "points": points, "max_points": top, "value": roll, "target": np.nan, "veto": False,
            "veto_reason": None, "assessed": True, "reason": text, "evidence": "",
        }, index=mine.index)[LINE_COLUMNS])
    if not replaced:
        return evaluations, pd.DataFrame(columns=LINE_COLUMNS)
    redone = finish(scheme, pd.concat(replaced), period, barred)
    kept = evaluations[~evaluations["org_id"].isin(redone["org_id"])]
    merged = pd.concat([kept, redone], ignore_index=True)
    order = merged.sort_values(["level", "rank"], key=level_order, kind="stable").index
    return merged.loc[order].reset_index(drop=True), pd.concat(lines, ignore_index=True)


def rollup_points(scheme: Scheme, level: str) -> float:
    """The points a roll-up line of ``level`` carries at most: 100, or the roll-up's share of 100 (by ``both``)."""
    rule = scheme.assesses(level)
    return 100.0 if rule is None or rule.by != "both" else half_up(rule.rollup_share * 100)


def _branches_below(tree: pd.DataFrame) -> pd.DataFrame:
    """``ancestor_id, org_id``: each branch with every organisation above it (walking up the parents)."""
    parent = tree.set_index("org_id")["parent_id"].astype("Int64")
    branches = tree.loc[tree["level"] == OrgLevel.branch.value, "org_id"].astype("int64")
    pairs, above = [], branches.map(parent)
    for _ in range(len(OrgLevel) + 8):  # a tree is a few levels deep; the bound guards against a cycle
        found = above.notna()
        if not found.any():
            break
        pairs.append(pd.DataFrame({"ancestor_id": above[found].astype("int64").to_numpy(),
                                   "org_id": branches[found].to_numpy()}))
        branches, above = branches[found], above[found].map(parent)
    if not pairs:
        return pd.DataFrame({"ancestor_id": pd.Series(dtype="int64"), "org_id": pd.Series(dtype="int64")})
    return pd.concat(pairs, ignore_index=True)


EVALUATION_COLUMNS = ["org_id", "level", "base_points", "bonus_points", "total", "assessed_points", "rate", "vetoed",
                      "veto_reasons", "grade", "advanced_eligible", "rank", "tier"]


def score(
    scheme: Scheme,
    rule_types: Mapping[str, RuleType],
    orgs: pd.DataFrame,
    facts: Facts,
    period: Period,
    *,
    target_rows: pd.DataFrame | None = None,
    params: Mapping[str, Any] | None = None,
    rule_owners: Mapping[str, str] | None = None,
    tree: pd.DataFrame | None = None,
    ledger_names: Mapping[str, str] | None = None,
    barred: Iterable[int] = (),
    slice_size: int = 5_000,
) -> ScoreResult:
    """Score every organisation in ``orgs`` for ``period``, all lines in memory (see :func:`prepare`).

    The same as ``core.scoring`` does when it writes each slice as it comes: :func:`prepare`,
    :func:`score_slices`, :func:`subtotals` per slice, :func:`conclude` over all of them.
    """
    inputs = prepare(scheme, rule_types, orgs, facts, period, target_rows=target_rows, params=params,
                     rule_owners=rule_owners, tree=tree, ledger_names=ledger_names, barred=barred)
    parts = list(score_slices(inputs, slice_size=slice_size))
    lines = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LINE_COLUMNS)
    sums = pd.concat([subtotals(p) for p in parts]) if parts else subtotals(lines)
    evaluations, rolled = roll_up(scheme, conclude(scheme, inputs.orgs, sums, inputs.period, inputs.barred),
                                  inputs.tree, inputs.period, inputs.barred)
    if not rolled.empty:
        lines = pd.concat([lines, rolled], ignore_index=True)
    return ScoreResult(period, scheme.id, scheme.version, evaluations, lines)


def _score_lines(scheme: Scheme, rule_types: Mapping[str, RuleType], specs: Mapping[str, IndicatorSpec],
                 ind: pd.DataFrame, orgs: pd.DataFrame, facts: Facts, period: Period, targets: pd.DataFrame,
                 params: Mapping[str, Any], rule_owners: Mapping[str, str],
                 assessed: Mapping[str, bool], ledger_names: Mapping[str, str]) -> pd.DataFrame:
    """The lines of one slice of organisations: the grid (step 1), the rule types on the indicators assessed
    (2), the points clipped and rounded (3)."""
    ind = ind.assign(assessed=ind["indicator_code"].map(assessed).fillna(True).astype(bool))
    grid = _grid(orgs, ind).merge(targets, on=["org_id", "indicator_code"], how="left")  # a left merge keeps the order
    outputs, scored = [], grid
    if not ind["assessed"].all():  # a period shorter than the year: some lines are not assessed (no copies otherwise)
        outputs.append(_not_assessed(grid[~grid["assessed"]]))
        scored = grid[grid["assessed"]]
    for rule_name, rows in scored.groupby("rule", sort=True):
        rule = rule_types.get(rule_name)
        owner = rule_owners.get(rule_name)
        if rule is None:
            raise RuleError(rule_name, None, tr("未由任何已启用的插件提供", "is not contributed by any enabled plugin"))
        codes = rows["indicator_code"].unique()
        batch = RuleBatch(
            rows=rows.drop(columns=["rule", "position", "block_code"]),
            indicators={c: specs[c] for c in codes},
            params={c: params[c] for c in codes},
            facts=facts, orgs=orgs, period=period, source_weights=scheme.source_weights, ledger_names=ledger_names,
        )
        try:  # a plugin's fault (SystemExit too) must name the plugin, not crash opaquely
            with plugin_code(owner or "?", rule_name):
                out = rule.evaluate(batch)
        except PluginFault as fault:
            raise RuleError(rule_name, owner, fault.reason) from fault.error
        outputs.append(_checked(out, rows, rule_name, owner))

    lines = grid.join(pd.concat(outputs).sort_index())  # each rule's rows back in the grid's order: no realignment
    lines["target"] = lines["period_target"].where(lines["period_target"].notna(), lines["target"])
    lines["target"] = lines["target"].where(lines["assessed"])
    lines["points"] = half_up(pd.Series(np.where(lines["kind"] == IndicatorKind.veto, 0.0,
                                                 lines["points"].clip(lower=0.0, upper=lines["max_points"])),
                                        index=lines.index))
    return lines[LINE_COLUMNS]


def _not_assessed(rows: pd.DataFrame) -> pd.DataFrame:
    """The rules' part of the lines not assessed in the period: 0 points, nothing measured, 本期不考核."""
    out = pd.DataFrame(index=rows.index)
    out["points"] = 0.0
    out["reason"] = pd.Series(NOT_ASSESSED, index=rows.index, dtype=TEXT)
    out["value"] = np.nan
    out["period_target"] = np.nan
    out["evidence"] = pd.Series("", index=rows.index, dtype=TEXT)
    out["veto"] = False
    out["veto_reason"] = pd.Series(None, index=rows.index, dtype=object)
    return out


def _grid(orgs: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    """One row per (organisation, indicator of its level), in line order: by ``orgs``' order, then the scheme's."""
    n, k = len(orgs), len(ind)
    left = orgs[["org_id", "category"]].iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    grid = pd.concat([left, ind.iloc[np.tile(np.arange(k), n)].reset_index(drop=True)], axis=1)
    levels = orgs["level"].astype(str).to_numpy()
    if (levels == OrgLevel.branch.value).all() and all(OrgLevel.branch.value in ls for ls in ind["levels"]):
        return grid.drop(columns="levels")  # the common case: every indicator assesses every branch
    kinds = pd.Categorical(levels)  # a few levels: which indicators apply is decided once per level, not per org
    table = np.array([[str(level) in ls for ls in ind["levels"]] for level in kinds.categories], dtype=bool)
    applies = table[kinds.codes].reshape(-1)
    return grid[applies].drop(columns="levels").reset_index(drop=True)


def validate_params(scheme: Scheme, rule_types: Mapping[str, RuleType],
                    rule_owners: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each indicator's parameters, validated against its rule type's ``Params`` model (the plugin's code: a
    validator that raises anything but a validation error is a :class:`RuleError` naming the plugin)."""
    out = {}
    for spec in scheme.indicators():
        rule = rule_types.get(spec.rule)
        if rule is None:
            raise RuleError(spec.rule, None, tr(f"（指标 {spec.code} 使用）未由任何已启用的插件提供",
                                                f"used by indicator {spec.code} is not contributed by any "
                                                f"enabled plugin"))
        owner = (rule_owners or {}).get(spec.rule)
        try:
            with plugin_code(owner or "?", spec.rule):
                out[spec.code] = rule.Params.model_validate(spec.params)
        except PluginFault as fault:
            if isinstance(fault.error, ValidationError):  # the scheme's fault, raised as before
                raise fault.error from None
            raise RuleError(spec.rule, owner, fault.reason) from fault.error
    return out


def _checked(out: pd.DataFrame, rows: pd.DataFrame, rule: str, owner: str | None) -> pd.DataFrame:
    if not isinstance(out, pd.DataFrame):
        raise RuleError(rule, owner, tr(f"返回了 {type(out).__name__}，而不是 DataFrame",
                                        f"returned {type(out).__name__}, not a DataFrame"))
    missing = {"points", "reason"} - set(out.columns)
    if missing:
        raise RuleError(rule, owner, tr(f"返回结果缺少列 {sorted(missing)}", f"returned no column(s) {sorted(missing)}"))
    if not out.index.equals(rows.index) and not out.index.sort_values().equals(rows.index.sort_values()):
        raise RuleError(rule, owner, tr("返回的行与本批数据的索引不一致", "returned rows that do not match the batch's index"))
    result = pd.DataFrame(index=out.index)  # the caller puts the rows in order, for every rule at once
    result["points"] = pd.to_numeric(out["points"], errors="raise").astype(float).fillna(0.0)
    if not np.isfinite(result["points"]).all():
        raise RuleError(rule, owner, tr("返回的分值不是有限数值", "returned points that are not finite numbers"))
    result["reason"] = out["reason"].astype(TEXT).fillna("")
    result["value"] = out["value"].astype(float) if "value" in out else np.nan
    result["period_target"] = out["target"].astype(float) if "target" in out else np.nan
    result["evidence"] = (out["evidence"].astype(TEXT).fillna("") if "evidence" in out
                          else pd.Series("", index=out.index, dtype=TEXT))
    result["veto"] = out["veto"].fillna(False).astype(bool) if "veto" in out else False
    reason = out["veto_reason"].astype(object) if "veto_reason" in out else pd.Series(None, index=out.index, dtype=object)
    result["veto_reason"] = reason.where(reason.notna(), None)
    return result


def assign_grades(scheme: Scheme, total: pd.Series, vetoed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Grade per organisation (等次, step 5): the first band reached; vetoed ones get ``veto_grade``."""
    mins = np.array([g.min_score for g in scheme.grades], dtype=float)
    # Number of bands (listed descending) whose min_score is above the total = index of the band reached.
    idx = (total.to_numpy()[:, None] < mins[None, :] - 1e-9).sum(axis=1)
    idx = np.minimum(idx, len(mins) - 1)
    names = np.array([g.name for g in scheme.grades], dtype=object)[idx]
    adv = np.array([g.advanced for g in scheme.grades])[idx]
    grade = pd.Series(np.where(vetoed, scheme.veto_grade, names), index=total.index, dtype=object)
    return grade, pd.Series(adv & ~vetoed.to_numpy(), index=total.index)


def rank(ev: pd.DataFrame) -> pd.Series:
    """Ranks 1..n within each level by the documented tie rule (module docstring, step 6): ``ev`` has
    ``vetoed``, ``score`` (``total`` when absent), ``base_points``, ``code`` and optionally ``level``."""
    score = ev["score"] if "score" in ev else ev["total"]
    level = ev["level"] if "level" in ev else pd.Series("", index=ev.index)
    keys = pd.DataFrame({"level": level, "vetoed": ev["vetoed"], "score": score, "base": ev["base_points"],
                         "code": ev["code"]}, index=ev.index)
    order = keys.sort_values(["level", "vetoed", "score", "base", "code"],
                             ascending=[True, True, False, False, True], kind="stable")
    ranks = pd.Series(0, index=ev.index, dtype="int64")
    ranks.loc[order.index] = order.groupby("level", sort=False).cumcount().to_numpy() + 1
    return ranks


def assign_tiers(scheme: Scheme, ranks: pd.Series, score: pd.Series, vetoed: pd.Series,
                 level: pd.Series | None = None) -> pd.Series:
    """Tier per organisation (step 7), within each level: by rank share, rank count or score band; vetoed
    ones in the last tier."""
    if level is not None and level.nunique() > 1:
        return pd.concat([assign_tiers(scheme, ranks[part.index], score[part.index], vetoed[part.index])
                          for _, part in level.groupby(level, sort=False)]).reindex(ranks.index)
    bands = scheme.tiers.bands
    names = np.array([b.name for b in bands], dtype=object)
    n = len(ranks)
    if scheme.tiers.method == "rank_share":
        bounds = np.array([math.ceil(round(c * n, 9)) for c in np.cumsum([b.share for b in bands])])
        idx = np.searchsorted(bounds, ranks.to_numpy(), side="left")
    elif scheme.tiers.method == "rank_count":
        bounds = np.cumsum([b.count or 0 for b in bands[:-1]])
        idx = np.searchsorted(bounds, ranks.to_numpy(), side="left")
    else:
        mins = np.array([b.min_score if b.min_score is not None else -np.inf for b in bands], dtype=float)
        idx = (score.to_numpy()[:, None] < mins[None, :] - 1e-9).sum(axis=1)
    idx = np.minimum(idx, len(bands) - 1)
    idx = np.where(vetoed.to_numpy(), len(bands) - 1, idx)
    return pd.Series(names[idx], index=ranks.index, dtype=object)
