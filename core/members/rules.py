"""What a member's record must be (党员名册): the one rule every entry point — the register's import, the
administrators' form, the CLI — checks a member against.

- the number (党员编号) and the name are given; the name, post and phone are free text within their lengths;
- the organisation is a branch (党支部) or a party group (党小组) of the tenant, in use;
- the status is 正式党员 or 预备党员; the gender, if given, 男 or 女;
- the birth date and the day of joining are not in the future, and a member joined at eighteen or older
  (党章第一条: 年满十八岁);
- a phone number is a mobile number (11 digits from 1, ``+86`` allowed) or a landline (area code and number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..errors import Problem
from ..i18n import tr
from ..models import Gender, MemberStatus, OrgLevel
from ..values import text_problem
from ..words import LEVEL, word

#: A field's key as the import template names it, and its name in Chinese and English.
FIELDS: dict[str, tuple[str, str]] = {
    "code": ("党员编号", "member number"), "name": ("姓名", "name"), "org_code": ("组织编码", "organisation"),
    "gender": ("性别", "gender"), "birth_date": ("出生日期", "birth date"), "joined_on": ("入党日期", "joined on"),
    "status": ("党员类别", "status"), "post": ("岗位", "post"), "phone": ("联系电话", "phone"),
    "moved_on": ("转接日期", "transferred on"), "note": ("说明", "note"),
}
LENGTHS = {"code": 64, "name": 100, "post": 100, "phone": 32, "note": 300}
MEMBER_LEVELS = (OrgLevel.branch.value, OrgLevel.group.value)
ADULT_AGE = 18

_MOBILE = re.compile(r"(?:\+?86[- ]?)?1\d{10}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")


def _problem(key: str, zh: str, en: str) -> Problem:
    return Problem(key, tr(*FIELDS[key]), tr(zh, en))


@dataclass(frozen=True)
class Facts:
    """A member's record as given (parsed, not yet checked): what :func:`member_problems` checks."""

    code: str | None
    name: str | None
    org_level: str | None  # the level of the organisation named; None: none named
    org_active: bool = True
    status: str | None = MemberStatus.full.value
    gender: str | None = None
    birth_date: date | None = None
    joined_on: date | None = None
    post: str | None = None
    phone: str | None = None


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is no phone number, or None."""
    if _MOBILE.fullmatch(phone.replace(" ", "")) or _LANDLINE.fullmatch(phone.replace(" ", "")):
        return None
    return tr(f"{phone!r} 不是手机号码（11 位，以 1 开头）或固定电话（区号-号码）",
              f"{phone!r} is neither a mobile number (11 digits from 1) nor a landline (area code-number)")


def years_between(earlier: date, later: date) -> int:
    """Whole years from ``earlier`` to ``later`` (an age on a day)."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def member_problems(facts: Facts, *, today: date) -> list[Problem]:
    """Everything wrong with a member's record, field by field (the importer lists them all; a form raises the
    first: ``errors.refuse``)."""
    found: list[Problem] = []
    for key in ("code", "name"):
        if not (getattr(facts, key) or "").strip():
            found.append(_problem(key, "必填", "is required"))
    for key in ("code", "name", "post", "phone"):
        value = getattr(facts, key)
        if value and len(value) > LENGTHS[key]:
            found.append(_problem(key, f"长 {len(value)} 个字符，最多允许 {LENGTHS[key]} 个",
                                  f"is {len(value)} characters long; at most {LENGTHS[key]} are allowed"))
        elif value and (reason := text_problem(value)) is not None:
            found.append(Problem(key, tr(*FIELDS[key]), reason))
    if facts.org_level is None:
        found.append(_problem("org_code", "必填", "is required"))
    elif facts.org_level not in MEMBER_LEVELS:
        found.append(_problem("org_code", f"党员须编入党支部或党小组，不能编入{word(LEVEL, facts.org_level)}",
                              f"a member belongs to a branch or a party group, not a {facts.org_level}"))
    elif not facts.org_active:
        found.append(_problem("org_code", "该组织已停用（已合并、分设或撤销）", "the organisation is no longer in use"))
    if facts.status not in {s.value for s in MemberStatus}:
        found.append(_problem("status", "须为 正式党员 或 预备党员", "must be full or probationary"))
    if facts.gender is not None and facts.gender not in {g.value for g in Gender}:
        found.append(_problem("gender", "须为 男 或 女", "must be male or female"))
    for key in ("birth_date", "joined_on"):
        day = getattr(facts, key)
        if day is not None and day > today:
            found.append(_problem(key, f"{day.isoformat()} 晚于今天", f"{day.isoformat()} is after today"))
    if facts.birth_date is not None and facts.joined_on is not None \
            and years_between(facts.birth_date, facts.joined_on) < ADULT_AGE:
        found.append(_problem("joined_on", f"入党时须年满 {ADULT_AGE} 岁：出生于 {facts.birth_date.isoformat()}，"
                                           f"入党于 {facts.joined_on.isoformat()}",
                              f"a member joins at {ADULT_AGE} or older: born {facts.birth_date.isoformat()}, "
                              f"joined {facts.joined_on.isoformat()}"))
    if facts.phone and (reason := phone_problem(facts.phone)) is not None:
        found.append(Problem("phone", tr(*FIELDS["phone"]), reason))
    return found


def transfer_day_problems(day: date | None, *, last: date | None, today: date) -> list[Problem]:
    """A transfer's (or a leaving's) day: given, not in the future, not before the member's last move (``last``)."""
    if day is None:
        return [_problem("moved_on", "转到另一组织须填写转接日期", "a transfer needs its day")]
    if day > today:
        return [_problem("moved_on", f"{day.isoformat()} 晚于今天", f"{day.isoformat()} is after today")]
    if last is not None and day < last:
        return [_problem("moved_on", f"{day.isoformat()} 早于该党员上一次转接（{last.isoformat()}）",
                         f"{day.isoformat()} is before the member's last move ({last.isoformat()})")]
    return []


def left_problems(code: str, left_on: date | None) -> list[Problem]:
    """A member who left the register (``left_on``) changes no more."""
    if left_on is None:
        return []
    return [Problem("code", tr(*FIELDS["code"]), tr(f"党员 {code} 已于 {left_on} 离开名册：不能再修改",
                                                    f"member {code} left the register on {left_on}"), conflict=True)]
