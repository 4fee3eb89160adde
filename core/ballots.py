"""Ballots (测评票) of democratic evaluation (民主测评): assigned to raters, each submitted once as a Rating.

An administrator assigns a rater to organisations for a cycle, a period and a rating source
(members, peers, superior …). The rater sees only the ballots assigned to them and submits each
once: the answer becomes a :class:`~bastion.core.models.Rating` with the rater's username and the
ballot's source, dated inside the period so that scoring counts it. Nobody reads another rater's
ballots or ratings here; the quorum (法定票数) shows only counts.

What a ballot asks follows the cycle's frozen scheme: the rules that read ratings of the ballot's
source (:func:`rating_readers`) ask an overall score (0–100), a score on one indicator, or a level
(优秀/良好/… on a qualitative indicator).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Connection, func, or_, select, update
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit, periods
from .access import Action, Forbidden, Principal, allows, require, visible
from .cycles import cycle_scheme
from .errors import BastionError, Conflict, NotFound, Problem, refuse
from .frames import read_frame
from .i18n import tr
from .models import (
    Ballot,
    Cycle,
    Grant,
    Organization,
    OrgLevel,
    Rating,
    RatingSource,
    Role,
    User,
    org_code_key,
    utcnow,
)
from .plugin_faults import PluginFault, plugin_code
from .registry import Registry
from .tenants import enabled_plugins
from .values import text_problems
from .words import SOURCE, word


# --- what the scheme reads -------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """An indicator whose rule reads ratings: from which sources, overall or on itself, as score or level."""

    indicator_code: str
    indicator_name: str
    rule: str
    sources: tuple[str, ...]
    per_indicator: bool  # the rating names this indicator; otherwise an overall rating (indicator_code None)
    levels: tuple[str, ...]  # a qualitative rule's levels; empty for scores
    quorum: int | None  # ballots a source needs to count, where the rule has such a parameter

    @property
    def qualitative(self) -> bool:
        return bool(self.levels)


@dataclass(frozen=True)
class Question:
    """What a ballot asks: an overall score (``indicator_code`` None), a score on an indicator, or a level."""

    indicator_code: str | None
    label: str
    levels: tuple[str, ...] = ()

    @property
    def qualitative(self) -> bool:
        return bool(self.levels)


def rating_readers(conn: Connection, cycle: Cycle, registry: Registry) -> list[Reader]:
    """The cycle's indicators whose rule types read ratings, with their validated parameters.

    Parameters are read as the rule type declares them (its ``Params``), so defaults count: a
    ballot rule without ``sources`` reads the sources the scheme weights. By convention ``sources`` are
    the sources asked; ``levels`` (or, where those are not what a rater chooses from, ``asked_levels``:
    ``veto_on_rating`` vetoes on some levels of the usual scale) make a qualitative question on the
    indicator; ``per_indicator`` a score on the indicator rather than the overall score.
    """
    scheme = cycle_scheme(cycle)
    rules = registry.rule_types(enabled_plugins(conn, cycle.tenant_id))
    found = []
    for spec in scheme.indicators():
        rule = rules.get(spec.rule)
        if rule is None or "ratings" not in rule.item.inputs:
            continue
        try:
            with plugin_code(rule.plugin, spec.rule):
                params = rule.item.Params.model_validate(spec.params)
        except PluginFault as fault:
            if isinstance(fault.error, ValidationError):
                continue
            raise
        levels = tuple(getattr(params, "asked_levels", getattr(params, "levels", None)) or ())
        sources = tuple(getattr(params, "sources", None) or scheme.source_weights)
        found.append(Reader(spec.code, spec.name, spec.rule, sources,
                            per_indicator=bool(levels) or bool(getattr(params, "per_indicator", False)),
                            levels=levels, quorum=getattr(params, "quorum", None)))
    return found


def questions(conn: Connection, cycle: Cycle, source: str, registry: Registry) -> list[Question]:
    """What a ballot of ``source`` may answer in ``cycle``: the overall score first when a rule reads it.

    When no rule of the scheme reads the source, the overall score is still asked (and recorded).
    """
    return asked_of(rating_readers(conn, cycle, registry), source)


def asked_of(readers: Iterable[Reader], source: str) -> list[Question]:
    """:func:`questions` from the cycle's readers (:func:`rating_readers`), read once for every source."""
    readers = [r for r in readers if source in r.sources]
    out: list[Question] = []
    if not readers or any(not r.per_indicator for r in readers):
        out.append(Question(None, "总体评价（0–100 分）"))
    out += [Question(r.indicator_code, f"{r.indicator_code} {r.indicator_name}", r.levels)
            for r in readers if r.per_indicator]
    return out


