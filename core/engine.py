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
3. Points are clipped to ``[0, indicator points]`` and rounded to 0.01; an organisation's base is
   the sum of its non-bonus lines, its bonus the sum of its bonus lines capped at
   ``scheme.bonus_cap``; ``total = base + bonus``. Totals are sums of the rounded lines, so an
   explanation always adds up.
4. Veto (一票否决): any line flagged veto makes the organisation vetoed; its grade is
   ``scheme.veto_grade`` whatever its points, it is never advanced-eligible, it ranks below
   every organisation that is not vetoed and it is always in the last tier.
5. Grades: the first band (highest first) whose ``min_score`` the total reaches; below every band,
   the last band.
6. Ranking, the tie rule: not vetoed before vetoed, then total descending, then base (the points
   before bonus) descending, then organisation code ascending. Ranks are therefore a permutation
   1..n; equal totals are visible as such in the results.
7. Tiers: see :class:`bastion.core.scheme.TierRule`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from .errors import BastionError
from .i18n import tr
from .models import IndicatorKind
from .periods import UNIT_MONTHS, Period  # noqa: F401  (plugins name them from the engine)
from .scheme import IndicatorSpec, Scheme

ROUND = 2

# --- facts ---------------------------------------------------------------------------------

LEDGER_COLUMNS = ("id", "org_id", "type", "date", "quantity")
FINDING_COLUMNS = ("id", "org_id", "indicator_code", "date", "deduction", "description")
RATING_COLUMNS = ("id", "org_id", "source", "indicator_code", "score", "level", "date")
NUMERIC_FACTS = {"id": "int64", "org_id": "int64", "quantity": "float64", "deduction": "float64", "score": "float64"}


def _frame(columns: tuple[str, ...], data: pd.DataFrame | None) -> pd.DataFrame:
    if data is None:
        data = pd.DataFrame({c: [] for c in columns})
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"fact frame lacks columns {missing}")
    data = data.loc[:, list(columns)]  # copy-on-write: the caller's frame is left as it was, nothing is copied
    if not pd.api.types.is_datetime64_any_dtype(data["date"]):
        data["date"] = pd.to_datetime(data["date"])
    for column in columns:
        wanted = NUMERIC_FACTS.get(column)
        if wanted is None or data[column].dtype == wanted:
            continue
        if wanted == "int64" and isinstance(data[column].dtype, np.dtype) and data[column].dtype.kind == "i":
            continue  # int32 ids as read (db.read_columns): the same values in half the memory
        data[column] = pd.to_numeric(data[column]).astype(wanted)
    return data


