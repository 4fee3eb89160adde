"""How an import reports: every problem of a file as a row error (file, row, field, reason), the rejection that
lists them, and the report of what an import did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BastionError
from ..i18n import tr
from .kinds import BY_NAME, Kind

MAX_LISTED_ERRORS = 30  # an error message lists this many problems, then says how many more


@dataclass(frozen=True)
class RowError:
    """One problem in an import file. ``row`` is the Excel row (header = 1); None for the whole file.

    ``field`` and ``reason`` are in the language of whoever imported: the field is named by its template
    header (上级组织编码 in Chinese, ``parent_code`` in English; :meth:`Kind.field_name`). ``key`` is the
    field's key whatever the language (``parent_code``, ``org_code+type``), for code that sorts or filters.
    """

    file: str
    row: int | None
    field: str
    reason: str
    key: str = ""

    def __str__(self) -> str:
        if self.row is None:
            return (tr(f"{self.file}，整个文件", f"{self.file}, file") + (tr(f"，{self.field}", f", {self.field}")
                    if self.field else "") + tr(f"：{self.reason}", f": {self.reason}"))
        return (tr(f"{self.file}，第 {self.row} 行", f"{self.file}, row {self.row}")
                + (tr(f"，{self.field}",
                      f", {self.field}") if self.field else "") + tr(f"：{self.reason}", f": {self.reason}"))


class ImportRejected(BastionError):
    """The file was not imported because of the listed problems; nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(_rejection_message(self.errors))


def _rejection_message(errors: list[RowError]) -> str:
    files = sorted({e.file for e in errors})
    rows = {(e.file, e.row) for e in errors if e.row is not None}
    head = tr(f"{'、'.join(files)} 未导入（没有写入任何数据）：共 {len(errors)} 处问题"
              + (f"，涉及 {len(rows)} 行" if rows else "") + "。请改正后重新导入。",
              f"{', '.join(files)} was not imported (nothing was written): {len(errors)} problem(s)"
              + (f" in {len(rows)} row(s)" if rows else "") + ". Fix them and import the file again.")
    lines = [f"  {e}" for e in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        more = len(errors) - MAX_LISTED_ERRORS
        lines.append(tr(f"  … 另有 {more} 处问题", f"  … and {more} more problem(s)"))
    return "\n".join([head, *lines])


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``skipped`` counts rows already stored (or organisations unchanged)."""

    kind: str
    file: str
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    checks_created: int = 0  # findings only: the inspections (检查) the findings were attached to
    late: int = 0  # ledger entries and findings: of those inserted, the late ones (``periods.place``)

    def __str__(self) -> str:
        title = BY_NAME[self.kind].title if self.kind in BY_NAME else self.kind
        text = tr(f"{title}（{self.file}）：新增 {self.inserted} 条，更新 {self.updated} 条，跳过 {self.skipped} 条",
                  f"{self.kind} from {self.file}: {self.inserted} inserted, {self.updated} updated, "
                  f"{self.skipped} skipped")
        if self.checks_created:
            text += tr(f"，新建检查 {self.checks_created} 次", f", {self.checks_created} check(s) created")
        if self.late:
            text += tr(f"；其中迟到 {self.late} 条（所在考核期已关闭），已按所选方式记录，逐条审计",
                       f"; {self.late} of them late (their period closed), recorded by the route chosen, each audited")
        return text


class RowErrors:
    """Collects row errors for one file of one kind; a field is given by its key (or keys) and named by its header."""

    def __init__(self, file: str, kind: Kind) -> None:
        self.file = file
        self.kind = kind
        self.items: list[RowError] = []

    def add(self, row: int | None, key: str | Sequence[str], reason: str, *, field: str | None = None) -> None:
        """A problem with the field ``key`` (a column key, several keys, or "" for the row or file);
        ``field`` names it when it is not a column of the kind (a header the file made up, a cell without one)."""
        keys = (key,) if isinstance(key, str) else tuple(key)
        if field is None:
            field = "+".join(self.kind.field_name(k) for k in keys if k)
        self.items.append(RowError(self.file, row, field, reason, "+".join(keys)))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportRejected(sorted(self.items, key=lambda e: e.row or 0))
