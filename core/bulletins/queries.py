"""Reading bulletins back from the assessment archive (考核档案).

Scoping by role is the caller's (the dashboard lets only those who see the whole tenant read
bulletins, which name organisations across it); here a bulletin is read within its tenant, and
one of a period whose results are not published only by those who may see drafts
(:func:`results.visible_statuses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlmodel import Session
from sqlmodel import select as select_model

from ..access import Principal
from ..errors import BastionError, NotFound
from ..i18n import tr
from ..models import Bulletin, Cycle, Evaluation, EvaluationStatus, Tenant
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


def read_bulletins(engine: Engine, cycle_id: int) -> list[Bulletin]:
    """The bulletins in a cycle's archive, in the order they were written."""
    with Session(engine) as session:
        return list(session.exec(select_model(Bulletin).where(Bulletin.cycle_id == cycle_id)
                                 .order_by(Bulletin.created_at)).all())


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
