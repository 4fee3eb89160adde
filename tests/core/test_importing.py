"""Imports of organisations, ledgers, findings and ratings from CSV and Excel (core/importing/)."""

from __future__ import annotations

import hashlib

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select
from sqlmodel import Session

from bastion.core import i18n, importing
from bastion.core.errors import BastionError
from bastion.core.importing import ImportRejected, import_file, write_template
from bastion.core.models import AuditEvent, Check, Finding, LedgerEntry, Member, Organization, Rating
from tests import factories

ORG_HEADER = ["组织编码", "组织名称", "上级组织编码", "层级", "类别", "书记", "任期开始", "任期结束", "党员人数"]
ORG_ROWS = [
    # children before their parents: the file's order does not matter
    ["ZB01", "机关第一党支部", "ZZ01", "党支部", "机关", "李明", "2024-01-08", "2027/1/7", "35"],
    ["ZB02", "采煤一队党支部", "ZZ01", "branch", "生产一线", "张强", "2023/6/1", "2026-05-31", "48"],
    ["XZ01", "第一党小组", "ZB01", "党小组", "", "", "", "", "9"],
    ["DW", "示范集团有限公司党委", "", "党委", "", "王建国", "", "", "326"],
    ["ZZ01", "机关党总支", "DW", "党总支", "机关", "赵刚", "", "", "120"],
]


# --- helpers -------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run(engine, registry, tenant, kind: str, path: Path, actor: str = "tester", again: bool = False):
    return import_file(engine, tenant=tenant, kind=kind, path=path, registry=registry, actor=actor, again=again)


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def rows_of(engine, model, *where, order=None) -> list:
    with Session(engine) as session:
        query = select(model).where(*where)
        return list(session.execute(query.order_by(order if order is not None else model.id)).scalars())


def orgs(engine, tenant) -> dict[str, Organization]:
    return {o.code: o for o in rows_of(engine, Organization, Organization.tenant_id == tenant.id)}


def problems(excinfo) -> set[tuple[int | None, str]]:
    """(row, field key) of every problem: the same in either language."""
    return {(e.row, e.key) for e in excinfo.value.errors}


@pytest.fixture
def tree(engine, tenant, cycle) -> dict[str, int]:
    """The factory's committee and general branch, and branches ZB01 (机关) and ZB02 (生产一线); with the 2026
    cycle open, as facts are taken only into a year the tenant assesses."""
    return factories.org_tree(engine, tenant, {"ZB01": "机关", "ZB02": "生产一线"})


def code_at(engine, tenant, level: str) -> str:
    """The code of the stored organisation at ``level`` (the factory names them)."""
    return next(o.code for o in orgs(engine, tenant).values() if o.level == level)


# --- organisations -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_organizations_import_a_tree_with_chinese_headers(engine, registry, tenant, tmp_path, suffix):
    writer = write_csv if suffix == ".csv" else write_xlsx
    path = writer(tmp_path / f"组织{suffix}", ORG_HEADER, ORG_ROWS)

    report = run(engine, registry, tenant, "organizations", path)

    assert (report.kind, report.file, report.inserted, report.updated, report.skipped) == \
        ("organizations", f"组织{suffix}", 5, 0, 0)
    found = orgs(engine, tenant)
    ids = {code: o.id for code, o in found.items()}
    assert found["DW"].parent_id is None and found["DW"].level == "committee"
    assert found["ZZ01"].parent_id == ids["DW"] and found["ZZ01"].level == "general_branch"
    assert found["ZB01"].parent_id == ids["ZZ01"] and found["ZB01"].level == "branch"
    assert found["XZ01"].parent_id == ids["ZB01"] and found["XZ01"].level == "group"
    assert found["ZB01"].secretary_term_start == date(2024, 1, 8)
    assert found["ZB01"].secretary_term_end == date(2027, 1, 7)
    assert found["ZB02"].category == "生产一线" and found["ZB02"].member_count == 48
    assert found["XZ01"].category == "" and found["XZ01"].secretary is None


