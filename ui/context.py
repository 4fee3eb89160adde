"""What every page shares: the database, the plugins, the logged-in principal and the chosen cycle.

Pages call core functions with :func:`principal` and never query the database themselves.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from bastion.core import cycles, db, i18n, sessions
from bastion.core.access import Forbidden, Principal
from bastion.core.db import transaction
from bastion.core.models import Cycle, Tenant
from bastion.core.registry import Registry, default_registry
from bastion.core.results import result_periods
from bastion.core.settings import Settings
from bastion.core.users import LockedOut
from bastion.core.notify import outbox
from bastion.core.words import period_name
from bastion.ui import web
from bastion.ui.i18n import KEY as LOCALE_KEY
from bastion.ui.i18n import frozen, role_label, tr
from bastion.ui.navigation import PAGES_DIR, pages_for

TOKEN = "session_token"  # the tab's login session: set by the login form (and by a test: AppTest sends no cookie)
PRINCIPAL = "principal"
ENDED = "session_ended"  # why the tab's session ended: "logout" or "timeout" (said above the login form)
TICKET = "session_ticket"  # the login run's ticket for the cookie (ui/web.py), handed to the page once
LOGIN_ERROR = "login_error"
DROP_COOKIE = "drop_cookie"


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
    """The token of this tab's login session: the one its login form opened, else the signed cookie's."""
    return st.session_state.get(TOKEN) or web.unsign(st.context.cookies.get(web.COOKIE), settings())


def resolve_principal() -> Principal | None:
    """Who is logged in, read again from the database at the start of every run (a session carries no
    rights); kept for this run's page (:func:`signed_in`). The first run of a tab takes the session's language
    (before a login: the language last used in this browser).
    """
    mine, cookie = st.session_state.get(TOKEN), web.unsign(st.context.cookies.get(web.COOKIE), settings())
    found = None
    with transaction(engine()) as session:
        for token in dict.fromkeys(t for t in (mine, cookie) if t):
            if (found := sessions.resume(session, token)) is not None:
                break
    if found is None:
        if mine or cookie:
            st.session_state.setdefault(ENDED, "timeout")  # ended elsewhere: logout in another tab, idle, deactivated
        st.session_state.pop(TOKEN, None)
        st.session_state.pop(PRINCIPAL, None)
        st.session_state.setdefault(LOCALE_KEY, web.preferred_locale(st.context.cookies))
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


def _log_in() -> None:
    """The login form's callback, before the run it starts: the password checked, the session opened and kept
    for this tab, a ticket for the page's cookie; or the refusal to show. The password is not kept."""
    username, password = st.session_state.get("login_username", ""), st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""
    lang = i18n.normalise(st.session_state.get(LOCALE_KEY))
    with i18n.using(lang):  # a refusal's message in the user's language
        try:
            token, _ = sessions.login(engine(), username=username.strip(), password=password, locale=lang)
        except Forbidden as exc:
            st.session_state[LOGIN_ERROR] = (
                f"{exc}{tr('。', '.')}" if isinstance(exc, LockedOut) else
                tr("用户名或密码错误，或账号已停用。", "Wrong username or password, or the user is deactivated."))
            return
    st.session_state[TOKEN] = token
    st.session_state[TICKET] = web.issue_ticket(token, lang=lang)
    for key in (ENDED, LOGIN_ERROR, DROP_COOKIE):
        st.session_state.pop(key, None)


def login_form() -> None:
    """What a run without a live session shows: the login form, at the page's own address (the page asked
    for opens right after the login, in the same run)."""
    st.title(tr("党支部目标管理考核平台", "Party-branch assessment"))
    ended = st.session_state.get(ENDED)
    if ended == "logout":
        st.info(tr("您已退出登录。", "You have logged out."))
    elif ended:
        st.info(tr("登录已超时或已失效，请重新登录。", "Your session has ended: please log in again."))
    if error := st.session_state.pop(LOGIN_ERROR, None):
        st.error(error)
    with st.form("login", enter_to_submit=True, width=420):
        st.text_input(tr("用户名", "Username"), key="login_username", autocomplete="username")
        st.text_input(tr("密码", "Password"), type="password", key="login_password", autocomplete="current-password")
        st.form_submit_button(tr("登录", "Log in"), type="primary", on_click=_log_in, width="stretch")
    if st.session_state.pop(DROP_COOKIE, False):
        st.html(web.logout_script(), unsafe_allow_javascript=True)
    warm_up()


def warm_up() -> None:
    """Out of sight while the person types: one element of each kind the first pages draw slowest, so the
    browser has loaded and compiled their code (and drawn once with the chart library) before the login,
    not after it.

    In a container one pixel high, in the sidebar right under the language switch: clipped from the first
    frame on, and hidden (out of the tab order too) once the rule in it applies. The run after the login
    puts an element there first thing (:func:`who_box`'s name), which drops the container and all in it at
    once: a container there would keep these elements inside, shown faded, until that run ended.
    """
    with st.sidebar.container(key="warm_up", height=1, border=False):
        st.markdown("<style>.st-key-warm_up {visibility: hidden}</style>", unsafe_allow_html=True)
        frame = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
        st.metric("·", 1)
        st.selectbox("·", ["·"], key="warm_up_choice", label_visibility="collapsed", disabled=True)
        st.altair_chart(alt.Chart(frame).mark_bar().encode(x="x:N", y="y:Q"), width="stretch")
        st.dataframe(frame)


def hand_over_cookie() -> None:
    """Right after a login: the page exchanges the run's ticket for the session cookie (ui/web.py)."""
    if ticket := st.session_state.pop(TICKET, None):
        st.sidebar.html(web.cookie_script(ticket), unsafe_allow_javascript=True)


def logout() -> None:
    if token := session_token():
        with transaction(engine()) as session:
            sessions.logout(session, token)
    st.session_state.pop(TOKEN, None)
    st.session_state.pop(PRINCIPAL, None)
    st.session_state[ENDED] = "logout"
    st.session_state[DROP_COOKIE] = True
    st.cache_data.clear()


def who_box(who: Principal) -> None:
    """The sidebar's account box: name, tenant, roles and the logout button."""
    with Session(engine()) as session:
        tenant = session.get(Tenant, who.tenant_id)
    st.sidebar.markdown(f"**{who.display_name}** · {tenant.name if tenant else ''}")
    st.sidebar.caption("、".join(sorted({role_label(r) for r in who.roles})) or tr("无角色", "no role"))
    with engine().connect() as conn:  # the bell: unread notifications, on every page
        unread = outbox.unread(conn, who)
    if unread and any(p.file == "inbox.py" for p in pages_for(who)):  # the inbox is a page of their roles
        st.sidebar.page_link(str(PAGES_DIR / "inbox.py"), label=tr(f"🔔 {unread} 条未读通知", f"🔔 {unread} unread"))
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
