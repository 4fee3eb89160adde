"""Headers and rows: which column each header names, and each data row parsed into a record, cell by cell.

Row numbers are the ones the user sees in Excel: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from ..exports import unquoted
from ..i18n import tr
from ..values import forbidden_in
from .cells import is_blank, parse_text
from .files import Sheet, Unevaluated
from .kinds import Column, Kind
from .report import RowErrors

_HEADER_SPLIT = re.compile(r"[\s()（）\[\]【】:：]+")


def _aliases(kind: Kind) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in kind.columns:
        for name in (column.key, column.label, *column.aliases):
            table[name.casefold()] = column
    return table


def match_header(kind: Kind, text: str) -> Column | None:
    """The column a header names: the key, the Chinese label, or both (``组织编码 code``, ``组织编码(code)``)."""
    cleaned = text.replace("\u3000", " ").strip().strip("*＊").strip()
    aliases = _aliases(kind)
    if cleaned.casefold() in aliases:
        return aliases[cleaned.casefold()]
    found = {id(aliases.get(token.casefold())): aliases.get(token.casefold())
             for token in _HEADER_SPLIT.split(cleaned) if token}
    if len(found) == 1 and None not in found.values():
        return next(iter(found.values()))
    return None


@dataclass
class Layout:
    columns: list[tuple[int, Column]]  # cell index → column
    unnamed: list[int]  # cells with a blank header (allowed while they stay empty)

    @property
    def present(self) -> set[str]:
        return {c.key for _, c in self.columns}


def read_layout(kind: Kind, header: Sequence[Any], errors: RowErrors) -> Layout:
    if not any(not is_blank(h) for h in header):
        errors.add(1, "", tr("文件没有表头行；请用 `bastion import template` 生成导入模板",
                             "the file has no header row; write the templates with `bastion import template`"))
        errors.raise_if_any()
    layout = Layout([], [])
    seen: dict[str, str] = {}
    for index, raw in enumerate(header):
        if is_blank(raw):
            layout.unnamed.append(index)
            continue
        if raw.__class__ is Unevaluated:
            letter = get_column_letter(index + 1)
            errors.add(1, "", raw.reason, field=tr(f"第 {letter} 列表头", f"header of column {letter}"))
            continue
        text = parse_text(raw)
        column = match_header(kind, text)
        if column is None:
            columns = ", ".join(c.header for c in kind.columns)
            errors.add(1, text, tr(f"{kind.title}导入不认识列 {text!r}；可用的列：{columns}",
                                   f"unknown column {text!r} for a {kind.name} import; the columns are: {columns}"))
        elif column.key in seen:
            errors.add(1, column.key, tr(f"列 {text!r} 与列 {seen[column.key]!r} 重复",
                                         f"column {text!r} repeats column {seen[column.key]!r}"))
        else:
            seen[column.key] = text
            layout.columns.append((index, column))
    missing = [c for c in kind.columns if c.required and c.key not in seen]
    if missing:
        headers = ", ".join(c.header for c in missing)
        errors.add(1, [c.key for c in missing], tr(f"缺少必填列：{headers}", f"required column(s) missing: {headers}"),
                   field=tr("、", ", ").join(c.name for c in missing))
    errors.raise_if_any()
    return layout


class Record(dict):
    """A parsed data row: values by column key (None when blank, bad or not in the file).

    ``bad`` holds the keys that failed a check, so that later checks skip what is already reported.
    A dict subclass because 100k rows × a dozen look-ups each must stay cheap.
    """

    __slots__ = ("bad", "row")

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row
        self.bad: set[str] = set()

    def __missing__(self, key: str) -> None:
        return None

    def ok(self, *keys: str) -> bool:
        return not self.bad.intersection(keys)


@dataclass(frozen=True)
class _Bad:
    reason: str


def _cell_parser(column: Column) -> Callable[[Any], Any]:
    """``column.value`` returning :class:`_Bad` instead of raising, memoised: dates, kinds, levels repeat a lot.

    A formula cell without its computed value (:class:`~.files.Unevaluated`) is bad whatever the column."""
    if column.parse is parse_text:  # free text: nothing to memoise
        limit = column.max_length

        def text(raw: Any) -> Any:
            if raw.__class__ is str:  # the common case, inline: 100k rows × each text column
                value = raw.strip()
                if value[:1] == "'":
                    value = unquoted(value)
                if forbidden_in(value) is None and (limit is None or len(value) <= limit):
                    return value
            elif raw.__class__ is Unevaluated:
                return _Bad(raw.reason)
            try:
                return column.value(raw)
            except ValueError as exc:
                return _Bad(str(exc))
        return text
    cache: dict[Any, Any] = {}

    def parse(raw: Any) -> Any:
        key = raw if raw.__class__ is str else (raw.__class__, raw)  # True == 1, but not as a cell
        try:
            return cache[key]
        except KeyError:
            pass
        if raw.__class__ is Unevaluated:
            return _Bad(raw.reason)
        try:
            value = column.value(raw)
        except ValueError as exc:
            value = _Bad(str(exc))
        if len(cache) < 50_000:
            cache[key] = value
        return value
    return parse


def _no_header(errors: RowErrors, row: int, index: int) -> None:
    letter = get_column_letter(index + 1)
    errors.add(row, f"column {letter}", tr("有内容但没有表头", "has a value but no header"),
               field=tr(f"第 {letter} 列", f"column {letter}"))


def read_records(sheet: Sheet, layout: Layout, errors: RowErrors) -> list[Record]:
    """Each non-blank data row parsed by its columns; every bad cell, and every value in a column without a
    header (blank, or beyond the header's last cell), a row error."""
    parsers = [(index, column.key, column.required, _cell_parser(column)) for index, column in layout.columns]
    headed = len(sheet.header)
    records = []
    for row, cells in sheet.rows:
        if not any(cells) or all(is_blank(v) for v in cells):
            continue
        record = Record(row)
        width = len(cells)
        for index, key, required, parse in parsers:
            raw = cells[index] if index < width else None
            if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
                record[key] = None
                if required:
                    record.bad.add(key)
                    errors.add(row, key, tr("必填", "is required"))
                continue
            value = parse(raw)
            if value.__class__ is _Bad:
                record[key] = None
                record.bad.add(key)
                errors.add(row, key, value.reason)
            else:
                record[key] = value
        for index in layout.unnamed:
            if index < width and not is_blank(cells[index]):
                _no_header(errors, row, index)
        for index in range(headed, width):
            if not is_blank(cells[index]):
                _no_header(errors, row, index)
        records.append(record)
    return records
