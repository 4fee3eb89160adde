"""Hand-scored golden cases: organisations above the branch assessed (一级抓一级、一级考一级), by a roll-up of their
branches' results, by their own indicators, or both; ranked within their level.

The tree: 党委 C; under it 党总支 G1 (branches P, Q) and G2 (branch R).
The scheme (branches: 100 points):
  M1 支委会每月召开  controllable 60  ledger_target committee_meeting per month, target 1       branches
  F1 作风督查        controllable 40  finding_deduction, 10 points a finding                  branches and 党总支
  GX 党总支委员会每季度召开 controllable 50  ledger_target committee_meeting per quarter, 1  党总支 only
Grades: 好 ≥ 85, 较好 ≥ 75, 一般 below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.core.engine import ROLLUP, Period, score
from bastion.core.scheme import Scheme
from tests.factories import FactBook

BASE = {
    "id": "golden-levels", "version": "1", "name": "金样方案（层级）", "total_points": 100,
    "blocks": [
        {"code": "A", "name": "组织生活", "indicators": [
            {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 60, "rule": "ledger_target",
             "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
            {"code": "F1", "name": "作风督查", "kind": "controllable", "points": 40, "rule": "finding_deduction",
             "params": {"per_finding": 10}, "levels": ["branch", "general_branch"]},
            {"code": "GX", "name": "党总支委员会每季度召开", "kind": "controllable", "points": 50,
             "rule": "ledger_target", "params": {"ledger_type": "committee_meeting", "per": "quarter"},
             "targets": {"*": 1}, "levels": ["general_branch"]},
        ]},
    ],
    "grades": [{"name": "好", "min_score": 85}, {"name": "较好", "min_score": 75}, {"name": "一般", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "前列", "share": 0.5}, {"name": "其余", "share": 0.5}]},
}

TREE = pd.DataFrame({
    "org_id": [10, 11, 12, 1, 2, 3],
    "code": ["C", "G1", "G2", "P", "Q", "R"],
    "name": ["党委", "第一党总支", "第二党总支", "P支部", "Q支部", "R支部"],
    "level": ["committee", "general_branch", "general_branch", "branch", "branch", "branch"],
    "parent_id": [None, 10, 10, 11, 11, 12],
    "member_count": [0, 0, 0, 10, 30, 20],
    "category": ["", "", "", "机关", "机关", "机关"],
})


def facts():
    book = FactBook()
    book.monthly(1, "committee_meeting")  # P: 60; one finding → F1 30: 90
    book.finding(1, "F1", 1)
    book.monthly(2, "committee_meeting", range(1, 7))  # Q: 6/12 → 30; F1 40: 70
    book.monthly(3, "committee_meeting")  # R: 60 + 40 = 100
    book.entries(11, "committee_meeting", "2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01")  # G1: 4/4 quarters
    book.finding(11, "F1", 2)  # G1: F1 40 − 20 = 20
    book.entries(12, "committee_meeting", "2026-02-01", "2026-08-01")  # G2: 2/4 quarters → 25; F1 40
    return book.facts()


@pytest.fixture(scope="module")
def rules(registry):
    return {name: c.item for name, c in registry.rule_types().items()}


def branch_table_only() -> list[dict]:
    """The blocks without the 党总支's own indicators: a scheme assessing them by roll-up only must not have any."""
    indicators = [{k: v for k, v in i.items() if k != "levels"} for i in BASE["blocks"][0]["indicators"]
                  if i["code"] != "GX"]
    return [BASE["blocks"][0] | {"indicators": indicators}]


