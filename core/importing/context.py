"""What the importer of each kind shares: the import's context, the organisations a file names, same-fact keys
and duplicates, the stored facts a re-import skips, the bulk insert.

Each kind's importer checks every row first — its values, then against the database in a few bulk
queries — and reports every problem with its row. Only a file without problems is written, in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from ..i18n import tr
from ..models import Cycle, Indicator, Organization, Tenant, org_code_key
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


def stored_keys(context: Context, model: Any, columns: Sequence[str], records: list[Record]) -> set[tuple]:
    """Keys of the tenant's stored facts dated within the file's range: one query, compared in Python."""
    span = date_range(records)
    if span is None:
        return set()
    c = model.__table__.c
    query = (select(*(c[name] for name in columns))
             .where(c.tenant_id == context.tenant.id, c.date >= span[0], c.date <= span[1]))
    return {tuple(row) for row in context.session.execute(query)}


def check_indicators(context: Context, records: list[Record]) -> dict[int, int]:
    """Indicator codes must be in the scheme of the cycle of the row's year; returns year → cycle id."""
    c, i = Cycle.__table__.c, Indicator.__table__.c
    cycles = {year: (cycle_id, scheme) for cycle_id, year, scheme in context.session.execute(
        select(c.id, c.year, c.scheme_id).where(c.tenant_id == context.tenant.id))}
    codes: dict[int, set[str]] = {}
    if cycles:
        for cycle_id, code in context.session.execute(
                select(i.cycle_id, i.code).where(i.cycle_id.in_([v[0] for v in cycles.values()]))):
            codes.setdefault(cycle_id, set()).add(code)
    for record in records:
        code = record["indicator_code"]
        if code is None or record["date"] is None:
            continue
        year = record["date"].year
        if year not in cycles:
            record.bad.add("indicator_code")
            context.errors.add(record.row, "indicator_code", tr(
                f"单位 {context.tenant.code} 没有 {year} 考核年度，无法核对指标 {code!r}；请先开启 {year} 考核年度，"
                "或将指标编码留空",
                f"tenant {context.tenant.code} has no assessment cycle for {year}, so indicator {code!r} cannot be "
                f"checked; open the {year} cycle first or leave the indicator code empty"))
        elif code not in codes.get(cycles[year][0], set()):
            record.bad.add("indicator_code")
            context.errors.add(record.row, "indicator_code", tr(
                f"{code!r} 不是 {year} 考核年度（方案 {cycles[year][1]}）的指标",
                f"{code!r} is not an indicator of the {year} cycle (scheme {cycles[year][1]})"))
    return {year: cycle_id for year, (cycle_id, _) in cycles.items()}
