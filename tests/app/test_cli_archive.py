"""``bastion archive``: a demo branch's assessment archive (考核档案) for its published year has its periods, the
year's lines, its findings, notices and awards; the office zips every branch's; a secretary is refused another
branch's."""

from __future__ import annotations

import zipfile

from docx import Document

from tests.app.conftest import bastion


def _text(path) -> tuple[list[str], list[list[list[str]]]]:
    document = Document(str(path))
    return ([p.text for p in document.paragraphs if p.text],
            [[[c.text for c in row.cells] for row in table.rows] for table in document.tables])


def test_a_demo_branch_s_archive_has_its_periods_findings_notices_and_awards(in_demo, tmp_path):
    path = tmp_path / "档案.docx"
    bastion("archive", "--as", "secretary", "--org", "ZB00001", "--year", "2025", "--out", str(path))
    paragraphs, tables = _text(path)
    assert paragraphs[0].endswith("2025年度党建工作考核档案")
    numbered = ("一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、")
    headings = [p for p in paragraphs if p[:2] in numbered]
    assert [h[:2] for h in headings] == list(numbered)
    periods, lines, findings, notices, awards = tables  # the demo's first branch has each
    shown = [row[0] for row in periods[1:]]  # the demo's published periods (others' tests may publish more)
    assert shown[0] == "2025-H1" and shown[-1] == "2025"  # in time order, the year last
    assert len(lines) > 20 and any("测评" in row[2] for row in lines[1:])
    assert len(findings) > 1 and len(notices) > 1 and len(awards) > 1
    refused = bastion("archive", "--as", "secretary", "--org", "ZB00002", "--year", "2025", "--out",
                      str(tmp_path / "x.docx"), ok=False)
    assert refused.exit_code == 1 and not (tmp_path / "x.docx").exists()


def test_the_office_zips_every_branch_s_archive(in_demo, tmp_path):
    path = tmp_path / "档案.zip"
    bastion("archive", "--as", "admin", "--all", "--year", "2025", "--out", str(path))
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
    assert len(names) == 40 and names[0].startswith("ZB00001-")
