"""The example third-party plugin (examples/bastion-example-plugin), installed as a package and used.

The package is built from a copy in a temporary directory and installed there with pip
(``--target``), so nothing is left in the repository; the command line then runs in subprocesses
that find it on ``PYTHONPATH`` through its entry point, exactly as an installed plugin is found.

The period scored through the command line, 2026-H1 (six months), worked out by hand. Scheme
``port-group``: S1 巡查连续达标 25 (monthly_streak, 2 patrols a month, full at 6 consecutive
months), O1 支委会每月 15, O2 党课每季度 10, O3 作风督查 20 (3 per finding), E1 评价 30
(members 0.6, superior 0.4), X1 办实事 bonus 1 each, capped at 3.

  ZB1 (集装箱作业区): patrols 2 every month → streak 6 → 25; committee every month → 15; lectures
      in Feb and May → 10; no finding → 20; members 90, superior 100 → 94 → 28.2; one deed → +1.
      Total 99.2: 红旗党支部, 第一档, and the area's 流动红旗.
  ZB2 (集装箱作业区): patrols 2 in every month but April (1) → longest streak 3 → 12.5; committee
      Jan–Mar → 3/6 → 7.5; lecture in Feb → 1/2 quarters → 5; one finding → 17; members 80,
      superior 80 → 24. Total 66: 基本合格, 第二档.
  ZB3 (散货作业区): no patrol → 0; committee every month → 15; no lecture → 0; two findings → 14;
      members 100 only (weights renormalise) → 30. Total 59: 不合格, 第三档; its area's best, but
      below 80, so 散货作业区 gets no flag this period.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bastion.core import i18n
from bastion.core.contributions import AWARD_COLUMNS, AWARD_KINDS, PolicyContext, PolicyCycle
from bastion.core.engine import Facts, Period, score
from bastion.core.registry import Registry
from bastion.core.scheme import Scheme
from bastion.plugins import standard_ledgers, standard_rules

PACKAGE = Path(__file__).resolve().parents[2] / "examples" / "bastion-example-plugin"
PLUGIN = "example-port"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example package installed into a directory of its own, built from a copy of its source."""
    root = tmp_path_factory.mktemp("example-plugin")
    source = root / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    target = root / "site"
    # Built with the setuptools of the test extra, so no build backend is fetched from the index.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check",
         "--target", str(target), str(source)],
        capture_output=True, text=True, cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "bastion_example" / "__init__.py").exists()
    assert list(target.glob("bastion_example_plugin-0.1.0.dist-info/entry_points.txt"))
    return target


def run(site: Path, home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("BASTION_DATABASE_URL", "PYTHONPATH")}
    # The command line's English output is what these assertions read (core's messages follow BASTION_LANG).
    env.update(PYTHONPATH=str(site), BASTION_HOME=str(home), BASTION_USER="港务集团党委组织部", COLUMNS="400",
               BASTION_LANG="en")
    done = subprocess.run([sys.executable, "-m", "bastion", *args], capture_output=True, text=True, env=env,
                          cwd=home.parent)
    if ok:
        assert done.returncode == 0, f"bastion {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- installed: listed, checked ----------------------------------------------------------------


def test_plugins_list_shows_the_installed_package_with_its_version_and_contributions(site, tmp_path):
    listed = {p["plugin"]: p for p in json.loads(run(site, tmp_path / "home", "plugins", "list", "--format",
                                                     "json").stdout)}
    mine = listed[PLUGIN]
    assert (mine["version"], mine["builtin"]) == ("0.1.0", False)
    assert mine["contributes"] == {"schemes": ["port-group"], "rule types": ["monthly_streak"],
                                   "ledger types": ["safety_patrol"], "policies": ["port-red-flag"]}
    assert listed["standard-rules"]["builtin"] is True
    table = run(site, tmp_path / "home", "plugins", "list").stdout  # and for people, a table naming it
    assert PLUGIN in table and "monthly_streak" in table


def test_plugins_check_validates_the_packages_scheme(site, tmp_path):
    done = run(site, tmp_path / "home", "plugins", "check")
    assert "port-group 2026.1 (example-port)" in " ".join(done.stdout.split())


