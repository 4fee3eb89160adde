"""系统管理 — administration: the organisation tree (import, edit, move, restructure: 机构调整), users and roles, plugins, cycles
with their calendar and stage runs, notifications (channels, quiet hours, delivery) (the audit trail is a page of its own, ``audit.py``). Everything through :mod:`bastion.core.organizations`
and :mod:`bastion.core.admin`, within the administrator's subtree (the tenant-wide parts for
administrators of the whole tenant)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from bastion.core import admin, archive, members, organizations, restructuring
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.importing import write_template
from bastion.core.models import Role
from bastion.core.words import (CYCLE_STATUS, IMPORT_KIND, LEVEL, STAGE, STAGE_STATUS, cron_text, word)
from bastion.ui import context
from bastion.ui.feedback import FLASH, attempt, show_flash
from bastion.ui.i18n import frozen, role_label, tr
from bastion.ui.appeals import office_tab
from bastion.ui.ballots import rounds_tab
from bastion.ui.members import register_tab
from bastion.ui.notifications import notifications_tab
from bastion.ui.restructuring import history_section, restructure_section
from bastion.ui.schemes import whatif_tab
from bastion.ui.tables import grid
from sqlmodel import Session

INDENT = "\u3000\u3000"  # two ideographic spaces per level of the tree
MANY = 2000  # more organisations than this are typed by code instead of picked from a list


def org_choice(label: str, names: dict[str, str], key: str, *, where: Any = st, optional: bool = False,
               leave_out: str | None = None) -> str | None:
    """An organisation picked from a list, or typed by its code when there are too many to list."""
    if len(names) > MANY:
        return where.text_input(label + tr("（编码）", " (code)"), key=key).strip() or None
    return where.selectbox(label, [c for c in names if c != leave_out], format_func=lambda c: f"{c} {names[c]}",
                           key=key, index=None if optional else 0,
                           placeholder=tr("选择党组织", "Choose an organisation"))


def level_label(level: str) -> str:
    return word(LEVEL, level)


# --- organisations --------------------------------------------------------------------------------


def organizations_tab(who: Principal) -> None:
    with context.engine().connect() as conn:
        tree = organizations.read_tree(conn, who)
    st.subheader(tr("组织机构", "Organisation tree"))
    search = st.text_input(tr("按编码或名称筛选", "Filter by code or name"), key="org_filter").strip()
    shown = tree
    if search:
        shown = tree[tree["code"].str.contains(search, case=False, regex=False)
                     | tree["name"].str.contains(search, case=False, regex=False)]
    grid(pd.DataFrame({
        tr("党组织", "Organisation"): [INDENT * d + n for d, n in zip(shown["depth"], shown["name"], strict=True)],
        tr("编码", "Code"): shown["code"], tr("层级", "Level"): shown["level"].map(level_label),
        tr("类别", "Category"): shown["category"], tr("书记", "Secretary"): shown["secretary"],
        tr("任期届满", "Term ends"): shown["secretary_term_end"], tr("党员", "Members"): shown["member_count"],
        tr("职工", "Staff"): shown["staff_count"], tr("党务人员", "Party staff"): shown["party_staff_count"],
        tr("状态", "State"): shown["active"].map(lambda a: tr("在用", "active") if a else tr("已停用", "inactive"))}))
    live = tree[tree["active"]]  # merged away, split or dissolved: kept for the past, changed no more
    st.caption(tr(f"共 {len(tree)} 个党组织（在用 {len(live)} 个）", f"{len(tree)} organisations ({len(live)} active)"))
    import_section(who)
    if not live.empty:
        edit_section(who, live)
        move_section(who, live)
        restructure_section(who, dict(zip(live["code"], live["name"], strict=True)), org_choice)
    history_section(who)


IMPORT_KINDS = ("organizations", "restructure")


def import_section(who: Principal, kinds: tuple[str, ...] = IMPORT_KINDS, key: str = "org") -> None:
    """An import form for ``kinds`` (one: no choice shown), with its template."""
    if len(kinds) > 1:
        st.subheader(tr("导入组织机构或机构调整", "Import organisations or restructurings"))
        kind = st.radio(tr("文件内容", "The file holds"), kinds, key=f"{key}_import_kind", horizontal=True,
                        format_func=frozen(lambda k: word(IMPORT_KIND, k), kinds))
    else:
        kind = kinds[0]
        st.subheader(tr(f"导入{word(IMPORT_KIND, kind)}", f"Import the {word(IMPORT_KIND, kind)}"))
    label = tr("Excel（.xlsx）或 CSV 文件", "An Excel (.xlsx) or CSV file") if len(kinds) > 1 else \
        tr(f"{word(IMPORT_KIND, kind)}文件：Excel（.xlsx）或 CSV", f"The {word(IMPORT_KIND, kind)} file: Excel (.xlsx) or CSV")
    upload = st.file_uploader(label, type=["xlsx", "csv"], key=f"{key}_upload")
    again = st.checkbox(tr("再次导入同一文件", "Import the same file again"), key=f"{key}_again",
                        help=tr("内容相同的文件导入过一次后默认不再导入", "A file with the same content is imported once unless this is ticked"))
    left, right = st.columns(2)
    done = tr(f"已导入{word(IMPORT_KIND, kind)}。", f"The {word(IMPORT_KIND, kind)} file is imported.")
    if left.button(tr("导入", "Import"), type="primary", key=f"{key}_import", disabled=upload is None):
        attempt(lambda: import_upload(who, upload, again, kind), done)
    right.download_button(tr("下载导入模板", "Download the template"), data=template(kind),
                          file_name=f"{word(IMPORT_KIND, kind)}模板.xlsx", on_click="ignore", key=f"{key}_template")


def import_upload(who: Principal, upload, again: bool, kind: str = "organizations") -> None:
    engine, registry = context.engine(), context.registry()
    if kind == "members":
        report = members.import_register(engine, who, filename=upload.name, data=upload.getvalue(),
                                         registry=registry, again=again)
    else:
        report = organizations.import_organizations(engine, who, filename=upload.name, data=upload.getvalue(),
                                                    registry=registry, again=again, kind=kind)
    st.session_state["admin_import_report"] = str(report)


@st.cache_data(show_spinner=False)
def template(kind: str = "organizations") -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_template(kind, Path(folder) / f"{kind}.xlsx").read_bytes()


def edit_section(who: Principal, tree: pd.DataFrame) -> None:
    st.subheader(tr("修改党组织", "Edit an organisation"))
    names = dict(zip(tree["code"], tree["name"], strict=True))
    code = org_choice(tr("党组织", "Organisation"), names, "edit_org")
    if code is None:
        return
    with Session(context.engine()) as session:
        org = organizations.get_organization(session, who, code)
        counted = org.id in members.registered(session.connection(), who.tenant_id, [org.id])
    with st.form(f"edit_form_{code}"):
        values = {
            "name": st.text_input(tr("名称", "Name"), value=org.name, key=f"edit_name_{code}"),
            "category": st.text_input(tr("类别", "Category"), value=org.category, key=f"edit_category_{code}"),
            "secretary": st.text_input(tr("书记", "Secretary"), value=org.secretary or "",
                                       key=f"edit_secretary_{code}"),
            "secretary_term_start": st.date_input(tr("任期开始", "Term starts"), value=org.secretary_term_start,
                                                  key=f"edit_term_start_{code}", min_value=date(1949, 10, 1)),
            "secretary_term_end": st.date_input(tr("任期结束", "Term ends"), value=org.secretary_term_end,
                                                key=f"edit_term_end_{code}", min_value=date(1949, 10, 1)),
            "first_secretary": st.text_input(tr("第一书记", "First secretary"), value=org.first_secretary or "",
                                             key=f"edit_first_secretary_{code}"),
            "member_count": st.number_input(tr("党员人数", "Members"), min_value=0, value=org.member_count,
                                            key=f"edit_members_{code}", disabled=counted,
                                            help=tr("由党员名册计算", "The register's count") if counted else None),
            "staff_count": st.number_input(tr("职工人数", "Staff"), min_value=0, value=org.staff_count,
                                           key=f"edit_staff_{code}"),
            "party_staff_count": st.number_input(tr("党务工作人员数", "Party staff"), min_value=0,
                                                 value=org.party_staff_count, key=f"edit_party_staff_{code}"),
        }
        submitted = st.form_submit_button(tr("保存", "Save"), type="primary", key="edit_submit")
    if submitted:
        attempt(lambda: save(who, code, values), tr(f"已保存 {code}。", f"{code} is saved."))


def save(who: Principal, code: str, values: dict[str, Any]) -> None:
    with transaction(context.engine()) as session:
        organizations.update_organization(session, who, code=code, **values)


def move_section(who: Principal, tree: pd.DataFrame) -> None:
    """调整隶属关系: a restructuring (``core.restructuring.move``), dated and in the history, done at once."""
    st.subheader(tr("调整隶属关系", "Move an organisation"))
    names = dict(zip(tree["code"], tree["name"], strict=True))
    left, middle, right = st.columns(3)
    code = org_choice(tr("党组织", "Organisation"), names, "move_org", where=left)
    parent = org_choice(tr("新的上级组织", "New parent"), names, "move_parent", where=middle, optional=True,
                        leave_out=code)
    day = right.date_input(tr("生效日期", "Takes effect on"), value=date.today(), max_value=date.today(),
                           min_value=date(1949, 10, 1), key="move_day")
    if st.button(tr("移动", "Move"), key="move_submit", disabled=code is None or parent is None):
        attempt(lambda: move(who, code, parent, day),
                tr(f"{code} 已移至 {parent} 之下。", f"{code} is now under {parent}."))


def move(who: Principal, code: str, parent: str, day: date | None = None) -> None:
    with transaction(context.engine()) as session:
        restructuring.move(session, who, code=code, parent_code=parent, effective_on=day or date.today())


def members_tab(who: Principal) -> None:
    """党员名册 (``bastion.ui.members``): the branches and party groups in use are where members go."""
    with context.engine().connect() as conn:
        tree = organizations.read_tree(conn, who)
    units = tree[tree["active"] & tree["level"].isin(("branch", "group"))]
    register_tab(who, dict(zip(units["code"], units["name"], strict=True)), org_choice,
                 lambda w, kind: import_section(w, (kind,), key="mem"))


# --- users ----------------------------------------------------------------------------------------


def users_tab(who: Principal) -> None:
    with context.engine().connect() as conn:
        people = admin.read_users(conn, who)
        tree = organizations.read_tree(conn, who)
    grid(pd.DataFrame({
        tr("用户名", "Username"): people["username"], tr("姓名", "Name"): people["display_name"],
        tr("启用", "Active"): people["active"].astype(bool),
        tr("角色", "Role"): people["role"].map(lambda r: role_label(r) if isinstance(r, str) else ""),
        tr("授权党组织", "On"): people["org_name"], tr("电子邮件", "E-mail"): people["email"],
        tr("最近登录", "Last login"): people["last_login_at"], tr("锁定至", "Locked until"): people["locked_until"]}))
    live = tree[tree["active"]]
    orgs = dict(zip(live["code"], live["name"], strict=True))
    create_section(who, orgs)
    if not people.empty:
        manage_section(who, people, orgs)


def _org_name(orgs: dict[str, str]) -> Callable[[str], str]:
    return lambda code: f"{code} {orgs.get(code, '')}"


def _grant_name(orgs: dict[str, str]) -> Callable[[str], str]:
    """``role@org`` as the role's label and the organisation."""
    def name(grant: str) -> str:
        role, org = grant.split("@", 1)
        return f"{role_label(role)} · {_org_name(orgs)(org)}"
    return name


