"""Cell parsers: a raw cell value (never blank) → a Python value, or ``ValueError(reason)`` in the user's language.

Excel gives numbers, dates and text as the user typed or formatted them; these undo its habits (``12``
typed in a code column arrives as ``12.0``) and accept the ways people write dates and names in Chinese.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel

from .. import words
from ..exports import unquoted
from ..i18n import tr
from ..models import (
    CheckKind,
    Gender,
    MemberStatus,
    OrgLevel,
    RatingSource,
    RestructuringKind,
)
from ..tree import LEVEL_NAMES
from ..values import number_problem


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str:
    """Text as the user typed it; Excel turns a typed ``12`` into the number 12.0, undo that."""
    if value.__class__ is str:
        return unquoted(value.strip())
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


def _number(value: Any) -> float:
    """A cell as a float; NaN and infinity refused (:func:`bastion.core.values.number_problem`)."""
    if isinstance(value, bool):
        raise ValueError(tr(f"{value!r} 不是数字", f"{value!r} is not a number"))
    try:
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = str(value).strip().replace(",", "").replace("，", "")
            try:
                number = float(text)
            except ValueError:
                raise ValueError(tr(f"{text!r} 不是数字", f"{text!r} is not a number")) from None
    except OverflowError:  # an integer beyond any float (a crafted workbook)
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(number_problem(number, shown=parse_text(value)[:40]))
    return number


def parse_number(value: Any) -> float:
    """A number, finite and within range (:func:`bastion.core.values.number_problem`)."""
    number = _number(value)
    problem = number_problem(number, shown=parse_text(value)[:40])
    if problem is not None:
        raise ValueError(problem)
    return number


def parse_count(value: Any) -> int:
    """A head count: a whole number ≥ 0 that its INTEGER column holds (:data:`bastion.core.values.MAX_INT`)."""
    number = _number(value)
    if not number.is_integer() or number < 0:
        raise ValueError(tr(f"{parse_text(value)!r} 不是 ≥ 0 的整数", f"{parse_text(value)!r} is not a whole number ≥ 0"))
    problem = number_problem(number, whole=True, shown=parse_text(value)[:40])
    if problem is not None:
        raise ValueError(problem)
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


def pairs(names: Mapping[Any, str]) -> str:
    return ", ".join(f"{key.value} ({name})" for key, name in names.items())


def chinese_first(names: Mapping[Any, str]) -> str:
    return "；".join(f"{name} {key.value}" for key, name in names.items())


parse_level = _choice(LEVEL_ALIASES, ("层级", "level"), (chinese_first(LEVEL_NAMES), pairs(LEVEL_NAMES)))
parse_check_kind = _choice(CHECK_KIND_ALIASES, ("检查方式", "check kind"),
                           (chinese_first(CHECK_KIND_NAMES), pairs(CHECK_KIND_NAMES)))
parse_source = _choice(SOURCE_ALIASES, ("测评来源", "rating source"), (chinese_first(SOURCE_NAMES), pairs(SOURCE_NAMES)))
parse_rating_level = _choice({level: level for level in RATING_LEVELS}, ("等次", "rating level"),
                             ("/".join(RATING_LEVELS),) * 2)

RESTRUCTURING_ALIASES = {
    **{kind.value: kind.value for kind in RestructuringKind},
    "合并": RestructuringKind.merge, "分设": RestructuringKind.split, "拆分": RestructuringKind.split,
    "调整隶属": RestructuringKind.move, "调整隶属关系": RestructuringKind.move, "划转": RestructuringKind.move,
    "更名": RestructuringKind.rename, "改名": RestructuringKind.rename, "撤销": RestructuringKind.dissolve,
}
RESTRUCTURING_NAMES = {RestructuringKind(code): zh for code, (zh, _) in words.RESTRUCTURING.items()}
parse_restructuring_kind = _choice(RESTRUCTURING_ALIASES, ("调整类型", "restructuring kind"),
                                   (chinese_first(RESTRUCTURING_NAMES), pairs(RESTRUCTURING_NAMES)))

MEMBER_STATUS_ALIASES = {
    **{status.value: status.value for status in MemberStatus},
    "正式党员": MemberStatus.full, "正式": MemberStatus.full, "预备党员": MemberStatus.probationary,
    "预备": MemberStatus.probationary,
}
MEMBER_STATUS_NAMES = {MemberStatus(code): zh for code, (zh, _) in words.MEMBER_STATUS.items()}
parse_member_status = _choice(MEMBER_STATUS_ALIASES, ("党员类别", "member status"),
                              (chinese_first(MEMBER_STATUS_NAMES), pairs(MEMBER_STATUS_NAMES)))
GENDER_ALIASES = {**{g.value: g.value for g in Gender}, "男": Gender.male, "女": Gender.female,
                  "m": Gender.male, "f": Gender.female}
GENDER_NAMES = {Gender(code): zh for code, (zh, _) in words.GENDER.items()}
parse_gender = _choice(GENDER_ALIASES, ("性别", "gender"), (chinese_first(GENDER_NAMES), pairs(GENDER_NAMES)))

_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def parse_codes(value: Any) -> tuple[str, ...]:
    """Organisation codes in one cell, separated by 、 , ; or blanks (``ZB01、ZB02``)."""
    codes = tuple(code for code in _CODE_SEPARATORS.split(parse_text(value)) if code)
    if not codes:
        raise ValueError(tr("没有组织编码", "no organisation code"))
    return codes


YES = {"是", "y", "yes", "true", "1", "√", "承继"}
NO = {"否", "n", "no", "false", "0", ""}


def parse_yes(value: Any) -> bool:
    """是 / 否 (yes / no, true / false, 1 / 0)."""
    text = parse_text(value).casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(tr(f"{text!r} 应为“是”或“否”", f"{text!r} should be yes or no"))
