"""申诉与更正 on the pages: the branch lodges an appeal on a line of its published result (the workspace); the office
decides the appeals and corrects a point, old → new shown before the click (系统管理 › 申诉与更正). Every rule is
``core.appeals``'s and ``core.corrections``'s; the pages only ask and show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bastion.core import appeals, evidence
from bastion.core.access import Action, Principal
from bastion.core.corrections import correct_points, correctable_lines, read_corrections
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import Cycle, utcnow
from bastion.core.periods import Period, day_of
from bastion.core.results import explain, read_results, result_periods
from bastion.core.words import APPEAL_STATUS, period_name, word
from bastion.ui import context
from bastion.ui.feedback import refused, succeeded
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid


def _appeal_table(found: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        tr("编号", "No."): found["id"], tr("考核期", "Period"): found["period"].map(period_name),
        tr("党组织", "Organisation"): found["code"] + " " + found["name"],
        tr("指标", "Indicator"): found["indicator_code"] + " " + found["indicator"].fillna(""),
        tr("原得分", "Points"): found["points_then"], tr("更正后", "Corrected"): found["points_after"],
        tr("状态", "Status"): found["status"].map(lambda s: word(APPEAL_STATUS, s)),
        tr("申诉理由", "Reason"): found["reason"], tr("办理意见", "Decision"): found["decision"],
        tr("办理人", "Decided by"): found["decided_by"]})


def _line_label(lines: pd.DataFrame):
    named = {r.indicator_code: f"{r.indicator_code} {r.name}（{r.points:g}/{r.max_points:g} 分）"
             for r in lines.itertuples()}
    return frozen(named.get, list(named))


# --- the branch: its appeals ------------------------------------------------------------------------


def branch_appeals(who: Principal, cycle: Cycle, org: dict, period: str, lines: pd.DataFrame) -> None:
    """The branch's appeals of the cycle, and — within the window of ``period``'s publication — the form to lodge
    one on a line of its result."""
    st.subheader(tr("申诉", "Appeals"))
    with context.engine().connect() as conn:
        mine = appeals.read_appeals(conn, who, cycle_id=cycle.id, org_id=org["id"])
        window = appeals.window(conn, cycle, Period.parse(period))
    if mine.empty:
        st.caption(tr("本年度没有申诉。", "No appeal this year."))
    else:
        grid(_appeal_table(mine), key="ws_appeals", long_text=[tr("申诉理由", "Reason"), tr("办理意见", "Decision")])
    if not who.may(Action.appeal) or window is None:
        return
    today = day_of(utcnow())
    if not window.open_on(today):
        st.caption(tr(f"{period_name(period)}考核结果于 {window.published} 发布，申诉期至 {window.closes}，已过申诉期。",
                      f"{period} was published on {window.published}; appeals closed on {window.closes}."))
        return
    appealed = set(mine.loc[mine["period"] == period, "indicator_code"])
    open_lines = correctable_lines(lines)
    open_lines = open_lines[~open_lines["indicator_code"].isin(appealed)]
    if open_lines.empty:
        return
    st.caption(tr(f"对本期得分有异议的，可在 {window.closes} 前（含当日）就一项指标提出申诉，每项指标只能申诉一次。",
                  f"Appeal a line of this result until {window.closes} (inclusive); each line once."))
    codes = open_lines["indicator_code"].tolist()
    with st.form("appeal_form"):
        indicator = st.selectbox(tr("申诉的指标", "Indicator appealed"), codes, format_func=_line_label(open_lines),
                                 key="appeal_indicator")
        reason = st.text_area(tr("申诉理由", "Reason"), key="appeal_reason", height=90)
        files = st.file_uploader(tr("佐证材料（可多个）", "Evidence (one or more files)"), accept_multiple_files=True,
                                 type=sorted(s.lstrip(".") for s in evidence.ALLOWED_SUFFIXES), key="appeal_files")
        sent = st.form_submit_button(tr("提交申诉", "Lodge the appeal"), type="primary")
    if not sent:
        return
    try:
        with transaction(context.engine()) as session:
            lodged = appeals.lodge(session, who, cycle=cycle, period=period, org_code=org["code"],
                                   indicator_code=indicator, reason=reason,
                                   files=[(f.name, f.getvalue()) for f in files or []], home=context.settings().home)
            number = lodged.id
    except BastionError as exc:
        refused(exc)
        return
    st.session_state.pop("appeal_reason", None)
    succeeded(tr(f"已提交第 {number} 号申诉，待考核办办理。", f"Appeal {number} is lodged for the office to decide."))


# --- the office: decide appeals, correct points ---------------------------------------------------


def office_tab(who: Principal) -> None:
    found = context.tenant_cycles(who)  # a box of its own: the calendar's tab has the sidebar's
    if not found:
        st.info(tr("尚未开启考核年度。", "No assessment cycle has been opened yet."))
        return
    with context.engine().connect() as conn:  # the latest with results, as the sidebar's box starts
        start = next((n for n, c in enumerate(found) if result_periods(conn, c.id)), 0)
    cycle = st.selectbox(tr("考核年度", "Cycle"), found, index=start, format_func=lambda c: c.name, key="office_cycle")
    with context.engine().connect() as conn:
        found = appeals.read_appeals(conn, who, cycle_id=cycle.id)
    st.subheader(tr("待办理的申诉", "Appeals to decide"))
    lodged = found[found["status"] == "lodged"]
    if lodged.empty:
        st.caption(tr("没有待办理的申诉。", "No appeal awaits a decision."))
    for row in lodged.iloc[::-1].itertuples():  # the oldest first: they wait longest
        decide_form(who, row)
    decided = found[found["status"] != "lodged"]
    if not decided.empty:
        st.subheader(tr("已办理的申诉", "Appeals decided"))
        grid(_appeal_table(decided), key="office_decided", long_text=[tr("申诉理由", "Reason"), tr("办理意见", "Decision")])
    st.subheader(tr("更正考核结果", "Correct a result"))
    correction_form(who, cycle)
    st.subheader(tr("更正记录", "Corrections made"))
    with context.engine().connect() as conn:
        made = read_corrections(conn, who, cycle_id=cycle.id)
    if made.empty:
        st.caption(tr("本年度没有更正。", "No correction this year."))
        return
    grid(pd.DataFrame({
        tr("时间", "When"): made["at"].map(lambda t: f"{t:%Y-%m-%d %H:%M}"), tr("更正人", "By"): made["actor"],
        tr("考核期", "Period"): made["period"].map(period_name), tr("党组织", "Organisation"): made["code"] + " " + made["name"],
        tr("指标", "Indicator"): made["indicator"],
        tr("原得分 → 更正后", "Old → new"): [f"{o:g} → {n:g}" for o, n in zip(made["old_points"], made["new_points"],
                                                                          strict=True)],
        tr("理由", "Reason"): made["reason"], tr("变动结果数", "Results moved"): made["results_changed"]}),
        key="office_corrections", long_text=[tr("理由", "Reason")])


def decide_form(who: Principal, row) -> None:
    title = (f"{tr('第', 'No. ')}{row.id}{tr(' 号', '')} · {row.code} {row.name} · {period_name(row.period)} · "
             f"{row.indicator_code} {row.indicator or ''}（{row.points_then:g}/{row.max_points:g}）")
    with st.expander(title, expanded=True):
        st.markdown(f"{tr('申诉理由', 'Reason')}{tr('：', ': ')}{row.reason}")
        st.caption(f"{tr('申诉人', 'By')} {row.lodged_by} · {row.lodged_at:%Y-%m-%d %H:%M}")
        with context.engine().connect() as conn:
            files = appeals.evidence_of(conn, who, int(row.id))
        for file in files:
            st.download_button(f"⬇ {file.filename}", data=evidence.read_bytes(file), file_name=file.filename,
                               key=f"appeal_file_{file.id}", on_click="ignore")
        accept = st.radio(tr("办理结果", "Decision"), [True, False], horizontal=True, key=f"appeal_{row.id}_accept",
                          format_func=lambda a: tr("申诉成立，更正得分", "Accept: correct the points") if a
                          else tr("不予支持", "Reject"))
        points = None
        if accept:
            points = st.number_input(tr("更正后的得分", "Corrected points"), min_value=0.0,
                                     max_value=float(row.max_points), value=float(row.max_points), step=0.5,
                                     key=f"appeal_{row.id}_points")
            st.markdown(tr(f"**{row.indicator_code}：{row.points_then:g} → {points:g} 分**；排名、档次、奖惩和通报随之更新。",
                           f"**{row.indicator_code}: {row.points_then:g} → {points:g}**; ranks, tiers, awards and "
                           "the bulletin follow."))
        reason = st.text_area(tr("办理意见", "Reason"), key=f"appeal_{row.id}_reason", height=70)
        if st.button(tr("办理", "Decide"), type="primary", key=f"appeal_{row.id}_decide"):
            try:
                done = appeals.decide(context.engine(), who, appeal_id=int(row.id), accept=accept, reason=reason,
                                      points=points, registry=context.registry(), home=context.settings().home)
            except BastionError as exc:
                refused(exc)
                return
            st.cache_data.clear()  # the dashboard's figures follow the correction
            succeeded(tr(f"第 {row.id} 号申诉：不予支持。", f"Appeal {row.id}: rejected.") if done.correction is None
                      else _moved(tr(f"第 {row.id} 号申诉成立：", f"Appeal {row.id} accepted: "), done.correction))


def _moved(head: str, fixed) -> str:
    said = head + tr(f"{fixed.org_code} {fixed.indicator_code} {fixed.old_points:g} → {fixed.new_points:g} 分，"
                     f"{len(fixed.changed)} 个结果随之变化",
                     f"{fixed.org_code} {fixed.indicator_code} {fixed.old_points:g} → {fixed.new_points:g}; "
                     f"{len(fixed.changed)} result(s) moved")
    if fixed.bulletin_version is not None:
        said += tr(f"；通报已重新印发（第 {fixed.bulletin_version} 版）", f"; the bulletin is re-issued (version "
                   f"{fixed.bulletin_version})")
    return said + tr("。", ".")


def correction_form(who: Principal, cycle: Cycle) -> None:
    """A correction: the period, the branch, the line — its points and reason now — the new points, the reason;
    old → new shown before the click."""
    with context.engine().connect() as conn:
        keys = result_periods(conn, cycle.id)
    if not keys:
        st.caption(tr("本年度还没有考核结果。", "No results this cycle."))
        return
    left, middle = st.columns(2)
    period = left.selectbox(tr("考核期", "Period"), keys, format_func=frozen(period_name, keys), key="fix_period")
    with context.engine().connect() as conn:
        results = read_results(conn, cycle.id, period)
    results = results.sort_values("code")
    names = dict(zip(results["code"], results["name"], strict=True))
    code = middle.selectbox(tr("党支部", "Branch"), list(names), format_func=frozen(lambda c: f"{c} {names[c]}", list(names)),
                            key="fix_org")
    if code is None:
        return
    try:
        with context.engine().connect() as conn:
            lines = pd.DataFrame(explain(conn, cycle=cycle, period=period, org_code=code, viewer=who).lines)
    except BastionError as exc:
        st.error(str(exc))
        return
    lines = correctable_lines(lines)
    codes = lines["indicator_code"].tolist()
    indicator = st.selectbox(tr("指标", "Indicator"), codes, format_func=_line_label(lines), key="fix_indicator")
    line = lines.set_index("indicator_code").loc[indicator]
    st.caption(tr("现计分说明：", "Now: ") + str(line["reason"]))
    points = st.number_input(tr("更正后的得分", "Corrected points"), min_value=0.0, max_value=float(line["max_points"]),
                             value=float(line["points"]), step=0.5, key=f"fix_points_{period}_{code}_{indicator}")
    reason = st.text_area(tr("更正理由", "Reason"), key="fix_reason", height=70)
    st.markdown(tr(f"**{code} {indicator}：{line['points']:g} → {points:g} 分**", f"**{code} {indicator}: "
                   f"{line['points']:g} → {points:g}**"))
    if st.button(tr("更正", "Correct"), type="primary", key="fix_apply"):
        try:
            done = correct_points(context.engine(), who, cycle=cycle, period=period, org_code=code,
                                  indicator_code=indicator, points=points, reason=reason, registry=context.registry(),
                                  home=context.settings().home)
        except BastionError as exc:
            refused(exc)
            return
        st.session_state.pop("fix_reason", None)
        st.cache_data.clear()
        succeeded(_moved(tr("已更正：", "Corrected: "), done))
