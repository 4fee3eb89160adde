"""The outbox (通知发件箱): notifications written as rows, once each, in the transaction of what causes them.

:func:`put` turns occurrences — an event that happened, to whom, with what — into rows: for each recipient, one on
the in-app inbox (always) and one on each channel the tenant turned on that carries the event and can reach them;
for a group channel (a robot), one per occurrence. The unique key (tenant, occurrence, recipient, channel) makes
putting the same occurrence again — a planning rerun, a raced request — add nothing: an insert that ignores rows
already there. Delivering them is ``core.notify.delivery``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select, update

from .. import bulk_write
from ..access import Principal
from ..errors import NotFound
from ..frames import read_frame
from ..i18n import tr
from ..models import ChannelSetting, Notification, NotificationState, as_utc, utcnow
from ..periods import TIME_ZONE
from ..registry import Registry
from .events import EVENTS
from .recipients import Person

INBOX = "inbox"  # Bastion's own channel: every user's inbox, always on


@dataclass(frozen=True)
class Occurrence:
    """An event that happened: ``key`` names it once and for all (``notice:12:due:3``); ``to`` each recipient
    with the parameters of their message (a secretary's own result …); ``group`` the parameters of the message
    group channels post, or None when the event is not for groups."""

    event: str
    key: str
    due_at: datetime
    to: list[tuple[Person, dict[str, Any]]]
    org_id: int | None = None
    group: dict[str, Any] | None = None


@dataclass(frozen=True)
class Route:
    channel: str
    addressed: str  # "user" or "group"
    events: frozenset[str]  # empty: every event
    reach: Any = None  # the channel (its ``address``), for user-addressed channels

    def carries(self, event: str) -> bool:
        return not self.events or event in self.events


def routes(conn: Connection, tenant_id: int, registry: Registry, enabled: Iterable[str]) -> list[Route]:
    """The channels the tenant turned on, of the plugins it enables, each with the events it carries; the inbox
    first, always."""
    channels = registry.channels(enabled)
    c = ChannelSetting.__table__.c
    found = [Route(INBOX, "user", frozenset())]
    for row in conn.execute(select(c.channel, c.events).where(c.tenant_id == tenant_id, c.enabled.is_(True))
                            .order_by(c.channel)):
        contribution = channels.get(row.channel)
        if contribution is None:  # its plugin no longer enabled: nothing goes on it
            continue
        found.append(Route(row.channel, contribution.item.addressed, frozenset(row.events or ()), contribution.item))
    return found


def put(conn: Connection, tenant_id: int, occurrences: Iterable[Occurrence], channels: list[Route]) -> int:
    """The occurrences' notifications on every route that carries them, in ``conn``'s transaction; how many rows
    are new (those already there are left as they are)."""
    rows = []
    for occurrence in occurrences:
        event = EVENTS[occurrence.event]
        for route in channels:
            if not route.carries(occurrence.event):
                continue
            if route.addressed == "group":
                if occurrence.group is not None:
                    title, body = event.render(occurrence.group, "zh")
                    rows.append(_row(tenant_id, occurrence, route.channel, "group", None, title, body))
                continue
            for person, params in occurrence.to:
                if route.channel != INBOX and route.reach.address(person.email) is None:
                    continue  # no address for them on this channel
                title, body = event.render(params, person.locale)
                rows.append(_row(tenant_id, occurrence, route.channel, f"user:{person.user_id}", person.user_id,
                                 title, body))
    return insert_new(conn, rows)


def _row(tenant_id: int, occurrence: Occurrence, channel: str, recipient: str, user_id: int | None, title: str,
         body: str) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "event": occurrence.event, "occurrence": occurrence.key, "recipient": recipient,
            "user_id": user_id, "org_id": occurrence.org_id, "channel": channel, "title": title[:200], "body": body,
            "link": EVENTS[occurrence.event].link, "due_at": utc(occurrence.due_at),
            "state": NotificationState.pending.value,
            "attempts": 0, "last_error": "", "created_at": utcnow()}


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC: what is stored and compared (SQLite keeps a timestamp's digits, not its offset)."""
    return as_utc(moment).astimezone(UTC)


def insert_new(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose (tenant, occurrence, recipient, channel) is not there yet; how many were — in bulk
    (``bulk_write.insert_new``): a publication of 100 000 branches puts as many rows in its transaction."""
    if not rows:
        return 0
    for row in rows:
        row.setdefault("created_at", utcnow())
    names = list(rows[0])
    return bulk_write.insert_new(conn, Notification.__table__, {name: [row[name] for row in rows] for name in names},
                                 keys=["tenant_id", "occurrence", "recipient", "channel"])


# --- how delivery stands (the office's view) ---------------------------------------------------------------


def outcomes(conn: Connection, tenant_id: int) -> pd.DataFrame:
    """How many of the tenant's notifications are in each state, on each channel (channel, state, count)."""
    n = Notification.__table__.c
    return read_frame(select(n.channel, n.state, func.count().label("count")).where(n.tenant_id == tenant_id)
                      .group_by(n.channel, n.state).order_by(n.channel, n.state), conn)


def troubles(conn: Connection, tenant_id: int, *, limit: int = 50) -> pd.DataFrame:
    """The latest notifications that did not go: failing (tried again later), given up, or of unknown fate (a run
    died sending them) — with the tries made and the last error (named by plugin, never with a secret)."""
    n = Notification.__table__.c
    found = read_frame(select(n.id, n.channel, n.event, n.recipient, n.title, n.state, n.attempts, n.next_try_at,
                              n.last_error, n.created_at)
                       .where(n.tenant_id == tenant_id, n.state.in_([NotificationState.failed.value,
                                                                     NotificationState.dead.value,
                                                                     NotificationState.unknown.value]))
                       .order_by(n.id.desc()).limit(limit), conn)
    for column in ("next_try_at", "created_at"):
        if not found.empty:
            found[column] = pd.to_datetime(found[column], utc=True).dt.tz_convert(TIME_ZONE)
    return found


# --- the inbox -------------------------------------------------------------------------------------------


def unread(conn: Connection, principal: Principal) -> int:
    """How many delivered inbox notifications the user has not read (the bell's count)."""
    n = Notification.__table__.c
    return conn.execute(select(func.count()).where(*_mine(principal), n.read_at.is_(None))).scalar_one()


def inbox(conn: Connection, principal: Principal, *, limit: int = 100) -> pd.DataFrame:
    """The user's inbox, the latest first: what was delivered to it."""
    n = Notification.__table__.c
    found = read_frame(select(n.id, n.event, n.title, n.body, n.link, n.sent_at, n.read_at)
                       .where(*_mine(principal)).order_by(n.sent_at.desc(), n.id.desc()).limit(limit), conn)
    if not found.empty:  # shown in the tenant's time
        found["sent_at"] = pd.to_datetime(found["sent_at"], utc=True).dt.tz_convert(TIME_ZONE)
    return found


def mark_read(conn: Connection, principal: Principal, ids: Iterable[int] | None = None) -> int:
    """Mark the user's inbox notifications read (``ids``, or all); how many changed. Only their own."""
    n = Notification.__table__.c
    query = update(Notification.__table__).where(*_mine(principal), n.read_at.is_(None))
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        query = query.where(n.id.in_(wanted))
    changed = conn.execute(query.values(read_at=utcnow())).rowcount
    if ids is not None and changed == 0 and not conn.execute(select(n.id).where(*_mine(principal),
                                                                                n.id.in_(wanted))).first():
        raise NotFound(tr("您的收件箱中没有这条通知", "no such notification in your inbox"))
    return changed


def _mine(principal: Principal):
    n = Notification.__table__.c
    return (n.tenant_id == principal.tenant_id, n.user_id == principal.user_id, n.channel == INBOX,
            n.state == NotificationState.sent.value)
