"""The built-in channels, each against a local server the test starts: e-mail over SMTP (aiosmtpd), the 企业微信 and
钉钉 robots over HTTP. For each: due → sent once → a rerun sends nothing → a failing channel is tried again and then
succeeds. DingTalk's requests are signed with the tenant's secret; no secret reaches a stored error."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from bastion.core.db import transaction
from bastion.core.models import (
    ChannelSetting,
    Notification,
    Rectification,
    Tenant,
    TenantPlugin,
    User,
)
from bastion.core.notify import delivery, planning
from bastion.plugins.channels import signature
from tests.core import people
from tests.ui.browser import free_port

pytestmark = pytest.mark.storage

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 12, 20)
OVERDUE = DEADLINE + timedelta(days=1)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def overdue(engine, registry, tenant):
    """A's notice overdue: its secretary (with an e-mail address) and ZZ1's office are told; the tenant's row."""
    ids = people.tree(engine, tenant)
    secretary = people.person(engine, tenant, "sec_a", ("secretary", "A"))
    people.person(engine, tenant, "zz1_admin", ("admin", "ZZ1"))
    with transaction(engine) as session:
        user = session.get(User, secretary.user_id)
        user.email, user.display_name = "sec_a@example.cn", "王书记"
        session.add(user)
        session.add(Rectification(tenant_id=tenant.id, org_id=ids["A"], notice_no="ZG-1", problem="支委会记录不全",
                                  issued_at=DEADLINE - timedelta(days=20), deadline=DEADLINE))
    return tenant


def _turn_on(engine, tenant, channel: str, settings: dict, secret: str | None = None) -> Tenant:
    with transaction(engine) as session:
        if not session.get(TenantPlugin, (tenant.id, "channels")):
            session.add(TenantPlugin(tenant_id=tenant.id, plugin="channels"))
        session.add(ChannelSetting(tenant_id=tenant.id, channel=channel, settings=settings, secret=secret))
    with transaction(engine) as session:
        planning.plan_day(session.connection(), _registry(), session.get(Tenant, tenant.id), OVERDUE)
    with Session(engine) as session:
        return session.get(Tenant, tenant.id)


def _registry():
    from bastion.core.registry import Registry

    return Registry.load()


def _state(engine, channel: str) -> list[tuple[str, int]]:
    with Session(engine) as session:
        return [(n.state, n.attempts) for n in session.exec(select(Notification).where(
            Notification.channel == channel).order_by(Notification.id)).all()]


# --- e-mail -------------------------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def test_email_goes_once_over_smtp_and_after_a_failure_on_the_next_try(engine, overdue):
    mailbox, port = Mailbox(), free_port()
    row = _turn_on(engine, overdue, "email", {"host": "127.0.0.1", "port": port, "security": "none",
                                              "sender": "dangjian@example.cn"})
    registry = _registry()
    failed = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE))  # no server yet
    assert failed.failed == 1 and _state(engine, "email") == [("failed", 1)]
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        retried = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE, 10, 2))
        again = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE, 12))
    finally:
        server.stop()
    assert retried.sent == 1 and again.sent == 0 and _state(engine, "email") == [("sent", 2)]
    ((to, message),) = mailbox.messages
    assert to == ["sec_a@example.cn"]
    assert str(make_header(decode_header(message["Subject"]))) == "整改逾期：ZG-1"
    assert "王书记" in str(make_header(decode_header(message["To"])))
    assert "支委会记录不全" in message.get_payload(decode=True).decode()


# --- the robots ---------------------------------------------------------------------------------------------


class Robot(BaseHTTPRequestHandler):
    """A robot's webhook: records each request; answers ``errcode`` 93000 while ``failures`` last."""

    requests: list = []
    failures = 0

    def do_POST(self):  # noqa: N802 - http.server's API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Robot.requests.append((self.path, body))
        answer = {"errcode": 0, "errmsg": "ok"}
        if Robot.failures:
            Robot.failures -= 1
            answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    Robot.requests, Robot.failures = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("channel", ["wecom", "dingtalk"])
def test_a_robot_is_posted_once_and_after_a_failure_on_the_next_try(engine, overdue, robot, channel):
    secret = "SECkey-0123456789"
    url = f"{robot}/send" if channel == "wecom" else f"{robot}/robot/send?access_token=tok"
    row = _turn_on(engine, overdue, channel, {"url": url}, secret)
    registry = _registry()
    Robot.failures = 1
    first = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE))
    with Session(engine) as session:
        stored = session.exec(select(Notification).where(Notification.channel == channel)).one()
    assert first.failed == 1 and "93000" in stored.last_error and secret not in stored.last_error
    second = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE, 10, 2))
    third = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE, 12))
    assert (second.sent, third.sent) == (1, 0) and _state(engine, channel) == [("sent", 2)]
    assert len(Robot.requests) == 2  # the failed post and the one that went, nothing more
    path, body = Robot.requests[-1]
    assert body["msgtype"] == "text" and body["text"]["content"].startswith("整改逾期：ZG-1\n")
    query = parse_qs(urlparse(path).query)
    if channel == "wecom":
        assert query == {"key": [secret]}
    else:
        timestamp = int(query["timestamp"][0])
        assert query["access_token"] == ["tok"]
        assert parse_qs(signature(secret, timestamp))["sign"] == query["sign"]  # signed with the secret (加签)


def test_dingtalk_s_access_token_is_a_secret_setting_sealed_and_sent(engine, overdue, robot, monkeypatch):
    """A setting the plugin types SecretStr: sealed at rest, shown and audited only as set, kept when left blank,
    opened for the plugin to send."""
    from bastion.core.models import AuditEvent
    from bastion.core.notify import settings as notify_settings

    monkeypatch.setenv("BASTION_SECRET_KEY", "the platform's key")
    registry = _registry()
    with transaction(engine) as session:
        session.add(TenantPlugin(tenant_id=overdue.id, plugin="channels"))
    with transaction(engine) as session:
        notify_settings.set_channel(session, registry, session.get(Tenant, overdue.id), "dingtalk", actor="office",
                                    settings={"url": f"{robot}/robot/send", "access_token": "tok-0123456789"},
                                    secret="SECkey-0123456789")
    with transaction(engine) as session:  # set again with the token as listed (***): it is kept
        notify_settings.set_channel(session, registry, session.get(Tenant, overdue.id), "dingtalk", actor="office",
                                    settings={"url": f"{robot}/robot/send", "timeout": "5", "access_token": "***"})
    with Session(engine) as session:
        stored = session.get(ChannelSetting, (overdue.id, "dingtalk")).settings
        trail = str([(e.old, e.new) for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "channel"))])
    assert stored["access_token"].startswith("sealed:") and "tok-0123456789" not in str(stored) + trail
    assert stored["timeout"] == 5.0
    with engine.connect() as conn:
        (listed,) = [c for c in notify_settings.read_channels(conn, registry, overdue.id) if c["channel"] == "dingtalk"]
    assert listed["settings"]["access_token"] == "***"
    with transaction(engine) as session:
        planning.plan_day(session.connection(), registry, session.get(Tenant, overdue.id), OVERDUE)
    with Session(engine) as session:
        row = session.get(Tenant, overdue.id)
    assert delivery.deliver(engine, registry, tenant=row, actor="test", now=at(OVERDUE)).failed == 0
    assert _state(engine, "dingtalk") == [("sent", 1)]
    path, _ = Robot.requests[-1]
    query = parse_qs(urlparse(path).query)
    assert query["access_token"] == ["tok-0123456789"] and parse_qs(
        signature("SECkey-0123456789", int(query["timestamp"][0])))["sign"] == query["sign"]
