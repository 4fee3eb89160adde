"""Delivering the outbox (``bastion notify``, the ``notify`` stage): what is due goes, once.

One delivery runs at a time for a tenant (its lease). A run

1. marks ``unknown`` what a run before it left ``sending`` (it died while sending: whether those went is not known,
   so they are not sent again — at most once beats twice);
2. takes what is due: ``pending``, or ``failed`` whose next try has come;
3. delivers the inbox's in one transaction (exactly once: the inbox is the database);
4. for the other channels, outside the tenant's quiet hours and at most once a day per recipient and channel,
   claims a recipient's due messages (``sending``, a conditional update: a row is claimed once), sends them as one
   dispatch — a digest when there are several — and records the outcome: ``sent``; or ``failed`` with the next
   try after a backoff (1 min, 5 min, 30 min, 2 h, 6 h), ``dead`` after the last, the error kept without the
   channel's secret.

``dry_run`` says what would go and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from .. import locks
from ..contributions import Dispatch
from ..db import transaction
from ..errors import BadValue, BastionError
from ..i18n import tr
from ..models import ChannelSetting, Notification, NotificationState, Tenant, User, utcnow
from ..periods import TIME_ZONE
from ..plugin_faults import PluginFault, plugin_code
from ..registry import Registry
from ..sealed import unseal
from ..tenants import enabled_plugins
from .outbox import INBOX, utc
from .secret_settings import opened, secret_fields

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
TRIES = len(BACKOFF) + 1  # the first try and one after each backoff
RETRYABLE = (NotificationState.pending.value, NotificationState.failed.value)


@dataclass
class Delivery:
    """What a run did (or, dry, would do): counts, and a line per dispatch."""

    tenant: str
    sent: int = 0
    failed: int = 0
    dead: int = 0
    unknown: int = 0
    waiting: int = 0  # due, held back by quiet hours or the day's digest
    held: bool = False  # another delivery of the tenant was running: this one did nothing
    dispatches: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "sent": self.sent, "failed": self.failed, "dead": self.dead,
                "unknown": self.unknown, "waiting": self.waiting, "held": self.held, "dispatches": self.dispatches}


def quiet(hours: str, moment: datetime) -> datetime | None:
    """When the quiet hours ``hours`` ("22:00-07:00", tenant time) around ``moment`` end, or None outside them."""
    if not hours:
        return None
    start, end = (time.fromisoformat(t) for t in hours.split("-"))
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    now = local.time()
    inside = (start <= now < end) if start < end else (now >= start or now < end)
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, ZoneInfo(TIME_ZONE))


def check_quiet_hours(hours: str) -> str:
    """``hours`` as stored ("22:00-07:00"), or the reason it is not a span of the day; "" clears them."""
    hours = hours.strip()
    if not hours:
        return ""
    try:
        start, end = (time.fromisoformat(t.strip()) for t in hours.split("-"))
    except ValueError:
        raise BadValue(tr(f"免打扰时段 {hours!r} 应写作 HH:MM-HH:MM（如 22:00-07:00）",
                              f"quiet hours {hours!r}: expected HH:MM-HH:MM (e.g. 22:00-07:00)")) from None
    if start == end:
        raise BadValue(tr("免打扰时段的开始和结束不能相同", "quiet hours must start and end at different times"))
    return f"{start:%H:%M}-{end:%H:%M}"


def deliver(engine: Engine, registry: Registry, *, tenant: Tenant, actor: str, now: datetime | None = None,
            dry_run: bool = False) -> Delivery:
    """Deliver what is due of ``tenant``'s outbox at ``now`` (the clock's by default)."""
    now = utc(now or utcnow())
    if dry_run:
        with engine.connect() as conn:
            return preview(conn, tenant, now)
    done = Delivery(tenant.code)
    try:
        with locks.hold(engine, f"notify:{tenant.id}", actor=actor, wait=0,
                        purpose=tr(f"{tenant.code} 通知发送", f"delivering {tenant.code}'s notifications")):
            _deliver(engine, registry, tenant, now, done)
    except locks.Held:
        done.held = True
    return done


def preview(conn, tenant: Tenant, now: datetime) -> Delivery:
    """What a delivery at ``now`` would send, read in ``conn`` (which may hold planned rows not yet committed)."""
    now = utc(now)
    done = Delivery(tenant.code)
    _plan(conn, tenant, now, done)
    return done


def _is_due(tenant_id: int, now: datetime) -> tuple:
    """What is due at ``now``: not sent yet (or failed), its time come, its next try too."""
    n = Notification.__table__.c
    return (n.tenant_id == tenant_id, n.state.in_(RETRYABLE), n.due_at <= now,
            (n.next_try_at.is_(None)) | (n.next_try_at <= now))


def _due(conn, tenant_id: int, now: datetime) -> pd.DataFrame:
    n = Notification.__table__.c
    rows = conn.execute(select(n.id, n.channel, n.recipient, n.user_id, n.title, n.body, n.attempts, n.due_at)
                        .where(*_is_due(tenant_id, now)).order_by(n.due_at, n.id)).all()
    return pd.DataFrame(rows, columns=["id", "channel", "recipient", "user_id", "title", "body", "attempts", "due_at"])


def _sent_today(conn, tenant_id: int, now: datetime) -> set[tuple[str, str]]:
    """The (channel, recipient) pairs that had a dispatch today (tenant time): the day's digest went."""
    local = now.astimezone(ZoneInfo(TIME_ZONE))
    midnight = utc(datetime.combine(local.date(), time(0), ZoneInfo(TIME_ZONE)))
    n = Notification.__table__.c
    return set(conn.execute(select(n.channel, n.recipient).where(
        n.tenant_id == tenant_id, n.channel != INBOX, n.state == NotificationState.sent.value,
        n.sent_at >= midnight).distinct()).all())


