"""Casting a ballot by its one-time code into the anonymous box (投票箱).

:func:`paper` reads what a code opens — the branch, the source and every question its ballot asks — without
using it; :func:`cast` checks the answers by the one rule (``questions.answer_problems``), marks the code used
(once: a conditional update, so the same code twice, even at the same instant, casts once) and puts the answers in
the box under a random key. Nothing written joins the code to the ballot: the code's row says only that it was
used, the ballot's row only what was answered, and neither has a time. The audit trail notes that a ballot was
cast on a branch in a source — by the ballot page or by the administrator keying in a paper ballot — and nothing
of what it said.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from .. import audit, periods
from ..errors import BastionError, Conflict, NotFound, Problem, refuse
from ..i18n import tr
from ..models import BallotCode, BallotRound, CastBallot, Cycle, Organization, RoundKind, RoundStatus
from ..registry import Registry
from ..values import text_problems
from ..words import SOURCE, word
from . import codes, member_review
from .questions import Question, answer_problems, not_asked, questions
from .rounds import _locked, today

PAGE_ACTOR = "测评码"  # who the audit trail says cast a ballot through the ballot page: a code, nobody named


@dataclass(frozen=True)
class Paper:
    """What a code opens: the ballot to fill in."""

    round_id: int
    year: int
    period: str
    org_code: str
    org_name: str
    source: str
    deadline: date
    questions: tuple[Question, ...]
    kind: str = RoundKind.branches.value

    @property
    def source_label(self) -> str:
        if self.kind == RoundKind.members.value:
            return tr("民主评议党员", "review of members")
        return word(SOURCE, self.source)


def _code_row(session: Session, typed: str) -> BallotCode:
    if not codes.well_formed(typed):
        raise BastionError(tr(f"测评码：{typed.strip()!r} 不是有效的测评码（12 位字母和数字，如 ABCD-EFGH-JKMN）",
                              f"code: {typed.strip()!r} is not a ballot code (12 letters and digits, like "
                              "ABCD-EFGH-JKMN)"))
    found = session.exec(select(BallotCode).where(BallotCode.digest == codes.digest(typed))).first()
    if found is None:
        raise NotFound(tr("测评码：没有这个测评码，请核对后重新输入", "code: no such ballot code; check it and type it again"))
    return found


def _open_for_casting(session: Session, found: BallotRound, on: date) -> None:
    if found.status != RoundStatus.open.value:
        raise Conflict(tr("本轮民主测评已结束，不能再投票", "this ballot round is closed: no more votes"))
    if periods.is_closed(session.connection(), found.cycle_id, found.period):
        raise Conflict(tr(f"考核期 {found.period} 的考核结果已在审核或已发布，不能再投票",
                          f"the results of period {found.period} are under review or published: no more votes"))
    if on > found.deadline:
        raise Conflict(tr(f"本轮民主测评已于 {found.deadline} 截止，不能再投票",
                          f"this ballot round ended on {found.deadline}: no more votes"))


def paper(session: Session, typed: str, registry: Registry, *, on: date | None = None) -> Paper:
    """The ballot a code opens, unused and in an open round; refused with the reason otherwise."""
    code = _code_row(session, typed)
    if code.used:
        raise Conflict(tr("测评码：该测评码已投过票，每个测评码只能投票一次",
                          "code: this code has voted already; a code votes once"))
    found = session.get(BallotRound, code.round_id)
    _open_for_casting(session, found, on or today())
    cycle = session.get(Cycle, found.cycle_id)
    org = session.get(Organization, code.org_id)
    if found.kind == RoundKind.members.value:  # 民主评议党员: a level for each member of the branch
        asked = member_review.questions(session.connection(), found, code.org_id, member_review.rule_of(cycle))
    else:
        asked = tuple(questions(session.connection(), cycle, code.source, registry))
    return Paper(found.id, cycle.year, found.period, org.code, org.name, code.source, found.deadline, asked,
                 found.kind)


def answers_problems(asked: tuple[Question, ...], answers: Mapping[str | None, object], *,
                     source: str) -> list[Problem]:
    """What is wrong with a ballot's answers: each question answered by the one rule of an answer
    (``questions.answer_problems``), nothing answered that the ballot does not ask (``questions.not_asked``)."""
    found = []
    for question in asked:
        value = answers.get(question.key)
        level = value if question.qualitative and isinstance(value, str) and value else None
        for problem in answer_problems(question, None if question.qualitative else _number(value), level):
            found.append(Problem(question.key or "", question.label, problem.reason))
    known = {q.key for q in asked}
    found += [not_asked(source, extra, asked) for extra in answers if extra not in known]
    return found


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip()) if value is not None and str(value).strip() else None
    except ValueError:
        return None


def cast(session: Session, typed: str, answers: Mapping[str | None, object], registry: Registry, *,
         note: str = "", actor: str = PAGE_ACTOR, on: date | None = None) -> Paper:
    """Cast the ballot of code ``typed`` with ``answers`` (question → score or level; the overall score under
    None): once, into the box. ``actor`` is who the audit trail names — the ballot page's :data:`PAGE_ACTOR`, or
    the administrator keying in a paper ballot."""
    refuse(text_problems(("note", ("意见建议", "note"), note)))
    code = _code_row(session, typed)
    found = _locked(session, code.round_id, shared=True)  # a close waits for this cast, or this sees it closed
    _open_for_casting(session, found, on or today())
    sheet = paper(session, typed, registry, on=on)
    refuse(answers_problems(sheet.questions, answers, source=sheet.source))
    c = BallotCode.__table__.c
    used = session.connection().execute(update(BallotCode.__table__).where(c.id == code.id, c.used.is_(False))
                                        .values(used=True)).rowcount
    if used != 1:  # used meanwhile by another request: this transaction is rolled back by the caller
        raise Conflict(tr("测评码：该测评码已投过票，每个测评码只能投票一次",
                          "code: this code has voted already; a code votes once"))
    kept = {("" if q.key is None else q.key):
            (answers[q.key] if q.qualitative else _number(answers[q.key])) for q in sheet.questions}
    session.add(CastBallot(id=secrets.token_hex(16), round_id=found.id, org_id=code.org_id, source=code.source,
                           answers=kept, note=note.strip()))
    audit.record(session, tenant_id=found.tenant_id, actor=actor, action="cast", entity="ballot_round",
                 entity_id=found.id, new={"org": sheet.org_code, "source": code.source})
    return sheet
