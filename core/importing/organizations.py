"""Importing organisations (组织机构): upserted by code, the tree checked whole by its rules (:mod:`bastion.core.tree`).

A file may list children before their parents, and a parent may be in the file or already stored. Every
organisation an import changes is audited old → new.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select, update

from .. import audit
from ..i18n import tr
from ..members.service import count_problems_for, counts, registered
from ..models import Organization, org_code_key
from ..tree import (
    LEVEL_NAMES,
    PARENT_LEVELS,
    chain,
    hold_tree,
    inactive_parent_reason,
    level_reason,
    looping,
    term_problems,
)
from .context import DUPLICATE, Context, flag_duplicates, insert_rows, reject, stored_org_ids
from .report import ImportReport
from .rows import Record


ORG_FIELDS = ("name", "level", "category", "secretary", "secretary_term_start", "secretary_term_end",
              "first_secretary", "member_count", "staff_count", "party_staff_count")
_ORG_BLANK = {"category": "", "member_count": 0, "staff_count": 0, "party_staff_count": 0}

def _spell_codes_as_stored(stored: Mapping[str, Any], records: list[Record]) -> None:
    """Codes match by :func:`org_code_key`: a file's ``zb01`` updates the stored ``ZB01`` (and a code new to
    the tenant is spelled as the file first spells it), so no two organisations differ only in case."""
    spelled = {org_code_key(code): code for code in stored}
    for record in records:
        if record["code"] is not None:
            record["code"] = spelled.setdefault(org_code_key(record["code"]), record["code"])
    for record in records:
        if record["parent_code"] is not None:
            record["parent_code"] = spelled.get(org_code_key(record["parent_code"]), record["parent_code"])


def import_organizations(context: Context, records: list[Record]) -> ImportReport:
    session, errors = context.session, context.errors
    hold_tree(session, context.tenant.id)
    o = Organization.__table__.c
    stored = {row.code: row for row in session.execute(
        select(Organization.__table__).where(o.tenant_id == context.tenant.id)).all()}
    code_of = {row.id: code for code, row in stored.items()}
    _spell_codes_as_stored(stored, records)
    ok = [r for r in records if r.ok("code")]
    flag_duplicates(context, [(r, (r["code"],)) for r in ok], ("code",))
    in_file = {r["code"]: r for r in ok if r.ok(DUPLICATE)}

    has_parent_column = "parent_code" in context.present
    parent_of: dict[str, str | None] = {code: code_of.get(row.parent_id) for code, row in stored.items()}
    level_of: dict[str, str | None] = {code: row.level for code, row in stored.items()}
    for code, record in in_file.items():
        if has_parent_column or code not in stored:
            parent_of[code] = record["parent_code"]
        level_of[code] = record["level"] if record.ok("level") else None

    _check_parents(context, in_file, parent_of, level_of)
    _check_in_use(context, in_file, stored, parent_of)
    _check_children(context, in_file, stored, code_of, level_of)
    _check_terms(context, in_file, stored)
    _check_counts(context, in_file, stored)
    errors.raise_if_any()
    return _write_organizations(context, in_file, stored, code_of, parent_of)


def _check_parents(context: Context, in_file: dict[str, Record], parent_of: dict[str, str | None],
                   level_of: dict[str, str | None]) -> None:
    loops = looping(parent_of)
    for code, record in in_file.items():
        parent = parent_of.get(code)
        if not record.ok("parent_code"):
            continue
        if parent is not None and parent not in parent_of:
            context.errors.add(record.row, "parent_code", tr(
                f"本文件和单位 {context.tenant.code} 中都没有组织编码 {parent!r}",
                f"no organisation {parent!r} in this file or in tenant {context.tenant.code}"))
            continue
        if code in loops:
            links = chain(code, parent_of)
            context.errors.add(record.row, "parent_code", tr(f"上级关系形成循环：{links}",
                                                             f"the parent chain loops back: {links}"))
            continue
        level, parent_level = level_of.get(code), None if parent is None else level_of.get(parent)
        if level is None or (parent is not None and parent_level is None):
            continue
        if parent_level not in PARENT_LEVELS[level]:
            context.errors.add(record.row, "level", level_reason(level, parent, parent_level))


def _check_in_use(context: Context, in_file: dict[str, Record], stored: dict[str, Any],
                  parent_of: dict[str, str | None]) -> None:
    """A parent given in the file must be in use: not merged away, split or dissolved (机构调整)."""
    for code, record in in_file.items():
        parent = parent_of.get(code)
        if record.ok("parent_code") and record["parent_code"] is not None and parent in stored \
                and not stored[parent].active:
            context.errors.add(record.row, "parent_code", inactive_parent_reason(parent))


def _check_counts(context: Context, in_file: dict[str, Record], stored: dict[str, Any]) -> None:
    """A head count given for an organisation with a register must be the register's (``members.count_problems``:
    the same rule, read in bulk)."""
    if "member_count" not in context.present:
        return
    ids = {stored[code].id: code for code in in_file if code in stored}
    held = registered(context.session.connection(), context.tenant.id, ids)
    if not held:
        return
    counted = counts(context.session.connection(), context.tenant.id, held)
    for org_id in held:
        record = in_file[ids[org_id]]
        if record.ok("member_count"):
            reject(context, record, count_problems_for(org_id, record["member_count"] or 0, counted))


def _check_children(context: Context, in_file: dict[str, Record], stored: dict[str, Any], code_of: dict[int, str],
                    level_of: dict[str, str | None]) -> None:
    """A level changed in the file must still suit the stored organisations under it that the file leaves alone."""
    for code, row in stored.items():
        parent = code_of.get(row.parent_id)
        if code in in_file or parent not in in_file or level_of.get(parent) is None:
            continue
        if row.level in PARENT_LEVELS and level_of[parent] not in PARENT_LEVELS[row.level]:
            context.errors.add(in_file[parent].row, "level", tr(
                f"系统中已有的{LEVEL_NAMES[row.level]} {code!r} 隶属于 {parent!r}，不能隶属于{LEVEL_NAMES[level_of[parent]]}",
                f"stored organisation {code!r}, a {LEVEL_NAMES[row.level]} ({row.level}), is under "
                f"{parent!r} and cannot be under a {LEVEL_NAMES[level_of[parent]]}"))


def _check_terms(context: Context, in_file: dict[str, Record], stored: dict[str, Any]) -> None:
    """A secretary's term ends on or after its start (:func:`~bastion.core.tree.term_problems`); a date whose
    column the file leaves out is the stored one."""
    for code, record in in_file.items():
        if not record.ok("secretary_term_start", "secretary_term_end"):
            continue
        start, end = (record[key] if key in context.present else getattr(stored.get(code), key, None)
                      for key in ("secretary_term_start", "secretary_term_end"))
        reject(context, record, term_problems(start, end))


def _org_values(record: Record, present: set[str]) -> dict[str, Any]:
    """The fields the file sets: a column left out of the file leaves the stored value alone."""
    return {name: (record[name] if record[name] is not None else _ORG_BLANK.get(name))
            for name in ORG_FIELDS if name in present}


def _write_organizations(context: Context, in_file: dict[str, Record], stored: dict[str, Any],
                         code_of: dict[int, str], parent_of: dict[str, str | None]) -> ImportReport:
    session, table = context.session, Organization.__table__
    new_rows = []
    for code, record in in_file.items():
        if code not in stored:
            values = {name: _ORG_BLANK.get(name) for name in ORG_FIELDS} | _org_values(record, context.present)
            new_rows.append({"tenant_id": context.tenant.id, "code": code, "parent_id": None, "active": True, **values})
    insert_rows(session, table, new_rows)
    ids = stored_org_ids(session, context.tenant.id)
    new_code_of = {org_id: code for code, org_id in ids.items()}

    # Parents are linked after the insert, so that a file may list children before their parents.
    fields = [f for f in ORG_FIELDS if f in context.present] + ["parent_id"]
    changes, updated, skipped = [], 0, 0
    for code, record in in_file.items():
        parent = parent_of.get(code)
        new = _org_values(record, context.present) | {"parent_id": None if parent is None else ids[parent]}
        if code not in stored:
            if parent is not None:
                changes.append({"b_id": ids[code], **{f"b_{k}": v for k, v in new.items()}})
            continue
        row = stored[code]
        old = {name: getattr(row, name) for name in new}
        changed = [name for name in new if not _same(old[name], new[name])]
        if not changed:
            skipped += 1
            continue
        updated += 1
        changes.append({"b_id": row.id, **{f"b_{k}": v for k, v in new.items()}})
        audit.record(session, tenant_id=context.tenant.id, actor=context.actor, action="update",
                     entity="organization", entity_id=row.id,
                     old=_audit_values({n: old[n] for n in changed}, code_of),
                     new=_audit_values({n: new[n] for n in changed}, new_code_of),
                     note=tr(f"导入组织机构：{context.file}（组织编码 {code}）",
                             f"organizations import from {context.file} (code {code})"))
    if changes:
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values({name: bindparam(f"b_{name}") for name in fields}))
        session.execute(statement, changes)
    return ImportReport("organizations", context.file, inserted=len(new_rows), updated=updated, skipped=skipped)


def _same(old: Any, new: Any) -> bool:
    """Equal for an update: an empty text and no text are the same."""
    return old == new or (old in (None, "") and new in (None, ""))


def _audit_values(values: dict[str, Any], code_of: Mapping[int, str]) -> dict[str, Any]:
    """JSON-able audit values; the parent is recorded by code, which a reader understands."""
    out = {}
    for name, value in values.items():
        if name == "parent_id":
            out["parent_code"] = None if value is None else code_of.get(value)
        else:
            out[name] = value.isoformat() if isinstance(value, date) else value
    return out