def source_quorum(readers: Iterable[Reader], source: str) -> int | None:
    """The largest quorum a rule reading ``source`` asks for; None when none of them has one."""
    quorums = [r.quorum for r in readers if source in r.sources and r.quorum is not None]
    return max(quorums) if quorums else None


# --- what makes a valid rating ------------------------------------------------------------------
#
# A rating answers a question the cycle's scheme asks of its source (:func:`questions`): the overall
# score, a score on an indicator whose rule reads ratings on it, or a level (优秀/良好/…) of a qualitative
# indicator — a score 0–100 for a scored question, one of the rule's levels for a qualitative one. A
# rating dated outside the tenant's open years, or in a period whose results are under review or published, is
# refused (:func:`bastion.core.periods.date_problems`). A ballot is answered through :func:`submit_ballot`; an
# imported rating through :func:`rating_problems`.

WHAT = ("测评", "ratings")
FIELDS = {"date": ("日期", "date"), "indicator_code": ("指标", "indicator"), "score": ("分数", "score"),
          "level": ("等次", "level")}


def _problem(key: str, zh: str, en: str) -> Problem:
    return Problem(key, tr(*FIELDS[key]), tr(zh, en))


def answer_problems(question: Question, score: float | None, level: str | None) -> list[Problem]:
    """What is wrong with an answer to ``question``: a level of its levels, or a score 0–100."""
    if question.qualitative:
        if level not in question.levels:
            return [_problem("level", f"请为“{question.label}”选择 {'、'.join(question.levels)} 之一",
                             f"choose one of {'、'.join(question.levels)} for {question.label}")]
        return []
    if score is None:
        return [_problem("score", f"请为“{question.label}”打 0–100 分",
                         f"give a score from 0 to 100 for {question.label}")]
    if not 0 <= float(score) <= 100:
        return [_problem("score", f"{score:.10g} 不在 0–100 之间", f"{score:.10g} is outside 0–100")]
    return []


def _not_asked(source: str, indicator_code: str | None, asked: Iterable[Question]) -> Problem:
    what = tr("总体评价", "the overall score") if indicator_code is None else repr(indicator_code)
    labels = [q.label for q in asked]
    return _problem("indicator_code", f"{word(SOURCE, source)}测评票不含 {what}（测评项目：{'、'.join(labels)}）",
                    f"the {source} ballot does not ask about {what} (it asks: {', '.join(labels)})")


@dataclass(frozen=True)
class RatingRules:
    """What a rating is checked against: where the tenant's years stand, each cycle's indicator codes and
    the questions it asks of each source (cycle id, source → indicator code or None → question)."""

    years: periods.Years
    indicators: Mapping[int, frozenset[str]]
    asked: Mapping[tuple[int, str], Mapping[str | None, Question]]


def rating_rules(session: Session, tenant_id: int, registry: Registry, *, within: Cycle | None = None,
                 years: Iterable[int] | None = None) -> RatingRules:
    """The rules for ratings of ``tenant_id``: ``within`` one cycle, or in any of its cycles (of ``years``)."""
    dated = periods.years(session, tenant_id, within=within, only=years)
    conn = session.connection()
    indicators, asked = {}, {}
    for cycle in dated.cycles.values():
        indicators[cycle.id] = frozenset(s.code for s in cycle_scheme(cycle).indicators())
        readers = rating_readers(conn, cycle, registry)
        for source in RatingSource:
            asked[(cycle.id, source.value)] = {q.indicator_code: q for q in asked_of(readers, source.value)}
    return RatingRules(dated, indicators, asked)


