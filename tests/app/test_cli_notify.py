"""``bastion notify`` (dry, then for real, then again: nothing twice), ``bastion inbox``, ``bastion channels``,
``bastion tenant set --quiet-hours`` and ``bastion user set --email`` as an office uses them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import db
from bastion.core.db import transaction
from bastion.core.models import AuditEvent, ChannelSetting, Rectification
from bastion.core.sealed import unseal
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion
from tests.core import people

T = ("--tenant", "acme")
DEADLINE = date(2026, 12, 20)


@pytest.fixture
def office(home, registry):
    store = db.connect(Settings.from_env())
    try:
        tenant = factories.tenant(store, registry)
        ids = people.tree(store, tenant)
        people.person(store, tenant, "sec_a", ("secretary", "A"))
        people.person(store, tenant, "zz1_admin", ("admin", "ZZ1"))
        with transaction(store) as session:
            session.add(Rectification(tenant_id=tenant.id, org_id=ids["A"], notice_no="ZG-1", problem="支委会记录不全",
                                      issued_at=DEADLINE - timedelta(days=20), deadline=DEADLINE))
    finally:
        store.dispose()


def test_notify_plans_and_delivers_once_and_the_user_reads_the_inbox(office):
    now = ("--now", "2026-12-18T10:00+08:00")
    dry = json.loads(bastion("notify", *T, *now, "--dry-run", "--format", "json").stdout)
    assert dry[0]["planned"] == 1 and [d["title"] for d in dry[0]["dispatches"]] == ["整改期限提醒：ZG-1"]
    assert "0 new notification(s)" not in bastion("notify", *T, *now, "--dry-run").output  # dry: nothing kept
    said = " ".join(bastion("notify", *T, *now).output.split())
    assert "1 new notification(s); sent 1 dispatch(es) (1 sent" in said
    again = " ".join(bastion("notify", *T, *now).output.split())
    assert "0 new notification(s); sent 0 dispatch(es)" in again
    listed = json.loads(bastion("inbox", "list", *T, "--as", "sec_a", "--format", "json").stdout)
    assert [r["title"] for r in listed] == ["整改期限提醒：ZG-1"] and listed[0]["read_at"] is None
    assert "1 marked read" in bastion("inbox", "read", *T, "--as", "sec_a").output
    assert "(0 unread)" in bastion("inbox", "list", *T, "--as", "sec_a").output


def test_channels_quiet_hours_and_addresses_are_set_checked_and_audited_without_secrets(office, monkeypatch):
    listed = json.loads(bastion("channels", "list", *T, "--format", "json").stdout)
    assert [c["channel"] for c in listed] == ["inbox"] and listed[0]["enabled"]  # the plugin not enabled yet
    out = bastion("channels", "set", "email", *T, ok=False)
    assert out.exit_code == 1 and "come with the plugin channels" in out.output
    bastion("tenant", "enable", "channels", *T)
    out = bastion("channels", "set", "email", *T, "--setting", "port=x", ok=False)
    assert out.exit_code == 2 and "channel email, setting" in out.output  # a bad value: exit 2, as a usage error
    monkeypatch.setenv("ROBOT_KEY", "k-0123456789")
    bastion("channels", "set", "wecom", *T, "--setting", "url=http://127.0.0.1:9/send", "--secret-env", "ROBOT_KEY",
            "--event", "notice_overdue")
    (wecom,) = [c for c in json.loads(bastion("channels", "list", *T, "--format", "json").stdout)
                if c["channel"] == "wecom"]
    assert wecom["enabled"] and wecom["secret"] is True and wecom["events"] == ["notice_overdue"]
    assert "k-0123456789" not in bastion("channels", "list", *T).output
    monkeypatch.setenv("DING_TOKEN", "tok-9876543210")
    bastion("channels", "set", "dingtalk", *T, "--setting", "url=http://127.0.0.1:9/robot/send", "--setting-env",
            "access_token=DING_TOKEN")
    (ding,) = [c for c in json.loads(bastion("channels", "list", *T, "--format", "json").stdout)
               if c["channel"] == "dingtalk"]
    assert ding["settings"]["access_token"] == "***"  # a secret setting: never listed
    out = bastion("channels", "set", "wecom", *T, "--event", "no_such_event", ok=False)
    assert out.exit_code == 2 and "unknown events: no_such_event" in out.output
    out = bastion("tenant", "set", *T, "--quiet-hours", "25:00-07:00", ok=False)
    assert out.exit_code == 2 and "quiet hours" in out.output
    assert "quiet hours 22:00-07:00" in bastion("tenant", "set", *T, "--quiet-hours", "22:00-07:00").output
    bastion("user", "set", "sec_a", *T, "--email", "wang.fang@example.cn", "--locale", "en")
    store = db.connect(Settings.from_env())
    try:
        with Session(store) as session:
            trail = json.dumps([(e.old, e.new) for e in session.exec(select(AuditEvent)).all()], ensure_ascii=False)
            stored = session.get(ChannelSetting, (session.exec(select(ChannelSetting.tenant_id)).first(), "wecom"))
    finally:
        store.dispose()
    assert "tok-9876543210" not in trail
    assert unseal(stored.secret) == "k-0123456789" and "k-0123456789" not in stored.secret + trail  # sealed at rest
    assert "w***@example.cn" in trail and "wang.fang@example.cn" not in trail
