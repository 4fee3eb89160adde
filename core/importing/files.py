"""Reading an import file into a header and rows: CSV (UTF-8 with or without BOM, GBK/GB18030, comma or tab
separated) or an Excel workbook (its first sheet other than the guide sheet).

A CSV's text is UTF-8 or GB18030 (the GBK a Chinese Excel writes), decoded strictly. Big5 or Shift-JIS
bytes often decode as GB18030 too — into other, wrong characters — so a file that is not UTF-8 is
also shown to charset-normalizer, and refused, naming the encoding it finds, unless that is GB.

A workbook's formula cells are read by the value Excel computed and saved; a workbook written by a
program that does not compute (openpyxl, some exporters) has none, and such a cell is a row error
(:class:`Unevaluated`) rather than an empty value.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer
from openpyxl import load_workbook
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

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


class Undecodable(ValueError):
    """The bytes are not UTF-8 or GB18030 text; the message names the encoding they seem to be in."""


GB = frozenset({"gb18030", "gbk", "gb2312", "hz"})
CJK = GB | {"big5", "big5hkscs", "cp950", "cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp",
            "euc_jis_2004", "euc_jisx0213", "iso2022_jp", "iso2022_jp_2", "euc_kr", "cp949", "johab", "iso2022_kr"}
_LABELS = {"big5": "Big5", "big5hkscs": "Big5-HKSCS", "cp950": "Big5", "cp932": "Shift-JIS", "shift_jis": "Shift-JIS",
           "shift_jis_2004": "Shift-JIS", "shift_jisx0213": "Shift-JIS", "euc_jp": "EUC-JP", "euc_jis_2004": "EUC-JP",
           "euc_jisx0213": "EUC-JP", "iso2022_jp": "ISO-2022-JP", "euc_kr": "EUC-KR", "cp949": "EUC-KR (CP949)",
           "utf_16": "UTF-16", "utf_16_le": "UTF-16", "utf_16_be": "UTF-16", "utf_32": "UTF-32"}


def _label(encoding: str) -> str:
    return _LABELS.get(encoding, encoding.upper().replace("_", "-"))


def _guess(data: bytes) -> str | None:
    """charset-normalizer's verdict: its first CJK multi-byte candidate if it has one (the GB18030 family
    reported as ``gb18030``), else its best candidate; None when nothing fits."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    cjk = next((m.encoding for m in matches if m.encoding in CJK), None)
    return "gb18030" if cjk in GB else cjk or matches[0].encoding


_RESAVE = ("请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或在记事本中另存为 UTF-8 编码，再重新导入",
           "save it from Excel as “CSV UTF-8 (Comma delimited)”, or from a text editor as UTF-8, and import it again")


def _refusal(found: str | None) -> Undecodable:
    if found is None:
        return Undecodable(tr(f"文字编码无法识别，不是 UTF-8 或 GB18030（GBK）：{_RESAVE[0]}",
                              f"its text encoding cannot be told and is not UTF-8 or GB18030 (GBK): {_RESAVE[1]}"))
    return Undecodable(tr(f"文字编码像是 {_label(found)}，不是 UTF-8 或 GB18030（GBK）：{_RESAVE[0]}",
                          f"the text seems to be encoded in {_label(found)}, not UTF-8 or GB18030 (GBK): {_RESAVE[1]}"))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 — a superset of the GBK that Chinese Excel writes — both strict;
    :class:`Undecodable` naming the encoding charset-normalizer finds (Big5, Shift-JIS …) otherwise."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = exc.start + len(codecs.BOM_UTF8) + 1
            raise Undecodable(tr(f"文件以 UTF-8 标记开头，但从第 {at} 个字节起不是 UTF-8 文字：{_RESAVE[0]}",
                                 f"it starts with the UTF-8 mark, but byte {at} on is not UTF-8 text: {_RESAVE[1]}")
                              ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _refusal(_guess(data)) from None
    found = _guess(data)
    if found is not None and found not in GB:
        raise _refusal(found)
    return text


def _read_csv(path: Path, errors: RowErrors) -> Sheet:
    try:
        text = decode_csv(path.read_bytes())
    except Undecodable as exc:
        errors.add(None, "", str(exc))
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


@dataclass(frozen=True)
class Unevaluated:
    """A formula cell saved without its computed value; the row that has it is refused (:mod:`.rows`)."""

    formula: str

    @property
    def reason(self) -> str:
        zh, en = (f"（={self.formula}）", f" (={self.formula})") if self.formula else ("", "")
        return tr(f"是公式{zh}，但文件中没有它的计算结果：请在 Excel 或 WPS 中打开并保存该文件，或将公式粘贴为数值",
                  f"is a formula{en} saved without its computed value: open and save the file in Excel or WPS, "
                  "or paste the formulas as values")


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _has_formulas(source: Any) -> bool:
    """Whether a worksheet's XML has any formula element: a scan of the bytes, far cheaper than a parse."""
    tail = b""
    while chunk := source.read(1 << 20):
        if _FORMULA.search(tail + chunk):
            return True
        tail = chunk[-32:]
    return False


class _FormulaCells(WorkSheetParser):
    """A worksheet parse that notes each formula cell saved without a value: ``(row, column, formula)``."""

    def __init__(self, source: Any, shared_strings: Any) -> None:
        super().__init__(source, shared_strings, data_only=True)
        self.unevaluated: list[tuple[int, int, str]] = []

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            value = element.find(VALUE_TAG)
            if value is None or (not value.text and element.get("t") != "str"):  # t="str" <v/>: computed ""
                self.unevaluated.append((cell["row"], cell["column"], element.findtext(FORMULA_TAG) or ""))
        return cell


def _mark_unevaluated(workbook: Any, sheet: Any, rows: list[tuple[int, Sequence[Any]]]) -> None:
    """Put an :class:`Unevaluated` in each formula cell of ``rows`` that has no value (a workbook without
    formulas costs one scan of its bytes)."""
    # openpyxl's read-only sheet keeps the archive and the worksheet's part name (no public API gives them).
    with workbook._archive.open(sheet._worksheet_path) as source:
        if not _has_formulas(source):
            return
    with workbook._archive.open(sheet._worksheet_path) as source:
        parser = _FormulaCells(source, workbook.shared_strings)
        for _ in parser.parse():
            pass
    position = {number: i for i, (number, _) in enumerate(rows)}
    for row, column, formula in parser.unevaluated:
        if row not in position:
            continue
        i = position[row]
        cells = list(rows[i][1])
        cells.extend([None] * (column - len(cells)))
        cells[column - 1] = Unevaluated(formula)
        rows[i] = (row, cells)


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
        _mark_unevaluated(workbook, sheet, rows)
    except Exception as exc:  # a cell openpyxl cannot read (a crafted value such as <v>NaN</v>)
        errors.add(None, "", tr(f"无法读取工作簿的单元格（{type(exc).__name__}: {exc}）",
                                f"cannot read the workbook's cells ({type(exc).__name__}: {exc})"))
        return Sheet([], [])
    finally:
        workbook.close()
    if not rows:
        return Sheet([], [])
    return Sheet(list(rows[0][1]), rows[1:])
