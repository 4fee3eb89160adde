"""Import templates: a header, an example row and, in Excel, a guide sheet (说明) of the columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..errors import BastionError
from ..exports import append_row, write_csv
from ..i18n import tr
from ..registry import Registry
from .files import EXCEL_SUFFIXES, GUIDE_SHEET
from .kinds import Kind, kind_spec


GENERAL_NOTES = (
    "第 1 行为表头：可用中文名、英文字段名或两者（如“组织编码 code”）；不认识的列、缺少必填列都会报错。",
    "从第 2 行起每行一条记录；空行自动跳过。日期可写 2026-03-05、2026/3/5、2026年3月5日，或用 Excel 日期格式。",
    "整份文件要么全部导入，要么全部不导入：任何一行有错，都会列出所有出错的行号、字段和原因，数据库不做任何改动。",
    "重复导入同一文件不会产生重复记录：与已导入记录相同的行自动跳过；同一文件内两行相同则报错。",
    "CSV 文件可用 UTF-8 或 GBK（Excel 另存为 CSV）编码。",
)


def write_template(kind: str, path: Path, *, registry: Registry | None = None) -> Path:
    """Write an import template for ``kind``: ``.xlsx`` (data sheet and a 说明 sheet) or ``.csv``.

    With ``registry``, the 说明 sheet of a ledger template lists every installed ledger type.
    """
    spec = kind_spec(kind)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv_template(spec, path)
    elif suffix in EXCEL_SUFFIXES:
        _write_excel_template(spec, path, registry)
    else:
        raise BastionError(tr(f"{path.name}：模板只能写成 .xlsx 或 .csv",
                              f"{path.name}: a template is written as .xlsx or .csv"))
    return path


def _example_text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _write_csv_template(spec: Kind, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv(out, [[c.header for c in spec.columns], [_example_text(c.example) for c in spec.columns]])


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="C00000")
_TEXT_COLUMNS = {"code", "parent_code", "org_code", "indicator_code", "from_codes"}  # keep 001 as 001, not the number 1


def _write_excel_template(spec: Kind, path: Path, registry: Registry | None) -> None:
    workbook = Workbook()
    data = workbook.active
    data.title = spec.title
    append_row(data, [c.header for c in spec.columns])
    append_row(data, [c.example for c in spec.columns])
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header = data.cell(row=1, column=index)
        header.font, header.fill = _HEADER_FONT, _HEADER_FILL
        header.alignment = Alignment(vertical="center")
        data.column_dimensions[letter].width = max(12, min(40, 2 * len(column.label) + len(column.key) + 4))
        example = data.cell(row=2, column=index)
        if isinstance(column.example, date):
            example.number_format = "yyyy-mm-dd"
        if column.key in _TEXT_COLUMNS:
            data.column_dimensions[letter].number_format = "@"
            example.number_format = "@"
    data.freeze_panes = "A2"
    _write_guide(workbook.create_sheet(GUIDE_SHEET), spec, registry)
    workbook.save(path)


def _write_guide(sheet: Any, spec: Kind, registry: Registry | None) -> None:
    append_row(sheet, ["列标题", "字段", "中文名", "必填", "说明与允许值"])
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for column in spec.columns:
        allowed = column.allowed
        if column.key == "type" and spec.name == "ledger" and registry is not None:
            allowed += "。已安装的台账类型：" + "；".join(
                f"{c.item.code} {c.item.name}" + (f"（数量必填，单位：{c.item.unit}）" if c.item.quantity_required else "")
                for c in sorted(registry.ledger_types().values(), key=lambda c: c.item.code))
        append_row(sheet, [column.header, column.key, column.label, "是" if column.required else "否", allowed])
    sheet.append([])
    for note in (*GENERAL_NOTES, *spec.notes):
        append_row(sheet, [note])
    for letter, width in zip("ABCDE", (24, 22, 14, 6, 90)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, max_col=5):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