def rating_problems(rules: RatingRules, *, source: str | None, indicator_code: str | None, score: float | None,
                    level: str | None, day: date | None) -> list[Problem]:
    """What is wrong with a rating, field by field (empty when it is valid). A source or date of None was
    already refused by the caller (it could not read it) and is not checked again."""
    found = periods.date_problems(rules.years, day, what=WHAT, field=FIELDS["date"])
    cycle = rules.years.cycle(day)
    if cycle is None or source is None:
        return found
    asked = rules.asked.get((cycle.id, source), {})
    if indicator_code is not None and indicator_code not in rules.indicators.get(cycle.id, ()):
        found.append(_problem("indicator_code",
                              f"{indicator_code!r} 不是 {cycle.year} 考核年度（方案 {cycle.scheme_id} "
                              f"{cycle.scheme_version}）的指标",
                              f"{indicator_code!r} is not an indicator of the {cycle.year} cycle (scheme "
                              f"{cycle.scheme_id} {cycle.scheme_version})"))
    elif indicator_code not in asked:
        found.append(_not_asked(source, indicator_code, asked.values()))
    else:
        found += answer_problems(asked[indicator_code], score, level)
    return found


# --- assigning -------------------------------------------------------------------------------


def _source(source: str) -> str:
    try:
        return RatingSource(source).value
    except ValueError:
        raise BastionError(tr(f"测评来源：没有测评来源 {source!r}（可选：{'、'.join(s.value for s in RatingSource)}）",
                              f"source: no rating source {source!r} "
                              f"(sources: {', '.join(s.value for s in RatingSource)})")) from None


def _rater(session: Session, tenant_id: int, username: str) -> User:
    user = session.exec(select_model(User).where(User.tenant_id == tenant_id, User.username == username)).first()
    if user is None:
        raise NotFound(tr(f"测评人：本单位没有用户 {username!r}", f"rater: no user {username!r} in this tenant"))
    roles = session.exec(select_model(Grant.role).where(Grant.user_id == user.id)).all()
    if Role.rater.value not in roles:
        raise BastionError(tr(f"测评人：{username} 没有测评人角色，请先授予",
                              f"rater: {username} does not have the rater role (测评人): grant it first"))
    return user


def _branches(session: Session, tenant_id: int, org_codes: Iterable[str]) -> list[Organization]:
    codes = list(dict.fromkeys(org_code_key(c) for c in org_codes if c.strip()))
    if not codes:
        raise BastionError(tr("组织：请至少指定一个被测评的党支部", "organisations: name at least one branch to rate"))
    found = {org_code_key(o.code): o for o in session.exec(select_model(Organization).where(
        Organization.tenant_id == tenant_id, func.upper(Organization.code).in_(codes))).all()}
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(tr(f"组织：本单位没有组织 {'、'.join(missing)}",
                          f"organisations: no organisation {', '.join(missing)} in this tenant"))
    not_branches = [c for c in codes if found[c].level != OrgLevel.branch.value]
    if not_branches:
        raise BastionError(tr(f"组织：{'、'.join(not_branches)} 不是党支部，只有党支部参加测评",
                              f"organisations: {', '.join(not_branches)} are not branches (党支部): only branches "
                              f"are rated"))
    return [found[c] for c in codes]


def assign_ballots(session: Session, *, actor: str, cycle: Cycle, period: str, source: str, rater_username: str,
                   org_codes: Iterable[str]) -> list[Ballot]:
    """Give ``rater_username`` a ballot of ``source`` for each branch of ``org_codes`` in ``cycle``'s ``period``.

    Branches the rater already has that ballot for are left as they are, so assigning again adds
    only what is new. Returns the ballots created. Unscoped (the CLI and the demo); the UI calls
    :func:`assign`.
    """
    period_key = periods.in_cycle(cycle, period).key
    source = _source(source)
    rater = _rater(session, cycle.tenant_id, rater_username)
    orgs = _branches(session, cycle.tenant_id, org_codes)
    held = set(session.exec(select_model(Ballot.org_id).where(
        Ballot.cycle_id == cycle.id, Ballot.period == period_key, Ballot.source == source,
        Ballot.rater_id == rater.id)).all())
    made = [Ballot(tenant_id=cycle.tenant_id, cycle_id=cycle.id, period=period_key, org_id=o.id, source=source,
                   rater_id=rater.id) for o in orgs if o.id not in held]
    session.add_all(made)
    session.flush()
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="assign", entity="ballot",
                 entity_id=None, new={"cycle": cycle.year, "period": period_key, "source": source,
                                      "rater": rater.username, "orgs": [o.code for o in orgs if o.id not in held]})
    return made


