"""Hostile input that `bastion import` (and the forms beside it) once took, refused with the file, row and field.

Each case is a file a user could send: a NUL byte in a name (stored, then the bulletin's .docx failed to
write), a Big5 or Shift-JIS CSV (decoded as GB18030 into wrong characters without a word), a value in a
cell beyond the header (silently dropped), a formula saved without its value (imported as empty),
NaN and infinity (stored through the workspace's form), a count too large for its column (an
OverflowError that hid the file's other bad rows). Each goes through `bastion import` as a user runs
it; nothing of a refused file is written.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core import organizations, workspace
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.i18n import using
from bastion.core.importing import decode_csv
from bastion.core.models import Cycle, LedgerEntry, Organization
from tests import factories
from tests.app.conftest import bastion
from tests.core import people

ORG_HEADER = ["code", "name", "parent_code", "level", "member_count"]


@pytest.fixture
def world(engine, registry, tmp_path, monkeypatch):
    """A tenant with a 2026 cycle and branches ZB01, ZB02; `bastion` commands run against its database."""
    tenant = factories.tenant(engine, registry)
    cycle = factories.cycle(engine, registry, tenant)
    ids = factories.org_tree(engine, tenant, {"ZB01": "机关", "ZB02": "机关"})
    monkeypatch.setenv("BASTION_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BASTION_USER", "组织部张三")
    monkeypatch.setenv("BASTION_LANG", "en")
    return engine, tenant, cycle, ids


def csv_file(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def xlsx_file(path: Path, header: list, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def organizations_stored(engine) -> dict[str, tuple[str, int]]:
    with engine.connect() as conn:
        o = Organization.__table__.c
        return {r.code: (r.name, r.member_count) for r in conn.execute(select(o.code, o.name, o.member_count))}


def refused(*args: str) -> str:
    result = bastion(*args, ok=False)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "was not imported (nothing was written)" in result.output
    return " ".join(result.output.split())


# --- text ---------------------------------------------------------------------------------------------


def test_a_nul_byte_in_a_name_is_refused_by_the_import_and_by_the_edit_form(world, tmp_path, cheap_passwords):
    engine, tenant, _, _ = world
    before = organizations_stored(engine)
    path = csv_file(tmp_path / "组织.csv", ORG_HEADER, [["ZB03", "第三\x00党支部", "ZZ1", "branch", 3],
                                                      ["ZB04", "第四党支部\x07", "ZZ1", "branch", 3]])
    out = refused("import", "organizations", str(path))
    assert "组织.csv, row 2, name: contains the control character U+0000 (character 3)" in out
    assert "组织.csv, row 3, name: contains the control character U+0007 (character 6)" in out
    assert organizations_stored(engine) == before

    admin = people.person(engine, tenant, "boss", ("admin", "DW"))
    with transaction(engine) as session, pytest.raises(BastionError, match="U\\+0000"):
        organizations.update_organization(session, admin, code="ZB01", name="新\x00名字")
    assert organizations_stored(engine) == before


def test_a_control_character_in_a_ledger_title_is_refused_by_the_workspace_as_by_the_import(world, registry, tmp_path,
                                                                                          cheap_passwords):
    engine, tenant, cycle, ids = world
    path = csv_file(tmp_path / "台账.csv", ["org_code", "type", "date", "title", "note"],
                    [["ZB01", "支委会", "2026-03-05", "支委会\x1b[2J", ""], ["ZB01", "支委会", "2026-03-06", "支委会", "备\x00注"]])
    out = refused("import", "ledger", str(path))
    assert "row 2, title: contains the control character U+001B" in out and "row 3, note: contains the control character U+0000" in out
    secretary = people.person(engine, tenant, "sec", ("secretary", "ZB01"))
    for title, note in (("支委会\x1b[2J", ""), ("支委会", "备\x00注")):
        with Session(engine) as session, pytest.raises(BastionError, match="U\\+00"):
            workspace.record_entry(session, secretary, cycle=session.get(Cycle, cycle.id), org_id=ids["ZB01"],
                                   ledger_type="committee_meeting", day=date(2026, 3, 5), title=title, note=note,
                                   registry=registry)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LedgerEntry)).scalar() == 0


# --- encodings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, name, label", [
    ("big5", "第一採油廠機關黨支部", "Big5"),
    ("shift_jis", "東京本社総務部委員会", "Shift-JIS"),
])
def test_a_csv_in_another_encoding_is_refused_naming_it(world, tmp_path, encoding, name, label):
    engine = world[0]
    before = organizations_stored(engine)
    path = csv_file(tmp_path / f"组织-{encoding}.csv", ORG_HEADER, [["ZB03", name, "ZZ1", "branch", 3]], encoding)
    path.read_bytes().decode("gb18030")  # the trap: these bytes are valid GB18030, of other characters
    out = refused("import", "organizations", str(path))
    assert f"组织-{encoding}.csv, file: the text seems to be encoded in {label}, not UTF-8 or GB18030 (GBK)" in out
    assert "UTF-8" in out
    assert organizations_stored(engine) == before
    with using("zh"), pytest.raises(ValueError, match=f"文字编码像是 {label}，不是 UTF-8 或 GB18030"):
        decode_csv(path.read_bytes())


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_the_encodings_chinese_excel_writes_still_import(world, tmp_path, encoding):
    engine = world[0]
    rows = [["ZB03", "第一采油厂机关党支部", "ZZ1", "branch", 3], ["ZB04", "經營服務黨支部", "ZZ1", "branch", 4]]
    path = csv_file(tmp_path / "组织.csv", ORG_HEADER, rows, encoding)
    bastion("import", "organizations", str(path))
    stored = organizations_stored(engine)
    assert stored["ZB03"] == ("第一采油厂机关党支部", 3) and stored["ZB04"] == ("經營服務黨支部", 4)


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(world, tmp_path):
    path = tmp_path / "组织.csv"
    path.write_bytes(b"code,name,parent_code,level\nZB03,\x81\x20,ZZ1,branch\n")
    assert "not UTF-8 or GB18030 (GBK)" in refused("import", "organizations", str(path))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfcode,name,parent_code,level\nZB03,\xff\xfe,ZZ1,branch\n")
    assert "it starts with the UTF-8 mark, but byte 37 on is not UTF-8 text" in refused("import", "organizations", str(bom))


# --- cells ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_value_beyond_the_last_header_is_a_row_error(world, tmp_path, suffix):
    engine = world[0]
    before = organizations_stored(engine)
    rows = [["ZB03", "第三党支部", "ZZ1", "branch", 3, "", "多出来的"], ["ZB04", "第四党支部", "ZZ1", "branch", 4]]
    path = (csv_file if suffix == ".csv" else xlsx_file)(tmp_path / f"组织{suffix}", ORG_HEADER, rows)
    out = refused("import", "organizations", str(path))
    assert f"组织{suffix}, row 2, column G: has a value but no header" in out and "row 3" not in out
    assert organizations_stored(engine) == before


def test_a_formula_saved_without_its_value_is_a_row_error_and_one_with_its_value_imports(world, tmp_path):
    engine = world[0]
    before = organizations_stored(engine)
    path = xlsx_file(tmp_path / "组织.xlsx", ORG_HEADER, [["ZB03", "第三党支部", "ZZ1", "branch", "=2+3"],
                                                         ["ZB04", "=B2", "ZZ1", "branch", 4]])
    out = refused("import", "organizations", str(path))
    assert "组织.xlsx, row 2, member_count: is a formula (=2+3) saved without its computed value" in out
    assert "组织.xlsx, row 3, name: is a formula (=B2) saved without its computed value" in out
    assert organizations_stored(engine) == before

    # The same workbook as Excel saves it, each formula with its computed value, imports those values.
    saved = tmp_path / "组织-已计算.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(saved, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (data.replace(b"<f>2+3</f><v></v>", b"<f>2+3</f><v>5</v>")
                        .replace(b'<c r="B3"><f>B2</f><v></v>', "<c r=\"B3\" t=\"str\"><f>B2</f><v>第三党支部</v>".encode()))
            target.writestr(item, data)
    bastion("import", "organizations", str(saved))
    stored = organizations_stored(engine)
    assert stored["ZB03"] == ("第三党支部", 5) and stored["ZB04"] == ("第三党支部", 4)


def test_a_workbook_cell_openpyxl_cannot_read_is_a_clear_error(world, tmp_path):
    path = xlsx_file(tmp_path / "组织.xlsx", ORG_HEADER, [["ZB03", "第三党支部", "ZZ1", "branch", 3]])
    crafted = tmp_path / "crafted.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(crafted, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="E2" t="n"><v>3</v>', b'<c r="E2" t="n"><v>NaN</v>')
            target.writestr(item, data)
    assert "crafted.xlsx, file: cannot read the workbook's cells" in refused("import", "organizations", str(crafted))


# --- numbers --------------------------------------------------------------------------------------------


def test_every_bad_row_is_named_even_when_a_count_would_overflow_its_column(world, tmp_path):
    engine = world[0]
    before = organizations_stored(engine)
    path = csv_file(tmp_path / "组织.csv", ORG_HEADER, [
        ["ZB03", "第三党支部", "ZZ1", "branch", "12345678901234567890"],
        ["ZB04", "", "ZZ1", "branch", 4],
        ["ZB05", "第五党支部", "ZZ1", "branch", "3000000000"],  # fits SQLite's INTEGER, not PostgreSQL's
        ["ZB06", "第六党支部", "ZZ1", "branch", "1" * 400],
    ])
    out = refused("import", "organizations", str(path))
    assert "row 2, member_count: 12345678901234567890 is out of range (at most 2147483647)" in out
    assert "row 3, name: is required" in out
    assert "row 4, member_count: 3000000000 is out of range (at most 2147483647)" in out
    assert "row 5, member_count: '1111111111" in out and "is not a finite number" in out
    assert "4 problem(s) in 4 row(s)" in out
    assert organizations_stored(engine) == before

    alone = csv_file(tmp_path / "一行.csv", ORG_HEADER, [["ZB03", "第三党支部", "ZZ1", "branch", "12345678901234567890"]])
    assert "一行.csv, row 2, member_count: 12345678901234567890 is out of range" in refused(
        "import", "organizations", str(alone))


def test_nan_and_infinite_quantities_are_refused_by_the_import_and_the_workspace(world, registry, tmp_path,
                                                                               cheap_passwords):
    engine, tenant, cycle, ids = world
    header = ["org_code", "type", "date", "quantity", "title"]
    rows = [["ZB01", "志愿服务", f"2026-03-{day:02d}", quantity, f"志愿服务 {day}"]
            for day, quantity in enumerate(("nan", "inf", "-Infinity", "1e999", "1e300"), start=1)]
    out = refused("import", "ledger", str(csv_file(tmp_path / "台账.csv", header, rows)))
    for row, shown in zip(range(2, 6), ("'nan'", "'inf'", "'-Infinity'", "'1e999'")):
        assert f"row {row}, quantity: {shown} is not a finite number" in out
    assert "row 6, quantity: 1e300 is out of range" in out
    secretary = people.person(engine, tenant, "sec", ("secretary", "ZB01"))
    for quantity in (float("nan"), float("inf"), 1e300):
        with Session(engine) as session, pytest.raises(BastionError, match="quantity|数量"):
            workspace.record_entry(session, secretary, cycle=session.get(Cycle, cycle.id), org_id=ids["ZB01"],
                                   ledger_type="volunteer_service", day=date(2026, 3, 5), title="志愿服务",
                                   quantity=quantity, registry=registry)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LedgerEntry)).scalar() == 0
