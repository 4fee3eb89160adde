"""民主评议党员: a branch's members rate each member of it, secretly, and grades follow — one rule, written once.

A review of members is a round of its own kind (``RoundKind.members``): every member of a branch on the round's
day gets a code (``draw.reviewing``), and its ballot asks a level (优秀/合格/基本合格/不合格, as the scheme's
``member_review`` says) for each member of the branch (``questions``). When the round closes, the box is counted
into each member's tallies and grade (``count``):

1. the proposed grade is the best level that more than half of the member's ballots give, or better (the median
   level); no ballot, no grade;
2. a level with a quota (优秀 at most a third of the branch's graded members, rounded down) keeps it for those
   with the most ballots at that level, then at it or better, then by member number; the others take the next
   level down, the reason saying so;
3. 预备党员 are rated — their tallies are kept — but not graded, unless the scheme grades them.

Tallies are aggregates; like every secret source's, they are shown from three ballots on (``read_grades``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import Session

from ..bulk_write import bulk_insert
from ..cycles import cycle_scheme
from ..i18n import tr
from ..access import Action, Principal, require
from ..models import (BallotRound, CastBallot, Cycle, Member, MemberGrade, MemberStatus, Organization, RoundKind,
                      RoundStatus)
from ..scheme import MemberReview
from . import draw
from .questions import Question
from .secrecy import SHOWN_FROM

GRADE_COLUMNS = ["member_id", "code", "name", "org_code", "org_name", "status", "ballots", "tallies", "grade",
                 "reason"]


def rule_of(cycle: Cycle) -> MemberReview:
    """The cycle's rule for reviewing members: its scheme's, else the usual one."""
    return cycle_scheme(cycle).member_review or MemberReview()


def questions(conn: Connection, found: BallotRound, branch_id: int, rule: MemberReview) -> tuple[Question, ...]:
    """What a review ballot of a branch asks: a level for each of its members on the round's day."""
    people = draw.branch_members(conn, found.tenant_id, found.day, branch_id)
    marks = {MemberStatus.probationary.value: tr("（预备党员）", " (probationary)")}
    return tuple(Question(code, f"{name}{marks.get(status, '')}", tuple(rule.levels))
                 for code, name, status in zip(people["code"], people["name"], people["status"]))


@dataclass(frozen=True)
class Graded:
    grade: str | None
    reason: str


def grade_members(tallies: Mapping[str, Mapping[str, int]], statuses: Mapping[str, str],
                  rule: MemberReview) -> dict[str, Graded]:
    """Each member's grade from the ballots' tallies (member number → level → ballots) and their status, by the
    rule above: proposed by majority, quotas applied, 预备党员 not graded unless the rule grades them."""
    levels = list(rule.levels)
    out: dict[str, Graded] = {}
    proposed: dict[str, int] = {}
    for code, counts in tallies.items():
        n = sum(counts.values())
        if statuses.get(code) == MemberStatus.probationary.value and not rule.grade_probationary:
            out[code] = Graded(None, tr("预备党员：参加评议，不定等次", "probationary: rated, not graded"))
            continue
        if n == 0:
            out[code] = Graded(None, tr("未获评议票，不定等次", "no ballot: not graded"))
            continue
        running = 0
        for rank, level in enumerate(levels):
            running += counts.get(level, 0)
            if running * 2 > n:
                proposed[code] = rank
                break
        else:
            proposed[code] = len(levels) - 1
    graded = len(proposed)
    for rank, level in enumerate(levels):
        share = rule.quotas.get(level)
        holders = [c for c, r in proposed.items() if r == rank]
        if share is None or not holders:
            continue
        room = math.floor(graded * share + 1e-9)
        if len(holders) <= room:
            continue

        def standing(code: str) -> tuple:
            counts = tallies[code]
            at_or_better = sum(counts.get(x, 0) for x in levels[: rank + 1])
            return (-counts.get(level, 0), -at_or_better, code)

        kept = sorted(holders, key=standing)[:room]
        for code in holders:
            if code not in kept:
                proposed[code] = rank + 1
                out[code] = Graded(levels[rank + 1], tr(
                    f"得票过半评为{level}，但{level}名额至多 {room} 名（{graded} 名的 {share:.0%}），按{level}票数排序后列入"
                    f"{levels[rank + 1]}",
                    f"a majority for {level}, but {level} is for at most {room} of {graded}: by their {level} "
                    f"ballots, {levels[rank + 1]}"))
    for code, rank in proposed.items():
        if code not in out:
            counts = tallies[code]
            at_or_better = sum(counts.get(x, 0) for x in levels[: rank + 1])
            n = sum(counts.values())
            out[code] = Graded(levels[rank], tr(f"{at_or_better}/{n} 票为{levels[rank]}或以上",
                                                f"{at_or_better} of {n} ballots {levels[rank]} or better"))
    return out


