"""Importing spreadsheets (CSV and Excel): organisations, ledgers (台账), findings (检查发现), ratings (测评).

Party-affairs offices keep their records in Excel, so Bastion takes them as they are:

- Headers may be the English key (``org_code``), the Chinese label (``组织编码``) or both, as the
  templates write them (``组织编码 org_code``). Unknown columns and missing required columns are
  errors. Blank rows are skipped. Dates may be ISO text, Excel dates or ``2026/3/5``. CSV may be
  UTF-8 (with or without BOM) or GB18030/GBK, which is what Excel on Chinese Windows writes.
- A file is imported whole or not at all. Every row is parsed and checked against the database
  first (in a few bulk queries); any bad row rejects the file with :class:`ImportRejected`, which
  names every bad row and field. Only then is everything written, in bulk and in one transaction.
- Importing the same facts again changes nothing: rows identical to stored ones are skipped and
  counted; identical rows inside one file are errors (usually a copy-paste slip). Organisations
  are upserted by code, and every changed organisation is audited old → new.

Row numbers are the ones the user sees in Excel: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlmodel import Session

from . import audit, words
from .db import transaction
from .errors import BastionError, NotFound
from .i18n import tr
from .models import (
    Check,
    CheckKind,
    Cycle,
    Finding,
    Indicator,
    LedgerEntry,
    Organization,
    OrgLevel,
    Rating,
    RatingSource,
    Tenant,
    org_code_key,
    utcnow,
)
from .registry import Registry
from .tenants import enabled_plugins
from .tree import LEVEL_NAMES, PARENT_LEVELS, chain, level_reason, looping

KINDS = ("organizations", "ledger", "findings", "ratings")

MAX_LISTED_ERRORS = 30  # an error message lists this many problems, then says how many more
GUIDE_SHEET = "说明"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


# --- errors and the report -----------------------------------------------------------------


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

    def __str__(self) -> str:
        title = _KINDS[self.kind].title if self.kind in _KINDS else self.kind
        text = tr(f"{title}（{self.file}）：新增 {self.inserted} 条，更新 {self.updated} 条，跳过 {self.skipped} 条",
                  f"{self.kind} from {self.file}: {self.inserted} inserted, {self.updated} updated, "
                  f"{self.skipped} skipped")
        if self.checks_created:
            text += tr(f"，新建检查 {self.checks_created} 次", f", {self.checks_created} check(s) created")
        return text


class _Problems:
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


# --- cell parsers: raw cell value (never blank) → Python value, or ValueError(reason) -------


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str:
    """Text as the user typed it; Excel turns a typed ``12`` into the number 12.0, undo that."""
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")


def _date_hint() -> str:
    return tr("请写成 2026-03-05、2026/3/5、2026年3月5日 或 Excel 日期",
              "use 2026-03-05, 2026/3/5, 2026年3月5日 or an Excel date")


def _not_a_date(value: Any) -> ValueError:
    return ValueError(tr(f"{value!r} 不是日期（{_date_hint()}）", f"{value!r} is not a date ({_date_hint()})"))


def parse_date(value: Any) -> date:
    """ISO text, ``2026/3/5``, ``2026.3.5``, ``2026年3月5日``, ``20260305``, an Excel date or date serial."""
    if value.__class__ is str and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise _not_a_date(value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise _not_a_date(value)
        if value == int(value) and 19000101 <= value <= 29991231:  # 20260305 typed as a number
            value = str(int(value))
        else:
            return _excel_serial(value)
    text = str(value).strip()
    if _EXCEL_SERIAL.match(text):
        return _excel_serial(float(text))
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise _not_a_date(text)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(tr(f"{text!r} 不是实际存在的日期", f"{text!r} is not a real calendar date")) from None


def _excel_serial(number: float) -> date:
    if not 1 <= number < 2958466:
        raise _not_a_date(number)
    return from_excel(number).date()


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(tr(f"{value!r} 不是数字", f"{value!r} is not a number"))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(tr(f"{text!r} 不是数字", f"{text!r} is not a number")) from None
    if not math.isfinite(number):
        raise ValueError(tr(f"{value!r} 不是数字", f"{value!r} is not a number"))
    return number


def _number_in(*, minimum: float | None = None, maximum: float | None = None) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = parse_number(value)
        if minimum is not None and number < minimum:
            raise ValueError(tr(f"{number:g} 小于 {minimum:g}", f"{number:g} is below {minimum:g}"))
        if maximum is not None and number > maximum:
            raise ValueError(tr(f"{number:g} 大于 {maximum:g}", f"{number:g} is above {maximum:g}"))
        return number
    return parse


def parse_count(value: Any) -> int:
    """A head count: a whole number ≥ 0."""
    number = parse_number(value)
    if not number.is_integer() or number < 0:
        raise ValueError(tr(f"{parse_text(value)!r} 不是 ≥ 0 的整数", f"{parse_text(value)!r} is not a whole number ≥ 0"))
    return int(number)


def _choice(aliases: Mapping[str, str], what: tuple[str, str], hint: tuple[str, str]) -> Callable[[Any], str]:
    """A parser mapping any alias (case-insensitive) to its canonical value; ``what`` and ``hint`` are (zh, en)."""
    table = {k.casefold(): str(v) for k, v in aliases.items()}  # plain str, not the StrEnum member

    def parse(value: Any) -> str:
        text = parse_text(value)
        found = table.get(text.casefold())
        if found is None:
            raise ValueError(tr(f"{text!r} 不是有效的{what[0]}；可填：{hint[0]}", f"{text!r} is not a {what[1]}; use {hint[1]}"))
        return found
    return parse


LEVEL_ALIASES = {
    **{level.value: level.value for level in OrgLevel},
    "党委": OrgLevel.committee, "党总支": OrgLevel.general_branch, "直属党组织": OrgLevel.general_branch,
    "党支部": OrgLevel.branch, "党小组": OrgLevel.group,
}

CHECK_KIND_ALIASES = {
    **{kind.value: kind.value for kind in CheckKind}, "self_check": CheckKind.self_check,
    "日常督查": CheckKind.daily, "抽查": CheckKind.spot, "不定期抽查": CheckKind.spot, "明察": CheckKind.open,
    "暗访": CheckKind.covert, "半年检查": CheckKind.half_year, "自查": CheckKind.self_check,
    "互查": CheckKind.mutual, "巡查": CheckKind.patrol, "年终考核": CheckKind.year_end,
}
CHECK_KIND_NAMES = {CheckKind(code): zh for code, (zh, _) in words.CHECK_KIND.items()}

SOURCE_ALIASES = {
    **{source.value: source.value for source in RatingSource},
    "自评": RatingSource.self_, "党员群众": RatingSource.members, "党员群众测评": RatingSource.members,
    "民主测评": RatingSource.members, "其他支部书记": RatingSource.peers, "互评": RatingSource.peers,
    "上级机关": RatingSource.superior, "上级机关考评": RatingSource.superior, "考评": RatingSource.superior,
    "述职评议": RatingSource.work_report, "述职": RatingSource.work_report,
    "问卷调查": RatingSource.questionnaire, "问卷": RatingSource.questionnaire,
    "座谈会": RatingSource.forum, "座谈": RatingSource.forum,
}
SOURCE_NAMES = {RatingSource.self_: "自评", RatingSource.members: "党员群众", RatingSource.peers: "其他支部书记",
                RatingSource.superior: "上级机关", RatingSource.work_report: "述职评议",
                RatingSource.questionnaire: "问卷调查", RatingSource.forum: "座谈会"}

RATING_LEVELS = ("优秀", "良好", "一般", "较差", "A", "B", "C", "D")


def _pairs(names: Mapping[Any, str]) -> str:
    return ", ".join(f"{key.value} ({name})" for key, name in names.items())


def _chinese_first(names: Mapping[Any, str]) -> str:
    return "；".join(f"{name} {key.value}" for key, name in names.items())


parse_level = _choice(LEVEL_ALIASES, ("层级", "level"), (_chinese_first(LEVEL_NAMES), _pairs(LEVEL_NAMES)))
parse_check_kind = _choice(CHECK_KIND_ALIASES, ("检查方式", "check kind"),
                           (_chinese_first(CHECK_KIND_NAMES), _pairs(CHECK_KIND_NAMES)))
parse_source = _choice(SOURCE_ALIASES, ("测评来源", "rating source"), (_chinese_first(SOURCE_NAMES), _pairs(SOURCE_NAMES)))
parse_rating_level = _choice({level: level for level in RATING_LEVELS}, ("等次", "rating level"),
                             ("/".join(RATING_LEVELS),) * 2)


# --- columns and kinds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: its key, Chinese label, parser and what it allows."""

    key: str
    label: str
    required: bool = False
    parse: Callable[[Any], Any] = parse_text
    allowed: str = ""  # in Chinese: the meaning and the allowed values (template 说明 sheet, docs)
    example: Any = None
    max_length: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """The template header, e.g. ``组织编码 code``: readable in Chinese, exact in English."""
        return f"{self.label} {self.key}"

    @property
    def name(self) -> str:
        """The column as a person reads it in the current language: its header's Chinese label, or its key."""
        return tr(self.label, self.key)

    def value(self, raw: Any) -> Any:
        value = self.parse(raw)
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            raise ValueError(tr(f"长 {len(value)} 个字符，最多允许 {self.max_length} 个",
                                f"is {len(value)} characters long; at most {self.max_length} are allowed"))
        return value


