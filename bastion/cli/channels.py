"""``bastion channels``: the notification channels of a tenant (通知渠道) — list them, turn one on with its settings,
the events it carries and its secret, or off."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bastion.core import db
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.notify import settings as notify_settings
from bastion.core.settings import current_actor
from bastion.core.tenants import lookup_tenant
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out, registry

app = typer.Typer(help="Notification channels (通知渠道): list, set, turn off.", no_args_is_help=True)

CHANNEL_FIELDS = (
    Field("channel", "渠道", "Channel", "code"), Field("label", "名称", "Name"),
    Field("enabled", "状态", "State", show=lambda on: tr("开启", "on") if on else tr("关闭", "off")),
    Field("addressed", "发给", "To", show=lambda a: tr("个人", "people") if a == "user" else tr("群", "a group")),
    Field("events", "通知事项", "Events", "prose", show=lambda e: "、".join(e) if e else tr("全部", "all")),
    Field("settings", "设置", "Settings", "prose", show=lambda s: ", ".join(f"{k}={v}" for k, v in s.items())),
    Field("secret", "密钥", "Secret", show=lambda kept: tr("已设置", "set") if kept else ""),
)


@app.command("list")
@handled
def channels_list(tenant: TenantOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The channels the tenant's plugins provide and how each is set (never a secret)."""
    store = engine()
    t = lookup_tenant(store, tenant)
    with store.connect() as conn:
        found = notify_settings.read_channels(conn, registry(), t.id)
    emit(out, fmt, CHANNEL_FIELDS, found, title=tr(f"{t.code} 的通知渠道", f"{t.code}'s channels"))


def _settings(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadValue(tr(f"--setting {pair!r}：应写作 名称=值", f"--setting {pair!r}: expected name=value"))
        found[key.strip()] = value
    return found


@app.command("set")
@handled
def channels_set(
    channel: Annotated[str, typer.Argument(help="The channel: email, wecom, dingtalk …")],
    setting: Annotated[list[str] | None, typer.Option(
        "--setting", "-s", help="A setting as name=value (repeat); given, they replace the channel's settings.")] = None,
    setting_env: Annotated[list[str] | None, typer.Option(
        "--setting-env", help="A secret setting (an access token …) as name=VARIABLE: its value read from that "
                              "environment variable, never typed on the line (repeat).")] = None,
    event: Annotated[list[str] | None, typer.Option(
        "--event", "-e", help="An event the channel carries (repeat); none given: as before (at first, all).")] = None,
    all_events: Annotated[bool, typer.Option("--all-events", help="The channel carries every event.")] = False,
    secret_env: Annotated[str | None, typer.Option(
        "--secret-env", help="The environment variable holding the channel's secret (never typed on the line).")] = None,
    clear_secret: Annotated[bool, typer.Option("--clear-secret", help="Forget the channel's secret.")] = False,
    off: Annotated[bool, typer.Option("--off", help="Turn the channel off (its settings kept).")] = False,
    tenant: TenantOpt = None,
) -> None:
    """Turn a channel on for the tenant with its settings, events and secret (or off with --off); audited, the
    secret only as set or cleared."""
    secret = None
    if secret_env is not None:
        secret = os.environ.get(secret_env)
        if not secret:
            raise BadValue(tr(f"环境变量 {secret_env} 未设置或为空", f"the environment variable {secret_env} is not set"))
    given = _settings(setting) if setting else {}
    for name, variable in _settings(setting_env or []).items():
        if not os.environ.get(variable):
            raise BadValue(tr(f"环境变量 {variable} 未设置或为空", f"the environment variable {variable} is not set"))
        given[name] = os.environ[variable]
    store = engine()
    t = lookup_tenant(store, tenant)
    with db.transaction(store) as session:
        row = notify_settings.set_channel(
            session, registry(), t, channel, actor=current_actor(),
            settings=given if (setting or setting_env) else None, events=[] if all_events else (event or None),
            secret=secret, clear_secret=clear_secret, enabled=not off)
        state = row.enabled
    out.print(tr(f"{t.code} 的渠道 {channel}：{'开启' if state else '关闭'}",
                 f"{t.code}'s channel {channel}: {'on' if state else 'off'}"))
