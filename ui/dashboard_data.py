"""The dashboard's queries (``core.dashboard``), cached for a few minutes.

Each result is cached on plain values: the database, the tenant and the principal's grants (what
the scope depends on), then the query's own arguments. The principal itself rides along unhashed
(``_who``): two users with the same grants share the figures, no one gets another scope's.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from bastion.core import dashboard
from bastion.core.access import Principal
from bastion.core.results import Explanation
from bastion.ui import context

TTL = 300
STAMP_TTL = 60
LONG_TTL = 12 * 3600


def key(who: Principal) -> tuple:
    """What a cached figure depends on besides its arguments."""
    return context.settings().database_url, who.tenant_id, who.grants


@st.cache_data(ttl=TTL, show_spinner=False)
def drill_roots(_who: Principal, key: tuple) -> list[dashboard.Node]:
    with context.engine().connect() as conn:
        return dashboard.drill_roots(conn, _who)


@st.cache_data(ttl=TTL, show_spinner=False)
def children(_who: Principal, key: tuple, org_id: int | None, search: str, limit: int) -> dashboard.Page:
    with context.engine().connect() as conn:
        return dashboard.children(conn, _who, org_id, search=search, limit=limit)


@st.cache_data(ttl=TTL, show_spinner=False)
def node(_who: Principal, key: tuple, org_id: int) -> dashboard.Node:
    with context.engine().connect() as conn:
        return dashboard.node(conn, _who, org_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def headline(_who: Principal, key: tuple, cycle_id: int, period: str, unqualified_grade: str, under: int | None,
             today: date) -> dashboard.Headline:
    with context.engine().connect() as conn:
        return dashboard.headline(conn, _who, cycle_id=cycle_id, period=period, unqualified_grade=unqualified_grade,
                                  today=today, under=under)


@st.cache_data(ttl=TTL, show_spinner=False)
def ranking(_who: Principal, key: tuple, cycle_id: int, period: str, search: str, under: int | None, limit: int,
            offset: int, level: str = "branch") -> dashboard.Page:
    with context.engine().connect() as conn:
        return dashboard.ranking(conn, _who, cycle_id=cycle_id, period=period, search=search, under=under,
                                 limit=limit, offset=offset, level=level)


@st.cache_data(ttl=TTL, show_spinner=False)
def distribution(_who: Principal, key: tuple, cycle_id: int, period: str, by: str, under: int | None) -> pd.DataFrame:
    with context.engine().connect() as conn:
        return dashboard.distribution(conn, _who, cycle_id=cycle_id, period=period, by=by, under=under)


@st.cache_data(ttl=TTL, show_spinner=False)
def trend(_who: Principal, key: tuple, under: int | None) -> pd.DataFrame:
    with context.engine().connect() as conn:
        return dashboard.trend(conn, _who, under=under)


@st.cache_data(ttl=TTL, show_spinner=False)
def standing_counts(_who: Principal, key: tuple, cycle_id: int, under: int | None) -> pd.DataFrame | None:
    with context.engine().connect() as conn:
        return dashboard.standing_counts(conn, _who, cycle_id=cycle_id, under=under)


@st.cache_data(ttl=TTL, show_spinner=False)
def relapses(_who: Principal, key: tuple, cycle_id: int, under: int | None) -> pd.DataFrame:
    with context.engine().connect() as conn:
        return dashboard.relapses(conn, _who, cycle_id=cycle_id, under=under)


@st.cache_data(ttl=TTL, show_spinner=False)
def branch_standing(_who: Principal, key: tuple, cycle_id: int, period: str, org_id: int) -> dict | None:
    with context.engine().connect() as conn:
        return dashboard.branch_standing(conn, _who, cycle_id=cycle_id, period=period, org_id=org_id)


@st.cache_data(ttl=STAMP_TTL, show_spinner=False)
def results_stamp(_who: Principal, key: tuple, cycle_id: int, period: str) -> str:
    with context.engine().connect() as conn:
        return dashboard.results_stamp(conn, _who, cycle_id=cycle_id, period=period)


@st.cache_data(ttl=LONG_TTL, show_spinner=False, max_entries=256)
def _heatmap(_who: Principal, key: tuple, cycle_id: int, period: str, node_id: int | None, offset: int,
             stamp: str) -> dashboard.Heatmap:
    with context.engine().connect() as conn:
        return dashboard.heatmap(conn, _who, cycle_id=cycle_id, period=period, node_id=node_id, offset=offset)


def heatmap(who: Principal, key: tuple, cycle_id: int, period: str, node_id: int | None,
            offset: int) -> dashboard.Heatmap:
    """The heatmap sums the block subtotals of every evaluation under the node (half a second at the top of
    100 000 branches): kept until the results change, not a few minutes."""
    return _heatmap(who, key, cycle_id, period, node_id, offset, results_stamp(who, key, cycle_id, period))


@st.cache_data(ttl=TTL, show_spinner=False)
def explanation(_who: Principal, key: tuple, cycle_id: int, period: str, org_code: str) -> Explanation:
    with context.engine().connect() as conn:
        return dashboard.explain_branch(conn, _who, cycle_id=cycle_id, period=period, org_code=org_code)


@st.cache_data(ttl=TTL, show_spinner=False)
def sees_whole_tenant(_who: Principal, key: tuple) -> bool:
    with context.engine().connect() as conn:
        return dashboard.sees_whole_tenant(conn, _who)


@st.cache_data(ttl=TTL, show_spinner=False)
def latest_bulletin(_who: Principal, key: tuple) -> dashboard.BulletinInfo | None:
    with context.engine().connect() as conn:
        return dashboard.latest_bulletin(conn, _who)


@st.cache_data(ttl=TTL, show_spinner=False)
def bulletin_file(_who: Principal, key: tuple, bulletin_id: int, kind: str) -> tuple[str, bytes]:
    with context.engine().connect() as conn:
        return dashboard.bulletin_file(conn, _who, bulletin_id=bulletin_id, kind=kind, home=context.settings().home)


def ranking_xlsx(who: Principal, *, cycle_id: int, period: str, search: str, under: int | None,
                 headers: dict[str, str], level: str = "branch"):
    """A callable making the ranking's workbook when the download is clicked (not on every rerun)."""
    engine = context.engine()

    def make() -> bytes:
        with engine.connect() as conn:
            return dashboard.ranking_xlsx(conn, who, cycle_id=cycle_id, period=period, search=search, under=under,
                                          headers=headers, level=level)

    return make
