"""The 公文 layout of a bulletin (党政机关公文格式, GB/T 9704-2012), written with python-docx.

- A4 (210 × 297 mm); margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right: a text block of 156 × 225 mm, 22
  lines of 28 characters of 3号 (16 pt) type;
- the title in 方正小标宋简体 2号 (22 pt), centred; the body in 仿宋_GB2312 3号; 一级标题 in 黑体 3号, 二级标题 in
  楷体_GB2312 3号; tables in 仿宋_GB2312 小四 (12 pt);
- an optional red 发文机关标志 (the issuing organ's name, 小标宋, red, centred) over the 发文字号 and a red line;
- the date in Chinese (二〇二六年十二月七日), right-aligned;
- page numbers "— 1 —" in 宋体 4号 (14 pt) in the footer, odd pages right, even pages left (a character in).

Every font is named for East Asian text too (``w:eastAsia``), so Word on an office PC uses the 公文 faces it has.
"""

from __future__ import annotations

from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, NUMBER_FONT = (
    "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体")
TITLE_SIZE, BODY_SIZE, TABLE_SIZE, PAGE_NUMBER_SIZE = Pt(22), Pt(16), Pt(12), Pt(14)
LINE = Pt(28.9)  # 225 mm of text block / 22 lines
RED = RGBColor(0xE6, 0x00, 0x12)
DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 to 99 in Chinese numerals: 七, 十二, 二十: a date's month and day, a heading's 一、 and （二）."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + ("" if ones == 0 else DIGITS[ones])


def chinese_date(day: date) -> str:
    """二〇二六年十二月七日."""
    return "".join(DIGITS[int(c)] for c in str(day.year)) + f"年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def _font(run, name: str, size, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name, run.font.size, run.font.bold = name, size, bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if color is not None:
        run.font.color.rgb = color


def _spacing(paragraph, *, first_line: bool = False) -> None:
    form = paragraph.paragraph_format
    form.line_spacing_rule, form.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    form.space_before = form.space_after = Pt(0)
    if first_line:
        form.first_line_indent = Pt(32)  # two characters of 3号


class Official:
    """A 公文 being written: the page set up on creation, then its parts in order."""

    def __init__(self) -> None:
        self.document = Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(28) - Mm(7)  # the number a line below the text block
        normal = self.document.styles["Normal"]
        normal.font.name, normal.font.size = BODY_FONT, BODY_SIZE
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        self._page_numbers(section)

    def masthead(self, organ: str, number: str) -> None:
        """The red 发文机关标志, the 发文字号 and the red line under them."""
        mark = self.document.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(mark.add_run(organ), TITLE_FONT, Pt(36), color=RED)
        mark.paragraph_format.space_after = Pt(16)
        numbered = self.document.add_paragraph()
        numbered.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(numbered.add_run(number), BODY_FONT, BODY_SIZE)
        _spacing(numbered)
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "8"), ("w:color", "E60012")):
            bottom.set(qn(key), value)
        border.append(bottom)
        numbered._p.get_or_add_pPr().append(border)
        self.body("")

    def title(self, text: str) -> None:
        paragraph = self.document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(text), TITLE_FONT, TITLE_SIZE)
        paragraph.paragraph_format.space_after = Pt(16)

    def heading(self, text: str) -> None:
        """一级标题 (一、…), in 黑体."""
        paragraph = self.document.add_paragraph()
        _font(paragraph.add_run(text), HEADING_FONT, BODY_SIZE)
        _spacing(paragraph, first_line=True)

    def subheading(self, text: str) -> None:
        """二级标题 (（一）…), in 楷体."""
        paragraph = self.document.add_paragraph()
        _font(paragraph.add_run(text), SUBHEADING_FONT, BODY_SIZE)
        _spacing(paragraph, first_line=True)

    def body(self, text: str, *, align=None) -> None:
        paragraph = self.document.add_paragraph()
        if text:
            _font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
        _spacing(paragraph, first_line=align is None)
        if align is not None:
            paragraph.alignment = align

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        table = self.document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for values, bold in ((headers, True), *((r, False) for r in rows)):
            cells = table.rows[0].cells if bold else table.add_row().cells
            for cell, text in zip(cells, values):
                cell.text = ""
                _font(cell.paragraphs[0].add_run(text), BODY_FONT, TABLE_SIZE, bold=bold)

    def signed(self, organ: str, day: date) -> None:
        """The issuing organ and the date in Chinese, right-aligned, four characters in from the right."""
        for text in (organ, chinese_date(day)):
            paragraph = self.document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.right_indent = Pt(64)
            _font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
            _spacing(paragraph)

    def save(self, path) -> None:
        self.document.save(path)

    def _page_numbers(self, section) -> None:
        """— 1 —: odd pages on the right, even on the left, a character in."""
        self.document.settings.odd_and_even_pages_header_footer = True
        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            form = paragraph.paragraph_format
            form.left_indent = form.right_indent = Pt(14)
            _font(paragraph.add_run("— "), NUMBER_FONT, PAGE_NUMBER_SIZE)
            self._field(paragraph, "PAGE")
            _font(paragraph.add_run(" —"), NUMBER_FONT, PAGE_NUMBER_SIZE)

    @staticmethod
    def _field(paragraph, code: str) -> None:
        run = paragraph.add_run()
        _font(run, NUMBER_FONT, PAGE_NUMBER_SIZE)
        for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
            if kind is not None:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            elif text == code:
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = f" {code} "
            else:
                element = OxmlElement("w:t")
                element.text = text
            run._r.append(element)
