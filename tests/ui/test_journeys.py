"""What each role does in a day, end to end in a real browser (Debian's Chromium, headless, via Playwright).

Every step is checked the way the person meets it — the words on the page, a file downloaded, the
database afterwards — and :meth:`Person.looks_right` after each step fails on an exception box, a
traceback, a raw "None"/"NaN"/"null" or a request that leaves the server. The screenshots are kept in
``$BASTION_SCREENSHOT_DIR/journeys`` (``.ci/run``: ``.ci/artifacts/journeys``).
"""

from __future__ import annotations

from datetime import date, timedelta

from openpyxl import load_workbook
from sqlmodel import Session, select

from bastion.core import cycles, tenants
from bastion.core.ballots import rounds
from bastion.core.db import transaction
from bastion.core.models import (AuditEvent, BallotRound, CastBallot, LedgerEntry, MemberDuty, Organization, Rectification,
                                 ResponsibilityTick, User)
from bastion.core.rectification import service as rectification_service
from tests.ui.browser import needs_chromium

pytestmark = needs_chromium


def _org(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organization.id).where(Organization.code == code)).one()


def _open_cycle(engine, tenant_id: int):
    with Session(engine) as session:
        tenant = session.get(tenants.Tenant, tenant_id)
        return cycles.resolve_cycle(session, tenant, 2026)


def _issue(engine, login, sample_db) -> str:
    """A notice for the secretary's branch, issued as the inspection page issues one; its number."""
    cycle = _open_cycle(engine, sample_db.tenant_id)
    inspector = login("inspector")  # before the transaction: logging in writes (its own transaction)
    with transaction(engine) as session:
        rectification_service.issue_notice(session, inspector, cycle_id=cycle.id, finding_id=None, org_code="ZB00001",
                                problem="三月支委会记录不全", requirement="补齐会议记录", deadline=date.today() + timedelta(20))
    with Session(engine) as session:
        issued = session.exec(select(Rectification).order_by(Rectification.id.desc())).first()
    assert issued.problem == "三月支委会记录不全"
    return issued.notice_no


def test_a_secretary_records_the_branchs_work_answers_a_notice_and_reads_the_result(
        person, ui_engine, login, sample_db, tmp_path):
    notice_no = _issue(ui_engine, login, sample_db)
    me = person("secretary")
    me.log_in("secretary", path="/workspace", heading="支部工作台")
    me.sees("ZB00001")
    me.looks_right("targets")

    me.tab("台账")
    me.choose("台账类型", "志愿服务")
    me.fill("数量（小时）", "6.5")
    me.fill("标题", "社区志愿服务")
    me.fill("备注", "8 名党员参加")
    sheet = tmp_path / "签到表.pdf"
    sheet.write_bytes(b"%PDF-1.4 sign-in sheet")
    me.upload("佐证材料", sheet)
    me.press("保存台账")
    me.sees("已记录台账「社区志愿服务」，佐证材料 1 份")
    me.looks_right("ledger-saved")
    with Session(ui_engine) as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.title == "社区志愿服务")).one()
    assert (entry.type, entry.quantity, entry.recorded_by) == ("volunteer_service", 6.5, "secretary")

    me.tab("自评")
    me.fill("总体自评（0–100）", "92")
    me.fill("自评说明", "三会一课按期召开")
    me.press("保存自评")
    me.sees("自评")
    me.sees("已保存")  # the success is shown in the tab the secretary is on, not on the first one
    me.settled()  # then asked until it holds: the rerun after the save redraws the tabs
    from playwright.sync_api import expect

    expect(me.page.get_by_role("tab", name="自评", exact=True)).to_have_attribute("aria-selected", "true")
    me.looks_right("self-assessment-saved")

    me.tab("整改")
    me.sees("三月支委会记录不全")
    me.page.get_by_label("整改情况").first.fill("已补齐三月支委会记录")
    me.press("提交反馈")
    me.sees(f"已反馈整改通知 {notice_no}")
    me.looks_right("notice-answered")
    with Session(ui_engine) as session:
        answered = session.exec(select(Rectification).where(Rectification.notice_no == notice_no)).one()
    assert answered.status == "responded" and answered.response == "已补齐三月支委会记录"

    me.choose("考核年度", "2025")
    me.tab("考核结果")
    me.sees("总分")
    me.sees("排名")
    me.looks_right("results")

    me.page.reload()  # F5: still logged in, on the same page, in the same language
    me.sees_heading("支部工作台")
    assert me.page.get_by_label("用户名").count() == 0
    me.looks_right("after-reload")


