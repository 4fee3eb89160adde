"""A round of democratic evaluation (测评轮次) for one period, from opening to counting.

    open ──(codes issued once: the slips)──▶ cast by code into the box ──close──▶ closed (counted)

Two kinds (``RoundKind``), one of each per period: 民主测评 of the branches (``branches``: the scheme's secret sources
rate each branch; counted into ratings) and 民主评议党员 (``members``: a branch's members rate each member; counted
into their grades, ``member_review``).

- :func:`open_round` draws who is entitled (``draw.entitled``) on the round's day for every secret source the
  cycle's scheme asks, and keeps the counts — one round per cycle and period;
- :func:`issue_codes` makes a one-time code for every entitled rater not yet given one and returns them, once:
  only their digests are kept, so the slips written from them are the only copy;
- :func:`exclude` sets a ballot aside with the office's reason (作废) while the round is open;
- :func:`close_round` counts the box into ratings — each answer a rating of the ballot's source, dated inside the
  period, carrying the ballot's random key and no rater — in the box's random order, and closes the round.

A change of a round locks its row (``FOR UPDATE``; SQLite has one writer at a time); a cast locks it shared
(``box.cast``), so closing waits for the casts in flight and no cast lands after the count. Closing a closed round
does nothing (the same request twice acts once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit, periods, tree
from ..access import Action, Principal, require_whole_tenant
from ..bulk_write import bulk_insert
from ..errors import BadValue, BastionError, Conflict, NotFound
from ..i18n import tr
from ..models import (
    BallotCode,
    BallotEntitlement,
    BallotRound,
    CastBallot,
    Cycle,
    Organization,
    Rating,
    RoundKind,
    RoundStatus,
    utcnow,
)
from ..registry import Registry
from ..words import ROUND_KIND, SOURCE, word
from ..notify import planning as notify
from ..rule_helpers import quorum_needed
from . import codes, draw, member_review
from .questions import WHAT, FIELDS, rating_readers
from .secrecy import SECRET_SOURCES

DEFAULT_DAYS = 14
"""A round stays open this many days unless its deadline is given."""


def today() -> date:
    return periods.day_of(utcnow())


def may_run(conn: Connection, principal: Principal) -> None:
    """Refuse unless ``principal`` administers the whole tenant: a round draws on every branch of it."""
    require_whole_tenant(conn, principal, Action.administer,
                         ("民主测评须由管理全单位的管理员组织", "a ballot round is run by an administrator of the whole tenant"))




def kind_of(kind: str) -> str:
    try:
        return RoundKind(kind).value
    except ValueError:
        raise BadValue(tr(f"测评类型：{kind!r} 应为 branches（民主测评）或 members（民主评议党员）",
                          f"kind: {kind!r} should be branches (民主测评) or members (民主评议党员)")) from None


def find_round(conn: Connection, cycle: Cycle, period: str, kind: str = RoundKind.branches.value) -> BallotRound | None:
    key = periods.in_cycle(cycle, period).key
    r = BallotRound.__table__.c
    row = conn.execute(select(BallotRound.__table__).where(r.cycle_id == cycle.id, r.period == key,
                                                           r.kind == kind_of(kind))).mappings().first()
    return BallotRound(**row) if row else None


def the_round(conn: Connection, cycle: Cycle, period: str, kind: str = RoundKind.branches.value) -> BallotRound:
    found = find_round(conn, cycle, period, kind)
    if found is None:
        key, (zh, en) = periods.in_cycle(cycle, period).key, ROUND_KIND[kind_of(kind)]
        raise NotFound(tr(f"考核期 {key} 没有{zh}轮次：请先开启（`bastion ballots open --period {key} --kind {kind}`）",
                          f"period {key} has no {en}: open one first (`bastion ballots open --period {key} "
                          f"--kind {kind}`)"))
    return found


def _locked(session: Session, round_id: int, *, shared: bool = False) -> BallotRound:
    """The round's row, locked until the transaction ends (shared by a cast, alone by a change of the round)."""
    query = select_model(BallotRound).where(BallotRound.id == round_id).with_for_update(read=shared)
    found = session.exec(query).first()
    if found is None:
        raise NotFound(tr(f"没有测评轮次 {round_id}", f"no ballot round {round_id}"))
    session.refresh(found)
    return found


def secret_sources(conn: Connection, cycle: Cycle, registry: Registry) -> list[str]:
    """The secret sources the cycle's scheme asks ballots of (its rules that read ratings)."""
    asked = {s for reader in rating_readers(conn, cycle, registry) for s in reader.sources}
    return [s for s in SECRET_SOURCES if s in asked]