def _plan(conn, tenant: Tenant, now: datetime, done: Delivery) -> tuple[list[int], list[tuple[str, str, list]]]:
    """What goes now: the inbox's ids, and each (channel, recipient)'s rows for one dispatch; the rest waits."""
    due = _due(conn, tenant.id, now)
    inbox = due[due["channel"] == INBOX]
    for r in inbox.itertuples():
        done.dispatches.append({"channel": INBOX, "recipient": r.recipient, "messages": 1, "title": r.title})
    pushed = due[due["channel"] != INBOX]
    dispatches = []
    if len(pushed):
        if quiet(tenant.quiet_hours, now) is not None:
            done.waiting += len(pushed)
        else:
            today = _sent_today(conn, tenant.id, now)
            for (channel, recipient), rows in pushed.groupby(["channel", "recipient"], sort=True):
                if (channel, recipient) in today:
                    done.waiting += len(rows)
                    continue
                dispatches.append((channel, recipient, rows.to_dict("records")))
                done.dispatches.append({"channel": channel, "recipient": recipient, "messages": len(rows),
                                        "title": rows.iloc[0]["title"] if len(rows) == 1 else _digest_title(len(rows))})
    return inbox["id"].astype(int).tolist(), dispatches


def _deliver(engine: Engine, registry: Registry, tenant: Tenant, now: datetime, done: Delivery) -> None:
    n = Notification.__table__.c
    with transaction(engine) as session:  # a run before this one died while sending these: not sent again
        done.unknown = session.connection().execute(
            update(Notification.__table__).where(n.tenant_id == tenant.id, n.state == NotificationState.sending.value)
            .values(state=NotificationState.unknown.value, claimed_by=None,
                    last_error="发送中断，是否送达未知：不再重发")).rowcount
    with engine.connect() as conn:
        inbox_ids, dispatches = _plan(conn, tenant, now, done)
    if inbox_ids:  # delivered in one statement by what made them due, not by a list of their ids (which may run
        # to a hundred thousand after a publication): those read, and none put since (a later id)
        with transaction(engine) as session:
            done.sent += session.connection().execute(
                update(Notification.__table__).where(*_is_due(tenant.id, now), n.channel == INBOX,
                                                     n.id <= max(inbox_ids))
                .values(state=NotificationState.sent.value, sent_at=now, attempts=n.attempts + 1)).rowcount
    if not dispatches:
        return
    with Session(engine) as session:
        enabled = enabled_plugins(session, tenant.id)
        settings = {s.channel: s for s in session.exec(
            select(ChannelSetting).where(ChannelSetting.tenant_id == tenant.id)).scalars()}
        people = {u.id: u for u in session.exec(select(User).where(User.tenant_id == tenant.id)).scalars()}
    channels = registry.channels(enabled)
    token = uuid4().hex
    for channel, recipient, rows in dispatches:
        ids = [int(r["id"]) for r in rows]
        with transaction(engine) as session:  # claimed: a row is sent by one run at most
            claimed = session.connection().execute(
                update(Notification.__table__).where(n.id.in_(ids), n.state.in_(RETRYABLE))
                .values(state=NotificationState.sending.value, claimed_by=token)).rowcount
        if claimed != len(ids):  # another run took some meanwhile (it cannot: the lease) — leave them to it
            _release(engine, ids, token)
            continue
        error = _send(channels.get(channel), settings.get(channel), people, recipient, rows)
        _record(engine, ids, token, rows, now, error, done)