def test_organizations_upsert_updates_changed_rows_and_audits_old_and_new(engine, registry, tenant, tmp_path):
    run(engine, registry, tenant, "organizations", write_csv(tmp_path / "v1.csv", ORG_HEADER, ORG_ROWS))
    before = orgs(engine, tenant)
    changed = [list(r) for r in ORG_ROWS]
    changed[0][5] = "孙丽"  # ZB01: a new secretary (换届) …
    changed[0][6], changed[0][7] = "2027-01-08", "2030-01-07"  # … with a new term
    changed[1][2] = "DW"  # ZB02 moves directly under the committee
    path = write_csv(tmp_path / "v2.csv", ORG_HEADER, changed + [["ZB03", "离退休党支部", "DW", "党支部", "离退休", "", "", "", "60"]])

    report = run(engine, registry, tenant, "organizations", path, actor="组织部")

    assert (report.inserted, report.updated, report.skipped) == (1, 2, 3)
    after = orgs(engine, tenant)
    assert after["ZB01"].id == before["ZB01"].id and after["ZB01"].secretary == "孙丽"
    assert after["ZB01"].secretary_term_end == date(2030, 1, 7)
    assert after["ZB02"].parent_id == after["DW"].id
    events = rows_of(engine, AuditEvent, AuditEvent.action == "update", AuditEvent.entity == "organization")
    by_org = {int(e.entity_id): e for e in events}
    assert set(by_org) == {after["ZB01"].id, after["ZB02"].id}
    zb01 = by_org[after["ZB01"].id]
    assert zb01.actor == "组织部"
    assert zb01.old == {"secretary": "李明", "secretary_term_start": "2024-01-08", "secretary_term_end": "2027-01-07"}
    assert zb01.new == {"secretary": "孙丽", "secretary_term_start": "2027-01-08", "secretary_term_end": "2030-01-07"}
    assert by_org[after["ZB02"].id].old == {"parent_code": "ZZ01"}
    assert by_org[after["ZB02"].id].new == {"parent_code": "DW"}


def test_organizations_columns_left_out_of_the_file_keep_their_values(engine, registry, tenant, tmp_path):
    run(engine, registry, tenant, "organizations", write_csv(tmp_path / "v1.csv", ORG_HEADER, ORG_ROWS))
    path = write_csv(tmp_path / "names.csv", ["code", "name", "level"], [["ZB01", "机关第一党支部（更名）", "branch"]])

    report = run(engine, registry, tenant, "organizations", path)

    assert (report.inserted, report.updated, report.skipped) == (0, 1, 0)
    zb01 = orgs(engine, tenant)["ZB01"]
    assert zb01.name == "机关第一党支部（更名）"
    assert zb01.secretary == "李明" and zb01.member_count == 35 and zb01.category == "机关"
    assert orgs(engine, tenant)["ZB01"].parent_id == orgs(engine, tenant)["ZZ01"].id


def test_organizations_parents_may_already_be_in_the_database(engine, registry, tenant, tree, tmp_path):
    general = code_at(engine, tenant, "general_branch")
    path = write_csv(tmp_path / "groups.csv", ["code", "name", "parent_code", "level"],
                     [["XZ11", "第一党小组", "ZB01", "group"], ["ZB09", "新建党支部", general, "branch"]])
    assert run(engine, registry, tenant, "organizations", path).inserted == 2
    assert orgs(engine, tenant)["XZ11"].parent_id == tree["ZB01"]


def test_organizations_reject_missing_parents_cycles_and_wrong_levels(engine, registry, tenant, tree, tmp_path):
    header = ["code", "name", "parent_code", "level"]
    committee, general = code_at(engine, tenant, "committee"), code_at(engine, tenant, "general_branch")
    rows = [
        ["A1", "甲", "A2", "党委"],  # row 2: A1 → A2 → A1
        ["A2", "乙", "A1", "党委"],  # row 3
        ["X1", "丙", "NOPE", "党支部"],  # row 4: no such parent
        ["X2", "丁", "ZB01", "党支部"],  # row 5: a branch under a branch
        ["X3", "戊", "", "党小组"],  # row 6: a group needs a branch above it
        ["X4", "己", committee, "党小组"],  # row 7: a group under a committee
        ["X5", "庚", "X5", "党支部"],  # row 8: its own parent
        ["X6", "辛", "ZB01", "党组"],  # row 9: not a level
        [general, "第一党总支", committee, "党小组"],  # row 10: would strand the stored branches under it
    ]
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "organizations", write_csv(tmp_path / "bad.csv", header, rows))

    assert problems(excinfo) == {(2, "parent_code"), (3, "parent_code"), (4, "parent_code"), (5, "level"),
                                 (6, "level"), (7, "level"), (8, "parent_code"), (9, "level"), (10, "level")}
    message = str(excinfo.value)
    assert "bad.csv" in message and "第 4 行，上级组织编码" in message and "'NOPE'" in message
    assert "上级关系形成循环：A1 → A2 → A1" in message
    assert count(engine, Organization) == 4  # nothing written


