"""The command line, end to end on an embedded database in a temporary BASTION_HOME."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest

from bastion.core import db
from tests.app.conftest import bastion

def test_help_lists_every_command():
    out = bastion("--help").output
    for command in ("db", "tenant", "import", "cycle", "target", "score", "publish", "results", "explain", "plugins",
                    "demo"):
        assert command in out


def test_console_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "bastion", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("bastion ")


def test_demo_prints_a_ranking_of_forty_branches_with_grades_and_tiers(in_demo):
    out = in_demo.output
    assert "40 个党支部" in out
    assert "排名" in out and "第一档" in out and "第三档" in out
    assert "先进" in out and "不合格" in out


def test_results_json_has_the_documented_fields(in_demo):
    rows = json.loads(bastion("results", "--format", "json").stdout)
    assert len(rows) == 40
    assert sorted(r["rank"] for r in rows) == list(range(1, 41))
    for field in ("org_id", "org_name", "total", "grade", "rank", "tier", "vetoes"):
        assert field in rows[0]
    vetoed = [r for r in rows if r["vetoes"]]
    assert vetoed and all(r["grade"] == "不合格" and r["tier"] == "第三档" for r in vetoed)
    assert any(r["total"] >= 95 and r["grade"] == "先进" for r in rows)


def test_demo_is_reproducible(in_demo):
    first = json.loads(bastion("results", "--format", "json").stdout)
    bastion("demo", "--no-ui")
    again = json.loads(bastion("results", "--format", "json").stdout)
    strip = [{k: v for k, v in r.items() if k != "org_id"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "org_id"} for r in again]


def test_explain_prints_every_indicator_with_rule_reason_and_evidence(in_demo, zh):
    rows = json.loads(bastion("results", "--format", "json").stdout)
    vetoed = next(r for r in rows if r["vetoes"])
    out = bastion("explain", "--org", vetoed["org_code"]).output
    assert "一票否决" in out and "target-table 2024.1" in out
    assert "[ledger_target]" in out and "依据 台账 #" in out
    data = json.loads(bastion("explain", "--org", rows[0]["org_code"], "--format", "json").stdout)
    assert data["evaluation"]["total"] == rows[0]["total"]
    assert round(sum(line["points"] for line in data["lines"] if line["kind"] != "bonus"), 2) == \
        data["evaluation"]["base_points"]
    assert data["evidence"]["ledger"]


def test_half_year_results_are_there_too(in_demo):
    rows = json.loads(bastion("results", "--period", "2025-H1", "--format", "json").stdout)
    assert len(rows) == 40 and {r["status"] for r in rows} == {"published"}


def test_plugins_list_shows_contributions_and_tenants(in_demo):
    out = bastion("plugins", "list").output
    assert "target-table" in out and "standard-rules" in out and "demo" in out


def test_a_tenant_from_scratch(home):
    bastion("tenant", "create", "acme", "--name", "某集团公司")
    assert "某集团公司" in bastion("tenant", "list").output
    out = bastion("cycle", "open", "--year", "2026", ok=False)
    said = " ".join(out.output.split())
    assert out.exit_code == 1 and "enables 5 schemes" in said and "name one with --scheme" in said
    bastion("cycle", "open", "--year", "2026", "--scheme", "target-table")
    out = bastion("score", ok=False)
    assert out.exit_code == 1 and "no active branches" in out.output
    bastion("tenant", "create", "other", "--name", "另一集团")
    out = bastion("cycle", "list", ok=False)
    assert out.exit_code == 1 and "2 tenants exist (acme, other): name one with --tenant" in out.output
    assert "2026" in bastion("cycle", "list", "--tenant", "acme").output


def test_unknown_organisation_is_a_clear_error(in_demo):
    out = bastion("explain", "--org", "NOPE", ok=False)
    assert out.exit_code == 1 and "no organisation 'NOPE'" in out.output


def test_db_upgrade_and_current(home):
    head = db.head_revision()
    assert head[:4] == max(path.name[:4] for path in (db.MIGRATIONS / "versions").glob("0*.py"))  # 0014_frozen_inputs
    assert f"database at revision {head}" in bastion("db", "upgrade").output
    assert f"current: {head}  head: {head}" in bastion("db", "current").output


def test_import_round_trip_from_templates(home, tmp_path):
    bastion("tenant", "create", "acme", "--name", "某集团公司")
    for kind in ("organizations", "ledger"):
        bastion("import", "template", kind, str(tmp_path / f"{kind}.xlsx"))
    out = bastion("import", "organizations", str(tmp_path / "organizations.xlsx")).output
    assert "organizations from organizations.xlsx: 1 inserted, 0 updated, 0 skipped" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("org_code,type,date,title\nNOPE,study_session,2026-13-01,集中学习\n", encoding="utf-8")
    out = bastion("import", "ledger", str(bad), ok=False)
    assert out.exit_code == 1 and "bad.csv" in out.output and "row 2" in out.output


def test_incentives_lists_the_awards_of_the_published_year(in_demo):
    rows = json.loads(bastion("results", "--format", "json").stdout)
    awards = json.loads(bastion("incentives", "--format", "json").stdout)
    advanced = {r["org_code"] for r in rows if r["grade"] == "先进"}
    unqualified = {r["org_code"] for r in rows if r["grade"] == "不合格"}
    assert {a["org_code"] for a in awards if a["code"] == "advanced_branch"} == advanced
    rectify = [a for a in awards if a["kind"] == "rectification"]
    assert {a["org_code"] for a in rectify} == unqualified
    # due 60 days after the year's results were published (the demo's confirmation, on 15 January 2026 at 09:00 in
    # Beijing): 16 March — counted from publication, not from the year's end
    published = {datetime.fromisoformat(r["published_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date() for r in rows}
    assert published == {date(2026, 1, 15)}
    assert {a["effective_until"] for a in rectify} == {(date(2026, 1, 15) + timedelta(days=60)).isoformat()} \
        == {"2026-03-16"}
    table = " ".join(bastion("incentives").output.split())
    assert "incentives" in table and all(code in table for code in advanced | unqualified)
    assert "no incentives" in bastion("incentives", "--period", "2025-H1").output


def test_incentives_share_a_pool_out_in_every_format(in_demo, tmp_path):
    """The demo's target-table gives no coefficients: every branch 1.0, the pool shared per branch, in fen that add
    up to it — on the terminal, as JSON, CSV and a workbook."""
    rows = json.loads(bastion("incentives", "--pool", "500000", "--format", "json").stdout)
    assert len(rows) == 40 and {r["bonus_weight"] for r in rows} == {1.0}
    assert sum(round(r["amount"] * 100) for r in rows) == 50_000_000
    assert {r["amount"] for r in rows} == {12500.0}
    # An awkward pool: 10 000 001 fen over 40 branches — 250 000 fen each and one left over, to the first code.
    rows = json.loads(bastion("incentives", "--pool", "100000.01", "--format", "json").stdout)
    assert sum(round(r["amount"] * 100) for r in rows) == 10_000_001
    first = min(r["org_code"] for r in rows)
    assert {r["org_code"]: r["amount"] for r in rows if r["amount"] != 2500.0} == {first: 2500.01}
    # One fen per branch, and fewer fen than branches.
    rows = json.loads(bastion("incentives", "--pool", "0.40", "--format", "json").stdout)
    assert {r["amount"] for r in rows} == {0.01}
    rows = json.loads(bastion("incentives", "--pool", "0.03", "--format", "json").stdout)
    assert sorted(r["org_code"] for r in rows if r["amount"]) == sorted(r["org_code"] for r in rows)[:3]

    csv_rows = bastion("incentives", "--pool", "500000", "--format", "csv").stdout.lstrip("\ufeff").splitlines()
    header = csv_rows[0].split(",")
    assert header[:3] == ["org_id", "org_code", "org_name"] and "amount" in header
    assert sum(float(line.split(",")[header.index("amount")]) for line in csv_rows[1:]) == pytest.approx(500000)

    table = " ".join(bastion("incentives", "--pool", "500000").output.split())
    assert "12,500.00" in table and "total 500,000.00 yuan, 40 branches" in table

    from openpyxl import load_workbook

    out = bastion("incentives", "--pool", "500000", "--format", "xlsx", "--output", str(tmp_path / "bonus.xlsx"))
    assert "bonus.xlsx" in out.output
    sheet = load_workbook(tmp_path / "bonus.xlsx").active
    cells = list(sheet.iter_rows(values_only=True))
    assert "500,000.00" in cells[0][0]  # the title names the pool
    amount = cells[1].index("Amount (yuan)")
    assert [row[amount] for row in cells[2:-1]] == [12500.0] * 40
    assert cells[-1][amount] == 500000.0 and "total" in cells[-1]  # the last row adds them up

    # Refused, in one line, exit 2: a pool beyond the fen, xlsx without a file.
    bad = bastion("incentives", "--pool", "1.005", ok=False)
    assert bad.exit_code == 2 and "whole fen" in bad.output
    bad = bastion("incentives", "--format", "xlsx", ok=False)
    assert bad.exit_code == 2 and "--output" in bad.output
    # Per branch without a pool: the coefficients, no amounts.
    rows = json.loads(bastion("incentives", "--by-branch", "--format", "json").stdout)
    assert {r["amount"] for r in rows} == {None} and {r["bonus_weight"] for r in rows} == {1.0}


def test_plugins_check_validates_every_installed_plugin(home):
    out = " ".join(bastion("plugins", "check").output.split())
    for scheme in ("target-table 2024.1", "responsibility-system 2022.2", "organ-standardisation 2023.1",
                   "study-education 2017.1", "organisational-life 2024.1"):
        assert scheme in out
    assert "are valid" in out


def test_tenant_enable_and_disable_from_the_cli(home):
    bastion("tenant", "create", "acme", "--name", "某集团公司", "--plugin", "standard-rules",
            "--plugin", "standard-ledgers")
    out = bastion("cycle", "open", "--year", "2026", ok=False)
    assert out.exit_code == 1 and "bastion tenant enable PLUGIN" in " ".join(out.output.split())
    assert "enabled study-education" in bastion("tenant", "enable", "study-education").output
    assert "study-education" in bastion("plugins", "list").output
    bastion("cycle", "open", "--year", "2026")
    assert "study-education" in bastion("cycle", "list").output
    out = bastion("tenant", "disable", "target-table", ok=False)
    assert out.exit_code == 1 and "does not enable target-table" in " ".join(out.output.split())
    assert "disabled study-education" in bastion("tenant", "disable", "study-education").output
    out = bastion("tenant", "enable", "no-such-plugin", ok=False)
    assert out.exit_code == 1 and "not installed: no-such-plugin" in " ".join(out.output.split())


def test_the_demo_takes_a_seed_scheme_by_name(home, zh):
    """``--scheme`` names the scheme the demo runs (each runs its year below, in-process; the demo's own run through
    the flows is the shared ``demo`` fixture's): a name no plugin contributes is refused, listing those there are."""
    out = bastion("demo", "--no-ui", "--scheme", "no-such", ok=False)
    said = " ".join(out.output.split())
    assert out.exit_code == 1 and "已安装的插件都不提供方案 'no-such'" in said
    assert all(s in said for s in ("organ-standardisation", "responsibility-system", "study-education"))


@pytest.mark.parametrize("scheme, incentive", [
    ("responsibility-system", "一年内取消参加先进党支部评选资格"),
    ("organ-standardisation", "党建考核乘数"),
    ("study-education", "整改"),
    ("organisational-life", None),
])
def test_the_demo_s_year_runs_on_every_seed_scheme(tmp_path, registry, scheme, incentive):
    """The demo's sample and year on each scheme, stage by stage in this process (as ``bastion run`` does; the
    Prefect flows that the demo runs them through are the test above's and the shared demo's)."""
    from bastion import demo
    from bastion.core.results import read_incentives, read_results
    from bastion.core.stages.service import StageContext

    engine = db.make_engine(f"sqlite:///{tmp_path / 'bastion.db'}")
    db.upgrade(engine)
    sample = demo.build_sample(engine, registry=registry, branches=40, seed=2025, year=2025, scheme_id=scheme)
    ctx = StageContext(engine, registry, tmp_path, "test")
    demo.run_year(engine, registry=registry, home=tmp_path, sample=sample, runner=demo.direct_runner(ctx, sample.cycle))
    with engine.connect() as conn:
        results = read_results(conn, sample.cycle.id, "2025")
        awards = read_incentives(conn, sample.cycle.id, "2025")
    engine.dispose()
    assert len(results) == 40 and (results["status"] == "published").all()
    if incentive:
        assert any(incentive in title or incentive in kind for title, kind in zip(awards["title"], awards["kind"],
                                                                                  strict=True)), set(awards["title"])
    else:
        assert awards.empty


def test_graded_leader_review_is_recorded_and_listed(in_demo):
    bastion("review", "add", "--org", "ZB00006", "--as", "leader", "--period", "2025-H1",
            "--achievements", "三会一课坚持得好", "--problems", "台账不够规范", "--direction", "加强台账管理")
    listed = " ".join(bastion("review", "list", "--period", "2025-H1").output.split())
    assert "ZB00006" in listed and "党委书记" in listed and "台账不够规范" in listed
    assert "ZB00006" not in bastion("review", "list", "--period", "2025").output
    out = bastion("review", "add", "--org", "ZB00006", "--as", "leader", ok=False)
    assert out.exit_code == 1 and "at least one of achievements" in " ".join(out.output.split())
    out = bastion("review", "add", "--org", "NOPE", "--as", "leader", "--problems", "x", ok=False)
    assert out.exit_code == 1 and "no organisation 'NOPE'" in out.output


def test_the_demo_runs_its_year_through_the_flows_and_archives_the_bulletins(in_demo):
    out = " ".join(in_demo.output.split())
    assert "随机抽查" in out and "半年检查 2025-H1" in out and "年终考核 2025" in out and "整改跟踪" in out
    assert "━" not in in_demo.output  # not a terminal: each stage's line, no progress bar's frames
    runs = " ".join(bastion("stages").output.split())
    for key in ("2025:half_year:2025-H1", "2025:annual:2025", "2025:rectification:2026-01-16"):
        assert key in runs
    assert "failed" not in runs and "running" not in runs
    listed = bastion("bulletins").output
    paths = [Path(line.strip()) for line in listed.splitlines() if line.strip().endswith((".docx", ".xlsx"))]
    assert len(paths) == 4 and all(p.exists() for p in paths)
    assert "2025年度党建工作考核通报" in listed and "2025年上半年党建工作考核通报" in listed


def test_the_demo_results_match_a_direct_engine_run_on_the_same_data(in_demo):
    from bastion.core import engine as scoring_engine
    from bastion.core import scoring
    from bastion.core.registry import Registry
    from bastion.core.settings import Settings

    store = db.connect(Settings.from_env())
    _, cycle = _demo_cycle(store)
    inputs = scoring.read_inputs(store, cycle=cycle, period=scoring_engine.Period.parse("2025"),
                                 registry=Registry.load())
    direct = scoring_engine.score(inputs.scheme, inputs.rule_types, inputs.orgs, inputs.facts, inputs.period,
                                  target_rows=inputs.target_rows).evaluations.merge(inputs.orgs[["org_id", "code"]])
    published = json.loads(bastion("results", "--format", "json").stdout)
    assert [(r["org_code"], r["total"], r["rank"], r["grade"], r["tier"]) for r in published] == \
        [(r.code, r.total, r.rank, r.grade, r.tier) for r in direct.sort_values("rank").itertuples()]
    store.dispose()


def _demo_cycle(store):
    from sqlmodel import Session

    from bastion.core import cycles, tenants

    with Session(store) as session:
        tenant = tenants.resolve_tenant(session, "demo")
        return tenant, cycles.resolve_cycle(session, tenant, 2025)


def test_run_a_stage_now_through_prefect_and_again_does_nothing(in_demo):
    out = " ".join(bastion("run", "quarterly", "--period", "2025-Q3").output.split())
    assert "demo quarterly bulletin 2025:quarterly:2025-Q3: done, 40 branches" in out
    assert "already done (not run again)" in bastion("run", "quarterly", "--period", "2025-Q3").output
    out = bastion("run", "weekly", ok=False)
    assert out.exit_code == 2 and "no stage 'weekly'" in out.output
    out = bastion("confirm")
    assert "already confirmed and published; nothing to do" in " ".join(out.output.split())
    out = bastion("confirm", "--year", "2026", ok=False)
    assert out.exit_code == 1 and "nothing awaits review for 2026" in " ".join(out.output.split())


def test_confirm_runs_through_prefect_like_run_and_leaves_its_flow_run_on_the_annual_run(home):
    from sqlmodel import Session

    from bastion.core import cycles, tenants
    from bastion.core.settings import Settings
    from bastion.synthetic import build_tree, generate_facts

    bastion("tenant", "create", "acme", "--name", "某集团公司", "--plugin", "standard-rules", "--plugin",
            "standard-ledgers", "--plugin", "responsibility-system")
    bastion("cycle", "open", "--year", "2025")
    store = db.connect(Settings.from_env())
    with Session(store) as session:
        tenant = tenants.resolve_tenant(session, "acme")
        cycle = cycles.resolve_cycle(session, tenant, 2025)
    orgs = build_tree(store, tenant_id=tenant.id, branches=6, seed=3, year=2025)
    generate_facts(store, tenant_id=tenant.id, scheme=cycles.cycle_scheme(cycle), branches=orgs, year=2025, seed=3)
    store.dispose()
    assert "awaiting" in bastion("run", "annual", "--period", "2025").output
    scored = {r["key"]: r for r in json.loads(bastion("stages", "--format", "json").stdout)}["2025:annual:2025"]
    assert scored["status"] == "awaiting_review" and scored["flow_run_id"]
    out = " ".join(bastion("confirm").output.split())
    assert out.startswith("2025:annual:2025: published,") and "incentive(s); bulletin" in out
    confirmed = {r["key"]: r for r in json.loads(bastion("stages", "--format", "json").stdout)}["2025:annual:2025"]
    assert confirmed["status"] == "succeeded" and confirmed["flow_run_id"] not in (None, scored["flow_run_id"])
    assert _flow_run_parameters(confirmed["flow_run_id"])["stage"] == "confirm"
    out = " ".join(bastion("confirm").output.split())  # confirming twice acts once
    assert "already confirmed and published; nothing to do" in out
    again = {r["key"]: r for r in json.loads(bastion("stages", "--format", "json").stdout)}["2025:annual:2025"]
    assert again["flow_run_id"] == confirmed["flow_run_id"] and again["status"] == "succeeded"


def _flow_run_parameters(flow_run_id: str) -> dict:
    import asyncio
    from uuid import UUID

    from prefect.client.orchestration import get_client

    async def read() -> dict:
        async with get_client() as client:
            return (await client.read_flow_run(UUID(flow_run_id))).parameters

    return asyncio.run(read())


def test_a_notice_is_answered_then_re_verified_failed_and_passed(in_demo):
    notices = bastion("rectification", "list", "--status", "issued").output
    number = next(word for word in notices.split() if word.startswith("ZG2025-"))
    out = bastion("rectification", "verify", number, "--passed", ok=False)
    assert out.exit_code == 1 and "only an answered notice is re-verified" in " ".join(out.output.split())
    assert "answered, to re-verify (responded)" in bastion("rectification", "respond", number, "--response",
                                                            "已召开专题组织生活会，补齐台账").output
    out = bastion("rectification", "verify", number, "--failed", ok=False)
    assert out.exit_code == 1 and "give a new deadline" in " ".join(out.output.split())
    reopened = bastion("rectification", "verify", number, "--failed", "--note", "台账仍不完整", "--deadline", "2099-06-30")
    assert "reopened, due 2099-06-30" in reopened.output
    bastion("rectification", "respond", number, "--response", "台账已补齐")
    assert f"notice {number}: verified" in bastion("rectification", "verify", number, "--passed", "--note", "复验通过").output
    assert number in bastion("rectification", "list", "--status", "verified").output


def test_results_by_level_on_a_scheme_assessing_general_branches(home, registry):
    """study-education (seed 000: 一级考一级) assesses each 党总支 by its branches' results: `--level` prints that
    level's ranking, and the JSON names each result's level, parent, points assessed and rate."""
    from bastion.core import scoring
    from bastion.core.settings import Settings
    from tests import factories

    store = db.connect(Settings.from_env())
    try:
        tenant, cycle = factories.enterprise(store, registry, "levels")
        scoring.score_period(store, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    finally:
        store.dispose()
    args = ("--tenant", "levels", "--year", "2026", "--period", "2026-Q1")
    branches = json.loads(bastion("results", *args, "--format", "json").stdout)
    general = json.loads(bastion("results", *args, "--level", "general_branch", "--format", "json").stdout)
    assert {r["level"] for r in branches} == {"branch"} and len(branches) == 20
    assert {r["level"] for r in general} == {"general_branch"} and sorted(r["rank"] for r in general) == \
        list(range(1, len(general) + 1))
    for r in general:  # each the mean of the rates of the branches below it
        below = [b["rate"] for b in branches if b["parent_code"] == r["org_code"]]
        assert r["assessed_points"] == 100 and r["rate"] == pytest.approx(sum(below) / len(below), abs=0.006)
    assert all(0 < b["assessed_points"] < 100 and b["rate"] >= 0 for b in branches)  # a quarter assesses less
    table = bastion("results", *args, "--level", "general_branch").stdout
    assert general[0]["org_code"] in table
    refused = bastion("results", *args, "--level", "committee", ok=False)
    assert refused.exit_code != 0 and "committee" in refused.output


def test_a_period_its_scheme_does_not_grade_reads_not_graded(home, registry):
    """study-education grades at the half-year check and the year (Scheme.graded): its quarter is ranked and
    tiered, every result without a grade; the table, the JSON and the explanation say so, and H1 grades."""
    from bastion.core import scoring
    from bastion.core.settings import Settings
    from tests import factories

    store = db.connect(Settings.from_env())
    try:
        _, cycle = factories.enterprise(store, registry, "graded")
        for key in ("2026-Q1", "2026-H1"):
            scoring.score_period(store, cycle=cycle, period_key=key, registry=registry, actor="test")
    finally:
        store.dispose()
    args = ("--tenant", "graded", "--year", "2026")
    quarter = json.loads(bastion("results", *args, "--period", "2026-Q1", "--format", "json").stdout)
    assert {r["grade"] for r in quarter} == {""} and sorted(r["rank"] for r in quarter) == list(range(1, 21))
    assert {r["tier"] for r in quarter} <= {"先进", "达标", "待整改"} and len({r["tier"] for r in quarter}) > 1
    assert "not graded" in bastion("results", *args, "--period", "2026-Q1").stdout
    first = quarter[0]["org_code"]
    assert "grade not graded" in bastion("explain", *args, "--period", "2026-Q1", "--org", first).stdout
    half = json.loads(bastion("results", *args, "--period", "2026-H1", "--format", "json").stdout)
    assert all(r["grade"] in {"先进", "合格", "基本合格", "不合格"} for r in half)


def test_a_correction_re_issues_the_bulletin_and_bulletins_lists_every_version(home, registry):
    from datetime import date

    from bastion.core.settings import Settings
    from bastion.core.stages import service as stages
    from tests import factories
    from tests.core.people import person

    settings = Settings.from_env()
    store = db.connect(settings)
    try:
        tenant, cycle = factories.enterprise(store, registry, "reissue")
        stages.run_stage(stages.StageContext(store, registry, settings.home, "督查组"), cycle, "half_year",
                         period="2026-H1", on=date(2026, 7, 10))
        person(store, tenant, "admin", ("admin", "DW"))
    finally:
        store.dispose()
    first = json.loads(bastion("results", "--period", "2026-H1", "--format", "json").stdout)[0]["org_code"]
    out = bastion("correct", "--org", first, "--indicator", "L2", "--points", "0", "--reason", "申诉成立",
                  "--as", "admin", "--period", "2026-H1").stdout
    assert "the bulletin is re-issued: version 2" in " ".join(out.split())
    listed = json.loads(bastion("bulletins", "--format", "json").stdout)
    assert [(b["period"], b["version"], b["status"], b["reason"]) for b in listed] == [
        ("2026-H1", 1, "superseded", ""), ("2026-H1", 2, "in_force", "申诉成立")]
    table = " ".join(bastion("bulletins").stdout.split())
    assert "version 1 · superseded" in table and "version 2 · in force (申诉成立)" in table


def test_verify_says_identical_or_lists_each_difference_and_exits_1(home, registry, zh):
    """`bastion verify` scores a published period again from its frozen inputs: 一致, or each difference named
    (organisation, indicator, stored → recomputed) with exit 1; `--format json` carries the same."""
    from sqlalchemy import update

    from bastion.core import scoring
    from bastion.core.models import Rating
    from bastion.core.settings import Settings
    from tests import factories

    store = db.connect(Settings.from_env())
    try:
        _, cycle = factories.enterprise(store, registry, "frozen", branches=6)
        for act in (scoring.score_period, scoring.publish_period):
            act(store, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    finally:
        store.dispose()
    args = ("--tenant", "frozen", "--period", "2026-H1")
    said = bastion("verify", *args).stdout
    assert said.startswith("一致：2026 考核年度考核期 2026-H1 的") and "与已存结果相同" in said
    assert json.loads(bastion("verify", *args, "--format", "json").stdout)["identical"] is True
    draft = bastion("verify", "--tenant", "frozen", "--period", "2026-Q2", ok=False)
    assert draft.exit_code == 1 and "考核期 2026-Q2 尚未评分" in draft.output

    first = json.loads(bastion("results", *args, "--format", "json").stdout)[0]
    store = db.connect(Settings.from_env())
    try:
        with store.begin() as conn:  # a ballot's score changed behind the application's back
            conn.execute(update(Rating.__table__).where(Rating.__table__.c.org_id == first["org_id"]).values(score=1))
    finally:
        store.dispose()
    differs = bastion("verify", *args, ok=False)
    assert differs.exit_code == 1
    assert "不一致：2026 考核年度考核期 2026-H1 有" in differs.stdout and first["org_code"] in differs.stdout
    found = json.loads(bastion("verify", *args, "--format", "json", ok=False).stdout)
    assert found["identical"] is False and found["organizations"] >= 6
    total = next(d for d in found["differences"] if d["org_code"] == first["org_code"] and d["field"] == "total")
    assert total["indicator_code"] == "" and total["stored"] == first["total"] and total["recomputed"] < first["total"]
