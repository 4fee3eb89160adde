"""The Streamlit app: ``bastion ui`` (or ``streamlit run`` on this file).

A thin router: language switch, login, then the pages the principal's roles open.
"""

from __future__ import annotations

import streamlit as st

from bastion.ui import context
from bastion.ui.i18n import locale_switch, tr
from bastion.ui.navigation import pages_for

st.set_page_config(page_title="Bastion · 党支部目标管理考核", page_icon=":material/flag:", layout="wide")
locale_switch()

who = context.principal()
if who is None:
    context.login_form()
    st.stop()

specs = pages_for(who)
if not specs:
    st.warning(tr("您的账号还没有分配角色，请联系管理员。", "Your account has no role yet: ask an administrator."))
    context.who_box(who)
    st.stop()

navigation = st.navigation([st.Page(spec.path, title=tr(spec.zh, spec.en), icon=spec.icon, url_path=spec.slug,
                                    default=n == 0) for n, spec in enumerate(specs)])
context.who_box(who)
navigation.run()