def test_an_inspector_records_a_finding_issues_its_notice_and_reverifies_an_answer(
        person, ui_engine, login, sample_db, tmp_path):
    answered = _issue(ui_engine, login, sample_db)
    secretary = login("secretary")
    with transaction(ui_engine) as session:
        rectification_service.answer_notice(session, secretary, notice_no=answered, response="已整改到位")
    me = person("inspector")
    me.log_in("inspector", path="/inspection", heading="督查检查")
    me.looks_right("checks")

    me.tab("记录检查发现")
    me.choose("被检查党组织", "ZB00002")
    me.choose("考核指标", "B6-1")
    me.choose("检查方式", "暗访")
    me.fill("扣分", "1")
    me.fill("问题描述", "三月支委会记录缺签到")
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo")
    me.upload("佐证材料", photo)
    me.press("记录问题")
    me.sees("已记录检查发现")
    me.looks_right("finding-recorded")

    me.tab("整改通知")
    me.choose("检查发现", "三月支委会记录缺签到")
    me.press("下发整改通知书")
    me.sees("已下发整改通知书")
    me.looks_right("notice-issued")
    with Session(ui_engine) as session:
        notice = session.exec(select(Rectification).where(Rectification.finding_id.is_not(None))
                              .order_by(Rectification.id.desc())).first()
    assert notice.problem.endswith("三月支委会记录缺签到") and notice.status == "issued"

    me.tab("复验")
    me.choose("整改通知书", answered)
    me.page.get_by_text("未通过，重新整改").click()
    me.fill("复验意见", "签到表仍缺两人")
    me.press("提交复验")
    me.sees("已记录复验结论")
    me.looks_right("reverified")
    with Session(ui_engine) as session:
        reopened = session.exec(select(Rectification).where(Rectification.notice_no == answered)).one()
    assert reopened.status == "reopened" and reopened.verification_note == "签到表仍缺两人"

    # The secretary's workspace once a notice has a note beside notices without one (a reported traceback).
    secretary = person("secretary-after-reverify")
    secretary.log_in("secretary", path="/workspace", heading="支部工作台")
    secretary.tab("整改")
    secretary.sees("签到表仍缺两人")
    secretary.looks_right("reopened-notice")


def _round_codes(engine, sample_db, registry) -> list:
    """The office opens the 2026 round and prints its codes (as `bastion ballots open` and `sheet` do)."""
    with transaction(engine) as session:
        cycle = cycles.resolve_cycle(session, session.get(tenants.Tenant, sample_db.tenant_id), 2026)
        found = rounds.open_round(session, actor="office", cycle=cycle, period="2026", registry=registry)
    with transaction(engine) as session:
        return rounds.issue_codes(session, actor="office", round_id=found.id)


def test_a_member_votes_by_code_on_a_phone_once(person, ui_engine, sample_db, registry):
    slip = next(s for s in _round_codes(ui_engine, sample_db, registry) if s.source == "superior")
    me = person("member-phone", phone=True)
    me.visit(f"/ballot?code={slip.code}", heading="民主测评投票")  # the QR code's address: no account, no login
    me.sees(slip.org_name)
    me.looks_right("ballot")
    numbers = me.page.locator("input[type=number]")
    for n in range(numbers.count()):
        numbers.nth(n).fill(str(80 + n))
    for group in me.page.get_by_role("radiogroup").all():  # each level question: 良好
        group.get_by_text("良好", exact=True).click()
    me.fill("意见建议（可选）", "组织生活扎实")
    me.looks_right("ballot-filled")
    me.press("投票")
    me.sees("投票成功")
    me.looks_right("ballot-cast")
    with Session(ui_engine) as session:
        (cast,) = session.exec(select(CastBallot)).all()
    assert cast.answers[""] == 80 and len(cast.answers) > 1 and cast.note == "组织生活扎实"

    again = person("member-phone-again", phone=True)
    again.visit(f"/ballot?code={slip.code}", heading="民主测评投票")
    again.sees("该测评码已投过票")
    again.looks_right("ballot-used")


