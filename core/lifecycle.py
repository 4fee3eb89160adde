"""The period lifecycle (考核期状态): one state machine, each transition under the period's lease.

A period's results move one way::

    unscored ──score──▶ draft ──review──▶ reviewed ──confirm──▶ published
                          │  ▲                                      ▲
                          └──┘ score again           publish ───────┘ (from draft)

- ``score`` replaces the drafts; it is refused once the results await the leaders' review or are
  published (what is recorded no longer changes them).
- ``review`` puts the drafts to the leaders' review (领导审核): the annual stage does it.
- ``confirm`` is a leader's confirmation: reviewed results are published. ``publish`` publishes
  drafts (the periods that need no review, or an office publishing by hand); it does not publish
  reviewed results — that takes a leader's ``confirm``.
- ``correct`` changes a point in any state but unscored, as an audited correction.
- ``publish`` and ``review`` close the period to new facts: they refuse drafts that a fact of the period
  recorded (or a target adjusted) since they were scored outdates (``scoring.refuse_outdated``), so a closed
  period stands on the facts recorded up to its closing — its frozen inputs (``scoring.facts_until``).

Publishing or confirming what is already published is not an error: the same request twice acts
once. Every transition holds the period's lease (:func:`changing`, ``core.locks``) from its first
read to its commit, and checks the state inside it: a second writer waits, then is refused naming
who holds the period; it never reverts what the first did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, select

from . import locks
from .errors import BastionError, Conflict
from .i18n import tr
from .models import Cycle, Evaluation, EvaluationStatus

UNSCORED, DRAFT, REVIEWED, PUBLISHED = "unscored", "draft", "reviewed", "published"

#: action → (the states it may start from, the state it leads to; None: the state it started from)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "score": (frozenset({UNSCORED, DRAFT}), DRAFT),
    "review": (frozenset({DRAFT}), REVIEWED),
    "confirm": (frozenset({REVIEWED}), PUBLISHED),
    "publish": (frozenset({DRAFT}), PUBLISHED),
    "correct": (frozenset({DRAFT, REVIEWED, PUBLISHED}), None),
}

#: action → what the lease says the holder is doing, for "in the hands of …" messages
PURPOSES = {"score": ("评分", "scoring"), "review": ("提交领导审核", "putting to review"),
            "confirm": ("领导确认", "confirming"), "publish": ("发布", "publishing"), "correct": ("更正", "correcting")}


class AlreadyDone(BastionError):
    """The request was done before (publishing a published period): nothing to do again."""


def state(conn: Connection, cycle_id: int, key: str) -> str:
    """Where the period stands: ``unscored``, ``draft``, ``reviewed`` or ``published``.

    Every result of a period shares its status; should they not (a database edited by hand), the
    furthest along is the period's."""
    e = Evaluation.__table__.c
    found = set(conn.execute(select(e.status).where(e.cycle_id == cycle_id, e.period == key).distinct()).scalars())
    for status in (PUBLISHED, REVIEWED, DRAFT):
        if status in found:
            return status
    return UNSCORED


def lease_name(cycle: Cycle, key: str) -> str:
    return f"period:{cycle.tenant_id}:{cycle.year}:{key}"


def check(conn: Connection, cycle: Cycle, key: str, action: str) -> str:
    """The period's state if ``action`` may start from it; else :class:`AlreadyDone` (publishing or confirming what
    is published) or a :class:`Conflict` that says why not and what to do instead."""
    now = state(conn, cycle.id, key)
    allowed, _ = TRANSITIONS[action]
    if now in allowed:
        return now
    if action in ("publish", "confirm") and now == PUBLISHED:
        raise AlreadyDone(tr(f"考核期 {key} 已发布", f"period {key} is already published"))
    raise _refusal(cycle, key, action, now)


def _refusal(cycle: Cycle, key: str, action: str, now: str) -> BastionError:
    year = cycle.year
    if now == UNSCORED:
        return BastionError(tr(f"考核期 {key} 尚未评分：请先运行 `bastion score --period {key}`",
                               f"period {key} has not been scored: run `bastion score --period {key}` first"))
    if action == "score" and now == PUBLISHED:
        return Conflict(tr(f"{year} 考核年度的考核期 {key} 已发布，其考核结果不能再重新评分；如有错误，请用 `bastion correct` 更正",
                           f"period {key} of the {year} cycle is published; its results can no longer be rescored "
                           f"(correct a point with `bastion correct`)"))
    if action == "score" and now == REVIEWED:
        return Conflict(tr(f"考核期 {key} 的考核结果正待领导审核，不能重新评分：请由领导确认（`bastion confirm --period "
                           f"{key}`），如有错误请用 `bastion correct` 更正",
                           f"the results of period {key} await the leaders' review and can no longer be rescored: a "
                           f"leader confirms them (`bastion confirm --period {key}`); correct a point with "
                           f"`bastion correct`"))
    if action == "publish" and now == REVIEWED:
        return Conflict(tr(f"考核期 {key} 的考核结果正待领导审核：须由领导确认后发布（`bastion confirm --period {key}`）",
                           f"the results of period {key} await the leaders' review: they are published when a leader "
                           f"confirms them (`bastion confirm --period {key}`)"))
    if action == "confirm":
        return Conflict(tr(f"考核期 {key} 没有待领导审核的考核结果（当前为{_STATE_WORDS[now][0]}）",
                           f"period {key} has no results awaiting the leaders' review (they are {_STATE_WORDS[now][1]})"))
    return Conflict(tr(f"考核期 {key} 的考核结果为{_STATE_WORDS[now][0]}，不能{PURPOSES[action][0]}",
                       f"the results of period {key} are {_STATE_WORDS[now][1]}: {PURPOSES[action][1]} is not possible"))


_STATE_WORDS = {UNSCORED: ("未评分", "not scored"), DRAFT: ("草稿", "drafts"), REVIEWED: ("待领导审核", "under review"),
                PUBLISHED: ("已发布", "published")}


@contextmanager
def changing(engine: Engine, cycle: Cycle, key: str, action: str, *, actor: str,
             wait: float | None = None) -> Iterator[str]:
    """Hold the period's lease for ``action`` and check it may start; yields the state it starts from.

    The writing transaction inside should begin with :func:`fence` (it re-checks the lease and, on
    SQLite, takes the write lock first)."""
    verb = PURPOSES[action]
    purpose = tr(f"{cycle.year} 考核年度考核期 {key} {verb[0]}", f"{verb[1]} period {key} of the {cycle.year} cycle")
    with locks.hold(engine, lease_name(cycle, key), actor=actor, purpose=purpose, wait=wait):
        with engine.connect() as conn:
            yield check(conn, cycle, key, action)


def fence(conn: Connection, cycle: Cycle, key: str, action: str) -> str:
    """First in a transaction that changes the period: the lease is still ours, and ``action`` may still start."""
    locks.fence(conn, lease_name(cycle, key))
    return check(conn, cycle, key, action)
