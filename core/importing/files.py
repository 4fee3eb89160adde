"""Reading an import file into a header and rows: CSV (UTF-8 with or without BOM, GBK/GB18030, comma or tab
separated) or an Excel workbook (its first sheet other than the guide sheet)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from ..errors import BastionError, NotFound
from ..i18n import tr
from .report import RowErrors

GUIDE_SHEET = "说明"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Sheet:
    header: list[Any]
    rows: list[tuple[int, Sequence[Any]]]  # (Excel row number, cell values)


def read_sheet(path: Path, errors: RowErrors) -> Sheet:
    if not path.exists():
        raise NotFound(tr(f"找不到文件 {path}", f"no file {path}"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheet = _read_csv(path, errors)
    elif suffix in EXCEL_SUFFIXES:
        sheet = _read_excel(path, errors)
    elif suffix == ".xls":
        raise BastionError(tr(f"{path.name}：不读取旧版 .xls 工作簿，请另存为 .xlsx（Excel 工作簿）或 CSV",
                              f"{path.name}: old .xls workbooks are not read; save it as .xlsx (Excel 工作簿) or CSV"))
    else:
        raise BastionError(tr(f"{path.name}：请导入 .csv 或 .xlsx 文件", f"{path.name}: import .csv or .xlsx files"))
    errors.raise_if_any()
    return sheet


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 — a superset of the GBK that Chinese Excel writes."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_csv(path: Path, errors: RowErrors) -> Sheet:
    try:
        text = decode_csv(path.read_bytes())
    except UnicodeDecodeError:
        errors.add(None, "", tr("无法读取文字：请将 CSV 保存为 UTF-8 或 GBK 编码（Excel：CSV UTF-8）",
                                "cannot read the text: save the CSV as UTF-8 or GBK (Excel: CSV UTF-8)"))
        return Sheet([], [])
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        errors.add(None, "", tr(f"不是可读取的 CSV 文件（{exc}）", f"is not a readable CSV file ({exc})"))
        return Sheet([], [])
    if not records:
        return Sheet([], [])
    return Sheet(records[0], list(enumerate(records[1:], start=2)))


def _read_excel(path: Path, errors: RowErrors) -> Sheet:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        errors.add(None, "", tr(f"无法作为 Excel 工作簿打开（{type(exc).__name__}: {exc}）",
                                f"cannot open it as an Excel workbook ({type(exc).__name__}: {exc})"))
        return Sheet([], [])
    try:
        sheets = [ws for ws in workbook.worksheets if ws.title != GUIDE_SHEET] or workbook.worksheets
        sheet = sheets[0]
        # Some writers record a wrong used range; read_only mode would trust it and cut rows off.
        sheet.reset_dimensions()
        rows = list(enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
    finally:
        workbook.close()
    if not rows:
        return Sheet([], [])
    return Sheet(list(rows[0][1]), rows[1:])