@dataclass(frozen=True)
class Kind:
    name: str
    title: str  # the sheet name of the template
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()  # kind-specific rules for the template's 说明 sheet

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def field_name(self, key: str) -> str:
        """The field ``key`` named by its template header in the current language (:attr:`Column.name`);
        a key that is no column of the kind as it is."""
        return next((c.name for c in self.columns if c.key == key), key)


def _org_code() -> Column:
    return Column("org_code", "组织编码", required=True, max_length=64, example="ZB01",
                  allowed="组织编码，须已导入（先导入组织机构）")


ORGANIZATIONS = Kind("organizations", "组织机构", (
    Column("code", "组织编码", required=True, max_length=64, example="DW",
           allowed="组织的唯一编码；已存在则更新该组织（按编码覆盖），不存在则新增"),
    Column("name", "组织名称", required=True, max_length=200, example="示范集团有限公司党委", allowed="组织全称"),
    Column("parent_code", "上级组织编码", max_length=64, example=None,
           allowed="可空（最高层组织）；须是本文件或系统中已有的组织编码，不得形成循环"),
    Column("level", "层级", required=True, parse=parse_level, example="党委",
           allowed="党委 committee / 党总支 general_branch（直属党组织）/ 党支部 branch / 党小组 group；"
                   "党支部的上级须为党委或党总支，党小组的上级须为党支部，党总支的上级须为党委"),
    Column("category", "类别", max_length=64, example=None,
           allowed="支部类别，自由填写，如 机关、生产一线、经营服务、离退休（按类别差别化设定目标）"),
    Column("secretary", "书记", max_length=100, example="王建国", allowed="书记姓名"),
    Column("secretary_term_start", "任期开始", parse=parse_date, example=date(2024, 1, 8),
           allowed="书记本届任期开始日期"),
    Column("secretary_term_end", "任期结束", parse=parse_date, example=date(2028, 1, 7),
           allowed="书记本届任期届满日期（届任制：届满须换届）"),
    Column("first_secretary", "第一书记", max_length=100, example=None, allowed="可空；联系该组织的领导班子成员"),
    Column("member_count", "党员人数", parse=parse_count, example=326, allowed="整数 ≥ 0，空为 0"),
    Column("staff_count", "职工人数", parse=parse_count, example=2150, allowed="整数 ≥ 0，空为 0"),
    Column("party_staff_count", "党务工作人员数", parse=parse_count, example=28,
           allowed="整数 ≥ 0，空为 0（党务工作人员一般占职工总数 1%–2%）"),
), notes=(
    "按组织编码新增或更新：已有的组织，文件中有的列覆盖原值（空单元格清空该项），文件中没有的列保持不变；"
    "文件中未列出的组织不受影响。",
    "上级组织可以在本文件中（行的先后不限），也可以是系统中已有的组织。",
))

