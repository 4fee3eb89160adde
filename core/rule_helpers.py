"""Helpers for rule types (规则类型的常用计算): what the built-in rules share, for any plugin's rules too.

Each works on a whole batch at once (see ``engine.RuleType``): a share of a target reached, a
per-branch value laid onto the batch's rows, the weighted combination of ballot sources. Rule types
reach them through ``bastion.core.engine``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .ballots.secrecy import SECRET_SOURCES, shown_each
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


def quorum_needed(entitled: np.ndarray, quorum: int, share: float | None) -> np.ndarray:
    """Ballots a source needs to count (法定人数), for each count of those entitled to vote in it: ``quorum``, and
    where ``share`` is set more than that share of them (0.5: more than half — 5 of 8, 6 of 10)."""
    entitled = np.asarray(entitled, dtype=float)
    if share is None:
        return np.full(entitled.shape, quorum, dtype=np.int64)
    return np.maximum(np.floor(entitled * share) + 1, quorum).astype(np.int64)


def combine_sources(ratings: pd.DataFrame, weights: Mapping[str, float], *, quorum: int = 1,
                    entitled: Mapping[str, pd.Series] | None = None, quorum_share: float | None = None,
                    below_quorum: str = "reweight") -> pd.DataFrame:
    """Weighted multi-source combination of ballot scores, per organisation (多方评价加权).

    Each source's score is the mean of its ballots. A source needs ``quorum`` ballots and, where ``entitled``
    says how many may vote in it (a Series per source, by ``org_id``: the branch's members for ``members``) and
    ``quorum_share`` is set, more than that share of them (法定人数: 0.5 is more than half). A source below its
    quorum is named in the detail (未达法定人数) and, by ``below_quorum``, does not count — its weight shared out
    among the sources that do (``reweight``) — or counts as 0 (``zero``). A source without a weight does not count.
    The combined score is ``Σ wₛ·meanₛ / Σ wₛ`` over the sources that count.

    Returns, indexed by ``org_id``: ``combined`` (NaN when no source counts), ``ballots`` and
    ``detail`` (the per-source means, weights and ballot counts, in words).
    """
    scored = ratings[ratings["score"].notna() & ratings["source"].isin(list(weights))]
    if scored.empty:
        return pd.DataFrame({"combined": [], "ballots": [], "detail": []}, index=pd.Index([], name="org_id"))
    per = scored.groupby(["org_id", "source"], sort=True)["score"].agg(["mean", "count"]).reset_index()
    per["needed"] = quorum
    per["entitled"] = float("nan")
    for source, counts in (entitled or {}).items():
        on = per["source"] == source
        per.loc[on, "entitled"] = per.loc[on, "org_id"].map(counts).astype(float)
        if quorum_share is not None:
            per.loc[on, "needed"] = quorum_needed(per.loc[on, "entitled"].fillna(0).to_numpy(), quorum, quorum_share)
    per["short"] = per["count"] < per["needed"]
    if below_quorum == "zero":
        per.loc[per["short"], "mean"] = 0.0
        counting = per
    else:
        counting = per[~per["short"]]
    counting = counting.copy()
    counting["weight"] = counting["source"].map(weights).astype(float)
    counting["weighted"] = counting["weight"] * counting["mean"]
    by_org = counting.groupby("org_id").agg(wsum=("weight", "sum"), wmean=("weighted", "sum"),
                                            ballots=("count", "sum"))
    combined = (by_org["wmean"] / by_org["wsum"].where(by_org["wsum"] > 0))
    per["weight"] = per["source"].map(weights).astype(float)
    names = formatted(per["source"], lambda s: SOURCE_LABELS.get(s, s))
    # A secret source's mean is told only from enough ballots (``secrecy.shown``): fewer would tell each one.
    told = shown_each(per["source"].isin(SECRET_SOURCES), per["count"]).to_numpy()
    mean_text = formatted(per["mean"].round(ROUND), "{:g}".format).where(told, "均分不公布")
    counted_text = (names + " " + mean_text + "（权重 "
                    + formatted(per["weight"], "{:g}".format) + "，" + formatted(per["count"], str) + " 票）")
    entitled_text = formatted(per["entitled"].fillna(-1), lambda n: "" if n < 0 else f"，应参评 {n:g} 人")
    short_text = (names + " " + formatted(per["count"], str) + " 票" + entitled_text + "，未达法定人数（须 "
                  + formatted(per["needed"], str) + " 票）"
                  + ("，按 0 分计（权重 " + formatted(per["weight"], "{:g}".format) + "）" if below_quorum == "zero"
                     else "，不计"))
    per["text"] = counted_text.where(~per["short"].to_numpy(), short_text)
    detail = join_text(per, ["org_id"], per["text"], "；", order=["source"])
    ballots = by_org["ballots"].reindex(detail.index)
    return pd.DataFrame({"combined": combined.reindex(detail.index), "ballots": ballots, "detail": detail})


SOURCE_LABELS = {
    "self": "自评",
    "members": "党员群众",
    "peers": "其他支部书记",
    "superior": "上级机关",
    "work_report": "述职评议",
    "questionnaire": "问卷调查",
    "forum": "座谈会",
}