def scored(rules, levels, period="2026"):
    own = any(rule.get("by") in ("own", "both") for rule in levels)
    scheme = Scheme.model_validate(BASE | {"levels": levels} | ({} if own else {"blocks": branch_table_only()}))
    orgs = TREE[TREE["level"].isin(["branch", *(rule["level"] for rule in levels)])]
    result = score(scheme, rules, orgs, facts(), Period.parse(period), tree=TREE)
    ev = result.evaluations.merge(TREE[["org_id", "code"]], on="org_id").set_index("code")
    lines = result.lines.merge(TREE[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    return ev, lines


def test_general_branches_by_a_roll_up_of_their_branches(rules):
    ev, lines = scored(rules, [{"level": "general_branch", "by": "rollup"}, {"level": "committee", "by": "rollup"}])
    # Branches as ever: P 90, Q 70, R 100; ranked among branches only.
    assert ev.loc[["P", "Q", "R"], "total"].tolist() == [90.0, 70.0, 100.0]
    assert ev.loc[["R", "P", "Q"], "rank"].tolist() == [1, 2, 3]
    # G1: the mean of P's and Q's rates, (90 + 70) / 2 = 80 → 较好; G2: R's 100 → 好. Out of 100; ranked among
    # general branches: G2 first. C: the mean of every branch below it, through the general branches:
    # (90 + 70 + 100) / 3 = 86.666… → 86.67.
    assert ev.loc["G1", ["total", "assessed_points", "rate", "grade", "rank"]].tolist() == [80.0, 100.0, 80.0, "较好", 2]
    assert ev.loc["G2", ["total", "rate", "grade", "rank"]].tolist() == [100.0, 100.0, "好", 1]
    assert ev.loc["C", ["total", "rank", "level"]].tolist() == [86.67, 1, "committee"]
    # The roll-up is its line: explained branch by branch.
    assert lines.loc[("G1", ROLLUP), "reason"] == "下属 2 个党支部得分率平均 80（P 90、Q 70）"
    assert lines.loc[("G1", ROLLUP), "points"] == 80
    # No general branch has a line of a branch indicator: GX and F1 are not theirs here (rollup only).
    assert ("G1", "M1") not in lines.index and ("G1", "F1") not in lines.index


def test_a_weighted_roll_up_weighs_each_branch_by_its_members(rules):
    ev, lines = scored(rules, [{"level": "general_branch", "by": "rollup", "rollup": "weighted"}])
    # G1: (90 × 10 + 70 × 30) / 40 = 75 → 较好.
    assert ev.loc["G1", ["total", "grade"]].tolist() == [75.0, "较好"]
    assert "按党员人数加权平均 75" in lines.loc[("G1", ROLLUP), "reason"]


def test_general_branches_by_their_own_indicators(rules):
    ev, lines = scored(rules, [{"level": "general_branch", "by": "own"}])
    # G1: GX 4/4 quarters → 50, F1 40 − 2 × 10 = 20: 70 of the 90 points its indicators carry → rate 77.78 → 较好.
    # G2: GX 2/4 → 25, F1 40: 65 of 90 → 72.22 → 一般. A general branch grades by its rate: its table is not 100.
    assert lines.loc[("G1", "GX"), "points"] == 50 and lines.loc[("G1", "F1"), "points"] == 20
    assert ("G1", "M1") not in lines.index  # a branch indicator is not theirs
    assert ev.loc["G1", ["total", "assessed_points", "rate", "grade", "rank"]].tolist() == [70.0, 90.0, 77.78, "较好", 1]
    assert ev.loc["G2", ["total", "rate", "grade", "rank"]].tolist() == [65.0, 72.22, "一般", 2]
    # The branches' table is unchanged by it: GX is not theirs.
    assert ("P", "GX") not in lines.index and ev.loc["P", "assessed_points"] == 100


def test_general_branches_by_both(rules):
    ev, lines = scored(rules, [{"level": "general_branch", "by": "both", "rollup_share": 0.4}])
    # G1: own rate 77.78 × 60 % + roll-up 80 × 40 % = 46.668 + 32 = 78.668 → 78.67.
    # G2: 72.22 × 60 % + 100 × 40 % = 43.332 + 40 = 83.332 → 83.33: G2 first.
    assert ev.loc["G1", ["total", "rank"]].tolist() == [78.67, 2]
    assert ev.loc["G2", ["total", "rank"]].tolist() == [83.33, 1]
    assert lines.loc[("G1", ROLLUP), "points"] == 32  # the roll-up's share: 80 × 40 %
    assert "自身指标得分率 77.78 × 60% + 汇总 80 × 40% = 78.67" in lines.loc[("G1", ROLLUP), "reason"]
