"""The importer's entry point: one file of one kind for one tenant, imported whole or not at all, and once.

A file is recorded by the SHA-256 of its content per tenant and kind (``import_record``): the same
file again is refused, saying when and by whom it was imported, unless asked for explicitly
(``again``: a correction sheet sent twice on purpose). A tenant's imports run one at a time under
its lease (``core.locks``), so two copies of one file raced together import it once.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit, locks
from ..db import transaction
from ..errors import BastionError, Conflict
from ..i18n import tr
from ..words import IMPORT_KIND, word
from ..models import ImportRecord, Tenant
from ..periods import Late
from ..registry import Registry
from .context import Context
from .files import read_sheet
from .findings import import_findings
from .kinds import kind_spec
from .ledger import import_ledger
from .members import import_members
from .organizations import import_organizations
from .ratings import import_ratings
from .report import ImportReport, RowErrors
from .restructure import import_restructurings
from .rows import Record, read_layout, read_records

IMPORTERS: dict[str, Callable[[Context, list[Record]], ImportReport]] = {
    "organizations": import_organizations,
    "ledger": import_ledger,
    "findings": import_findings,
    "ratings": import_ratings,
    "restructure": import_restructurings,
    "members": import_members,
}


class AlreadyImported(Conflict):
    """The same file (by content) was imported before for this tenant and kind."""


def import_file(engine: Engine, *, tenant: Tenant, kind: str, path: Path, registry: Registry,
                actor: str, today: date | None = None, again: bool = False, late: Late | None = None) -> ImportReport:
    """Import one file of ``kind`` for ``tenant``: all of it, or nothing (:class:`ImportRejected`); once
    (:class:`AlreadyImported`), unless ``again``.

    ``today`` (the real day unless given) is the day after which a finding would be in the future. ``late``: where
    the late rows of a ledger or findings file go, where the tenant takes late facts (``periods.place``); without
    it, a late row is refused, as is the file.
    """
    spec = kind_spec(kind)
    path = Path(path)
    content = hashlib.sha256(path.read_bytes()).hexdigest()
    errors = RowErrors(path.name, spec)
    sheet = read_sheet(path, errors)
    layout = read_layout(spec, sheet.header, errors)
    records = read_records(sheet, layout, errors)
    lease = f"import:{tenant.id}"
    with locks.hold(engine, lease, actor=actor, purpose=tr(f"单位 {tenant.code} 的导入", f"imports of {tenant.code}")), \
            transaction(engine) as session:
        locks.fence(session.connection(), lease)
        _refuse_a_second_time(session, tenant, kind, content, path.name, again)
        context = Context(session, tenant, path.name, actor, registry, errors, layout.present,
                          today or date.today(), late)
        report = IMPORTERS[kind](context, records)
        session.add(ImportRecord(tenant_id=tenant.id, kind=kind, sha256=content, filename=path.name[:255],
                                 rows=len(records), actor=actor, again=again))
        audit.record(session, tenant_id=tenant.id, actor=actor, action="import", entity=kind,
                     new={"file": path.name, "kind": kind, "rows": len(records), "inserted": report.inserted,
                          "updated": report.updated, "skipped": report.skipped,
                          "checks_created": report.checks_created, "sha256": content, "again": again,
                          **({"late": report.late, "late_route": late.value} if report.late else {})},
                     note=tr(f"导入{word(IMPORT_KIND, kind)}：{path.name}", f"{kind} import from {path.name}"))
    return report


def _refuse_a_second_time(session: Session, tenant: Tenant, kind: str, content: str, filename: str,
                          again: bool) -> None:
    earlier = session.exec(select_model(ImportRecord).where(
        ImportRecord.tenant_id == tenant.id, ImportRecord.kind == kind, ImportRecord.sha256 == content)
        .order_by(ImportRecord.id.desc())).first()
    if earlier is None or again:
        return
    when = earlier.at.strftime("%Y-%m-%d %H:%M")
    raise AlreadyImported(tr(
        f"{filename}：内容相同的文件已于 {when} UTC 由 {earlier.actor} 导入（{earlier.filename}，{earlier.rows} 行），"
        "未再次导入；确需再次导入，请勾选“再次导入同一文件”（命令行：--again）",
        f"{filename}: a file with the same content was imported on {when} UTC by {earlier.actor} "
        f"({earlier.filename}, {earlier.rows} rows) and was not imported again; to import it again, tick "
        "“Import the same file again” (on the command line: --again)"))


def import_bytes(engine: Engine, *, tenant: Tenant, kind: str, filename: str, data: bytes, registry: Registry,
                 actor: str, again: bool = False) -> ImportReport:
    """:func:`import_file` of an uploaded file: saved under its own name in a temporary folder, so that the row
    errors (:class:`ImportRejected`) name the file the user chose. The caller checks who may."""
    name = Path(filename).name
    if not name:
        raise BastionError(tr("文件：上传的文件没有文件名", "file: the upload has no name"))
    with tempfile.TemporaryDirectory(prefix="bastion-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return import_file(engine, tenant=tenant, kind=kind, path=path, registry=registry, actor=actor, again=again)
