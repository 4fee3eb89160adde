"""审计日志 — the audit trail, read only: for the auditor (审计管理员) and administrators of the whole tenant.

The page lists and filters the tenant's events and checks the hash chain (``bastion audit verify``);
there is nothing here, or anywhere, that edits an event (the table refuses UPDATE and DELETE).
Everything through :mod:`bastion.core.admin`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from bastion.core import admin
from bastion.core.access import Forbidden, Principal
from bastion.core.words import AUDIT_ENTITY, word
from bastion.ui import context
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid


def filters(who: Principal) -> tuple[str | None, str, int]:
    with context.engine().connect() as conn:
        entities = admin.audit_entities(conn, who)
    left, middle, right = st.columns(3)
    entity = left.selectbox(tr("对象", "Entity"), [None, *entities], key="audit_entity",
                            format_func=frozen(lambda e: tr("全部", "All") if e is None else word(AUDIT_ENTITY, e),
                                               [None, *entities]))
    actor = middle.text_input(tr("操作人", "Actor"), key="audit_actor")
    limit = right.number_input(tr("条数", "Events"), min_value=10, max_value=5000, value=200, step=50,
                               key="audit_limit")
    return entity, actor.strip(), int(limit)


def trail(who: Principal, entity: str | None, actor: str, limit: int) -> None:
    with context.engine().connect() as conn:
        events = admin.read_audit_trail(conn, who, entity=entity, actor=actor or None, limit=limit)
    grid(pd.DataFrame({
        tr("时间", "At"): events["at"], tr("操作人", "Actor"): events["actor"], tr("操作", "Action"): events["action"],
        tr("对象", "Entity"): events["entity"], tr("操作对象", "About"): events["object"],
        tr("原值", "Old"): events["old"], tr("新值", "New"): events["new"],
        tr("备注", "Note"): events["note"]}), long_text=[tr("原值", "Old"), tr("新值", "New")])


def chain(who: Principal) -> None:
    """Walk the tenant's hash chain on request (it reads every event of the tenant)."""
    if not st.button(tr("校验审计日志哈希链", "Verify the audit chain"), key="audit_verify"):
        return
    with context.engine().connect() as conn:
        found = admin.verify_audit(conn, who)
    if found.intact:
        st.success(tr(f"哈希链完整：已校验 {found.checked} 条记录。", f"The chain is intact: {found.checked} events checked."))
        return
    for problem in found.breaks:
        st.error(tr(f"哈希链在记录 #{problem['id']} 处断开（{problem['problem']}）：该记录或其前一条被改动或删除。",
                    f"The chain breaks at event #{problem['id']} ({problem['problem']}): it or the event before it "
                    "was changed or removed."))


def render() -> None:
    who = context.signed_in()
    st.title(tr("审计日志", "Audit trail"))
    st.caption(tr("审计日志只能追加：任何人（包括管理员）都不能修改或删除。",
                  "The audit trail is append-only: nobody, administrators included, can change or delete an event."))
    try:
        entity, actor, limit = filters(who)
        trail(who, entity, actor, limit)
        chain(who)
    except Forbidden as exc:
        st.info(str(exc))


render()