def test_without_the_package_there_is_no_such_plugin(tmp_path):
    """The control: the plugin above comes from the installed package, not from anywhere else."""
    out = run(tmp_path / "empty-site", tmp_path / "home", "plugins", "list").stdout
    assert PLUGIN not in out and "monthly_streak" not in out


# --- a half-year through the command line ------------------------------------------------------


def _ledger_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    months = range(1, 7)
    for m in months:
        rows += [["ZB1", "safety_patrol", f"2026-{m:02d}-05", "", "码头巡查"],
                 ["ZB1", "safety_patrol", f"2026-{m:02d}-20", "", "堆场巡查"],
                 ["ZB1", "committee_meeting", f"2026-{m:02d}-10", "", f"{m}月支委会"],
                 ["ZB3", "committee_meeting", f"2026-{m:02d}-10", "", f"{m}月支委会"]]
        rows.append(["ZB2", "党员安全责任区巡查", f"2026-{m:02d}-05", "", "码头巡查"])  # by its Chinese name
        if m != 4:
            rows.append(["ZB2", "safety_patrol", f"2026-{m:02d}-20", "", "堆场巡查"])
        if m <= 3:
            rows.append(["ZB2", "committee_meeting", f"2026-{m:02d}-10", "", f"{m}月支委会"])
    rows += [["ZB1", "party_lecture", "2026-02-15", "", "一季度党课"], ["ZB1", "party_lecture", "2026-05-15", "", "二季度党课"],
             ["ZB2", "party_lecture", "2026-02-15", "", "一季度党课"],
             ["ZB1", "practical_deed", "2026-03-08", "", "为装卸工人解决夜班通勤"]]
    return rows


@pytest.fixture(scope="module")
def published(site, tmp_path_factory) -> tuple[Path, Path]:
    """A tenant enabling the example plugin, its 2026 cycle, the half-year scored and published."""
    work = tmp_path_factory.mktemp("port")
    home = work / "home"

    def bastion(*args: str) -> str:
        return run(site, home, *args).stdout

    out = bastion("tenant", "create", "port", "--name", "某港务集团", "--plugin", "standard-rules",
                  "--plugin", "standard-ledgers")
    assert "standard-ledgers, standard-rules" in out
    assert "enabled example-port" in bastion("tenant", "enable", PLUGIN)
    assert "with scheme port-group 2026.1" in bastion("cycle", "open", "--year", "2026", "--scheme", "port-group")
    orgs = write_csv(work / "orgs.csv", ["code", "name", "parent_code", "level", "category"], [
        ["DW", "某港务集团党委", "", "党委", ""],
        ["ZZ1", "集装箱码头党总支", "DW", "党总支", ""],
        ["ZB1", "集装箱码头第一党支部", "ZZ1", "党支部", "集装箱作业区"],
        ["ZB2", "集装箱码头第二党支部", "ZZ1", "党支部", "集装箱作业区"],
        ["ZB3", "散货码头党支部", "DW", "党支部", "散货作业区"],
    ])
    ledger = write_csv(work / "ledger.csv", ["org_code", "type", "date", "quantity", "title"], _ledger_rows())
    findings = write_csv(work / "findings.csv",
                         ["org_code", "date", "check_kind", "inspector", "indicator_code", "deduction", "description"], [
        ["ZB2", "2026-04-18", "日常督查", "集团党委督查组", "O3", "", "支委会记录缺少签到"],
        ["ZB3", "2026-03-02", "暗访", "集团党委督查组", "O3", "", "值班党员脱岗"],
        ["ZB3", "2026-05-11", "抽查", "集团党委督查组", "O3", "", "党员责任区标识缺失"],
    ])
    ratings = write_csv(work / "ratings.csv", ["org_code", "source", "rater", "indicator_code", "score", "level", "date"], [
        ["ZB1", "党员群众", "票01", "", 90, "", "2026-06-20"],
        ["ZB1", "上级机关", "", "", 100, "", "2026-06-25"],
        ["ZB2", "党员群众", "票02", "", 80, "", "2026-06-20"],
        ["ZB2", "上级机关", "", "", 80, "", "2026-06-25"],
        ["ZB3", "党员群众", "票03", "", 100, "", "2026-06-20"],
    ])
    for kind, path in (("organizations", orgs), ("ledger", ledger), ("findings", findings), ("ratings", ratings)):
        assert "inserted" in bastion("import", kind, str(path))
    assert "3 branches" in bastion("score", "--period", "2026-H1")
    assert "1 incentive(s) recorded" in bastion("publish", "--period", "2026-H1")
    return site, home