def create_section(who: Principal, orgs: dict[str, str]) -> None:
    st.subheader(tr("新建用户", "New user"))
    with st.form("user_form"):
        username = st.text_input(tr("用户名", "Username"), key="user_username")
        display_name = st.text_input(tr("姓名", "Name"), key="user_display_name")
        password = st.text_input(tr("初始密码（至少 8 位）", "Password (8 characters or more)"), type="password",
                                 help=tr("至少 8 位，且包含大写字母、小写字母、数字、符号中的至少三种",
                                         "8 characters or more, of at least three of: upper-case, lower-case, digits, "
                                         "symbols"),
                                 key="user_password")
        role = st.selectbox(tr("角色", "Role"), [r.value for r in Role], format_func=frozen(role_label, Role), key="user_role")
        org = org_choice(tr("授权党组织（含下级）", "On (and everything under it)"), orgs, "user_org")
        submitted = st.form_submit_button(tr("创建用户", "Create the user"), type="primary", key="user_submit")
    if submitted:
        attempt(lambda: create(who, username, password, display_name, role, org),
                tr(f"已创建用户 {username}。", f"User {username} is created."))


def create(who: Principal, username: str, password: str, display_name: str, role: str, org: str) -> None:
    with transaction(context.engine()) as session:
        admin.create_user(session, who, username=username, password=password, display_name=display_name, role=role,
                          org_code=org)


