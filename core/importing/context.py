"""What the importer of each kind shares: the import's context, the organisations a file names, same-fact keys
and duplicates, the stored facts a re-import skips, the bulk insert, a concept's rule reported against a row.

Each kind's importer checks every row first — its values, then against the database in a few bulk
queries and with the concept's own rule, the one every other entry point applies (the branch workspace,
the inspectors' form, a ballot) — and reports every problem with its row. Only a file without problems
is written, in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from .. import audit
from ..errors import Problem
from ..i18n import tr
from ..models import Organization, Tenant, org_code_key
from ..periods import Late, Placed
from ..registry import Registry
from .report import RowErrors
from .rows import Record


@dataclass
class Context:
    session: Session
    tenant: Tenant
    file: str
    actor: str
    registry: Registry
    errors: RowErrors
    present: set[str]
    today: date  # what is later is the future (findings)
    late: Late | None = None  # where late ledger entries and findings go, the user's choice (``periods.place``)


def stored_org_ids(session: Session, tenant_id: int) -> dict[str, int]:
    o = Organization.__table__.c
    return dict(session.execute(select(o.code, o.id).where(o.tenant_id == tenant_id)).all())


def resolve_orgs(context: Context, records: list[Record]) -> dict[str, int]:
    """Org code as the file spells it → id (codes match by :func:`org_code_key`: ``zb01`` is ``ZB01``); a row
    naming an unknown organisation is an error."""
    by_key = {org_code_key(code): org_id for code, org_id in stored_org_ids(context.session, context.tenant.id).items()}
    org_ids: dict[str, int] = {}
    for record in records:
        code = record["org_code"]
        if code is None:
            continue
        if org_code_key(code) in by_key:
            org_ids[code] = by_key[org_code_key(code)]
        else:
            record.bad.add("org_code")
            context.errors.add(record.row, "org_code", tr(
                f"单位 {context.tenant.code} 没有组织编码 {code!r}；请先用组织机构文件导入该组织",
                f"no organisation {code!r} in tenant {context.tenant.code}; import it with the organizations "
                f"file first"))
    return org_ids


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), rows)


DUPLICATE = "(duplicate)"  # marks a record that repeats an earlier row of the file


def date_range(records: Iterable[Record]) -> tuple[date, date] | None:
    dates = [r["date"] for r in records if r["date"] is not None]
    return (min(dates), max(dates)) if dates else None


def flag_duplicates(context: Context, keyed: list[tuple[Record, tuple]], fields: Sequence[str]) -> None:
    """Rows with the same key inside one file are errors (a copy-paste slip, or a missing distinction)."""
    first: dict[tuple, int] = {}
    for record, key in keyed:
        if key in first:
            record.bad.add(DUPLICATE)
            names = [context.errors.kind.field_name(f) for f in fields]
            context.errors.add(record.row, fields, tr(f"与本文件第 {first[key]} 行重复（{'、'.join(names)}相同）",
                                                      f"duplicates row {first[key]} of this file "
                                                      f"(same {', '.join(fields)})"))
        else:
            first[key] = record.row


def stored_keys(context: Context, model: Any, columns: Sequence[str], records: list[Record], *,
                through: date | None = None) -> set[tuple]:
    """Keys of the tenant's stored facts dated within the file's range: one query, compared in Python.

    A fact that may arrive late (a ledger entry, a finding: it has a ``late_date``) is keyed by the date it bore:
    the same row imported again is the same fact wherever it was booked. ``through``: the latest date a row of the
    file is booked on (a late one goes to the next period), where such a fact may be stored."""
    span = date_range(records)
    if span is None:
        return set()
    c = model.__table__.c
    bore = {"date": func.coalesce(c.late_date, c.date, type_=c.date.type)} if "late_date" in c else {}
    end = max(span[1], through) if through is not None else span[1]
    query = (select(*(bore.get(name, c[name]) for name in columns))
             .where(c.tenant_id == context.tenant.id, c.date >= span[0], c.date <= end))
    return {tuple(row) for row in context.session.execute(query)}


def insert_facts(context: Context, table: Any, entity: str, rows: list[tuple[Record, dict[str, Any]]],
                 placed: Mapping[int, Placed]) -> int:
    """Insert the facts of a file (each row with its record; ``placed``: where each record's fact goes, by row): those
    on time in bulk, each late one with its audit row — the route, the date given and the date booked, with the
    file and the row. Returns how many were late."""
    insert_rows(context.session, table, [row for record, row in rows if placed[record.row].late_date is None])
    late = [(record, row) for record, row in rows if placed[record.row].late_date is not None]
    if late:
        ids = context.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                      [row for _, row in late]).scalars().all()
        audit.record_many(context.session, [
            {"tenant_id": context.tenant.id, "actor": context.actor, "action": "import", "entity": entity,
             "entity_id": fact_id, "new": {"file": context.file, "row": record.row, **placed[record.row].audited()}}
            for fact_id, (record, _) in zip(ids, late, strict=True)])
    return len(late)


def years(records: Iterable[Record]) -> set[int]:
    """The years the file's rows are dated in: the cycles a concept's rule reads."""
    return {r["date"].year for r in records if r["date"] is not None}


def reject(context: Context, record: Record, problems: Iterable[Problem]) -> None:
    """Report what a concept's rule finds wrong with ``record``, each problem under its field; a field already
    reported for the row (a value that could not be read) is not reported again."""
    for problem in problems:
        if problem.key not in record.bad:
            record.bad.add(problem.key)
            context.errors.add(record.row, problem.key, problem.reason)
