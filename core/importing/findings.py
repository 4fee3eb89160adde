"""Importing findings (检查发现): problems found in checks, each attached to its check (检查)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ..models import Check, Finding, utcnow
from ..inspection.service import finding_date, finding_problems, finding_rules
from .context import (
    Context,
    date_range,
    flag_duplicates,
    insert_facts,
    insert_rows,
    reject,
    resolve_orgs,
    stored_keys,
    years,
)
from .report import ImportReport
from .rows import Record

FINDING_KEY = ("org_code", "date", "indicator_code", "description")  # the same fact (by the date it bore): a re-import skips it


def import_findings(context: Context, records: list[Record]) -> ImportReport:
    """Each row a finding, valid by the inspection's own rule (:mod:`bastion.core.inspection.service`); a late one
    goes where ``context.late`` says, if the tenant takes late facts (its check keeps the day given)."""
    org_ids = resolve_orgs(context, records)
    rules = finding_rules(context.session, context.tenant.id, context.registry, years=years(records),
                          today=context.today, late=context.late)
    for record in records:
        if record.ok("indicator_code"):  # a code that could not be read is not "no indicator"
            problems = finding_problems(rules, day=record["date"], indicator_code=record["indicator_code"],
                                        deduction=record["deduction"], description=record["description"])
            reject(context, record, problems)
    cycle_of_year = {year: cycle.id for year, cycle in rules.years.cycles.items()}
    keyed = [(r, (org_ids[r["org_code"]], r["date"], r["indicator_code"], r["description"]))
             for r in records if r.ok("org_code", "date", "indicator_code", "description")]
    flag_duplicates(context, keyed, FINDING_KEY)
    context.errors.raise_if_any()

    placed = {record.row: finding_date(rules, record["date"]) for record, _ in keyed}
    stored = stored_keys(context, Finding, ("org_id", "date", "indicator_code", "description"), records,
                         through=max((p.day for p in placed.values()), default=None))
    new = [(record, key) for record, key in keyed if key not in stored]
    check_ids, created = _checks_for(context, [record for record, _ in new], org_ids, cycle_of_year)
    now = utcnow()
    rows = [(record, {"tenant_id": context.tenant.id, "check_id": check_ids[_check_key(record, org_ids)],
                      "org_id": key[0], "date": placed[record.row].day, "late_date": placed[record.row].late_date,
                      "indicator_code": key[2], "deduction": record["deduction"] or 0.0, "description": key[3],
                      "recorded_at": now}) for record, key in new]
    late = insert_facts(context, Finding.__table__, "finding", rows, placed)
    return ImportReport("findings", context.file, inserted=len(rows), skipped=len(keyed) - len(new),
                        checks_created=created, late=late)


def _check_key(record: Record, org_ids: Mapping[str, int]) -> tuple:
    return org_ids[record["org_code"]], record["date"], record["check_kind"], record["inspector"] or ""


def _checks_for(context: Context, records: list[Record], org_ids: Mapping[str, int],
                cycle_of_year: Mapping[int, int]) -> tuple[dict[tuple, int], int]:
    """One check per (organisation, date, kind, inspector): a stored one is reused, the others are created."""
    table = Check.__table__
    wanted = {_check_key(record, org_ids) for record in records}
    found = _stored_checks(context, records)
    missing = sorted(wanted - found.keys(), key=lambda k: (k[1], k[0], k[2], k[3]))
    insert_rows(context.session, table, [
        {"tenant_id": context.tenant.id, "cycle_id": cycle_of_year.get(day.year), "org_id": org_id, "kind": kind,
         "date": day, "inspector": inspector, "status": "done", "note": f"导入自 {context.file}"}
        for org_id, day, kind, inspector in missing])
    if missing:
        found = _stored_checks(context, records)
    return found, len(missing)


def _stored_checks(context: Context, records: list[Record]) -> dict[tuple, int]:
    span = date_range(records)
    if span is None:
        return {}
    c = Check.__table__.c
    query = (select(c.org_id, c.date, c.kind, c.inspector, c.id)
             .where(c.tenant_id == context.tenant.id, c.date >= span[0], c.date <= span[1]).order_by(c.id))
    found: dict[tuple, int] = {}
    for org_id, day, kind, inspector, check_id in context.session.execute(query):
        found.setdefault((org_id, day, kind, inspector), check_id)
    return found
