"""The facts a period is scored on (考核依据): ledger entries, check findings, ratings, duties fulfilled and
responsibility list items done, one frame each.

:class:`Facts` is what a rule type reads (``RuleBatch.facts``). The engine cuts it to a period
(:meth:`Facts.within`), orders it by organisation once (:meth:`Facts.sorted_by_org`) and hands each
slice of organisations its own rows (:meth:`Facts.for_orgs`) without copying them; the ledger is
split by type once per slice and shared by every rule type that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .periods import Period
from .reasons import evidence_ids

LEDGER_COLUMNS = ("id", "org_id", "type", "date", "quantity")
FINDING_COLUMNS = ("id", "org_id", "indicator_code", "date", "deduction", "description")
RATING_COLUMNS = ("id", "org_id", "source", "indicator_code", "score", "level", "date")
DUTY_COLUMNS = ("id", "org_id", "member_id", "date")  # duty_record: a member's duty fulfilled (履职)
TICK_COLUMNS = ("id", "org_id", "item_id", "date")  # responsibility_tick: a list item done (落实)
NUMERIC_FACTS = {"id": "int64", "org_id": "int64", "quantity": "float64", "deduction": "float64", "score": "float64",
                 "member_id": "int64", "item_id": "int64"}


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
            continue  # int32 ids as read (bulk_read.read_columns): the same values in half the memory
        data[column] = pd.to_numeric(data[column]).astype(wanted)
    return data


@dataclass(frozen=True)
class Facts:
    """What was recorded: ledger entries, check findings, ratings, duties fulfilled and list items done, a frame each.

    Columns: ledger ``id, org_id, type, date, quantity``; findings ``id, org_id,
    indicator_code, date, deduction, description``; ratings ``id, org_id, source,
    indicator_code, score, level, date``; duties fulfilled ``id, org_id, member_id, date``; list items done
    ``id, org_id, item_id, date``. ``id`` and ``org_id`` are signed integers (int32 as
    ``core.scoring`` reads them when the values fit, else int64), ``date`` a datetime.
    """

    ledger: pd.DataFrame
    findings: pd.DataFrame
    ratings: pd.DataFrame
    duties: pd.DataFrame = field(default_factory=lambda: _frame(DUTY_COLUMNS, None))
    ticks: pd.DataFrame = field(default_factory=lambda: _frame(TICK_COLUMNS, None))

    @classmethod
    def of(cls, ledger: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
           ratings: pd.DataFrame | None = None, duties: pd.DataFrame | None = None,
           ticks: pd.DataFrame | None = None) -> Facts:
        return cls(_frame(LEDGER_COLUMNS, ledger), _frame(FINDING_COLUMNS, findings),
                   _frame(RATING_COLUMNS, ratings), _frame(DUTY_COLUMNS, duties), _frame(TICK_COLUMNS, ticks))

    def _each(self, change) -> Facts:
        """The same facts, each frame changed by ``change``."""
        return Facts(*(change(f) for f in (self.ledger, self.findings, self.ratings, self.duties, self.ticks)))

    def within(self, period: Period) -> Facts:
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)

        def cut(df: pd.DataFrame) -> pd.DataFrame:
            dates = df["date"]
            if dates.empty or (dates.min() >= start and dates.max() < end):
                return df  # read for this period already: no copy of millions of rows
            return df[(dates >= start) & (dates < end)]

        return self._each(cut)

    def sorted_by_org(self) -> Facts:
        """The frames ordered by ``org_id`` (stable), built a column at a time to keep memory flat."""

        def ordered(df: pd.DataFrame) -> pd.DataFrame:
            ids = df["org_id"].to_numpy()
            if len(ids) < 2 or bool((ids[1:] >= ids[:-1]).all()):
                return df
            order = np.argsort(ids, kind="stable")
            return pd.DataFrame({name: pd.Series(df[name].to_numpy()[order], dtype=df[name].dtype)
                                 for name in df.columns})

        return self._each(ordered)

    def for_orgs(self, lo: int, hi: int) -> Facts:
        """The facts of organisations ``lo``…``hi`` (ids, inclusive); the frames must be sorted by org."""

        def cut(df: pd.DataFrame) -> pd.DataFrame:
            ids = df["org_id"].to_numpy()
            return df.iloc[np.searchsorted(ids, _same_type(ids, lo), "left"):
                           np.searchsorted(ids, _same_type(ids, hi), "right")]

        return self._each(cut)

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