def manage_section(who: Principal, people: pd.DataFrame, orgs: dict[str, str]) -> None:
    st.subheader(tr("管理用户", "Manage a user"))
    username = st.selectbox(tr("用户", "User"), sorted(people["username"].unique()), key="manage_user")
    mine = people[people["username"] == username]
    held = [f"{r.role}@{r.org_code}" for r in mine.itertuples() if isinstance(r.role, str)]
    grant_col, revoke_col = st.columns(2)
    with grant_col:
        role = st.selectbox(tr("授予角色", "Grant role"), [r.value for r in Role], format_func=frozen(role_label, Role),
                            key="grant_role")
        org = org_choice(tr("授权党组织", "On"), orgs, "grant_org")
        if st.button(tr("授予", "Grant"), key="grant_submit"):
            attempt(lambda: change(admin.grant_role, who, username=username, role=role, org_code=org),
                    tr(f"已授予 {username} {role_label(role)}。", f"{username} is granted {role_label(role)}."))
    with revoke_col:
        revoked = st.selectbox(tr("收回角色", "Revoke role"), held, index=None, key="revoke_grant",
                               format_func=_grant_name(orgs), placeholder=tr("选择已授予的角色", "Choose a role held"))
        if st.button(tr("收回", "Revoke"), key="revoke_submit", disabled=revoked is None):
            role_held, org_held = revoked.split("@", 1)
            attempt(lambda: change(admin.revoke_role, who, username=username, role=role_held, org_code=org_held),
                    tr(f"已收回 {username} 的角色。", f"The role of {username} is revoked."))
    active = bool(mine["active"].iat[0])
    state_col, password_col = st.columns(2)
    with state_col:
        label = tr("停用账号", "Deactivate") if active else tr("启用账号", "Activate")
        if st.button(label, key="active_submit"):
            attempt(lambda: change(admin.set_user_active, who, username=username, active=not active),
                    tr(f"已{'停用' if active else '启用'} {username}。",
                       f"{username} is {'deactivated' if active else 'activated'}."))
        if pd.notna(mine["locked_until"].iat[0]) and st.button(tr("解除锁定", "Unlock"), key="unlock_submit"):
            attempt(lambda: change(admin.unlock_user, who, username=username),
                    tr(f"已解除 {username} 的锁定。", f"{username} is unlocked."))
    with password_col:
        password = st.text_input(tr("新密码", "New password"), type="password", key="reset_password")
        if st.button(tr("重置密码", "Reset the password"), key="reset_submit"):
            attempt(lambda: change(admin.reset_password, who, username=username, password=password),
                    tr(f"已重置 {username} 的密码。", f"The password of {username} is reset."))
    contact_form(who, username, mine)