def open_round(session: Session, *, actor: str, cycle: Cycle, period: str, registry: Registry,
               deadline: date | None = None, day: date | None = None,
               kind: str = RoundKind.branches.value) -> BallotRound:
    """Open the round of ``kind`` of ``cycle``'s ``period``: who may vote is drawn from the tree and the register on
    ``day`` (today) and kept as counts; codes may be cast until ``deadline`` (two weeks on). ``branches``: 民主测评
    of the branches by the scheme's secret sources; ``members``: 民主评议党员, each branch's members rating each
    member."""
    kind = kind_of(kind)
    key = periods.assessed_in_cycle(cycle, period).key
    day = day or today()
    deadline = deadline or day + timedelta(days=DEFAULT_DAYS)
    if deadline < day:
        raise BastionError(tr(f"截止日期：{deadline} 早于开启日期 {day}", f"deadline: {deadline} is before {day}"))
    conn = session.connection()
    if periods.is_closed(conn, cycle.id, key):
        raise Conflict(tr(f"考核期 {key} 的考核结果已在审核或已发布，不能再开启民主测评",
                          f"the results of period {key} are under review or published: no ballot round opens for it"))
    zh, en = ROUND_KIND[kind]
    if find_round(conn, cycle, key, kind) is not None:
        raise Conflict(tr(f"考核期 {key} 的{zh}已开启：每个考核期一轮", f"period {key} has its {en} already"))
    sources = secret_sources(conn, cycle, registry) if kind == RoundKind.branches.value else ["members"]
    if not sources:
        raise BastionError(tr(f"{cycle.year} 年度考核方案没有需要民主测评（党员群众、其他支部书记、上级机关）的指标",
                              f"the {cycle.year} scheme asks no ballots of members, peers or the superior"))
    tree.hold_tree(session, cycle.tenant_id)  # the tree as it stands, not half restructured
    counts = (draw.entitled(conn, cycle.tenant_id, day, sources) if kind == RoundKind.branches.value
              else draw.reviewing(conn, cycle.tenant_id, day))
    if counts.empty:
        raise BastionError(tr(f"{day} 没有应参评人员：请先导入党员名册，或登记支部书记、上级党务工作人员数",
                              f"nobody is entitled to vote on {day}: import the members' register, or record the "
                              "secretaries and the superior's party staff"))
    found = BallotRound(tenant_id=cycle.tenant_id, cycle_id=cycle.id, period=key, kind=kind, day=day,
                        deadline=deadline, opened_by=actor)
    session.add(found)
    try:
        session.flush()
    except IntegrityError:  # opened meanwhile by another request
        raise Conflict(tr(f"考核期 {key} 的{zh}已开启：每个考核期一轮", f"period {key} has its {en} already")) from None
    bulk_insert(conn, BallotEntitlement.__table__, {
        "round_id": [found.id] * len(counts), "org_id": counts["org_id"].tolist(),
        "source": counts["source"].tolist(), "entitled": counts["entitled"].tolist(), "issued": [0] * len(counts)})
    per_source = counts.groupby("source")["entitled"].agg(["count", "sum"])
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="open", entity="ballot_round",
                 entity_id=found.id, new={"year": cycle.year, "period": key, "kind": kind, "day": day.isoformat(),
                                          "deadline": deadline.isoformat(),
                                          "entitled": {s: {"branches": int(r["count"]), "raters": int(r["sum"])}
                                                       for s, r in per_source.iterrows()}})
    notify.round_opened(conn, registry, cycle.tenant_id, round_id=found.id, period=key, deadline=deadline,
                        now=utcnow())  # the offices and the secretaries told, in the outbox
    return found


@dataclass(frozen=True)
class Slip:
    """One code to hand out: for which branch and source it votes."""

    org_code: str
    org_name: str
    source: str
    code: str
    kind: str = RoundKind.branches.value

    @property
    def what(self) -> str:
        """What the slip votes in, in words: the source, or 民主评议党员."""
        if self.kind == RoundKind.members.value:
            return tr("民主评议党员", "review of members")
        return word(SOURCE, self.source)


