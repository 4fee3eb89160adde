"""Listings: one set of rows, three forms — a table for people, JSON and CSV for machines.

A listing is a tuple of :class:`Field` and rows of raw values (dicts keyed by ``Field.key``):

- ``--format json`` and ``--format csv`` carry the raw values under the keys — stored codes
  (``succeeded``, ``issued``), numbers, ISO dates — and, for a field whose codes have words
  (:mod:`bastion.core.words`), a ``<key>_words`` column in the current language beside the code;
- ``--format table`` shows headers and words in the current language, wraps text on spaces only (never
  mid-word), never wraps or cuts codes and numbers, and drops the optional fields on a terminal narrower
  than :data:`NARROW` columns.

CSV is UTF-8 with a byte-order mark, so that Excel (which otherwise reads a CSV as the system's code
page, GBK on a Chinese Windows) shows the Chinese; Python's ``csv`` and pandas read it with
``encoding="utf-8-sig"``. A cell that begins with ``= + - @`` (or a tab or carriage return) gets a
leading ``'`` so Excel does not take it for a formula (:func:`csv_text`, after OWASP's advice on CSV
injection).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any, Literal

import pandas as pd
from rich import box
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from bastion.core import exports
from bastion.core.exports import safe_cell
from bastion.core.i18n import tr
from bastion.core.words import Pair, word

NARROW = 100  # below this many columns a table drops its optional fields
PROSE_WIDTH = 12  # prose gives way to this width first,
TEXT_WIDTH = 24  # then text to this one, then both as far as their longest words
# Where a line may break: after a run of printable ASCII (a word, a code, a number) or after any other single
# character (Chinese breaks between characters), keeping opening brackets with what follows and closing
# punctuation (，。、）…) with what precedes, and the blanks after a unit with it.
_UNIT = re.compile(r"\s*[（《「『【“‘]*(?:[!-~]+|\S)[，。、：；！？）》」』】”’]*\s*")
class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(StrEnum):
    """The formats of a listing an office takes away as a workbook too (``bastion incentives``)."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


Kind = Literal["code", "number", "text", "prose"]


@dataclass(frozen=True)
class Field:
    """A column: ``key`` in JSON and CSV, ``zh``/``en`` its header in a table.

    ``kind``: ``code`` and ``number`` never wrap (numbers right-aligned); ``text`` (a name, a status) stays
    on one line while it can (:func:`widths`); ``prose`` wraps in the width that is left. Text and prose wrap
    between words and between Chinese characters, never inside a word, a code or a number (:class:`Wrapped`). ``words``: the :mod:`core.words` table naming
    the field's codes. ``show``: the table's text of a raw value (default: its words, else ``str``).
    ``optional``: left out of a table narrower than :data:`NARROW`, or with nothing to show in any row.
    ``hidden``: in JSON and CSV only.
    """

    key: str
    zh: str
    en: str
    kind: Kind = "text"
    words: Mapping[str, Pair] | None = None
    show: Callable[[Any], str] | None = None
    optional: bool = False
    hidden: bool = False

    @property
    def header(self) -> str:
        return tr(self.zh, self.en)

    def text(self, value: Any) -> str:
        if _blank(value):
            return ""
        if self.show is not None:
            return self.show(value)
        if self.words is not None:
            return word(self.words, value)  # type: ignore[arg-type]
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str | list | tuple | dict) and bool(pd.isna(value)))


class Wrapped:
    """Text that wraps at :data:`_UNIT` boundaries: words, codes and numbers whole, Chinese between characters.
    (Rich wraps at spaces only, so a run of Chinese with a code in it would be cut anywhere.)"""

    def __init__(self, text: str) -> None:
        self.text = text
        self.units = [m.group(0) for m in _UNIT.finditer(text)]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(u.strip()) for u in self.units), default=0)
        return Measurement(widest, cell_len(self.text)).clamp(max_width=options.max_width)

    def lines(self, width: int) -> list[str]:
        lines, line = [], ""
        for unit in self.units:
            if line and cell_len((line + unit).rstrip()) > width:
                lines.append(line.rstrip())
                line = unit.lstrip()
            else:
                line += unit
            while cell_len(line.rstrip()) > width:  # a unit longer than the line: folded, as a last resort
                head = chop_cells(line, width)[0]
                lines.append(head)
                line = line[len(head):]
        return [*lines, line.rstrip()] if line.strip() or not lines else lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n".join(self.lines(options.max_width)), no_wrap=True, overflow="fold")