def _send(contribution, setting: ChannelSetting | None, people: dict[int, User], recipient: str,
          rows: list[dict]) -> str | None:
    """Send one dispatch; None when it went, else the error (without the secret)."""
    if contribution is None or setting is None or not setting.enabled:
        return tr("渠道未启用或其插件未启用", "the channel or its plugin is not enabled")
    channel = contribution.item
    try:
        options = channel.Settings.model_validate(opened(setting.settings or {}, secret_fields(channel.Settings)))
    except BastionError as exc:  # a secret setting sealed under another key
        return str(exc)
    except ValidationError as exc:
        return tr(f"渠道设置无效：{exc.errors()[0]['msg']}", f"the channel's settings are invalid: "
                  f"{exc.errors()[0]['msg']}")
    try:
        secret = unseal(setting.secret) if setting.secret else None
    except BastionError as exc:
        return str(exc)
    to = None
    if channel.addressed == "user":
        user = people.get(int(recipient.split(":")[1]))
        address = None if user is None else channel.address(user.email)
        if address is None:
            return tr("收件人没有该渠道的地址", "the recipient has no address on this channel")
        to = (user.display_name or user.username, address)
    locale = "zh" if to is None else (people[int(recipient.split(":")[1])].locale or "zh")
    messages = tuple((r["title"], r["body"]) for r in rows)
    if len(messages) == 1:
        title, body = messages[0]
    else:
        title = _digest_title(len(messages), locale)
        body = "\n\n".join(f"{i}. {t}\n{b}" for i, (t, b) in enumerate(messages, start=1))
    try:
        with plugin_code(contribution.plugin, tr(f"渠道 {channel.name} 发送", f"channel {channel.name} send")):
            channel.send(Dispatch(title, body, messages, to, options, secret))
    except PluginFault as fault:  # named: the plugin, the channel, what it raised
        said = str(fault)
        return (said.replace(secret, "***") if secret else said)[:500]
    return None


def _digest_title(count: int, locale: str = "zh") -> str:
    return f"Bastion: {count} notifications" if locale == "en" else f"Bastion 通知汇总（{count} 条）"


def _record(engine: Engine, ids: list[int], token: str, rows: list[dict], now: datetime, error: str | None,
            done: Delivery) -> None:
    n = Notification.__table__.c
    with transaction(engine) as session:
        conn = session.connection()
        mine = (n.id.in_(ids), n.claimed_by == token, n.state == NotificationState.sending.value)
        if error is None:
            done.sent += conn.execute(update(Notification.__table__).where(*mine).values(
                state=NotificationState.sent.value, sent_at=now, claimed_by=None, attempts=n.attempts + 1,
                last_error="")).rowcount
            return
        for r in rows:  # each row's own count of tries
            tries = int(r["attempts"]) + 1
            dead = tries >= TRIES
            conn.execute(update(Notification.__table__).where(n.id == int(r["id"]), *mine[1:]).values(
                state=NotificationState.dead.value if dead else NotificationState.failed.value, attempts=tries,
                next_try_at=None if dead else now + BACKOFF[tries - 1], claimed_by=None, last_error=error))
            if dead:
                done.dead += 1
            else:
                done.failed += 1


def _release(engine: Engine, ids: list[int], token: str) -> None:
    n = Notification.__table__.c
    with transaction(engine) as session:
        session.connection().execute(update(Notification.__table__).where(
            n.id.in_(ids), n.claimed_by == token, n.state == NotificationState.sending.value)
            .values(state=NotificationState.pending.value, claimed_by=None))