class Slips(Sequence[Slip]):
    """The codes a round issued, once, with the branch and source each votes in: read as :class:`Slip` one at a time
    (millions are kept as columns, not as objects)."""

    def __init__(self, due: pd.DataFrame, rows: np.ndarray, made: list[str], kind: str) -> None:
        self._due, self._rows, self._codes, self._kind = due, rows, made, kind

    def __len__(self) -> int:
        return len(self._codes)

    def _slip(self, n: int) -> Slip:
        row = self._due.iloc[int(self._rows[n])]
        return Slip(row["code"], row["name"], row["source"], self._codes[n], self._kind)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._slip(n) for n in range(*index.indices(len(self)))]
        return self._slip(index if index >= 0 else len(self) + index)

    def __iter__(self):
        codes_, names, sources = (self._due[c].to_numpy() for c in ("code", "name", "source"))
        for row, code in zip(self._rows.tolist(), self._codes):
            yield Slip(codes_[row], names[row], sources[row], code, self._kind)


ISSUE_BATCH = 500_000  # codes made and written at a time


def issue_codes(session: Session, *, actor: str, round_id: int) -> Slips:
    """A one-time code for every entitled rater not yet given one, returned once (only digests are kept).

    Codes are issued per branch and source once: a second call finds nothing left and returns none. Made and
    written :data:`ISSUE_BATCH` at a time: a round of millions in about a minute."""
    found = _locked(session, round_id)
    if found.status != RoundStatus.open.value:
        raise Conflict(tr("本轮民主测评已结束计票，不能再发放测评码", "the round is closed: no more codes are issued"))
    conn = session.connection()
    e, o = BallotEntitlement.__table__.c, Organization.__table__.c
    due = pd.read_sql(select(e.id, e.org_id, e.source, e.entitled, o.code, o.name)
                      .join(Organization.__table__, o.id == e.org_id)
                      .where(e.round_id == round_id, e.issued == 0).order_by(o.code, e.source), conn)
    rows = np.repeat(np.arange(len(due), dtype=np.int32), due["entitled"].to_numpy(dtype=np.int64))
    made: list[str] = []
    org_ids, sources = due["org_id"].to_numpy(), due["source"].to_numpy()
    for start in range(0, len(rows), ISSUE_BATCH):
        part = rows[start:start + ISSUE_BATCH]
        shown, digests = codes.new_codes(len(part))
        bulk_insert(conn, BallotCode.__table__, {
            "round_id": [round_id] * len(part), "org_id": org_ids[part].tolist(), "source": sources[part].tolist(),
            "digest": digests, "used": [False] * len(part)})
        made += shown
    if made:
        conn.execute(update(BallotEntitlement.__table__).where(e.round_id == round_id, e.issued == 0)
                     .values(issued=e.entitled))
        audit.record(session, tenant_id=found.tenant_id, actor=actor, action="issue", entity="ballot_round",
                     entity_id=round_id, new={"codes": len(made), "branches": int(due["org_id"].nunique())})
    return Slips(due, rows, made, found.kind)


def exclude(session: Session, *, actor: str, round_id: int, ballot_id: str, reason: str) -> None:
    """Set a ballot of an open round aside (作废) with the office's reason: kept, audited, not counted."""
    reason = (reason or "").strip()
    if not reason:
        raise BastionError(tr("作废理由：请写明作废这张测评票的理由", "reason: say why the ballot is excluded"))
    found = _locked(session, round_id)
    if found.status != RoundStatus.open.value:
        raise Conflict(tr("本轮民主测评已计票，测评票不能再作废", "the round is counted: no ballot is excluded now"))
    ballot = session.get(CastBallot, ballot_id)
    if ballot is None or ballot.round_id != round_id:
        raise NotFound(tr(f"本轮没有测评票 {ballot_id}", f"no ballot {ballot_id} in this round"))
    if ballot.excluded is not None:
        return
    ballot.excluded = reason[:300]
    session.add(ballot)
    audit.record(session, tenant_id=found.tenant_id, actor=actor, action="exclude", entity="cast_ballot",
                 entity_id=ballot_id, new={"round": round_id, "reason": ballot.excluded})


