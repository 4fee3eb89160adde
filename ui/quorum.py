"""The quorum table (有效票数): ballots submitted of those assigned per branch and source, shown to raters
on their page and to administrators where they assign ballots."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bastion.core import ballots
from bastion.core.access import Principal
from bastion.ui import context
from bastion.ui.i18n import source_label, tr
from bastion.ui.tables import grid


def quorum_table(who: Principal, *, cycle_id: int | None = None) -> None:
    with context.engine().connect() as conn:
        counts = ballots.read_quorum(conn, who, registry=context.registry(), cycle_id=cycle_id)
    if counts.empty:
        return
    st.subheader(tr("有效票数", "Quorum"))
    st.caption(tr("每个党支部、每类测评的已提交票数与应投票数；达到方案规定的法定票数，该类测评方计入得分。",
                  "Ballots submitted of those assigned per branch and source; a source counts once it reaches "
                  "the scheme's quorum."))
    met = counts["met"].map(lambda m: "—" if pd.isna(m) else (tr("已达到", "reached") if m else tr("未达到", "not yet")))
    grid(pd.DataFrame({
        tr("党支部", "Branch"): counts["org_code"] + " " + counts["org_name"],
        tr("测评类别", "Source"): counts["source"].map(source_label),
        tr("考核期", "Period"): counts["period"],
        tr("已提交/应投", "Submitted/assigned"): counts["submitted"].astype(str) + "/" + counts["assigned"].astype(str),
        tr("法定票数", "Quorum"): counts["quorum"].map(lambda q: "—" if pd.isna(q) else str(q)),
        tr("是否达到", "Reached"): met,
    }))
