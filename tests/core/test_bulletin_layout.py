"""The bulletin is a 公文 (GB/T 9704-2012): A4 with the standard margins, the title in 方正小标宋简体 2号, 一级标题 in
黑体 and the body in 仿宋_GB2312 3号 — each named for East Asian text too — the issuing organ's red mark over its
number and a red line, the date in Chinese, page numbers "— 1 —"; the table beside it has a title row and a
Chinese sheet name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import load_workbook
from sqlmodel import Session, select

from bastion.core import reviews
from bastion.core.bulletins.layout import chinese_date
from bastion.core.db import transaction
from bastion.core.models import Organization, Tenant
from bastion.core.periods import Period
from bastion.core.stages import service as stages
from tests import factories
from tests.core import people


def _east_asian(run) -> str | None:
    fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_the_bulletin_is_laid_out_as_a_gongwen(engine, registry, tmp_path):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    ctx = stages.StageContext(engine, registry, tmp_path / "home", "督查组")
    run = stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))
    document = Document(run.detail["bulletin"])
    section = document.sections[0]
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)  # A4, in twips
    assert [round(m / Mm(1)) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                       section.right_margin)] == [37, 35, 28, 26]
    paragraphs = [p for p in document.paragraphs if p.runs]
    mark, number, title = paragraphs[:3]
    assert mark.runs[0].text == tenant.name and mark.runs[0].font.color.rgb is not None
    assert number.runs[0].text == f"{tenant.code}通〔2026〕1号" and number._p.pPr.find(qn("w:pBdr")) is not None
    assert (title.runs[0].font.name, _east_asian(title.runs[0]), title.runs[0].font.size) == (
        "方正小标宋简体", "方正小标宋简体", Pt(22))
    heading = next(p for p in paragraphs if p.text == "一、总体情况")
    assert (heading.runs[0].font.name, _east_asian(heading.runs[0]), heading.runs[0].font.size) == ("黑体", "黑体",
                                                                                                  Pt(16))
    body = paragraphs[paragraphs.index(heading) + 1]
    assert (body.runs[0].font.name, _east_asian(body.runs[0]), body.runs[0].font.size) == ("仿宋_GB2312",
                                                                                         "仿宋_GB2312", Pt(16))
    assert body.paragraph_format.line_spacing == Pt(28.9)  # 22 lines in the 225 mm text block
    assert paragraphs[-1].text == chinese_date(date(2026, 7, 10)) == "二〇二六年七月十日"
    footer = section.footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.text.startswith("— ") and footer.text.endswith(" —")
    assert document.settings.odd_and_even_pages_header_footer
    sheet = load_workbook(Path(run.detail["table"])).active
    assert sheet.title == "考核结果" and "党建工作考核通报" in sheet["A1"].value


@pytest.mark.parametrize(("day", "said"), [(date(2026, 12, 7), "二〇二六年十二月七日"),
                                           (date(2030, 10, 20), "二〇三〇年十月二十日"),
                                           (date(2026, 1, 31), "二〇二六年一月三十一日")])
def test_the_date_is_written_in_chinese(day, said):
    assert chinese_date(day) == said


def test_the_bulletin_carries_the_period_s_leader_reviews_in_their_order(engine, registry, tmp_path):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    with Session(engine) as session:
        orgs = session.exec(select(Organization).where(Organization.tenant_id == tenant.id)
                            .order_by(Organization.code)).all()
        row = session.get(Tenant, tenant.id)
    top = next(o for o in orgs if o.parent_id is None)
    general = next(o for o in orgs if o.level == "general_branch")
    branch = next(o for o in orgs if o.level == "branch")
    leader = people.person(engine, row, "王书记", ("leader", top.code))
    with transaction(engine) as session:
        for org, text in ((branch, "台账规范"), (general, "统筹有力")):
            reviews.add_review(session, leader, cycle=cycle, org_code=org.code, period=Period.parse("2026-H1"),
                               achievements=text, problems="", direction="抓好下半年")
        reviews.add_review(session, leader, cycle=cycle, org_code=branch.code, period=Period.parse("2026"),
                           achievements="not this period", problems="", direction="")
    ctx = stages.StageContext(engine, registry, tmp_path / "home", "督查组")
    run = stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))
    texts = [p.text for p in Document(run.detail["bulletin"]).paragraphs if p.text]
    start = next(i for i, t in enumerate(texts) if t.endswith("、分级点评"))
    end = next(i for i, t in enumerate(texts) if t.endswith("、整改情况"))
    assert texts[start + 1:end] == [f"（一）{general.name}（点评人：王书记）", "成绩：统筹有力", "今后努力方向：抓好下半年",
                                    f"（二）{branch.name}（点评人：王书记）", "成绩：台账规范", "今后努力方向：抓好下半年"]
    assert texts[end].startswith(("五、", "六、")) and texts[start][0] in "五六"
