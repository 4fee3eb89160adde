"""The inspection page (督查检查): an inspector records a finding with evidence, issues its notice and
re-verifies an answered one; refusals are shown and write nothing; a narrower inspector sees less."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import inspection, users
from bastion.core.cycles import cycle_scheme
from bastion.core.db import transaction
from bastion.core.models import Cycle, Tenant
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.demo import DEMO_PASSWORD

PAGE = "inspection.py"
ON = date(2026, 6, 1)


def _fill_finding(at, org="ZB00002", deduction=1.0, description="三月支委会记录缺签到"):
    at.selectbox(key="finding_org").select(org)
    at.selectbox(key="finding_indicator").select("B6-1")
    at.selectbox(key="finding_kind").select("covert")
    at.date_input(key="finding_date").set_value(ON)
    at.number_input(key="finding_deduction").set_value(deduction)
    at.text_area(key="finding_description").input(description)
    return at


@pytest.mark.parametrize("username", ["inspector", "admin"])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_page_renders_for_each_role_that_sees_it(app, username, locale):
    at = app(username, PAGE, locale=locale)
    assert not at.exception
    assert at.title[0].value == ("督查检查" if locale == "zh" else "Inspection")
    assert len(at.tabs) == 4 and not at.error


def test_an_inspector_records_a_finding_with_evidence_and_issues_its_notice(app, ui_engine, login, sample_db):
    at = _fill_finding(app("inspector", PAGE))
    at.file_uploader(key="finding_files").set_value(("签到表.jpg", b"\xff\xd8\xff\xe0 a photo of the sign-in sheet", "image/jpeg"))
    at.button(key="finding_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已记录检查发现。"

    who = login("inspector")
    with ui_engine.connect() as conn:
        findings = inspection.read_findings(conn, who, cycle_id=_cycle_2026(ui_engine, sample_db))
    found = findings[findings["description"] == "三月支委会记录缺签到"]
    assert list(found[["code", "indicator_code", "deduction"]].itertuples(index=False, name=None)) == \
        [("ZB00002", "B6-1", 1.0)]
    finding_id = int(found["finding_id"].iat[0])
    with Session(ui_engine) as session:
        (evidence,) = inspection.finding_evidence(session, who, finding_id=finding_id)
    assert evidence.filename == "签到表.jpg"

    at.radio(key="notice_source").set_value("finding").run()
    at.selectbox(key="notice_finding").select(finding_id)
    at.date_input(key="notice_deadline").set_value(date.today() + timedelta(days=20))
    at.button(key="notice_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ui_engine.connect() as conn:
        notices = rectification_queries.read_notices(conn, who)
    issued = notices[notices["finding_id"] == finding_id]
    assert len(issued) == 1 and issued["notice_no"].iat[0].startswith("ZG2026-")
    assert issued["deadline"].iat[0] == date.today() + timedelta(days=20)


def test_a_refused_finding_shows_why_and_writes_nothing(app, ui_engine, login, sample_db):
    at = _fill_finding(app("inspector", PAGE), deduction=9.0)
    at.button(key="finding_submit").click().run()
    assert not at.exception
    assert "扣分：9 不在 0 与 B6-1" in at.error[0].value
    with ui_engine.connect() as conn:
        findings = inspection.read_findings(conn, login("inspector"), cycle_id=_cycle_2026(ui_engine, sample_db))
    assert "三月支委会记录缺签到" not in set(findings["description"])


def test_an_inspector_reverifies_an_answered_notice(app, ui_engine, login, sample_db):
    who = login("inspector")
    cycle_id = _cycle_2026(ui_engine, sample_db)
    with transaction(ui_engine) as session:
        notice = rectification_service.issue_notice(session, who, cycle_id=cycle_id, org_code="ZB00003", problem="党课记录缺失",
                                         deadline=date.today() + timedelta(days=10))
        rectification_service.respond(session, tenant_id=who.tenant_id, notice_no=notice.notice_no, response="已补上党课记录",
                               actor="secretary")
    at = app("inspector", PAGE)
    at.selectbox(key="verify_notice").select(notice.notice_no)
    at.radio(key="verify_passed").set_value(True)
    at.text_area(key="verify_note").input("复验通过")
    at.button(key="verify_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ui_engine.connect() as conn:
        verified = rectification_queries.read_notices(conn, who, status="verified")
    assert list(verified["notice_no"]) == [notice.notice_no] and verified["verifier"].iat[0] == "inspector"


def test_an_inspector_of_one_general_branch_picks_only_its_branches(app, ui_engine, sample_db):
    with transaction(ui_engine) as session:
        tenant = session.get(Tenant, sample_db.tenant_id)
        users.create_user(session, tenant=tenant, username="zz02", password=DEMO_PASSWORD, display_name="二组",
                          grants=[("inspector", "ZZ02")], actor="test")
    at = app("zz02", PAGE)
    assert not at.exception
    options = set(at.selectbox(key="finding_org").options)
    assert options and all(option.startswith(("ZZ02", "ZB00002", "ZB00003", "ZB00006", "ZB00007", "ZB00008",
                                              "ZB00011")) for option in options)
    assert not any(option.startswith("ZB00001") for option in options)


def test_the_form_offers_only_the_indicators_whose_rule_reads_findings(app, ui_engine, sample_db, registry):
    """A finding on any other indicator would count for nothing: the form does not offer it (and the service
    refuses it, ``tests/core/test_inspection.py``)."""
    at = app("inspector", PAGE)
    assert not at.exception
    with Session(ui_engine) as session:  # the page's cycle: the latest
        cycle = session.exec(select(Cycle).where(Cycle.tenant_id == sample_db.tenant_id)
                             .order_by(Cycle.year.desc())).first()
    rules = registry.rule_types()
    indicators = list(cycle_scheme(cycle).indicators())
    reading = [i.code for i in indicators if "findings" in rules[i.rule].item.inputs]
    offered = [option.split()[0] for option in at.selectbox(key="finding_indicator").options]
    assert offered == reading and 0 < len(offered) < len(indicators)
    assert "B1-4" not in offered  # 班子建设上级考评, scored by level_score


def _cycle_2026(engine, sample_db) -> int:
    with Session(engine) as session:
        return session.exec(select(Cycle.id).where(Cycle.tenant_id == sample_db.tenant_id, Cycle.year == 2026)).one()