def assign(session: Session, principal: Principal, *, cycle: Cycle, period: str, source: str, rater_username: str,
           org_codes: Iterable[str]) -> list[Ballot]:
    """:func:`assign_ballots` for an administrator, on branches inside their organisations only."""
    conn = session.connection()
    require(conn, principal, Action.administer)
    if cycle.tenant_id != principal.tenant_id:
        raise Forbidden(tr(f"{principal.username} 无权分配其他单位的测评票",
                           f"{principal.username} may not assign ballots of another tenant"))
    codes = list(org_codes)
    orgs = _branches(session, cycle.tenant_id, codes)
    outside = [o.code for o in orgs if not allows(conn, principal, Action.administer, o.id)]
    if outside:
        raise Forbidden(tr(f"{principal.username} 无权为 {'、'.join(outside)} 分配测评票：不在授予其的组织范围内",
                           f"{principal.username} may not assign ballots for {', '.join(outside)}: "
                           "outside the organisations granted to them"))
    return assign_ballots(session, actor=principal.username, cycle=cycle, period=period, source=source,
                          rater_username=rater_username, org_codes=codes)


# --- the rater's own ballots -----------------------------------------------------------------


BALLOT_COLUMNS = ["ballot_id", "cycle_id", "year", "period", "org_id", "org_code", "org_name", "source",
                  "assigned_at", "submitted_at", "indicator_code", "score", "level", "note"]


def my_ballots(conn: Connection, principal: Principal, *, cycle_id: int | None = None) -> pd.DataFrame:
    """The principal's own ballots (and, once submitted, their own answer): pending first, then by period."""
    b, o, c, r = Ballot.__table__.c, Organization.__table__.c, Cycle.__table__.c, Rating.__table__.c
    query = (select(b.id.label("ballot_id"), b.cycle_id, c.year, b.period, b.org_id, o.code.label("org_code"),
                    o.name.label("org_name"), b.source, b.assigned_at, b.submitted_at, r.indicator_code, r.score,
                    r.level, r.note)
             .join_from(Ballot.__table__, Organization.__table__, o.id == b.org_id)
             .join(Cycle.__table__, c.id == b.cycle_id)
             .outerjoin(Rating.__table__, r.id == b.rating_id)
             .where(b.tenant_id == principal.tenant_id, b.rater_id == principal.user_id)
             .order_by(b.submitted_at.is_not(None), c.year.desc(), b.period, b.source, o.code))
    if cycle_id is not None:
        query = query.where(b.cycle_id == cycle_id)
    return read_frame(query, conn)[BALLOT_COLUMNS]


def _own_ballot(session: Session, principal: Principal, ballot_id: int) -> Ballot:
    ballot = session.get(Ballot, ballot_id)
    if ballot is None or ballot.tenant_id != principal.tenant_id or ballot.rater_id != principal.user_id:
        raise Forbidden(tr(f"测评票 {ballot_id} 未分配给 {principal.username}",
                           f"ballot {ballot_id} is not assigned to {principal.username}"))
    return ballot


def _answer(question: Question, score: float | None, level: str | None) -> tuple[float | None, str | None]:
    refuse(answer_problems(question, score, level))
    return (None, level) if question.qualitative else (float(score), None)


