"""Reading bulletins back from the assessment archive (考核档案).

Scoping by role is the caller's (the dashboard lets only those who see the whole tenant read
bulletins, which name organisations across it); here a bulletin is read within its tenant, and
one of a period whose results are not published only by those who may see drafts
(:func:`results.visible_statuses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from ..access import Principal
from ..errors import BastionError, NotFound
from ..i18n import tr
from ..models import Bulletin, Cycle, Evaluation, EvaluationStatus, SupersededBulletin, Tenant, as_utc
from ..periods import time_order
from ..results import visible_statuses
from .service import archive_dir

KINDS = ("docx", "xlsx")


@dataclass(frozen=True)
class BulletinInfo:
    id: int
    cycle_id: int
    year: int
    period: str
    title: str
    created_at: datetime


IN_FORCE, SUPERSEDED = "in_force", "superseded"
"""A bulletin issue's status: the one in force (现行), or replaced by a later one after a correction (已作废)."""


def read_bulletins(engine: Engine, cycle_id: int) -> list[dict[str, Any]]:
    """Every issue of the cycle's bulletins, in the order they were issued: ``period``, ``version``, ``status``
    (:data:`IN_FORCE` or :data:`SUPERSEDED`), ``title``, ``reason`` (why it replaced the last), the .docx and
    the .xlsx, ``issued_at``."""
    b, old = Bulletin.__table__.c, SupersededBulletin.__table__.c
    with engine.connect() as conn:
        current = conn.execute(select(b.id, b.period, b.version, b.title, b.reason, b.docx_path, b.xlsx_path,
                                      b.created_at).where(b.cycle_id == cycle_id)).mappings().all()
        replaced = conn.execute(select(b.period, old.version, old.title, old.reason, old.docx_path, old.xlsx_path,
                                       old.issued_at)
                                .join_from(SupersededBulletin.__table__, Bulletin.__table__, b.id == old.bulletin_id)
                                .where(b.cycle_id == cycle_id)).mappings().all()
    rows = [{"period": r["period"], "version": r["version"], "status": IN_FORCE, "title": r["title"],
             "reason": r["reason"], "docx_path": r["docx_path"], "xlsx_path": r["xlsx_path"],
             "issued_at": as_utc(r["created_at"])} for r in current]
    rows += [{"period": r["period"], "version": r["version"], "status": SUPERSEDED, "title": r["title"],
              "reason": r["reason"], "docx_path": r["docx_path"], "xlsx_path": r["xlsx_path"],
              "issued_at": as_utc(r["issued_at"])} for r in replaced]
    return sorted(rows, key=lambda r: (time_order(r["period"]), r["version"]))


def latest(conn: Connection, viewer: Principal) -> BulletinInfo | None:
    """The tenant's bulletin of the latest period, among those whose results ``viewer`` may see."""
    b, c, e = Bulletin.__table__.c, Cycle.__table__.c, Evaluation.__table__.c
    query = (select(b.id, b.cycle_id, c.year, b.period, b.title, b.created_at)
             .join_from(Bulletin.__table__, Cycle.__table__, b.cycle_id == c.id)
             .where(b.tenant_id == viewer.tenant_id))
    if EvaluationStatus.draft.value not in visible_statuses(viewer):
        published = (select(e.id).where(e.cycle_id == b.cycle_id, e.period == b.period,
                                         e.status == EvaluationStatus.published.value).exists())
        query = query.where(published)
    found = [BulletinInfo(*row) for row in conn.execute(query).all()]
    if not found:
        return None
    return max(found, key=lambda i: (*time_order(i.period), i.created_at))


def read_file(conn: Connection, tenant_id: int, *, bulletin_id: int, kind: str, home: Path) -> tuple[str, bytes]:
    """A bulletin's Word document or Excel table, as ``(filename, bytes)``, read from the archive under ``home``.

    Only the stored file's name is used, inside the tenant's archive folder of the cycle's year: a
    home moved elsewhere still finds its files, and no row can point outside the archive.
    """
    if kind not in KINDS:
        raise BastionError(tr(f"通报文件只能是 {' 或 '.join(KINDS)}，不能是 {kind!r}",
                              f"a bulletin file is {' or '.join(KINDS)}, not {kind!r}"))
    b, c, t = Bulletin.__table__.c, Cycle.__table__.c, Tenant.__table__.c
    row = conn.execute(select(b.docx_path, b.xlsx_path, b.period, c.year, t.code)
                       .join_from(Bulletin.__table__, Cycle.__table__, b.cycle_id == c.id)
                       .join(Tenant.__table__, t.id == b.tenant_id)
                       .where(b.id == bulletin_id, b.tenant_id == tenant_id)).first()
    if row is None:
        raise NotFound(tr(f"本单位没有通报 {bulletin_id}", f"no bulletin {bulletin_id} in this tenant"))
    stored = row.docx_path if kind == "docx" else row.xlsx_path
    path = archive_dir(home, row.code, row.year) / Path(stored).name
    if not path.is_file():
        raise NotFound(tr(f"档案中缺少该通报的 {kind} 文件：{path}",
                          f"the bulletin's {kind} file is missing from the archive: {path}"))
    return path.name, path.read_bytes()
