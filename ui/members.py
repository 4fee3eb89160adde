"""党员名册 in the browser: the administrators' register tab (import, the list, a member added or edited,
transferred, gone off the register, their history) and the branch's own members in its workspace. Every check,
scope and mask is ``core.members``'s; the page only gathers the request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from bastion.core import members
from bastion.core.ballots import member_review
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.members.files import register_csv, register_xlsx
from bastion.core.words import GENDER, MEMBER_STATUS, word
from bastion.ui import context
from bastion.ui.feedback import attempt
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid

STATUSES = ("full", "probationary")
GENDERS = ("male", "female")
EARLIEST = date(1900, 1, 1)


def _table(register: pd.DataFrame) -> pd.DataFrame:
    words = members.labelled(register)
    return pd.DataFrame({
        tr("党员编号", "Number"): words["code"], tr("姓名", "Name"): words["name"],
        tr("组织", "Organisation"): words["org_code"] + " " + words["org_name"], tr("性别", "Gender"): words["gender"],
        tr("出生", "Born"): words["birth_date"], tr("入党日期", "Joined"): words["joined_on"],
        tr("类别", "Status"): words["status"], tr("岗位", "Post"): words["post"], tr("联系电话", "Phone"): words["phone"],
    })


def _search(register: pd.DataFrame, key: str) -> pd.DataFrame:
    """The members whose number, name or post holds what the reader types."""
    text = st.text_input(tr("按编号、姓名或岗位查找", "Find by number, name or post"), key=key).strip()
    if not text:
        return register
    hit = pd.Series(False, index=register.index)
    for column in ("code", "name", "post"):
        hit |= register[column].fillna("").str.contains(text, case=False, regex=False)
    return register[hit]


def _downloads(who: Principal, org_code: str | None, key: str) -> None:
    """The register as the reader's export view shows it: a .csv that imports back, an .xlsx to read."""
    with context.engine().connect() as conn:
        exported = members.read_members(conn, who, org_code=org_code, export=True)
    left, right = st.columns(2)
    title = tr(f"党员名册（{date.today().isoformat()} 导出）", f"Members' register (exported {date.today()})")
    left.download_button(tr("导出 Excel", "Export to Excel"), data=register_xlsx(exported, title=title),
                         file_name="党员名册.xlsx", on_click="ignore", key=f"{key}_xlsx")
    right.download_button(tr("导出 CSV（可再次导入）", "Export to CSV (imports back)"), data=register_csv(exported),
                          file_name="党员名册.csv", on_click="ignore", key=f"{key}_csv")


def register_tab(who: Principal, names: dict[str, str], choose: Callable[..., str | None],
                 upload_section: Callable[..., None]) -> None:
    """The administrators' tab (``names``: the branches and groups in use, code → name; ``choose``: the page's
    organisation picker; ``upload_section``: the page's import form, for the kind ``members``)."""
    st.subheader(tr("党员名册", "Members' register"))
    st.caption(tr("有党员名册的党组织，党员人数由名册计算。出生日期和联系电话为个人信息：仅管理员可完整查看和导出。",
                  "Where an organisation has a register, its member count is the register's. Birth dates and phones "
                  "are personal data: only administrators see and export them in full."))
    org = choose(tr("只看该党组织", "Only this organisation"), names, "mem_filter", optional=True)
    with context.engine().connect() as conn:
        register = members.read_members(conn, who, org_code=org)
    grid(_table(_search(register, "mem_search")), key="mem_grid")
    st.caption(tr(f"在册党员 {len(register)} 名", f"{len(register)} members on the register"))
    _downloads(who, org, "mem_export")
    upload_section(who, "members")
    if names:
        save_section(who, names, choose)
    if not register.empty:
        codes = dict(zip(register["code"], register["name"], strict=True))
        transfer_section(who, codes, names, choose)
        history_section(who, codes)


def _member_choice(label: str, codes: dict[str, str], key: str) -> str | None:
    return st.selectbox(label, list(codes), format_func=lambda c: f"{c} {codes[c]}", key=key, index=None,
                        placeholder=tr("选择党员", "Choose a member"))


def save_section(who: Principal, names: dict[str, str], choose: Callable[..., str | None]) -> None:
    st.subheader(tr("登记或修改党员", "Add or edit a member"))
    with st.form("mem_save_form"):
        left, right = st.columns(2)
        code = left.text_input(tr("党员编号", "Member number"), key="mem_code")
        name = right.text_input(tr("党员姓名", "Member's name"), key="mem_name")
        org = choose(tr("所在党支部或党小组", "Branch or party group"), names, "mem_org", where=left)
        status = right.selectbox(tr("党员类别", "Status"), STATUSES, key="mem_status",
                                 format_func=frozen(lambda s: word(MEMBER_STATUS, s), STATUSES))
        gender = left.selectbox(tr("性别", "Gender"), GENDERS, key="mem_gender", index=None,
                                format_func=frozen(lambda g: word(GENDER, g), GENDERS), placeholder="—")
        post = right.text_input(tr("岗位", "Post"), key="mem_post")
        born = left.date_input(tr("出生日期", "Born"), value=None, min_value=EARLIEST, max_value=date.today(),
                               key="mem_born")
        joined = right.date_input(tr("入党日期", "Joined"), value=None, min_value=EARLIEST, max_value=date.today(),
                                  key="mem_joined")
        phone = left.text_input(tr("联系电话", "Phone"), key="mem_phone")
        moved = right.date_input(tr("转接日期（转到另一组织时）", "Transferred on (when moving)"), value=None,
                                 min_value=EARLIEST, max_value=date.today(), key="mem_moved")
        submitted = st.form_submit_button(tr("保存", "Save"), type="primary", key="mem_save")
    if submitted:
        values = {"code": code, "org_code": org or "", "name": name, "status": status, "gender": gender,
                  "birth_date": born, "joined_on": joined, "post": post, "phone": phone, "moved_on": moved}
        attempt(lambda: _save(who, values), tr(f"已保存党员 {code.strip()}。", f"Member {code.strip()} is saved."))


