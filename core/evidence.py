"""Evidence files (佐证材料) behind ledger entries and findings, kept in the home folder.

A file is stored once by content, under ``$BASTION_HOME/evidence/<tenant>/<sha256[:2]>/<sha256><suffix>``,
and an :class:`~bastion.core.models.Evidence` row names it with its original filename. The UI uploads
and downloads through these functions; scoping is the caller's (the entry or finding it backs).

A file's type is read from its content (``puremagic``'s signatures), not only from its suffix: a web
page named ``.pdf`` is refused, naming the file. It is written under a temporary name of its own and
renamed into place, so uploads of the same file at the same moment each succeed and leave one copy.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import puremagic
from sqlmodel import Session

from . import audit
from .errors import BastionError
from .i18n import tr
from .models import Evidence

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".doc", ".docx", ".xls", ".xlsx",
                              ".ppt", ".pptx", ".txt", ".csv", ".zip", ".mp4", ".mp3", ".wav"})


_JPEG = frozenset({".jpg", ".jpeg", ".jfif", ".jpe"})
_OLE = frozenset({".doc", ".xls", ".ppt"})  # Office 97–2003: one container format, told apart only inside
_ZIP = frozenset({".zip", ".docx", ".xlsx", ".pptx"})  # Office Open XML files are zip archives
SIGNATURES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({".pdf"}), ".jpg": _JPEG, ".jpeg": _JPEG, ".png": frozenset({".png"}),
    ".gif": frozenset({".gif"}), ".webp": frozenset({".webp"}), **dict.fromkeys(_OLE, _OLE),
    **dict.fromkeys(_ZIP, _ZIP), ".mp4": frozenset({".mp4", ".m4v", ".m4a", ".mov", ".3gp"}),
    ".mp3": frozenset({".mp3", ".mpga", ".mp2", ".mpa"}), ".wav": frozenset({".wav"}),
}
"""For each accepted suffix with a signature, the extensions ``puremagic`` may name for its content."""
TEXT_SUFFIXES = frozenset({".txt", ".csv"})  # no signature: text in UTF-8 or GB18030, and nothing else sniffed
SURE = 0.5  # puremagic's confidence from which a text file "is" something else (HTML scores 0.5–0.8)


def evidence_root(home: Path, tenant_code: str) -> Path:
    return home / "evidence" / tenant_code


def store(session: Session, *, home: Path, tenant_id: int, tenant_code: str, filename: str, data: bytes, actor: str,
          ledger_entry_id: int | None = None, finding_id: int | None = None, appeal_id: int | None = None) -> Evidence:
    """Keep ``data`` as evidence of a ledger entry, a finding or an appeal; refused when empty, too large or of an
    odd type."""
    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    if sum(x is not None for x in (ledger_entry_id, finding_id, appeal_id)) != 1:
        raise BastionError(tr("佐证材料只能对应一条台账、一条督查发现或一项申诉",
                              "evidence backs exactly one ledger entry, one finding or one appeal"))
    if not data:
        raise BastionError(tr(f"{name}：文件为空", f"{name}: the file is empty"))
    if len(data) > MAX_BYTES:
        raise BastionError(tr(f"{name}：{len(data) / 1e6:.1f} MB 超过允许的 {MAX_BYTES // 2**20} MB",
                              f"{name}: {len(data) / 1e6:.1f} MB is more than the {MAX_BYTES // 2**20} MB allowed"))
    if suffix not in ALLOWED_SUFFIXES:
        raise BastionError(tr(f"{name}：不接受 {suffix or '（无扩展名）'} 类型的文件（可接受：{'、'.join(sorted(ALLOWED_SUFFIXES))}）",
                              f"{name}: files of type {suffix or '(none)'} are not accepted "
                              f"(accepted: {', '.join(sorted(ALLOWED_SUFFIXES))})"))
    check_content(name, suffix, data)
    digest = hashlib.sha256(data).hexdigest()
    path = evidence_root(home, tenant_code) / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        _write_atomically(path, data)
    row = Evidence(tenant_id=tenant_id, ledger_entry_id=ledger_entry_id, finding_id=finding_id, appeal_id=appeal_id,
                   filename=name,
                   uri=path.as_uri(), sha256=digest, uploaded_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, tenant_id=tenant_id, actor=actor, action="upload", entity="evidence", entity_id=row.id,
                 new={"filename": name, "sha256": digest, "ledger_entry_id": ledger_entry_id, "finding_id": finding_id,
                      "appeal_id": appeal_id})
    return row


def sniffed(data: bytes) -> list[tuple[str, float]]:
    """``(extension, confidence)`` of what ``data`` looks like, surest first (``puremagic``); [] when unknown."""
    try:
        return [(m.extension.lower(), m.confidence) for m in puremagic.magic_string(data)]
    except puremagic.PureError:
        return []


def check_content(name: str, suffix: str, data: bytes) -> None:
    """Refuse ``data`` whose content is not what its suffix says: a bilingual error naming the file."""
    found = sniffed(data)
    looks = found[0][0] if found else ""
    if suffix in TEXT_SUFFIXES:
        other = next((ext for ext, sure in found if sure >= SURE and ext not in TEXT_SUFFIXES), None)
        if other is None and b"\0" not in data and _decodes(data):
            return
        looks = other or tr("二进制数据", "binary data")
    elif SIGNATURES[suffix] & {ext for ext, _ in found}:
        return
    seen = tr(f"看起来是 {looks} 文件", f"it looks like a {looks} file") if looks else tr("无法识别其类型",
                                                                                      "its type is not recognised")
    raise BastionError(tr(f"{name}：文件内容与扩展名 {suffix} 不符（{seen}），未接收",
                          f"{name}: the content is not a {suffix} file ({seen}); not accepted"))


def _decodes(data: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` through a temporary file of this call's own, renamed into place: writers of the
    same file at the same moment never share a partial file, and a reader never sees half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def read_bytes(evidence: Evidence) -> bytes:
    """The stored file's content (for a download button)."""
    return Path(url2pathname(urlparse(evidence.uri).path)).read_bytes()