@dataclass(frozen=True)
class Facts:
    """What was recorded: ledger entries, check findings and ratings, one frame each.

    Columns: ledger ``id, org_id, type, date, quantity``; findings ``id, org_id,
    indicator_code, date, deduction, description``; ratings ``id, org_id, source,
    indicator_code, score, level, date``. ``id`` and ``org_id`` are signed integers (int32 as
    ``core.scoring`` reads them when the values fit, else int64), ``date`` a datetime.
    """

    ledger: pd.DataFrame
    findings: pd.DataFrame
    ratings: pd.DataFrame

    @classmethod
    def of(cls, ledger: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
           ratings: pd.DataFrame | None = None) -> Facts:
        return cls(_frame(LEDGER_COLUMNS, ledger), _frame(FINDING_COLUMNS, findings),
                   _frame(RATING_COLUMNS, ratings))

    def within(self, period: Period) -> Facts:
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)

        def cut(df: pd.DataFrame) -> pd.DataFrame:
            dates = df["date"]
            if dates.empty or (dates.min() >= start and dates.max() < end):
                return df  # read for this period already: no copy of millions of rows
            return df[(dates >= start) & (dates < end)]

        return Facts(cut(self.ledger), cut(self.findings), cut(self.ratings))

    def sorted_by_org(self) -> Facts:
        """The frames ordered by ``org_id`` (stable), built a column at a time to keep memory flat."""

        def ordered(df: pd.DataFrame) -> pd.DataFrame:
            ids = df["org_id"].to_numpy()
            if len(ids) < 2 or bool((ids[1:] >= ids[:-1]).all()):
                return df
            order = np.argsort(ids, kind="stable")
            return pd.DataFrame({name: pd.Series(df[name].to_numpy()[order], dtype=df[name].dtype)
                                 for name in df.columns})

        return Facts(*(ordered(f) for f in (self.ledger, self.findings, self.ratings)))

    def for_orgs(self, lo: int, hi: int) -> Facts:
        """The facts of organisations ``lo``…``hi`` (ids, inclusive); the frames must be sorted by org."""

        def cut(df: pd.DataFrame) -> pd.DataFrame:
            ids = df["org_id"].to_numpy()
            return df.iloc[np.searchsorted(ids, _same_type(ids, lo), "left"):
                           np.searchsorted(ids, _same_type(ids, hi), "right")]

        return Facts(cut(self.ledger), cut(self.findings), cut(self.ratings))

    @cached_property
    def _ledger_by_type(self) -> dict[str, pd.DataFrame]:
        """The entries of each type, in their order here: one stable sort by type, cut into blocks."""
        codes, types = pd.factorize(self.ledger["type"])
        codes = codes.astype(np.int16) if len(types) <= np.iinfo(np.int16).max else codes  # int16: radix-sorted
        order = np.argsort(codes, kind="stable")
        by_type = self.ledger.take(order)
        bounds = np.searchsorted(codes[order], np.arange(len(types) + 1))
        return {t: by_type.iloc[bounds[n]:bounds[n + 1]] for n, t in enumerate(types)}

    @cached_property
    def _ledger_evidence(self) -> dict[str, pd.Series]:
        return {}

    def ledger_of_type(self, ledger_type: str) -> pd.DataFrame:
        """The ledger entries of one type (split once per period, shared by every rule type)."""
        return self._ledger_by_type.get(ledger_type, self.ledger.iloc[0:0])

    def ledger_evidence(self, ledger_type: str) -> pd.Series:
        """``ledger:id,…`` per ``org_id`` for the entries of one type (built once)."""
        if ledger_type not in self._ledger_evidence:
            entries = self.ledger_of_type(ledger_type)
            self._ledger_evidence[ledger_type] = (evidence_ids(entries, ["org_id"], "ledger") if len(entries)
                                                  else pd.Series(dtype=object))
        return self._ledger_evidence[ledger_type]


def _same_type(ids: np.ndarray, bound: int) -> np.generic:
    """``bound`` as a scalar of the ids' own type, clipped to its range (which keeps its position
    among them): searching for any other scalar, numpy converts the whole array first (36 ms for
    28 M int32 ids, at every slice)."""
    info = np.iinfo(ids.dtype)
    return ids.dtype.type(min(max(int(bound), info.min), info.max))


# --- the rule-type contract ----------------------------------------------------------------


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RuleBatch:
    """What a rule type gets: every grid row of the indicators that use it, and the facts.

    ``rows`` has one row per (organisation, indicator) with columns ``org_id``, ``indicator_code``,
    ``max_points``, ``kind``, ``tolerance``, ``target`` (NaN where none is set) and ``category``;
    its index is the one the result must keep. ``params`` maps each indicator code to its
    validated parameters (an instance of the rule type's ``Params``).
    """

    rows: pd.DataFrame
    indicators: Mapping[str, IndicatorSpec]
    params: Mapping[str, Any]
    facts: Facts
    orgs: pd.DataFrame
    period: Period
    source_weights: Mapping[str, float]

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
    inputs: ClassVar[tuple[str, ...]] = ()  # which facts it reads: ledger, findings, ratings, orgs

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError


