"""Importing ledger entries (台账): meetings, study, volunteer hours, deeds … of the tenant's enabled types."""

from __future__ import annotations

from collections.abc import Mapping

from ..contributions import LedgerType
from ..i18n import tr
from ..ledger.service import entry_date, entry_problems, entry_rules
from ..models import LedgerEntry, utcnow
from .context import Context, flag_duplicates, insert_facts, reject, resolve_orgs, stored_keys, years
from .report import ImportReport
from .rows import Record

LEDGER_KEY = ("org_code", "type", "date", "title", "quantity")  # the same fact (by the date it bore): a re-import skips it


def _ledger_type_lookup(types: Mapping[str, LedgerType]) -> tuple[dict[str, LedgerType], str]:
    """Alias (code, Chinese name, English name; case-insensitive) → LedgerType, and a hint listing them."""
    table: dict[str, LedgerType] = {}
    names: dict[str, list[LedgerType]] = {}
    for item in types.values():
        for name in (item.name, item.name_en):
            if name:
                names.setdefault(name.casefold(), []).append(item)
    table.update({name: items[0] for name, items in names.items() if len(items) == 1})
    table.update({code.casefold(): item for code, item in types.items()})  # codes win over names
    hint = ", ".join(f"{code} ({item.name})" for code, item in sorted(types.items()))
    return table, hint


def import_ledger(context: Context, records: list[Record]) -> ImportReport:
    """Each row a ledger entry, valid by the ledger's own rule (:mod:`bastion.core.ledger.service`); a late one goes
    where ``context.late`` says, if the tenant takes late facts."""
    org_ids = resolve_orgs(context, records)
    rules = entry_rules(context.session, context.tenant.id, context.registry, years=years(records), late=context.late)
    types, hint = _ledger_type_lookup(rules.types)
    keyed = []
    for record in records:
        if record["type"] is not None:
            ledger_type = types.get(record["type"].casefold())
            if ledger_type is None:
                record.bad.add("type")
                context.errors.add(record.row, "type", tr(
                    f"{record['type']!r} 不是单位 {context.tenant.code} 已启用的台账类型；可用：{hint or '尚未启用任何台账类型'}",
                    f"{record['type']!r} is not a ledger type enabled for tenant {context.tenant.code}; "
                    f"use one of: {hint or 'none are enabled'}"))
            else:
                record["type"] = ledger_type.code
        reject(context, record, entry_problems(rules, ledger_type=record["type"] if record.ok("type") else None,
                                               day=record["date"], title=record["title"], quantity=record["quantity"],
                                               note=record["note"]))
        if record.ok("org_code", "type", "date", "title", "quantity"):
            keyed.append((record, (org_ids[record["org_code"]], record["type"], record["date"], record["title"],
                                   record["quantity"])))
    flag_duplicates(context, keyed, LEDGER_KEY)
    context.errors.raise_if_any()

    placed = {record.row: entry_date(rules, record["date"]) for record, _ in keyed}
    stored = stored_keys(context, LedgerEntry, ("org_id", "type", "date", "title", "quantity"), records,
                         through=max((p.day for p in placed.values()), default=None))
    new = [(record, key) for record, key in keyed if key not in stored]
    now = utcnow()
    rows = [(record, {"tenant_id": context.tenant.id, "org_id": key[0], "type": key[1], "date": placed[record.row].day,
                      "late_date": placed[record.row].late_date, "quantity": key[4], "title": key[3],
                      "note": record["note"] or "", "recorded_by": context.actor, "recorded_at": now,
                      "source": context.file[:300]}) for record, key in new]
    late = insert_facts(context, LedgerEntry.__table__, "ledger_entry", rows, placed)
    return ImportReport("ledger", context.file, inserted=len(rows), skipped=len(keyed) - len(rows), late=late)
