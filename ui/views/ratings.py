"""民主测评 — a rater's ballots: the pending ones to fill in, each submitted once; the submitted ones read-only;
the quorum of each branch and source. Only the rater's own ballots are ever read (core.ballots)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from bastion.core import ballots
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import Cycle
from bastion.ui import context
from bastion.ui.feedback import show_flash, succeeded
from bastion.ui.i18n import source_label, tr
from bastion.ui.quorum import quorum_table
from bastion.ui.tables import grid
from sqlmodel import Session

def question_label(question: ballots.Question) -> str:
    if question.indicator_code is None:
        return tr("总体评价（0–100 分）", "Overall (0–100)")
    return question.label + (tr("（定性评定）", " (level)") if question.qualitative else tr("（0–100 分）", " (0–100)"))


def _questions(conn, cycle_id: int, source: str, cache: dict) -> list[ballots.Question]:
    if (cycle_id, source) not in cache:
        with Session(bind=conn) as session:
            cycle = session.get(Cycle, cycle_id)
        cache[(cycle_id, source)] = ballots.questions(conn, cycle, source, context.registry())
    return cache[(cycle_id, source)]


def ballot_form(who: Principal, ballot: pd.Series, asked: list[ballots.Question]) -> None:
    """One pending ballot: the question (when the source is asked several), the answer, a note, submit."""
    key = int(ballot["ballot_id"])
    question = asked[0]
    if len(asked) > 1:
        labels = [question_label(q) for q in asked]
        index = st.selectbox(tr("测评内容", "Question"), range(len(asked)), format_func=labels.__getitem__,
                             key=f"ballot_question_{key}")
        question = asked[index]
    with st.form(f"ballot_{key}"):
        score = level = None
        if question.qualitative:
            level = st.radio(tr("评定等次", "Level"), list(question.levels), horizontal=True, index=None,
                             key=f"ballot_level_{key}")
        else:
            score = st.number_input(question_label(question), min_value=0.0, max_value=100.0, value=None, step=1.0,
                                    key=f"ballot_score_{key}")
        note = st.text_input(tr("意见建议（可选）", "Comment (optional)"), key=f"ballot_note_{key}")
        st.caption(tr("每张测评票只能提交一次，提交后不可修改。", "A ballot is submitted once and cannot be changed."))
        sent = st.form_submit_button(tr("提交测评票", "Submit the ballot"), type="primary")
    if sent:
        try:
            with transaction(context.engine()) as session:
                ballots.submit_ballot(session, who, ballot_id=key, registry=context.registry(), score=score,
                                      level=level, indicator_code=question.indicator_code, note=note)
        except BastionError as exc:
            st.error(tr("未提交：", "Not submitted: ") + str(exc))
            return
        succeeded(tr(f"已提交对 {ballot['org_name']} 的测评票。", f"Ballot for {ballot['org_name']} submitted."))


def pending(who: Principal, mine: pd.DataFrame) -> None:
    waiting = mine[mine["submitted_at"].isna()]
    st.subheader(tr(f"待提交（{len(waiting)}）", f"To submit ({len(waiting)})"))
    if waiting.empty:
        st.info(tr("没有待提交的测评票。", "No ballot waits for you."))
        return
    cache: dict = {}
    with context.engine().connect() as conn:
        asked = {int(b.ballot_id): _questions(conn, int(b.cycle_id), b.source, cache) for b in waiting.itertuples()}
    for _, ballot in waiting.iterrows():
        title = f"{ballot['org_code']} {ballot['org_name']} · {source_label(ballot['source'])} · {ballot['period']}"
        with st.expander(title, expanded=len(waiting) <= 3):
            ballot_form(who, ballot, asked[int(ballot["ballot_id"])])


def submitted(mine: pd.DataFrame) -> None:
    done = mine[mine["submitted_at"].notna()]
    st.subheader(tr(f"已提交（{len(done)}）", f"Submitted ({len(done)})"))
    if done.empty:
        return
    grid(pd.DataFrame({
        tr("党支部", "Branch"): done["org_code"] + " " + done["org_name"],
        tr("测评类别", "Source"): done["source"].map(source_label),
        tr("考核期", "Period"): done["period"],
        tr("指标", "Indicator"): done["indicator_code"].replace("", tr("总体", "overall")),
        tr("分数", "Score"): done["score"],
        tr("等次", "Level"): done["level"],
        tr("意见", "Comment"): done["note"],
        tr("提交时间", "Submitted at"): done["submitted_at"],
    }), long_text=[tr("意见", "Comment")])


def render() -> None:
    who = context.signed_in()
    st.title(tr("民主测评", "Ratings"))
    show_flash()
    with context.engine().connect() as conn:
        mine = ballots.my_ballots(conn, who)
    if mine.empty:
        st.info(tr("目前没有分配给您的测评票。", "No ballots are assigned to you."))
        return
    pending(who, mine)
    submitted(mine)
    quorum_table(who)


render()