class RuleError(BastionError):
    """A rule type failed or returned something malformed while scoring."""

    def __init__(self, rule: str, plugin: str | None, message: str) -> None:
        self.rule, self.plugin = rule, plugin
        super().__init__(tr(f"规则类型 {rule!r}" + (f"（插件 {plugin}）" if plugin else "") + f"：{message}",
                            f"rule type {rule!r}" + (f" (plugin {plugin})" if plugin else "") + f": {message}"))


# --- helpers for rule types ----------------------------------------------------------------


def achievement(value: pd.Series, target: pd.Series, tolerance: pd.Series | float | None = None) -> pd.Series:
    """Share of the target reached, in [0, 1]; a missing or zero target counts as reached.

    With a tolerance (flexible indicators), a shortfall of at most ``tolerance × target`` counts
    as reached in full; below the band the share is the plain ratio.
    """
    value = value.astype(float)
    target = target.astype(float)
    ratio = (value / target.where(target > 0)).clip(upper=1.0)
    ratio = ratio.where(target > 0, 1.0).fillna(1.0)
    if tolerance is not None:
        tol = tolerance if isinstance(tolerance, pd.Series) else pd.Series(tolerance, index=value.index)
        tol = tol.astype(float).fillna(0.0)
        within_band = value >= target * (1 - tol) - 1e-9
        ratio = ratio.where(~within_band, 1.0)
    return ratio


def join_text(frame: pd.DataFrame, keys: list[str], texts: pd.Series, sep: str, *, order: list[str] | None = None,
              prefix: str = "") -> pd.Series:
    """``texts`` joined with ``sep`` per group of ``keys`` (rows ordered by ``keys`` then ``order``).

    Built without a Python object per row or per group (a scoring run has millions of small
    groups): the texts, sorted by group, become one Arrow list per group, joined in one call.
    ``texts`` may hold numbers (ids): they are turned into text by Arrow too. Returns Arrow strings
    indexed by the group keys.
    """
    if frame.empty:
        return pd.Series(dtype=object)
    sort_keys = [_sortable(frame[c]) for c in (*keys, *(order or []))]
    positions = _lexical_order(sort_keys)
    continues = np.zeros(len(positions), dtype=bool)  # the row belongs to the same group as the previous one
    continues[1:] = True
    for codes in sort_keys[:len(keys)]:  # compared as sort codes: no Python object per row
        codes = codes[positions]
        continues[1:] &= codes[1:] == codes[:-1]
    starts = np.flatnonzero(~continues)
    key_values = [frame[k].array.take(positions[starts]) for k in keys]
    values = pa.array(texts, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    values = pc.fill_null(values.take(pa.array(positions)), "")
    offsets = pa.array(np.append(starts, len(positions)), type=pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), sep)
    if prefix:
        joined = pc.binary_join_element_wise(prefix, joined, "")
    index = (pd.Index(key_values[0], name=keys[0]) if len(keys) == 1
             else pd.MultiIndex.from_arrays(key_values, names=keys))
    return text_series(joined, index)


def _sortable(column: pd.Series) -> np.ndarray:
    """Numbers as they are; anything else as the codes of its sorted distinct values."""
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.to_numpy()
    codes, distinct = pd.factorize(column, sort=True, use_na_sentinel=False)
    return codes.astype(np.int16) if len(distinct) <= np.iinfo(np.int16).max else codes  # int16: radix-sorted


def _lexical_order(keys: list[np.ndarray]) -> np.ndarray:
    """The stable order of the rows by ``keys[0]``, then ``keys[1]`` … (``np.lexsort`` with the keys reversed).

    Rows mostly come ordered by the trailing keys already (facts are read in id order and sorted
    by branch, a ledger type's rows are cut out in that order): then only the leading keys are
    sorted, each by one stable sort, much faster than a lexsort over all of them.
    """
    first = next((i for i in range(len(keys)) if _ordered_by(keys[i:])), len(keys))
    positions = np.arange(len(keys[0]))
    for key in reversed(keys[:first]):
        positions = positions[np.argsort(key[positions], kind="stable")]
    return positions