def contact_form(who: Principal, username: str, mine: pd.DataFrame) -> None:
    """Where notifications reach the user: the e-mail address (shown masked; typed anew to change) and the language."""
    with st.form(f"contact_{username}"):
        email = st.text_input(tr("电子邮件（通知的邮件渠道发往此地址）", "E-mail (where the e-mail channel writes)"),
                              placeholder=mine["email"].iat[0] or tr("未设置", "none"), key="contact_email",
                              help=tr("留空则不变；填写“-”清除", "Blank: unchanged; “-” clears it"))
        locales = {"zh": "中文", "en": "English"}
        locale = st.selectbox(tr("通知语言", "Language of notifications"), list(locales),
                              index=list(locales).index(mine["locale"].iat[0] or "zh"),
                              format_func=locales.__getitem__, key="contact_locale")
        saved = st.form_submit_button(tr("保存联系方式", "Save the contact"), key="contact_submit")
    if saved:
        typed = email.strip()

        def save() -> None:
            change(admin.set_user_contact, who, username=username, locale=locale,
                   email=None if not typed else "" if typed == "-" else typed)
            del st.session_state["contact_email"]  # saved: shown masked from now on, as the table shows it
        attempt(save, tr(f"已保存 {username} 的联系方式。", f"{username}'s contact is saved."))


