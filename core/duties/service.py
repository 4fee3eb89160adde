"""Duties and responsibility lists, written: one rule each, every entry point (CLI, page) through it.

- A **duty** (党员岗位职责) is a member's, for a year: its kind — 以岗定责 (``post``: the duty of their post), 设岗定责
  (``set``: a party post the branch set up), 认岗定责 (``claimed``: a duty they took on) — and its text (up to 300
  characters). The branch's secretary (or an administrator over it) sets it; it counts for the member's branch (a
  party group's member, for the group's branch). Ending a duty keeps it and its records.
- A **fulfilment** (履职记录) of a duty is dated, with a note: a fact, refused where any fact would be (a year the
  tenant does not assess, a period under review or published: ``periods.date_problems``).
- A **responsibility list** (责任清单) is a unit's — a committee's, a general branch's or a branch's: the list of its
  class of secretary — for a year, as items (up to 300 characters each); an administrator over the unit keeps it.
- A **tick** (落实) of an item is dated and needs its evidence (what was done, where it is recorded); the unit's
  secretary or an administrator records it. A fact as well.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from .. import audit, periods
from ..access import Action, Principal, org_by_code, require
from ..errors import BastionError, NotFound, Problem, refuse
from ..i18n import tr
from ..members.service import find_member
from ..models import (DutyKind, DutyRecord, Member, MemberDuty, Organization, OrgLevel, ResponsibilityItem,
                      ResponsibilityTick, utcnow)
from ..values import text_problems
from ..words import DUTY_KIND, word

MAX_TEXT = 300
MAX_EVIDENCE = 500
DUTY_RECORDS = ("履职记录", "duty records")
TICKS = ("责任清单落实记录", "responsibility list records")


def _text(key: str, field: tuple[str, str], value: str, most: int, *, required: bool = True) -> list[Problem]:
    value = (value or "").strip()
    if required and not value:
        return [Problem(key, tr(*field), tr("必填", "required"))]
    if len(value) > most:
        return [Problem(key, tr(*field), tr(f"超过 {most} 个字符（{len(value)} 个）",
                                            f"longer than {most} characters ({len(value)})"))]
    return text_problems((key, field, value))


def _day_problems(session: Session, principal: Principal, day: date, today: date | None,
                  what: tuple[str, str]) -> list[Problem]:
    """A record's day: not in the future, and where any fact may be dated (``periods.date_problems``)."""
    found = []
    if day > (today or date.today()):
        found.append(Problem("date", tr("日期", "date"), tr(f"{day} 是将来的日期", f"{day} is in the future")))
    return found + periods.date_problems(periods.years(session, principal.tenant_id, only=[day.year]), day, what=what)


def kind_problems(kind: str) -> list[Problem]:
    if kind in {k.value for k in DutyKind}:
        return []
    allowed = "、".join(f"{k}（{word(DUTY_KIND, k)}）" for k in DUTY_KIND)
    return [Problem("kind", tr("定责方式", "kind"), tr(f"{kind!r} 不是以下之一：{allowed}",
                                                    f"{kind!r} is not one of: {', '.join(DUTY_KIND)}"))]


def _branch_of(session: Session, member: Member) -> Organization:
    org = session.get(Organization, member.org_id)
    return session.get(Organization, org.parent_id) if org.level == OrgLevel.group.value else org


def set_duty(session: Session, principal: Principal, *, member_code: str, year: int, kind: str,
             text: str) -> MemberDuty:
    """Give a member a duty for ``year`` (the branch's secretary, or an administrator over it)."""
    refuse(kind_problems(kind) + _text("text", ("职责内容", "duty"), text, MAX_TEXT))
    member = find_member(session, principal, member_code, Action.record_ledger)
    if not member.active:
        raise BastionError(tr(f"党员 {member.code} 已不在名册中，不能再定责", f"{member.code} has left the register"))
    branch = _branch_of(session, member)
    require(session.connection(), principal, Action.record_ledger, branch.id)
    duty = MemberDuty(tenant_id=principal.tenant_id, member_id=member.id, org_id=branch.id, year=year, kind=kind,
                      text=text.strip())
    session.add(duty)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="create",
                 entity="member_duty", entity_id=duty.id,
                 new={"member": member.code, "year": year, "kind": kind, "text": duty.text})
    return duty


