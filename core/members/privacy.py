"""Who sees a member's personal data (个人信息), and how it is masked: the one rule.

The register is read only by those who may view members (``Action.view_members``: administrators and
secretaries, each on the organisations granted to them and those under them); leaders, inspectors and
raters see head counts, never the register. Of a member's record, the birth date and the phone are
personal data:

- an **administrator** of the member's organisation keeps the register: they see both in full, on screen and
  in an export;
- a **secretary** sees, on screen, the phone in full (to reach the branch's members) and the birth date as its
  year; in an export — a file that leaves the system, which the branch's work does not need them in — the
  phone masked (``138****5678``) and the year;
- the **audit trail** records a change of either masked, whoever made it: an auditor reads who changed what
  and when, not the data.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pandas as pd

PERSONAL = ("birth_date", "phone")


class View(StrEnum):
    full = "full"  # an administrator of the member's organisation
    contact = "contact"  # a secretary, on screen: the phone, the birth year
    masked = "masked"  # a secretary's export, and the audit trail: the phone masked, the birth year


def view_for(*, administers: bool, export: bool) -> View:
    """How a member's personal data is shown to a reader who administers the member's organisation or not (then
    a secretary of it), on screen or in an export."""
    if administers:
        return View.full
    return View.masked if export else View.contact


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: the first three and the last four digits; a short number all masked."""
    if not phone:
        return phone
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 8:
        return "*" * len(phone)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))


def mask_email(email: str | None) -> str | None:
    """``wang.fang@example.cn`` → ``w***@example.cn``: the first character of the name and the domain."""
    if not email or "@" not in email:
        return email and "*" * len(email)
    name, domain = email.rsplit("@", 1)
    return f"{name[:1]}***@{domain}"


def birth_year(day: date | None) -> str | None:
    """The birth date as its year (``1986``)."""
    return None if day is None or pd.isna(day) else f"{pd.Timestamp(day).year}"


def shown(members: pd.DataFrame, views: pd.Series) -> pd.DataFrame:
    """``members`` (with ``birth_date`` and ``phone`` columns) with each row's personal data as its reader's
    view of it (``views``, a :class:`View` per row) allows; the birth date becomes text (a date, or a year)."""
    out = members.copy()
    full = views == View.full
    out["birth_date"] = [(None if pd.isna(d) else pd.Timestamp(d).date().isoformat()) if f else birth_year(d)
                         for d, f in zip(out["birth_date"], full, strict=True)]
    phones = [None if pd.isna(p) else p for p in out["phone"]]
    out["phone"] = pd.Series([p if v in (View.full, View.contact) else mask_phone(p)
                              for p, v in zip(phones, views, strict=True)], index=out.index, dtype=object)
    return out


def audited(values: dict[str, object]) -> dict[str, object]:
    """A member's values as the audit trail keeps them: personal data masked (:data:`View.masked`)."""
    out = dict(values)
    if "phone" in out:
        out["phone"] = mask_phone(out["phone"])
    if "birth_date" in out:
        out["birth_date"] = birth_year(out["birth_date"])
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.items()}
