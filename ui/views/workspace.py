"""支部工作台 — the branch workspace: targets and progress, ledgers with evidence, the self-assessment,
rectification notices and the branch's results. Everything is read and written through core.workspace."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from bastion.core import archive, evidence, periods, results, workspace
from bastion.core.access import Action, Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import Cycle
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.ui import context
from bastion.ui.appeals import branch_appeals
from bastion.ui.duties import duties_tab
from bastion.ui.members import branch_members
from bastion.ui.feedback import refused, show_flash, succeeded
from bastion.core.words import LATE, NOTICE_STATUS, STANDING_KIND, STANDING_MOVE, period_name, word
from bastion.ui.i18n import frozen, tr
from bastion.ui.late import late_choice
from bastion.ui.reviews import read as read_reviews, show_reviews
from bastion.ui.tables import grid, sheet
from sqlmodel import Session

TARGET_FROM = {"default": ("方案默认", "scheme default"), "category": ("类别目标", "category"),
               "branch": ("本支部调整", "this branch")}


# --- the branch --------------------------------------------------------------------------------


def pick_branch(who: Principal) -> dict | None:
    """The branch the workspace is about: the secretary's own, or one an administrator picks."""
    search = ""
    if who.may(Action.administer):
        search = st.sidebar.text_input(tr("查找支部（编码或名称）", "Find a branch (code or name)"), key="ws_search")
    with context.engine().connect() as conn:
        found = workspace.branches_in_scope(conn, who, search=search)
    if found.empty:
        st.info(tr("没有可操作的党支部。", "No branch within your organisations."))
        return None
    labels = {int(r.org_id): f"{r.code} {r.name}" for r in found.itertuples()}
    org_id = st.sidebar.selectbox(tr("党支部", "Branch"), list(labels), format_func=labels.__getitem__, key="ws_branch")
    row = found.set_index("org_id").loc[org_id]
    return {"id": int(org_id), "code": row["code"], "name": row["name"], "category": row["category"]}


# --- targets and progress ----------------------------------------------------------------------


