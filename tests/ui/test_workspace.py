"""The branch workspace page (支部工作台): what a secretary and an administrator see, and the writes —
a ledger entry with its evidence, the self-assessment, an answer to a notice — read back through core."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bastion.core import periods, scoring, workspace
from bastion.core.db import transaction
from bastion.core.models import Cycle, LedgerEntry, Organization, Rectification
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from tests.ui.conftest import show_tab
from sqlmodel import Session, select

PAGE = "workspace.py"


def button(at, label):
    return next(b for b in at.button if b.label == label)


def open_cycle(engine) -> Cycle:
    with Session(engine) as session:
        return session.exec(select(Cycle).order_by(Cycle.year.desc())).first()


def org_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organization.id).where(Organization.code == code)).one()


@pytest.mark.parametrize("username", ["secretary", "admin"])
def test_the_workspace_renders_for_each_role_that_sees_it(app, username):
    at = app(username, PAGE)
    assert not at.exception
    assert at.title[0].value == "支部工作台"
    assert at.subheader[0].value.startswith("ZB00001 ")
    labels = [t.label for t in at.tabs]
    assert len(labels) == 7 and labels[5] == "党员" and labels[6] == "职责与清单" and at.dataframe  # targets, progress
    for label in labels:  # only the tab in view runs: each in turn
        show_tab(at, label)
        assert not at.exception and not at.error, (label, at.exception, at.error)
    if username == "admin":
        assert at.sidebar.text_input(key="ws_search") is not None


def test_the_secretary_sees_published_results_with_their_history(app):
    at = app("secretary", PAGE, tab="考核结果")
    at.sidebar.selectbox(key="cycle_year").set_value(2025).run()
    assert not at.exception
    assert [m.label for m in at.metric] == ["总分", "排名", "等次", "档次"]
    assert at.metric[1].value.endswith("/12")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_a_secretary_records_a_ledger_entry_with_its_evidence(app, ui_engine, login):
    at = app("secretary", PAGE, tab="台账")
    at.selectbox(key="ws_ledger_type").set_value("volunteer_service").run()
    at.number_input(key="ws_ledger_quantity").set_value(6.5)
    at.text_input(key="ws_ledger_title").input("社区志愿服务")
    at.text_area(key="ws_ledger_note").input("8 名党员参加")
    at.file_uploader(key="ws_ledger_files").set_value(("签到表.pdf", b"%PDF sign-in sheet", "application/pdf"))
    button(at, "保存台账").click().run()
    assert not at.exception and not at.error
    assert "已记录台账「社区志愿服务」，佐证材料 1 份" in at.success[0].value

    secretary, cycle, branch = login("secretary"), open_cycle(ui_engine), org_id(ui_engine, "ZB00001")
    with ui_engine.connect() as conn:
        entries = workspace.read_entries(conn, secretary, cycle=cycle, org_id=branch)
        files = workspace.read_evidence(conn, secretary, org_id=branch, entry_ids=entries["id"].tolist())
    entry = entries.iloc[0]
    assert (entry.type, entry.title, entry.quantity, entry.note, entry.recorded_by) == (
        "volunteer_service", "社区志愿服务", 6.5, "8 名党员参加", "secretary")
    with Session(ui_engine) as session:
        assert workspace.evidence_file(session, secretary, int(files["id"].item())) == ("签到表.pdf",
                                                                                        b"%PDF sign-in sheet")
    assert any(b.label == "⬇ 签到表.pdf" for b in at.get("download_button"))


def test_a_ledger_entry_without_a_title_is_refused_and_nothing_is_written(app, ui_engine):
    with Session(ui_engine) as session:
        before = len(session.exec(select(LedgerEntry.id)).all())
    at = app("secretary", PAGE, tab="台账")
    at.file_uploader(key="ws_ledger_files").set_value(("纪要.pdf", b"%PDF", "application/pdf"))
    button(at, "保存台账").click().run()
    assert not at.exception
    assert "标题：台账须有标题" in at.error[0].value
    with Session(ui_engine) as session:
        assert len(session.exec(select(LedgerEntry.id)).all()) == before


def test_a_secretary_writes_the_self_assessment_of_the_current_period(app, ui_engine, login):
    cycle = open_cycle(ui_engine)
    period = periods.current_period(cycle)
    at = app("secretary", PAGE, tab="自评")
    at.number_input(key=f"ws_self_overall_{period}").set_value(92)
    at.number_input(key=f"ws_self_{period}_B1-2").set_value(95)
    at.text_area(key=f"ws_self_note_{period}").input("三会一课按期召开")
    button(at, "保存自评").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("已保存") and at.success[0].value.endswith("自评。")
    with Session(ui_engine) as session:
        found = workspace.read_self_assessment(session, login("secretary"), cycle=cycle, period=period,
                                               org_id=org_id(ui_engine, "ZB00001"))
    assert (found.overall, found.indicators, found.note, found.rater) == (92, {"B1-2": 95}, "三会一课按期召开",
                                                                          "secretary")
    assert at.number_input(key=f"ws_self_overall_{period}").value == 92  # shown again for editing


def test_the_admin_reads_the_self_assessment_but_does_not_write_it(app):
    at = app("admin", PAGE, tab="自评")
    assert not at.exception
    assert not any(b.label == "保存自评" for b in at.button)
    assert any("自评由支部书记填写" in i.value for i in at.info)


def test_a_secretary_answers_a_notice_of_their_branch(app, ui_engine, login):
    cycle = open_cycle(ui_engine)
    with transaction(ui_engine) as session:
        session.add(Rectification(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=org_id(ui_engine, "ZB00001"),
                                  notice_no="ZG-TEST-1", problem="支委会记录不全", issued_at=date(2026, 3, 1),
                                  deadline=date(2026, 4, 1)))
    at = app("secretary", PAGE, tab="整改")
    at.text_area(key="ws_response_ZG-TEST-1").input("已补齐三月支委会记录")
    button(at, "提交反馈").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "已反馈整改通知 ZG-TEST-1。"
    with ui_engine.connect() as conn:
        notices = rectification_queries.read_notices(conn, login("secretary"), org_id=org_id(ui_engine, "ZB00001"))
    answered = notices.set_index("notice_no").loc["ZG-TEST-1"]
    assert (answered.status, answered.response) == ("responded", "已补齐三月支委会记录")
    assert not any(b.label == "提交反馈" for b in at.button)  # answered: no form any more


def test_an_admin_picks_another_branch(app):
    at = app("admin", PAGE)
    at.sidebar.text_input(key="ws_search").input("ZB00002").run()
    assert not at.exception
    assert at.subheader[0].value.startswith("ZB00002 ")


def test_the_workspace_speaks_english(app):
    at = app("secretary", PAGE, locale="en")
    assert not at.exception and at.title[0].value == "Branch workspace"


def test_the_published_year_takes_no_more_ledger_entries(app, ui_engine):
    with Session(ui_engine) as session:
        before = len(session.exec(select(LedgerEntry.id)).all())
    at = app("secretary", PAGE, tab="台账")
    at.sidebar.selectbox(key="cycle_year").set_value(2025).run()
    at.text_input(key="ws_ledger_title").input("补记支委会")
    button(at, "保存台账").click().run()
    assert not at.exception
    assert "2025 年度考核结果已在审核或已发布" in at.error[0].value
    with Session(ui_engine) as session:
        assert len(session.exec(select(LedgerEntry.id)).all()) == before


def test_an_entry_late_for_a_published_half_year_is_refused_and_nothing_is_written(app, ui_engine, registry):
    cycle = open_cycle(ui_engine)
    for act in (scoring.score_period, scoring.publish_period):
        act(ui_engine, cycle=cycle, period_key=f"{cycle.year}-H1", registry=registry, actor="test")
    with Session(ui_engine) as session:
        before = len(session.exec(select(LedgerEntry.id)).all())
    at = app("secretary", PAGE, tab="台账")
    at.date_input(key="ws_ledger_day").set_value(date(cycle.year, 3, 10))
    at.text_input(key="ws_ledger_title").input("补记三月支委会")
    button(at, "保存台账").click().run()
    assert not at.exception
    assert f"日期：{cycle.year}-03-10 在考核期 {cycle.year}-H1（{cycle.year}年上半年）内" in at.error[0].value
    with Session(ui_engine) as session:
        assert len(session.exec(select(LedgerEntry.id)).all()) == before


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_notice_reverified_with_a_note_beside_ones_without_breaks_no_tab(app, ui_engine, login, locale):
    """A reported traceback: an empty note read back as NaN was concatenated on the rectification tab."""

    cycle = open_cycle(ui_engine)
    branch = org_id(ui_engine, "ZB00001")
    with transaction(ui_engine) as session:
        for n in (1, 2):
            session.add(Rectification(tenant_id=cycle.tenant_id, cycle_id=cycle.id, org_id=branch,
                                      notice_no=f"ZG-TEST-{n}", problem="支委会记录不全", issued_at=date(2026, 3, 1),
                                      deadline=date(2026, 4, 1)))
    secretary, inspector = login("secretary"), login("inspector")  # logging in writes: not inside a transaction
    with transaction(ui_engine) as session:
        rectification_service.answer_notice(session, secretary, notice_no="ZG-TEST-1", response="已整改")
    with transaction(ui_engine) as session:
        rectification_service.reverify(session, inspector, notice_no="ZG-TEST-1", passed=False, note="台账仍不完整",
                            new_deadline=date.today() + timedelta(days=30))
    at = app("secretary", PAGE, locale=locale, tab="整改" if locale == "zh" else "Rectification")
    assert not at.exception
    shown = " ".join(c.value for c in at.caption)
    assert "台账仍不完整" in shown
    assert "nan" not in shown.lower()


def test_the_secretary_makes_and_downloads_her_branch_s_archive(app):
    at = app("secretary", PAGE, tab="考核结果")
    at.button(key="ws_archive_make").click().run()
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if "考核档案" in b.label]
    assert button.label == "下载 2025 年度考核档案（.docx）"
