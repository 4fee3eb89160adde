"""职责与清单 in the branch workspace: the members' duties (以岗定责、设岗定责、认岗定责) set, fulfilled and ended, and
the branch's responsibility list (责任清单) ticked with evidence — its items kept by an administrator over it. Every
rule and scope is ``core.duties``'s; the page gathers the request."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from bastion.core import members
from bastion.core.access import Action, Principal, allows
from bastion.core.db import transaction
from bastion.core.duties import queries, service
from bastion.core.models import Cycle
from bastion.core.words import DUTY_KIND, word
from bastion.ui import context
from bastion.ui.feedback import attempt
from bastion.ui.i18n import frozen, tr
from bastion.ui.tables import grid

KINDS = tuple(DUTY_KIND)


def _day(cycle: Cycle) -> date:
    return min(date.today(), date(cycle.year, 12, 31))


def duties_tab(who: Principal, cycle: Cycle, org: dict) -> None:
    _duties(who, cycle, org)
    st.divider()
    _list(who, cycle, org)


def _duties(who: Principal, cycle: Cycle, org: dict) -> None:
    st.subheader(tr("党员岗位职责", "Members' duties"))
    with context.engine().connect() as conn:
        duties = queries.duties_of(conn, who, org["id"], cycle.year)
        register = members.read_members(conn, who, org_code=org["code"])
    if not duties.empty:
        grid(pd.DataFrame({
            tr("党员", "Member"): duties["member_code"] + " " + duties["member_name"],
            tr("定责方式", "Kind"): duties["kind"].map(lambda k: word(DUTY_KIND, k)),
            tr("职责", "Duty"): duties["text"], tr("履职次数", "Fulfilled"): duties["fulfilled"],
            tr("最近履职", "Last"): duties["last"].map(lambda d: "" if pd.isna(d) else str(d)[:10]),
            tr("状态", "State"): duties["active"].map(lambda a: tr("在用", "active") if a else tr("已结束", "ended")),
        }), long_text=[tr("职责", "Duty")], key="ws_duties")
    if register.empty:
        st.caption(tr("本支部尚无党员名册，定责前请先登记党员。", "No register yet: members are registered first."))
        return
    names = dict(zip(register["code"], register["code"] + " " + register["name"], strict=True))
    with st.form("ws_duty_set", clear_on_submit=True):
        code = st.selectbox(tr("党员", "Member"), list(names), format_func=names.__getitem__, key="ws_duty_member")
        kind = st.radio(tr("定责方式", "Kind"), KINDS, horizontal=True, key="ws_duty_kind",
                        format_func=frozen(lambda k: word(DUTY_KIND, k), KINDS))
        text = st.text_input(tr("职责内容", "Duty"), key="ws_duty_text")
        sent = st.form_submit_button(tr("定责", "Set the duty"))
    if sent:
        def run() -> None:
            with transaction(context.engine()) as session:
                service.set_duty(session, who, member_code=code, year=cycle.year, kind=kind, text=text)
        attempt(run, tr(f"已为 {names[code]} 定责。", f"Duty set for {names[code]}."))
    open_ = duties[duties["active"].astype(bool)]
    if open_.empty:
        return
    labels = {int(i): f"{c} {n} · {t}" for i, c, n, t in zip(open_["id"], open_["member_code"], open_["member_name"],
                                                              open_["text"])}
    with st.form("ws_duty_record", clear_on_submit=True):
        duty = st.selectbox(tr("职责", "Duty"), list(labels), format_func=labels.__getitem__, key="ws_duty_pick")
        day = st.date_input(tr("履职日期", "Date"), value=_day(cycle), min_value=date(cycle.year, 1, 1),
                            max_value=date(cycle.year, 12, 31), key="ws_duty_day")
        note = st.text_input(tr("履职情况", "What was done"), key="ws_duty_note")
        recorded = st.form_submit_button(tr("记录履职", "Record it"))
    if recorded:
        def record() -> None:
            with transaction(context.engine()) as session:
                service.record_fulfilment(session, who, duty_id=duty, day=day, note=note)
        attempt(record, tr("已记录履职。", "Recorded."))


def _list(who: Principal, cycle: Cycle, org: dict) -> None:
    st.subheader(tr("书记责任清单", "Responsibility list"))
    with context.engine().connect() as conn:
        items = queries.items_of(conn, who, org["id"], cycle.year)
        keeps = allows(conn, who, Action.administer, org["id"])
    items = items[items["active"].astype(bool)]
    if items.empty:
        st.caption(tr("本年度尚未建立责任清单：由上级党组织的管理员建立。",
                      "No list for the year yet: the superior organisation's administrator sets it up."))
    else:
        grid(pd.DataFrame({
            tr("序号", "No."): items["position"], tr("事项", "Item"): items["text"],
            tr("落实次数", "Done"): items["ticks"],
            tr("最近落实", "Last"): items["last"].map(lambda d: "" if pd.isna(d) else str(d)[:10]),
            tr("佐证", "Evidence"): items["evidence"].fillna(""),
        }), long_text=[tr("事项", "Item"), tr("佐证", "Evidence")], key="ws_list")
        labels = {int(i): f"{p}. {t}" for i, p, t in zip(items["id"], items["position"], items["text"])}
        with st.form("ws_list_tick", clear_on_submit=True):
            item = st.selectbox(tr("事项", "Item"), list(labels), format_func=labels.__getitem__, key="ws_list_item")
            day = st.date_input(tr("落实日期", "Date"), value=_day(cycle), min_value=date(cycle.year, 1, 1),
                                max_value=date(cycle.year, 12, 31), key="ws_list_day")
            evidence = st.text_area(tr("落实情况及佐证", "What was done, where it is recorded"), key="ws_list_evidence")
            ticked = st.form_submit_button(tr("记录落实", "Tick it"))
        if ticked:
            def tick() -> None:
                with transaction(context.engine()) as session:
                    service.tick(session, who, item_id=item, day=day, evidence=evidence)
            attempt(tick, tr("已记录落实。", "Ticked."))
    if keeps:
        with st.form("ws_list_add", clear_on_submit=True):
            text = st.text_input(tr("新增清单事项（管理员）", "New item (administrators)"), key="ws_list_text")
            added = st.form_submit_button(tr("加入清单", "Add to the list"))
        if added:
            def add() -> None:
                with transaction(context.engine()) as session:
                    service.add_item(session, who, org_code=org["code"], year=cycle.year, text=text)
            attempt(add, tr("已加入清单。", "Added."))