def test_a_bad_parent_code_is_reported_by_its_header_in_the_users_language(engine, registry, tenant, tmp_path):
    """The row error names the file, the Excel row, the column as the template heads it, and why, in one language."""
    header = ["组织编码 code", "组织名称 name", "上级组织编码 parent_code", "层级 level"]
    path = write_csv(tmp_path / "组织.csv", header, [["X1", "丙", "NOPE", "党支部"]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "organizations", path)
    [error] = excinfo.value.errors
    assert (error.file, error.row, error.field, error.key) == ("组织.csv", 2, "上级组织编码", "parent_code")
    assert error.reason == f"本文件和单位 {tenant.code} 中都没有组织编码 'NOPE'"
    assert str(error) == f"组织.csv，第 2 行，上级组织编码：本文件和单位 {tenant.code} 中都没有组织编码 'NOPE'"
    assert str(excinfo.value).startswith("组织.csv 未导入（没有写入任何数据）：共 1 处问题，涉及 1 行。")

    with i18n.using("en"):
        with pytest.raises(ImportRejected) as excinfo:
            run(engine, registry, tenant, "organizations", path)
        [error] = excinfo.value.errors
        assert (error.file, error.row, error.field, error.key) == ("组织.csv", 2, "parent_code", "parent_code")
        assert str(error) == f"组织.csv, row 2, parent_code: no organisation 'NOPE' in this file or in tenant {tenant.code}"
    assert str(excinfo.value).startswith("组织.csv was not imported (nothing was written): 1 problem(s) in 1 row(s).")


def test_duplicate_codes_in_one_file_are_errors(engine, registry, tenant, tmp_path):
    path = write_csv(tmp_path / "dup.csv", ["code", "name", "level"], [["DW", "党委", "党委"], ["DW", "党委二", "党委"]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "organizations", path)
    assert problems(excinfo) == {(3, "code")}
    assert "与本文件第 2 行重复（组织编码相同）" in str(excinfo.value)


# --- ledgers -------------------------------------------------------------------------------

LEDGER_HEADER = ["组织编码", "台账类型", "日期", "数量", "标题", "备注"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_ledger_imports_codes_and_chinese_type_names(engine, registry, tenant, tree, tmp_path, suffix):
    rows = [
        ["ZB01", "支委会", "2026-01-12", "", "1月支委会", "研究年度计划"],
        ["ZB01", "committee_meeting", "2026/2/9", "", "2月支委会", ""],
        ["ZB02", "志愿服务", "2026年3月5日", "24", "学雷锋志愿服务", ""],
    ]
    if suffix == ".xlsx":  # Excel gives real dates and numbers
        rows[0][2], rows[2][3] = datetime(2026, 1, 12), 24
        path = write_xlsx(tmp_path / "台账.xlsx", LEDGER_HEADER, rows)
    else:
        path = write_csv(tmp_path / "台账.csv", LEDGER_HEADER, rows)

    report = run(engine, registry, tenant, "ledger", path, actor="李明")

    assert (report.inserted, report.skipped) == (3, 0)
    entries = rows_of(engine, LedgerEntry)
    assert [(e.org_id, e.type, e.date, e.quantity) for e in entries] == [
        (tree["ZB01"], "committee_meeting", date(2026, 1, 12), None),
        (tree["ZB01"], "committee_meeting", date(2026, 2, 9), None),
        (tree["ZB02"], "volunteer_service", date(2026, 3, 5), 24.0),
    ]
    assert {e.source for e in entries} == {f"台账{suffix}"}
    assert {e.recorded_by for e in entries} == {"李明"}
    assert entries[0].note == "研究年度计划" and entries[1].note == ""


def test_codes_match_in_any_case_and_keep_their_stored_spelling(engine, registry, tenant, tree, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", ["code", "name", "parent_code", "level"],
                     [["zb01", "机关第一党支部（更名）", "zz1", "branch"], ["xz01", "第一党小组", "ZB01", "group"]])
    report = run(engine, registry, tenant, "organizations", path)
    assert (report.inserted, report.updated) == (1, 1)
    stored = orgs(engine, tenant)
    assert stored["ZB01"].name == "机关第一党支部（更名）" and "zb01" not in stored
    assert stored["xz01"].parent_id == tree["ZB01"]
    ledger = write_csv(tmp_path / "ledger.csv", LEDGER_HEADER, [["zb02", "党课", "2026-03-20", "", "党课", ""]])
    assert run(engine, registry, tenant, "ledger", ledger).inserted == 1
    assert rows_of(engine, LedgerEntry)[0].org_id == tree["ZB02"]


def test_ledger_reimport_skips_stored_rows(engine, registry, tenant, tree, tmp_path):
    rows = [["ZB01", "党课", "2026-03-20", "", "党课：学习党章", ""], ["ZB02", "党课", "2026-03-21", "", "党课", ""]]
    run(engine, registry, tenant, "ledger", write_csv(tmp_path / "q1.csv", LEDGER_HEADER, rows))
    more = rows + [["ZB02", "党课", "2026-06-21", "", "党课", ""]]

    report = run(engine, registry, tenant, "ledger", write_csv(tmp_path / "h1.csv", LEDGER_HEADER, more))

    assert (report.inserted, report.updated, report.skipped) == (1, 0, 2)
    assert count(engine, LedgerEntry) == 3


def test_a_bad_ledger_file_is_rejected_whole_naming_every_bad_row(engine, registry, tenant, tree, tmp_path):
    rows = [
        ["ZB01", "支委会", "2026-01-12", "", "1月支委会", ""],  # row 2: fine
        ["ZB99", "支委会", "2026-01-12", "", "支委会", ""],  # row 3: unknown organisation
        ["ZB01", "会议", "2026-01-12", "", "会议", ""],  # row 4: unknown ledger type
        ["ZB01", "支委会", "2026-02-30", "", "支委会", ""],  # row 5: no such day
        [],  # row 6: blank, skipped
        ["ZB01", "志愿服务", "2026-03-05", "", "志愿服务", ""],  # row 7: hours required
        ["ZB01", "志愿服务", "2026-03-05", "-3", "志愿服务", ""],  # row 8: negative hours
        ["", "支委会", "", "", "支委会", ""],  # row 9: org and date required
        ["ZB01", "支委会", "2026-01-12", "", "1月支委会", ""],  # row 10: same as row 2
        ["ZB02", "党课", "2026-01-15", "", "x" * 301, ""],  # row 11: title too long
    ]
    path = write_csv(tmp_path / "bad.csv", LEDGER_HEADER, rows)
    audits = count(engine, AuditEvent)

    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)

    assert problems(excinfo) == {(3, "org_code"), (4, "type"), (5, "date"), (7, "quantity"), (8, "quantity"),
                                 (9, "org_code"), (9, "date"), (10, "org_code+type+date+title+quantity"),
                                 (11, "title")}
    assert all(e.file == "bad.csv" for e in excinfo.value.errors)
    message = str(excinfo.value)
    assert "没有写入任何数据" in message and "第 3 行，组织编码" in message and "'ZB99'" in message
    assert "volunteer_service" in message and "第 10 行，组织编码+台账类型+日期+标题+数量：与本文件第 2 行重复" in message
    assert count(engine, LedgerEntry) == 0 and count(engine, AuditEvent) == audits

    with i18n.using("en"), pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)
    message = str(excinfo.value)
    assert "nothing was written" in message and "row 3, org_code" in message and "'ZB99'" in message
    assert "row 10, org_code+type+date+title+quantity: duplicates row 2" in message


@pytest.mark.parametrize("kind", ["ledger", "findings"])
def test_large_files_are_read_and_written_in_a_few_statements(engine, registry, tenant, cycle, tmp_path, kind):
    branches = {f"ZB{i:03d}": "机关" for i in range(50)}
    factories.org_tree(engine, tenant, branches)
    n = 5000
    if kind == "ledger":
        header = LEDGER_HEADER
        rows = [[f"ZB{i % 50:03d}", "支委会", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "", f"支委会 {i}", ""]
                for i in range(n)]
    else:
        header = FINDING_HEADER
        rows = [[f"ZB{i % 50:03d}", f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}", "日常督查", "督查组", "B3-2", "1",
                 f"问题 {i}"] for i in range(n)]  # January to November: no finding is dated in the future
    path = write_csv(tmp_path / "big.csv", header, rows)
    statements = []

    def executed(conn, cursor, statement, *args):
        if "pg_advisory" not in statement:  # a transaction's locks (db.hold), not reads or writes of rows
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", executed)
    try:
        assert run(engine, registry, tenant, kind, path).inserted == n
        assert run(engine, registry, tenant, kind, path, again=True).skipped == n  # the same rows again: skipped
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert len(statements) < 40  # a handful of look-ups and one insert per table, whatever the row count
    assert count(engine, LedgerEntry if kind == "ledger" else Finding) == n