def close_round(session: Session, *, actor: str, round_id: int, on: date | None = None) -> int:
    """Count the box into ratings and close the round; returns how many ballots were counted (0 when it was
    closed already). The ratings are dated ``on`` (today) kept inside the period, recorded now."""
    found = _locked(session, round_id)
    if found.status == RoundStatus.closed.value:
        return 0
    conn = session.connection()
    if periods.is_closed(conn, found.cycle_id, found.period):
        raise Conflict(tr(f"考核期 {found.period} 的考核结果已在审核或已发布：本轮测评票不能再计入",
                          f"the results of period {found.period} are under review or published: the round's ballots "
                          "can no longer count"))
    if found.kind == RoundKind.members.value:
        return _close_review(session, found, actor)
    cycle = session.get(Cycle, found.cycle_id)
    day = periods.dated_inside(periods.Period.parse(found.period), on or today())
    problems = periods.date_problems(periods.years(session, found.tenant_id, within=cycle), day, what=WHAT,
                                     field=FIELDS["date"])
    if problems:
        raise problems[0].error()
    b = CastBallot.__table__.c
    box = conn.execute(select(b.id, b.org_id, b.source, b.answers).where(
        b.round_id == round_id, b.excluded.is_(None)).order_by(b.id)).all()
    now = utcnow()
    columns: dict[str, list] = {k: [] for k in ("tenant_id", "org_id", "source", "rater", "indicator_code", "score",
                                                "level", "date", "note", "recorded_at", "ballot_id")}
    for key, org_id, source, answers in box:
        for question, value in _answers(answers).items():
            level = value if isinstance(value, str) else None
            for name, v in (("tenant_id", found.tenant_id), ("org_id", org_id), ("source", source), ("rater", ""),
                            ("indicator_code", question or None), ("score", None if level else float(value)),
                            ("level", level), ("date", day), ("note", ""), ("recorded_at", now), ("ballot_id", key)):
                columns[name].append(v)
    if columns["org_id"]:
        bulk_insert(conn, Rating.__table__, columns)
    # Every ballot of the box rewritten at the count: none keeps the trace of the transaction that cast it.
    conn.execute(update(CastBallot.__table__).where(b.round_id == round_id).values(counted=True))
    found.status, found.closed_by, found.closed_at = RoundStatus.closed.value, actor, now
    session.add(found)
    excluded = conn.execute(select(func.count()).where(b.round_id == round_id, b.excluded.is_not(None))).scalar_one()
    audit.record(session, tenant_id=found.tenant_id, actor=actor, action="close", entity="ballot_round",
                 entity_id=round_id, new={"period": found.period, "counted": len(box), "excluded": int(excluded),
                                          "ratings": len(columns["org_id"]), "dated": day.isoformat()})
    return len(box)


def _close_review(session: Session, found: BallotRound, actor: str) -> int:
    """Close a review of members: its box counted into each member's tallies and grade (``member_review``)."""
    conn = session.connection()
    b = CastBallot.__table__.c
    counted = conn.execute(select(func.count()).where(b.round_id == found.id, b.excluded.is_(None))).scalar_one()
    members = member_review.count(session, found)
    conn.execute(update(CastBallot.__table__).where(b.round_id == found.id).values(counted=True))
    found.status, found.closed_by, found.closed_at = RoundStatus.closed.value, actor, utcnow()
    session.add(found)
    audit.record(session, tenant_id=found.tenant_id, actor=actor, action="close", entity="ballot_round",
                 entity_id=found.id, new={"period": found.period, "kind": found.kind, "counted": int(counted),
                                          "members": members})
    return int(counted)


def _answers(answers: Mapping[str, object] | str) -> dict[str, object]:
    return json.loads(answers) if isinstance(answers, str) else dict(answers)  # text from a bare driver


def open_over(conn: Connection, cycle: Cycle, period: periods.Period) -> list[BallotRound]:
    """The open rounds of the branches whose period overlaps ``period`` (the year's and each of its quarters'): their
    ballots are still to count in it, so it is not closed before they are (``scoring.refuse_outdated``)."""
    r = BallotRound.__table__.c
    found = [BallotRound(**row) for row in conn.execute(select(BallotRound.__table__).where(
        r.cycle_id == cycle.id, r.kind == RoundKind.branches.value, r.status == RoundStatus.open.value)).mappings()]
    return [f for f in found if _overlap(periods.Period.parse(f.period), period)]


def _overlap(a: periods.Period, b: periods.Period) -> bool:
    return a.start < b.end and b.start < a.end


# --- what scoring reads of a round ---------------------------------------------------------------------------


def entitled_columns(conn: Connection, cycle_id: int, period: str, *, until: datetime | None = None) -> pd.DataFrame:
    """Those entitled to vote on each branch in the period's round, one column per secret source
    (``entitled_members`` …), by ``org_id``: the quorum's base where a rule takes it as a share (``quorum_share``).
    Empty without a round; ``until``: a round opened by then only (a closed period's frozen inputs)."""
    r, e = BallotRound.__table__.c, BallotEntitlement.__table__.c
    query = (select(e.org_id, e.source, e.entitled).join(BallotRound.__table__, r.id == e.round_id)
             .where(r.cycle_id == cycle_id, r.period == period, r.kind == RoundKind.branches.value))
    if until is not None:
        query = query.where(r.opened_at <= until)
    found = pd.read_sql(query, conn)
    if found.empty:
        return pd.DataFrame({"org_id": pd.Series(dtype="int64")})
    wide = found.pivot(index="org_id", columns="source", values="entitled")
    return wide.rename(columns=lambda s: f"entitled_{s}").reset_index().rename_axis(columns=None)


