"""领导驾驶舱 — the leaders' dashboard.

The drill-down (committee → general branch → branch) picks the node every figure is narrowed to;
a branch shows its explanation instead of the overview. All figures come from ``core.dashboard``
through the cached wrappers of :mod:`bastion.ui.dashboard_data`.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st
from bastion.core.access import Action, Principal
from bastion.core.cycles import cycle_scheme
from bastion.core.dashboard import HEATMAP_ROWS, PAGE_SIZE, Node
from bastion.core.engine import assessed_in
from bastion.core.periods import Period
from bastion.core.results import evidence_rows, grade_label, score_statement
from bastion.core.errors import BastionError
from bastion.core.models import Cycle, OrgLevel
from bastion.core.words import EVIDENCE_KIND, LEVEL, period_name, word
from bastion.ui import context
from bastion.ui import dashboard_data as data
from bastion.ui.charts import bar, heatmap_chart, trend_chart
from bastion.ui.feedback import show_flash
from bastion.ui.i18n import frozen, tr
from bastion.ui.publication import awaiting, confirm_section
from bastion.ui.reviews import review_section
from bastion.ui.tables import grid, sheet

CHOICES = 200  # a drill-down level with more organisations than this is searched first

def _level(level: str) -> str:
    return word(LEVEL, level) or tr("党组织", "Organisation")


def ranking_headers(standing: str | None = None) -> dict[str, str]:
    """The ranking's columns and their headers; ``standing``: what the scheme calls its standings (星级), shown
    after the tier where it grades them."""
    headers = {"rank": tr("排名", "Rank"), "code": tr("编码", "Code"), "name": tr("党组织", "Organisation"),
               "parent": tr("上级党组织", "Parent"), "total": tr("总分", "Total"), "rate": tr("得分率（%）", "Rate (%)"),
               "grade": tr("等次", "Grade"), "tier": tr("档次", "Tier")}
    if standing:
        headers["standing"] = tr(standing, "Standing")
    return {**headers, "vetoes": tr("一票否决事项", "Vetoes")}


def standing_name(cycle: Cycle) -> str | None:
    """What the cycle's scheme calls its standings (星级), None where it grades none."""
    rule = cycle_scheme(cycle).standings
    return None if rule is None else rule.name


# --- drill-down --------------------------------------------------------------------------------


def _naming(names: dict[int, str]):
    return frozen(lambda org_id: tr("全部", "All") if org_id is None else names[org_id], [None, *names])


def drill(who: Principal) -> Node | None:
    """The chosen node, one select box per level; None: all the principal's roots (several grants).

    A level's box keeps its key when the level above changes; its choice, not among the new options,
    falls back to "all".
    """
    key = data.key(who)
    roots = data.drill_roots(who, key)
    current = roots[0] if len(roots) == 1 else None
    depth = 0
    columns = st.columns(3)
    while current is None or current.level != OrgLevel.branch.value:
        column = columns[min(depth, 2)]
        org_id = None if current is None else current.id
        search = ""
        first = data.children(who, key, org_id, "", CHOICES)
        if first.total == 0:
            break
        label = _level(first.rows["level"].iloc[0])
        if first.total > CHOICES:
            search = column.text_input(tr(f"搜索{label}（名称或编码）", f"Search {label.lower()} (name or code)"),
                                       key=f"drill_search_{org_id}")
        page = data.children(who, key, org_id, search, CHOICES) if search else first
        names = {int(r.id): f"{r.name}（{r.code}）" for r in page.rows.itertuples()}
        choice = column.selectbox(label, [None, *names], format_func=_naming(names), key=f"drill_{depth}")
        if page.total > len(names):
            column.caption(tr(f"显示前 {len(names)} 个，共 {page.total} 个", f"First {len(names)} of {page.total}"))
        if choice is None:
            break
        current = data.node(who, key, choice)
        depth += 1
    return current


# --- overview ----------------------------------------------------------------------------------


