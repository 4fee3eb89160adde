"""zh-CN by default, English as the second locale.

Texts sit beside the code that shows them: ``tr("排名", "Ranking")``. A page reads as Chinese in
its source, and a missing translation cannot exist.
"""

from __future__ import annotations

import streamlit as st

LOCALES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"


def locale() -> str:
    return st.session_state.get("locale", DEFAULT)


def tr(zh: str, en: str) -> str:
    return en if locale() == "en" else zh


def locale_switch() -> None:
    """The language switch at the top of the sidebar."""
    st.sidebar.radio("语言 / Language", list(LOCALES), format_func=LOCALES.__getitem__, key="locale",
                     horizontal=True)


ROLE_LABELS = {
    "admin": ("管理员", "Administrator"),
    "leader": ("领导", "Leader"),
    "inspector": ("督查人员", "Inspector"),
    "secretary": ("支部书记", "Branch secretary"),
    "rater": ("测评人", "Rater"),
}


def role_label(role: str) -> str:
    zh, en = ROLE_LABELS.get(role, (role, role))
    return tr(zh, en)


SOURCE_LABELS = {
    "self": ("自评", "self-assessment"),
    "members": ("党员群众测评", "members and staff"),
    "peers": ("其他支部书记互评", "peer secretaries"),
    "superior": ("上级机关考评", "superior organ"),
    "work_report": ("述职评议", "work report"),
    "questionnaire": ("问卷调查", "questionnaire"),
    "forum": ("座谈会", "forum"),
}


def source_label(source: str) -> str:
    pair = SOURCE_LABELS.get(source)
    return tr(*pair) if pair else source