def _duty(session: Session, principal: Principal, duty_id: int) -> MemberDuty:
    duty = session.get(MemberDuty, duty_id)
    if duty is None or duty.tenant_id != principal.tenant_id:
        raise NotFound(tr(f"没有职责 {duty_id}", f"no duty {duty_id}"))
    require(session.connection(), principal, Action.record_ledger, duty.org_id)
    return duty


def end_duty(session: Session, principal: Principal, *, duty_id: int) -> MemberDuty:
    """End a duty (it and its records are kept)."""
    duty = _duty(session, principal, duty_id)
    if duty.active:
        duty.active = False
        session.add(duty)
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="deactivate",
                     entity="member_duty", entity_id=duty.id, old={"active": True}, new={"active": False})
    return duty


def record_fulfilment(session: Session, principal: Principal, *, duty_id: int, day: date, note: str = "",
                      today: date | None = None) -> DutyRecord:
    """Record a duty fulfilled on ``day`` (a fact: dated in an open period of an assessed year, not in the future)."""
    duty = _duty(session, principal, duty_id)
    if not duty.active:
        raise BastionError(tr("该职责已结束，不能再记录履职", "the duty has ended: no more records"))
    refuse(_text("note", ("履职情况", "note"), note, MAX_TEXT, required=False)
           + _day_problems(session, principal, day, today, DUTY_RECORDS))
    record = DutyRecord(tenant_id=principal.tenant_id, duty_id=duty.id, org_id=duty.org_id, member_id=duty.member_id,
                        date=day, note=(note or "").strip(), recorded_by=principal.username, recorded_at=utcnow())
    session.add(record)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="record",
                 entity="duty_record", entity_id=record.id, new={"duty": duty.id, "date": day.isoformat(),
                                                                 "note": record.note})
    return record


def add_item(session: Session, principal: Principal, *, org_code: str, year: int, text: str) -> ResponsibilityItem:
    """Add an item to a unit's responsibility list for ``year`` (an administrator over the unit)."""
    refuse(_text("text", ("清单事项", "item"), text, MAX_TEXT))
    org = org_by_code(session, principal, Action.administer, org_code)
    if org.level == OrgLevel.group.value:
        raise BastionError(tr("党小组没有书记责任清单：请为党支部、党总支或党委建立", "a party group keeps no list"))
    last = session.exec(select(ResponsibilityItem.position).where(
        ResponsibilityItem.org_id == org.id, ResponsibilityItem.year == year)
        .order_by(ResponsibilityItem.position.desc())).first()
    item = ResponsibilityItem(tenant_id=principal.tenant_id, org_id=org.id, year=year, position=(last or 0) + 1,
                              text=text.strip())
    session.add(item)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="create",
                 entity="responsibility_item", entity_id=item.id, new={"org": org.code, "year": year,
                                                                        "text": item.text})
    return item


def _item(session: Session, principal: Principal, item_id: int, action: Action) -> ResponsibilityItem:
    item = session.get(ResponsibilityItem, item_id)
    if item is None or item.tenant_id != principal.tenant_id:
        raise NotFound(tr(f"没有清单事项 {item_id}", f"no list item {item_id}"))
    require(session.connection(), principal, action, item.org_id)
    return item


def remove_item(session: Session, principal: Principal, *, item_id: int) -> ResponsibilityItem:
    """Take an item off the list (kept, with its ticks)."""
    item = _item(session, principal, item_id, Action.administer)
    if item.active:
        item.active, item.removed_at = False, utcnow()
        session.add(item)
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="deactivate",
                     entity="responsibility_item", entity_id=item.id, old={"active": True}, new={"active": False})
    return item


def tick(session: Session, principal: Principal, *, item_id: int, day: date, evidence: str,
         today: date | None = None) -> ResponsibilityTick:
    """Tick an item done on ``day`` with its evidence (the unit's secretary, or an administrator over it)."""
    item = _item(session, principal, item_id, Action.record_ledger)
    if not item.active:
        raise BastionError(tr("该事项已移出清单", "the item is off the list"))
    refuse(_text("evidence", ("落实情况及佐证", "evidence"), evidence, MAX_EVIDENCE)
           + _day_problems(session, principal, day, today, TICKS))
    done = ResponsibilityTick(tenant_id=principal.tenant_id, item_id=item.id, org_id=item.org_id, date=day,
                              evidence=evidence.strip(), recorded_by=principal.username, recorded_at=utcnow())
    session.add(done)
    session.flush()
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="record",
                 entity="responsibility_tick", entity_id=done.id, new={"item": item.id, "date": day.isoformat(),
                                                                       "evidence": done.evidence})
    return done