LEDGER = Kind("ledger", "台账", (
    _org_code(),
    Column("type", "台账类型", required=True, max_length=64, example="志愿服务",
           allowed="本企业已启用插件提供的台账类型，填编码或中文名称，如 branch_assembly（支部党员大会）、"
                   "committee_meeting（支委会）、party_lecture（党课）、volunteer_service（志愿服务）"),
    Column("date", "日期", required=True, parse=parse_date, example=date(2026, 3, 5),
           allowed="活动日期：2026-03-05、2026/3/5 或 Excel 日期"),
    Column("quantity", "数量", parse=_number_in(minimum=0), example=24,
           allowed="数字 ≥ 0；台账类型有计量单位时必填（如志愿服务的小时数、发展党员的人数）"),
    Column("title", "标题", max_length=300, example="“学雷锋”社区志愿服务", allowed="活动名称或主题"),
    Column("note", "备注", example="12名党员参加，每人2小时", allowed="可空"),
))

FINDINGS = Kind("findings", "检查发现", (
    _org_code(),
    Column("date", "检查日期", required=True, parse=parse_date, example=date(2026, 4, 18), aliases=("日期",),
           allowed="检查日期；其年度决定所属考核周期"),
    Column("check_kind", "检查方式", required=True, parse=parse_check_kind, example="日常督查",
           allowed=_chinese_first(CHECK_KIND_NAMES) + "（也可写“抽查”）"),
    Column("inspector", "检查人", max_length=100, example="公司党委督查组", allowed="检查人或检查组"),
    Column("indicator_code", "指标编码", max_length=64, example="B6-1",
           allowed="可空；填写时须为检查日期所在年度考核周期方案中的指标编码（扣分计入该指标）"),
    Column("deduction", "扣分", parse=_number_in(minimum=0), example=1, allowed="数字 ≥ 0，空为 0"),
    Column("description", "问题描述", required=True, example="支部工作记录不规范：3月支委会记录缺少参会人员签到",
           allowed="发现的问题"),
), notes=(
    "同一组织、同一检查日期、同一检查方式和检查人的问题，归入同一次检查（已有的检查记录会沿用）。",
    "与已导入的问题（组织、日期、指标编码、问题描述均相同）重复的行自动跳过。",
))

RATINGS = Kind("ratings", "测评", (
    _org_code(),
    Column("source", "测评来源", required=True, parse=parse_source, example="上级机关",
           allowed=_chinese_first(SOURCE_NAMES) + "（也可写“民主测评”“互评”“考评”）"),
    Column("rater", "测评人", max_length=100, example="党委组织部",
           allowed="测评人或票号；匿名测评请填票号（同一组织、来源、测评人、指标、日期只能有一条）"),
    Column("indicator_code", "指标编码", max_length=64, example="B1-4",
           allowed="可空（总体评价）；填写时须为测评日期所在年度考核周期方案中的指标编码"),
    Column("score", "分数", parse=_number_in(minimum=0, maximum=100), example=None,
           allowed="0–100；分数与等次至少填一项"),
    Column("level", "等次", parse=parse_rating_level, example="优秀", aliases=("等级",),
           allowed="/".join(RATING_LEVELS) + "；分数与等次至少填一项"),
    Column("date", "测评日期", required=True, parse=parse_date, example=date(2026, 12, 20), aliases=("日期",),
           allowed="测评日期；其年度决定所属考核周期"),
    Column("note", "备注", example="年终考评：班子团结，工作扎实", allowed="可空"),
), notes=(
    "组织、测评来源、测评人、指标编码、测评日期相同的视为同一条测评：重复导入自动跳过，同一文件内重复则报错。"
    "匿名的党员群众测评请在“测评人”中填写票号。",
))

_KINDS = {k.name: k for k in (ORGANIZATIONS, LEDGER, FINDINGS, RATINGS)}
assert tuple(_KINDS) == KINDS


