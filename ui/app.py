"""The Streamlit app's script (served by ``ui/server.py``; ``bastion ui`` starts it).

A thin router: the session, the language switch, then the pages the principal's roles open.
"""

from __future__ import annotations

import streamlit as st

from bastion.ui import context
from bastion.ui.i18n import locale_switch, tr
from bastion.ui.navigation import pages_for
from bastion.ui.web import FAVICON

st.set_page_config(page_title="Bastion · 党支部目标管理考核", page_icon=str(FAVICON), layout="wide")
who = context.resolve_principal()
locale_switch(on_change=context.keep_locale)

if who is None:
    context.login_required()
    st.stop()

specs = pages_for(who)
if not specs:
    st.warning(tr("您的账号还没有分配角色，请联系管理员。", "Your account has no role yet: ask an administrator."))
    context.who_box(who)
    st.stop()

pages = [st.Page(spec.path, title=tr(spec.zh, spec.en), icon=spec.icon, url_path=spec.slug) for spec in specs]


def home() -> None:
    """The address "/" opens the principal's first page; every page keeps its own address for deep links
    (Streamlit serves its default page only at "/")."""
    st.switch_page(pages[0])


navigation = st.navigation([st.Page(home, title=pages[0].title, url_path="home", default=True,
                                    visibility="hidden"), *pages])
context.who_box(who)
navigation.run()