def _ordered_by(keys: list[np.ndarray]) -> bool:
    """Whether the rows are in ascending lexical order of ``keys``."""
    ascending = np.zeros(max(len(keys[0]) - 1, 0), dtype=bool)
    tied = ~ascending
    for key in keys:
        ascending |= tied & (key[1:] > key[:-1])
        tied &= key[1:] == key[:-1]
    return bool((ascending | tied).all())


def per_row(values: pd.Series, org_ids: pd.Series, fill: object = None) -> pd.Series:
    """A per-organisation series (indexed by ``org_id``) laid onto rows by their ``org_ids``.

    Organisations without a value get ``fill`` (left missing when ``fill`` is None). The result
    keeps the rows' index, so it lines up with the batch's rows.
    """
    mapped = pd.Series(values.reindex(org_ids.to_numpy()).array, index=org_ids.index)
    if isinstance(fill, str) and not isinstance(mapped.dtype, pd.StringDtype):
        mapped = mapped.astype(object)
    return mapped.fillna(fill) if fill is not None else mapped


def points_text(points: pd.Series, max_points: pd.Series) -> pd.Series:
    """`` → 8/10 分``: the ending of a line's reason, as the built-in rule types write it."""
    return concat(" → ", fmt(points), "/", fmt(max_points), " 分")


TEXT = pd.StringDtype("pyarrow")  # reasons and evidence: Arrow strings, no Python object per line


