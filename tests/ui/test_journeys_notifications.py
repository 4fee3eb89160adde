"""Notifications in a real browser (Debian's Chromium, headless, via Playwright): the office turns the e-mail channel
on and gives a secretary her address; the delivery stage runs (as the bastion-notify flow does every five minutes);
the secretary finds the bell on her page, reads her reminders and marks them read — and her mailbox, a local SMTP
server, holds the day's digest (``tests.ui.browser``)."""

from __future__ import annotations

from datetime import datetime
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from bastion.core.models import Notification, Tenant
from bastion.core.notify import service
from tests.plugins.test_channels import Mailbox
from tests.ui.browser import free_port, needs_chromium

pytestmark = needs_chromium

#: A morning after the 25th: the month's 三会一课 reminders are due, with what else the sample's calendar brings.
NOW = datetime(2026, 12, 28, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_office_turns_e_mail_on_and_a_secretary_reads_her_reminders_by_the_bell(person, ui_engine, registry,
                                                                                     sample_db):
    mailbox, port = Mailbox(), free_port()
    office = person("office-notifications")
    office.log_in("admin", path="/admin", heading="系统管理")
    office.tab("通知")
    office.choose("渠道", "电子邮件")
    office.tick("开启")
    office.fill("SMTP 服务器", "127.0.0.1")
    office.fill("端口", str(port))
    office.choose("加密方式", "none")
    office.fill("发件地址", "dangjian@example.cn")
    office.press("保存渠道设置")
    office.sees("已保存渠道 电子邮件：开启")
    office.looks_right("e-mail-on")
    office.tab("用户与角色")
    office.choose("用户", "secretary")
    office.fill("电子邮件（通知的邮件渠道发往此地址）", "wang.fang@example.cn")
    office.press("保存联系方式")
    office.sees("已保存 secretary 的联系方式")
    office.tab("用户与角色")
    office.sees_cell("w***@example.cn")
    office.looks_right("address-masked")

    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with Session(ui_engine) as session:
            tenant = session.get(Tenant, sample_db.tenant_id)
        went = service.run(ui_engine, registry, tenant, actor="bastion-notify", now=NOW)
    finally:
        server.stop()
    assert went["planned"] > 0 and went["failed"] == 0

    me = person("secretary-bell")
    me.log_in("secretary", path="/workspace", heading="支部工作台")
    bell = me.page.get_by_role("link", name="条未读通知")
    bell.click()
    me.sees_heading("站内通知")
    me.sees("三会一课提醒：2026-12")
    me.looks_right("inbox")
    me.press("全部标为已读")
    me.sees("已全部标为已读")
    assert me.page.get_by_role("link", name="条未读通知").count() == 0
    me.looks_right("all-read")

    with Session(ui_engine) as session:
        mine = session.exec(select(Notification).where(Notification.channel == "inbox",
                                                       Notification.recipient.like("user:%"))).all()
    assert mine and all(n.state == "sent" for n in mine)
    (message,) = [m for to, m in mailbox.messages if to == ["wang.fang@example.cn"]]
    subject = str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode()
    assert "三会一课提醒：2026-12" in subject + body and "尚未登记支委会、主题党日" in body, (subject, body)
