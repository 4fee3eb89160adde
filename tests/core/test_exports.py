"""Exports: a text never becomes a formula; a workbook has its title, headers and widths."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from bastion.core.exports import safe_cell, xlsx


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","点我")', "=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)",
                                  "\t=1"])
def test_a_text_that_could_start_a_formula_stays_text(text):
    assert safe_cell(text) == "'" + text
    data = xlsx(sheet_name="s", title="t", headers=["名称"], rows=[[text]])
    cell = load_workbook(BytesIO(data)).active["A3"]
    assert cell.data_type == "s" and cell.value == "'" + text


def test_plain_values_pass_and_missing_ones_are_empty():
    assert [safe_cell(v) for v in ("党支部", 3, 2.5, None, float("nan"))] == ["党支部", 3, 2.5, None, None]


def test_a_workbook_names_its_sheet_within_excels_rules_and_sizes_columns_to_chinese_text():
    data = xlsx(sheet_name="2025年度/排名:第一[版]" * 3, title="标题", headers=["编码", "党组织"],
                rows=[["ZB00001", "第一采油厂机关党支部"]])
    sheet = load_workbook(BytesIO(data)).active
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
    assert sheet.column_dimensions["B"].width >= 20  # ten Chinese characters are twenty columns wide
