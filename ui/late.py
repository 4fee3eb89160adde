"""The choice a late fact asks for (迟到的台账、检查发现), where a form takes one: shared by the branch workspace's ledger
form and the inspectors' findings form.

A fact dated in a period whose results are under review or published is late (``core.periods.place``). Where the
tenant takes late facts, the form shows the two routes — 计入下一考核期 / 走更正 — each with what it would do with
this date; without a choice, saving is refused asking for one. Where the tenant does not, nothing is shown here:
saving is refused with the reason, as before.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from bastion.core import periods
from bastion.core.access import Principal
from bastion.core.models import Cycle
from bastion.core.words import LATE, word
from bastion.ui import context
from bastion.ui.i18n import tr


def late_choice(who: Principal, cycle: Cycle, day: date | None, *, key: str) -> periods.Late | None:
    """Inside a form: when a fact of ``cycle`` dated ``day`` is late and the tenant takes late facts, the choice of
    route, each with what it does; the route chosen, or None (not late, or not chosen yet)."""
    if day is None:
        return None
    with Session(context.engine()) as session:
        routes = periods.late_routes(periods.years(session, who.tenant_id, within=cycle), day)
    if not routes:
        return None
    st.warning(tr(f"{day.isoformat()} 所在考核期的考核结果已在审核或已发布：这是迟到的记录，请选择处理方式。",
                  f"The results of the period {day.isoformat()} falls in are under review or published: this "
                  "record is late; choose where it goes."))
    labels = {route: word(LATE, route) for route in routes}  # format_func must not read the locale itself
    return st.radio(tr("迟到的处理", "Where the late record goes"), list(routes), index=None,
                    format_func=labels.__getitem__, captions=[routes[r] for r in routes], key=key)
