"""Importing the register (党员名册): members added or updated by their number, a changed organisation a transfer
(组织关系转接) with its day — by the register's rules (``core.members.rules``), in bulk, audited with personal data
masked (``core.members.privacy``), the head counts following (``core.members.recount``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from .. import audit
from ..i18n import tr
from ..members import privacy
from ..members.rules import Facts, left_problems, member_problems, transfer_day_problems
from ..members.service import insert_transfers, recount
from ..models import Member, MemberTransfer, Organization, org_code_key
from .context import DUPLICATE, Context, flag_duplicates, reject
from .report import ImportReport
from .rows import Record

FIELDS = ("name", "gender", "birth_date", "joined_on", "status", "post", "phone")
_BLANK: dict[str, Any] = {"post": ""}


def import_members(context: Context, records: list[Record]) -> ImportReport:
    session, tenant_id = context.session, context.tenant.id
    o, m = Organization.__table__.c, Member.__table__.c
    orgs = {org_code_key(row.code): row for row in session.execute(
        select(o.id, o.code, o.level, o.active).where(o.tenant_id == tenant_id))}
    stored = {org_code_key(row.code): row for row in session.execute(
        select(Member.__table__).where(m.tenant_id == tenant_id).with_for_update())}
    ok = [r for r in records if r.ok("code")]
    flag_duplicates(context, [(r, (org_code_key(r["code"]),)) for r in ok if r["code"]], ("code",))
    t = MemberTransfer.__table__.c  # every member's last move: the tenant's, grouped (no list of millions)
    last_move = dict(session.execute(select(t.member_id, func.max(t.moved_on)).where(t.tenant_id == tenant_id)
                                     .group_by(t.member_id)).all()) if stored else {}

    for record in records:
        org = orgs.get(org_code_key(record["org_code"])) if record["org_code"] else None
        if record["org_code"] and org is None:
            record.bad.add("org_code")
            context.errors.add(record.row, "org_code", tr(
                f"单位 {context.tenant.code} 没有组织编码 {record['org_code']!r}；请先用组织机构文件导入该组织",
                f"no organisation {record['org_code']!r} in tenant {context.tenant.code}; import it with the "
                "organizations file first"))
        before = stored.get(org_code_key(record["code"])) if record["code"] else None
        values = _values(record, context.present, before)
        reject(context, record, member_problems(Facts(
            code=record["code"], name=values["name"], org_level=None if org is None else org.level,
            org_active=True if org is None else org.active, status=values["status"], gender=values["gender"],
            birth_date=values["birth_date"], joined_on=values["joined_on"], post=values["post"],
            phone=values["phone"]), today=context.today))
        if before is None or not record.ok("code", DUPLICATE):
            continue
        if not before.active:
            reject(context, record, left_problems(before.code, before.left_on))
        elif org is not None and org.id != before.org_id and record.ok("moved_on"):
            reject(context, record, transfer_day_problems(record["moved_on"], last=last_move.get(before.id),
                                                          today=context.today))
    context.errors.raise_if_any()
    return _write(context, records, orgs, stored)


def _note(context: Context, record: Record) -> str:
    return tr(f"导入党员名册：{context.file}（第 {record.row} 行）", f"members import from {context.file} (row {record.row})")


def _onto_register(record: Record, context: Context):
    """The day a new member came onto the register: the transfer's day given, else the day they joined the party
    (a register begun today lists members who were there long before), else today."""
    return record["moved_on"] or record["joined_on"] or context.today


def _values(record: Record, present: set[str], before: Any) -> dict[str, Any]:
    """The member's fields after this row: a column the file leaves out keeps the stored value."""
    out = {}
    for name in FIELDS:
        if name in present or before is None:
            value = record[name]
            out[name] = _BLANK.get(name) if value is None else value
        else:
            out[name] = getattr(before, name)
    return out


def _write(context: Context, records: list[Record], orgs: dict[str, Any], stored: dict[str, Any]) -> ImportReport:
    session, tenant_id, actor = context.session, context.tenant.id, context.actor
    table = Member.__table__
    new, changes, transfers, events, touched = [], [], [], [], set()
    org_code = {row.id: row.code for row in orgs.values()}
    for record in records:
        org = orgs[org_code_key(record["org_code"])]
        before = stored.get(org_code_key(record["code"]))
        values = _values(record, context.present, before)
        if before is None:
            new.append((record, org, {"tenant_id": tenant_id, "code": record["code"], "org_id": org.id,
                                      "active": True, **values}))
            continue
        changed = {k: v for k, v in values.items() if getattr(before, k) != v
                   and not (getattr(before, k) in (None, "") and v in (None, ""))}
        moved = org.id != before.org_id
        if not changed and not moved:
            continue
        changes.append({"b_id": before.id, "b_org_id": org.id, **{f"b_{k}": v for k, v in values.items()}})
        if changed:
            events.append({"tenant_id": tenant_id, "actor": actor, "action": "update", "entity": "member",
                           "entity_id": before.id, "old": privacy.audited({k: getattr(before, k) for k in changed}),
                           "new": privacy.audited(changed), "note": _note(context, record)})
        if moved:
            transfers.append({"tenant_id": tenant_id, "member_id": before.id, "from_org_id": before.org_id,
                              "to_org_id": org.id, "moved_on": record["moved_on"], "note": tr(f"导入 {context.file}", f"import of {context.file}"),
                              "actor": actor})
            events.append({"tenant_id": tenant_id, "actor": actor, "action": "transfer", "entity": "member",
                           "entity_id": before.id, "old": {"org_code": org_code[before.org_id]},
                           "new": {"org_code": org.code, "moved_on": record["moved_on"].isoformat()},
                           "note": _note(context, record)})
            touched |= {before.org_id, org.id}
    if new:  # the new members' ids, in the file's order (a register of millions: no IN list of their codes)
        new_ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                  [row for _, _, row in new]).scalars().all()
        ids = {row["code"]: member_id for (_, _, row), member_id in zip(new, new_ids, strict=True)}
        for record, org, row in new:
            transfers.append({"tenant_id": tenant_id, "member_id": ids[row["code"]], "from_org_id": None,
                              "to_org_id": org.id, "moved_on": _onto_register(record, context),
                              "note": tr(f"导入 {context.file}", f"import of {context.file}"), "actor": actor})
            events.append({"tenant_id": tenant_id, "actor": actor, "action": "create", "entity": "member",
                           "entity_id": ids[row["code"]], "new": privacy.audited(
                               {"code": row["code"], "org_code": org.code, **{k: row[k] for k in FIELDS}}),
                           "note": _note(context, record)})
            touched.add(org.id)
    if changes:
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            {name: bindparam(f"b_{name}") for name in (*FIELDS, "org_id")}), changes)
    insert_transfers(session.connection(), transfers)
    audit.record_many(session, events)
    recount(session, tenant_id, touched, actor=actor, note=tr(f"党员人数由党员名册计算（导入 {context.file}）",
                                                             f"member counts from the register (import of {context.file})"))
    return ImportReport("members", context.file, inserted=len(new), updated=len(changes),
                        skipped=len(records) - len(new) - len(changes))
