"""领导驾驶舱 — the leaders' dashboard."""

from __future__ import annotations

import streamlit as st

from bastion.core import dashboard
from bastion.core.cycles import cycle_scheme
from bastion.ui import context
from bastion.ui.i18n import tr


def render() -> None:
    who = context.principal()
    st.title(tr("领导驾驶舱", "Leaders' dashboard"))
    cycle = context.pick_cycle(who)
    if cycle is None:
        return
    period = context.pick_period(cycle, published_only=not who.may(dashboard.Action.view_drafts))
    if period is None:
        return
    scheme = cycle_scheme(cycle)
    with context.engine().connect() as conn:
        head = dashboard.headline(conn, who, cycle_id=cycle.id, period=period, unqualified_grade=scheme.veto_grade)
    columns = st.columns(6)
    columns[0].metric(tr("参评党支部", "Branches"), head.branches)
    columns[1].metric(tr("平均分", "Average"), "—" if head.average is None else f"{head.average:.2f}")
    columns[2].metric(tr("可评先进", "Advanced"), head.advanced)
    columns[3].metric(tr("不合格", "Unqualified"), head.unqualified)
    columns[4].metric(tr("整改中", "Open notices"), head.open_notices)
    columns[5].metric(tr("逾期整改", "Overdue"), head.overdue_notices)


render()
