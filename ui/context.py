"""What every page shares: the database, the plugins, the logged-in principal and the chosen cycle.

Pages call core functions with :func:`principal` and never query the database themselves.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from bastion.core import cycles, db, users
from bastion.core.access import Forbidden, Principal
from bastion.core.db import transaction
from bastion.core.models import Cycle, Tenant
from bastion.core.registry import Registry, default_registry
from bastion.core.results import result_periods
from bastion.core.settings import Settings
from bastion.ui.i18n import role_label, tr

PRINCIPAL = "principal"


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return db.connect(Settings(home=Path("."), database_url=url))


def engine() -> Engine:
    """The configured database (``BASTION_DATABASE_URL`` or ``$BASTION_HOME/bastion.db``), migrated."""
    return _engine(settings().database_url)


@st.cache_resource(show_spinner=False)
def registry() -> Registry:
    return default_registry()


def principal() -> Principal | None:
    return st.session_state.get(PRINCIPAL)


def signed_in() -> Principal:
    """The principal, for a page; a page reached without a login stops here (the router only opens pages
    after one, so this is a second lock)."""
    who = principal()
    if who is None:
        st.warning(tr("请先登录。", "Please log in first."))
        st.stop()
    return who


def login_form() -> None:
    """The login form; on success the principal is kept in the session and the app reruns."""
    st.title(tr("党支部目标管理考核平台", "Party-branch assessment"))
    with st.form("login"):
        username = st.text_input(tr("用户名", "Username"), key="login_username")
        password = st.text_input(tr("密码", "Password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("登录", "Log in"), type="primary")
    if submitted:
        try:
            with transaction(engine()) as session:
                st.session_state[PRINCIPAL] = users.authenticate(session, username, password)
        except Forbidden:
            st.error(tr("用户名或密码错误，或账号已停用。", "Wrong username or password, or the user is deactivated."))
            return
        st.rerun()


def logout() -> None:
    st.session_state.pop(PRINCIPAL, None)
    st.cache_data.clear()


def who_box(who: Principal) -> None:
    """The sidebar's account box: name, tenant, roles and the logout button."""
    with Session(engine()) as session:
        tenant = session.get(Tenant, who.tenant_id)
    st.sidebar.markdown(f"**{who.display_name}** · {tenant.name if tenant else ''}")
    st.sidebar.caption("、".join(sorted({role_label(r) for r in who.roles})) or tr("无角色", "no role"))
    if st.sidebar.button(tr("退出登录", "Log out"), key="logout"):
        logout()
        st.rerun()


def tenant_cycles(who: Principal) -> list[Cycle]:
    with Session(engine()) as session:
        return cycles.tenant_cycles(session, who.tenant_id)


def pick_cycle(who: Principal, *, with_results: bool = False) -> Cycle | None:
    """The cycle chosen in the sidebar; None when the tenant has none.

    By default the latest; with ``with_results``, the latest that has results (in January the new
    cycle is open while last year's results are the ones to look at).
    """
    found = tenant_cycles(who)
    if not found:
        st.info(tr("尚未开启考核年度。", "No assessment cycle has been opened yet."))
        return None
    start = 0
    if with_results:
        with engine().connect() as conn:
            start = next((n for n, c in enumerate(found) if result_periods(conn, c.id)), 0)
    by_year = {c.year: c for c in found}
    year = st.sidebar.selectbox(tr("考核年度", "Cycle"), list(by_year), index=start, key="cycle_year")
    return by_year[year]


def pick_period(cycle: Cycle, *, published_only: bool, key: str = "period") -> str | None:
    """A period of ``cycle`` that has results, chosen in the sidebar (the latest by default)."""
    with engine().connect() as conn:
        periods = result_periods(conn, cycle.id, published_only=published_only)
    if not periods:
        st.info(tr("本年度还没有考核结果。", "This cycle has no results yet."))
        return None
    return st.sidebar.selectbox(tr("考核期", "Period"), periods, key=key)
