"""A tenant's notification settings: its channels (on or off, their settings, the events each carries, a secret
kept apart), its quiet hours; a user's e-mail address and language. Every change is audited — the settings and
events as they are, the secret only as set, kept or cleared, an address masked."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select
from sqlmodel import Session

from .. import audit
from ..errors import BadValue, BastionError, NotFound
from ..i18n import tr
from ..members.privacy import mask_email
from ..models import ChannelSetting, Tenant, User, utcnow
from ..registry import Registry
from ..sealed import PREFIX, seal, unseal
from ..tenants import enabled_plugins
from .delivery import check_quiet_hours
from .events import EVENTS
from .outbox import INBOX
from .secret_settings import MASK, secret_fields, shown

LOCALES = ("zh", "en")


def set_channel(session: Session, registry: Registry, tenant: Tenant, channel: str, *, actor: str,
                settings: dict[str, Any] | None = None, events: list[str] | None = None,
                secret: str | None = None, clear_secret: bool = False, enabled: bool = True) -> ChannelSetting:
    """Turn ``channel`` on (or off) for ``tenant`` with its ``settings`` (checked by the channel's own model), the
    ``events`` it carries (None: as before; empty: every event) and its secret (None: kept as it is)."""
    if channel == INBOX:
        raise BastionError(tr("站内通知始终开启，无需设置", "the inbox is always on: it has no settings"))
    contribution = registry.channels(enabled_plugins(session, tenant.id)).get(channel)
    if contribution is None:
        known = sorted(registry.channels(enabled_plugins(session, tenant.id)))
        raise NotFound(tr(f"没有渠道 {channel!r}（本单位已启用的插件提供：{'、'.join(known) or '无'}；"
                          "电子邮件和群机器人由插件 channels 提供）",
                          f"no channel {channel!r} (the tenant's plugins provide: {', '.join(known) or 'none'}; "
                          "e-mail and the group robots come with the plugin channels)"))
    unknown = sorted(set(events or ()) - set(EVENTS))
    if unknown:
        raise BadValue(tr(f"未知的通知事项：{'、'.join(unknown)}（可用：{'、'.join(EVENTS)}）",
                          f"unknown events: {', '.join(unknown)} (known: {', '.join(EVENTS)})"))
    # the tenant's row locked first: two administrators setting a channel at once (its first setting: an insert
    # each) take turns, the second updating what the first made (on SQLite the write lock already serialises them)
    session.exec(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())
    row = session.get(ChannelSetting, (tenant.id, channel))
    model = contribution.item.Settings
    hidden = secret_fields(model)
    before = dict(row.settings) if row is not None else {}
    old = None if row is None else {"enabled": row.enabled, "settings": shown(before, hidden),
                                    "events": row.events}
    values = dict(before if settings is None else settings or {})
    given = {name: str(values.pop(name)) for name in hidden if values.get(name) not in (None, "", MASK)
             and not str(values[name]).startswith(PREFIX)}  # typed now: sealed below; blank or ***: kept as it was
    kept = {name: before[name] for name in hidden if name not in given and before.get(name)}
    try:
        checked = model.model_validate({**values, **given, **{name: unseal(v) for name, v in kept.items()}})
        values = checked.model_dump(mode="json", exclude_unset=True, exclude=hidden)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or channel
        raise BadValue(tr(f"渠道 {channel} 的设置 {where}：{first['msg']}",
                          f"channel {channel}, setting {where}: {first['msg']}")) from None
    values.update(kept)
    values.update({name: seal(value) for name, value in given.items()})  # sealed at rest, as the secret is
    if row is None:
        row = ChannelSetting(tenant_id=tenant.id, channel=channel)
    row.enabled, row.settings = enabled, values
    if events is not None:
        row.events = list(dict.fromkeys(events))
    said = "kept"
    if clear_secret:
        row.secret, said = None, "cleared"
    elif secret is not None:
        row.secret, said = seal(secret), "set"  # sealed at rest (core.sealed)
    row.updated_by, row.updated_at = actor, utcnow()
    session.add(row)
    session.flush()
    audit.record(session, tenant_id=tenant.id, actor=actor, action="update", entity="channel", entity_id=channel,
                 old=old, new={"enabled": row.enabled, "settings": shown(row.settings, hidden), "events": row.events,
                               "secret": said})
    return row


def read_channels(conn: Connection, registry: Registry, tenant_id: int) -> list[dict[str, Any]]:
    """The channels the tenant's plugins provide, each with its state: on or off, settings, events, whether a secret
    is kept (never the secret)."""
    c = ChannelSetting.__table__.c
    rows = {r.channel: r for r in conn.execute(select(c.channel, c.enabled, c.settings, c.events, c.secret,
                                                      c.updated_by, c.updated_at).where(c.tenant_id == tenant_id))}
    found = [{"channel": INBOX, "label": tr("站内通知", "in-app inbox"), "addressed": "user", "enabled": True,
              "settings": {}, "events": [], "secret": False, "updated_by": "", "updated_at": None}]
    for name, contribution in sorted(registry.channels(enabled_plugins(conn, tenant_id)).items()):
        row = rows.get(name)
        found.append({"channel": name, "label": contribution.item.label, "addressed": contribution.item.addressed,
                      "enabled": bool(row and row.enabled),
                      "settings": shown(dict(row.settings), secret_fields(contribution.item.Settings)) if row else {},
                      "events": list(row.events) if row else [], "secret": bool(row and row.secret),
                      "updated_by": row.updated_by if row else "", "updated_at": row.updated_at if row else None})
    return found


def set_quiet_hours(session: Session, tenant: Tenant, hours: str, *, actor: str) -> bool:
    """The tenant's quiet hours ("22:00-07:00"; "" none); audited. Whether they changed."""
    hours = check_quiet_hours(hours)
    if tenant.quiet_hours == hours:
        return False
    audit.record(session, tenant_id=tenant.id, actor=actor, action="update", entity="tenant", entity_id=tenant.id,
                 old={"quiet_hours": tenant.quiet_hours}, new={"quiet_hours": hours})
    tenant.quiet_hours = hours
    session.add(tenant)
    return True


def set_contact(session: Session, tenant_id: int, username: str, *, actor: str, email: str | None = None,
                locale: str | None = None) -> User:
    """A user's e-mail address ("" clears it) and language; audited, the address masked."""
    user = session.exec(select(User).where(User.tenant_id == tenant_id, User.username == username)).scalars().first()
    if user is None:
        raise NotFound(tr(f"没有用户 {username!r}", f"no user {username!r}"))
    old = {"email": mask_email(user.email), "locale": user.locale}
    if email is not None:
        email = email.strip()
        if email and ("@" not in email or " " in email or len(email) > 200):
            raise BadValue(tr(f"电子邮件地址 {email!r} 无效", f"{email!r} is not an e-mail address"))
        user.email = email or None
    if locale is not None:
        if locale not in LOCALES:
            raise BadValue(tr(f"语言应为 zh 或 en，不能是 {locale!r}", f"the language is zh or en, not {locale!r}"))
        user.locale = locale
    session.add(user)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="update", entity="user", entity_id=user.id,
                 old=old, new={"email": mask_email(user.email), "locale": user.locale})
    return user
