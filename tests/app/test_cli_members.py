"""``bastion members`` and ``bastion import members``: the register kept and read from the command line, as a user
whose role decides what they see."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from bastion.core import db
from bastion.core.models import Organization
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion
from tests.core import people
from tests.core.people import person

ROWS = ("党员编号,姓名,组织编码,性别,出生日期,入党日期,党员类别,岗位,联系电话\n"
        "DY01,李明,A,男,1986-05-12,2010-07-01,正式党员,办公室主任,13812345678\n"
        "DY02,=HYPERLINK(\"x\"),A,女,1990-03-02,2015-06-30,预备,科员,\n"
        "DY03,张强,C,男,1999-11-20,2024-06-01,正式,技术员,13900001111\n")


def a_tree(registry) -> None:
    store = db.connect(Settings.from_env())
    try:
        tenant = factories.tenant(store, registry)
        people.tree(store, tenant)
        person(store, tenant, "admin", ("admin", "DW"))
        person(store, tenant, "sec_a", ("secretary", "A"))
        person(store, tenant, "leader", ("leader", "DW"))
    finally:
        store.dispose()


def test_the_register_is_imported_read_exported_and_kept_from_the_command_line(home, registry, tmp_path):
    a_tree(registry)
    template = tmp_path / "模板.xlsx"
    bastion("import", "template", "members", str(template))
    assert [c.value for c in load_workbook(template).worksheets[0][1]][:3] == ["党员编号 code", "姓名 name",
                                                                            "组织编码 org_code"]
    path = tmp_path / "名册.csv"
    path.write_text(ROWS, encoding="utf-8")
    assert "3 inserted" in bastion("import", "members", str(path)).stdout

    listed = json.loads(bastion("members", "list", "--as", "admin", "--format", "json").stdout)
    assert [(m["code"], m["org_code"], m["phone"]) for m in listed] == [
        ("DY01", "A", "13812345678"), ("DY02", "A", None), ("DY03", "C", "13900001111")]
    own = json.loads(bastion("members", "list", "--as", "sec_a", "--format", "json").stdout)
    assert [(m["code"], m["birth_date"], m["phone"]) for m in own] == [("DY01", "1986", "13812345678"),
                                                                      ("DY02", "1990", None)]
    refused = bastion("members", "list", "--as", "leader", ok=False)
    assert refused.exit_code == 1 and "may not view members" in " ".join(refused.output.split())

    exported = tmp_path / "导出.csv"
    bastion("members", "list", "--as", "sec_a", "--out", str(exported))
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["DY01", "李明", "A"] and rows[1][8] == "138****5678" and rows[1][4] == "1986"
    assert rows[2][1] == "'=HYPERLINK(\"x\")"  # text, never a formula
    full = tmp_path / "全部.csv"
    bastion("members", "list", "--as", "admin", "--out", str(full))
    again = bastion("import", "members", str(full)).stdout  # the template's columns: it imports back
    assert "0 inserted" in again and "0 updated" in again
    book = tmp_path / "名册.xlsx"
    bastion("members", "list", "--as", "admin", "--out", str(book))
    sheet = load_workbook(book).worksheets[0]
    assert sheet.title == "党员名册" and sheet["A2"].value == "Number"  # the headers in the reader's language

    out = bastion("members", "transfer", "DY01", "--as", "admin", "--to", "B", "--on", "2026-09-01",
                  "--note", "介绍信 2026-017").stdout
    assert "moved to B on 2026-09-01" in out
    history = json.loads(bastion("members", "history", "DY01", "--as", "admin", "--format", "json").stdout)
    assert [(h["from_code"], h["to_code"], h["moved_on"]) for h in history] == [
        (None, "A", "2010-07-01"), ("A", "B", "2026-09-01")]
    bastion("members", "leave", "DY03", "--as", "admin", "--on", "2026-10-01", "--note", "转出本单位")
    left = json.loads(bastion("members", "list", "--as", "admin", "--left", "--format", "json").stdout)
    assert [m["left_on"] for m in left if m["code"] == "DY03"] == ["2026-10-01"]
    bad = bastion("members", "add", "DY09", "--as", "admin", "--org", "ZZ1", "--name", "孙九", ok=False)
    assert bad.exit_code == 1 and "a member belongs to a branch or a party group" in " ".join(bad.output.split())
    bastion("members", "add", "DY09", "--as", "admin", "--org", "B", "--name", "孙九", "--joined", "2001-07-01",
            "--phone", "13700001234")
    store = db.connect(Settings.from_env())
    try:
        with store.connect() as conn:
            counts = dict(conn.execute(select(Organization.code, Organization.member_count)).all())
    finally:
        store.dispose()
    assert (counts["A"], counts["B"], counts["C"]) == (1, 2, 0)  # the register's counts