def kind_spec(kind: str) -> Kind:
    """The columns of an import kind."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise BastionError(tr(f"没有导入类型 {kind!r}；可用：{'、'.join(KINDS)}",
                              f"unknown import kind {kind!r}; use one of: {', '.join(KINDS)}")) from None


# --- reading files -------------------------------------------------------------------------


@dataclass
class _Sheet:
    header: list[Any]
    rows: list[tuple[int, Sequence[Any]]]  # (Excel row number, cell values)


def _read(path: Path, problems: _Problems) -> _Sheet:
    if not path.exists():
        raise NotFound(tr(f"找不到文件 {path}", f"no file {path}"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheet = _read_csv(path, problems)
    elif suffix in EXCEL_SUFFIXES:
        sheet = _read_excel(path, problems)
    elif suffix == ".xls":
        raise BastionError(tr(f"{path.name}：不读取旧版 .xls 工作簿，请另存为 .xlsx（Excel 工作簿）或 CSV",
                              f"{path.name}: old .xls workbooks are not read; save it as .xlsx (Excel 工作簿) or CSV"))
    else:
        raise BastionError(tr(f"{path.name}：请导入 .csv 或 .xlsx 文件", f"{path.name}: import .csv or .xlsx files"))
    problems.raise_if_any()
    return sheet


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 — a superset of the GBK that Chinese Excel writes."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_csv(path: Path, problems: _Problems) -> _Sheet:
    try:
        text = decode_csv(path.read_bytes())
    except UnicodeDecodeError:
        problems.add(None, "", tr("无法读取文字：请将 CSV 保存为 UTF-8 或 GBK 编码（Excel：CSV UTF-8）",
                                  "cannot read the text: save the CSV as UTF-8 or GBK (Excel: CSV UTF-8)"))
        return _Sheet([], [])
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        problems.add(None, "", tr(f"不是可读取的 CSV 文件（{exc}）", f"is not a readable CSV file ({exc})"))
        return _Sheet([], [])
    if not records:
        return _Sheet([], [])
    return _Sheet(records[0], list(enumerate(records[1:], start=2)))


def _read_excel(path: Path, problems: _Problems) -> _Sheet:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        problems.add(None, "", tr(f"无法作为 Excel 工作簿打开（{type(exc).__name__}: {exc}）",
                                  f"cannot open it as an Excel workbook ({type(exc).__name__}: {exc})"))
        return _Sheet([], [])
    try:
        sheets = [ws for ws in workbook.worksheets if ws.title != GUIDE_SHEET] or workbook.worksheets
        sheet = sheets[0]
        # Some writers record a wrong used range; read_only mode would trust it and cut rows off.
        sheet.reset_dimensions()
        rows = list(enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
    finally:
        workbook.close()
    if not rows:
        return _Sheet([], [])
    return _Sheet(list(rows[0][1]), rows[1:])


# --- headers and rows ----------------------------------------------------------------------

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
class _Layout:
    columns: list[tuple[int, Column]]  # cell index → column
    unnamed: list[int]  # cells with a blank header (allowed while they stay empty)

    @property
    def present(self) -> set[str]:
        return {c.key for _, c in self.columns}


def _layout(kind: Kind, header: Sequence[Any], problems: _Problems) -> _Layout:
    if not any(not _is_blank(h) for h in header):
        problems.add(1, "", tr("文件没有表头行；请用 `bastion import template` 生成导入模板",
                               "the file has no header row; write the templates with `bastion import template`"))
        problems.raise_if_any()
    layout = _Layout([], [])
    seen: dict[str, str] = {}
    for index, raw in enumerate(header):
        if _is_blank(raw):
            layout.unnamed.append(index)
            continue
        text = parse_text(raw)
        column = match_header(kind, text)
        if column is None:
            columns = ", ".join(c.header for c in kind.columns)
            problems.add(1, text, tr(f"{kind.title}导入不认识列 {text!r}；可用的列：{columns}",
                                     f"unknown column {text!r} for a {kind.name} import; the columns are: {columns}"))
        elif column.key in seen:
            problems.add(1, column.key, tr(f"列 {text!r} 与列 {seen[column.key]!r} 重复",
                                           f"column {text!r} repeats column {seen[column.key]!r}"))
        else:
            seen[column.key] = text
            layout.columns.append((index, column))
    missing = [c for c in kind.columns if c.required and c.key not in seen]
    if missing:
        headers = ", ".join(c.header for c in missing)
        problems.add(1, [c.key for c in missing], tr(f"缺少必填列：{headers}", f"required column(s) missing: {headers}"),
                     field="、".join(c.name for c in missing))
    problems.raise_if_any()
    return layout


class _Record(dict):
    """A parsed data row: values by column key (None when blank, bad or not in the file).

    ``bad`` holds the keys that failed a check, so that later checks skip what is already reported.
    A dict subclass because 100k rows × a dozen look-ups each must stay cheap.
    """

    __slots__ = ("row", "bad")

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
    """``column.value`` returning :class:`_Bad` instead of raising, memoised: dates, kinds, levels repeat a lot."""
    if column.parse is parse_text:  # free text: nothing to memoise
        def text(raw: Any) -> Any:
            try:
                return column.value(raw)
            except ValueError as exc:
                return _Bad(str(exc))
        return parse_text if column.max_length is None else text
    cache: dict[Any, Any] = {}

    def parse(raw: Any) -> Any:
        key = raw if raw.__class__ is str else (raw.__class__, raw)  # True == 1, but not as a cell
        try:
            return cache[key]
        except KeyError:
            pass
        try:
            value = column.value(raw)
        except ValueError as exc:
            value = _Bad(str(exc))
        if len(cache) < 50_000:
            cache[key] = value
        return value
    return parse


def _records(sheet: _Sheet, layout: _Layout, problems: _Problems) -> list[_Record]:
    parsers = [(index, column.key, column.required, _cell_parser(column)) for index, column in layout.columns]
    records = []
    for row, cells in sheet.rows:
        if not any(cells) or all(_is_blank(v) for v in cells):
            continue
        record = _Record(row)
        width = len(cells)
        for index, key, required, parse in parsers:
            raw = cells[index] if index < width else None
            if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
                record[key] = None
                if required:
                    record.bad.add(key)
                    problems.add(row, key, tr("必填", "is required"))
                continue
            value = parse(raw)
            if value.__class__ is _Bad:
                record[key] = None
                record.bad.add(key)
                problems.add(row, key, value.reason)
            else:
                record[key] = value
        for index in layout.unnamed:
            if index < width and not _is_blank(cells[index]):
                letter = get_column_letter(index + 1)
                problems.add(row, f"column {letter}", tr("有内容但没有表头", "has a value but no header"),
                             field=tr(f"第 {letter} 列", f"column {letter}"))
        records.append(record)
    return records


# --- the entry point -----------------------------------------------------------------------


@dataclass
class _Context:
    session: Session
    tenant: Tenant
    file: str
    actor: str
    registry: Registry
    problems: _Problems
    present: set[str]


def import_file(engine: Engine, *, tenant: Tenant, kind: str, path: Path, registry: Registry,
                actor: str) -> ImportReport:
    """Import one file of ``kind`` for ``tenant``: all of it, or nothing (:class:`ImportRejected`)."""
    spec = kind_spec(kind)
    path = Path(path)
    problems = _Problems(path.name, spec)
    sheet = _read(path, problems)
    layout = _layout(spec, sheet.header, problems)
    records = _records(sheet, layout, problems)
    with transaction(engine) as session:
        context = _Context(session, tenant, path.name, actor, registry, problems, layout.present)
        report = _IMPORTERS[kind](context, records)
        audit.record(session, tenant_id=tenant.id, actor=actor, action="import", entity=kind,
                     new={"file": path.name, "kind": kind, "rows": len(records), "inserted": report.inserted,
                          "updated": report.updated, "skipped": report.skipped,
                          "checks_created": report.checks_created},
                     note=f"{kind} import from {path.name}")
    return report


def _org_ids(session: Session, tenant_id: int) -> dict[str, int]:
    o = Organization.__table__.c
    return dict(session.execute(select(o.code, o.id).where(o.tenant_id == tenant_id)).all())


def _resolve_orgs(context: _Context, records: list[_Record]) -> dict[str, int]:
    """Org code as the file spells it → id (codes match by :func:`org_code_key`: ``zb01`` is ``ZB01``); a row
    naming an unknown organisation is an error."""
    by_key = {org_code_key(code): org_id for code, org_id in _org_ids(context.session, context.tenant.id).items()}
    org_ids: dict[str, int] = {}
    for record in records:
        code = record["org_code"]
        if code is None:
            continue
        if org_code_key(code) in by_key:
            org_ids[code] = by_key[org_code_key(code)]
        else:
            record.bad.add("org_code")
            context.problems.add(record.row, "org_code", tr(
                f"单位 {context.tenant.code} 没有组织编码 {code!r}；请先用组织机构文件导入该组织",
                f"no organisation {code!r} in tenant {context.tenant.code}; import it with the organizations "
                f"file first"))
    return org_ids


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), rows)


DUPLICATE = "(duplicate)"  # marks a record that repeats an earlier row of the file


def _date_range(records: Iterable[_Record]) -> tuple[date, date] | None:
    dates = [r["date"] for r in records if r["date"] is not None]
    return (min(dates), max(dates)) if dates else None


def _flag_duplicates(context: _Context, keyed: list[tuple[_Record, tuple]], fields: Sequence[str]) -> None:
    """Rows with the same key inside one file are errors (a copy-paste slip, or a missing distinction)."""
    first: dict[tuple, int] = {}
    for record, key in keyed:
        if key in first:
            record.bad.add(DUPLICATE)
            names = [context.problems.kind.field_name(f) for f in fields]
            context.problems.add(record.row, fields, tr(f"与本文件第 {first[key]} 行重复（{'、'.join(names)}相同）",
                                                        f"duplicates row {first[key]} of this file "
                                                        f"(same {', '.join(fields)})"))
        else:
            first[key] = record.row


# --- organisations -------------------------------------------------------------------------

ORG_FIELDS = ("name", "level", "category", "secretary", "secretary_term_start", "secretary_term_end",
              "first_secretary", "member_count", "staff_count", "party_staff_count")
_ORG_BLANK = {"category": "", "member_count": 0, "staff_count": 0, "party_staff_count": 0}

def _spell_codes_as_stored(stored: Mapping[str, Any], records: list[_Record]) -> None:
    """Codes match by :func:`org_code_key`: a file's ``zb01`` updates the stored ``ZB01`` (and a code new to
    the tenant is spelled as the file first spells it), so no two organisations differ only in case."""
    spelled = {org_code_key(code): code for code in stored}
    for record in records:
        if record["code"] is not None:
            record["code"] = spelled.setdefault(org_code_key(record["code"]), record["code"])
    for record in records:
        if record["parent_code"] is not None:
            record["parent_code"] = spelled.get(org_code_key(record["parent_code"]), record["parent_code"])


def _import_organizations(context: _Context, records: list[_Record]) -> ImportReport:
    session, problems = context.session, context.problems
    o = Organization.__table__.c
    stored = {row.code: row for row in session.execute(
        select(Organization.__table__).where(o.tenant_id == context.tenant.id)).all()}
    code_of = {row.id: code for code, row in stored.items()}
    _spell_codes_as_stored(stored, records)
    ok = [r for r in records if r.ok("code")]
    _flag_duplicates(context, [(r, (r["code"],)) for r in ok], ("code",))
    in_file = {r["code"]: r for r in ok if r.ok(DUPLICATE)}

    has_parent_column = "parent_code" in context.present
    parent_of: dict[str, str | None] = {code: code_of.get(row.parent_id) for code, row in stored.items()}
    level_of: dict[str, str | None] = {code: row.level for code, row in stored.items()}
    for code, record in in_file.items():
        if has_parent_column or code not in stored:
            parent_of[code] = record["parent_code"]
        level_of[code] = record["level"] if record.ok("level") else None

    _check_parents(context, in_file, parent_of, level_of)
    _check_children(context, in_file, stored, code_of, level_of)
    problems.raise_if_any()
    return _write_organizations(context, in_file, stored, code_of, parent_of)


def _check_parents(context: _Context, in_file: dict[str, _Record], parent_of: dict[str, str | None],
                   level_of: dict[str, str | None]) -> None:
    loops = looping(parent_of)
    for code, record in in_file.items():
        parent = parent_of.get(code)
        if not record.ok("parent_code"):
            continue
        if parent is not None and parent not in parent_of:
            context.problems.add(record.row, "parent_code", tr(
                f"本文件和单位 {context.tenant.code} 中都没有组织编码 {parent!r}",
                f"no organisation {parent!r} in this file or in tenant {context.tenant.code}"))
            continue
        if code in loops:
            links = chain(code, parent_of)
            context.problems.add(record.row, "parent_code", tr(f"上级关系形成循环：{links}",
                                                               f"the parent chain loops back: {links}"))
            continue
        level, parent_level = level_of.get(code), None if parent is None else level_of.get(parent)
        if level is None or (parent is not None and parent_level is None):
            continue
        if parent_level not in PARENT_LEVELS[level]:
            context.problems.add(record.row, "level", level_reason(level, parent, parent_level))


def _check_children(context: _Context, in_file: dict[str, _Record], stored: dict[str, Any], code_of: dict[int, str],
                    level_of: dict[str, str | None]) -> None:
    """A level changed in the file must still suit the stored organisations under it that the file leaves alone."""
    for code, row in stored.items():
        parent = code_of.get(row.parent_id)
        if code in in_file or parent not in in_file or level_of.get(parent) is None:
            continue
        if row.level in PARENT_LEVELS and level_of[parent] not in PARENT_LEVELS[row.level]:
            context.problems.add(in_file[parent].row, "level", tr(
                f"系统中已有的{LEVEL_NAMES[row.level]} {code!r} 隶属于 {parent!r}，不能隶属于{LEVEL_NAMES[level_of[parent]]}",
                f"stored organisation {code!r}, a {LEVEL_NAMES[row.level]} ({row.level}), is under "
                f"{parent!r} and cannot be under a {LEVEL_NAMES[level_of[parent]]}"))


def _org_values(record: _Record, present: set[str]) -> dict[str, Any]:
    """The fields the file sets: a column left out of the file leaves the stored value alone."""
    return {name: (record[name] if record[name] is not None else _ORG_BLANK.get(name))
            for name in ORG_FIELDS if name in present}


def _write_organizations(context: _Context, in_file: dict[str, _Record], stored: dict[str, Any],
                         code_of: dict[int, str], parent_of: dict[str, str | None]) -> ImportReport:
    session, table = context.session, Organization.__table__
    new_rows = []
    for code, record in in_file.items():
        if code not in stored:
            values = {name: _ORG_BLANK.get(name) for name in ORG_FIELDS} | _org_values(record, context.present)
            new_rows.append({"tenant_id": context.tenant.id, "code": code, "parent_id": None, "active": True, **values})
    _insert(session, table, new_rows)
    ids = _org_ids(session, context.tenant.id)
    new_code_of = {org_id: code for code, org_id in ids.items()}

    # Parents are linked after the insert, so that a file may list children before their parents.
    fields = [f for f in ORG_FIELDS if f in context.present] + ["parent_id"]
    changes, updated, skipped = [], 0, 0
    for code, record in in_file.items():
        parent = parent_of.get(code)
        new = _org_values(record, context.present) | {"parent_id": None if parent is None else ids[parent]}
        if code not in stored:
            if parent is not None:
                changes.append({"b_id": ids[code], **{f"b_{k}": v for k, v in new.items()}})
            continue
        row = stored[code]
        old = {name: getattr(row, name) for name in new}
        changed = [name for name in new if not _same(old[name], new[name])]
        if not changed:
            skipped += 1
            continue
        updated += 1
        changes.append({"b_id": row.id, **{f"b_{k}": v for k, v in new.items()}})
        audit.record(session, tenant_id=context.tenant.id, actor=context.actor, action="update",
                     entity="organization", entity_id=row.id,
                     old=_audit_values({n: old[n] for n in changed}, code_of),
                     new=_audit_values({n: new[n] for n in changed}, new_code_of),
                     note=f"organizations import from {context.file} (code {code})")
    if changes:
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values({name: bindparam(f"b_{name}") for name in fields}))
        session.execute(statement, changes)
    return ImportReport("organizations", context.file, inserted=len(new_rows), updated=updated, skipped=skipped)


def _same(old: Any, new: Any) -> bool:
    """Equal for an update: an empty text and no text are the same."""
    return old == new or (old in (None, "") and new in (None, ""))


def _audit_values(values: dict[str, Any], code_of: Mapping[int, str]) -> dict[str, Any]:
    """JSON-able audit values; the parent is recorded by code, which a reader understands."""
    out = {}
    for name, value in values.items():
        if name == "parent_id":
            out["parent_code"] = None if value is None else code_of.get(value)
        else:
            out[name] = value.isoformat() if isinstance(value, date) else value
    return out


# --- facts: what makes two rows the same fact (re-imports skip them) -----------------------

LEDGER_KEY = ("org_code", "type", "date", "title", "quantity")
FINDING_KEY = ("org_code", "date", "indicator_code", "description")
RATING_KEY = ("org_code", "source", "rater", "indicator_code", "date")


# --- ledgers -------------------------------------------------------------------------------


def _ledger_type_lookup(context: _Context) -> tuple[dict[str, Any], str]:
    """Alias (code, Chinese name, English name; case-insensitive) → LedgerType, and a hint listing them."""
    types = context.registry.ledger_types(enabled_plugins(context.session, context.tenant.id))
    table: dict[str, Any] = {}
    names: dict[str, list[Any]] = {}
    for contribution in types.values():
        item = contribution.item
        for name in (item.name, item.name_en):
            if name:
                names.setdefault(name.casefold(), []).append(item)
    table.update({name: items[0] for name, items in names.items() if len(items) == 1})
    table.update({code.casefold(): c.item for code, c in types.items()})  # codes win over names
    hint = ", ".join(f"{code} ({c.item.name})" for code, c in sorted(types.items()))
    return table, hint


def _import_ledger(context: _Context, records: list[_Record]) -> ImportReport:
    org_ids = _resolve_orgs(context, records)
    types, hint = _ledger_type_lookup(context)
    keyed = []
    for record in records:
        if record["type"] is not None:
            ledger_type = types.get(record["type"].casefold())
            if ledger_type is None:
                record.bad.add("type")
                context.problems.add(record.row, "type", tr(
                    f"{record['type']!r} 不是单位 {context.tenant.code} 已启用的台账类型；可用：{hint or '尚未启用任何台账类型'}",
                    f"{record['type']!r} is not a ledger type enabled for tenant {context.tenant.code}; "
                    f"use one of: {hint or 'none are enabled'}"))
            else:
                record["type"] = ledger_type.code
                if ledger_type.quantity_required and record["quantity"] is None and record.ok("quantity"):
                    record.bad.add("quantity")
                    context.problems.add(record.row, "quantity", tr(
                        f"{ledger_type.name}（{ledger_type.code}）必须填写数量，单位：{ledger_type.unit}",
                        f"is required for {ledger_type.code} ({ledger_type.name}), in {ledger_type.unit}"))
        if record.ok("org_code", "type", "date", "quantity"):
            keyed.append((record, (org_ids[record["org_code"]], record["type"], record["date"], record["title"] or "",
                                   record["quantity"])))
    _flag_duplicates(context, keyed, LEDGER_KEY)
    context.problems.raise_if_any()

    stored = _stored_keys(context, LedgerEntry, ("org_id", "type", "date", "title", "quantity"), records)
    new = [(record, key) for record, key in keyed if key not in stored]
    now = utcnow()
    rows = [{"tenant_id": context.tenant.id, "org_id": key[0], "type": key[1], "date": key[2], "quantity": key[4],
             "title": key[3], "note": record["note"] or "", "recorded_by": context.actor, "recorded_at": now,
             "source": context.file[:300]} for record, key in new]
    _insert(context.session, LedgerEntry.__table__, rows)
    return ImportReport("ledger", context.file, inserted=len(rows), skipped=len(keyed) - len(rows))


def _stored_keys(context: _Context, model: Any, columns: Sequence[str], records: list[_Record]) -> set[tuple]:
    """Keys of the tenant's stored facts dated within the file's range: one query, compared in Python."""
    span = _date_range(records)
    if span is None:
        return set()
    c = model.__table__.c
    query = (select(*(c[name] for name in columns))
             .where(c.tenant_id == context.tenant.id, c.date >= span[0], c.date <= span[1]))
    return {tuple(row) for row in context.session.execute(query)}


# --- indicator codes (findings, ratings) ---------------------------------------------------


def _check_indicators(context: _Context, records: list[_Record]) -> dict[int, int]:
    """Indicator codes must be in the scheme of the cycle of the row's year; returns year → cycle id."""
    c, i = Cycle.__table__.c, Indicator.__table__.c
    cycles = {year: (cycle_id, scheme) for cycle_id, year, scheme in context.session.execute(
        select(c.id, c.year, c.scheme_id).where(c.tenant_id == context.tenant.id))}
    codes: dict[int, set[str]] = {}
    if cycles:
        for cycle_id, code in context.session.execute(
                select(i.cycle_id, i.code).where(i.cycle_id.in_([v[0] for v in cycles.values()]))):
            codes.setdefault(cycle_id, set()).add(code)
    for record in records:
        code = record["indicator_code"]
        if code is None or record["date"] is None:
            continue
        year = record["date"].year
        if year not in cycles:
            record.bad.add("indicator_code")
            context.problems.add(record.row, "indicator_code", tr(
                f"单位 {context.tenant.code} 没有 {year} 考核年度，无法核对指标 {code!r}；请先开启 {year} 考核年度，"
                "或将指标编码留空",
                f"tenant {context.tenant.code} has no assessment cycle for {year}, so indicator {code!r} cannot be "
                f"checked; open the {year} cycle first or leave the indicator code empty"))
        elif code not in codes.get(cycles[year][0], set()):
            record.bad.add("indicator_code")
            context.problems.add(record.row, "indicator_code", tr(
                f"{code!r} 不是 {year} 考核年度（方案 {cycles[year][1]}）的指标",
                f"{code!r} is not an indicator of the {year} cycle (scheme {cycles[year][1]})"))
    return {year: cycle_id for year, (cycle_id, _) in cycles.items()}