def _json(site: Path, home: Path, *args: str):
    return json.loads(run(site, home, *args, "--period", "2026-H1", "--format", "json").stdout)


def test_the_period_scores_by_hand(published):
    rows = {r["org_code"]: r for r in _json(*published, "results")}
    assert {code: r["total"] for code, r in rows.items()} == {"ZB1": 99.2, "ZB2": 66.0, "ZB3": 59.0}
    assert {code: (r["grade"], r["tier"], r["rank"]) for code, r in rows.items()} == {
        "ZB1": ("红旗党支部", "第一档", 1), "ZB2": ("基本合格", "第二档", 2), "ZB3": ("不合格", "第三档", 3)}
    assert rows["ZB1"]["bonus_points"] == 1.0 and rows["ZB1"]["advanced_eligible"]
    assert {r["scheme"] for r in rows.values()} == {"port-group 2026.1"} and rows["ZB1"]["status"] == "published"


def test_the_plugins_rule_type_scored_with_its_reason_and_evidence(published):
    expected = {"ZB1": (25.0, 6, "6 个月中 6 个月达标，最长连续 6 个月"),
                "ZB2": (12.5, 3, "6 个月中 5 个月达标，最长连续 3 个月"),
                "ZB3": (0.0, 0, "6 个月中 0 个月达标，最长连续 0 个月")}
    explained = {code: _json(*published, "explain", "--org", code) for code in expected}
    for code, (points, streak, words) in expected.items():
        line = next(li for li in explained[code]["lines"] if li["indicator_code"] == "S1")
        assert (line["rule"], line["points"], line["value"], line["target"]) == ("monthly_streak", points, streak, 2)
        assert words in line["reason"] and line["reason"].startswith("每月目标 2 次")
    ex = explained["ZB2"]
    line = next(li for li in ex["lines"] if li["indicator_code"] == "S1")
    patrols = line["evidence"]["ledger"]
    assert len(patrols) == 11  # 6 + 5 patrols, April's second one missing
    assert {ex["evidence"]["ledger"][str(i)]["type"] for i in patrols} == {"safety_patrol"}


def test_the_plugins_own_reward_was_given(published):
    awards = _json(*published, "incentives")
    assert awards == [{
        "org_id": awards[0]["org_id"], "org_code": "ZB1", "org_name": "集装箱码头第一党支部", "rank": 1,
        "grade": "红旗党支部", "tier": "第一档", "policy": "port-red-flag", "kind": "reward", "code": "mobile_red_flag",
        "title": "2026年上半年流动红旗（集装箱作业区）",
        "effect": {"flag": "流动红旗", "area": "集装箱作业区", "times_this_year": 1},
        "effective_until": "2026-12-31",
    }]


def test_publishing_again_acts_once(published):
    before = _json(*published, "incentives")
    assert "period 2026-H1 is already published: nothing to do" in run(*published, "publish", "--period",
                                                                        "2026-H1").stdout
    assert _json(*published, "incentives") == before


# --- the plugin's parts, in process --------------------------------------------------------------