def change(action: Callable[..., Any], who: Principal, **values: Any) -> None:
    with transaction(context.engine()) as session:
        action(session, who, **values)


# --- plugins, cycles, schedules, runs -----------------------------------------------------------------


def plugins_tab(who: Principal) -> None:
    registry = context.registry()
    with Session(context.engine()) as session:
        plugins = admin.read_plugins(session, who, registry)
    grid(pd.DataFrame({
        tr("插件", "Plugin"): plugins["plugin"], tr("版本", "Version"): plugins["version"],
        tr("内置", "Built in"): plugins["builtin"], tr("已启用", "Enabled"): plugins["enabled"],
        tr("提供", "Contributes"): plugins["contributes"]}), long_text=[tr("提供", "Contributes")])
    plugin = st.selectbox(tr("插件", "Plugin"), list(plugins["plugin"]), key="plugin_choice")
    enabled = bool(plugins.set_index("plugin").loc[plugin, "enabled"]) if plugin else False
    if st.button(tr("停用插件", "Disable") if enabled else tr("启用插件", "Enable"), key="plugin_submit"):
        def toggle() -> None:
            with transaction(context.engine()) as session:
                if enabled:
                    admin.disable_plugin(session, who, plugin)
                else:
                    admin.enable_plugin(session, who, registry, plugin)
        attempt(toggle, tr(f"已{'停用' if enabled else '启用'}插件 {plugin}。",
                           f"Plugin {plugin} is {'disabled' if enabled else 'enabled'}."))


def stage_label(stage: str) -> str:
    return word(STAGE, stage)