def text_series(values: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow strings as a text Series (dtype :data:`TEXT`) on ``index``."""
    if not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index)


def choose(condition: pd.Series, yes: pd.Series | str | None, no: pd.Series | str | None) -> pd.Series:
    """Texts: ``yes`` where ``condition`` holds, else ``no`` — each a text Series on ``condition``'s
    index, a str or None (missing) — picked in one Arrow call, unlike ``np.where``, which turns
    Arrow strings into Python objects."""
    index = condition.index
    mask = pa.array(np.asarray(condition, dtype=bool))
    return text_series(pc.if_else(mask, _arrow_text(yes, index), _arrow_text(no, index)), index)


def _arrow_text(value: pd.Series | str | None, index: pd.Index) -> pa.Scalar | pa.Array | pa.ChunkedArray:
    if value is None or isinstance(value, str):
        return pa.scalar(value, pa.large_string())
    if not value.index.equals(index):
        value = value.reindex(index)
    return pa.array(value.astype(TEXT))


def formatted(series: pd.Series, format: Callable[[Any], str]) -> pd.Series:
    """``format`` of each value as text, called once per distinct value (reasons repeat few values)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    texts = pa.array([format(u) for u in uniques], pa.large_string())
    return text_series(texts.take(pa.array(codes)), series.index)


def evidence_ids(facts: pd.DataFrame, keys: list[str], kind: str) -> pd.Series:
    """``kind:id,id,…`` per group of ``keys``: the ids of the facts behind a line, ascending."""
    if facts.empty:
        return pd.Series(dtype=object)
    return join_text(facts, keys, facts["id"], ",", order=["id"], prefix=kind + ":")


def combine_sources(ratings: pd.DataFrame, weights: Mapping[str, float], *, quorum: int = 1) -> pd.DataFrame:
    """Weighted multi-source combination of ballot scores, per organisation (多方评价加权).

    Each source's score is the mean of its ballots; a source with fewer than ``quorum`` ballots,
    or without a weight, does not count. The combined score is ``Σ wₛ·meanₛ / Σ wₛ`` over the
    sources that count, so a missing source's weight is shared out in proportion.

    Returns, indexed by ``org_id``: ``combined`` (NaN when no source counts), ``ballots`` and
    ``detail`` (the per-source means, weights and ballot counts, in words).
    """
    scored = ratings[ratings["score"].notna() & ratings["source"].isin(list(weights))]
    if scored.empty:
        return pd.DataFrame({"combined": [], "ballots": [], "detail": []}, index=pd.Index([], name="org_id"))
    per = scored.groupby(["org_id", "source"], sort=True)["score"].agg(["mean", "count"]).reset_index()
    per = per[per["count"] >= quorum].copy()
    per["weight"] = per["source"].map(weights).astype(float)
    per["weighted"] = per["weight"] * per["mean"]
    by_org = per.groupby("org_id").agg(wsum=("weight", "sum"), wmean=("weighted", "sum"), ballots=("count", "sum"))
    combined = (by_org["wmean"] / by_org["wsum"].where(by_org["wsum"] > 0))
    names = formatted(per["source"], lambda s: SOURCE_LABELS.get(s, s))
    per["text"] = (names + " " + formatted(per["mean"].round(ROUND), "{:g}".format) + "（权重 "
                   + formatted(per["weight"], "{:g}".format) + "，" + formatted(per["count"], str) + " 票）")
    detail = join_text(per, ["org_id"], per["text"], "；", order=["source"])
    return pd.DataFrame({"combined": combined, "ballots": by_org["ballots"], "detail": detail})


SOURCE_LABELS = {
    "self": "自评",
    "members": "党员群众",
    "peers": "其他支部书记",
    "superior": "上级机关",
    "work_report": "述职评议",
    "questionnaire": "问卷调查",
    "forum": "座谈会",
}


def fmt(series: pd.Series) -> pd.Series:
    """Numbers as short text for reasons (12, 3.5, 0.25), as text (:data:`TEXT`).

    Arrow converts each distinct value once (told apart by their bits, so ``-0`` stays ``-0``):
    reasons repeat few values, and its float-to-text conversion is the costly part.
    """
    numbers = series.astype(float).round(ROUND).to_numpy()
    codes, distinct = pd.factorize(numbers.view(np.int64), use_na_sentinel=False)
    texts = pc.cast(pa.array(distinct.view(np.float64), from_pandas=True), pa.large_string())
    return text_series(texts.take(pa.array(codes)), series.index)


def concat(*parts: pd.Series | str) -> pd.Series:
    """Texts joined element-wise — text Series on one index, and str — in one Arrow call.

    The same as ``a + b + …``, which copies the text built so far at every ``+``: the built-in
    rule types build their reasons (a dozen parts, millions of lines) this way.
    """
    index = next(p.index for p in parts if isinstance(p, pd.Series))
    separator = pa.scalar("", pa.large_string())
    return text_series(pc.binary_join_element_wise(*(_arrow_text(p, index) for p in parts), separator), index)


# --- targets -------------------------------------------------------------------------------


def resolve_targets(scheme: Scheme, orgs: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each organisation's target per indicator: own row, else its category's, else the default.

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
                "value", "target", "veto", "veto_reason", "reason", "evidence"]


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
         "max_points": float(i.points), "tolerance": i.tolerance, "position": n}
        for n, (block, i) in enumerate((b, i) for b in scheme.blocks for i in b.indicators)
    ]
    return pd.DataFrame(rows)


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
) -> Inputs:
    """Check and order the inputs of a period's scoring.

    ``orgs`` needs ``org_id``, ``code`` and ``category`` (more columns are passed to rule types);
    ``target_rows`` has ``indicator_code``, ``category``, ``org_id`` and ``value`` (the cycle's
    Target rows); ``params`` maps indicator code → validated rule parameters (validated here when
    omitted); ``rule_owners`` maps rule name → plugin name, for error messages.
    """
    if orgs["org_id"].duplicated().any():
        raise ValueError("duplicate org_id in orgs")
    if params is None:
        params = validate_params(scheme, rule_types)
    orgs = orgs.sort_values("org_id", kind="stable").reset_index(drop=True)
    return Inputs(scheme, rule_types, orgs, facts.within(period).sorted_by_org(), period, target_rows, params,
                  rule_owners or {})


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
                           inputs.period, targets, inputs.params, inputs.rule_owners)


