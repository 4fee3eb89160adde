"""The rules every entry point shares for the values a person types: free text and numbers.

**Text** (names, titles, notes, descriptions) holds no control characters.

A NUL or another C0/C1 control character typed or pasted into a name is invisible on screen, breaks
the Word and Excel files that carry the text later (XML allows none of them) and can cut a text short
in other programs. Tab, line feed and carriage return stay allowed: a cell may hold several lines.
Lone surrogates and the non-characters U+FFFE/U+FFFF are refused for the same reason.

The importer's text cells (:meth:`bastion.core.importing.kinds.Column.value`, which an organisation's
edit form shares) and the concepts' rules for the texts their forms take
(:func:`bastion.core.ledger.service.entry_problems`,
:func:`bastion.core.inspection.service.finding_problems`) all ask :func:`text_problem`; the services taking a note,
a reason or a comment (notices, reviews, corrections, ballots, self-assessments) ask :func:`text_problems`.

**Numbers** are finite (no NaN, no infinity) and within what their columns hold: a count fits the
32-bit INTEGER column PostgreSQL stores it in (:data:`MAX_INT`; SQLite would take more, so the same
file would import on one backend and not the other), any other number stays within :data:`MAX_NUMBER`
(beyond it a sum loses whole units, and a few such values add up to infinity in scoring).
"""

from __future__ import annotations

import math
import re

from .errors import Problem
from .i18n import tr

MAX_INT = 2**31 - 1
MAX_NUMBER = 1e15

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


forbidden_in = _FORBIDDEN.search  # a match object when a text holds a forbidden character: for hot loops


def text_problem(text: str) -> str | None:
    """Why ``text`` may not be stored (the first forbidden character, by code point and position), or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    code, at = f"U+{ord(found.group()):04X}", found.start() + 1
    return tr(f"含有控制字符 {code}（第 {at} 个字符），请删除后重新输入",
              f"contains the control character {code} (character {at}); remove it and enter the text again")


def text_problems(*fields: tuple[str, tuple[str, str], str | None]) -> list[Problem]:
    """The problems of several free-text fields, each given as ``(key, (zh, en) field name, text)``: what the
    services whose forms take a note, a reason or a comment (a notice, its answer and re-verification, a review,
    a correction, a ballot, a self-assessment) refuse with :func:`~bastion.core.errors.refuse`."""
    return [Problem(key, tr(*name), reason) for key, name, text in fields
            if text and (reason := text_problem(text)) is not None]


def check_text(text: str) -> str:
    """``text`` itself, or ``ValueError`` naming its first control character (for cell parsers)."""
    reason = text_problem(text)
    if reason is not None:
        raise ValueError(reason)
    return text


def number_problem(number: float, *, whole: bool = False, shown: str | None = None) -> str | None:
    """Why ``number`` may not be stored (NaN, infinite, or beyond :data:`MAX_NUMBER`, or :data:`MAX_INT` for a
    ``whole`` number), or None; ``shown``: the value as the person wrote it."""
    shown = shown or f"{number:.10g}"
    if not math.isfinite(number):
        return tr(f"{shown!r} 不是有限的数字", f"{shown!r} is not a finite number")
    limit = MAX_INT if whole else MAX_NUMBER
    if abs(number) > limit:
        return tr(f"{shown} 超出允许范围（最大 {limit:.10g}）", f"{shown} is out of range (at most {limit:.10g})")
    return None
