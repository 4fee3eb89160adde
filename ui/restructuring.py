"""机构调整 on the administrators' page: merge, split, rename, dissolve (a move is the section above it), each
dated, first previewed — what it will do to the organisations and to the periods — then confirmed; and the
history list. Every check and write is ``core.restructuring``'s; the page only gathers the request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from bastion.core import restructuring
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.words import RESTRUCTURING, word
from bastion.ui import context
from bastion.ui.feedback import attempt, refused
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid

KINDS = ("merge", "split", "rename", "dissolve")
PENDING = "rs_pending"  # the request previewed, waiting for its confirmation: (kind, arguments, what it will do)


def kind_label(kind: str) -> str:
    return word(RESTRUCTURING, kind)


def restructure_section(who: Principal, names: dict[str, str], choose: Callable[..., str | None]) -> None:
    """The request (``names``: the active organisations, code → name; ``choose``: the page's organisation picker),
    its preview and its confirmation."""
    st.subheader(tr("机构调整", "Restructuring"))
    st.caption(tr("合并、分设、更名、撤销均需注明生效日期，先预览再确认；已发布的考核期保持发布时的样子，"
                  "尚未审核或发布的考核期此后按调整后的组织机构评分。",
                  "A merge, split, rename or dissolution is dated, previewed, then confirmed; published periods "
                  "stay as published, periods not yet closed are scored on the new tree from then on."))
    kind = st.segmented_control(tr("调整类型", "Kind"), KINDS, format_func=frozen(kind_label, KINDS), key="rs_kind",
                                default="merge")
    left, right = st.columns(2)
    effective_on = left.date_input(tr("生效日期", "Takes effect on"), value=date.today(), max_value=date.today(),
                                   min_value=date(1949, 10, 1), key="rs_day")
    note = right.text_input(tr("说明（如党委文件文号）", "Note (e.g. the committee's document number)"), key="rs_note")
    request = _request(kind, names, choose)
    if request is None:
        return
    arguments = {**request, "effective_on": effective_on, "note": note}
    if st.button(tr("预览调整", "Preview"), key="rs_preview"):
        try:
            outcome = _run(who, kind, arguments, preview=True)
        except BastionError as exc:
            st.session_state.pop(PENDING, None)
            refused(exc)
        else:
            st.session_state[PENDING] = (kind, arguments, outcome)
    pending = st.session_state.get(PENDING)
    if pending is None or pending[:2] != (kind, arguments):  # previewed something else: preview again
        return
    outcome = pending[2]
    st.info("\n".join([tr("将要进行的调整：", "What will happen:"), "", f"**{outcome.summary}**", "",
                       *(f"- {line}" for line in outcome.consequences)]))
    confirm, cancel = st.columns(2)
    if confirm.button(tr("确认调整", "Confirm"), type="primary", key="rs_confirm"):
        st.session_state.pop(PENDING, None)
        attempt(lambda: _run(who, kind, arguments, preview=False),
                tr(f"已完成机构调整：{outcome.summary}", f"Restructured: {outcome.summary}"))
    if cancel.button(tr("取消", "Cancel"), key="rs_cancel"):
        st.session_state.pop(PENDING, None)
        st.rerun()


def _request(kind: str | None, names: dict[str, str], choose: Callable[..., str | None]) -> dict[str, Any] | None:
    """What the form asks for ``kind``, as the arguments of ``core.restructuring``'s function; None until complete."""
    if kind == "merge":
        codes = st.multiselect(tr("被合并的组织（两个或以上）", "Organisations merged (two or more)"), list(names),
                               format_func=lambda c: f"{c} {names[c]}", key="rs_merge_from",
                               placeholder=tr("选择党组织", "Choose organisations"))
        left, right = st.columns(2)
        into = left.text_input(tr("合并后的组织编码（新编码，或其中之一）", "Merged into (a new code, or one of them)"),
                               key="rs_merge_into").strip()
        name = right.text_input(tr("新组织名称（新编码时填写）", "New organisation's name (for a new code)"),
                                key="rs_merge_name").strip()
        parent = choose(tr("上级组织（可空：沿用原组织共同的上级）", "Parent (empty: the one they share)"), names,
                        "rs_merge_parent", optional=True)
        return {"codes": codes, "into": into, "name": name or None, "parent_code": parent} if codes and into else None
    if kind == "split":
        code = choose(tr("被分设的组织", "Organisation split"), names, "rs_split_org")
        typed = st.text_area(tr("分设出的新组织：每行一个，写成 编码:名称 或 编码:名称:党员人数",
                                "The new organisations, one a line: CODE:NAME or CODE:NAME:MEMBERS"),
                             key="rs_split_into", placeholder="ZB51:一车间党支部:20\nZB52:二车间党支部:15")
        lines = [line for line in typed.splitlines() if line.strip()]
        try:
            into = [restructuring.parse_successor(line) for line in lines]
        except BastionError as exc:
            st.error(str(exc))
            return None
        heir = st.selectbox(tr("承继历史的新组织（接续原组织的考核结果与下属组织）",
                               "The one that carries the history (and the children)"), [s.code for s in into],
                            key="rs_split_heir") if into else None
        return {"code": code, "into": into, "heir": heir} if code and len(into) >= 1 else None
    if kind == "rename":
        left, right = st.columns(2)
        with left:
            code = choose(tr("组织", "Organisation"), names, "rs_rename_org")
        name = right.text_input(tr("新名称", "New name"), key="rs_rename_name").strip()
        return {"code": code, "name": name} if code and name else None
    if kind == "dissolve":
        code = choose(tr("被撤销的组织", "Organisation dissolved"), names, "rs_dissolve_org")
        return {"code": code} if code else None
    return None


def _run(who: Principal, kind: str, arguments: dict[str, Any], *, preview: bool) -> restructuring.Outcome:
    change = {"merge": restructuring.merge, "split": restructuring.split, "rename": restructuring.rename,
              "dissolve": restructuring.dissolve}[kind]
    with transaction(context.engine()) as session:
        return change(session, who, preview=preview, **arguments)


def history_section(who: Principal) -> None:
    """The restructurings of the organisations the administrator reaches, the latest first."""
    with context.engine().connect() as conn:
        found = restructuring.restructurings_seen(conn, who)
    st.subheader(tr("机构调整记录", "Restructuring history"))
    if found.empty:
        st.caption(tr("尚无机构调整记录。", "No restructuring yet."))
        return
    grid(pd.DataFrame({
        tr("生效日期", "Effective"): found["effective_on"].map(str),
        tr("调整类型", "Kind"): found["kind"].map(kind_label),
        tr("组织", "Organisation"): found["org_code"] + " " + found["org_name"],
        tr("调整内容", "Change"): found["change"], tr("说明", "Note"): found["note"],
        tr("经办人", "By"): found["actor"],
        tr("登记时间", "Recorded"): found["recorded_at"].dt.strftime("%Y-%m-%d %H:%M"),
    }), key="rs_history", long_text=[tr("调整内容", "Change")])
