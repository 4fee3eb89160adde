"""方案试算 in the administrators' page: a scheme file (or a scheme the tenant has) tried on a past period beside its
published results — nothing written — and a file adopted as the tenant's next version. Every check is
``core.scheme_files``'s and the scoring ``core.whatif``'s."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bastion.core import periods, scheme_files, whatif
from bastion.core.access import Action, Principal, require_whole_tenant
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.exports import xlsx
from bastion.core.models import Tenant
from bastion.core.words import period_name
from bastion.ui import context
from bastion.ui.feedback import attempt
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid

NEEDS = ("方案试算和采用须由管理全单位的管理员进行", "trying and adopting schemes is for an administrator of the whole tenant")


def whatif_tab(who: Principal) -> None:
    found = context.tenant_cycles(who)
    if not found:
        st.info(tr("尚未开启考核年度。", "No assessment cycle has been opened yet."))
        return
    st.caption(tr("上传修改后的方案文件（.yaml/.json，可由命令行导出现有方案后修改），用已发布考核期的事实试算，"
                  "与原结果对照；试算不写入任何数据。",
                  "Upload an edited scheme file (.yaml/.json; `bastion scheme export` writes one) and score a past "
                  "period under it beside its results; nothing is written."))
    upload = st.file_uploader(tr("方案文件", "Scheme file"), type=["yaml", "yml", "json"], key="whatif_file")
    cycle = st.selectbox(tr("试算的考核年度", "Cycle to try"), found, format_func=lambda c: f"{c.year} {c.name}",
                         key="whatif_cycle")
    keys = periods.cycle_periods(cycle)
    year = str(cycle.year)
    period = st.selectbox(tr("试算的考核期", "Period to try"), keys, index=keys.index(year) if year in keys else 0,
                          format_func=frozen(period_name, keys), key="whatif_period")
    if upload is None:
        return
    try:
        draft = scheme_files.parse(upload.getvalue().decode("utf-8-sig"), upload.name)
    except (BastionError, UnicodeDecodeError) as exc:
        st.error(str(exc))
        return
    if st.button(tr("试算", "Try it"), type="primary", key="whatif_run"):
        try:
            with context.engine().connect() as conn:
                require_whole_tenant(conn, who, Action.administer, NEEDS)
            tried = whatif.whatif(context.engine(), cycle=cycle, period_key=period, scheme=draft,
                                  registry=context.registry())
        except BastionError as exc:
            st.error(str(exc))
            return
        _show(tried)
    if st.button(tr(f"采用为方案 {draft.id} 的新版本 {draft.version}", f"Adopt as {draft.id} {draft.version}"),
                 key="whatif_adopt"):
        def adopt() -> None:
            with transaction(context.engine()) as session:
                require_whole_tenant(session.connection(), who, Action.administer, NEEDS)
                scheme_files.adopt(session, tenant=session.get(Tenant, who.tenant_id), scheme=draft,
                                   source=upload.name, registry=context.registry(), actor=who.username)
        attempt(adopt, tr(f"已采用方案 {draft.id} {draft.version}：此后开启的考核年度可选用。",
                          f"Scheme {draft.id} {draft.version} adopted: cycles opened from now on may use it."))


def _show(tried: whatif.WhatIf) -> None:
    st.success(tr(f"{tried.period} 按 {tried.draft} 试算（原 {tried.stored}）：等次变化 {tried.grades_moved} 个，"
                  f"档次变化 {tried.tiers_moved} 个。",
                  f"{tried.period} under {tried.draft} (was {tried.stored}): {tried.grades_moved} grade(s) and "
                  f"{tried.tiers_moved} tier(s) move."))
    t = tried.table
    headers = {"new_rank": tr("试算排名", "Rank"), "code": tr("编码", "Code"), "name": tr("党组织", "Name"),
               "old_total": tr("原总分", "Was"), "new_total": tr("试算总分", "Now"),
               "old_grade": tr("原等次", "Grade was"), "new_grade": tr("试算等次", "Grade now"),
               "old_tier": tr("原档次", "Tier was"), "new_tier": tr("试算档次", "Tier now"),
               "old_rank": tr("原排名", "Rank was")}
    shown = pd.DataFrame({label: t[key] for key, label in headers.items()})
    grid(shown, key="whatif_table")
    data = xlsx(sheet_name=tr("方案试算", "What-if"), title=tried.draft, headers=list(headers.values()),
                rows=shown.itertuples(index=False))
    st.download_button(tr("下载对照表（.xlsx）", "Download the table (.xlsx)"), data=data,
                       file_name=f"方案试算-{tried.period}.xlsx", on_click="ignore", key="whatif_xlsx")

