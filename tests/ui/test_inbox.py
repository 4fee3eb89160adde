"""站内通知: the bell on every page counts the unread; the inbox page lists them and marks them read."""

from __future__ import annotations

from datetime import datetime

from bastion.core.db import transaction
from bastion.core.notify import outbox
from bastion.core.notify.outbox import Occurrence
from bastion.core.notify.recipients import user


def _tell(ui_engine, registry, tenant_id: int, username: str, key: str) -> None:
    with transaction(ui_engine) as session:
        conn = session.connection()
        routes = outbox.routes(conn, tenant_id, registry, [])
        params = {"org": "销售分公司党支部", "notice_no": key, "problem": "记录不全", "deadline": "2026-12-20", "days": 3}
        to = [(user(conn, tenant_id, username), params)]
        outbox.put(conn, tenant_id, [Occurrence("notice_due", key, datetime(2026, 1, 1), to)], routes)
        conn.execute(outbox.Notification.__table__.update().values(state="sent", sent_at=datetime(2026, 12, 17)))


def test_the_bell_counts_the_unread_and_the_inbox_marks_them_read(app, ui_engine, registry, sample_db):
    _tell(ui_engine, registry, sample_db.tenant_id, "secretary", "ZG-1")
    _tell(ui_engine, registry, sample_db.tenant_id, "secretary", "ZG-2")
    at = app("secretary")
    assert not at.exception
    bell = list(at.sidebar.get("page_link"))
    assert len(bell) == 1 and "🔔 2 条未读通知" in bell[0].proto.label
    at.switch_page("views/inbox.py").run()
    assert not at.exception and at.title[0].value == "站内通知"
    assert sum(m.value.startswith("🔴") for m in at.markdown) == 2  # both unread, marked
    assert any("整改期限提醒：ZG-2" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "全部标为已读").click().run()
    assert not at.exception and any("已全部标为已读" in s.value for s in at.success)
    assert not at.sidebar.get("page_link")  # nothing unread: no bell
    assert app("leader", "inbox.py").info[0].value == "还没有通知。"
