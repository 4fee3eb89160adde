"""What secrecy (无记名投票) means here, written once.

A ballot of a secret source — the branch's members (党员群众), the secretaries of its sibling branches (其他支部书记),
the superior's party staff (上级机关) — is cast by a one-time code into a box that keeps no time, no code and no
person (``models.CastBallot``), and the ratings counted from it name no rater. Nobody — administrators included —
can tell who gave which score; what anyone sees of a source is its aggregate, and only from :data:`SHOWN_FROM`
ballots on, never a single ballot.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..i18n import tr
from ..models import RatingSource
from ..words import SOURCE, word

SECRET_SOURCES: tuple[str, ...] = (RatingSource.members.value, RatingSource.peers.value, RatingSource.superior.value)
"""The sources a round draws raters for and keeps secret; the others (自评, 述职评议 …) are open appraisals."""

SHOWN_FROM = 3
"""A secret source's aggregate (its mean) is shown once at least this many of its ballots are in: fewer would
tell a rater's score to whoever knows who voted."""


def is_secret(source: str) -> bool:
    return source in SECRET_SOURCES


def shown(source: str, ballots: int) -> bool:
    """Whether a source's mean over ``ballots`` ballots may be shown: an open source always, a secret one from
    :data:`SHOWN_FROM` ballots."""
    return not is_secret(source) or ballots >= SHOWN_FROM


def shown_each(secret: pd.Series, ballots: pd.Series) -> pd.Series:
    """:func:`shown` for many at once: whether each aggregate of ``ballots`` ballots may be shown, ``secret``
    where they are (or include) a secret source's (``sources.isin(SECRET_SOURCES)``)."""
    return ~secret.astype(bool) | (ballots >= SHOWN_FROM)


BALLOT_NUMBER = re.compile(r"^(票|No\.?|#)?\s*\d{1,8}$", re.IGNORECASE)
"""What a secret source's rating may carry in ``rater``: a paper ballot's number (票001, No. 17, 0042) that tells
imported ballots apart — never a name."""


def rater_problems(source: str | None, rater: str | None) -> list[str]:
    """What is wrong with naming ``rater`` on a rating of ``source``: a secret source's ratings name nobody (a
    ballot's number, :data:`BALLOT_NUMBER`, is not a name)."""
    text = (rater or "").strip()
    if source is not None and is_secret(source) and text and not BALLOT_NUMBER.match(text):
        return [tr(f"{word(SOURCE, source)}为无记名投票，不得填写测评人（{text}）；可填写票号（如 票001）",
                   f"{source} ballots are secret: a rating of them names no rater ({text}); a ballot number "
                   "(票001) may be given")]
    return []


def conceal(lines: list[dict[str, Any]], ratings: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """An explanation's lines with no single rating of a secret source: each line's evidence keeps the open
    sources' ratings, and ``ballots`` says per secret source how many ballots it counted and — from
    :data:`SHOWN_FROM` on — their mean score and how many gave each level. Returns the ratings still to show."""
    hidden: set[int] = set()
    for line in lines:
        ids = line["evidence"].get("rating", [])
        secret = [i for i in ids if i in ratings and is_secret(ratings[i]["source"])]
        hidden.update(secret)
        if "rating" in line["evidence"]:
            line["evidence"] = line["evidence"] | {"rating": [i for i in ids if i not in set(secret)]}
        by_source: dict[str, list[dict[str, Any]]] = {}
        for i in secret:
            by_source.setdefault(ratings[i]["source"], []).append(ratings[i])
        line["ballots"] = [_aggregate(source, found) for source, found in sorted(by_source.items())]
    return {i: r for i, r in ratings.items() if i not in hidden}


def _aggregate(source: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [r["score"] for r in found if r.get("score") is not None]
    levels: dict[str, int] = {}
    for r in found:
        if r.get("level"):
            levels[r["level"]] = levels.get(r["level"], 0) + 1
    show = shown(source, len(found))
    return {"source": source, "ballots": len(found),
            "mean": round(sum(scores) / len(scores), 2) if show and scores else None,
            "levels": levels if show else {}}


def aggregate_text(ballots: dict[str, Any]) -> str:
    """A secret source's aggregate on an explanation line, in words."""
    head = tr(f"{word(SOURCE, ballots['source'])} {ballots['ballots']} 票",
              f"{word(SOURCE, ballots['source'])}: {ballots['ballots']} ballot(s)")
    if not shown(ballots["source"], ballots["ballots"]):
        return head + tr(f"（不足 {SHOWN_FROM} 票，不公布分数）", f" (fewer than {SHOWN_FROM}: not shown)")
    parts = []
    if ballots["mean"] is not None:
        parts.append(tr(f"平均 {ballots['mean']:g} 分", f"mean {ballots['mean']:g}"))
    parts += [f"{level} {n}" for level, n in ballots["levels"].items()]
    return head + (tr("，", ", ") + tr("、", ", ").join(parts) if parts else "")
