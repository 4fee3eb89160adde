"""Evidence files (佐证材料) behind ledger entries and findings, kept in the home folder.

A file is stored once by content, under ``$BASTION_HOME/evidence/<tenant>/<sha256[:2]>/<sha256><suffix>``,
and an :class:`~bastion.core.models.Evidence` row names it with its original filename. The UI uploads
and downloads through these functions; scoping is the caller's (the entry or finding it backs).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from sqlmodel import Session

from . import audit
from .errors import BastionError
from .i18n import tr
from .models import Evidence

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".doc", ".docx", ".xls", ".xlsx",
                              ".ppt", ".pptx", ".txt", ".csv", ".zip", ".mp4", ".mp3", ".wav"})


def evidence_root(home: Path, tenant_code: str) -> Path:
    return home / "evidence" / tenant_code


def store(session: Session, *, home: Path, tenant_id: int, tenant_code: str, filename: str, data: bytes, actor: str,
          ledger_entry_id: int | None = None, finding_id: int | None = None) -> Evidence:
    """Keep ``data`` as evidence of a ledger entry or a finding; refused when empty, too large or of an odd type."""
    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    if (ledger_entry_id is None) == (finding_id is None):
        raise BastionError(tr("佐证材料只能对应一条台账或一条督查发现", "evidence backs exactly one ledger entry or one finding"))
    if not data:
        raise BastionError(tr(f"{name}：文件为空", f"{name}: the file is empty"))
    if len(data) > MAX_BYTES:
        raise BastionError(tr(f"{name}：{len(data) / 1e6:.1f} MB 超过允许的 {MAX_BYTES // 2**20} MB",
                              f"{name}: {len(data) / 1e6:.1f} MB is more than the {MAX_BYTES // 2**20} MB allowed"))
    if suffix not in ALLOWED_SUFFIXES:
        raise BastionError(tr(f"{name}：不接受 {suffix or '（无扩展名）'} 类型的文件（可接受：{'、'.join(sorted(ALLOWED_SUFFIXES))}）",
                              f"{name}: files of type {suffix or '(none)'} are not accepted "
                              f"(accepted: {', '.join(sorted(ALLOWED_SUFFIXES))})"))
    digest = hashlib.sha256(data).hexdigest()
    path = evidence_root(home, tenant_code) / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)
    row = Evidence(tenant_id=tenant_id, ledger_entry_id=ledger_entry_id, finding_id=finding_id, filename=name,
                   uri=path.as_uri(), sha256=digest, uploaded_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, tenant_id=tenant_id, actor=actor, action="upload", entity="evidence", entity_id=row.id,
                 new={"filename": name, "sha256": digest, "ledger_entry_id": ledger_entry_id, "finding_id": finding_id})
    return row


def read_bytes(evidence: Evidence) -> bytes:
    """The stored file's content (for a download button)."""
    return Path(url2pathname(urlparse(evidence.uri).path)).read_bytes()
