"""民主测评投票 — the ballot page: no account, a code. Reached from a slip's QR code (``/ballot?code=…``) or by typing
the code; shows every question of that ballot and casts it once into the anonymous box (``core.ballots.box``).
Nothing here records who is voting: no login, no cookie of its own, no time kept with the ballot."""

from __future__ import annotations

import streamlit as st

from bastion.core.ballots import box
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.ui import context
from bastion.ui.ballots import ballot_form, problems_of
from bastion.ui.i18n import tr

DONE = "ballot_done"
ROUND = "ballot_round"  # how many ballots this tab cast: a new code box after each, empty


def render() -> None:
    st.title(tr("民主测评投票", "Secret ballot"))
    if done := st.session_state.pop(DONE, None):
        st.success(tr(f"投票成功：您对 {done} 的测评票已投入投票箱。谢谢！", f"Done: your ballot on {done} is in the box. "
                      "Thank you!"))
        st.caption(tr("如需再投，请输入另一张测评票上的测评码。", "To vote again, type the code of another slip."))
    cast_here = st.session_state.get(ROUND, 0)
    typed = st.text_input(tr("测评码", "Ballot code"), value="" if cast_here else st.query_params.get("code", ""),
                          placeholder="ABCD-EFGH-JKMN", key=f"ballot_code_{cast_here}")
    if not typed.strip():
        st.info(tr("请输入测评票上的测评码，或用手机扫描测评票上的二维码。",
                   "Type the code on your slip, or scan its QR code with your phone."))
        return
    try:
        with transaction(context.engine()) as session:
            paper = box.paper(session, typed, context.registry())
    except BastionError as exc:
        st.error(str(exc))
        return
    sent = ballot_form(paper, key=f"ballot_form_{cast_here}")
    if sent is None:
        return
    answers, note = sent
    if wrong := problems_of(paper, answers):
        for text in wrong:
            st.error(text)
        return
    try:
        with transaction(context.engine()) as session:
            box.cast(session, typed, answers, context.registry(), note=note)
    except BastionError as exc:
        st.error(tr("未投出：", "Not cast: ") + str(exc))
        return
    st.session_state[DONE] = paper.org_name
    st.session_state[ROUND] = cast_here + 1
    st.query_params.clear()
    st.rerun()


render()
