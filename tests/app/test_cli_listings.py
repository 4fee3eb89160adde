"""What a party-affairs office sees at the terminal: its language, 80 columns, clear one-line errors,
and listings as table, JSON or CSV (the reports of users, each a test)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.cells import cell_len

from bastion.core import i18n
from bastion.listings import Field, Wrapped, csv_text, records, table, widths
from tests.app.conftest import bastion


def _one_line_error(result, *expected: str, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    for text in expected:
        assert text in result.output
    return result.output


def _fits(output: str, width: int = 80) -> None:
    assert max(map(cell_len, output.splitlines())) <= width, output


# --- reported at the terminal -----------------------------------------------------------------


def test_a_period_that_is_not_one_is_one_line_and_exit_2(in_demo, zh):
    out = _one_line_error(bastion("results", "--period", "2025-H3", ok=False), "错误：", "2025-H3", "2026-H1", code=2)
    assert out.startswith("错误：")


def test_a_half_or_a_quarter_may_be_written_without_the_dash(in_demo):
    as_written = json.loads(bastion("results", "--period", "2025H1", "--format", "json").stdout)
    assert as_written == json.loads(bastion("results", "--period", "2025-H1", "--format", "json").stdout)
    assert len(as_written) == 40 and as_written != json.loads(bastion("results", "--period", "2025", "--format", "json").stdout)


def test_a_period_alone_finds_its_cycle(in_demo):
    out = bastion("results", "--period", "2026", ok=False)  # the 2026 cycle is open, without results yet
    _one_line_error(out, "period 2026 has no results yet", code=1)
    assert "outside the 2025 cycle" not in out.output
    _one_line_error(bastion("results", "--period", "2027-Q1", ok=False), "no cycle for 2027", "2025, 2026", code=1)
    _one_line_error(bastion("results", "--year", "2025", "--period", "2026-Q1", ok=False), "not in the 2025 cycle",
                    code=2)
    rows = json.loads(bastion("results", "--period", "2025-h1", "--format", "json").stdout)
    assert len(rows) == 40


def test_org_codes_are_not_case_sensitive(in_demo):
    out = bastion("explain", "--org", "zb00006").output
    assert "(ZB00006)" in out


def test_results_at_80_columns_keep_every_branch_name_whole(in_demo, zh):
    out = bastion("results").output
    _fits(out)
    assert "排名" in out and "总分" in out and "Rank" not in out
    names = [r["org_name"] for r in json.loads(bastion("results", "--format", "json").stdout)]
    lines = out.splitlines()
    assert all(any(name in line for line in lines) for name in names)


def test_headers_and_statuses_follow_the_language(in_demo, zh, monkeypatch):
    notices = bastion("rectification", "list").output
    assert "逾期" in notices and "overdue" not in notices and "整改期限" in notices
    _fits(notices)
    monkeypatch.setenv("BASTION_LANG", "en")
    notices = bastion("rectification", "list").output
    assert "overdue" in notices and "Deadline" in notices and "逾期" not in notices


def test_stages_fit_80_columns_and_a_confirmed_annual_run_reads_as_done(in_demo, zh):
    out = bastion("stages").output
    _fits(out)
    assert len(out.splitlines()) < 60 and "已完成" in out and "succeeded" not in out and "次数" not in out
    runs = {r["key"]: r for r in json.loads(bastion("stages", "--format", "json").stdout)}
    annual = runs["2025:annual:2025"]
    assert (annual["status"], annual["status_words"], annual["attempts"]) == ("succeeded", "已完成", 1)
    assert annual["flow_run_id"]  # the Prefect run that scored it, though a leader confirmed it directly


def test_cycle_list_shows_each_cycles_state(in_demo, zh):
    out = bastion("cycle", "list").output
    line = {row.split()[0]: row for row in out.splitlines() if row[:4].isdigit()}
    assert "已发布" in line["2025"] and "进行中" in line["2026"]
    data = json.loads(bastion("cycle", "list", "--format", "json").stdout)
    assert [(c["year"], c["status"]) for c in data] == [(2025, "published"), (2026, "open")]


def test_incentives_at_80_columns_do_not_break_words(in_demo):
    out = bastion("incentives").output
    _fits(out)
    assert "Rank" in out and "reward" in out and "2026-03-16" in out  # 60 days after the year's publication
    out = bastion("incentives", "--pool", "500000").output
    _fits(out)
    assert "Amount (yuan)" in out and "12,500.00" in out  # the amounts stay, however narrow the terminal
    _one_line_error(bastion("incentives", "--format", "xml", ok=False),
                    "--format xml is not valid: expected one of table, json, csv, xlsx", code=2)


def test_an_explanation_says_why_a_branch_is_not_advanced():
    from bastion.core.results import Explanation
    from bastion.tables import explanation_text

    bar = "一年内取消参加先进党支部评选资格（2025年度考核落后，至 2027-01-15）"
    ex = Explanation(org={"code": "E", "name": "E党支部"}, lines=[], evaluation={
        "scheme_id": "s", "scheme_version": "1", "status": "published", "grade": "好", "rank": 1, "tier": "第一档",
        "total": 100.0, "base_points": 100.0, "bonus_points": 0.0, "assessed_points": 100.0, "rate": 100.0,
        "veto_reasons": [], "bars": [bar]})
    assert f"not eligible for advanced (先进): {bar}" in explanation_text(ex, "2026").plain
    with i18n.using("zh"):
        assert f"不可评先进：{bar}" in explanation_text(ex, "2026").plain


def test_the_demo_output_is_not_broken_when_piped(in_demo):
    lines = in_demo.output.splitlines()
    assert any("演示账号" in line and "auditor（审计管理员）" in line for line in lines)
    assert any(line.startswith("用时 ") and "`bastion ui`" in line for line in lines)


def test_an_unknown_language_is_one_line_and_exit_2(in_demo, monkeypatch):
    monkeypatch.setenv("BASTION_LANG", "fr")
    _one_line_error(bastion("cycle", "list", ok=False), "unknown language 'fr'", code=2)


def test_a_bad_status_or_format_is_exit_2(in_demo):
    _one_line_error(bastion("rectification", "list", "--status", "late", ok=False), "--status late", "overdue", code=2)
    _one_line_error(bastion("results", "--format", "xml", ok=False),
                    "Error: --format xml is not valid: expected one of table, json, csv (see bastion results --help)",
                    code=2)


@pytest.mark.parametrize(("args", "said"), [
    (("results", "--format", "xml"), "错误：--format xml 无效：应为 table、json、csv 之一（见 bastion results --help）"),
    (("results", "--year", "abc"), "错误：--year abc 无效：应为整数（见 bastion results --help）"),
    (("results", "--perod", "2025"), "错误：没有选项 --perod，是否想用 --period"),
    (("explain",), "错误：缺少 --org（见 bastion explain --help）"),
    (("results", "--period"), "错误：选项 --period 需要一个值"),
    (("nosuch",), "错误：没有命令 nosuch（见 bastion --help）"),
])
def test_what_the_parser_refuses_is_one_line_in_the_users_language_and_exit_2(in_demo, zh, args, said):
    """Typer's own four English lines (usage, hint, blank, pydantic's wording) are one line, as every error."""
    out = _one_line_error(bastion(*args, ok=False), said, code=2)
    assert "Usage:" not in out and "Input should be" not in out


# --- formats ----------------------------------------------------------------------------------


def test_results_as_csv_carry_codes_and_raw_values(in_demo):
    text = bastion("results", "--format", "csv").stdout
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    as_json = json.loads(bastion("results", "--format", "json").stdout)
    assert len(rows) == 40 and [r["org_code"] for r in rows] == [r["org_code"] for r in as_json]
    assert float(rows[0]["total"]) == as_json[0]["total"] and rows[0]["status"] == "published"


@pytest.mark.parametrize("command", [("tenant", "list"), ("user", "list"), ("cycle", "list"), ("stages",),
                                     ("rectification", "list"), ("review", "list"), ("plugins", "list"),
                                     ("bulletins",), ("incentives",), ("explain", "--org", "ZB00006")])
def test_every_listing_takes_json_and_csv(in_demo, command):
    data = json.loads(bastion(*command, "--format", "json").stdout)
    assert data or command == ("review", "list")  # the demo has no reviews
    text = bastion(*command, "--format", "csv").stdout
    assert text.startswith("\ufeff") and len(text.splitlines()) >= (1 + bool(data))


def test_stage_statuses_in_json_are_codes_with_words_beside(in_demo):
    rows = json.loads(bastion("stages", "--format", "json").stdout)
    assert {r["status"] for r in rows} == {"succeeded"} and {r["status_words"] for r in rows} == {"done"}


def test_a_csv_cell_is_never_a_formula():
    assert [csv_text(v) for v in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=x", "ZB01", "")] == \
        ["'=1+1", "'+1", "'-2+3", "'@SUM(A1)", "'\t=x", "ZB01", ""]
    assert (csv_text(-3.5), csv_text(True), csv_text(None), csv_text(["a", "b"])) == ("-3.5", "true", "", "a；b")


# --- the table layout ------------------------------------------------------------------------------


def test_wrapping_keeps_words_and_codes_whole_and_breaks_chinese_between_characters():
    text = "抽取 4/40 个党支部：ZB00002、ZB00028、ZB00039（种子 3277493171）"
    lines = Wrapped(text).lines(20)
    assert all(cell_len(line) <= 20 for line in lines)
    for whole in ("ZB00002、", "ZB00028、", "3277493171）", "4/40"):
        assert any(whole in line for line in lines)
    assert not any(line.startswith(("、", "）", "，")) for line in lines)
    assert Wrapped("awaiting rectification").lines(14) == ["awaiting", "rectification"]
    assert Wrapped("rectification").lines(8) == ["rectific", "ation"]  # longer than the line: folded, last resort


def test_columns_share_the_width_codes_first_then_names_then_prose():
    kinds = ("code", "text", "prose")
    cells = [["编码", "党支部", "内容"], ["ZB00001", "第一离退休管理站第二党支部", "限期整改 " * 10]]
    code, name, prose = widths(kinds, cells, 60)
    assert code == 7 and name == cell_len(cells[1][1]) and code + name + prose + 4 == 60  # prose gave way
    code, name, prose = widths(kinds, cells, 48)
    assert (code, name, prose) == (7, 25, 12)  # then the name, towards TEXT_WIDTH
    assert widths(kinds, cells, 40) == [7, 17, 12]  # then both, the widest first
    assert widths(kinds, cells, 10) == [7, 2, 2]  # too narrow for all: nothing below its longest word


def test_optional_fields_go_when_narrow_or_empty():
    fields = (Field("code", "编码", "Code", "code"), Field("note", "备注", "Note", optional=True),
              Field("extra", "附加", "Extra", optional=True), Field("secret", "", "", hidden=True))
    rows = [{"code": "A1", "note": "x", "extra": None, "secret": 1}]
    headers = lambda t: [c.header for c in t.columns]  # noqa: E731
    with i18n.using("zh"):
        assert headers(table(fields, rows, width=120)) == ["编码", "备注"]
        assert headers(table(fields, rows, width=80)) == ["编码"]
    assert records(fields, rows) == [{"code": "A1", "note": "x", "extra": None, "secret": 1}]


def test_an_unexpected_error_is_not_hidden_by_the_usage_errors_handler(in_demo, monkeypatch):
    """Only the parser's refusals are turned into one line: anything else reaches the caller as itself."""
    from bastion.cli import results as results_cli

    def broken(*args, **kwargs):
        raise LookupError("broken on purpose")

    monkeypatch.setattr(results_cli, "read_results", broken, raising=False)
    monkeypatch.setattr(results_cli.scoring, "read_results", broken, raising=False)
    out = bastion("results", ok=False)
    assert out.exit_code != 0 and isinstance(out.exception, LookupError), out.output
