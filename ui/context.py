"""What every page shares: the database, the plugins, the logged-in principal and the chosen cycle.

Pages call core functions with :func:`principal` and never query the database themselves.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from bastion.core import cycles, db, sessions
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.models import Cycle, Tenant
from bastion.core.registry import Registry, default_registry
from bastion.core.results import result_periods
from bastion.core.settings import Settings
from bastion.core.words import period_name
from bastion.ui import web
from bastion.ui.i18n import KEY as LOCALE_KEY
from bastion.ui.i18n import frozen, role_label, tr

TOKEN = "session_token"  # AppTest cannot send cookies: a test hands the run its session token here
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


def session_token() -> str | None:
    """The token of this browser's login session: from the signed cookie, or the one a test handed over."""
    return web.unsign(st.context.cookies.get(web.COOKIE), settings()) or st.session_state.get(TOKEN)


def resolve_principal() -> Principal | None:
    """Who is logged in, read again from the database at the start of every run (a session carries no
    rights); kept for this run's page (:func:`signed_in`). The first run of a tab takes the session's language.
    """
    with transaction(engine()) as session:
        found = sessions.resume(session, session_token())
    if found is None:
        st.session_state.pop(PRINCIPAL, None)
        return None
    who, session_locale = found
    st.session_state[PRINCIPAL] = who
    st.session_state.setdefault(LOCALE_KEY, session_locale)
    return who


def principal() -> Principal | None:
    """The principal this run resolved (:func:`resolve_principal`)."""
    return st.session_state.get(PRINCIPAL)


def keep_locale() -> None:
    """Keep the language just switched to with the login session (a reload or a new tab speaks it)."""
    if token := session_token():
        with transaction(engine()) as session:
            sessions.set_locale(session, token, st.session_state[LOCALE_KEY])


def signed_in() -> Principal:
    """The principal, for a page; a page reached without a login stops here (the router only opens pages
    after one, so this is a second lock)."""
    who = principal()
    if who is None:
        st.warning(tr("请先登录。", "Please log in first."))
        st.stop()
    return who


def login_required() -> None:
    """What a run without a live session shows: the way to the login page, back to this page after it."""
    st.title(tr("党支部目标管理考核平台", "Party-branch assessment"))
    path = st.context.url and urlsplit(st.context.url).path or "/"
    st.info(tr("登录已失效或尚未登录。", "You are not logged in, or your session has ended."))
    st.link_button(tr("登录", "Log in"), f"/login?next={quote(path)}", type="primary")


def logout() -> None:
    if token := session_token():
        with transaction(engine()) as session:
            sessions.logout(session, token)
    st.session_state.pop(TOKEN, None)
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
    return st.sidebar.selectbox(tr("考核期", "Period"), periods, key=key, format_func=frozen(period_name, periods))