def _save(who: Principal, values: dict[str, Any]) -> None:
    with transaction(context.engine()) as session:
        members.save_member(session, who, **values)


def transfer_section(who: Principal, codes: dict[str, str], names: dict[str, str],
                     choose: Callable[..., str | None]) -> None:
    st.subheader(tr("组织关系转接、离开名册", "Transfer, or leave the register"))
    code = _member_choice(tr("党员", "Member"), codes, "mem_move_code")
    left, middle, right = st.columns(3)
    target = choose(tr("转入党组织", "Moves to"), names, "mem_move_to", where=left, optional=True)
    day = middle.date_input(tr("日期", "Date"), value=date.today(), min_value=EARLIEST, max_value=date.today(),
                            key="mem_move_day")
    note = right.text_input(tr("说明（介绍信编号、离开原因）", "Note (letter number, why they leave)"), key="mem_move_note")
    go, leave = st.columns(2)
    if go.button(tr("办理转接", "Transfer"), key="mem_transfer", disabled=code is None or target is None):
        attempt(lambda: _transfer(who, code, target, day, note),
                tr(f"党员 {code} 的组织关系已转至 {target}。", f"Member {code} now belongs to {target}."))
    if leave.button(tr("离开名册", "Leave the register"), key="mem_leave", disabled=code is None):
        attempt(lambda: _leave(who, code, day, note), tr(f"党员 {code} 已离开名册。", f"Member {code} left the register."))


def _transfer(who: Principal, code: str, target: str, day: date, note: str) -> None:
    with transaction(context.engine()) as session:
        members.transfer_member(session, who, code=code, to_org_code=target, moved_on=day, note=note)


def _leave(who: Principal, code: str, day: date, note: str) -> None:
    with transaction(context.engine()) as session:
        members.leave_register(session, who, code=code, left_on=day, note=note)


def history_section(who: Principal, codes: dict[str, str]) -> None:
    code = _member_choice(tr("查看党员的转接记录", "A member's transfers"), codes, "mem_history_code")
    if code is None:
        return
    with context.engine().connect() as conn:
        moves = members.member_history(conn, who, code)
    grid(pd.DataFrame({
        tr("日期", "Date"): moves["moved_on"],
        tr("转出", "From"): [f"{c} {n}" if c else tr("（登记入名册）", "(onto the register)")
                           for c, n in zip(moves["from_code"], moves["from_name"], strict=True)],
        tr("转入", "To"): [f"{c} {n}" if c else tr("（离开名册）", "(off the register)")
                         for c, n in zip(moves["to_code"], moves["to_name"], strict=True)],
        tr("说明", "Note"): moves["note"], tr("经办人", "By"): moves["actor"]}), key="mem_history")


def branch_members(who: Principal, org_code: str, org_id: int) -> None:
    """The branch's own members in its workspace, personal data as the secretary's view shows it."""
    with context.engine().connect() as conn:
        register = members.read_members(conn, who, org_code=org_code)
    if register.empty:
        st.info(tr("本支部尚无党员名册：由上级党组织的管理员导入或登记。",
                   "The branch has no register yet: the superior organisation's administrator imports it."))
        return
    counts = register["status"].value_counts()
    st.caption(tr(f"在册党员 {len(register)} 名（正式党员 {int(counts.get('full', 0))} 名，预备党员 "
                  f"{int(counts.get('probationary', 0))} 名）",
                  f"{len(register)} members ({int(counts.get('full', 0))} full, "
                  f"{int(counts.get('probationary', 0))} probationary)"))
    grid(_table(_search(register, "ws_members_search")), key="ws_members")
    _downloads(who, org_code, "ws_members_export")
    _review_grades(who, org_id)


def _review_grades(who: Principal, org_id: int) -> None:
    """The branch's members' grades in the reviews of members (民主评议党员) closed so far."""
    with context.engine().connect() as conn:
        graded = member_review.branch_grades(conn, who, org_id)
    if graded.empty:
        return
    st.subheader(tr("民主评议党员结果", "Review of members"))
    grid(pd.DataFrame({
        tr("考核期", "Period"): graded["period"], tr("党员编号", "Number"): graded["code"],
        tr("姓名", "Name"): graded["name"], tr("票数", "Ballots"): graded["ballots"],
        tr("得票", "Tallies"): graded["tallies"].map(lambda t: "、".join(f"{k} {v}" for k, v in t.items())),
        tr("等次", "Grade"): graded["grade"].fillna("—"), tr("说明", "Reason"): graded["reason"],
    }), long_text=[tr("说明", "Reason")], key="ws_member_grades")
