"""Late facts in the forms (迟到的台账、检查发现): where the tenant takes them, a date in a published period shows the
choice — 计入下一考核期 / 走更正, each with what it does — and saving without one is refused; the choice made is what
is stored, and audited. Where the tenant does not, no choice is shown (the refusal is test_workspace's)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bastion.core import scoring, tenants
from bastion.core.db import transaction
from bastion.core.models import AuditEvent, Cycle, Finding, LedgerEntry, Tenant
from tests.ui.browser import needs_chromium

H1_DAY = date(2026, 3, 10)  # in the first half of 2026, published below


@pytest.fixture
def half_published(ui_engine, registry, sample_db) -> Cycle:
    """The sample's 2026 cycle with its first half-year published."""
    with Session(ui_engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.year == 2026)).scalars().one()
    for act in (scoring.score_period, scoring.publish_period):
        act(ui_engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    return cycle


def allow(ui_engine, sample_db) -> None:
    with transaction(ui_engine) as session:
        tenants.set_late_facts(session, session.get(Tenant, sample_db.tenant_id), allow=True, actor="组织部")


def button(at, label):
    return next(b for b in at.button if b.label == label)


def audit_of(ui_engine, entity: str, entity_id: int) -> dict:
    with ui_engine.connect() as conn:
        new = conn.execute(select(AuditEvent.new).where(AuditEvent.entity == entity,
                                                        AuditEvent.entity_id == str(entity_id))).scalar_one()
    return new if isinstance(new, dict) else json.loads(new)


def test_no_choice_is_offered_where_the_tenant_refuses_late_facts(app, half_published):
    at = app("secretary", "workspace.py", tab="台账")
    at.date_input(key="ws_ledger_day").set_value(H1_DAY).run()
    assert not at.exception
    assert not [r for r in at.radio if r.key == "ws_ledger_late"]


def test_a_secretary_chooses_where_a_late_entry_goes(app, ui_engine, sample_db, half_published):
    allow(ui_engine, sample_db)
    at = app("secretary", "workspace.py", tab="台账")
    at.date_input(key="ws_ledger_day").set_value(H1_DAY).run()
    assert not at.exception
    choice = at.radio(key="ws_ledger_late")
    assert choice.options == ["计入下一考核期", "走更正"] and choice.value is None
    assert "2026-03-10 所在考核期的考核结果已在审核或已发布" in at.warning[0].value
    shown = " ".join(str(c) for c in choice.proto.captions)
    assert "记在 2026-07-01" in shown and "按原日期 2026-03-10 记录，不计入已关闭的 2026-H1" in shown

    at.text_input(key="ws_ledger_title").input("补记三月支委会")
    button(at, "保存台账").click().run()  # no choice made: refused, nothing written
    assert "这是迟到的台账，请选择计入下一考核期（next：记在 2026-07-01）" in at.error[0].value
    with Session(ui_engine) as session:
        assert not session.exec(select(LedgerEntry).where(LedgerEntry.title == "补记三月支委会")).scalars().all()

    at.radio(key="ws_ledger_late").set_value("next")
    at.text_input(key="ws_ledger_title").input("补记三月支委会")
    button(at, "保存台账").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "迟到：原日期 2026-03-10，计入下一考核期，记在 2026-07-01" in at.success[0].value
    with Session(ui_engine) as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.title == "补记三月支委会")).scalars().one()
    assert (entry.date, entry.late_date) == (date(2026, 7, 1), H1_DAY)
    assert audit_of(ui_engine, "ledger_entry", entry.id)["late"] == "next"


def test_the_choice_speaks_english(app, ui_engine, sample_db, half_published):
    allow(ui_engine, sample_db)
    at = app("secretary", "workspace.py", locale="en", tab="Ledgers")
    at.date_input(key="ws_ledger_day").set_value(H1_DAY).run()
    assert not at.exception
    choice = at.radio(key="ws_ledger_late")
    assert choice.options == ["book it in the next period", "the correction route"]
    shown = " ".join(str(c) for c in choice.proto.captions)
    assert "booked on 2026-07-01" in shown and "kept on its own date 2026-03-10" in shown
    assert "this record is late; choose where it goes" in at.warning[0].value


def test_an_inspector_keeps_a_late_finding_for_a_correction(app, ui_engine, sample_db, half_published):
    allow(ui_engine, sample_db)
    at = app("inspector", "inspection.py")
    at.date_input(key="finding_date").set_value(H1_DAY).run()
    assert not at.exception
    at.radio(key="finding_late").set_value("correction")
    at.selectbox(key="finding_org").select("ZB00002")
    at.selectbox(key="finding_indicator").select("B6-1")
    at.number_input(key="finding_deduction").set_value(1.0)
    at.text_area(key="finding_description").input("三月支委会记录缺签到（迟报）")
    at.button(key="finding_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已记录检查发现。（迟到：走更正）"
    with Session(ui_engine) as session:
        finding = session.exec(select(Finding).where(Finding.description == "三月支委会记录缺签到（迟报）")).scalars().one()
    assert (finding.date, finding.late_date) == (H1_DAY, H1_DAY)
    assert audit_of(ui_engine, "finding", finding.id)["late"] == "correction"


@needs_chromium
def test_a_secretary_books_a_late_entry_in_the_next_period_in_the_browser(person, ui_engine, sample_db,
                                                                           half_published):
    """The same in Chromium: a date in the published half-year, the choice beside it, 计入下一考核期, saved."""
    allow(ui_engine, sample_db)
    me = person("late-secretary")
    me.log_in("secretary", path="/workspace", heading="支部工作台")
    me.tab("台账")
    day = me.page.get_by_role("group", name="日期", exact=True)  # a date field of segments: year, month, day
    day.get_by_role("spinbutton").first.click()
    me.page.keyboard.type("20260310")
    me.page.get_by_role("heading", name="支部工作台").click()  # the field commits its value when it loses focus
    me.settled()
    me.sees("这是迟到的记录，请选择处理方式")
    me.sees("记在 2026-07-01")
    me.looks_right("late-choice")
    me.page.get_by_text("计入下一考核期", exact=True).click()
    me.fill("标题", "补记三月支委会")
    me.press("保存台账")
    me.sees("迟到：原日期 2026-03-10，计入下一考核期，记在 2026-07-01")
    me.looks_right("late-entry-saved")
    with Session(ui_engine) as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.title == "补记三月支委会")).scalars().one()
    assert (entry.date, entry.late_date) == (date(2026, 7, 1), H1_DAY)