@pytest.fixture
def example(monkeypatch):
    """The example plugin's module, imported from its source directory (writing no bytecode there)."""
    monkeypatch.syspath_prepend(str(PACKAGE / "src"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    import bastion_example

    yield bastion_example
    sys.modules.pop("bastion_example", None)


@pytest.fixture
def port_registry(example) -> Registry:
    return Registry.load(entry_points=False, extra=[("standard-rules", standard_rules),
                                                    ("standard-ledgers", standard_ledgers), (PLUGIN, example)])


def test_the_registry_takes_every_contribution(port_registry):
    assert port_registry.check() == []
    assert port_registry.schemes()["port-group"].plugin == PLUGIN
    assert port_registry.rule_types()["monthly_streak"].plugin == PLUGIN
    assert port_registry.ledger_types()["safety_patrol"].item.name == "党员安全责任区巡查"
    assert port_registry.policies()["port-red-flag"].plugin == PLUGIN


def test_the_scheme_needs_the_built_ins_enabled_too(port_registry):
    scheme = port_registry.schemes()["port-group"].item
    faults = port_registry.check_scheme(scheme, enabled=[PLUGIN])
    assert "指标 O1：已启用的插件都不提供规则类型 'ledger_target'" in faults
    with i18n.using("en"):
        faults_en = port_registry.check_scheme(scheme, enabled=[PLUGIN])
    assert "indicator O1: rule type 'ledger_target' is not contributed by any enabled plugin" in faults_en
    assert not any("S1" in f for f in faults)  # its own rule type and ledger type are there
    assert port_registry.check_scheme(scheme, enabled=["standard-rules", "standard-ledgers", PLUGIN]) == []


STREAK_SCHEME = {
    "id": "streak-only", "version": "1", "name": "连续达标", "total_points": 24,
    "blocks": [{"code": "A", "name": "巡查", "indicators": [
        {"code": "A1", "name": "巡查次数连续达标", "kind": "controllable", "points": 12, "rule": "monthly_streak",
         "params": {"ledger_type": "safety_patrol", "full_at": 4}, "targets": {"*": 2, "机关": 1}},
        {"code": "A2", "name": "巡查时长连续达标", "kind": "controllable", "points": 12, "rule": "monthly_streak",
         "params": {"ledger_type": "safety_patrol", "aggregate": "sum", "full_at": 12}, "targets": {"*": 3}},
    ]}],
    "grades": [{"name": "合格", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "全部", "share": 1}]},
}
ORGS = pd.DataFrame({"org_id": [1, 2, 3, 4], "code": ["P", "Q", "R", "S"],
                     "category": ["生产一线", "生产一线", "机关", "生产一线"]})


def streak_facts() -> Facts:
    """Patrols (quantity = hours): P two of 2 h every month; Q two of 1 h in Jan–May and Sep–Dec, none in
    Jun–Aug; R one of 4 h in Mar–Oct; S none; and one of P's in 2027, outside every period below."""
    rows = []

    def patrol(org: int, month: int, hours: float, day: int) -> None:
        rows.append({"id": len(rows) + 1, "org_id": org, "type": "safety_patrol", "date": f"2026-{month:02d}-{day:02d}",
                     "quantity": hours})

    for m in range(1, 13):
        patrol(1, m, 2, 5), patrol(1, m, 2, 20)
        if m <= 5 or m >= 9:
            patrol(2, m, 1, 5), patrol(2, m, 1, 20)
        if 3 <= m <= 10:
            patrol(3, m, 4, 12)
    rows.append({"id": 999, "org_id": 1, "type": "safety_patrol", "date": "2027-01-05", "quantity": 2})
    return Facts.of(pd.DataFrame(rows))


def test_monthly_streak_through_the_engine_by_hand(port_registry):
    rules = {name: c.item for name, c in port_registry.rule_types().items()}
    result = score(Scheme.model_validate(STREAK_SCHEME), rules, ORGS, streak_facts(), Period.parse("2026"))
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    # A1 counts patrols against 2 a month (机关 1), full at 4 consecutive months:
    #   P 12 in a row → 12; Q longest run Jan–May or Sep–Dec = 5 → 12; R (机关, 1 a month) Mar–Oct 8 → 12;
    #   S none → 0.
    assert lines.xs("A1", level="indicator_code")["points"].to_dict() == {"P": 12, "Q": 12, "R": 12, "S": 0}
    assert lines.xs("A1", level="indicator_code")["value"].to_dict() == {"P": 12, "Q": 5, "R": 8, "S": 0}
    # A2 sums hours against 3 a month, full at 12: P 4 h every month → 12 → 12; Q 2 h a month → never → 0;
    #   R 4 h in Mar–Oct → 8 → 12 × 8/12 = 8; S → 0.
    assert lines.xs("A2", level="indicator_code")["points"].to_dict() == {"P": 12, "Q": 0, "R": 8, "S": 0}
    assert lines.loc[("R", "A2"), "reason"] == "每月目标 3，12 个月中 8 个月达标，最长连续 8 个月（连续 12 个月得满分） → 8/12 分"
    assert lines.loc[("Q", "A1"), "reason"].startswith("每月目标 2 次，12 个月中 9 个月达标，最长连续 5 个月")
    # Evidence: the period's patrols of the branch, ascending ids; 2027's patrol is not among them.
    ledger = streak_facts().ledger
    p_2026 = ledger.loc[(ledger["org_id"] == 1) & (ledger["date"].dt.year == 2026), "id"]
    assert len(p_2026) == 24 and 999 not in set(p_2026)
    assert lines.loc[("P", "A1"), "evidence"] == "ledger:" + ",".join(str(i) for i in sorted(p_2026))
    assert lines.loc[("S", "A1"), "evidence"] == ""


def test_monthly_streak_within_a_quarter_is_full_at_three_months(port_registry):
    rules = {name: c.item for name, c in port_registry.rule_types().items()}
    result = score(Scheme.model_validate(STREAK_SCHEME), rules, ORGS, streak_facts(), Period.parse("2026-Q2"))
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    # Q2 = Apr–Jun. A1, full at min(4, 3) = 3: P 3 → 12; Q Apr, May → 2 → 8; R 3 → 12.
    assert lines.xs("A1", level="indicator_code")["points"].to_dict() == {"P": 12, "Q": 8, "R": 12, "S": 0}
    assert "（连续 3 个月得满分）" in lines.loc[("Q", "A1"), "reason"]
    # Without any facts at all: nothing met, no evidence, no error.
    empty = score(Scheme.model_validate(STREAK_SCHEME), rules, ORGS, Facts.of(), Period.parse("2026-Q2"))
    assert empty.lines["points"].tolist() == [0.0] * 8 and set(empty.lines["evidence"]) == {""}


def test_red_flag_counts_earlier_holdings_this_year_and_is_pure(example, port_registry):
    results = pd.DataFrame({
        "org_id": [1, 2, 3, 4, 5], "code": ["P", "Q", "R", "S", "T"], "name": list("PQRST"),
        "category": ["集装箱作业区", "集装箱作业区", "散货作业区", "散货作业区", "机关"],
        "total": [95.0, 91.0, 98.0, 88.0, 70.0], "rank": [2, 3, 1, 4, 5],
        "vetoed": [False, False, True, False, False], "grade": ["红旗党支部"] * 3 + ["合格"] * 2,
        "advanced_eligible": [True, True, False, False, False], "tier": ["第一档"] * 3 + ["第二档"] * 2,
        "veto_reasons": [[], [], ["重大安全生产责任事故"], [], []],
    })
    history = pd.DataFrame({  # Q1 2026: P held the 集装箱 flag; 2026-H1 is longer, 2025-Q4 last year
        "org_id": [1, 2, 1, 1], "year": [2026, 2026, 2026, 2025], "period": ["2026-Q1", "2026-Q1", "2026-H1", "2025-Q4"],
        "total": [90.0, 85.0, 99.0, 99.0], "grade": ["红旗党支部"] * 4, "rank": [1, 2, 1, 1], "tier": ["第一档"] * 4,
        "vetoed": [False] * 4,
    })
    scheme, cycle, q2 = port_registry.schemes()["port-group"].item, PolicyCycle(1, 2026), Period.parse("2026-Q2")
    context = PolicyContext("port", cycle, q2, scheme, pd.Timestamp("2026-07-05").date(), history)
    policy = example.MobileRedFlag()
    awards = policy.apply(results, context)
    assert list(awards.columns) == AWARD_COLUMNS and set(awards["kind"]) <= set(AWARD_KINDS)
    # 集装箱: P (rank 2) before Q; 散货: R is vetoed, so S — but 88 ≥ 80 gets it; 机关: T below 80, none.
    assert awards["org_id"].tolist() == [1, 4]
    assert awards["title"].tolist() == ["2026年第2季度流动红旗（集装箱作业区）", "2026年第2季度流动红旗（散货作业区）"]
    assert [e["times_this_year"] for e in awards["effect"]] == [2, 1]
    assert set(awards["effective_until"]) == {pd.Timestamp("2026-09-30").date()}
    pd.testing.assert_frame_equal(policy.apply(results, context), awards)
    first = policy.apply(results, PolicyContext("port", cycle, q2, scheme, pd.Timestamp("2026-07-05").date()))
    assert [e["times_this_year"] for e in first["effect"]] == [1, 1]