def count(session: Session, found: BallotRound) -> int:
    """Count a review round's box (excluded ballots left out) into each member's tallies and grade; returns how many
    members were graded or rated."""
    conn = session.connection()
    cycle = session.get(Cycle, found.cycle_id)
    rule = rule_of(cycle)
    people = draw.branch_members(conn, found.tenant_id, found.day)
    b = CastBallot.__table__.c
    box = conn.execute(select(b.org_id, b.answers).where(b.round_id == found.id, b.excluded.is_(None))).all()
    tallies: dict[str, dict[str, int]] = {code: {} for code in people["code"]}
    for _, answers in box:
        for code, level in dict(answers).items():
            if code in tallies:
                tallies[code][level] = tallies[code].get(level, 0) + 1
    rows: dict[str, list] = {k: [] for k in ("round_id", "member_id", "org_id", "tallies", "grade", "reason")}
    for branch_id, members in people.groupby("branch_id", sort=True):
        mine = {c: tallies[c] for c in members["code"]}
        graded = grade_members(mine, dict(zip(members["code"], members["status"])), rule)
        for member_id, code in zip(members["member_id"], members["code"]):
            for key, value in (("round_id", found.id), ("member_id", int(member_id)), ("org_id", int(branch_id)),
                               ("tallies", mine[code]), ("grade", graded[code].grade),
                               ("reason", graded[code].reason)):
                rows[key].append(value)
    if rows["member_id"]:
        bulk_insert(conn, MemberGrade.__table__, rows)
    return len(rows["member_id"])


def branch_grades(conn: Connection, principal: Principal, org_id: int) -> pd.DataFrame:
    """A branch's members' grades in every closed review of members, latest first, for one who may see its register
    (its secretary, an administrator over it): :data:`GRADE_COLUMNS` and the ``period``."""
    require(conn, principal, Action.view_members, org_id)
    r = BallotRound.__table__.c
    closed = [BallotRound(**row) for row in conn.execute(
        select(BallotRound.__table__).where(r.tenant_id == principal.tenant_id, r.kind == RoundKind.members.value,
                                           r.status == RoundStatus.closed.value).order_by(r.period.desc())).mappings()]
    frames = [read_grades(conn, found, org_ids=[org_id]).assign(period=found.period) for found in closed]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*GRADE_COLUMNS, "period"])


def read_grades(conn: Connection, found: BallotRound, *, org_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """A closed review's results (:data:`GRADE_COLUMNS`), by branch and member number; ``org_ids``: those branches'."""
    g, m, o = MemberGrade.__table__.c, Member.__table__.c, Organization.__table__.c
    query = (select(g.member_id, m.code, m.name, o.code.label("org_code"), o.name.label("org_name"), m.status,
                    g.tallies, g.grade, g.reason)
             .join(Member.__table__, m.id == g.member_id).join(Organization.__table__, o.id == g.org_id)
             .where(g.round_id == found.id).order_by(o.code, m.code))
    if org_ids is not None:
        query = query.where(g.org_id.in_(list(org_ids)))
    frame = pd.read_sql(query, conn)
    frame["tallies"] = frame["tallies"].map(lambda t: t if isinstance(t, dict) else json.loads(t))
    frame["ballots"] = frame["tallies"].map(lambda t: int(sum(t.values())))
    # like any secret source's aggregate, told from enough ballots only (``secrecy.SHOWN_FROM``)
    frame["tallies"] = [t if n >= SHOWN_FROM else {} for t, n in zip(frame["tallies"], frame["ballots"])]
    frame["grade"] = frame["grade"].astype(object).where(frame["grade"].notna(), None)
    return frame[GRADE_COLUMNS]
