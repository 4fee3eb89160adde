"""What a ballot (测评票) asks, and what makes a valid rating: one rule for the ballot page, the paper ballots keyed
in, and the ratings imported.

What a ballot asks follows the cycle's frozen scheme: the rules that read ratings of the ballot's
source (:func:`rating_readers`) ask an overall score (0–100), a score on one indicator, or a level
(优秀/良好/… on a qualitative indicator).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from sqlalchemy import Connection
from sqlmodel import Session

from .. import periods
from ..cycles import cycle_scheme
from ..errors import Problem
from ..i18n import tr
from ..models import Cycle, RatingSource
from ..plugin_faults import PluginFault, plugin_code
from ..registry import Registry
from ..tenants import enabled_plugins
from ..words import SOURCE, word
from .secrecy import rater_problems


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
    offered: tuple[str, ...]  # the levels a ballot offers (aliases left out: ``offered_levels``)
    quorum: int | None  # ballots a source needs to count, where the rule has such a parameter
    quorum_share: float | None = None  # and the share of those entitled it needs more than, where it says

    @property
    def qualitative(self) -> bool:
        return bool(self.levels)


@dataclass(frozen=True)
class Question:
    """What a ballot asks: an overall score (``key`` None), a score on an indicator or a level (``key``: the
    indicator's code) — or, in a review of members (民主评议党员), a member's level (``key``: the member's number).
    The answers to a ballot are keyed by it."""

    key: str | None
    label: str
    levels: tuple[str, ...] = ()  # the levels an answer may be (an import's aliases too)
    offered: tuple[str, ...] = ()  # the levels a ballot shows to choose from (the levels when not given)

    @property
    def choices(self) -> tuple[str, ...]:
        return self.offered or self.levels

    @property
    def indicator_code(self) -> str | None:
        """The indicator the question is on (None: the overall score), on a ballot of a branch."""
        return self.key

    @property
    def qualitative(self) -> bool:
        return bool(self.levels)


def rating_readers(conn: Connection, cycle: Cycle, registry: Registry) -> list[Reader]:
    """The cycle's indicators whose rule types read ratings, with their validated parameters.

    Parameters are read as the rule type declares them (its ``Params``), so defaults count: a
    ballot rule without ``sources`` reads the sources the scheme weights. By convention ``sources`` are
    the sources asked; ``levels`` (or, where those are not what a rater chooses from, ``asked_levels``:
    ``veto_on_rating`` vetoes on some levels of the usual scale) make a qualitative question on the
    indicator, of which a ballot offers ``offered_levels`` where a rule has them (a scale's aliases left out);
    ``per_indicator`` a score on the indicator rather than the overall score.
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
        offered = tuple(getattr(params, "offered_levels", None) or levels)
        sources = tuple(getattr(params, "sources", None) or scheme.source_weights)
        found.append(Reader(spec.code, spec.name, spec.rule, sources,
                            per_indicator=bool(levels) or bool(getattr(params, "per_indicator", False)),
                            levels=levels, offered=offered, quorum=getattr(params, "quorum", None),
                            quorum_share=getattr(params, "quorum_share", None)))
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
    out += [Question(r.indicator_code, f"{r.indicator_code} {r.indicator_name}", r.levels, r.offered)
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
          "level": ("等次", "level"), "rater": ("测评人", "rater")}


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


def not_asked(source: str, indicator_code: str | None, asked: Iterable[Question]) -> Problem:
    """The problem of an answer to a question the ballot of ``source`` does not ask."""
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
                    level: str | None, day: date | None, rater: str = "") -> list[Problem]:
    """What is wrong with a rating, field by field (empty when it is valid). A source or date of None was
    already refused by the caller (it could not read it) and is not checked again. A rating of a secret source
    names no rater (:func:`bastion.core.ballots.secrecy.rater_problems`)."""
    found = periods.date_problems(rules.years, day, what=WHAT, field=FIELDS["date"])
    found += [Problem("rater", tr(*FIELDS["rater"]), text) for text in rater_problems(source, rater)]
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
        found.append(not_asked(source, indicator_code, asked.values()))
    else:
        found += answer_problems(asked[indicator_code], score, level)
    return found