def test_the_office_opens_a_round_prints_its_codes_and_closes_it(person, ui_engine, sample_db, tmp_path):
    me = person("office-ballots")
    me.log_in("admin", path="/admin", heading="系统管理")
    me.tab("民主测评")
    me.sees("尚未开启民主测评")
    me.press("开启民主测评")
    me.sees("民主测评已开启")
    me.looks_right("round-open")
    me.page.get_by_role("button", name="生成测评码", exact=False).click()
    me.settled()
    me.sees("下载测评码（PDF，可打印裁切）")  # the slips are made in the click's run: a minute on a busy machine
    with me.page.expect_download() as download:
        me.page.get_by_role("button", name="下载测评码（PDF，可打印裁切）").click()
    saved = tmp_path / "codes.pdf"
    download.value.save_as(saved)
    me.settled()
    assert saved.read_bytes().startswith(b"%PDF") and saved.stat().st_size > 10_000
    me.sees_cell("党员群众测评")
    me.looks_right("codes-issued")
    me.page.get_by_text("确认结束本轮民主测评").click()
    me.settled()
    me.press("结束并计票")
    me.sees("已结束计票")
    me.looks_right("round-closed")
    with Session(ui_engine) as session:
        closed = session.exec(select(BallotRound)).one()
    assert closed.status == "closed" and closed.closed_by == "admin"


def test_a_secretary_sets_a_duty_records_it_and_ticks_her_list(person, ui_engine, login):
    from bastion.core.duties import service

    with transaction(ui_engine) as session:  # the office set up the branch's list for the year
        service.add_item(session, login("admin"), org_code="ZB00001", year=2026, text="每月召开支委会")
    me = person("secretary-duties")
    me.log_in("secretary", path="/workspace", heading="支部工作台")
    me.tab("职责与清单")
    me.sees("党员岗位职责")
    me.fill("职责内容", "负责支部组织生活记录")
    me.press("定责")
    me.sees("已为")
    me.tab("职责与清单")  # on a busy machine the rerun after a save may come back on the first tab
    me.sees_cell("负责支部组织生活记录")
    me.looks_right("duty-set")
    me.fill("履职情况", "十一月支委会记录完整")
    me.press("记录履职")
    me.sees("已记录履职")
    me.fill("落实情况及佐证", "十一月支委会纪要")
    me.press("记录落实")
    me.sees("已记录落实")
    me.tab("职责与清单")
    me.sees_cell("十一月支委会纪要")
    me.looks_right("list-ticked")
    with Session(ui_engine) as session:
        assert [d.text for d in session.exec(select(MemberDuty)).all()] == ["负责支部组织生活记录"]
        assert [t.evidence for t in session.exec(select(ResponsibilityTick)).all()] == ["十一月支委会纪要"]


def test_the_office_tries_a_scheme_file_on_last_year_and_downloads_the_comparison(person, ui_engine, sample_db,
                                                                                   tmp_path):
    from bastion.core import scheme_files
    from bastion.core.cycles import cycle_scheme
    from bastion.core.models import Cycle
    from bastion.core.scheme import Scheme

    with Session(ui_engine) as session:
        data = cycle_scheme(session.get(Cycle, sample_db.cycle_id)).model_dump(mode="json")
    first, second = (max(data["blocks"][n]["indicators"], key=lambda i: i["points"]) for n in (0, 1))
    first["points"], second["points"] = first["points"] / 2, second["points"] + first["points"] / 2
    path = tmp_path / "2027.yaml"
    path.write_text(scheme_files.dump(Scheme.model_validate(data | {"version": "2027.1"})), encoding="utf-8")
    me = person("office-whatif")
    me.log_in("admin", path="/admin", heading="系统管理")
    me.tab("方案试算")
    me.choose("试算的考核年度", "2025")
    me.upload("方案文件", path)
    me.settled()
    me.press("试算")
    me.sees("按 target-table 2027.1 试算")
    me.sees_cell("ZB000")  # the comparison table, a row per branch
    me.looks_right("whatif")
    with me.page.expect_download() as download:
        me.page.get_by_role("button", name="下载对照表（.xlsx）").click()
    saved = tmp_path / "whatif.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet.title == "方案试算" and sheet.max_row == 2 + 12


