"""The year's judgements in a real browser (Debian's Chromium, headless, via Playwright): a leader reviews and
confirms the year; a secretary appeals a line, the office accepts it and the ranking, awards and bulletin follow;
the office corrects a point. Each step checked as the person meets it and in the database afterwards
(``tests.ui.browser``)."""

from __future__ import annotations

from docx import Document
from sqlalchemy import func
from sqlmodel import Session, select

from bastion.core import appeals, lifecycle
from bastion.core.models import Bulletin, Cycle, Incentive
from bastion.core.results import explain, read_results
from bastion.core.stages.runs import StageContext
from bastion.core.stages.service import leader_confirms
from tests.ui.browser import needs_chromium

pytestmark = needs_chromium

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx_text(path: str) -> str:
    """The paragraphs and every table cell of a .docx."""
    document = Document(path)
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def test_a_leader_reviews_the_committee_s_year_and_confirms_it(person, ui_engine, year_in_review):
    me = person("leader-confirms")
    me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    me.sees("领导审核")
    me.sees("整改通知书")  # what confirming brings, before the click
    me.looks_right("awaiting-confirmation")
    me.fill("成绩", "全年党建目标任务完成较好")
    me.fill("问题", "个别支部台账不够规范")
    me.press("提交点评")
    me.sees("已记录对")
    me.sees("全年党建目标任务完成较好")
    me.looks_right("reviewed")
    me.page.get_by_text("我已审阅本期考核结果和上述奖惩").click()
    me.settled()
    me.press("确认并发布")
    me.sees("已确认并发布")
    me.looks_right("confirmed")
    with ui_engine.connect() as conn:
        assert lifecycle.state(conn, year_in_review.id, "2026") == lifecycle.PUBLISHED
    with Session(ui_engine) as session:
        bulletin = session.exec(select(Bulletin).where(Bulletin.cycle_id == year_in_review.id)).one()
    said = _docx_text(bulletin.docx_path)
    assert "分级点评" in said and "全年党建目标任务完成较好" in said and "点评人：党委书记" in said


def test_a_secretary_appeals_and_the_office_accepts_it_the_ranking_awards_and_bulletin_follow(
        person, ui_engine, registry, ui_home, login, year_in_review, tmp_path):
    leader_confirms(StageContext(ui_engine, registry, ui_home, "leader"), login("leader"), year_in_review, "2026")
    with ui_engine.connect() as conn:
        before = read_results(conn, year_in_review.id, "2026").set_index("code")
        line = next(r for r in explain(conn, cycle=year_in_review, period="2026", org_code="ZB00001").lines
                    if r["assessed"] and r["kind"] == "controllable" and r["points"] <= r["max_points"] - 1)
    code, old, best = line["indicator_code"], line["points"], line["max_points"]
    evidence = tmp_path / "支委会记录.pdf"
    evidence.write_bytes(PDF)

    secretary = person("secretary-appeals")
    secretary.log_in("secretary", path="/workspace", heading="支部工作台")
    secretary.tab("考核结果")
    secretary.sees("每项指标只能申诉一次")
    secretary.choose("申诉的指标", code + " ")
    secretary.fill("申诉理由", "十一月支委会记录已补交，请复核")
    secretary.upload("佐证材料（可多个）", evidence)
    secretary.press("提交申诉")
    secretary.sees("已提交第 1 号申诉")
    secretary.sees_cell("待办理")
    secretary.looks_right("appeal-lodged")

    office = person("office-decides")
    office.log_in("admin", path="/admin", heading="系统管理")
    office.tab("申诉与更正")
    office.sees("十一月支委会记录已补交，请复核")
    office.sees("支委会记录.pdf")  # the evidence, to download
    points = office.page.locator("[data-testid=stExpander]").get_by_label("更正后的得分")
    points.fill(f"{best:g}")
    points.evaluate("element => element.blur()")
    office.settled()
    office.sees(f"{old:g} → {best:g} 分")
    office.fill("办理意见", "经核实，会议记录齐全")
    office.press("办理")
    office.sees("第 1 号申诉成立")
    office.sees("通报已重新印发")
    office.sees_cell("申诉成立")
    office.looks_right("appeal-accepted")

    with ui_engine.connect() as conn:
        after = read_results(conn, year_in_review.id, "2026").set_index("code")
        (decided,) = appeals.read_appeals(conn, login("admin")).itertuples()
    assert decided.status == "accepted" and decided.files == 1
    assert after.loc["ZB00001", "total"] == before.loc["ZB00001", "total"] + best - old
    assert sorted(after["rank"]) == list(range(1, len(after) + 1))
    with Session(ui_engine) as session:
        bulletin = session.exec(select(Bulletin).where(Bulletin.cycle_id == year_in_review.id)).one()
        awards = session.exec(select(func.count()).select_from(Incentive)
                              .where(Incentive.cycle_id == year_in_review.id)).one()
    assert bulletin.version == 2 and "申诉成立" in bulletin.reason and awards > 0
    assert f"{after.loc['ZB00001', 'total']:.2f}" in _docx_text(bulletin.docx_path)  # ranked in the bulletin

    office.page.get_by_role("link", name="领导驾驶舱").click()  # the office's dashboard: the ranking follows
    office.sees_heading("领导驾驶舱")
    office.sees_cell("ZB00001")
    office.looks_right("ranking-follows")
    row = office.page.locator("[role=row]").filter(has_text="ZB00001").first.inner_text()
    total, rank = after.loc["ZB00001", "total"], after.loc["ZB00001", "rank"]
    assert row.startswith(f"{rank}ZB00001") and f"{total:g}" in row, row  # the ranking follows (rank, code … total)


