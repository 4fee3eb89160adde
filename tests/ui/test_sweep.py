"""Every page for every role that opens it, in both languages: no exception and no "None", "NaN" or "null"
shown to a person (an empty value is blank), in text, widgets or table cells."""

from __future__ import annotations

import re

import pytest

from bastion.core.models import Role
from bastion.ui.navigation import PAGES

MISSING = re.compile(r"\b(None|NaN|nan|null|NaT)\b")
ENGLISH = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b")  # three English words in a row: a sentence, not a code
USERS = {Role.admin: "admin", Role.leader: "leader", Role.inspector: "inspector", Role.secretary: "secretary",
         Role.auditor: "auditor"}
CASES = [(USERS[role], page.file) for page in PAGES for role in sorted(page.roles)]


def elements(node):
    yield node
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        yield from elements(child)


def english_in_chinese(at) -> list[str]:
    """Sentences of English on a page in the Chinese UI (texts, labels, options and table cells)."""
    found = []
    for root in (at.main, at.sidebar):
        for node in elements(root):
            kind = getattr(node, "type", "")
            if kind in ("dataframe", "table"):
                cells = [str(v) for v in node.value.to_numpy().ravel()] + [str(c) for c in node.value.columns]
                found += [c for c in cells if ENGLISH.search(c)]
            elif "chart" not in kind and getattr(node, "proto", None) is not None:
                text = str(node.proto).encode().decode("unicode_escape", errors="ignore")
                found += [m.group(0) for m in ENGLISH.finditer(text) if not m.group(0).startswith(IGNORED)]
    return found


IGNORED = ("data ",)  # protobuf field names


def shown_problems(at) -> list[str]:
    problems = []
    for root in (at.main, at.sidebar):
        for node in elements(root):
            kind = getattr(node, "type", "")
            if kind in ("dataframe", "table"):
                frame = node.value
                missing = frame.isna().to_numpy().any()
                if kind == "table" and missing:
                    problems.append("table: a missing value drawn raw")
                if kind == "dataframe" and missing and not node.proto.HasField("placeholder"):
                    problems.append("dataframe: missing values drawn as None (no placeholder)")
                if frame.map(lambda v: isinstance(v, str) and bool(MISSING.fullmatch(v))).to_numpy().any():
                    problems.append(f"{kind}: a cell reads None/NaN as text")
                continue
            if "chart" in kind:
                continue
            proto = getattr(node, "proto", None)
            if proto is None:
                continue
            found = MISSING.findall(str(proto))
            if found:
                problems.append(f"{kind}: {found[:3]} in {str(proto)[:160]!r}")
    return problems


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize(("username", "page"), CASES)
def test_a_page_shows_no_raw_missing_value(app, username, page, locale):
    at = app(username, page, locale=locale)
    assert not at.exception, at.exception
    assert not shown_problems(at)
    if locale == "zh":
        assert not english_in_chinese(at)