def subtotals(lines: pd.DataFrame) -> pd.DataFrame:
    """Per organisation of ``lines``: ``base`` and ``bonus`` (before the cap), ``vetoed`` and ``veto_reasons``."""
    is_bonus = lines["kind"] == IndicatorKind.bonus
    sums = pd.DataFrame({
        "org_id": lines["org_id"],
        "base": lines["points"].where(~is_bonus, 0.0),
        "bonus": lines["points"].where(is_bonus, 0.0),
        "vetoed": lines["veto"],
    }).groupby("org_id").agg(base=("base", "sum"), bonus=("bonus", "sum"), vetoed=("vetoed", "any"))
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


def conclude(scheme: Scheme, orgs: pd.DataFrame, sums: pd.DataFrame) -> pd.DataFrame:
    """Totals, grades, ranks and tiers of every organisation, from the :func:`subtotals` of all slices."""
    ev = orgs[["org_id", "code"]].merge(sums, left_on="org_id", right_index=True, how="left")
    ev["base_points"] = ev["base"].fillna(0.0).round(ROUND)
    ev["bonus_points"] = np.minimum(ev["bonus"].fillna(0.0), scheme.bonus_cap).round(ROUND)
    ev["total"] = (ev["base_points"] + ev["bonus_points"]).round(ROUND)
    ev["vetoed"] = ev["vetoed"].fillna(False).astype(bool)
    ev["veto_reasons"] = ev["veto_reasons"].apply(lambda r: r if isinstance(r, list) else [])
    grade, advanced = assign_grades(scheme, ev["total"], ev["vetoed"])
    ev["grade"], ev["advanced_eligible"] = grade, advanced
    ev["rank"] = rank(ev)
    ev["tier"] = assign_tiers(scheme, ev["rank"], ev["total"], ev["vetoed"])
    return ev.sort_values("rank")[EVALUATION_COLUMNS].reset_index(drop=True)


EVALUATION_COLUMNS = ["org_id", "base_points", "bonus_points", "total", "vetoed", "veto_reasons", "grade",
                      "advanced_eligible", "rank", "tier"]


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
    slice_size: int = 5_000,
) -> ScoreResult:
    """Score every organisation in ``orgs`` for ``period``, all lines in memory (see :func:`prepare`).

    The same as ``core.scoring`` does when it writes each slice as it comes: :func:`prepare`,
    :func:`score_slices`, :func:`subtotals` per slice, :func:`conclude` over all of them.
    """
    inputs = prepare(scheme, rule_types, orgs, facts, period, target_rows=target_rows, params=params,
                     rule_owners=rule_owners)
    parts = list(score_slices(inputs, slice_size=slice_size))
    lines = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LINE_COLUMNS)
    sums = pd.concat([subtotals(p) for p in parts]) if parts else subtotals(lines)
    return ScoreResult(period, scheme.id, scheme.version, conclude(scheme, inputs.orgs, sums), lines)


def _score_lines(scheme: Scheme, rule_types: Mapping[str, RuleType], specs: Mapping[str, IndicatorSpec],
                 ind: pd.DataFrame, orgs: pd.DataFrame, facts: Facts, period: Period, targets: pd.DataFrame,
                 params: Mapping[str, Any], rule_owners: Mapping[str, str]) -> pd.DataFrame:
    """The lines of one slice of organisations."""
    grid = _grid(orgs, ind).merge(targets, on=["org_id", "indicator_code"], how="left")  # a left merge keeps the order
    outputs = []
    for rule_name, rows in grid.groupby("rule", sort=True):
        rule = rule_types.get(rule_name)
        owner = rule_owners.get(rule_name)
        if rule is None:
            raise RuleError(rule_name, None, tr("未由任何已启用的插件提供", "is not contributed by any enabled plugin"))
        codes = rows["indicator_code"].unique()
        batch = RuleBatch(
            rows=rows.drop(columns=["rule", "position", "block_code"]),
            indicators={c: specs[c] for c in codes},
            params={c: params[c] for c in codes},
            facts=facts, orgs=orgs, period=period, source_weights=scheme.source_weights,
        )
        try:
            out = rule.evaluate(batch)
        except Exception as exc:  # a plugin's fault must name the plugin, not crash opaquely
            raise RuleError(rule_name, owner, tr(f"抛出异常 {type(exc).__name__}: {exc}",
                                                 f"raised {type(exc).__name__}: {exc}")) from exc
        outputs.append(_checked(out, rows, rule_name, owner))

    lines = grid.join(pd.concat(outputs).sort_index())  # each rule's rows back in the grid's order: no realignment
    lines["target"] = lines["period_target"].where(lines["period_target"].notna(), lines["target"])
    lines["points"] = np.where(lines["kind"] == IndicatorKind.veto, 0.0,
                               lines["points"].clip(lower=0.0, upper=lines["max_points"])).round(ROUND)
    return lines[LINE_COLUMNS]