# --- findings ------------------------------------------------------------------------------


def _import_findings(context: _Context, records: list[_Record]) -> ImportReport:
    org_ids = _resolve_orgs(context, records)
    cycle_of_year = _check_indicators(context, records)
    keyed = [(r, (org_ids[r["org_code"]], r["date"], r["indicator_code"], r["description"]))
             for r in records if r.ok("org_code", "date", "indicator_code", "description")]
    _flag_duplicates(context, keyed, FINDING_KEY)
    context.problems.raise_if_any()

    stored = _stored_keys(context, Finding, ("org_id", "date", "indicator_code", "description"), records)
    new = [(record, key) for record, key in keyed if key not in stored]
    check_ids, created = _checks_for(context, [record for record, _ in new], org_ids, cycle_of_year)
    rows = [{"tenant_id": context.tenant.id, "check_id": check_ids[_check_key(record, org_ids)], "org_id": key[0],
             "date": key[1], "indicator_code": key[2], "deduction": record["deduction"] or 0.0,
             "description": key[3]} for record, key in new]
    _insert(context.session, Finding.__table__, rows)
    return ImportReport("findings", context.file, inserted=len(rows), skipped=len(keyed) - len(new),
                        checks_created=created)


def _check_key(record: _Record, org_ids: Mapping[str, int]) -> tuple:
    return org_ids[record["org_code"]], record["date"], record["check_kind"], record["inspector"] or ""