def show_progress(who: Principal, cycle: Cycle, org: dict) -> None:
    with context.engine().connect() as conn:
        progress = workspace.read_progress(conn, who, cycle=cycle, org_id=org["id"], registry=context.registry())
    so_far = periods.year_to_date(cycle.year, date.today())
    st.caption(tr(f"按本单位的评分规则对 {so_far.label}（年初至本月）评分，得分率为已得分占该项分值的比例。"
                  "目标优先取本支部调整值，其次类别目标，再次方案默认值。",
                  f"{so_far.label} (January to this month) scored by the scheme's own rules; 'Reached' is the share "
                  "of the indicator's points earned so far. A target is this branch's own, else its category's, "
                  "else the scheme default."))
    table = pd.DataFrame({
        tr("指标", "Indicator"): progress["indicator_code"] + " " + progress["name"],
        tr("板块", "Block"): progress["block_name"],
        tr("分值", "Points"): progress["points"],
        tr("目标", "Target"): pd.to_numeric(progress["target"]),
        tr("目标来源", "Target from"): progress["target_from"].map(lambda k: word(TARGET_FROM, k)),
        tr("实际", "Measured"): pd.to_numeric(progress["measured"]),
        tr("至本月目标", "Goal so far"): pd.to_numeric(progress["goal"]),
        tr("得分率", "Reached"): pd.to_numeric(progress["share"]) * 100,
        tr("说明", "Detail"): progress["detail"],
    })
    grid(table, long_text=[tr("说明", "Detail")], column_config={
        tr("得分率", "Reached"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%")})


# --- ledgers and evidence ----------------------------------------------------------------------


def _default_day(cycle: Cycle) -> date:
    today = date.today()
    return min(max(today, date(cycle.year, 1, 1)), date(cycle.year, 12, 31))


def ledger_form(who: Principal, cycle: Cycle, org: dict) -> None:
    with context.engine().connect() as conn:
        types = workspace.ledger_types(conn, who.tenant_id, context.registry())
    if not types:
        st.info(tr("本单位启用的插件没有提供台账类型。", "The enabled plugins contribute no ledger type."))
        return
    labels = {c: kind.label for c, kind in types.items()}  # format_func must not read the locale itself
    code = st.selectbox(tr("台账类型", "Ledger type"), list(types), format_func=labels.__getitem__, key="ws_ledger_type")
    kind = types[code]
    if kind.description:
        st.caption(kind.description)
    # The date outside the form: a late one (its period closed) asks, in the form, where the entry goes.
    day = st.date_input(tr("日期", "Date"), value=_default_day(cycle), min_value=date(cycle.year, 1, 1),
                        max_value=date(cycle.year, 12, 31), key="ws_ledger_day")
    with st.form("ws_ledger", clear_on_submit=True):
        late = late_choice(who, cycle, day, key="ws_ledger_late")
        quantity = None
        if kind.quantity_required:
            quantity = st.number_input(tr(f"数量（{kind.unit}）", f"Quantity ({kind.unit})"), min_value=0.0,
                                       value=None, step=1.0, key="ws_ledger_quantity")
        title = st.text_input(tr("标题", "Title"), key="ws_ledger_title")
        note = st.text_area(tr("备注", "Note"), key="ws_ledger_note")
        files = st.file_uploader(tr("佐证材料", "Evidence files"), accept_multiple_files=True,
                                 type=sorted(s.lstrip(".") for s in evidence.ALLOWED_SUFFIXES), key="ws_ledger_files")
        submitted = st.form_submit_button(tr("保存台账", "Save the entry"), type="primary")
    if submitted:
        try:
            with transaction(context.engine()) as session:
                entry = workspace.record_entry(session, who, cycle=cycle, org_id=org["id"], ledger_type=code, day=day,
                                               title=title, quantity=quantity, note=note, registry=context.registry(),
                                               late=late)
                for upload in files or []:
                    workspace.attach_evidence(session, who, entry_id=entry.id, filename=upload.name,
                                              data=upload.getvalue(), home=context.settings().home)
        except BastionError as exc:
            refused(exc)
            return
        booked = (tr(f"（迟到：原日期 {entry.late_date}，{word(LATE, late)}，记在 {entry.date}）",
                     f" (late: dated {entry.late_date}, {word(LATE, late)}, booked on {entry.date})")
                  if entry.late_date is not None else "")
        succeeded(tr(f"已记录台账「{entry.title}」{booked}，佐证材料 {len(files or [])} 份。",
                  f"Recorded “{entry.title}”{booked} with {len(files or [])} evidence file(s)."))


def ledger_list(who: Principal, cycle: Cycle, org: dict) -> None:
    with context.engine().connect() as conn:
        entries = workspace.read_entries(conn, who, cycle=cycle, org_id=org["id"])
        files = workspace.read_evidence(conn, who, org_id=org["id"], entry_ids=entries["id"].tolist())
        types = workspace.ledger_types(conn, who.tenant_id, context.registry())
    if entries.empty:
        st.info(tr("本年度还没有台账。", "No ledger entries in this cycle yet."))
        return
    counts = files.groupby("ledger_entry_id").size()
    grid(pd.DataFrame({
        tr("日期", "Date"): entries["date"],
        tr("迟到，原日期", "Late, dated"): entries["late_date"],
        tr("类型", "Type"): entries["type"].map(lambda c: types[c].label if c in types else c),
        tr("标题", "Title"): entries["title"],
        tr("数量", "Quantity"): entries["quantity"],
        tr("佐证", "Evidence"): entries["id"].map(counts).fillna(0).astype(int),
        tr("记录人", "Recorded by"): entries["recorded_by"],
        tr("备注", "Note"): entries["note"],
    }), long_text=[tr("备注", "Note")])
    labels = {int(r.id): f"{r.date} {r.title}" for r in entries.itertuples()}
    entry_id = st.selectbox(tr("查看或补充佐证材料", "Evidence of an entry"), list(labels),
                            format_func=labels.__getitem__, key="ws_evidence_entry")
    evidence_of(who, entry_id, files[files["ledger_entry_id"] == entry_id])


def evidence_of(who: Principal, entry_id: int, files: pd.DataFrame) -> None:
    with Session(context.engine()) as session:
        for row in files.itertuples():
            name, data = workspace.evidence_file(session, who, int(row.id))
            st.download_button(f"⬇ {name}", data=data, file_name=name, key=f"ws_download_{row.id}", on_click="ignore")
    with st.form(f"ws_more_evidence_{entry_id}", clear_on_submit=True):
        more = st.file_uploader(tr("补充佐证材料", "Add evidence"), accept_multiple_files=True,
                                type=sorted(s.lstrip(".") for s in evidence.ALLOWED_SUFFIXES),
                                key=f"ws_more_files_{entry_id}")
        added = st.form_submit_button(tr("上传", "Upload"))
    if added and more:
        try:
            with transaction(context.engine()) as session:
                for upload in more:
                    workspace.attach_evidence(session, who, entry_id=entry_id, filename=upload.name,
                                              data=upload.getvalue(), home=context.settings().home)
        except BastionError as exc:
            refused(exc)
            return
        succeeded(tr(f"已上传 {len(more)} 份佐证材料。", f"Uploaded {len(more)} file(s)."))


# --- the self-assessment ---------------------------------------------------------------------


def self_assessment(who: Principal, cycle: Cycle, org: dict) -> None:
    keys = periods.cycle_periods(cycle)
    current = periods.current_period(cycle)
    labels = {k: period_name(k) for k in keys}
    period = st.selectbox(tr("考核期", "Period"), keys, index=keys.index(current), format_func=labels.__getitem__,
                          key="ws_self_period")
    with Session(context.engine()) as session:
        found = workspace.read_self_assessment(session, who, cycle=cycle, period=period, org_id=org["id"])
        counted = dict(workspace.self_indicators(session.connection(), cycle, context.registry()))
    writable = who.may(Action.self_assess) and (found is None or found.editable)
    if found is not None:
        st.caption(tr(f"{found.rater} 填写，记为 {found.day} 的自评。", f"By {found.rater}, dated {found.day}."))
    if not who.may(Action.self_assess):
        st.info(tr("自评由支部书记填写；此处只读。", "The branch secretary writes the self-assessment; read-only here."))
    elif found is not None and not found.editable:
        st.info(tr("该考核期结果已进入审核或已发布，自评不可再修改。",
                   "This period's results are under review or published: the self-assessment is closed."))
    if not writable:
        if found is None:
            st.write(tr("尚未填写。", "Not written."))
        else:
            st.metric(tr("总体自评", "Overall"), "—" if found.overall is None else f"{found.overall:g}")
            if found.indicators:
                grid(pd.Series(found.indicators, name=tr("自评分", "Score")), hide_index=False)
            st.write(found.note)
        return
    self_form(who, cycle, org, period, found, counted)


def self_form(who, cycle: Cycle, org: dict, period: str, found, counted: dict[str, str]) -> None:
    from bastion.core.cycles import cycle_scheme

    indicators = [(s.code, s.name) for s in cycle_scheme(cycle).indicators() if s.kind not in ("veto",)]
    with st.form(f"ws_self_{period}"):
        overall = st.number_input(tr("总体自评（0–100）", "Overall (0–100)"), min_value=0.0, max_value=100.0,
                                  value=None if found is None else found.overall, step=0.5, key=f"ws_self_overall_{period}")
        scores = {}
        with st.expander(tr("按指标自评（可选）", "Per indicator (optional)")):
            st.caption(tr("计入评分的指标：", "Counted by the scheme's rules: ") + ("、".join(counted) or tr("无", "none")))
            for code, name in indicators:
                scores[code] = st.number_input(f"{code} {name}", min_value=0.0, max_value=100.0, step=0.5,
                                               value=None if found is None else found.indicators.get(code),
                                               key=f"ws_self_{period}_{code}")
        note = st.text_area(tr("自评说明", "Note"), value="" if found is None else found.note,
                            key=f"ws_self_note_{period}")
        saved = st.form_submit_button(tr("保存自评", "Save the self-assessment"), type="primary")
    if saved:
        try:
            with transaction(context.engine()) as session:
                workspace.write_self_assessment(session, who, cycle=cycle, period=period, org_id=org["id"],
                                                overall=overall, indicators=scores, note=note)
        except BastionError as exc:
            refused(exc)
            return
        succeeded(tr(f"已保存{period_name(period)}自评。", f"Self-assessment for {period_name(period)} saved."))


# --- rectification notices -----------------------------------------------------------------------


def notices(who: Principal, org: dict) -> None:
    if not who.may(Action.answer_notice):
        return
    with context.engine().connect() as conn:
        found = rectification_queries.read_notices(conn, who, org_id=org["id"])
    if found.empty:
        st.info(tr("本支部没有整改通知。", "No rectification notices for this branch."))
        return
    answerable = set(rectification_service.AWAITING_ANSWER)
    for row in found[found["status"].isin(answerable)].itertuples():
        with st.expander(f"{row.notice_no} · {word(NOTICE_STATUS, row.status)} · "
                         f"{tr('期限', 'due')} {row.deadline}", expanded=True):
            st.write(row.problem)
            if row.requirement:
                st.caption(row.requirement)
            if row.verification_note:
                st.caption(tr("复验意见：", "Re-verification: ") + row.verification_note)
            with st.form(f"ws_notice_{row.notice_no}"):
                response = st.text_area(tr("整改情况", "What was rectified"), key=f"ws_response_{row.notice_no}")
                sent = st.form_submit_button(tr("提交反馈", "Send the answer"), type="primary")
            if sent:
                try:
                    with transaction(context.engine()) as session:
                        rectification_service.answer_notice(session, who, notice_no=row.notice_no, response=response)
                except BastionError as exc:
                    refused(exc)
                    continue
                succeeded(tr(f"已反馈整改通知 {row.notice_no}。", f"Answered notice {row.notice_no}."))
    closed = found[~found["status"].isin(answerable)]
    if not closed.empty:
        grid(pd.DataFrame({
            tr("通知书编号", "Notice"): closed["notice_no"], tr("问题", "Problem"): closed["problem"],
            tr("状态", "Status"): closed["status"].map(lambda s: word(NOTICE_STATUS, s)),
            tr("整改情况", "Answer"): closed["response"], tr("复验意见", "Re-verification"): closed["verification_note"],
        }), long_text=[tr("问题", "Problem"), tr("整改情况", "Answer")])


# --- results -------------------------------------------------------------------------------------


def branch_results(who: Principal, org: dict) -> None:
    with context.engine().connect() as conn:
        history = results.read_history(conn, who.tenant_id, org_id=org["id"], viewer=who)
    if history.empty:
        st.info(tr("还没有已发布的考核结果。", "No published results yet."))
        return
    # A predecessor's result (机构调整: merged into this branch, or split with it as heir) is named as its own.
    keys = [f"{r.year}|{r.period}|{r.code}" for r in history.itertuples()][::-1]
    labels = {f"{r.year}|{r.period}|{r.code}": period_name(r.period) + (f"（{r.code} {r.name}）" if r.inherited else "")
              for r in history.itertuples()}
    chosen = st.selectbox(tr("考核期", "Period"), keys, key="ws_result_period", format_func=frozen(labels.get, keys))
    row = history.iloc[len(history) - 1 - keys.index(chosen)]
    if row["inherited"]:
        st.caption(tr(f"此为前身组织 {row['code']} {row['name']} 的考核结果（机构调整前）。",
                      f"A result of {row['code']} {row['name']}, a predecessor of this branch (before the "
                      "restructuring)."))
    columns = st.columns(4)
    columns[0].metric(tr("总分", "Total"), f"{row['total']:.2f}")
    columns[1].metric(tr("排名", "Rank"), f"{int(row['rank'])}/{int(row['branches'])}")
    columns[2].metric(tr("等次", "Grade"), results.grade_label(row["grade"]))
    columns[3].metric(tr("档次", "Tier"), row["tier"])
    if row["status"] != "published":
        st.caption(tr("草稿结果，尚未发布。", "A draft, not yet published."))
    with Session(context.engine()) as session:
        cycle = session.get(Cycle, int(row["cycle_id"]))
    with context.engine().connect() as conn:
        explained = results.explain(conn, cycle=cycle, period=row["period"], org_code=row["code"], viewer=who)
    st.caption(results.score_statement(explained.evaluation))
    if explained.evaluation["veto_reasons"]:
        st.error(tr("一票否决：", "Vetoed: ") + "；".join(explained.evaluation["veto_reasons"]))
    for bar in explained.evaluation.get("bars", []):
        st.warning(tr(f"不可评先进：{bar}", f"Not eligible for advanced (先进): {bar}"))
    lines = pd.DataFrame(explained.lines)
    sheet(pd.DataFrame({
        tr("指标", "Indicator"): lines["indicator_code"] + " " + lines["name"],
        tr("得分", "Points"): lines["points"], tr("满分", "Of"): lines["max_points"],
        tr("实际", "Measured"): lines["value"], tr("目标", "Target"): lines["target"],
        tr("说明", "Reason"): lines["reason"],
    }))
    if not row["inherited"]:
        st.subheader(tr("领导点评", "Leaders' reviews"))
        show_reviews(read_reviews(who, cycle, None, org["id"]),
                     empty=tr(f"{cycle.year} 年度还没有对本支部的点评。", f"No review of this branch in {cycle.year} yet."))
        if row["status"] == "published":
            branch_appeals(who, cycle, org, row["period"], lines)
    archive_download(who, cycle, org)
    history_chart(history)


def archive_download(who: Principal, cycle: Cycle, org: dict) -> None:
    """The year's archive (考核档案: every period, the lines, findings, notices, reviews, awards), made when asked."""
    made = st.session_state.get("ws_archive_made")
    if made and made[0] == (cycle.id, org["id"]):
        st.download_button(tr(f"下载 {cycle.year} 年度考核档案（.docx）", f"Download the {cycle.year} archive (.docx)"),
                           data=made[1], file_name=f"{org['code']}-{cycle.year}考核档案.docx", on_click="ignore",
                           key="ws_archive")
    elif st.button(tr(f"生成 {cycle.year} 年度考核档案", f"Make the {cycle.year} archive"), key="ws_archive_make"):
        with context.engine().connect() as conn:
            data = archive.branch_archive(conn, who, cycle=cycle, org_code=org["code"], today=date.today())
        st.session_state["ws_archive_made"] = ((cycle.id, org["id"]), data)
        st.rerun()


def history_chart(history: pd.DataFrame) -> None:
    st.subheader(tr("历次考核", "History"))
    data = history.assign(order=range(len(history)), label=history["period"].map(period_name),
                          org=history["code"] + " " + history["name"])
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
        x=alt.X("label:N", sort=list(dict.fromkeys(data["label"])), title=tr("考核期", "Period"),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("total:Q", title=tr("总分", "Total"), scale=alt.Scale(zero=False)),
        order=alt.Order("order:Q"),
        # one line per organisation: the branch's own, and its predecessors' before a merge or split
        color=alt.Color("org:N", title=tr("党组织", "Organisation"),
                        legend=alt.Legend(orient="bottom") if data["inherited"].any() else None),
        tooltip=[alt.Tooltip("org:N", title=tr("党组织", "Organisation")),
                 alt.Tooltip("label:N", title=tr("考核期", "Period")), alt.Tooltip("total:Q", title=tr("总分", "Total")),
                 alt.Tooltip("rank:Q", title=tr("排名", "Rank")), alt.Tooltip("grade:N", title=tr("等次", "Grade")),
                 alt.Tooltip("tier:N", title=tr("档次", "Tier"))],
    )
    st.altair_chart(chart, width="stretch")


# --- the standing (分类定级、提档升级) ---------------------------------------------------------------


def branch_standing(who: Principal, org: dict, found: workspace.BranchStanding) -> None:
    """The branch's standing now and every step of it: when, from what to what, why."""
    name = found.name
    now = found.current
    columns = st.columns(2)
    columns[0].metric(tr(f"当前{name}", "Standing now"), tr("未定级", "none yet") if now is None else now["standing"])
    if now is None:
        st.info(tr(f"本支部还没有{name}：年度考核结果发布时首次定级。",
                   "This branch holds no standing yet: it is first graded when the year's results are published."))
        return
    columns[1].metric(tr("起始日期", "Since"), str(periods.day_of(now["since"].to_pydatetime())))
    st.caption(now["reason"])
    st.caption(tr(f"{name}序列：", "Ladder: ") + " › ".join(found.ladder))
    history = found.history.iloc[::-1]  # the latest first
    st.subheader(tr(f"{name}记录", "History"))
    grid(pd.DataFrame({
        tr("日期", "Date"): history["since"].map(lambda m: str(periods.day_of(m.to_pydatetime()))),
        tr(name, "Standing"): history["standing"],
        tr(f"原{name}", "From"): history["previous"],
        tr("来由", "By"): history["kind"].map(lambda k: word(STANDING_KIND, k)),
        tr("升降", "Move"): history["move"].map(lambda m: word(STANDING_MOVE, m)),
        tr("考核期", "Period"): history["period"].map(lambda p: period_name(p) if p else ""),
        tr("状态", "Status"): history["superseded"].map(lambda v: tr("已被更正", "superseded") if v else ""),
        tr("理由", "Reason"): history["reason"],
    }), key="ws_standing_history", long_text=[tr("理由", "Reason")])


# --- the page --------------------------------------------------------------------------------------


def render() -> None:
    who = context.signed_in()
    st.title(tr("支部工作台", "Branch workspace"))
    show_flash()
    cycle = context.pick_cycle(who)
    if cycle is None:
        return
    org = pick_branch(who)
    if org is None:
        return
    st.subheader(f"{org['code']} {org['name']} · {cycle.name}")
    with context.engine().connect() as conn:
        standing = workspace.read_standing(conn, who, org_id=org["id"])
    names = [tr("目标与进度", "Targets"), tr("台账", "Ledgers"), tr("自评", "Self-assessment"),
             tr("整改", "Rectification"), tr("考核结果", "Results")]
    if standing is not None:  # the tenant's scheme grades standings (星级)
        names.append(tr(standing.name, "Standing"))
    names += [tr("党员", "Members"), tr("职责与清单", "Duties and list")]
    tabs = st.tabs(names, key="ws_tabs", on_change="rerun")  # kept by the server: the same tab after a save's rerun
    def ledgers() -> None:
        ledger_form(who, cycle, org)
        ledger_list(who, cycle, org)

    shows = [lambda: show_progress(who, cycle, org), ledgers, lambda: self_assessment(who, cycle, org),
             lambda: notices(who, org), lambda: branch_results(who, org)]
    if standing is not None:
        shows.append(lambda: branch_standing(who, org, standing))
    shows += [lambda: branch_members(who, org["code"], org["id"]), lambda: duties_tab(who, cycle, org)]
    for tab, show in zip(tabs, shows, strict=True):
        if tab.open:  # only the tab in view runs: a rerun does the work of one
            with tab:
                show()


render()
