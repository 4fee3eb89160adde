"""The Streamlit app's script (served by ``ui/server.py``; ``bastion ui`` starts it).

A thin router: the session (or the login form, at the address asked for), the language switch, then
the pages the principal's roles open.
"""

from __future__ import annotations

import streamlit as st

from bastion.ui import context
from bastion.ui.i18n import locale_switch, tr
from bastion.ui.navigation import PAGES, PageSpec, pages_for
from bastion.ui.web import FAVICON

st.set_page_config(page_title="Bastion · 党支部目标管理考核", page_icon=str(FAVICON), layout="wide")
who = context.resolve_principal()
locale_switch(on_change=context.keep_locale)


def navigation(specs: list[PageSpec] | tuple[PageSpec, ...], *, position: str = "sidebar") -> tuple[st.Page, bool]:
    """The page the address names among ``specs`` (each at its own address, for deep links), and whether it is
    "/", which goes on to the first of them in a rerun (Streamlit serves its default page only at "/")."""
    pages = [st.Page(spec.path, title=tr(spec.zh, spec.en), icon=spec.icon, url_path=spec.slug) for spec in specs]

    def go_home() -> None:
        st.switch_page(pages[0])

    home = st.Page(go_home, title=pages[0].title, url_path="home", default=True, visibility="hidden")
    page = st.navigation([home, *pages], position=position)
    return page, page is home


if who is None:
    # Every page named, none run: the address keeps naming the page asked for, which the login run opens.
    navigation(PAGES, position="hidden")
    context.login_form()
    st.stop()

specs = pages_for(who)
if not specs:
    st.warning(tr("您的账号还没有分配角色，请联系管理员。", "Your account has no role yet: ask an administrator."))
    context.who_box(who)
    context.hand_over_cookie()
    st.stop()

page, at_home = navigation(specs)
context.who_box(who)
if not at_home:  # "/" reruns at once onto the first page: the cookie is handed over there
    context.hand_over_cookie()
page.run()
