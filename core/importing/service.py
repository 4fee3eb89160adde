"""The importer's entry point: one file of one kind for one tenant, imported whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from .. import audit
from ..db import transaction
from ..models import Tenant
from ..registry import Registry
from .context import Context
from .files import read_sheet
from .findings import import_findings
from .kinds import kind_spec
from .ledger import import_ledger
from .organizations import import_organizations
from .ratings import import_ratings
from .report import ImportReport, RowErrors
from .rows import Record, read_layout, read_records

IMPORTERS: dict[str, Callable[[Context, list[Record]], ImportReport]] = {
    "organizations": import_organizations,
    "ledger": import_ledger,
    "findings": import_findings,
    "ratings": import_ratings,
}


def import_file(engine: Engine, *, tenant: Tenant, kind: str, path: Path, registry: Registry,
                actor: str, today: date | None = None) -> ImportReport:
    """Import one file of ``kind`` for ``tenant``: all of it, or nothing (:class:`ImportRejected`).

    ``today`` (the real day unless given) is the day after which a finding would be in the future.
    """
    spec = kind_spec(kind)
    path = Path(path)
    errors = RowErrors(path.name, spec)
    sheet = read_sheet(path, errors)
    layout = read_layout(spec, sheet.header, errors)
    records = read_records(sheet, layout, errors)
    with transaction(engine) as session:
        context = Context(session, tenant, path.name, actor, registry, errors, layout.present,
                          today or date.today())
        report = IMPORTERS[kind](context, records)
        audit.record(session, tenant_id=tenant.id, actor=actor, action="import", entity=kind,
                     new={"file": path.name, "kind": kind, "rows": len(records), "inserted": report.inserted,
                          "updated": report.updated, "skipped": report.skipped,
                          "checks_created": report.checks_created},
                     note=f"{kind} import from {path.name}")
    return report
