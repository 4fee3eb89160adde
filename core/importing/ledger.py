"""Importing ledger entries (台账): meetings, study, volunteer hours, deeds … of the tenant's enabled types."""

from __future__ import annotations

from typing import Any

from ..i18n import tr
from ..models import LedgerEntry, utcnow
from ..tenants import enabled_plugins
from .context import Context, flag_duplicates, insert_rows, resolve_orgs, stored_keys
from .report import ImportReport
from .rows import Record

LEDGER_KEY = ("org_code", "type", "date", "title", "quantity")  # the same fact: a re-import skips it


def _ledger_type_lookup(context: Context) -> tuple[dict[str, Any], str]:
    """Alias (code, Chinese name, English name; case-insensitive) → LedgerType, and a hint listing them."""
    types = context.registry.ledger_types(enabled_plugins(context.session, context.tenant.id))
    table: dict[str, Any] = {}
    names: dict[str, list[Any]] = {}
    for contribution in types.values():
        item = contribution.item
        for name in (item.name, item.name_en):
            if name:
                names.setdefault(name.casefold(), []).append(item)
    table.update({name: items[0] for name, items in names.items() if len(items) == 1})
    table.update({code.casefold(): c.item for code, c in types.items()})  # codes win over names
    hint = ", ".join(f"{code} ({c.item.name})" for code, c in sorted(types.items()))
    return table, hint


def import_ledger(context: Context, records: list[Record]) -> ImportReport:
    org_ids = resolve_orgs(context, records)
    types, hint = _ledger_type_lookup(context)
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
                if ledger_type.quantity_required and record["quantity"] is None and record.ok("quantity"):
                    record.bad.add("quantity")
                    context.errors.add(record.row, "quantity", tr(
                        f"{ledger_type.name}（{ledger_type.code}）必须填写数量，单位：{ledger_type.unit}",
                        f"is required for {ledger_type.code} ({ledger_type.name}), in {ledger_type.unit}"))
        if record.ok("org_code", "type", "date", "quantity"):
            keyed.append((record, (org_ids[record["org_code"]], record["type"], record["date"], record["title"] or "",
                                   record["quantity"])))
    flag_duplicates(context, keyed, LEDGER_KEY)
    context.errors.raise_if_any()

    stored = stored_keys(context, LedgerEntry, ("org_id", "type", "date", "title", "quantity"), records)
    new = [(record, key) for record, key in keyed if key not in stored]
    now = utcnow()
    rows = [{"tenant_id": context.tenant.id, "org_id": key[0], "type": key[1], "date": key[2], "quantity": key[4],
             "title": key[3], "note": record["note"] or "", "recorded_by": context.actor, "recorded_at": now,
             "source": context.file[:300]} for record, key in new]
    insert_rows(context.session, LedgerEntry.__table__, rows)
    return ImportReport("ledger", context.file, inserted=len(rows), skipped=len(keyed) - len(rows))
