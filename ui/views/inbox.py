"""站内通知 — the user's inbox: what Bastion told them (deadlines, terms, ballots, results, appeals), the unread
first marked; read one by one or all at once. Everything through ``core.notify.outbox`` (only one's own)."""

from __future__ import annotations

import streamlit as st

from bastion.core.db import transaction
from bastion.core.notify import outbox
from bastion.ui import context
from bastion.ui.feedback import show_flash, succeeded
from bastion.ui.i18n import tr


def render() -> None:
    who = context.signed_in()
    st.title(tr("站内通知", "Notifications"))
    show_flash()
    with context.engine().connect() as conn:
        found = outbox.inbox(conn, who)
        unread = outbox.unread(conn, who)
    if found.empty:
        st.info(tr("还没有通知。", "No notifications yet."))
        return
    st.caption(tr(f"共 {len(found)} 条，未读 {unread} 条", f"{len(found)} in all, {unread} unread"))
    if unread and st.button(tr("全部标为已读", "Mark all read"), key="inbox_all_read"):
        with transaction(context.engine()) as session:
            outbox.mark_read(session.connection(), who)
        succeeded(tr("已全部标为已读。", "All marked read."))
    for row in found.itertuples():
        with st.container(border=True):
            new = row.read_at is None
            st.markdown(("🔴 " if new else "") + f"**{row.title}** · {row.sent_at:%Y-%m-%d %H:%M}")
            st.markdown(row.body)
            if new and st.button(tr("标为已读", "Mark read"), key=f"inbox_read_{row.id}"):
                with transaction(context.engine()) as session:
                    outbox.mark_read(session.connection(), who, [int(row.id)])
                st.rerun()


render()
