"""民主测评 in the browser: the ballot form a code opens (the public ballot page, and the office keying in a paper
ballot), and the administrators' round tab — open a round, issue its codes once as slips, follow the turnout,
look into the box, exclude a ballot with a reason, close the round. Every rule is ``core.ballots``'s."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from bastion.core import periods
from bastion.core.access import Principal
from bastion.core.ballots import anomalies, box, member_review, rounds, slips
from bastion.core.ballots.questions import Question
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import RoundKind
from bastion.core.settings import public_url
from bastion.core.words import ROUND_KIND, ROUND_STATUS, period_name, word
from bastion.ui import context
from bastion.ui.feedback import attempt
from bastion.ui.i18n import frozen, source_label, tr
from bastion.ui.tables import grid

SLIPS = "ballot_slips"  # the slips just issued, kept in this browser session until downloaded


def question_label(question: Question, kind: str = RoundKind.branches.value) -> str:
    if kind == RoundKind.members.value:  # a member's name: the level is the answer
        return question.label
    if question.key is None:
        return tr("总体评价（0–100 分）", "Overall (0–100)")
    return question.label + (tr("（定性评定）", " (level)") if question.qualitative else tr("（0–100 分）", " (0–100)"))


def ballot_form(paper: box.Paper, *, key: str) -> tuple[dict[str | None, object], str] | None:
    """Every question of the ballot ``paper``, in one form; the answers and the comment once sent."""
    st.markdown(f"**{paper.org_name}**（{paper.org_code}）")
    st.caption(tr(f"{period_name(paper.period)} · {paper.source_label} · 截止 {paper.deadline}",
                  f"{paper.period} · {paper.source_label} · until {paper.deadline}"))
    with st.form(key):
        answers: dict[str | None, object] = {}
        for n, question in enumerate(paper.questions):
            if question.qualitative:
                answers[question.key] = st.radio(question_label(question, paper.kind), list(question.choices),
                                                            index=None, horizontal=True, key=f"{key}_q{n}")
            else:
                answers[question.key] = st.number_input(
                    question_label(question, paper.kind), min_value=0.0, max_value=100.0, value=None, step=1.0,
                    key=f"{key}_q{n}")
        note = st.text_area(tr("意见建议（可选）", "Comment (optional)"), key=f"{key}_note")
        st.caption(tr("无记名投票：测评票不记录您的姓名、账号和投票时间；每个测评码只能投票一次，投出后不可修改。",
                      "Secret ballot: nothing records your name, account or the time; a code votes once, and a ballot "
                      "cannot be changed."))
        sent = st.form_submit_button(tr("投票", "Cast the ballot"), type="primary", use_container_width=True)
    return (answers, note) if sent else None


def problems_of(paper: box.Paper, answers: dict[str | None, object]) -> list[str]:
    return [f"{p.field}：{p.reason}" for p in box.answers_problems(paper.questions, answers, source=paper.source)]


# --- the administrators' tab ------------------------------------------------------------------------------


def rounds_tab(who: Principal) -> None:
    found = context.tenant_cycles(who)
    if not found:
        st.info(tr("尚未开启考核年度。", "No assessment cycle has been opened yet."))
        return
    st.caption(tr("应参评人员按组织树和党员名册抽取，只记人数、不记姓名；每人一个一次性测评码，扫码即可无记名投票，无需账号。",
                  "Raters are drawn from the tree and the register and kept as counts, never names; each gets a "
                  "one-time code and votes by it, secretly, with no account."))
    cycle = st.selectbox(tr("考核年度", "Cycle"), found, format_func=lambda c: f"{c.year} {c.name}", key="round_cycle")
    keys = periods.cycle_periods(cycle)
    current = periods.current_period(cycle)
    period = st.selectbox(tr("考核期", "Period"), keys, index=keys.index(current) if current in keys else 0,
                          format_func=frozen(period_name, keys), key="round_period")
    kinds = [k.value for k in RoundKind]
    kind = st.radio(tr("类型", "Kind"), kinds, horizontal=True, key="round_kind",
                    format_func=frozen(lambda k: word(ROUND_KIND, k), kinds))
    with context.engine().connect() as conn:
        found_round = rounds.find_round(conn, cycle, period, kind)
    if found_round is None:
        _open_form(who, cycle, period, kind)
        return
    _round_view(who, found_round)


def _open_form(who: Principal, cycle, period: str, kind: str) -> None:
    zh, en = ROUND_KIND[kind]
    st.caption(tr(f"{period_name(period)} 尚未开启{zh}。", f"No {en} for {period} yet."))
    deadline = st.date_input(tr("投票截止日期", "Last day to vote"), value=date.today() + timedelta(days=14),
                             key="round_deadline")
    if st.button(tr(f"开启{zh}", f"Open the {en}"), type="primary", key="round_open"):
        def run() -> None:
            with transaction(context.engine()) as session:
                rounds.may_run(session.connection(), who)
                rounds.open_round(session, actor=who.username, cycle=cycle, period=period,
                                  registry=context.registry(), deadline=deadline, kind=kind)
        attempt(run, tr(f"{zh}已开启：请生成测评码并发放。", f"The {en} is open: issue its codes and hand them out."))


def _round_view(who: Principal, found) -> None:
    with context.engine().connect() as conn:
        counts = rounds.turnout(conn, found, context.registry())
    is_open = found.status == "open"
    state = word(ROUND_STATUS, found.status)
    left, middle, right = st.columns(3)
    left.metric(tr("状态", "Status"), state)
    middle.metric(tr("应参评人次", "Entitled"), int(counts["entitled"].sum()))
    right.metric(tr("已投票", "Cast"), int(counts["cast"].sum()))
    st.caption(tr(f"按 {found.day} 的组织树和党员名册抽取；投票截止 {found.deadline}。",
                  f"Drawn on {found.day}; votes until {found.deadline}."))
    if is_open:
        _codes_section(who, found, counts)
    elif found.kind == RoundKind.members.value:
        _grades_section(who, found)
    _turnout_table(counts)
    if is_open:
        _flags_section(who, found)
        _paper_section(who)
        _box_section(who, found)
        _close_section(who, found)


def _codes_section(who: Principal, found, counts: pd.DataFrame) -> None:
    waiting = int((counts["issued"] == 0).sum())
    kept = st.session_state.get(SLIPS)
    if kept and kept["round"] == found.id:
        st.warning(tr("测评码只生成这一次：请立即下载保存；离开本页后无法再次获取。",
                      "The codes are made this once: download them now; they cannot be had again."))
        st.download_button(tr("下载测评码（PDF，可打印裁切）", "Download the slips (PDF)"), data=kept["pdf"],
                           file_name=f"测评码-{found.period}.pdf", mime="application/pdf", on_click="ignore",
                           key="round_slips_pdf")
        st.download_button(tr("下载测评码清单（Excel）", "Download the list (Excel)"), data=kept["xlsx"],
                           file_name=f"测评码-{found.period}.xlsx", on_click="ignore", key="round_slips_xlsx")
    if waiting and st.button(tr(f"生成测评码（{waiting} 个组织·类别待发放）", f"Issue the codes ({waiting} to issue)"),
                             key="round_issue"):
        def run() -> None:
            with transaction(context.engine()) as session:
                rounds.may_run(session.connection(), who)
                made = rounds.issue_codes(session, actor=who.username, round_id=found.id)
                zh, en = ROUND_KIND[found.kind]
                title = tr(f"{period_name(found.period)}{zh}", f"{en.capitalize()} of {found.period}")
                options = {"title": title, "base_url": public_url(), "deadline": found.deadline}
                st.session_state[SLIPS] = {"round": found.id,
                                           "pdf": slips.slips_bytes(made, suffix=".pdf", **options),
                                           "xlsx": slips.slips_bytes(made, suffix=".xlsx", **options)}
        attempt(run, tr("测评码已生成：请下载。", "Codes issued: download them."))


def _grades_section(who: Principal, found) -> None:
    with context.engine().connect() as conn:
        rounds.may_run(conn, who)
        graded = member_review.read_grades(conn, found)
    st.subheader(tr("评议结果", "Grades"))
    grid(pd.DataFrame({
        tr("党支部", "Branch"): graded["org_code"] + " " + graded["org_name"],
        tr("党员编号", "Number"): graded["code"], tr("姓名", "Name"): graded["name"],
        tr("票数", "Ballots"): graded["ballots"],
        tr("得票", "Tallies"): graded["tallies"].map(lambda t: "、".join(f"{k} {v}" for k, v in t.items())),
        tr("等次", "Grade"): graded["grade"].fillna("—"), tr("说明", "Reason"): graded["reason"],
    }), long_text=[tr("说明", "Reason")])


def _turnout_table(counts: pd.DataFrame) -> None:
    st.subheader(tr("参评情况", "Turnout"))
    met = counts["met"].map(lambda m: "—" if pd.isna(m) else (tr("已达到", "reached") if m else tr("未达到", "not yet")))
    grid(pd.DataFrame({
        tr("党支部", "Branch"): counts["org_code"] + " " + counts["org_name"],
        tr("测评类别", "Source"): counts["source"].map(source_label),
        tr("应参评", "Entitled"): counts["entitled"], tr("已发码", "Codes"): counts["issued"],
        tr("已投票", "Cast"): counts["cast"], tr("作废", "Excluded"): counts["excluded"],
        tr("法定票数", "Quorum"): counts["needed"].astype("string").fillna("—"), tr("是否达到", "Reached"): met,
    }))


def _flags_section(who: Principal, found) -> None:
    with context.engine().connect() as conn:
        rounds.may_run(conn, who)
        flagged = anomalies.flags(conn, found, context.registry())
    st.subheader(tr(f"异常提示（{len(flagged)}）", f"Flags ({len(flagged)})"))
    if flagged.empty:
        st.caption(tr("没有一律同分、离群票、来源偏宽偏严或参评不足的情况。", "Nothing flagged."))
        return
    st.caption(tr("提示只供核查：是否作废某张测评票，由组织部门核实后在“投票箱”中写明理由作废。",
                  "Flags are for checking: the office excludes a ballot, with its reason, in the box below."))
    grid(pd.DataFrame({
        tr("提示", "Flag"): flagged["kind"].map(lambda k: tr(*anomalies.KINDS[k])),
        tr("党支部", "Branch"): flagged["org_code"] + " " + flagged["org_name"],
        tr("测评类别", "Source"): flagged["source"].map(source_label),
        tr("票号", "Key"): flagged["ballot_id"].fillna(""), tr("说明", "Detail"): flagged["detail"],
    }), long_text=[tr("说明", "Detail")])


def _paper_section(who: Principal) -> None:
    with st.expander(tr("录入纸质测评票", "Key in a paper ballot")):
        code = st.text_input(tr("测评码", "Code"), key="round_paper_code")
        if not code.strip():
            return
        try:
            with transaction(context.engine()) as session:
                rounds.may_run(session.connection(), who)
                paper = box.paper(session, code, context.registry())
        except BastionError as exc:
            st.error(str(exc))
            return
        sent = ballot_form(paper, key="round_paper")
        if sent is None:
            return
        answers, note = sent
        if wrong := problems_of(paper, answers):
            for text in wrong:
                st.error(text)
            return

        def run() -> None:
            with transaction(context.engine()) as session:
                rounds.may_run(session.connection(), who)
                box.cast(session, code, answers, context.registry(), note=note, actor=who.username)
            st.session_state.pop("round_paper_code", None)
        attempt(run, tr(f"已录入对 {paper.org_name} 的纸质测评票。", f"Paper ballot for {paper.org_name} keyed in."))


def _box_section(who: Principal, found) -> None:
    with st.expander(tr("投票箱（不含投票人和时间）", "The box (no voter, no time)")):
        with context.engine().connect() as conn:
            rounds.may_run(conn, who)
            ballots = rounds.box_ballots(conn, found)
        if ballots.empty:
            st.caption(tr("还没有投票。", "No ballot yet."))
            return
        grid(pd.DataFrame({
            tr("票号", "Key"): ballots["id"], tr("党支部", "Branch"): ballots["org_code"] + " " + ballots["org_name"],
            tr("测评类别", "Source"): ballots["source"].map(source_label),
            tr("答案", "Answers"): ballots["answers"].map(_answers_text), tr("意见", "Comment"): ballots["note"],
            tr("作废理由", "Excluded"): ballots["excluded"].fillna(""),
        }), long_text=[tr("意见", "Comment")])
        key = st.selectbox(tr("作废测评票", "Exclude a ballot"), ballots.loc[ballots["excluded"].isna(), "id"].tolist(),
                           index=None, key="round_exclude_key")
        reason = st.text_input(tr("作废理由", "Reason"), key="round_exclude_reason")
        if st.button(tr("作废", "Exclude"), key="round_exclude", disabled=key is None):
            def run() -> None:
                with transaction(context.engine()) as session:
                    rounds.may_run(session.connection(), who)
                    rounds.exclude(session, actor=who.username, round_id=found.id, ballot_id=key, reason=reason)
            attempt(run, tr(f"测评票 {key} 已作废。", f"Ballot {key} excluded."))


def _answers_text(answers: dict) -> str:
    return "；".join(f"{k or tr('总体', 'overall')} {v:g}" if isinstance(v, (int, float)) else f"{k or tr('总体', 'overall')} {v}"
                    for k, v in answers.items())


def _close_section(who: Principal, found) -> None:
    st.subheader(tr("结束投票并计票", "Close and count"))
    st.caption(tr("结束后不能再投票或作废；有效测评票计入本考核期的测评成绩。",
                  "Closed, no more votes or exclusions; the ballots count in the period's ratings."))
    sure = st.checkbox(tr("确认结束本轮民主测评", "Yes, close this round"), key="round_close_sure")
    if st.button(tr("结束并计票", "Close and count"), key="round_close", disabled=not sure, type="primary"):
        def run() -> None:
            with transaction(context.engine()) as session:
                rounds.may_run(session.connection(), who)
                rounds.close_round(session, actor=who.username, round_id=found.id)
        attempt(run, tr("已结束计票。", "Closed and counted."))