def test_a_leader_drills_down_to_a_branch_reads_its_explanation_and_downloads_the_ranking(person, tmp_path):
    me = person("leader")
    me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    me.sees("参评党支部")
    charts = me.page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    charts.first.wait_for(timeout=60_000)
    me.page.wait_for_timeout(1500)
    me.looks_right("overview")

    with me.page.expect_download() as download:
        me.page.get_by_role("button", name="下载排名表（.xlsx）").click()
    saved = tmp_path / "ranking.xlsx"
    download.value.save_as(saved)
    me.settled()
    sheet = load_workbook(saved).active
    assert "排名" in sheet.title and "党组织排名" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:3] == ["排名", "编码", "党组织"] and sheet.max_row == 2 + 12

    me.choose("党总支", "机关党总支")
    me.choose("党支部", "党支部")  # the first branch of the general branch
    me.sees("考核详情")
    me.sees("计分说明")
    me.sees("得分依据")
    me.looks_right("branch-explanation")


def test_an_administrator_imports_a_bad_file_then_the_fixed_one_adds_a_user_and_opens_a_cycle(
        person, ui_engine, tmp_path):
    me = person("admin")
    me.log_in("admin", path="/admin", heading="系统管理")
    me.looks_right("organisations")

    bad = tmp_path / "组织机构.csv"
    header = "组织编码,组织名称,上级组织编码,层级,类别,党员人数\n"
    bad.write_text(header + "ZB09001,新建第一党支部,ZZ01,党支部,机关,12\nZB09002,新建第二党支部,ZZ99,党支部,机关,8\n",
                   encoding="utf-8")
    me.upload("Excel（.xlsx）或 CSV 文件", bad)
    me.press("导入")
    me.sees("文件未导入")
    me.sees_cell("上级组织编码")  # the row error names the column as the template heads it
    me.sees_cell("ZZ99")
    me.looks_right("import-refused")
    with Session(ui_engine) as session:
        assert session.exec(select(Organization).where(Organization.code.in_(["ZB09001", "ZB09002"]))).all() == []

    fixed = tmp_path / "组织机构-改.csv"
    fixed.write_text(header + "ZB09001,新建第一党支部,ZZ01,党支部,机关,12\nZB09002,新建第二党支部,ZZ02,党支部,机关,8\n",
                     encoding="utf-8")
    me.upload("Excel（.xlsx）或 CSV 文件", fixed)
    me.press("导入")
    me.sees("已导入组织机构")
    me.sees("新增 2 条")
    me.looks_right("import-done")

    me.tab("用户与角色")
    me.fill("用户名", "zhangsan")
    me.fill("姓名", "张三")
    me.fill("初始密码（至少 8 位）", "A-long-password")
    me.choose("角色", "支部书记")
    me.choose("授权党组织（含下级）", "ZB09001")
    me.press("创建用户")
    me.sees("zhangsan")
    me.looks_right("user-added")
    with Session(ui_engine) as session:
        assert session.exec(select(User).where(User.username == "zhangsan")).one().display_name == "张三"

    me.tab("考核年度与日程")
    me.sees_cell("每年1月15日 09:00")  # the calendar in words, not a cron
    me.press("开启下一考核年度")
    me.sees("已开启下一考核年度")
    me.looks_right("cycle-opened")
    with Session(ui_engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.entity == "cycle", AuditEvent.action == "open")
                            .order_by(AuditEvent.id.desc())).first() is not None
