"""Notifications: each event puts its notification in the outbox once, at its time, for the right people; delivery
sends what is due once — on the inbox exactly once, on a channel with retries and backoff, never twice after a
killed run — in digests outside the quiet hours."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from bastion import hookimpl
from bastion.core import users
from bastion.core.contributions import Channel, Dispatch
from bastion.core.db import transaction
from bastion.core.errors import NotFound
from bastion.core.models import (
    ChannelSetting,
    Notification,
    Organization,
    Rectification,
    Tenant,
    TenantPlugin,
    as_utc,
)
from bastion.core.notify import delivery, outbox, planning
from bastion.core.registry import Registry
from tests.core import people

pytestmark = pytest.mark.storage

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 12, 20)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


class Robot(Channel):
    """A channel for the tests: posts to a list, fails while told to."""

    name, label, addressed = "robot", "测试机器人", "group"
    sent: list[Dispatch] = []
    failures = 0

    class Settings(BaseModel):
        room: str = "office"

    def send(self, dispatch: Dispatch) -> None:
        if Robot.failures:
            Robot.failures -= 1
            raise ConnectionError(f"robot unreachable (key {dispatch.secret})")
        Robot.sent.append(dispatch)


class RobotPlugin:
    @hookimpl
    def bastion_channels(self):
        return [Robot()]


@pytest.fixture
def office(engine, tenant):
    """The small tree (DW → ZZ1 → A, B; DW → ZZ2 → C), A's secretary, ZZ1's and DW's administrators, a leader,
    and a notice of A due on DEADLINE."""
    ids = people.tree(engine, tenant)
    made = {"sec_a": people.person(engine, tenant, "sec_a", ("secretary", "A")),
            "zz1_admin": people.person(engine, tenant, "zz1_admin", ("admin", "ZZ1")),
            "dw_admin": people.person(engine, tenant, "dw_admin", ("admin", "DW")),
            "leader": people.person(engine, tenant, "leader", ("leader", "DW"))}
    with transaction(engine) as session:
        session.add(Rectification(tenant_id=tenant.id, org_id=ids["A"], notice_no="ZG-1", problem="支委会记录不全",
                                  issued_at=DEADLINE - timedelta(days=20), deadline=DEADLINE))
    Robot.sent, Robot.failures = [], 0
    return ids, made


def _rows(engine, **where) -> list[Notification]:
    with Session(engine) as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        return list(session.exec(query).all())


def _plan(engine, registry, tenant, day: date) -> int:
    with transaction(engine) as session:
        return planning.plan_day(session.connection(), registry, session.get(Tenant, tenant.id), day)


def test_a_notice_s_reminders_come_once_each_at_their_time_and_overdue_goes_up(engine, registry, tenant, office):
    ids, made = office
    assert _plan(engine, registry, tenant, DEADLINE - timedelta(days=8)) == 0  # too early
    assert _plan(engine, registry, tenant, DEADLINE - timedelta(days=7)) == 1
    assert _plan(engine, registry, tenant, DEADLINE - timedelta(days=7)) == 0  # planned again: nothing new
    assert _plan(engine, registry, tenant, DEADLINE - timedelta(days=5)) == 0  # the 7-day one went already
    assert _plan(engine, registry, tenant, DEADLINE - timedelta(days=2)) == 1  # the 3-day one, though a day late
    assert _plan(engine, registry, tenant, DEADLINE) == 1  # the last day: the 1-day one
    assert _plan(engine, registry, tenant, DEADLINE + timedelta(days=1)) == 2  # overdue: A's secretary, ZZ1's office
    due = _rows(engine, event="notice_due")
    assert [r.occurrence.rsplit(":", 1)[1] for r in due] == ["7", "3", "1"]
    assert {r.user_id for r in due} == {made["sec_a"].user_id} and {r.channel for r in due} == {"inbox"}
    assert "还有 7 天" in due[0].body and due[0].title == "整改期限提醒：ZG-1"
    assert as_utc(due[0].due_at) == at(DEADLINE - timedelta(days=7), 9)  # nine o'clock in Beijing, stored as UTC
    overdue = _rows(engine, event="notice_overdue")
    assert {r.user_id for r in overdue} == {made["sec_a"].user_id, made["zz1_admin"].user_id}
    assert len(overdue) == 2  # the inbox of each (escalated one level up, not to DW); no group channel is on


def test_the_inbox_gets_what_is_due_once_and_the_user_reads_it(engine, registry, tenant, office):
    _, made = office
    _plan(engine, registry, tenant, DEADLINE - timedelta(days=3))
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
    early = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(DEADLINE - timedelta(days=3), 8))
    assert early.sent == 0  # due at nine
    first = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(DEADLINE - timedelta(days=3)))
    again = delivery.deliver(engine, registry, tenant=row, actor="test", now=at(DEADLINE - timedelta(days=3)))
    assert (first.sent, again.sent) == (1, 0)
    with engine.connect() as conn:
        assert outbox.unread(conn, made["sec_a"]) == 1 and outbox.unread(conn, made["leader"]) == 0
        (shown,) = outbox.inbox(conn, made["sec_a"]).itertuples()
    assert shown.title == "整改期限提醒：ZG-1"
    with pytest.raises(NotFound), transaction(engine) as session:  # only one's own
        outbox.mark_read(session.connection(), made["leader"], [shown.id])
    with transaction(engine) as session:
        assert outbox.mark_read(session.connection(), made["sec_a"]) == 1
    with engine.connect() as conn:
        assert outbox.unread(conn, made["sec_a"]) == 0


def _robot(engine, tenant, registry_with_robot, *, secret="s3cret", quiet=""):
    with transaction(engine) as session:
        session.add(TenantPlugin(tenant_id=tenant.id, plugin="robot-test"))
        session.add(ChannelSetting(tenant_id=tenant.id, channel="robot", settings={"room": "office"}, secret=secret))
        row = session.get(Tenant, tenant.id)
        row.quiet_hours = quiet
        session.add(row)


@pytest.fixture
def with_robot(registry):
    return Registry.load(extra=[("robot-test", RobotPlugin())])


def test_a_failing_channel_is_tried_again_with_backoff_then_succeeds_once(engine, tenant, office, with_robot):
    _robot(engine, tenant, with_robot)
    _plan(engine, with_robot, tenant, DEADLINE + timedelta(days=1))  # overdue: the group channel carries it
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
    day = DEADLINE + timedelta(days=1)
    Robot.failures = 2
    first = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day))
    (robot,) = _rows(engine, channel="robot")
    assert first.failed == 1 and robot.state == "failed" and robot.attempts == 1
    assert "s3cret" not in robot.last_error and "***" in robot.last_error  # the secret kept out
    assert delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day) + timedelta(seconds=30)).failed == 0
    second = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day) + timedelta(minutes=1))
    assert second.failed == 1 and _rows(engine, channel="robot")[0].attempts == 2
    third = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day) + timedelta(minutes=7))
    assert third.sent == 1 and len(Robot.sent) == 1 and Robot.sent[0].to is None
    assert "ZG-1" in Robot.sent[0].title
    again = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day) + timedelta(hours=1))
    assert again.sent == 0 and len(Robot.sent) == 1


def test_a_killed_run_sends_nothing_twice_and_quiet_hours_and_the_day_s_digest_hold_back(engine, tenant, office,
                                                                                       with_robot):
    _robot(engine, tenant, with_robot, quiet="22:00-07:00")
    day = DEADLINE + timedelta(days=1)
    _plan(engine, with_robot, tenant, day)
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
    night = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day, 23))
    assert night.waiting == 1 and not Robot.sent  # quiet hours: the robot waits, the inbox does not
    with transaction(engine) as session:  # a run killed while sending: the row left claimed
        session.connection().execute(Notification.__table__.update().where(Notification.channel == "robot")
                                     .values(state="sending", claimed_by="dead-run"))
    morning = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day + timedelta(days=1), 8))
    assert morning.unknown == 1 and not Robot.sent and _rows(engine, channel="robot")[0].state == "unknown"
    # the term ending: two notifications to the robot on one day make one digest; the next waits for tomorrow
    with transaction(engine) as session:
        a = session.exec(select(Organization).where(Organization.code == "A")).one()
        a.secretary, a.secretary_term_end = "张三", day + timedelta(days=20)
        session.add(a)
        c = session.exec(select(Organization).where(Organization.code == "C")).one()
        c.secretary, c.secretary_term_end = "李四", day + timedelta(days=25)
        session.add(c)
    _plan(engine, with_robot, tenant, day + timedelta(days=1))
    sent = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day + timedelta(days=1), 10))
    assert sent.sent >= 1 and len(Robot.sent) == 1 and len(Robot.sent[0].messages) == 2
    assert Robot.sent[0].title == "Bastion 通知汇总（2 条）"
    with transaction(engine) as session:  # another occurrence the same day waits for tomorrow's digest
        outbox.insert_new(session.connection(), [{
            "tenant_id": tenant.id, "event": "term_ended", "occurrence": "extra", "recipient": "group",
            "channel": "robot", "title": "x", "body": "y", "link": "", "due_at": at(day), "state": "pending",
            "attempts": 0, "last_error": "", "created_at": at(day)}])
    later = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day + timedelta(days=1), 15))
    assert later.waiting == 1 and len(Robot.sent) == 1
    tomorrow = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day + timedelta(days=2), 10))
    assert len(Robot.sent) == 2 and tomorrow.sent >= 1


def test_two_deliveries_at_once_send_each_notification_once(engine, registry, tenant, office):
    _plan(engine, registry, tenant, DEADLINE + timedelta(days=1))
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
    start, done = threading.Barrier(2), []

    def run() -> None:
        start.wait()
        done.append(delivery.deliver(engine, registry, tenant=row, actor="test", now=at(DEADLINE + timedelta(days=1))))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(d.sent for d in done) == 2  # the two inbox notifications, once
    assert all(r.state == "sent" for r in _rows(engine))


def test_published_results_and_a_decided_appeal_are_told_in_their_transaction(engine, registry):
    from bastion import demo
    from bastion.core import appeals, scoring
    from bastion.core.access import Action
    from bastion.core.results import explain

    sample = demo.build_sample(engine, registry=registry, branches=10, seed=11, year=2025)
    demo.demo_users(engine, sample.tenant)
    with Session(engine) as session:
        who = {name: users.principal_of(session, users.find_user(session, sample.tenant.id, name))
               for name in ("admin", "leader", "secretary")}
    scoring.score_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="test")
    assert _rows(engine) == []
    scoring.publish_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="test")
    rows = _rows(engine, event="results_published")
    secretary, leader = who["secretary"], who["leader"]
    mine = [r for r in rows if r.user_id == secretary.user_id]
    assert len(mine) == 1 and "总分" in mine[0].body and "排名第" in mine[0].body
    assert any(r.user_id == leader.user_id and "共 10 个党支部" in r.body for r in rows)
    (org_id,) = secretary.roots(Action.appeal)
    with engine.connect() as conn:
        code = conn.execute(select(Organization.code).where(Organization.id == org_id)).scalar_one()
        line = next(r for r in explain(conn, cycle=sample.cycle, period="2025", org_code=code).lines
                    if r["kind"] == "controllable")
    with transaction(engine) as session:
        lodged = appeals.lodge(session, secretary, cycle=sample.cycle, period="2025", org_code=code,
                               indicator_code=line["indicator_code"], reason="记录已补").id
    appeals.decide(engine, who["admin"], appeal_id=lodged, accept=False, reason="依据充分", registry=registry)
    (told,) = _rows(engine, event="appeal_decided")
    assert told.user_id == secretary.user_id and "不予支持" in told.title and "依据充分" in told.body
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Notification)).scalar() == len(rows) + 1


def test_a_fast_forwarded_half_year_brings_each_event_on_its_day(engine, registry, tenant, office, cycle):
    """The calendar run day by day from June to the year's end, as the delivery stage plans it each morning: each
    event's notification appears on its day, once, and on no other."""
    from bastion.core.ballots import rounds
    from bastion.core.ledger.service import record_entry

    ids, made = office
    with transaction(engine) as session:
        session.get(Organization, ids["A"]).secretary_term_end = date(2026, 11, 15)
    with transaction(engine) as session:  # A records its July 支委会, not its 主题党日
        record_entry(session, cycle=cycle, org_id=ids["A"], ledger_type="committee_meeting", day=date(2026, 7, 3),
                     title="七月支委会", actor="sec_a", registry=registry)
    with transaction(engine) as session:
        opened = rounds.open_round(session, actor="dw_admin", cycle=cycle, period="2026", registry=registry,
                                   day=date(2026, 6, 1), deadline=date(2026, 6, 15))
    first_seen: dict[str, date] = {row.occurrence: date(2026, 6, 1) for row in _rows(engine)}
    assert {r.event for r in _rows(engine)} == {"round_opened"}  # told in the opening's transaction
    day = date(2026, 6, 1)
    while day <= date(2026, 12, 31):
        _plan(engine, registry, tenant, day)
        for row in _rows(engine):
            first_seen.setdefault(row.occurrence, day)
        day += timedelta(days=1)
    notice = f"notice:{_rows(engine, event='notice_due')[0].occurrence.split(':')[1]}"
    term = f"term:{ids['A']}:2026-11-15"
    expected = {
        f"round:{opened.id}:opened": date(2026, 6, 1), f"round:{opened.id}:closing": date(2026, 6, 14),
        f"{term}:90": date(2026, 8, 17), f"{term}:30": date(2026, 10, 16), f"{term}:ended": date(2026, 11, 16),
        f"{notice}:due:7": date(2026, 12, 13), f"{notice}:due:3": date(2026, 12, 17),
        f"{notice}:due:1": date(2026, 12, 19), f"{notice}:overdue": date(2026, 12, 21),
        **{f"meetings:{ids['A']}:2026-{m:02d}": date(2026, m, 25) for m in range(6, 13)},
    }
    assert first_seen == expected
    rows = _rows(engine)
    by_key = {}
    for row in rows:
        by_key.setdefault(row.occurrence, []).append(row)
    # each at nine in the morning of its day (Beijing), once per recipient
    for key, day in expected.items():
        if key.endswith(":opened"):
            continue
        assert {as_utc(r.due_at) for r in by_key[key]} == {at(day, 9)}, key
        assert len({r.recipient for r in by_key[key]}) == len(by_key[key]), key
    (july,) = by_key[f"meetings:{ids['A']}:2026-07"]
    assert july.body == "A党组织本月（2026-07）尚未登记主题党日，请在月底前召开并记入台账。"  # its 支委会 is recorded
    assert "尚未登记支委会、主题党日" in by_key[f"meetings:{ids['A']}:2026-06"][0].body
    ended = {r.user_id for r in by_key[f"{term}:ended"]}
    assert ended == {made["sec_a"].user_id, made["zz1_admin"].user_id}  # 换届提醒 escalated one level up
    closing = {r.user_id for r in by_key[f"round:{opened.id}:closing"]}
    assert closing == {made["dw_admin"].user_id}  # the offices of the whole tenant


