"""Anomaly flags (异常提示) on a round's box, for the office to look at before it closes the round.

- **straight-lining** (一律同分): a ballot of two questions or more answering each at the same place of its scale —
  every score alike, or 100 with 优秀 (a score as itself ÷ 100, a level by its rank in the offered scale: the first
  1, the last 0);
- **outlier** (离群票): a score whose modified z-score, 0.6745·(x − median)/MAD, is above 3.5 in absolute value among
  the same branch's, source's and question's scores (Iglewicz and Hoaglin), in a group of :data:`MIN_GROUP` or
  more; where MAD is 0, the mean absolute deviation × 1.253314 stands in for it (and where that is 0 too, all
  agree and nothing is an outlier);
- **lenient / severe source** (偏宽/偏严): a source whose mean overall score on a branch (from
  :data:`~.secrecy.SHOWN_FROM` ballots) sits :data:`SOURCE_GAP` points or more above or below the mean of all the
  branch's ballots — the many ballots say what is usual, so of two sources the smaller, divergent one is flagged;
- **turnout** (参评不足): a branch and source below its quorum, or under half of those entitled.

Flags point at ballots by their random key and at branches and sources — never at a person: there is none to
point at. The office may exclude a ballot with a reason (``rounds.exclude``); nothing is excluded by a flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection
from sqlmodel import Session

from ..i18n import tr
from ..models import BallotRound, Cycle, RoundKind
from ..registry import Registry
from ..words import SOURCE, word
from .questions import questions
from .rounds import box_ballots, turnout
from .secrecy import SHOWN_FROM

THRESHOLD = 3.5  # |modified z-score| above this is an outlier (Iglewicz and Hoaglin)
MIN_GROUP = 5  # scores a group needs before any of them is called an outlier
SOURCE_GAP = 10.0  # points between a source's mean and the mean of all the branch's ballots that flag it
LOW_TURNOUT = 0.5  # under this share of those entitled is low turnout

FLAG_COLUMNS = ["kind", "org_code", "org_name", "source", "ballot_id", "question", "detail"]
KINDS = {"straight_line": ("一律同分", "straight-lining"), "outlier": ("离群票", "outlier"),
         "lenient": ("来源偏宽", "lenient source"), "severe": ("来源偏严", "severe source"),
         "turnout": ("参评不足", "low turnout")}


def modified_z(values: np.ndarray) -> np.ndarray:
    """Each value's modified z-score among ``values``: 0.6745·(x − median)/MAD, MAD standing in as 1.253314 × the
    mean absolute deviation where it is 0; all 0 where every value agrees."""
    values = np.asarray(values, dtype=float)
    median = np.median(values)
    mad = np.median(np.abs(values - median))
    if mad > 0:
        return 0.6745 * (values - median) / mad
    mean_ad = np.mean(np.abs(values - median))
    if mean_ad > 0:
        return (values - median) / (1.253314 * mean_ad)
    return np.zeros_like(values)


def flags(conn: Connection, found: BallotRound, registry: Registry) -> pd.DataFrame:
    """The round's anomaly flags (:data:`FLAG_COLUMNS`), excluded ballots left out."""
    if found.kind == RoundKind.members.value:  # a review of members: levels, mostly alike by nature — turnout only
        frame = pd.DataFrame(_turnout(conn, found, registry), columns=FLAG_COLUMNS).astype(object)
        return frame.where(frame.notna(), None)
    box = box_ballots(conn, found)
    box = box[box["excluded"].isna()]
    cycle = Session(bind=conn).get(Cycle, found.cycle_id)
    asked = {source: questions(conn, cycle, source, registry) for source in box["source"].unique().tolist()}
    out = [*_straight_lines(box, asked), *_outliers(box, asked), *_sources(box), *_turnout(conn, found, registry)]
    frame = pd.DataFrame(out, columns=FLAG_COLUMNS).astype(object)
    return frame.where(frame.notna(), None)


def _place(question, value) -> float | None:
    if value is None:
        return None
    if question.qualitative:
        scale = list(question.choices)
        if value not in scale or len(scale) < 2:
            return None
        return 1.0 - scale.index(value) / (len(scale) - 1)
    return float(value) / 100.0


def _straight_lines(box: pd.DataFrame, asked: dict) -> list[dict]:
    found = []
    for row in box.itertuples(index=False):
        sheet = asked[row.source]
        if len(sheet) < 2:
            continue
        places = [_place(q, row.answers.get(q.key or "")) for q in sheet]
        if None not in places and max(places) - min(places) < 1e-9:
            found.append({"kind": "straight_line", "org_code": row.org_code, "org_name": row.org_name,
                          "source": row.source, "ballot_id": row.id, "question": None,
                          "detail": tr(f"{len(sheet)} 个问题答案处于同一档位", f"all {len(sheet)} answers at one place")})
    return found


def _outliers(box: pd.DataFrame, asked: dict) -> list[dict]:
    found = []
    for (org_code, org_name, source), ballots in box.groupby(["org_code", "org_name", "source"], sort=True):
        for question in (q for q in asked[source] if not q.qualitative):
            key = question.key or ""
            scores = ballots["answers"].map(lambda a, k=key: a.get(k))
            scores = scores[scores.notna()].astype(float)
            if len(scores) < MIN_GROUP:
                continue
            z = modified_z(scores.to_numpy())
            median = float(np.median(scores))
            for ballot_id, score, m in zip(ballots.loc[scores.index, "id"], scores, z):
                if abs(m) > THRESHOLD:
                    found.append({"kind": "outlier", "org_code": org_code, "org_name": org_name, "source": source,
                                  "ballot_id": ballot_id, "question": question.key,
                                  "detail": tr(f"{score:g} 分，中位数 {median:g}，修正 z 值 {m:.1f}",
                                               f"{score:g}, median {median:g}, modified z {m:.1f}")})
    return found


def _sources(box: pd.DataFrame) -> list[dict]:
    overall = box.assign(score=box["answers"].map(lambda a: a.get(""))).dropna(subset=["score"])
    overall["score"] = overall["score"].astype(float)
    pooled = overall.groupby("org_code")["score"].mean()
    means = overall.groupby(["org_code", "org_name", "source"])["score"].agg(["mean", "count"]).reset_index()
    sources = means.groupby("org_code")["source"].transform("size")
    means = means[(means["count"] >= SHOWN_FROM) & (sources >= 2)]
    found = []
    for row in means.itertuples(index=False):
        usual = pooled[row.org_code]
        gap = row.mean - usual
        if abs(gap) >= SOURCE_GAP:
            found.append({"kind": "lenient" if gap > 0 else "severe", "org_code": row.org_code,
                          "org_name": row.org_name, "source": row.source, "ballot_id": None, "question": None,
                          "detail": tr(f"{word(SOURCE, row.source)}平均 {row.mean:.1f}，本支部全部测评票平均 {usual:.1f}",
                                       f"{row.source} mean {row.mean:.1f}, all the branch's ballots {usual:.1f}")})
    return found


def _turnout(conn: Connection, found: BallotRound, registry: Registry) -> list[dict]:
    counts = turnout(conn, found, registry)
    short = counts[(counts["cast"] < counts["needed"].fillna(0)) | (counts["cast"] < LOW_TURNOUT * counts["entitled"])]
    return [{"kind": "turnout", "org_code": r.org_code, "org_name": r.org_name, "source": r.source, "ballot_id": None,
             "question": None, "detail": tr(f"已投 {r.cast}/{r.entitled}，法定票数 {r.needed}",
                                            f"cast {r.cast}/{r.entitled}, quorum {r.needed}")}
            for r in short.itertuples(index=False)]