def submit_ballot(session: Session, principal: Principal, *, ballot_id: int, registry: Registry,
                  score: float | None = None, level: str | None = None, indicator_code: str | None = None,
                  note: str = "", today: date | None = None) -> Rating:
    """Submit one's own ballot, once: the answer is kept as a Rating of the ballot's source, audited.

    ``indicator_code`` chooses the question (:func:`questions`; None: the overall score). A
    ballot already submitted, or whose period is under review or published, is refused, and so is a
    rater who no longer holds the rater role (the ballot stays assigned; a new grant reopens it). The rating
    is dated today, kept inside the ballot's period (:func:`periods.dated_inside`); a day that falls in a
    shorter period already closed (the year's ballot once its fourth quarter is published) is refused by the
    rule every fact is dated by (:func:`periods.date_problems`).
    """
    require(session.connection(), principal, Action.rate)
    refuse(text_problems(("note", ("意见建议", "note"), note)))
    ballot = _own_ballot(session, principal, ballot_id)
    if ballot.submitted_at is not None:
        raise Conflict(tr(f"测评票 {ballot_id} 已提交：每张测评票只能提交一次",
                          f"ballot {ballot_id} was submitted already: a ballot is submitted once"))
    conn = session.connection()
    if periods.is_closed(conn, ballot.cycle_id, ballot.period):
        raise Conflict(tr(f"测评票 {ballot_id}：{ballot.period} 的考核结果已在审核或已发布，测评已截止",
                          f"ballot {ballot_id}: the results of {ballot.period} are under review or published; "
                          "the ballot is closed"))
    cycle = session.get(Cycle, ballot.cycle_id)
    asked = {q.indicator_code: q for q in questions(conn, cycle, ballot.source, registry)}
    if indicator_code not in asked:
        raise _not_asked(ballot.source, indicator_code, asked.values()).error()
    score, level = _answer(asked[indicator_code], score, level)
    day = periods.dated_inside(periods.Period.parse(ballot.period), today)
    refuse(periods.date_problems(periods.years(session, ballot.tenant_id, within=cycle), day, what=WHAT,
                                 field=FIELDS["date"]))
    now = utcnow()
    rating = Rating(tenant_id=ballot.tenant_id, org_id=ballot.org_id, source=ballot.source,
                    rater=principal.username, indicator_code=indicator_code, score=score, level=level,
                    date=day, note=note.strip(), recorded_at=now)
    session.add(rating)
    session.flush()
    b = Ballot.__table__.c
    taken = conn.execute(update(Ballot.__table__).where(b.id == ballot.id, b.rating_id.is_(None))
                         .values(rating_id=rating.id, submitted_at=now)).rowcount
    if taken != 1:  # submitted meanwhile in another session: this transaction is rolled back by the caller
        raise Conflict(tr(f"测评票 {ballot_id} 已提交：每张测评票只能提交一次",
                          f"ballot {ballot_id} was submitted already: a ballot is submitted once"))
    session.expire(ballot)
    audit.record(session, tenant_id=ballot.tenant_id, actor=principal.username, action="submit", entity="ballot",
                 entity_id=ballot.id, new={"rating_id": rating.id, "source": ballot.source, "period": ballot.period,
                                           "org_id": ballot.org_id, "indicator_code": indicator_code,
                                           "score": score, "level": level})
    return rating


# --- quorum ----------------------------------------------------------------------------------


QUORUM_COLUMNS = ["cycle_id", "period", "org_id", "org_code", "org_name", "source", "assigned", "submitted",
                  "quorum", "met"]


def read_quorum(conn: Connection, principal: Principal, *, registry: Registry, cycle_id: int | None = None,
                period: str | None = None) -> pd.DataFrame:
    """Ballots assigned and submitted per organisation and source, against the scheme's quorum.

    A rater sees the organisations and sources they hold ballots for; whoever may see results or
    administer also sees the organisations those roles reach. Only counts: never who rated what.
    """
    b, o = Ballot.__table__.c, Organization.__table__.c
    where = [b.tenant_id == principal.tenant_id]
    if cycle_id is not None:
        where.append(b.cycle_id == cycle_id)
    if period is not None:
        where.append(b.period == period)
    mine = Ballot.__table__.alias("mine")
    reach = [select(mine.c.id).where(mine.c.rater_id == principal.user_id, mine.c.cycle_id == b.cycle_id,
                                     mine.c.period == b.period, mine.c.org_id == b.org_id,
                                     mine.c.source == b.source).exists()]
    reach += [visible(conn, principal, action, b.org_id) for action in (Action.view_results, Action.administer)
              if principal.may(action)]
    where.append(or_(*reach))
    query = (select(b.cycle_id, b.period, b.org_id, o.code.label("org_code"), o.name.label("org_name"), b.source,
                    func.count().label("assigned"), func.count(b.submitted_at).label("submitted"))
             .join_from(Ballot.__table__, Organization.__table__, o.id == b.org_id)
             .where(*where).group_by(b.cycle_id, b.period, b.org_id, o.code, o.name, b.source)
             .order_by(b.period, o.code, b.source))
    frame = read_frame(query, conn)
    quorums = {}
    with Session(bind=conn) as session:
        for cid in frame["cycle_id"].unique().tolist():
            readers = rating_readers(conn, session.get(Cycle, cid), registry)
            quorums.update({(cid, s): source_quorum(readers, s) for s in frame["source"].unique().tolist()})
    quorum = [quorums.get((c, s)) for c, s in zip(frame["cycle_id"], frame["source"])]
    frame["quorum"] = pd.array(quorum, dtype="Int64")
    frame["met"] = pd.array([None if q is None else bool(n >= q) for n, q in zip(frame["submitted"], quorum)],
                            dtype="boolean")
    return frame[QUORUM_COLUMNS]