def test_the_scheme_says_when_and_for_which_meetings_a_branch_is_reminded(engine, registry, tenant, office, cycle):
    from bastion.core.models import Cycle

    ids, _ = office
    with transaction(engine) as session:
        frozen = session.get(Cycle, cycle.id)
        frozen.scheme = {**frozen.scheme, "meetings_reminder": {"by_day": 10, "ledger_types": ["group_meeting"]}}
    assert _plan(engine, registry, tenant, date(2026, 8, 9)) == 0
    assert _plan(engine, registry, tenant, date(2026, 8, 10)) == 1
    (row,) = _rows(engine, event="meetings_missing")
    assert "党小组会" in row.body and "支委会" not in row.body
    with transaction(engine) as session:
        frozen = session.get(Cycle, cycle.id)
        frozen.scheme = {**frozen.scheme, "meetings_reminder": None}
    _plan(engine, registry, tenant, date(2026, 9, 28))  # the scheme asks for no such reminder
    _plan(engine, registry, tenant, date(2027, 1, 28))  # 2027 has no cycle: not assessed, not reminded
    assert len(_rows(engine, event="meetings_missing")) == 1
    with transaction(engine) as session:  # the default reminder, in a tenant whose plugins record no meetings
        frozen = session.get(Cycle, cycle.id)
        frozen.scheme = {k: v for k, v in frozen.scheme.items() if k != "meetings_reminder"}
        session.delete(session.get(TenantPlugin, (tenant.id, "standard-ledgers")))
    _plan(engine, registry, tenant, date(2026, 10, 26))
    assert len(_rows(engine, event="meetings_missing")) == 1  # nothing asked that cannot be recorded


