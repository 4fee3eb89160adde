"""分级点评 on the pages: a leader writes a review of the organisation on the dashboard, in their own name; the
dashboard and the branch's workspace read the reviews. Everything through ``core.reviews`` (who may write and read
is its ``core.access`` check)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bastion.core import reviews
from bastion.core.access import Action, Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import Cycle
from bastion.core.periods import Period
from bastion.core.words import period_name
from bastion.ui import context
from bastion.ui.feedback import refused, succeeded
from bastion.ui.i18n import tr

PARTS = (("achievements", "成绩", "Achievements"), ("problems", "问题", "Problems"),
         ("direction", "今后努力方向", "Direction"))


def show_reviews(found: pd.DataFrame, *, empty: str) -> None:
    """Each review as its own block: the organisation, the period, the reviewer and the day, then its parts."""
    if found.empty:
        st.caption(empty)
        return
    for r in found.itertuples():
        with st.container(border=True):
            st.markdown(f"**{r.name}** · {period_name(r.period)} · {tr('点评人', 'Reviewer')}{tr('：', ': ')}"
                        f"{r.reviewer} · {r.created_at:%Y-%m-%d}")
            for key, zh, en in PARTS:
                if text := getattr(r, key):
                    st.markdown(f"{tr(zh, en)}{tr('：', ': ')}{text}")


def read(who: Principal, cycle: Cycle, period: str | None, org_id: int | None) -> pd.DataFrame:
    with context.engine().connect() as conn:
        return reviews.read_reviews(conn, cycle.id, period, viewer=who, org_id=org_id)


def review_section(who: Principal, cycle: Cycle, period: str, org: tuple[int, str, str] | None) -> None:
    """The period's reviews of ``org`` (id, code, name; None: every organisation the leader sees) and, for a leader
    over it, the form to write one."""
    st.subheader(tr("分级点评", "Graded leader review"))
    show_reviews(read(who, cycle, period, None if org is None else org[0]),
                 empty=tr("本期还没有点评。", "No review for this period yet."))
    if org is None or not who.may(Action.review):
        return
    _, code, name = org
    with st.form("review_form"):
        st.markdown(tr(f"**点评 {name}（{period_name(period)}）**", f"**Review {name} ({period_name(period)})**"))
        texts = {key: st.text_area(tr(zh, en), key=f"review_{key}", height=80) for key, zh, en in PARTS}
        sent = st.form_submit_button(tr("提交点评", "Submit the review"), type="primary")
    if sent:
        try:
            with transaction(context.engine()) as session:
                reviews.add_review(session, who, cycle=cycle, org_code=code, period=Period.parse(period), **texts)
        except BastionError as exc:
            refused(exc)
            return
        for key, _, _ in PARTS:
            st.session_state.pop(f"review_{key}", None)
        succeeded(tr(f"已记录对 {name} 的点评。", f"The review of {name} is recorded."))
