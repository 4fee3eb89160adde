"""Spreadsheets written for people: a title, readable widths, and no cell that Excel would run as a formula.

A text a user typed (an organisation named ``=HYPERLINK(...)``, a note beginning ``@``) must stay
text in every export: :func:`safe_cell` prefixes such a text with an apostrophe, as OWASP advises
for CSV injection, and every .xlsx and .csv Bastion writes goes through it.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_WIDTH = 60


def safe_cell(value: Any) -> Any:
    """``value`` for a spreadsheet cell: missing → empty, a text that could start a formula → quoted text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _width(value: Any) -> int:
    """How wide a cell's text is, counting a CJK character as two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def xlsx(*, sheet_name: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
         widths_from: int = 2000) -> bytes:
    """A one-sheet workbook: a bold title row, a bold header row frozen under it, the rows as safe cells,
    and each column as wide as its widest header or value among the first ``widths_from`` rows.

    Written in openpyxl's write-only mode, row by row: 100 000 rows stay cheap.
    """
    rows = iter(rows)
    head = [[safe_cell(v) for v in row] for _, row in zip(range(widths_from), rows, strict=False)]
    widths = [_width(h) for h in headers]
    for row in head:
        widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=False)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(sheet_name))
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(MAX_WIDTH, width + 2)
    sheet.freeze_panes = "A3"
    title_cell = WriteOnlyCell(sheet, value=safe_cell(title))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(header))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in head:
        sheet.append(row)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet"
    return cleaned[:31]