def test_a_channel_s_secret_is_sealed_at_rest_and_opened_only_to_send(engine, tenant, office, with_robot, monkeypatch):
    from bastion.core.notify import settings as notify_settings

    monkeypatch.setenv("BASTION_SECRET_KEY", "the platform's key")
    with transaction(engine) as session:
        session.add(TenantPlugin(tenant_id=tenant.id, plugin="robot-test"))
    with transaction(engine) as session:
        notify_settings.set_channel(session, with_robot, session.get(Tenant, tenant.id), "robot", actor="office",
                                    settings={"room": "office"}, secret="s3cret-key")
    with Session(engine) as session:
        stored = session.get(ChannelSetting, (tenant.id, "robot")).secret
        row = session.get(Tenant, tenant.id)
    assert stored.startswith("sealed:") and "s3cret" not in stored  # a copy of the database holds no usable secret
    day = DEADLINE + timedelta(days=1)
    _plan(engine, with_robot, tenant, day)
    monkeypatch.setenv("BASTION_SECRET_KEY", "another key")  # a process not given the platform's key
    refused = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day))
    (robot,) = _rows(engine, channel="robot")
    assert refused.failed == 1 and "BASTION_SECRET_KEY" in robot.last_error and not Robot.sent
    monkeypatch.setenv("BASTION_SECRET_KEY", "the platform's key")
    went = delivery.deliver(engine, with_robot, tenant=row, actor="test", now=at(day) + timedelta(minutes=1))
    assert went.sent == 1 and Robot.sent[0].secret == "s3cret-key"  # opened to send, as it was set


def test_two_administrators_setting_a_channel_at_once_make_one_setting(engine, tenant, office, with_robot):
    """Its first setting is an insert: two at once would both insert; they take turns, the second updates."""
    from bastion.core.models import AuditEvent
    from bastion.core.notify import settings as notify_settings

    with transaction(engine) as session:
        session.add(TenantPlugin(tenant_id=tenant.id, plugin="robot-test"))
    start, errors = threading.Barrier(2), []

    def set_it(room: str) -> None:
        try:
            start.wait()
            with transaction(engine) as session:
                notify_settings.set_channel(session, with_robot, session.get(Tenant, tenant.id), "robot",
                                            actor=f"office-{room}", settings={"room": room})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=set_it, args=(room,)) for room in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(engine) as session:
        (row,) = session.exec(select(ChannelSetting)).all()
        trail = session.exec(select(AuditEvent).where(AuditEvent.entity == "channel")).all()
    assert len(trail) == 2 and [e.old is None for e in trail].count(True) == 1  # one made it, the other changed it
    assert row.settings["room"] == trail[-1].new["settings"]["room"]