def widths(kinds: Sequence[Kind], cells: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's width (``cells``: the header then the rows) so that the table is at most ``width`` wide
    with :func:`table`'s layout (a blank between columns, a cell of padding on their right):

    codes and numbers get their widest cell, and so does text (a name reads whole) and prose if they fit;
    when they do not, prose gives way first (to :data:`PROSE_WIDTH`), then text (to :data:`TEXT_WIDTH`), then both,
    the widest column first and never below its longest word (a code inside the text, say).
    """
    columns = list(zip(*cells, strict=True)) if cells else [() for _ in kinds]
    widest = [max(map(cell_len, c), default=0) for c in columns]
    longest_unit = [max((cell_len(u.strip()) for v in c for u in Wrapped(v).units), default=1) for c in columns]
    room = width - 2 * (len(kinds) - 1)
    out = [w if k in ("code", "number") else 0 for k, w in zip(kinds, widest, strict=True)]
    flexible = [i for i, k in enumerate(kinds) if k in ("text", "prose")]
    for i in flexible:
        out[i] = widest[i]
    floor = {i: max(longest_unit[i], min(widest[i], PROSE_WIDTH if kinds[i] == "prose" else TEXT_WIDTH))
             for i in flexible}
    for order, low in (("prose", floor), ("text", floor), ("prose text", longest_unit)):
        while sum(out) > room:
            candidates = [i for i in flexible if kinds[i] in order.split() and out[i] > low[i]]
            if not candidates:
                break
            widest_first = max(candidates, key=lambda i: out[i])
            out[widest_first] -= 1
    return out


def table(fields: Sequence[Field], rows: Iterable[Mapping[str, Any]], *, width: int, title: str | None = None,
          style: Callable[[Mapping[str, Any]], str | None] | None = None) -> Table:
    """The rows as a table for a terminal ``width`` columns wide (see the module's docstring)."""
    rows = list(rows)
    shown = [f for f in fields if not f.hidden and not (f.optional and width < NARROW)]
    shown = [f for f in shown if not f.optional or any(f.text(r.get(f.key)) for r in rows)]
    cells = [[f.text(r.get(f.key)) for f in shown] for r in rows]
    sizes = widths([f.kind for f in shown], [[f.header for f in shown], *cells], width)
    grid = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for f, size in zip(shown, sizes, strict=True):
        grid.add_column(f.header, justify="right" if f.kind == "number" else "left", width=size,
                        no_wrap=f.kind in ("code", "number"), overflow="fold")
    wraps = [f.kind not in ("code", "number") for f in shown]
    for row, values in zip(rows, cells, strict=True):
        grid.add_row(*(Wrapped(v) if w else v for v, w in zip(values, wraps, strict=True)),
                     style=style(row) if style else None)
    return grid


def _raw(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def records(fields: Sequence[Field], rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows as JSON-able dicts: raw values by key, and ``<key>_words`` beside each coded field."""
    out = []
    for r in rows:
        record: dict[str, Any] = {}
        for f in fields:
            record[f.key] = _raw(r.get(f.key))
            if f.words is not None:
                record[f"{f.key}_words"] = f.text(r.get(f.key))
        out.append(record)
    return out


def csv_text(value: Any) -> str:
    """A CSV cell's text; one that Excel would read as a formula (``=1+1``, ``@SUM(…)``, ``-2+3``) gets a
    leading ``'`` (the export rule, :func:`bastion.core.exports.safe_cell`)."""
    if _blank(value):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)  # a number is not a formula: -3.5 stays a number
    if isinstance(value, list | tuple):
        value = "；".join(map(str, value))
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return safe_cell(str(value))


def write_csv(data: Sequence[Mapping[str, Any]], stream: IO[str], columns: Sequence[str] | None = None) -> None:
    """``data`` as CSV (a header of the keys, then one line per record), with a BOM for Excel."""
    columns = list(columns or (data[0].keys() if data else []))
    exports.write_csv(stream, [columns, *([_csv_value(record.get(c)) for c in columns] for record in data)])


def _csv_value(value: Any) -> Any:
    """A number as it is (the CSV writer keeps it a number), anything else :func:`csv_text`."""
    if isinstance(value, int | float) and not isinstance(value, bool) and not _blank(value):
        return value
    return csv_text(value)


def xlsx_bytes(fields: Sequence[Field], rows: Iterable[Mapping[str, Any]], *, title: str, sheet_name: str,
               footer: Sequence[Any] | None = None) -> bytes:
    """The rows as a one-sheet workbook (``core.exports.xlsx``: formula-safe cells): a column per field but the hidden
    ones, headed in the current language; numbers and codes as raw values, so a sum in Excel adds them, coded fields
    in words, the rest as the table shows them. ``footer``: a last row (a total), by the same columns."""
    shown = [f for f in fields if not f.hidden]
    cells = [[_xlsx_value(f, r.get(f.key)) for f in shown] for r in rows]
    if footer is not None:
        cells.append(list(footer))
    return exports.xlsx(sheet_name=sheet_name, title=title, headers=[f.header for f in shown], rows=cells)


def _xlsx_value(field: Field, value: Any) -> Any:
    if _blank(value):
        return None
    if field.kind in ("number", "code") and not isinstance(value, list | tuple | dict):
        return _raw(value)
    return field.text(value)


def write_json(data: Any, stream: IO[str]) -> None:
    stream.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def emit(console: Console, fmt: OutputFormat, fields: Sequence[Field], rows: Sequence[Mapping[str, Any]], *,
         title: str | None = None, style: Callable[[Mapping[str, Any]], str | None] | None = None,
         data: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Print a listing in ``fmt``; ``data``: the machine-readable records when they are not :func:`records`
    of the rows (e.g. ``results``' documented JSON)."""
    if fmt is OutputFormat.table:
        console.print(table(fields, rows, width=console.width, title=title, style=style))
        return
    data = records(fields, rows) if data is None else data
    if fmt is OutputFormat.json:
        write_json(list(data), sys.stdout)
    else:
        write_csv(list(data), sys.stdout, None if data else [f.key for f in fields])
