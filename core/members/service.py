"""Keeping the register (党员名册): a member added or edited, transferred (组织关系转接), or gone off the register,
each audited in the caller's transaction, and the head counts the register derives.

One member at a time, for the administrators' form and the CLI; the register's import (``core.importing.members``)
does the same in bulk, by the same rules (:mod:`.rules`) and the same counts (:func:`recount`). Everything here
needs an administrator of the organisations concerned (``Action.administer``).

Where an organisation has a register — a member on it, or in a party group under it, ever — its ``member_count``
(党员人数) is the register's: the active members of it and of its groups (:func:`recount`), set whenever the
register changes; a typed count for it is refused (:func:`count_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update
from sqlmodel import Session

from .. import audit
from ..access import Action, Principal, org_by_code, require, require_whole_tenant
from ..errors import BastionError, Conflict, NotFound, Problem, refuse
from ..i18n import tr
from ..models import (
    Member,
    MemberStatus,
    MemberTransfer,
    Organization,
    OrgLevel,
    Tenant,
    code_is,
    utcnow,
)
from ..registry import Registry
from ..values import text_problems
from . import privacy
from .rules import FIELDS, Facts, left_problems, member_problems, transfer_day_problems

if TYPE_CHECKING:
    from ..importing import ImportReport


def _member(session: Session, tenant_id: int, code: str) -> Member | None:
    return session.execute(select(Member).where(Member.tenant_id == tenant_id, code_is(Member.code, code))
                           .with_for_update()).scalars().first()


def find_member(session: Session, principal: Principal, code: str, action: Action = Action.administer) -> Member:
    """The member numbered ``code`` in the principal's tenant, refused unless ``action`` reaches their organisation."""
    member = _member(session, principal.tenant_id, code)
    if member is None:
        raise NotFound(tr(f"党员编号：本单位党员名册中没有 {code!r}", f"member number: no {code!r} on this tenant's register"))
    require(session.connection(), principal, action, member.org_id)
    return member


def save_member(session: Session, principal: Principal, *, code: str, org_code: str, name: str,
                status: str = MemberStatus.full.value, gender: str | None = None, birth_date: date | None = None,
                joined_on: date | None = None, post: str = "", phone: str | None = None,
                moved_on: date | None = None, note: str = "", today: date | None = None) -> Member:
    """Add the member numbered ``code`` to the register, or edit them; a different ``org_code`` for a member on it
    is a transfer and needs its day (``moved_on``). Refused by the first problem (:mod:`.rules`), nothing written."""
    today = today or date.today()
    refuse(text_problems(("note", FIELDS["note"], note)))
    org = org_by_code(session, principal, Action.administer, org_code, FIELDS["org_code"])
    code = code.strip()
    facts = Facts(code=code, name=(name or "").strip(), org_level=org.level, org_active=org.active, status=status,
                  gender=gender or None, birth_date=birth_date, joined_on=joined_on, post=(post or "").strip(),
                  phone=(phone or "").strip() or None)
    refuse(member_problems(facts, today=today))
    values = {"name": facts.name, "gender": facts.gender, "birth_date": birth_date, "joined_on": joined_on,
              "status": status, "post": facts.post, "phone": facts.phone}
    member = _member(session, principal.tenant_id, code)
    if member is None:
        member = Member(tenant_id=principal.tenant_id, code=code, org_id=org.id, **values)
        session.add(member)
        session.flush()
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="create",
                     entity="member", entity_id=member.id, new=privacy.audited({"code": code, "org_code": org.code,
                                                                               **values}), note=note)
        _moved(session, member, None, org.id, moved_on or joined_on or today, actor=principal.username,
               note=note or tr("登记入名册", "registered"))
        recount(session, principal.tenant_id, [org.id], actor=principal.username)
        return member
    require(session.connection(), principal, Action.administer, member.org_id)
    refuse(left_problems(code, None if member.active else member.left_on))
    changed = {k: v for k, v in values.items() if getattr(member, k) != v and not (getattr(member, k) in (None, "")
                                                                                   and v in (None, ""))}
    if changed:
        old = {k: getattr(member, k) for k in changed}
        for key, value in changed.items():
            setattr(member, key, value)
        session.add(member)
        audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="update",
                     entity="member", entity_id=member.id, old=privacy.audited(old), new=privacy.audited(changed),
                     note=note)
    if org.id != member.org_id:
        transfer_member(session, principal, code=code, to_org_code=org.code, moved_on=moved_on, note=note,
                        today=today)
    return member