def headline(who: Principal, cycle: Cycle, period: str, under: int | None) -> None:
    scheme = cycle_scheme(cycle)
    head = data.headline(who, data.key(who), cycle.id, period, scheme.veto_grade, under, date.today())
    columns = st.columns(6)
    columns[0].metric(tr("参评党支部", "Branches"), head.branches)
    columns[1].metric(tr("平均分", "Average"), "—" if head.average is None else f"{head.average:.2f}")
    if assessed_in(scheme.graded, Period.parse(period)):
        columns[2].metric(tr("可评先进", "Advanced"), head.advanced)
    else:  # nobody is graded, so nobody is advanced-eligible: a 0 here would read as a verdict
        columns[2].metric(tr("可评先进", "Advanced"), "—", help=tr("本期不评定等次，不评先进",
                                                                    "This period is not graded: no advanced branches"))
    columns[3].metric(tr("不合格", "Unqualified"), head.unqualified)
    columns[4].metric(tr("整改中", "Open notices"), head.open_notices)
    columns[5].metric(tr("逾期整改", "Overdue"), head.overdue_notices)


def ranking(who: Principal, cycle: Cycle, period: str, under: int | None) -> None:
    levels = [OrgLevel.branch.value, *(rule.level for rule in cycle_scheme(cycle).levels)]
    level = OrgLevel.branch.value
    if len(levels) > 1:  # the scheme assesses the levels above the branch too (一级考一级): each ranks on its own
        level = st.segmented_control(tr("层级", "Level"), levels, default=OrgLevel.branch.value, key="ranking_level",
                                     format_func=frozen(lambda v: word(LEVEL, v), levels)) or OrgLevel.branch.value
    search = st.text_input(tr("按名称或编码搜索", "Search by name or code"), key="ranking_search")
    key = data.key(who)
    total = data.ranking(who, key, cycle.id, period, search, under, 1, 0, level).total
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = st.pagination(pages, key="ranking_page") if pages > 1 else 1
    number = min(number, pages)
    page = data.ranking(who, key, cycle.id, period, search, under, PAGE_SIZE, (number - 1) * PAGE_SIZE, level)
    headers = ranking_headers(standing_name(cycle) if "standing" in page.rows else None)
    grid(page.rows[list(headers)].rename(columns=headers), key="ranking_table", long_text=[headers["vetoes"]])
    st.caption(tr(f"共 {page.total} 个，第 {number}/{pages} 页", f"{page.total} in all, page {number} of {pages}"))
    st.download_button(tr("下载排名表（.xlsx）", "Download the ranking (.xlsx)"),
                       data.ranking_xlsx(who, cycle_id=cycle.id, period=period, search=search, under=under,
                                         headers=headers, level=level),
                       file_name=f"ranking-{period}{'' if level == OrgLevel.branch.value else '-' + level}.xlsx", key="ranking_xlsx", on_click="ignore",
                       icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def distributions(who: Principal, cycle: Cycle, period: str, under: int | None, columns) -> None:
    key = data.key(who)
    columns[0].altair_chart(bar(data.distribution(who, key, cycle.id, period, "tier", under), "tier",
                                tr("档次", "Tier")), width="stretch")
    grades = data.distribution(who, key, cycle.id, period, "grade", under)
    if grades.empty:
        columns[1].info(tr("本期排名、分档，不评定等次。", "This period is ranked and tiered, not graded."))
    else:
        columns[1].altair_chart(bar(grades, "grade", tr("等次", "Grade")), width="stretch")


def standings(who: Principal, cycle: Cycle, under: int | None) -> None:
    """分类定级: how many branches hold each standing now, and the relapses flagged in the cycle, with the reason."""
    key = data.key(who)
    counts = data.standing_counts(who, key, cycle.id, under)
    if counts is None:
        return
    name = standing_name(cycle)
    st.subheader(tr(f"{name}（提档升级）", f"Standings ({name})"))
    left, right = st.columns([1, 2])
    left.altair_chart(bar(counts[["standing", "branches"]], "standing", tr(name, "Standing")), width="stretch")
    unrated = int(counts["unrated"].iloc[0]) if len(counts) else 0
    if unrated:
        left.caption(tr(f"尚未定级 {unrated} 个", f"{unrated} not graded yet"))
    flagged = data.relapses(who, key, cycle.id, under)
    right.markdown(tr("**反弹预警**", "**Relapses flagged**"))
    if flagged.empty:
        right.caption(tr(f"{cycle.year} 考核年度没有出现反弹。", f"No relapse in the {cycle.year} cycle."))
        return
    with right:
        grid(pd.DataFrame({tr("编码", "Code"): flagged["code"], tr("党支部", "Branch"): flagged["name"],
                           tr("考核期", "Period"): flagged["period"].map(period_name),
                           tr("日期", "Date"): flagged["day"], tr(f"原{name}", "From"): flagged["previous"],
                           tr(f"现{name}", "Now"): flagged["standing"], tr("理由", "Reason"): flagged["reason"]}),
             key="relapses", long_text=[tr("理由", "Reason")])


def trend(who: Principal, under: int | None, column) -> None:
    frame = data.trend(who, data.key(who), under)
    if frame.empty:
        column.info(tr("还没有考核结果。", "No results yet."))
        return
    column.altair_chart(trend_chart(frame).properties(title=tr("各期平均分", "Average by period")), width="stretch")


def bonus_blocks(cycle: Cycle) -> set[str]:
    """Blocks made only of bonus items (加分项): their points are extra, so a low share is no failing."""
    return {b.code for b in cycle_scheme(cycle).blocks if all(i.kind == "bonus" for i in b.indicators)}


def heatmap(who: Principal, cycle: Cycle, period: str, node: Node | None) -> None:
    node_id = None if node is None else node.id
    first = data.heatmap(who, data.key(who), cycle.id, period, node_id, 0)
    pages = max(1, math.ceil(first.total_rows / HEATMAP_ROWS))
    number = min(st.pagination(pages, key="heatmap_page"), pages) if pages > 1 else 1
    heat = first if number == 1 else data.heatmap(who, data.key(who), cycle.id, period, node_id,
                                                  (number - 1) * HEATMAP_ROWS)
    if heat.cells.empty:
        st.info(tr("这一层没有下级党组织。", "Nothing below this organisation."))
        return
    st.altair_chart(heatmap_chart(heat.cells, bonus_blocks(cycle)), width="stretch")
    st.caption(tr("得分率 = 该板块平均得分 ÷ 板块满分，按下级党组织及其所属党支部汇总；加分项（蓝色）显示平均加分；"
                  "灰色：尚无考核结果。",
                  "Share = the block's average points ÷ its maximum, over each organisation's branches; bonus blocks "
                  "(blue) show the average bonus; grey: no results yet."))


def overview(who: Principal, cycle: Cycle, period: str, node: Node | None) -> None:
    """Charts first (what a leader reads at a glance), the ranking, then the heatmap (the slowest)."""
    under = None if node is None else node.id
    headline(who, cycle, period, under)
    columns = st.columns([1, 1, 2])
    distributions(who, cycle, period, under, columns)
    trend(who, under, columns[2])
    standings(who, cycle, under)
    st.subheader(tr("排名", "Ranking"))
    ranking(who, cycle, period, under)
    st.subheader(tr("指标板块热力图", "Blocks heatmap"))
    with st.spinner(tr("正在汇总各指标板块得分……", "Adding up the blocks' points…")):
        heatmap(who, cycle, period, node)


# --- one branch --------------------------------------------------------------------------------

def ledger_type_names() -> dict[str, str]:
    """The ledger types' names, as the plugins contributing them give them."""
    return {code: c.item.label for code, c in context.registry().ledger_types().items()}


def branch(who: Principal, cycle: Cycle, period: str, node: Node) -> None:
    """The branch's result, each indicator's points and the records behind them."""
    explained = data.explanation(who, data.key(who), cycle.id, period, node.code)
    result = explained.evaluation
    st.subheader(tr(f"{node.name} · 考核详情", f"{node.name} · result"))
    columns = st.columns(4)
    columns[0].metric(tr("总分", "Total"), f"{result['total']:.2f}")
    columns[1].metric(tr("排名", "Rank"), result["rank"])
    columns[2].metric(tr("等次", "Grade"), grade_label(result["grade"]))
    columns[3].metric(tr("档次", "Tier"), result["tier"])
    held = data.branch_standing(who, data.key(who), cycle.id, period, node.id)
    if held is not None:
        st.metric(tr(held["name"], "Standing"), held["then"] or tr("未定级", "none"),
                  help=tr(f"本期考核结果发布后的{held['name']}；当前：{held['now'] or '未定级'}",
                          f"held once this period was published; now: {held['now'] or 'none'}"))
        if held["now"] is not None and held["now"] != held["then"]:
            st.caption(tr(f"当前{held['name']}：{held['now']}（{held['reason']}）", f"Now: {held['now']} ({held['reason']})"))
    st.caption(score_statement(result))
    for reason in result["veto_reasons"]:
        st.warning(tr(f"一票否决：{reason}", f"Vetoed: {reason}"))
    for bar in result.get("bars", []):
        st.warning(tr(f"不可评先进：{bar}", f"Not eligible for advanced (先进): {bar}"))
    lines = pd.DataFrame(explained.lines)
    sheet(lines[["block_name", "indicator_code", "name", "points", "max_points", "value", "target", "reason"]]
                 .rename(columns={"block_name": tr("板块", "Block"), "indicator_code": tr("编码", "Code"),
                                  "name": tr("指标", "Indicator"), "points": tr("得分", "Points"),
                                  "max_points": tr("满分", "Maximum"), "value": tr("完成值", "Value"),
                                  "target": tr("目标值", "Target"), "reason": tr("计分说明", "Reason")}))
    st.markdown(tr("**得分依据**", "**Evidence behind the points**"))
    evidence = evidence_rows(explained)
    if evidence.empty:
        st.caption(tr("没有引用具体记录的得分。", "No points cite a record."))
    else:
        evidence = evidence.assign(kind=evidence["kind"].map(lambda k: word(EVIDENCE_KIND, k)),
                                   type=evidence["type"].map(ledger_type_names()).fillna(evidence["type"]))
        grid(evidence.rename(columns={"indicator_code": tr("编码", "Code"), "indicator": tr("指标", "Indicator"),
                                              "kind": tr("来源", "Source"), "id": tr("记录号", "Record"),
                                              "date": tr("日期", "Date"), "type": tr("类型", "Type"),
                                              "detail": tr("内容", "Detail")}),
             key="branch_evidence", long_text=[tr("内容", "Detail")])
    history = data.trend(who, data.key(who), node.id)
    if len(history) > 1:
        st.altair_chart(trend_chart(history).properties(title=tr("各期得分", "Total by period")), width="stretch")


# --- the latest bulletin -------------------------------------------------------------------------


def bulletin(who: Principal) -> None:
    st.subheader(tr("最新通报", "Latest bulletin"))
    key = data.key(who)
    if not data.sees_whole_tenant(who, key):
        st.caption(tr("通报面向全企业，仅向在全企业范围授权的用户提供。",
                      "Bulletins cover the whole enterprise: only users granted on all of it receive them."))
        return
    latest = data.latest_bulletin(who, key)
    if latest is None:
        st.caption(tr("还没有发布通报。", "No bulletin has been published yet."))
        return
    st.markdown(f"**{latest.title}** · {latest.created_at:%Y-%m-%d}")
    standings = data.ranking(who, key, latest.cycle_id, latest.period, "", None, 10, 0)
    headers = ranking_headers()
    grid(standings.rows[list(headers)].rename(columns=headers), key="bulletin_standings")
    left, right = st.columns(2)
    for column, kind, label, mime in (
            (left, "docx", tr("下载通报（.docx）", "Download the bulletin (.docx)"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (right, "xlsx", tr("下载考核结果（.xlsx）", "Download the results (.xlsx)"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        try:
            name, content = data.bulletin_file(who, key, latest.id, kind)
        except BastionError as error:
            column.warning(str(error))
            continue
        column.download_button(label, content, file_name=name, mime=mime, key=f"bulletin_{kind}", on_click="ignore",
                               icon=":material/download:")


def render() -> None:
    who = context.signed_in()
    st.title(tr("领导驾驶舱", "Leaders' dashboard"))
    cycle = context.pick_cycle(who, with_results=True)
    if cycle is None:
        return
    period = context.pick_period(cycle, published_only=not who.may(Action.view_drafts))
    if period is None:
        return
    show_flash()
    try:
        if awaiting(who, cycle, period):  # 领导审核: what confirming will do, then the confirmation
            confirm_section(who, cycle, period)
            st.divider()
        node = drill(who)
        if node is not None and node.level == OrgLevel.branch.value:
            branch(who, cycle, period, node)
        else:
            overview(who, cycle, period, node)
        st.divider()
        review_section(who, cycle, period, None if node is None else (node.id, node.code, node.name))
        st.divider()
        bulletin(who)
    except BastionError as error:
        st.error(str(error))


render()
