"""Spreadsheets written for people: a title, readable widths, and no cell that Excel would run as a formula.

A text a user typed (an organisation named ``=HYPERLINK(...)``, a note beginning ``@``) must stay
text in every export: :func:`safe_cell` prefixes such a text with an apostrophe, as OWASP advises
for CSV injection. This module is the one place that writes a cell: every .xlsx Bastion writes is
made by :func:`xlsx` (or has its rows appended by :func:`append_row`), every .csv by
:func:`write_csv`.
"""

from __future__ import annotations

import csv
import io
import numbers
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
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


def unquoted(text: str) -> str:
    """A text as :func:`safe_cell` quoted it, unquoted: ``'=SUM(A1)`` read back from a file Bastion wrote (or typed
    the way Excel takes a text that starts like a formula) is the text ``=SUM(A1)``, so an export imports back as
    it was."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of :func:`safe_cell` values."""
    return [safe_cell(v) for v in values]


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row of safe cells to an openpyxl worksheet (for a workbook built cell by cell, such as a
    template's guide sheet)."""
    sheet.append(safe_row(values))


def write_csv(stream: IO[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> None:
    """``rows`` (the header first) as CSV of safe cells, with a UTF-8 BOM so that Excel reads the Chinese
    (the stream is opened as UTF-8 with ``newline=""``, or is a text stream such as stdout).

    Lines end in CRLF (RFC 4180): the writer then quotes a cell holding a lone CR, which a reader would
    otherwise take for the end of the line — and the rest of the cell for a new line's first cell."""
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])


def _csv_cell(value: Any) -> str:
    """A CSV cell's text: a number as it is (``-3.5`` is not a formula), any other value a safe text."""
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(value)
    return safe_cell(str(value))


def _width(value: Any) -> int:
    """How wide a cell's text is, counting a CJK character as two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def xlsx(*, sheet_name: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
         widths_from: int = 2000, header_fill: str | None = None) -> bytes:
    """A one-sheet workbook: a bold title row, a bold header row frozen under it, the rows as safe cells,
    and each column as wide as its widest header or value among the first ``widths_from`` rows.

    Written in openpyxl's write-only mode, row by row: 100 000 rows stay cheap. ``header_fill``: the header
    row's background colour (``"DDDDDD"``), none by default.
    """
    rows = iter(rows)
    head = [safe_row(row) for _, row in zip(range(widths_from), rows, strict=False)]
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
        if header_fill:
            cell.fill = PatternFill("solid", fgColor=header_fill)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in head:
        sheet.append(row)
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet"
    return cleaned[:31]