def transfer_member(session: Session, principal: Principal, *, code: str, to_org_code: str, moved_on: date | None,
                    note: str = "", today: date | None = None) -> MemberTransfer:
    """Move a member's organisational relationship (组织关系转接) to another branch or party group on ``moved_on``,
    audited and kept in the register's history; the counts of both follow."""
    today = today or date.today()
    refuse(text_problems(("note", FIELDS["note"], note)))
    member = find_member(session, principal, code)
    target = org_by_code(session, principal, Action.administer, to_org_code, FIELDS["org_code"])
    refuse(left_problems(member.code, None if member.active else member.left_on))
    if target.id == member.org_id:
        raise Conflict(tr(f"组织编码：党员 {member.code} 已在 {target.code}", f"organisation: {member.code} is already in "
                                                                          f"{target.code}"))
    refuse([p for p in member_problems(Facts(code=member.code, name=member.name, org_level=target.level,
                                             org_active=target.active, status=member.status), today=today)
            if p.key == "org_code"])
    refuse(_day_problems(session, member, moved_on, today))
    source = member.org_id
    source_code = session.get(Organization, source).code
    member.org_id = target.id
    session.add(member)
    moved = _moved(session, member, source, target.id, moved_on, actor=principal.username, note=note)
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="transfer", entity="member",
                 entity_id=member.id, old={"org_code": source_code}, new={"org_code": target.code,
                                                                   "moved_on": moved_on.isoformat()}, note=note)
    recount(session, principal.tenant_id, [source, target.id], actor=principal.username)
    return moved


def leave_register(session: Session, principal: Principal, *, code: str, left_on: date | None, note: str,
                   today: date | None = None) -> Member:
    """A member goes off the register (转出本单位, 出党, 去世) on ``left_on``, with the reason in ``note``; the record
    stays, inactive, with its history."""
    today = today or date.today()
    if not (note or "").strip():
        raise BastionError(tr("说明：须说明离开名册的原因（转出本单位、出党、去世……）",
                              "note: say why the member leaves the register (transferred out, expelled, deceased …)"))
    refuse(text_problems(("note", FIELDS["note"], note)))
    member = find_member(session, principal, code)
    refuse(left_problems(member.code, None if member.active else member.left_on))
    refuse(_day_problems(session, member, left_on, today))
    member.active, member.left_on = False, left_on
    session.add(member)
    _moved(session, member, member.org_id, None, left_on, actor=principal.username, note=note)
    audit.record(session, tenant_id=principal.tenant_id, actor=principal.username, action="deactivate",
                 entity="member", entity_id=member.id, new={"left_on": left_on.isoformat()}, note=note)
    recount(session, principal.tenant_id, [member.org_id], actor=principal.username)
    return member


def _day_problems(session: Session, member: Member, day: date | None, today: date) -> list[Problem]:
    """:func:`~.rules.transfer_day_problems` against the member's last move."""
    last = session.execute(select(func.max(MemberTransfer.moved_on))
                           .where(MemberTransfer.member_id == member.id)).scalar()
    return transfer_day_problems(day, last=last, today=today)


def _moved(session: Session, member: Member, source: int | None, target: int | None, day: date, *, actor: str,
           note: str) -> MemberTransfer:
    row = MemberTransfer(tenant_id=member.tenant_id, member_id=member.id, from_org_id=source, to_org_id=target,
                         moved_on=day, note=note.strip()[:300], actor=actor)
    session.add(row)
    session.flush()
    return row


def import_register(engine: Engine, principal: Principal, *, filename: str, data: bytes, registry: Registry,
                    again: bool = False) -> ImportReport:
    """Import an uploaded register file (``core.importing.members``), whole or not at all; it may touch members of
    any organisation, so it needs an administrator of the whole tenant."""
    from ..importing import (
        import_bytes,  # the importer reads this package's rules: imported when used
    )

    with engine.connect() as conn:
        needs = ("导入党员名册需要全单位的管理员", "importing the register needs an administrator of the whole tenant")
        require_whole_tenant(conn, principal, Action.administer, needs)
    with Session(engine) as session:
        tenant = session.get(Tenant, principal.tenant_id)
    return import_bytes(engine, tenant=tenant, kind="members", filename=filename, data=data, registry=registry,
                        actor=principal.username, again=again)


def carry_members(session: Session, tenant_id: int, from_ids: list[int], to_id: int, day: date, *, actor: str,
                  note: str) -> int:
    """The active members of the organisations ``from_ids`` (merged away, split) transferred to ``to_id`` on ``day``
    (机构调整: their organisational relationship follows the branch), each move kept in the register's history,
    the counts following; returns how many. Members of party groups stay in their groups, which move with the
    branch. The caller (``core.restructuring``) has checked and audits the change."""
    m = Member.__table__.c
    moving = session.execute(select(m.id, m.org_id).where(m.tenant_id == tenant_id, m.org_id.in_(from_ids),
                                                          m.active)).all()
    if not moving:
        return 0
    session.execute(update(Member.__table__).where(m.id.in_([r.id for r in moving])).values(org_id=to_id))
    insert_transfers(session.connection(), [{"tenant_id": tenant_id, "member_id": r.id, "from_org_id": r.org_id,
                                             "to_org_id": to_id, "moved_on": day, "note": note[:300], "actor": actor}
                                            for r in moving])
    recount(session, tenant_id, [*from_ids, to_id], actor=actor, note=note)
    return len(moving)


