"""Evidence uploads: the same file uploaded three times at once is kept once and every upload succeeds; a file
whose content is not what its suffix says is refused, naming it."""

from __future__ import annotations

import io
import os
import threading
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core import evidence, i18n
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import Evidence, LedgerEntry, Tenant
from tests import factories

pytestmark = pytest.mark.storage



@pytest.fixture
def entry(engine, registry) -> tuple[Tenant, int]:
    tenant = factories.tenant(engine, registry)
    ids = factories.org_tree(engine, tenant, {"A": "A"})
    with transaction(engine) as session:
        row = LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="committee_meeting", date=date(2026, 3, 2),
                          title="支委会")
        session.add(row)
        session.flush()
        return tenant, row.id


def upload(engine, home: Path, tenant: Tenant, entry_id: int, filename: str, data: bytes) -> Evidence:
    with transaction(engine) as session:
        return evidence.store(session, home=home, tenant_id=tenant.id, tenant_code=tenant.code, filename=filename,
                              data=data, actor="书记", ledger_entry_id=entry_id)


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + os.urandom(size) + b"\n%%EOF\n"


def test_three_uploads_of_the_same_file_at_once_all_succeed_and_keep_one_copy(engine, entry, tmp_path):
    """Each upload's transaction is open when the three are released together, so their files are written at the
    same moment (on PostgreSQL; SQLite's write lock, taken when a transaction begins, lets one upload in at a time).
    Five rounds, a new file each."""
    tenant, entry_id = entry
    together = engine.dialect.name != "sqlite"
    rounds = [pdf(3 << 20) for _ in range(5)]
    for data in rounds:
        barrier = threading.Barrier(3)
        outcomes: list[object] = [None] * 3

        def run(i: int, data: bytes = data, barrier: threading.Barrier = barrier) -> None:
            try:
                with transaction(engine) as session:
                    session.connection()
                    if together:
                        barrier.wait(timeout=60)
                    outcomes[i] = evidence.store(session, home=tmp_path, tenant_id=tenant.id, tenant_code=tenant.code,
                                                 filename=f"会议纪要{i}.pdf", data=data, actor="书记",
                                                 ledger_entry_id=entry_id)
            except BaseException as exc:  # noqa: BLE001 - the outcome is what the test looks at
                outcomes[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(isinstance(o, Evidence) for o in outcomes), outcomes
    kept = sorted(p.read_bytes() for p in evidence.evidence_root(tmp_path, tenant.code).rglob("*") if p.is_file())
    assert kept == sorted(rounds)  # one whole file per round, and no partial file left behind
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Evidence)).scalar() == 3 * len(rounds)


def test_a_web_page_named_pdf_is_refused_naming_the_file(engine, entry, tmp_path):
    tenant, entry_id = entry
    page = b"<!DOCTYPE html><html><head><script>alert(1)</script></head><body>minutes</body></html>"
    with pytest.raises(BastionError, match=r"^会议纪要\.pdf：文件内容与扩展名 \.pdf 不符（看起来是 \.html 文件），未接收$"):
        upload(engine, tmp_path, tenant, entry_id, "会议纪要.pdf", page)
    with i18n.using("en"), pytest.raises(BastionError, match=r"^notes\.txt: the content is not a \.txt file "
                                                             r"\(it looks like a \.html file\); not accepted$"):
        upload(engine, tmp_path, tenant, entry_id, "notes.txt", page)
    with pytest.raises(BastionError, match="照片.jpg：文件内容与扩展名 .jpg 不符"):
        upload(engine, tmp_path, tenant, entry_id, "照片.jpg", pdf(100))
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Evidence)).one()[0] == 0
    assert not evidence.evidence_root(tmp_path, tenant.code).exists()


def test_files_whose_content_matches_their_suffix_are_kept(engine, entry, tmp_path):
    tenant, entry_id = entry
    document = io.BytesIO()
    Document().save(document)
    files = {"纪要.docx": document.getvalue(), "纪要.pdf": pdf(300), "签到.csv": "姓名,签到\n张三,是\n".encode("gb18030"),
             "说明.txt": "三月支委会".encode(), "照片.png": b"\x89PNG\r\n\x1a\n" + bytes(40),
             "照片.jpg": b"\xff\xd8\xff\xe0" + bytes(40)}
    for name, data in files.items():
        assert upload(engine, tmp_path, tenant, entry_id, name, data).filename == name
