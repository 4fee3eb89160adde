"""系统管理 › 通知: the tenant's channels (电子邮件, 企业微信, 钉钉 …) — on or off, their settings, the events each
carries, the secret (set, kept or cleared; never shown) —, its quiet hours (免打扰时段), and how delivery stands:
how many notifications in each state on each channel, and the latest that did not go, with why. Every rule is
``core.notify``'s, through ``core.admin`` (an administrator of the whole tenant); the page only asks and shows."""

from __future__ import annotations

import typing
from typing import Any

import pandas as pd
import streamlit as st
from pydantic_core import PydanticUndefined

from bastion.core import admin
from bastion.core.access import Forbidden, Principal
from bastion.core.db import transaction
from bastion.core.models import Tenant
from bastion.core.notify.events import EVENTS
from bastion.core.notify.secret_settings import secret_fields
from bastion.core.tenants import enabled_plugins
from bastion.core.words import NOTIFICATION_STATE, word
from bastion.ui import context
from bastion.ui.feedback import attempt
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid
from sqlmodel import Session


def _event(code: str) -> str:
    return tr(*EVENTS[code].name)


def notifications_tab(who: Principal) -> None:
    registry = context.registry()
    try:
        with context.engine().connect() as conn:
            channels = admin.read_channels(conn, who, registry)
            outcomes, troubles = admin.read_delivery(conn, who)
    except Forbidden as exc:
        st.info(str(exc))
        return
    st.subheader(tr("通知渠道", "Channels"))
    grid(pd.DataFrame({
        tr("渠道", "Channel"): [c["label"] for c in channels],
        tr("状态", "State"): [tr("开启", "on") if c["enabled"] else tr("关闭", "off") for c in channels],
        tr("发给", "To"): [tr("个人", "people") if c["addressed"] == "user" else tr("群", "a group") for c in channels],
        tr("通知事项", "Events"): ["、".join(_event(e) for e in c["events"]) or tr("全部", "all") for c in channels],
        tr("设置", "Settings"): ["，".join(f"{k}={v}" for k, v in c["settings"].items()) for c in channels],
        tr("密钥", "Secret"): [tr("已设置", "set") if c["secret"] else "" for c in channels],
        tr("修改人", "Changed by"): [c["updated_by"] for c in channels]}),
        key="admin_channels", long_text=[tr("通知事项", "Events"), tr("设置", "Settings")])
    st.caption(tr("站内通知始终开启；其他渠道由插件提供（插件 channels：电子邮件、企业微信和钉钉群机器人）。",
                  "The inbox is always on; other channels come from plugins (channels: e-mail and the group robots)."))
    settable = [c for c in channels if c["channel"] != "inbox"]
    if settable:
        channel_form(who, registry, settable)
    quiet_hours_form(who)
    delivery_section(outcomes, troubles)


def channel_form(who: Principal, registry, settable: list[dict[str, Any]]) -> None:
    st.subheader(tr("设置渠道", "Set a channel"))
    by_name = {c["channel"]: c for c in settable}
    name = st.selectbox(tr("渠道", "Channel"), list(by_name), key="channel_choice",
                        format_func=frozen(lambda n: by_name[n]["label"], by_name))
    current = by_name[name]
    with Session(context.engine()) as session:
        contribution = registry.channels(enabled_plugins(session, who.tenant_id))[name]
    item = contribution.item
    with st.form(f"channel_{name}"):
        on = st.checkbox(tr("开启", "On"), value=current["enabled"], key=f"channel_{name}_on")
        given: dict[str, str] = {}
        hidden = secret_fields(item.Settings)
        for field, spec in item.Settings.model_fields.items():
            label = spec.title or field
            if field in hidden:  # a secret setting: typed to change, never shown
                value = st.text_input(label + (tr("（已设置，留空则不变）", " (set; blank: unchanged)")
                                               if field in current["settings"] else ""),
                                      type="password", help=spec.description, key=f"channel_{name}_{field}")
                if value.strip():
                    given[field] = value.strip()
                continue
            now = current["settings"].get(field)
            default = None if spec.default is PydanticUndefined else spec.default
            choices = typing.get_args(spec.annotation) if typing.get_origin(spec.annotation) is typing.Literal else ()
            shown = now if now is not None else default
            if choices:
                value = st.selectbox(label, choices, index=choices.index(shown) if shown in choices else 0,
                                     help=spec.description, key=f"channel_{name}_{field}")
            else:
                value = st.text_input(label, value="" if shown is None else str(shown), help=spec.description,
                                      key=f"channel_{name}_{field}")
            if str(value).strip():
                given[field] = str(value).strip()
        events = st.multiselect(tr("通知事项（不选则全部）", "Events (none: all)"), list(EVENTS),
                                default=current["events"], format_func=frozen(_event, EVENTS),
                                key=f"channel_{name}_events")
        secret = st.text_input(item.secret_label + tr("（留空则不变）", " (blank: unchanged)"), type="password",
                               key=f"channel_{name}_secret",
                               help=tr("密钥只用于发送，不显示、不记入审计日志。",
                                       "The secret is used to send only: never shown, never in the audit trail."))
        clear = st.checkbox(tr("清除密钥", "Clear the secret"), key=f"channel_{name}_clear",
                            disabled=not current["secret"])
        saved = st.form_submit_button(tr("保存渠道设置", "Save the channel"), type="primary", key=f"channel_{name}_save")
    if saved:
        def save() -> None:
            with transaction(context.engine()) as session:
                admin.set_channel(session, who, registry, name, settings=given, events=events,
                                  secret=secret or None, clear_secret=clear, enabled=on)
            for key in (f"channel_{name}_secret", *(f"channel_{name}_{field}" for field in hidden)):
                del st.session_state[key]  # saved: not sent back to the browser with the page
        attempt(save, tr(f"已保存渠道 {current['label']}：{'开启' if on else '关闭'}。",
                         f"Channel {current['label']} saved: {'on' if on else 'off'}."))


