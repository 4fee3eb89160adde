"""职责与清单 in the branch workspace (AppTest): the secretary sets a member's duty and records it fulfilled, and
ticks an item of the list the office set up; what the forms refuse is said and nothing written."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bastion.core.db import transaction
from bastion.core.duties import service
from bastion.core.models import DutyRecord, MemberDuty, ResponsibilityTick

PAGE = "workspace.py"


def _submit(at, form: str, label: str):
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    return at


def test_a_secretary_sets_a_duty_records_it_and_ticks_her_list(app, ui_engine, login):
    with transaction(ui_engine) as session:  # the office sets up the branch's list for the year
        item = service.add_item(session, login("admin"), org_code="ZB00001", year=2026, text="每月召开支委会")
    at = app("secretary", PAGE, tab="职责与清单")
    assert not at.exception
    _submit(at, "ws_duty_set", "定责")  # no text: refused, nothing written
    assert any("职责内容：必填" in e.value for e in at.error)
    at.text_input(key="ws_duty_text").input("负责支部组织生活记录")
    _submit(at, "ws_duty_set", "定责")
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(ui_engine) as session:
        (duty,) = session.exec(select(MemberDuty)).all()
    assert duty.kind == "post" and duty.year == 2026
    at.date_input(key="ws_duty_day").set_value(date(2026, 11, 3))
    at.text_input(key="ws_duty_note").input("十一月支委会记录完整")
    _submit(at, "ws_duty_record", "记录履职")
    assert not at.error, [e.value for e in at.error]
    at.date_input(key="ws_list_day").set_value(date(2026, 11, 5))
    at.text_area(key="ws_list_evidence").input("十一月支委会纪要")
    _submit(at, "ws_list_tick", "记录落实")
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(ui_engine) as session:
        assert [r.note for r in session.exec(select(DutyRecord)).all()] == ["十一月支委会记录完整"]
        (done,) = session.exec(select(ResponsibilityTick)).all()
    assert (done.item_id, done.evidence, done.recorded_by) == (item.id, "十一月支委会纪要", "secretary")
    assert "ws_list_text" not in {x.key for x in at.text_input}  # she ticks the list; the office keeps its items
    office = app("admin", PAGE, tab="职责与清单")
    assert not office.exception and "ws_list_text" in {x.key for x in office.text_input}