def _grid(orgs: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    """One row per (organisation, indicator), in line order: by ``orgs``' order, then the scheme's."""
    n, k = len(orgs), len(ind)
    left = orgs[["org_id", "category"]].iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    return pd.concat([left, ind.iloc[np.tile(np.arange(k), n)].reset_index(drop=True)], axis=1)


def validate_params(scheme: Scheme, rule_types: Mapping[str, RuleType]) -> dict[str, Any]:
    """Each indicator's parameters, validated against its rule type's ``Params`` model."""
    out = {}
    for spec in scheme.indicators():
        rule = rule_types.get(spec.rule)
        if rule is None:
            raise RuleError(spec.rule, None, tr(f"（指标 {spec.code} 使用）未由任何已启用的插件提供",
                                                f"used by indicator {spec.code} is not contributed by any "
                                                f"enabled plugin"))
        out[spec.code] = rule.Params.model_validate(spec.params)
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
    """Grade per organisation (等次): the first band reached; vetoed ones get ``veto_grade``."""
    mins = np.array([g.min_score for g in scheme.grades], dtype=float)
    # Number of bands (listed descending) whose min_score is above the total = index of the band reached.
    idx = (total.to_numpy()[:, None] < mins[None, :] - 1e-9).sum(axis=1)
    idx = np.minimum(idx, len(mins) - 1)
    names = np.array([g.name for g in scheme.grades], dtype=object)[idx]
    adv = np.array([g.advanced for g in scheme.grades])[idx]
    grade = pd.Series(np.where(vetoed, scheme.veto_grade, names), index=total.index, dtype=object)
    return grade, pd.Series(adv & ~vetoed.to_numpy(), index=total.index)


def rank(ev: pd.DataFrame) -> pd.Series:
    """Ranks 1..n by the documented tie rule (module docstring, step 6)."""
    order = ev.sort_values(["vetoed", "total", "base_points", "code"],
                           ascending=[True, False, False, True], kind="stable").index
    ranks = pd.Series(0, index=ev.index, dtype="int64")
    ranks.loc[order] = np.arange(1, len(order) + 1)
    return ranks


def assign_tiers(scheme: Scheme, ranks: pd.Series, total: pd.Series, vetoed: pd.Series) -> pd.Series:
    bands = scheme.tiers.bands
    names = np.array([b.name for b in bands], dtype=object)
    n = len(ranks)
    if scheme.tiers.method == "rank_share":
        bounds = np.array([math.ceil(round(c * n, 9)) for c in np.cumsum([b.share for b in bands])])
        idx = np.searchsorted(bounds, ranks.to_numpy(), side="left")
    else:
        mins = np.array([b.min_score if b.min_score is not None else -np.inf for b in bands], dtype=float)
        idx = (total.to_numpy()[:, None] < mins[None, :] - 1e-9).sum(axis=1)
    idx = np.minimum(idx, len(bands) - 1)
    idx = np.where(vetoed.to_numpy(), len(bands) - 1, idx)
    return pd.Series(names[idx], index=ranks.index, dtype=object)