def quiet_hours_form(who: Principal) -> None:
    st.subheader(tr("免打扰时段", "Quiet hours"))
    with Session(context.engine()) as session:
        hours = session.get(Tenant, who.tenant_id).quiet_hours
    with st.form("quiet_hours"):
        value = st.text_input(tr("免打扰时段（北京时间，如 22:00-07:00；留空则无）",
                                 "Quiet hours (Beijing time, e.g. 22:00-07:00; blank: none)"), value=hours,
                              key="quiet_hours_value",
                              help=tr("其间除站内通知外不发送，时段结束后发出；各渠道每人每天至多一封汇总。",
                                      "Nothing but the inbox goes meanwhile; it goes when they end. At most one "
                                      "digest a day per person and channel."))
        saved = st.form_submit_button(tr("保存免打扰时段", "Save the quiet hours"), key="quiet_hours_save")
    if saved:
        def save() -> None:
            with transaction(context.engine()) as session:
                admin.set_quiet_hours(session, who, value)
        attempt(save, tr(f"免打扰时段：{value.strip() or '无'}。", f"Quiet hours: {value.strip() or 'none'}."))


def delivery_section(outcomes: pd.DataFrame, troubles: pd.DataFrame) -> None:
    st.subheader(tr("发送情况", "Delivery"))
    if outcomes.empty:
        st.caption(tr("还没有通知。", "No notification yet."))
        return
    labels = {"inbox": tr("站内通知", "inbox")}
    table = outcomes.assign(state=outcomes["state"].map(lambda s: word(NOTIFICATION_STATE, s)),
                            channel=outcomes["channel"].map(lambda c: labels.get(c, c)))
    grid(table.pivot_table(index="channel", columns="state", values="count", fill_value=0, aggfunc="sum")
         .rename_axis(index=tr("渠道", "Channel"), columns=None).reset_index(), key="admin_outcomes")
    st.caption(tr("bastion notify（及每 5 分钟一次的 bastion-notify 流程）发送到期的通知；失败的按 1 分钟、5 分钟、30 分钟、"
                  "2 小时、6 小时重试，之后记为发送失败。",
                  "bastion notify (and the bastion-notify flow every five minutes) sends what is due; a failure is "
                  "tried again after 1 min, 5 min, 30 min, 2 h and 6 h, then given up."))
    if troubles.empty:
        return
    st.markdown(tr("**未能发出的通知**", "**Notifications that did not go**"))
    grid(pd.DataFrame({
        tr("编号", "No."): troubles["id"], tr("渠道", "Channel"): troubles["channel"],
        tr("通知事项", "Event"): troubles["event"].map(_event), tr("标题", "Title"): troubles["title"],
        tr("状态", "State"): troubles["state"].map(lambda s: word(NOTIFICATION_STATE, s)),
        tr("已尝试", "Tries"): troubles["attempts"], tr("下次重试", "Next try"): troubles["next_try_at"],
        tr("错误", "Error"): troubles["last_error"]}), key="admin_troubles", long_text=[tr("错误", "Error")])
