"""Hand-scored golden cases: every point below is worked out by hand in the comments.

The scheme (100 points + bonus capped at 3):
  A1 支委会每季度召开  controllable 20  ledger_target committee_meeting per quarter, target 1
  A2 集中学习          flexible     10  ledger_target study_session per year, target 10 (离退休 5), tolerance 20 %
  A3 作风督查          controllable 20  finding_deduction, 3 points per finding
  B1 满意度测评        controllable 30  ballot_score of members (weight 0.6) and superior (0.4)
  B2 上级评定          controllable 20  level_score (优秀 1.0, 良好 0.85, …, A 1.0)
  BV 班子团结          veto          0  veto_on_finding
  X1 选树典型          bonus         5  ledger_per_item model_selected, 2 points each
Grades: 先进 ≥ 95 (advanced), 合格 ≥ 60, 不合格 below. Tiers by rank share 25 % / 50 % / 25 %.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.core.engine import Facts, Period, score
from bastion.core.scheme import Scheme
from tests.factories import FactBook

GOLDEN_SCHEME = {
    "id": "golden", "version": "1", "name": "金样方案", "total_points": 100, "bonus_cap": 3,
    "blocks": [
        {"code": "A", "name": "组织建设", "indicators": [
            {"code": "A1", "name": "支委会每季度召开", "kind": "controllable", "points": 20, "rule": "ledger_target",
             "params": {"ledger_type": "committee_meeting", "per": "quarter"}, "targets": {"*": 1}},
            {"code": "A2", "name": "集中学习", "kind": "flexible", "points": 10, "rule": "ledger_target",
             "params": {"ledger_type": "study_session"}, "targets": {"*": 10, "离退休": 5}, "tolerance": 0.2},
            {"code": "A3", "name": "作风督查", "kind": "controllable", "points": 20, "rule": "finding_deduction",
             "params": {"per_finding": 3}},
        ]},
        {"code": "B", "name": "测评", "indicators": [
            {"code": "B1", "name": "满意度测评", "kind": "controllable", "points": 30, "rule": "ballot_score",
             "params": {"sources": ["members", "superior"]}},
            {"code": "B2", "name": "上级评定", "kind": "controllable", "points": 20, "rule": "level_score"},
            {"code": "BV", "name": "班子团结", "kind": "veto", "points": 0, "rule": "veto_on_finding"},
        ]},
        {"code": "X", "name": "加分项", "indicators": [
            {"code": "X1", "name": "选树典型", "kind": "bonus", "points": 5, "rule": "ledger_per_item",
             "params": {"ledger_type": "model_selected", "per_item": 2}},
        ]},
    ],
    "grades": [{"name": "先进", "min_score": 95, "advanced": True}, {"name": "合格", "min_score": 60},
               {"name": "不合格", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "第一档", "share": 0.25}, {"name": "第二档", "share": 0.5},
                                                {"name": "第三档", "share": 0.25}]},
    "source_weights": {"members": 0.6, "superior": 0.4},
}

ORGS = pd.DataFrame({
    "org_id": [1, 2, 3, 4, 5],
    "code": ["P", "Q", "R", "S", "T"],
    "category": ["机关", "生产一线", "离退休", "机关", "生产一线"],
})


QUARTERS = ("2026-02-10", "2026-05-10", "2026-08-10", "2026-11-10")


def golden_facts() -> Facts:
    book = FactBook()
    # P: all four quarters; 9 studies (target 10, band 8..10: full); no findings;
    #    members 90, 100 (mean 95) and superior 90; 优秀; two models.
    book.entries(1, "committee_meeting", *QUARTERS, "2026-05-20")
    book.entries(1, "study_session", *[f"2026-{m:02d}-03" for m in range(1, 10)])
    book.ballots(1, "members", 90, 100)
    book.ballots(1, "superior", 90)
    book.level(1, "B2", "优秀")
    book.entries(1, "model_selected", "2026-04-01", "2026-09-01")
    # Q and T (identical): meetings in Q1 and Q3 only; 7 studies; 2 findings on A3;
    #    members 80 and no superior ballot; 良好.
    for org in (2, 5):
        book.entries(org, "committee_meeting", QUARTERS[0], QUARTERS[2])
        book.entries(org, "study_session", *[f"2026-{m:02d}-03" for m in range(1, 8)])
        book.finding(org, "A3", 2)
        book.ballots(org, "members", 80)
        book.level(org, "B2", "良好")
    # R (离退休, study target 5): all quarters; 5 studies; 8 findings on A3;
    #    members 70, 70, 100 (mean 80), superior 60; no level; one model.
    book.entries(3, "committee_meeting", *QUARTERS)
    book.entries(3, "study_session", *[f"2026-{m:02d}-03" for m in range(1, 6)])
    book.finding(3, "A3", 8)
    book.ballots(3, "members", 70, 70, 100)
    book.ballots(3, "superior", 60)
    book.entries(3, "model_selected", "2026-06-01")
    # S: full marks everywhere, but a finding on the veto indicator.
    book.entries(4, "committee_meeting", *QUARTERS)
    book.entries(4, "study_session", *[f"2026-{m:02d}-03" for m in range(1, 13)])
    book.ballots(4, "members", 100)
    book.ballots(4, "superior", 100)
    book.level(4, "B2", "A")
    book.finding(4, "BV", 1, text="班子不团结")
    # Outside the period: must not count.
    book.entries(2, "committee_meeting", "2025-12-31", "2027-01-01")
    return book.facts()


@pytest.fixture(scope="module")
def result(registry):
    rules = {name: c.item for name, c in registry.rule_types().items()}
    return score(Scheme.model_validate(GOLDEN_SCHEME), rules, ORGS, golden_facts(), Period.parse("2026"))


def points(result, code: str) -> dict[str, float]:
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id")
    return dict(zip(lines.loc[lines["indicator_code"] == code, "code"], lines.loc[lines["indicator_code"] == code, "points"]))


def test_indicator_points_by_hand(result):
    # A1: share of quarters with a meeting × 20. P, R, S 4/4 → 20; Q, T 2/4 → 10.
    assert points(result, "A1") == {"P": 20, "Q": 10, "R": 20, "S": 20, "T": 10}
    # A2: P 9 ≥ 10 × 0.8 → 10; Q 7 < 8 → 7/10 × 10 = 7; R 5 of target 5 → 10; S 12 → 10.
    assert points(result, "A2") == {"P": 10, "Q": 7, "R": 10, "S": 10, "T": 7}
    # A3: 20 − 3 × findings: Q 20 − 6 = 14; R 20 − 24 → 0 (floored).
    assert points(result, "A3") == {"P": 20, "Q": 14, "R": 0, "S": 20, "T": 14}
    # B1: P 0.6 × 95 + 0.4 × 90 = 93 → 27.9; Q members only: weights renormalise → 80 → 24;
    #     R 0.6 × 80 + 0.4 × 60 = 72 → 21.6; S 100 → 30.
    assert points(result, "B1") == {"P": 27.9, "Q": 24, "R": 21.6, "S": 30, "T": 24}
    # B2: 优秀 1.0 → 20; 良好 0.85 → 17; no level → 0; A 1.0 → 20.
    assert points(result, "B2") == {"P": 20, "Q": 17, "R": 0, "S": 20, "T": 17}
    # X1: P 2 × 2 = 4; R 1 × 2 = 2.
    assert points(result, "X1") == {"P": 4, "Q": 0, "R": 2, "S": 0, "T": 0}


def test_totals_grades_ranks_and_tiers_by_hand(result):
    ev = result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    # P: base 20 + 10 + 20 + 27.9 + 20 = 97.9; bonus 4 capped at 3 → 100.9, 先进.
    # Q, T: 10 + 7 + 14 + 24 + 17 = 72, 合格. R: 20 + 10 + 0 + 21.6 + 0 = 51.6 + bonus 2 = 53.6, 不合格.
    # S: base 100, but vetoed: 不合格 whatever the points, never advanced.
    assert ev.loc["P", ["base_points", "bonus_points", "total"]].tolist() == [97.9, 3.0, 100.9]
    assert ev["total"].to_dict() == {"P": 100.9, "Q": 72.0, "R": 53.6, "S": 100.0, "T": 72.0}
    assert ev["grade"].to_dict() == {"P": "先进", "Q": "合格", "R": "不合格", "S": "不合格", "T": "合格"}
    assert ev["advanced_eligible"].to_dict() == {"P": True, "Q": False, "R": False, "S": False, "T": False}
    assert ev.loc["S", "veto_reasons"] == ["班子团结：班子不团结"]
    # Ranks: P; then Q and T tie on total and base, so code order puts Q first; R; vetoed S last.
    assert ev["rank"].to_dict() == {"P": 1, "Q": 2, "T": 3, "R": 4, "S": 5}
    # Tiers of 5: first tier up to rank ceil(0.25 × 5) = 2, second up to ceil(0.75 × 5) = 4, S vetoed → last.
    assert ev["tier"].to_dict() == {"P": "第一档", "Q": "第一档", "T": "第二档", "R": "第二档", "S": "第三档"}


def test_every_point_names_its_evidence(result):
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    assert lines.loc[("P", "A1"), "evidence"] == "ledger:1,2,3,4,5"
    assert lines.loc[("S", "BV"), "evidence"].startswith("finding:")
    assert lines.loc[("P", "B1"), "evidence"] == "rating:1,2,3"
    assert "容差 20%" in lines.loc[("P", "A2"), "reason"]
    assert lines.loc[("Q", "A3"), "reason"] == "检查发现问题 2 项，扣 6 分 → 14/20 分"
    # The facts dated outside 2026 are not evidence.
    assert lines.loc[("Q", "A1"), "value"] == 2


def test_half_year_scores_its_own_window(registry):
    rules = {name: c.item for name, c in registry.rule_types().items()}
    half = score(Scheme.model_validate(GOLDEN_SCHEME), rules, ORGS, golden_facts(), Period.parse("2026-H1"))
    lines = half.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    # A1 is set per quarter: assessed. Q met Q1, missed Q2: 1 of 2 quarters → 10.
    assert lines.loc[("Q", "A1"), "points"] == 10
    # A2's target is the year's: not assessed in a half-year (the scheme does not pro-rate it).
    assert not lines.loc[("P", "A2"), "assessed"] and lines.loc[("P", "A2"), "reason"] == "本期不考核"
    # Ballots and levels are dated December: nobody was rated in H1, so B1 and B2 are not assessed either.
    assert not lines.loc[("P", "B1"), "assessed"] and not lines.loc[("P", "B2"), "assessed"]
    # The findings (June) are: A3 and the veto.
    assert lines.loc[("Q", "A3"), "points"] == 14 and lines.loc[("S", "BV"), "veto"]
    ev = half.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    # Out of A1 + A3 = 40 points: Q 10 + 14 = 24 → rate 60 (合格); P 20 + 20 + bonus 2 (a model in April) = 42
    # → 105; R 20 + 0 + 2 = 22 → 55 (不合格). Graded by the rate: a half-year's grades mean the year's.
    assert ev["assessed_points"].tolist() == [40.0] * 5
    assert ev.loc["Q", ["total", "rate", "grade"]].tolist() == [24.0, 60.0, "合格"]
    assert ev.loc["P", ["total", "rate", "grade"]].tolist() == [42.0, 105.0, "先进"]
    assert ev.loc["R", ["total", "rate", "grade"]].tolist() == [22.0, 55.0, "不合格"]