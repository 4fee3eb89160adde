"""What makes a valid ledger entry (台账), and the write of one entry.

An entry is valid when

- its type is one of the tenant's enabled ledger types;
- its date falls in a year the tenant has a cycle for, in no period of it whose results are under review or
  published — or, where the tenant takes late facts, the user chose where such a late entry goes: the next period,
  or a correction (:func:`bastion.core.periods.place`, :func:`entry_date`);
- it has a title (the meeting's subject …) of at most :data:`MAX_TITLE` characters, and neither the title nor
  the note holds a control character (:mod:`bastion.core.values`);
- a quantity is a finite number within range (:mod:`bastion.core.values`);
- a type that counts a quantity (volunteer hours, new members) has one, greater than 0; a count-only type
  (a meeting counts one) has none.

:func:`entry_problems` lists what is wrong with an entry; the branch workspace raises the first
(:func:`record_entry`), the importer reports every one with the row (:mod:`bastion.core.importing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from .. import audit, periods
from ..contributions import LedgerType
from ..errors import Problem, refuse
from ..i18n import tr
from ..models import Cycle, LedgerEntry
from ..registry import Registry
from ..tenants import enabled_plugins
from ..values import number_problem, text_problem

MAX_TITLE = 300
WHAT = ("台账", "ledgers")
FIELDS = {"type": ("台账类型", "type"), "date": ("日期", "date"), "title": ("标题", "title"),
          "quantity": ("数量", "quantity"), "note": ("备注", "note")}


@dataclass(frozen=True)
class EntryRules:
    """What an entry is checked against: the tenant's ledger types (by code) and where its years stand."""

    types: Mapping[str, LedgerType]
    years: periods.Years


def ledger_types(session: Session, tenant_id: int, registry: Registry) -> dict[str, LedgerType]:
    """The ledger types the tenant's enabled plugins contribute, by code."""
    return {code: c.item for code, c in registry.ledger_types(enabled_plugins(session.connection(), tenant_id)).items()}


def entry_rules(session: Session, tenant_id: int, registry: Registry, *, within: Cycle | None = None,
                years: Iterable[int] | None = None, late: periods.Late | None = None) -> EntryRules:
    """The rules for entries of ``tenant_id``: ``within`` one cycle, or in any of its cycles (of ``years``); ``late``,
    the user's choice for a late entry."""
    return EntryRules(ledger_types(session, tenant_id, registry),
                      periods.years(session, tenant_id, within=within, only=years, late=late))


def entry_date(rules: EntryRules, day: date | None) -> periods.Placed:
    """Where an entry dated ``day`` goes: the date to store and, when it is late, the date it bore
    (:func:`bastion.core.periods.place`)."""
    return periods.place(rules.years, day, what=WHAT, field=FIELDS["date"])


def _problem(key: str, zh: str, en: str) -> Problem:
    return Problem(key, tr(*FIELDS[key]), tr(zh, en))


def entry_problems(rules: EntryRules, *, ledger_type: str | None, day: date | None, title: str | None,
                   quantity: float | None, note: str | None = None) -> list[Problem]:
    """What is wrong with an entry, field by field (empty when it is valid).

    ``ledger_type`` is a type's code; a type or a date of None was already refused by the caller (it could
    not read it) and is not checked again.
    """
    found: list[Problem] = []
    kind = None
    if ledger_type is not None:
        kind = rules.types.get(ledger_type)
        if kind is None:
            found.append(_problem("type", f"{ledger_type!r} 不是本单位已启用插件提供的台账类型",
                                  f"{ledger_type!r} is not a ledger type of this tenant's enabled plugins"))
    found += entry_date(rules, day).problems
    title = (title or "").strip()
    if not title:
        found.append(_problem("title", "台账须有标题（如会议主题）", "a ledger entry needs a title (e.g. the meeting's subject)"))
    elif len(title) > MAX_TITLE:
        found.append(_problem("title", f"最多 {MAX_TITLE} 个字符", f"at most {MAX_TITLE} characters"))
    elif (reason := text_problem(title)) is not None:
        found.append(Problem("title", tr(*FIELDS["title"]), reason))
    if note and (reason := text_problem(note)) is not None:
        found.append(Problem("note", tr(*FIELDS["note"]), reason))
    if quantity is not None and (reason := number_problem(float(quantity))) is not None:
        found.append(Problem("quantity", tr(*FIELDS["quantity"]), reason))
    elif kind is not None:
        if kind.quantity_required:
            if quantity is None or quantity <= 0:
                found.append(_problem("quantity", f"{kind.name}须填写大于 0 的数量（单位：{kind.unit}）",
                                      f"{kind.name} needs a quantity in {kind.unit} greater than 0"))
        elif quantity is not None:
            found.append(_problem("quantity", f"{kind.name}每条计为一次，不填数量",
                                  f"{kind.name} entries count one each and take no quantity"))
    return found


def record_entry(session: Session, *, cycle: Cycle, org_id: int, ledger_type: str, day: date, title: str,
                 registry: Registry, actor: str, quantity: float | None = None, note: str = "",
                 source: str = "ui", late: periods.Late | None = None) -> LedgerEntry:
    """Record one ledger entry of ``org_id`` in ``cycle``, audited; an invalid entry is refused by its first
    problem (a closed period as a :class:`~bastion.core.errors.Conflict`). A late entry goes where ``late`` says,
    if the tenant takes late facts; its audit row says the route, the date given and the date booked. The caller
    checks who may."""
    rules = entry_rules(session, cycle.tenant_id, registry, within=cycle, late=late)
    refuse(entry_problems(rules, ledger_type=ledger_type, day=day, title=title, quantity=quantity, note=note))
    placed = entry_date(rules, day)
    title = title.strip()
    entry = LedgerEntry(tenant_id=cycle.tenant_id, org_id=org_id, type=ledger_type, date=placed.day,
                        late_date=placed.late_date, quantity=None if quantity is None else float(quantity),
                        title=title, note=note.strip(), recorded_by=actor, source=source)
    session.add(entry)
    session.flush()
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="create", entity="ledger_entry",
                 entity_id=entry.id, new={"org_id": org_id, "type": ledger_type, "date": placed.day.isoformat(),
                                          "quantity": entry.quantity, "title": title, **placed.audited()})
    return entry