def _checks_for(context: _Context, records: list[_Record], org_ids: Mapping[str, int],
                cycle_of_year: Mapping[int, int]) -> tuple[dict[tuple, int], int]:
    """One check per (organisation, date, kind, inspector): a stored one is reused, the others are created."""
    table = Check.__table__
    wanted = {_check_key(record, org_ids) for record in records}
    found = _stored_checks(context, records)
    missing = sorted(wanted - found.keys(), key=lambda k: (k[1], k[0], k[2], k[3]))
    _insert(context.session, table, [
        {"tenant_id": context.tenant.id, "cycle_id": cycle_of_year.get(day.year), "org_id": org_id, "kind": kind,
         "date": day, "inspector": inspector, "status": "done", "note": f"导入自 {context.file}"}
        for org_id, day, kind, inspector in missing])
    if missing:
        found = _stored_checks(context, records)
    return found, len(missing)


def _stored_checks(context: _Context, records: list[_Record]) -> dict[tuple, int]:
    span = _date_range(records)
    if span is None:
        return {}
    c = Check.__table__.c
    query = (select(c.org_id, c.date, c.kind, c.inspector, c.id)
             .where(c.tenant_id == context.tenant.id, c.date >= span[0], c.date <= span[1]).order_by(c.id))
    found: dict[tuple, int] = {}
    for org_id, day, kind, inspector, check_id in context.session.execute(query):
        found.setdefault((org_id, day, kind, inspector), check_id)
    return found


