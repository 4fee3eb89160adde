"""Helpers for rule types (规则类型的常用计算): what the built-in rules share, for any plugin's rules too.

Each works on a whole batch at once (see ``engine.RuleType``): a share of a target reached, a
per-branch value laid onto the batch's rows, the weighted combination of ballot sources. Rule types
reach them through ``bastion.core.engine``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .reasons import formatted, join_text
from .scheme import ROUND


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


def per_row(values: pd.Series, org_ids: pd.Series, fill: object = None) -> pd.Series:
    """A per-organisation series (indexed by ``org_id``) laid onto rows by their ``org_ids``.

    Organisations without a value get ``fill`` (left missing when ``fill`` is None). The result
    keeps the rows' index, so it lines up with the batch's rows.
    """
    mapped = pd.Series(values.reindex(org_ids.to_numpy()).array, index=org_ids.index)
    if isinstance(fill, str) and not isinstance(mapped.dtype, pd.StringDtype):
        mapped = mapped.astype(object)
    return mapped.fillna(fill) if fill is not None else mapped


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