# --- the counts the register derives ----------------------------------------------------------------------


def registered(conn: Connection, tenant_id: int, org_ids: Iterable[int] | None = None) -> set[int]:
    """The organisations (of ``org_ids``, or all) whose head count is the register's: a member on it ever, in
    them or in a party group under them. Read for the whole tenant, then narrowed here: an import names
    100 000 organisations, more than a query may list."""
    m, o = Member.__table__.c, Organization.__table__.c
    holders = select(m.org_id).where(m.tenant_id == tenant_id).distinct()
    query = select(o.id).where(o.tenant_id == tenant_id,
                               or_(o.id.in_(holders),
                                   o.id.in_(select(o.parent_id).where(o.id.in_(holders), o.level == OrgLevel.group))))
    found = set(conn.execute(query).scalars())
    return found if org_ids is None else found & set(org_ids)


def count_problems(conn: Connection, tenant_id: int, org_id: int, member_count: Any) -> list[Problem]:
    """A head count typed for an organisation whose count is the register's (:func:`registered`) is refused,
    unless it is the register's own."""
    if org_id not in registered(conn, tenant_id, [org_id]):
        return []
    return count_problems_for(org_id, member_count, counts(conn, tenant_id, [org_id]))


def count_problems_for(org_id: int, member_count: Any, counted: dict[int, int]) -> list[Problem]:
    """:func:`count_problems` with the register's counts read (in bulk, by the importer)."""
    if member_count == counted.get(org_id, 0):
        return []
    counted = counted.get(org_id, 0)
    return [Problem("member_count", tr("党员人数", "member count"),
                    tr(f"该组织有党员名册，党员人数由名册计算（{counted} 人）：请在党员名册中增减党员",
                       f"the organisation has a register: its member count is the register's ({counted}); "
                       "add or remove members there"))]


FEW = 500  # organisations a query may list by id; more are read for the whole tenant and narrowed in Python


def _groups(conn: Connection, tenant_id: int) -> dict[int, int]:
    """Each party group of the tenant → the branch it is under."""
    o = Organization.__table__.c
    return dict(conn.execute(select(o.id, o.parent_id).where(o.tenant_id == tenant_id, o.level == OrgLevel.group,
                                                             o.parent_id.is_not(None))).all())


def counts(conn: Connection, tenant_id: int, org_ids: Iterable[int]) -> dict[int, int]:
    """The register's head count of each organisation: its active members and its party groups'. Two grouped reads
    of the whole tenant, whatever the number of organisations asked about."""
    m = Member.__table__.c
    own = dict(conn.execute(select(m.org_id, func.count()).where(m.tenant_id == tenant_id, m.active)
                            .group_by(m.org_id)).all())
    found = {org_id: own.get(org_id, 0) for org_id in org_ids}
    for group_id, parent_id in _groups(conn, tenant_id).items():
        if parent_id in found:
            found[parent_id] += own.get(group_id, 0)
    return found


def recount(session: Session | Connection, tenant_id: int, org_ids: Iterable[int], *, actor: str,
            note: str = "") -> dict[int, int]:
    """Set the head count (``member_count``) of the organisations ``org_ids`` and of the branches above the party
    groups among them from the register, auditing each that changes; returns the changes."""
    conn = session.connection() if isinstance(session, Session) else session
    if isinstance(session, Session):
        session.flush()
    o = Organization.__table__.c
    groups = _groups(conn, tenant_id)
    ids = {i for i in org_ids if i is not None}
    ids |= {groups[i] for i in ids if i in groups}
    query = select(o.id, o.member_count).where(o.tenant_id == tenant_id)
    if len(ids) <= FEW:  # a form's change: its organisations only; an import's: the tenant's, narrowed here
        query = query.where(o.id.in_(ids))
    stored = {org_id: n for org_id, n in conn.execute(query) if org_id in ids}
    changed = {org_id: n for org_id, n in counts(conn, tenant_id, ids).items() if stored.get(org_id) != n}
    if changed:
        conn.execute(update(Organization.__table__).where(o.id == bindparam("b_id"))
                     .values(member_count=bindparam("b_n")), [{"b_id": i, "b_n": n} for i, n in changed.items()])
    audit.record_many(conn, ({"tenant_id": tenant_id, "actor": actor, "action": "update", "entity": "organization",
                              "entity_id": org_id, "old": {"member_count": stored.get(org_id)},
                              "new": {"member_count": n}, "note": note or tr("党员人数由党员名册计算",
                                                                              "member count from the register")}
                             for org_id, n in changed.items()))
    return changed


def insert_transfers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the register's history rows in bulk (the importer)."""
    if rows:
        now = utcnow()
        conn.execute(insert(MemberTransfer.__table__), [{"recorded_at": now, **row} for row in rows])