# --- how a round stands ---------------------------------------------------------------------------------------

TURNOUT_COLUMNS = ["org_id", "org_code", "org_name", "source", "entitled", "issued", "cast", "excluded", "needed",
                   "met"]


def turnout(conn: Connection, found: BallotRound, registry: Registry) -> pd.DataFrame:
    """Per branch and source: entitled, codes issued, ballots cast and excluded, and the quorum the scheme needs
    (its fixed quorum, or more than its share of those entitled). Counts only — never what anyone voted."""
    e, o, b = BallotEntitlement.__table__.c, Organization.__table__.c, CastBallot.__table__.c
    counts = pd.read_sql(select(e.org_id, o.code.label("org_code"), o.name.label("org_name"), e.source, e.entitled,
                                e.issued).join(Organization.__table__, o.id == e.org_id)
                         .where(e.round_id == found.id).order_by(o.code, e.source), conn)
    box = pd.read_sql(select(b.org_id, b.source, func.count().label("all"), func.count(b.excluded).label("excluded"))
                      .where(b.round_id == found.id).group_by(b.org_id, b.source), conn)
    frame = counts.merge(box, on=["org_id", "source"], how="left").fillna({"all": 0, "excluded": 0})
    frame["excluded"] = frame["excluded"].astype(int)
    frame["cast"] = frame["all"].astype(int) - frame["excluded"]
    cycle = Session(bind=conn).get(Cycle, found.cycle_id)
    rules = _quorum_rules(conn, cycle, registry) if found.kind == RoundKind.branches.value else {}
    needed = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    for source, (quorum, share) in rules.items():
        on = frame["source"] == source
        if on.any():
            needed[on] = quorum_needed(frame.loc[on, "entitled"].to_numpy(), quorum, share)
    frame["needed"] = needed
    frame["met"] = (frame["cast"] >= frame["needed"]).astype("boolean")
    return frame[TURNOUT_COLUMNS]


def _quorum_rules(conn: Connection, cycle: Cycle, registry: Registry) -> dict[str, tuple[int, float | None]]:
    """Per source, the strictest quorum a rule reading it asks: its fixed count and its share of those entitled."""
    out: dict[str, tuple[int, float | None]] = {}
    for reader in rating_readers(conn, cycle, registry):
        for source in reader.sources:
            quorum, share = out.get(source, (1, None))
            quorum = max(quorum, reader.quorum or 1)
            if reader.quorum_share is not None:
                share = max(share or 0.0, reader.quorum_share)
            out[source] = (quorum, share)
    return out


BOX_COLUMNS = ["id", "org_id", "org_code", "org_name", "source", "answers", "note", "excluded"]


def box_ballots(conn: Connection, found: BallotRound) -> pd.DataFrame:
    """The ballots in a round's box, for the office: each one's answers under its random key, ordered by branch
    and key — no time, code or person (there is none to show)."""
    b, o = CastBallot.__table__.c, Organization.__table__.c
    frame = pd.read_sql(select(b.id, b.org_id, o.code.label("org_code"), o.name.label("org_name"), b.source,
                               b.answers, b.note, b.excluded)
                        .join(Organization.__table__, o.id == b.org_id)
                        .where(b.round_id == found.id).order_by(o.code, b.source, b.id), conn)
    frame["answers"] = frame["answers"].map(_answers)
    return frame[BOX_COLUMNS]


def rounds_of(conn: Connection, tenant_id: int) -> pd.DataFrame:
    """The tenant's rounds, latest first, with their counts."""
    r, c = BallotRound.__table__.c, Cycle.__table__.c
    e, b = BallotEntitlement.__table__.c, CastBallot.__table__.c
    entitled = select(func.coalesce(func.sum(e.entitled), 0)).where(e.round_id == r.id).scalar_subquery()
    cast = select(func.count()).where(b.round_id == r.id, b.excluded.is_(None)).scalar_subquery()
    query = (select(r.id, c.year, r.period, r.kind, r.day, r.deadline, r.status, r.opened_by, r.closed_at,
                    entitled.label("entitled"), cast.label("cast"))
             .join(Cycle.__table__, c.id == r.cycle_id).where(r.tenant_id == tenant_id)
             .order_by(c.year.desc(), r.period.desc()))
    return pd.read_sql(query, conn)