# --- ratings -------------------------------------------------------------------------------


def _import_ratings(context: _Context, records: list[_Record]) -> ImportReport:
    org_ids = _resolve_orgs(context, records)
    _check_indicators(context, records)
    for record in records:
        if record["score"] is None and record["level"] is None and record.ok("score", "level"):
            record.bad.add("score")
            levels = "/".join(RATING_LEVELS)
            context.problems.add(record.row, "score", tr(f"请填写分数（0–100）或等次（{levels}），或两者都填",
                                                         f"give a score (0–100) or a level ({levels}), or both"))
    keyed = [(r, (org_ids[r["org_code"]], r["source"], r["rater"] or "", r["indicator_code"], r["date"]))
             for r in records if r.ok("org_code", "source", "indicator_code", "date", "score", "level")]
    _flag_duplicates(context, keyed, RATING_KEY)
    context.problems.raise_if_any()

    stored = _stored_keys(context, Rating, ("org_id", "source", "rater", "indicator_code", "date"), records)
    rows = [{"tenant_id": context.tenant.id, "org_id": key[0], "source": key[1], "rater": key[2],
             "indicator_code": key[3], "score": record["score"], "level": record["level"], "date": key[4],
             "note": record["note"] or ""} for record, key in keyed if key not in stored]
    _insert(context.session, Rating.__table__, rows)
    return ImportReport("ratings", context.file, inserted=len(rows), skipped=len(keyed) - len(rows))


