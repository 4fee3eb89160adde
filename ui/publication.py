"""领导审核 on the dashboard: results awaiting the leaders' review, what confirming them will do — the awards by
kind, the rectification notices they bring, the grades and standings — rehearsed by core (the same code as
publishing, rolled back), then the confirmation itself (the ``confirm`` stage, in the leader's name)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bastion.core import audit, lifecycle
from bastion.core.access import Action, Principal, covers_tenant
from bastion.core.errors import BastionError
from bastion.core.models import Cycle
from bastion.core.scoring import Rehearsal, rehearse_publication
from bastion.core.stages.runs import StageContext
from bastion.core.stages.service import leader_confirms
from bastion.core.words import AWARD_KIND, STANDING_MOVE, period_name, word
from bastion.ui import context
from bastion.ui import dashboard_data as data
from bastion.ui.feedback import refused, succeeded
from bastion.ui.i18n import tr
from bastion.ui.tables import grid


@st.cache_data(ttl=data.STAMP_TTL, show_spinner=False)
def rehearsal(_who: Principal, key: tuple, cycle_id: int, period: str, stamp: int | None) -> Rehearsal:
    """What confirming does, rehearsed once per state of the tenant: ``stamp``, its latest audit row, changes with
    every write (each writes one), so a correction made meanwhile is never shown stale."""
    cycle = next(c for c in context.tenant_cycles(_who) if c.id == cycle_id)
    return rehearse_publication(context.engine(), cycle=cycle, period_key=period, registry=context.registry(),
                                actor=_who.username)


def _stamp(who: Principal) -> int | None:
    with context.engine().connect() as conn:
        return audit.latest_id(conn, who.tenant_id)


def awaiting(who: Principal, cycle: Cycle, period: str) -> bool:
    """Whether the period's results await the leaders' review and ``who`` is a leader who may confirm them."""
    if not who.may(Action.review):
        return False
    with context.engine().connect() as conn:
        return lifecycle.state(conn, cycle.id, period) == lifecycle.REVIEWED


def confirm_section(who: Principal, cycle: Cycle, period: str) -> None:
    st.subheader(tr(f"领导审核：{period_name(period)}考核结果待确认发布", f"Leaders' review: {period} awaits confirmation"))
    with context.engine().connect() as conn:
        whole = covers_tenant(conn, who.tenant_id, who.roots(Action.review))
    if not whole:
        st.info(tr("考核结果须由对全单位有领导角色的用户确认发布。", "The results are confirmed by a leader of the whole tenant."))
        return
    try:
        with st.spinner(tr("正在核算确认后的奖惩……", "Working out what confirming does…")):
            shown = rehearsal(who, data.key(who), cycle.id, period, _stamp(who))
    except BastionError as exc:
        st.error(str(exc))
        return
    will_happen(shown)
    checked = st.checkbox(tr("我已审阅本期考核结果和上述奖惩", "I have reviewed the results and the incentives above"),
                          key="confirm_checked")
    if st.button(tr("确认并发布", "Confirm and publish"), type="primary", disabled=not checked, key="confirm_publish"):
        ctx = StageContext(context.engine(), context.registry(), context.settings().home, who.username)
        try:
            with st.spinner(tr("正在发布考核结果、兑现奖惩、印发通报……", "Publishing, applying incentives, issuing "
                                                                   "the bulletin…")):
                run = leader_confirms(ctx, who, cycle, period)
        except BastionError as exc:
            refused(exc)
            return
        st.cache_data.clear()  # every cached figure of the period now reads it published
        awards = (run.detail or {}).get("awards", len(shown.awards)) if run is not None else len(shown.awards)
        succeeded(tr(f"已确认并发布{period_name(period)}考核结果：奖惩 {awards} 项，通报已印发。",
                     f"{period} confirmed and published: {awards} incentive(s); the bulletin is issued."))


def will_happen(shown: Rehearsal) -> None:
    """The rehearsal in figures: results, awards by kind (notices among them), grades, standings."""
    awards = shown.awards
    by_kind = awards["kind"].value_counts() if not awards.empty else pd.Series(dtype=int)
    columns = st.columns(4)
    columns[0].metric(tr("发布考核结果", "Results published"), len(shown.results))
    columns[1].metric(tr("奖惩事项", "Incentives"), len(awards))
    columns[2].metric(tr("约谈", "Talks (约谈)"), int(by_kind.get("talk", 0)))
    columns[3].metric(tr("整改通知书", "Rectification notices"), int(by_kind.get("rectification", 0)),
                      help=tr("确认后由整改跟踪环节下发", "issued by the rectification follow-up after confirming"))
    grades = shown.results["grade"].value_counts()
    st.caption(tr("等次：", "Grades: ") + tr("，", ", ").join(f"{g} {n}" for g, n in grades.items()))
    if not awards.empty:
        table = (awards.assign(kind=awards["kind"].map(lambda k: word(AWARD_KIND, k)))
                 .groupby(["kind", "title"], sort=False).size().reset_index(name="n"))
        grid(table.rename(columns={"kind": tr("类别", "Kind"), "title": tr("名目", "Award"), "n": tr("个数", "Count")}),
             key="confirm_awards")
    if not shown.standings.empty:
        moves = shown.standings["move"].value_counts()
        st.caption(tr("提档升级：", "Standings: ") + tr("，", ", ").join(
            f"{word(STANDING_MOVE, m)} {n}" for m, n in moves.items() if m))