def test_excel_row_numbers_count_blank_rows(engine, registry, tenant, tree, tmp_path):
    workbook = Workbook()
    guide = workbook.active
    guide.title = "说明"  # a guide sheet first: the data are read from the other sheet
    sheet = workbook.create_sheet("台账")
    sheet.append(LEDGER_HEADER)
    sheet.append(["ZB01", "党课", date(2026, 3, 20), None, "党课", None])
    sheet.cell(row=5, column=1, value="ZB01")  # rows 3 and 4 stay empty
    sheet.cell(row=5, column=2, value="党课")
    sheet.cell(row=5, column=3, value="下周")
    sheet.cell(row=5, column=5, value="党课")
    workbook.save(tmp_path / "gaps.xlsx")

    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", tmp_path / "gaps.xlsx")
    assert problems(excinfo) == {(5, "date")}


def test_ledger_types_must_be_enabled_for_the_tenant(engine, registry, tmp_path):
    tenant = factories.tenant(engine, registry, code="small", plugins=("standard-rules",))
    factories.org_tree(engine, tenant, {"ZB01": "机关"})
    path = write_csv(tmp_path / "l.csv", LEDGER_HEADER, [["ZB01", "支委会", "2026-01-12", "", "支委会", ""]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)
    assert problems(excinfo) == {(2, "type"), (2, "date")}  # no scheme plugin either: no cycle to record into


def test_organisations_of_another_tenant_are_not_found(engine, registry, tenant, tree, tmp_path):
    other = factories.tenant(engine, registry, code="other")
    factories.cycle(engine, registry, other)
    path = write_csv(tmp_path / "l.csv", LEDGER_HEADER, [["ZB01", "支委会", "2026-01-12", "", "支委会", ""]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, other, "ledger", path)
    assert problems(excinfo) == {(2, "org_code")}


def test_gbk_csv_from_chinese_excel(engine, registry, tenant, tree, tmp_path):
    rows = [["ZB01", "主题党日", "2026/4/15", "", "主题党日：参观红色教育基地", "全体党员参加"]]
    path = write_csv(tmp_path / "gbk.csv", LEDGER_HEADER, rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8

    assert run(engine, registry, tenant, "ledger", path).inserted == 1
    entry = rows_of(engine, LedgerEntry)[0]
    assert (entry.type, entry.title, entry.note) == ("theme_party_day", "主题党日：参观红色教育基地", "全体党员参加")


def test_utf8_csv_with_bom(engine, registry, tenant, tree, tmp_path):
    path = write_csv(tmp_path / "bom.csv", LEDGER_HEADER, [["ZB01", "党课", "2026-04-15", "", "党课", ""]],
                     encoding="utf-8-sig")
    assert run(engine, registry, tenant, "ledger", path).inserted == 1


# --- headers -------------------------------------------------------------------------------


def test_headers_may_be_keys_labels_or_both(engine, registry, tenant, tree, tmp_path):
    header = ["org_code", "台账类型 type", "日期(date)", "数量（quantity）", " TITLE ", "备注 note"]
    path = write_csv(tmp_path / "mixed.csv", header, [["ZB01", "党课", "2026-04-15", "", "党课", ""]])
    assert run(engine, registry, tenant, "ledger", path).inserted == 1


def test_unknown_and_missing_columns_are_errors(engine, registry, tenant, tree, tmp_path):
    path = write_csv(tmp_path / "cols.csv", ["组织编码", "日期", "地点", "标题 note"], [["ZB01", "2026-04-15", "会议室", ""]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)
    assert problems(excinfo) == {(1, "地点"), (1, "标题 note"), (1, "type+title")}
    assert "第 1 行，台账类型、标题：缺少必填列：台账类型 type, 标题 title" in str(excinfo.value)
    with i18n.using("en"), pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)
    assert "row 1, type, title: required column(s) missing: 台账类型 type, 标题 title" in str(excinfo.value)


def test_values_in_a_column_without_header_are_errors(engine, registry, tenant, tree, tmp_path):
    path = write_csv(tmp_path / "x.csv", LEDGER_HEADER + [""], [["ZB01", "党课", "2026-04-15", "", "党课", "", "?"],
                                                                ["ZB01", "党课", "2026-04-16", "", "党课", "", ""]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", path)
    assert problems(excinfo) == {(2, "column G")}
    assert [e.field for e in excinfo.value.errors] == ["第 G 列"]


def test_an_empty_file_is_rejected(engine, registry, tenant, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ImportRejected, match="文件没有表头行"):
        run(engine, registry, tenant, "ledger", path)
    with i18n.using("en"), pytest.raises(ImportRejected, match="no header row"):
        run(engine, registry, tenant, "ledger", path)


def test_header_only_file_imports_nothing(engine, registry, tenant, tmp_path):
    path = write_csv(tmp_path / "h.csv", LEDGER_HEADER, [])
    report = run(engine, registry, tenant, "ledger", path)
    assert (report.inserted, report.updated, report.skipped) == (0, 0, 0)


def test_long_error_lists_are_capped(engine, registry, tenant, tree, tmp_path):
    rows = [["ZB01", "党课", f"bad-{i}", "", "党课", ""] for i in range(45)]
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ledger", write_csv(tmp_path / "many.csv", LEDGER_HEADER, rows))
    assert len(excinfo.value.errors) == 45
    message = str(excinfo.value)
    assert f"… 另有 {45 - importing.MAX_LISTED_ERRORS} 处问题" in message
    assert "第 31 行，日期" in message and "第 32 行，日期" not in message


# --- findings ------------------------------------------------------------------------------

FINDING_HEADER = ["组织编码", "检查日期", "检查方式", "检查人", "指标编码", "扣分", "问题描述"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_findings_create_one_check_per_visit(engine, registry, tenant, cycle, tree, tmp_path, suffix):
    rows = [
        ["ZB01", "2026-04-18", "日常督查", "督查组", "B6-1", "1", "支委会记录缺少签到"],
        ["ZB01", "2026-04-18", "日常督查", "督查组", "B3-2", "2", "上班时间脱岗"],
        ["ZB01", "2026-04-18", "暗访", "督查组", "B3-2", "2", "值班人员不在岗"],
        ["ZB02", "2026-05-06", "spot", "", "", "", "学习笔记不全"],
    ]
    writer = write_csv if suffix == ".csv" else write_xlsx
    report = run(engine, registry, tenant, "findings", writer(tmp_path / f"findings{suffix}", FINDING_HEADER, rows))

    assert (report.inserted, report.skipped, report.checks_created) == (4, 0, 3)
    checks = rows_of(engine, Check)
    assert sorted((c.org_id, c.kind, c.inspector) for c in checks) == sorted([
        (tree["ZB01"], "daily", "督查组"), (tree["ZB01"], "covert", "督查组"), (tree["ZB02"], "spot", "")])
    assert {c.cycle_id for c in checks} == {cycle.id}
    findings = rows_of(engine, Finding)
    by_check = {c.id: c for c in checks}
    assert [by_check[f.check_id].kind for f in findings] == ["daily", "daily", "covert", "spot"]
    assert [f.deduction for f in findings] == [1.0, 2.0, 2.0, 0.0]
    assert findings[3].indicator_code is None


def test_findings_reimport_skips_stored_and_reuses_checks(engine, registry, tenant, cycle, tree, tmp_path):
    rows = [["ZB01", "2026-04-18", "日常督查", "督查组", "B6-1", "1", "支委会记录缺少签到"]]
    run(engine, registry, tenant, "findings", write_csv(tmp_path / "a.csv", FINDING_HEADER, rows))
    rows.append(["ZB01", "2026-04-18", "日常督查", "督查组", "B6-1", "1", "党费收缴登记不全"])

    report = run(engine, registry, tenant, "findings", write_csv(tmp_path / "b.csv", FINDING_HEADER, rows))

    assert (report.inserted, report.skipped, report.checks_created) == (1, 1, 0)
    assert count(engine, Check) == 1 and count(engine, Finding) == 2


def test_findings_indicator_codes_are_checked_against_the_cycle_of_their_year(engine, registry, tenant, cycle, tree,
                                                                              tmp_path):
    rows = [
        ["ZB01", "2026-04-18", "日常督查", "", "B9-9", "1", "指标编码不存在"],  # row 2
        ["ZB01", "2025-11-02", "半年检查", "", "B6-1", "1", "2025 年没有考核周期"],  # row 3
        ["ZB01", "2026-04-18", "检查", "", "", "-1", ""],  # row 4: kind, deduction, description
        ["ZB01", "2026-04-18", "巡查", "", "", "", "未填指标的问题"],  # row 5: fine
    ]
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "findings", write_csv(tmp_path / "f.csv", FINDING_HEADER, rows))

    assert problems(excinfo) == {(2, "indicator_code"), (3, "date"), (4, "check_kind"), (4, "deduction"),
                                 (4, "description")}
    reasons = {(e.row, e.key): e.reason for e in excinfo.value.errors}
    assert "没有 2025 考核年度" in reasons[(3, "date")]
    assert reasons[(4, "check_kind")].startswith("'检查' 不是有效的检查方式；可填：日常督查 daily")
    assert "'B9-9'" in reasons[(2, "indicator_code")] and "2026" in reasons[(2, "indicator_code")]
    assert count(engine, Finding) == 0 and count(engine, Check) == 0


def test_findings_without_a_cycle_are_refused_even_without_an_indicator(engine, registry, tenant, tree, tmp_path):
    """Before the findings' rule was the inspection's, a finding of a year without a cycle got a check without one."""
    path = write_csv(tmp_path / "f.csv", FINDING_HEADER, [["ZB01", "2025-11-02", "巡查", "", "", "", "问题"]])
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "findings", path)
    assert problems(excinfo) == {(2, "date")}
    assert count(engine, Check) == 0


# --- ratings -------------------------------------------------------------------------------

RATING_HEADER = ["组织编码", "测评来源", "测评人", "指标编码", "分数", "等次", "测评日期", "备注"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_ratings_import_scores_and_levels(engine, registry, tenant, cycle, tree, tmp_path, suffix):
    rows = [
        ["ZB01", "上级机关", "", "B1-4", "", "优秀", "2026-12-20", ""],  # a secret ballot names nobody
        ["ZB01", "党员群众", "票001", "", "92.5", "", "2026-12-18", ""],  # B5-3 reads the members' overall score
        ["ZB01", "党员群众", "票002", "", "88", "良好", "2026-12-18", ""],
        ["ZB02", "peers", "No. 7", "", "85", "b", "2026-12-19", "互评"],
        ["ZB02", "述职评议", "党委", "", "90", "", "2026-12-25", ""],
    ]
    writer = write_csv if suffix == ".csv" else write_xlsx
    report = run(engine, registry, tenant, "ratings", writer(tmp_path / f"ratings{suffix}", RATING_HEADER, rows))

    assert (report.inserted, report.skipped) == (5, 0)
    ratings = rows_of(engine, Rating)
    assert [(r.source, r.score, r.level) for r in ratings] == [
        ("superior", None, "优秀"), ("members", 92.5, None), ("members", 88.0, "良好"), ("peers", 85.0, "B"),
        ("work_report", 90.0, None)]
    assert ratings[3].indicator_code is None and ratings[3].note == "互评"


def test_ratings_reject_bad_rows_and_skip_stored_ones(engine, registry, tenant, cycle, tree, tmp_path):
    good = [["ZB01", "自评", "李明", "", "95", "", "2026-12-10", ""]]
    run(engine, registry, tenant, "ratings", write_csv(tmp_path / "a.csv", RATING_HEADER, good))
    again = run(engine, registry, tenant, "ratings", write_csv(tmp_path / "b.csv", RATING_HEADER, good), again=True)
    assert again.skipped == 1

    bad = [
        ["ZB01", "领导", "x", "", "90", "", "2026-12-10", ""],  # row 2: source
        ["ZB01", "自评", "y", "", "101", "", "2026-12-10", ""],  # row 3: score above 100
        ["ZB01", "自评", "z", "", "", "", "2026-12-10", ""],  # row 4: neither score nor level
        ["ZB01", "自评", "w", "", "90", "合格", "2026-12-10", ""],  # row 5: not a level
        ["ZB01", "members", "", "", "80", "", "2026-12-11", ""],  # row 6
        ["ZB01", "members", "", "", "70", "", "2026-12-11", ""],  # row 7: same key as row 6
        ["ZB01", "members", "v", "NOPE", "70", "", "2026-12-11", ""],  # row 8: indicator, and a name on a secret ballot
    ]
    with pytest.raises(ImportRejected) as excinfo:
        run(engine, registry, tenant, "ratings", write_csv(tmp_path / "bad.csv", RATING_HEADER, bad))
    assert problems(excinfo) == {(2, "source"), (3, "score"), (4, "score"), (5, "level"),
                                 (7, "org_code+source+rater+indicator_code+date"), (8, "indicator_code"), (8, "rater")}
    assert count(engine, Rating) == 1


# --- audit ---------------------------------------------------------------------------------


def test_every_import_writes_one_audit_event_with_counts(engine, registry, tenant, tree, tmp_path):
    rows = [["ZB01", "党课", "2026-03-20", "", "党课", ""]]
    path = write_csv(tmp_path / "a.csv", LEDGER_HEADER, rows)
    run(engine, registry, tenant, "ledger", path, actor="李明")
    run(engine, registry, tenant, "ledger", path, actor="李明", again=True)

    events = rows_of(engine, AuditEvent, AuditEvent.action == "import")
    assert [(e.entity, e.actor, e.tenant_id) for e in events] == [("ledger", "李明", tenant.id)] * 2
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert events[0].new == {"file": "a.csv", "kind": "ledger", "rows": 1, "inserted": 1, "updated": 0, "skipped": 0,
                             "checks_created": 0, "sha256": sha256, "again": False}
    assert events[1].new["skipped"] == 1 and events[1].new["inserted"] == 0 and events[1].new["again"] is True


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_templates_import_back_cleanly(engine, registry, tenant, cycle, tmp_path, suffix):
    paths = {kind: write_template(kind, tmp_path / f"{kind}{suffix}") for kind in importing.KINDS}

    assert run(engine, registry, tenant, "organizations", paths["organizations"]).inserted == 1
    # the facts' examples are about branch ZB01, under the committee of the organisations example
    write_csv(tmp_path / "branch.csv", ["code", "name", "parent_code", "level"],
              [["ZB01", "第一党支部", "DW", "branch"], ["ZB02", "第二党支部", "DW", "branch"]])
    run(engine, registry, tenant, "organizations", tmp_path / "branch.csv")
    for kind in ("ledger", "findings", "ratings", "members"):
        report = run(engine, registry, tenant, kind, paths[kind])
        assert (report.inserted, report.skipped) == (1, 0), kind
    assert count(engine, LedgerEntry) == count(engine, Finding) == count(engine, Rating) == count(engine, Member) == 1
    for kind in importing.KINDS:  # and once more, asked for explicitly: nothing new
        if kind == "restructure":  # last: it merges ZB01 and ZB02 (and carries ZB01's member)
            assert run(engine, registry, tenant, kind, paths[kind]).inserted == 1
        assert run(engine, registry, tenant, kind, paths[kind], again=True).inserted == 0


def test_excel_template_has_bilingual_headers_an_example_and_a_guide(tmp_path, registry):
    path = write_template("ledger", tmp_path / "ledger.xlsx", registry=registry)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["台账", "说明"]
    data = list(workbook["台账"].iter_rows(values_only=True))
    assert data[0] == ("组织编码 org_code", "台账类型 type", "日期 date", "数量 quantity", "标题 title", "备注 note")
    assert data[1][:4] == ("ZB01", "志愿服务", datetime(2026, 3, 5), 24)
    guide = list(workbook["说明"].iter_rows(values_only=True))
    assert guide[0] == ("列标题", "字段", "中文名", "必填", "说明与允许值")
    by_key = {row[1]: row for row in guide[1:7]}
    assert by_key["org_code"][3] == "是" and by_key["note"][3] == "否"
    assert "volunteer_service 志愿服务" in by_key["type"][4]  # the installed types, with the registry


def test_csv_template_is_utf8_with_bom(tmp_path):
    path = write_template("organizations", tmp_path / "orgs.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, example = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert header[:4] == ["组织编码 code", "组织名称 name", "上级组织编码 parent_code", "层级 level"]
    assert example[3] == "党委"


def test_template_and_kind_errors(tmp_path):
    with pytest.raises(BastionError, match="没有导入类型 'votes'"):
        write_template("votes", tmp_path / "m.xlsx")
    with pytest.raises(BastionError, match=r"模板只能写成 \.xlsx 或 \.csv"):
        write_template("ledger", tmp_path / "m.txt")
    with i18n.using("en"):
        with pytest.raises(BastionError, match="unknown import kind"):
            write_template("votes", tmp_path / "m.xlsx")
        with pytest.raises(BastionError, match=r"\.xlsx or \.csv"):
            write_template("ledger", tmp_path / "m.txt")


def test_unsupported_files(engine, registry, tenant, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BastionError, match="另存为 .xlsx"):
        run(engine, registry, tenant, "ledger", tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ImportRejected, match="无法作为 Excel 工作簿打开"):
        run(engine, registry, tenant, "ledger", tmp_path / "broken.xlsx")
    with i18n.using("en"):
        with pytest.raises(BastionError, match="save it as .xlsx"):
            run(engine, registry, tenant, "ledger", tmp_path / "old.xls")
        with pytest.raises(ImportRejected, match="cannot open it as an Excel workbook"):
            run(engine, registry, tenant, "ledger", tmp_path / "broken.xlsx")


# --- cell values ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2026-03-05", "2026/3/5", "2026.03.05", "2026年3月5日", "20260305", " 2026-3-5 ",
                                 "2026-03-05 00:00:00", datetime(2026, 3, 5, 9, 30), date(2026, 3, 5), 46086, 46086.0,
                                 20260305])
def test_dates(raw):
    assert importing.parse_date(raw) == date(2026, 3, 5)


@pytest.mark.parametrize("raw", ["2026-02-30", "3/5/2026", "明天", "2026-13-01", True])
def test_not_dates(raw):
    with pytest.raises(ValueError):
        importing.parse_date(raw)


def test_excel_numbers_typed_as_text_columns_keep_their_digits():
    assert importing.parse_text(1001.0) == "1001"
    assert importing.parse_count(12.0) == 12
    with pytest.raises(ValueError):
        importing.parse_count("1.5")


@pytest.mark.parametrize("header, key", [("组织编码", "org_code"), ("org_code", "org_code"),
                                         ("组织编码 org_code", "org_code"), ("组织编码（org_code）", "org_code"),
                                         ("*日期", "date"), ("Quantity", "quantity"), ("备注\u3000note", "note")])
def test_header_matching(header, key):
    assert importing.match_header(importing.LEDGER, header).key == key


@pytest.mark.parametrize("header", ["组织编码 date", "地点", ""])
def test_headers_that_do_not_match(header):
    assert importing.match_header(importing.LEDGER, header) is None


def test_the_docs_describe_every_column():
    text = (Path(__file__).parents[2] / "docs" / "import-templates.md").read_text(encoding="utf-8")
    for kind in importing.KINDS:
        section = text.split(f"\n## {kind} (")[1].split("\n## ")[0]
        for column in importing.kind_spec(kind).columns:
            assert f"| `{column.key}` | {column.label} | {'yes' if column.required else 'no'} |" in section, column.key
