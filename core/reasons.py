"""Reasons and evidence as text (得分说明与依据): Arrow strings, built without a Python object per line.

A scoring run explains every line in words (``完成 4，目标 8 → 6/10 分``) and names the facts behind it
(``ledger:12,15``): millions of short texts. They are built as Arrow strings, a column at a time —
numbers formatted once per distinct value (:func:`fmt`), parts joined element-wise in one call
(:func:`concat`, :func:`choose`), texts joined per group from one sort (:func:`join_text`,
:func:`evidence_ids`) — and kept as Arrow strings (:data:`TEXT`) until they are written. Rule types
reach these helpers through ``bastion.core.engine``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .scheme import ROUND

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


def formatted(series: pd.Series, format: Callable[[Any], str]) -> pd.Series:
    """``format`` of each value as text, called once per distinct value (reasons repeat few values)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    texts = pa.array([format(u) for u in uniques], pa.large_string())
    return text_series(texts.take(pa.array(codes)), series.index)


def points_text(points: pd.Series, max_points: pd.Series) -> pd.Series:
    """`` → 8/10 分``: the ending of a line's reason, as the built-in rule types write it."""
    return concat(" → ", fmt(points), "/", fmt(max_points), " 分")


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


def evidence_ids(facts: pd.DataFrame, keys: list[str], kind: str) -> pd.Series:
    """``kind:id,id,…`` per group of ``keys``: the ids of the facts behind a line, ascending."""
    if facts.empty:
        return pd.Series(dtype=object)
    return join_text(facts, keys, facts["id"], ",", order=["id"], prefix=kind + ":")


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