_IMPORTERS: dict[str, Callable[[_Context, list[_Record]], ImportReport]] = {
    "organizations": _import_organizations,
    "ledger": _import_ledger,
    "findings": _import_findings,
    "ratings": _import_ratings,
}


# --- templates -----------------------------------------------------------------------------

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
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([c.header for c in spec.columns])
        writer.writerow([_example_text(c.example) for c in spec.columns])


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="C00000")
_TEXT_COLUMNS = {"code", "parent_code", "org_code", "indicator_code"}  # keep 001 as 001, not the number 1


def _write_excel_template(spec: Kind, path: Path, registry: Registry | None) -> None:
    workbook = Workbook()
    data = workbook.active
    data.title = spec.title
    data.append([c.header for c in spec.columns])
    data.append([c.example for c in spec.columns])
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
    sheet.append(["列标题", "字段", "中文名", "必填", "说明与允许值"])
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for column in spec.columns:
        allowed = column.allowed
        if column.key == "type" and spec.name == "ledger" and registry is not None:
            allowed += "。已安装的台账类型：" + "；".join(
                f"{c.item.code} {c.item.name}" + (f"（数量必填，单位：{c.item.unit}）" if c.item.quantity_required else "")
                for c in sorted(registry.ledger_types().values(), key=lambda c: c.item.code))
        sheet.append([column.header, column.key, column.label, "是" if column.required else "否", allowed])
    sheet.append([])
    for note in (*GENERAL_NOTES, *spec.notes):
        sheet.append([note])
    for letter, width in zip("ABCDE", (24, 22, 14, 6, 90)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, max_col=5):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