def cycles_tab(who: Principal) -> None:
    with Session(context.engine()) as session:
        cycles = admin.read_cycles(session, who)
    st.subheader(tr("考核年度", "Cycles"))
    cycles = cycles.assign(status=cycles["status"].map(lambda s: word(CYCLE_STATUS, s)))
    grid(cycles.rename(columns={"year": tr("年度", "Year"), "name": tr("名称", "Name"),
                                        "scheme": tr("方案", "Scheme"), "version": tr("版本", "Version"),
                                        "plugin": tr("插件", "Plugin"), "status": tr("状态", "Status"),
                                        "opened_at": tr("开启时间", "Opened"), "opened_by": tr("开启人", "By")}))
    if st.button(tr("开启下一考核年度", "Open the next cycle"), key="cycle_open"):
        attempt(lambda: open_next(who), tr("已开启下一考核年度。", "The next cycle is open."))
    cycle = context.pick_cycle(who)
    if cycle is not None:
        st.subheader(tr(f"{cycle.year} 年度考核日历", f"Calendar of {cycle.year}"))
        with Session(context.engine()) as session:
            lines = admin.read_calendar(session, who, cycle_id=cycle.id)
        grid(pd.DataFrame({tr("环节", "Stage"): [stage_label(x.stage) for x in lines],
                           tr("时间", "When"): [cron_text(x.cron) for x in lines],
                           tr("说明", "Description"): [x.description for x in lines],
                           tr("下次执行", "Next run"): [x.next_run for x in lines]}),
             long_text=[tr("说明", "Description")])
        st.caption(tr("bastion serve 按此排程（北京时间）。", "bastion serve schedules these (Beijing time)."))
        archives_section(who, cycle)
    st.subheader(tr("最近的运行记录", "Recent stage runs"))
    with context.engine().connect() as conn:
        runs = admin.read_stage_runs(conn, who)
    grid(pd.DataFrame({
        tr("环节", "Stage"): runs["stage"].map(stage_label), tr("考核期", "Period"): runs["period"],
        tr("标识", "Key"): runs["key"], tr("状态", "Status"): runs["status"].map(lambda s: word(STAGE_STATUS, s)),
        tr("尝试次数", "Attempts"): runs["attempts"],
        tr("Prefect 运行", "Prefect flow run"): runs["flow_run_id"], tr("开始", "Started"): runs["started_at"],
        tr("结束", "Finished"): runs["finished_at"], tr("错误", "Error"): runs["error"]}), long_text=[tr("错误", "Error")])


def archives_section(who: Principal, cycle) -> None:
    """Every branch's assessment archive (考核档案) of the cycle in one .zip, made when asked (``core.archive``)."""
    st.subheader(tr(f"{cycle.year} 年度考核档案", f"Archives of {cycle.year}"))
    made = st.session_state.get("admin_archives")
    if made and made[0] == cycle.id:
        st.download_button(tr("下载全部党支部考核档案（.zip）", "Download every branch's archive (.zip)"), data=made[1],
                           file_name=f"{cycle.year}考核档案.zip", mime="application/zip", on_click="ignore",
                           icon=":material/download:", key="admin_archives_download")
        return
    st.caption(tr("每个党支部一份 .docx：各期考核结果和得分说明、检查发现、整改、点评、奖惩、申诉。",
                  "One .docx a branch: each period's result and lines, findings, notices, reviews, awards, appeals."))
    if st.button(tr("生成全部党支部考核档案", "Make every branch's archive"), key="admin_archives_make"):
        try:
            with st.spinner(tr("正在生成考核档案……", "Making the archives…")), context.engine().connect() as conn:
                data = archive.zip_archives(conn, who, cycle=cycle, today=date.today())
        except BastionError as exc:
            st.error(str(exc))
            return
        st.session_state["admin_archives"] = (cycle.id, data)
        st.rerun()


def open_next(who: Principal) -> None:
    with transaction(context.engine()) as session:
        admin.open_next_cycle(session, who, context.registry())


def render() -> None:
    who = context.signed_in()
    st.title(tr("系统管理", "Administration"))
    if FLASH in st.session_state:
        show_flash()
        report = st.session_state.pop("admin_import_report", None)
        if report:
            st.caption(report)
    tabs = st.tabs([tr("组织机构", "Organisations"), tr("用户与角色", "Users and roles"), tr("民主测评", "Ballots"),
                    tr("插件", "Plugins"), tr("考核年度与日程", "Cycles and schedules"), tr("党员名册", "Members"),
                    tr("方案试算", "Schemes: what-if"), tr("申诉与更正", "Appeals and corrections"),
                    tr("通知", "Notifications")],
                   key="admin_tabs", on_change="rerun")  # kept by the server: the same tab after a save's rerun
    shows = (organizations_tab, users_tab, rounds_tab, plugins_tab, cycles_tab, members_tab, whatif_tab, office_tab,
             notifications_tab)
    for tab, show in zip(tabs, shows, strict=True):
        if tab.open:
            with tab:
                show(who)


render()