def test_the_office_corrects_a_point_seeing_old_and_new(person, ui_engine, sample_db):
    with Session(ui_engine) as session:
        cycle = session.get(Cycle, sample_db.cycle_id)
    with ui_engine.connect() as conn:
        line = next(r for r in explain(conn, cycle=cycle, period="2025", org_code="ZB00002").lines
                    if r["assessed"] and r["kind"] == "controllable" and r["points"] >= 1)
    office = person("office-corrects")
    office.log_in("admin", path="/admin", heading="系统管理")
    office.tab("申诉与更正")
    office.choose("考核期", "2025年度")
    office.choose("党支部", "ZB00002")
    office.choose("指标", line["indicator_code"] + " ")
    office.fill("更正后的得分", "0")
    office.sees(f"ZB00002 {line['indicator_code']}：{line['points']:g} → 0 分")
    office.fill("更正理由", "督查记录张冠李戴，复核更正")
    office.press("更正")
    office.sees("已更正：ZB00002")
    office.page.get_by_role("heading", name="更正记录").scroll_into_view_if_needed()  # the grid draws what is in view
    office.sees_cell(f"{line['points']:g} → 0")
    office.looks_right("corrected")
    with ui_engine.connect() as conn:
        now = next(r for r in explain(conn, cycle=cycle, period="2025", org_code="ZB00002").lines
                   if r["indicator_code"] == line["indicator_code"])
    assert now["points"] == 0 and "督查记录张冠李戴，复核更正" in now["reason"]


def test_the_office_downloads_every_branch_s_archive_and_a_secretary_her_own(person, tmp_path):
    import zipfile

    office = person("office-archives")
    office.log_in("admin", path="/admin", heading="系统管理")
    office.tab("考核年度与日程")
    office.choose("考核年度", "2025")
    office.press("生成全部党支部考核档案")
    with office.page.expect_download() as download:
        office.page.get_by_role("button", name="下载全部党支部考核档案（.zip）").click()
    bundle = tmp_path / "archives.zip"
    download.value.save_as(bundle)
    office.settled()
    office.looks_right("archives-made")
    with zipfile.ZipFile(bundle) as made:
        assert len(made.namelist()) == 12

    secretary = person("secretary-archive")
    secretary.log_in("secretary", path="/workspace", heading="支部工作台")
    secretary.choose("考核年度", "2025")
    secretary.tab("考核结果")
    secretary.press("生成 2025 年度考核档案")
    with secretary.page.expect_download() as download:
        secretary.page.get_by_role("button", name="下载 2025 年度考核档案（.docx）").click()
    mine = tmp_path / "mine.docx"
    download.value.save_as(mine)
    secretary.settled()
    secretary.looks_right("archive-made")
    said = _docx_text(str(mine))
    assert said.splitlines()[0].endswith("2025年度党建工作考核档案") and "八、申诉" in said
