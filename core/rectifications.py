"""Rectification notices after they are issued (整改通知书): the branch answers, the inspectors re-verify (复验).

Notices are issued by the rectification stage (``core.stages``). A branch answers with what it did
(``issued``, ``overdue`` or ``reopened`` → ``responded``); an inspector then re-verifies: passed →
``verified`` (closed), failed → ``reopened`` with a new deadline. Every step is audited.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit
from .errors import BastionError, Conflict, NotFound
from .frames import read_frame
from .i18n import tr
from .models import Organization, Rectification, RectificationStatus, code_is, utcnow
from .words import NOTICE_STATUS, word

ANSWERABLE = (RectificationStatus.issued, RectificationStatus.overdue, RectificationStatus.reopened)


def notice_by_number(session: Session, tenant_id: int, notice_no: str) -> Rectification:
    """The tenant's notice numbered ``notice_no`` (e.g. 整改-2026-0001); NotFound if there is none."""
    notice = session.exec(select_model(Rectification).where(Rectification.tenant_id == tenant_id,
                                                            Rectification.notice_no == notice_no)).first()
    if notice is None:
        raise NotFound(tr(f"没有整改通知书 {notice_no!r}", f"no rectification notice {notice_no!r}"))
    return notice


def respond(session: Session, *, tenant_id: int, notice_no: str, response: str, actor: str) -> Rectification:
    """The branch's answer to a notice: what it rectified and how."""
    if not response.strip():
        raise BastionError(tr("整改反馈须写明整改情况", "an answer needs the rectification done (整改情况)"))
    notice = notice_by_number(session, tenant_id, notice_no)
    if notice.status not in ANSWERABLE:
        raise Conflict(tr(f"整改通知书 {notice_no} 的状态为“{word(NOTICE_STATUS, notice.status)}”："
                          "只有待整改、逾期或复验未通过的整改通知书才能反馈",
                          f"notice {notice_no} is {notice.status}: only an issued, overdue or reopened notice "
                          f"is answered"))
    old = {"status": notice.status, "response": notice.response}
    notice.response, notice.responded_at, notice.status = response, utcnow(), RectificationStatus.responded.value
    session.add(notice)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="respond", entity="rectification",
                 entity_id=notice.id, old=old, new={"status": notice.status, "response": response})
    return notice


def verify(session: Session, *, tenant_id: int, notice_no: str, passed: bool, note: str, verifier: str,
           new_deadline: date | None = None) -> Rectification:
    """Re-verification (复验) of an answered notice: closed when it passed, reopened with a new deadline when not."""
    notice = notice_by_number(session, tenant_id, notice_no)
    if notice.status != RectificationStatus.responded:
        raise Conflict(tr(f"整改通知书 {notice_no} 的状态为“{word(NOTICE_STATUS, notice.status)}”：只有已反馈的整改通知书才能复验",
                          f"notice {notice_no} is {notice.status}: only an answered notice is re-verified"))
    if not passed and (new_deadline is None or new_deadline <= date.today()):
        raise BastionError(tr("复验未通过将重新打开整改通知书：请给出一个将来的新整改期限",
                              "a failed re-verification reopens the notice: give a new deadline in the future"))
    old = {"status": notice.status, "deadline": notice.deadline.isoformat()}
    notice.verified_at, notice.verifier, notice.verification_note = utcnow(), verifier, note
    notice.status = (RectificationStatus.verified if passed else RectificationStatus.reopened).value
    if not passed:
        notice.deadline = new_deadline
    session.add(notice)
    audit.record(session, tenant_id=tenant_id, actor=verifier, action="verify", entity="rectification",
                 entity_id=notice.id, old=old,
                 new={"status": notice.status, "note": note, "deadline": notice.deadline.isoformat()})
    return notice


def read_notices(conn: Connection, tenant_id: int, *, status: str | None = None,
                 org_code: str | None = None) -> pd.DataFrame:
    """The tenant's notices (of one status or organisation), by deadline."""
    r, o = Rectification.__table__.c, Organization.__table__.c
    query = (select(r.notice_no, o.code, o.name, r.problem, r.requirement, r.issued_at, r.deadline, r.status,
                    r.response, r.verifier, r.verification_note)
             .join_from(Rectification.__table__, Organization.__table__, r.org_id == o.id)
             .where(r.tenant_id == tenant_id).order_by(r.deadline, r.notice_no))
    if status is not None:
        query = query.where(r.status == status)
    if org_code is not None:
        query = query.where(code_is(o.code, org_code))
    return read_frame(query, conn)
