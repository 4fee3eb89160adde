"""Hand-scored golden cases of issue 14: 四舍五入 at line level, a capped total, per-member targets by category,
rank-count tiers and a month in which lines are not assessed. Every point is worked out in the comments.

The scheme (100 points, bonus capped at 10, the total capped at 100):
  M1 支委会每月召开   controllable 30  ledger_target committee_meeting per month, target 1 (assessed every period)
  V1 人均志愿服务时长 controllable 30  ledger_target volunteer_service, sum of hours, per member: 8 h (离退休 4 h),
                                        a yearly target (assessed in the year only)
  T1 党员满意度测评   controllable 40  ballot_score of members (assessed where rated: ballots are cast in December)
  X1 选树典型         bonus        10  ledger_per_item model_selected, 5 points each (every period)
Grades: 优秀 ≥ 90, 合格 ≥ 60, 不合格. Tiers by rank counts: rank 1, ranks 2–4, the rest.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.core.engine import NOT_GRADED, Period, score
from bastion.core.scheme import Scheme
from tests.factories import FactBook

SCHEME = {
    "id": "golden-14", "version": "1", "name": "金样方案（考核期）", "total_points": 100, "bonus_cap": 10,
    "max_total": 100,
    "blocks": [
        {"code": "A", "name": "组织生活", "indicators": [
            {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 30, "rule": "ledger_target",
             "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
            {"code": "V1", "name": "人均志愿服务时长", "kind": "controllable", "points": 30, "rule": "ledger_target",
             "params": {"ledger_type": "volunteer_service", "aggregate": "sum", "per_member": True},
             "targets": {"*": 8, "离退休": 4}},
        ]},
        {"code": "B", "name": "测评", "indicators": [
            {"code": "T1", "name": "党员满意度测评", "kind": "controllable", "points": 40, "rule": "ballot_score",
             "params": {"sources": ["members"]}},
        ]},
        {"code": "X", "name": "加分项", "indicators": [
            {"code": "X1", "name": "选树典型", "kind": "bonus", "points": 10, "rule": "ledger_per_item",
             "params": {"ledger_type": "model_selected", "per_item": 5}},
        ]},
    ],
    "grades": [{"name": "优秀", "min_score": 90, "advanced": True}, {"name": "合格", "min_score": 60},
               {"name": "不合格", "min_score": 0}],
    "tiers": {"method": "rank_count", "bands": [{"name": "第一档", "count": 1}, {"name": "第二档", "count": 3},
                                                {"name": "第三档"}]},
    "source_weights": {"members": 1.0},
}

ORGS = pd.DataFrame({
    "org_id": [1, 2, 3, 4, 5],
    "code": ["P", "Q", "R", "S", "T"],
    "category": ["机关", "机关", "离退休", "生产一线", "机关"],
    "member_count": [10, 20, 5, 8, 10],
})


def facts():
    book = FactBook()
    # P: a committee meeting every month; 7 × 10 = 70 volunteer hours; ballots 55.5 and 55.625; models in
    #    March, June and September.
    book.monthly(1, "committee_meeting")
    book.entries(1, "volunteer_service", *[f"2026-{m:02d}-15" for m in range(1, 8)], quantity=10)
    book.ballots(1, "members", 55.5, 55.625)
    book.entries(1, "model_selected", "2026-03-20", "2026-06-20", "2026-09-20")
    # Q: every month; 10 × 20 = 200 hours; a ballot of 100; models in June and September.
    book.monthly(2, "committee_meeting")
    book.entries(2, "volunteer_service", *[f"2026-{m:02d}-15" for m in range(1, 11)], quantity=20)
    book.ballots(2, "members", 100)
    book.entries(2, "model_selected", "2026-06-20", "2026-09-20")
    # R (离退休): January to June; 2 × 10 = 20 hours; a ballot of 80.
    book.monthly(3, "committee_meeting", range(1, 7))
    book.entries(3, "volunteer_service", "2026-04-01", "2026-08-01", quantity=10)
    book.ballots(3, "members", 80)
    # S: every month but March; 4 × 8 = 32 hours; a ballot of 60.
    book.monthly(4, "committee_meeting", [m for m in range(1, 13) if m != 3])
    book.entries(4, "volunteer_service", *[f"2026-{m:02d}-15" for m in range(1, 5)], quantity=8)
    book.ballots(4, "members", 60)
    # T: January to March; no hours; no ballot.
    book.monthly(5, "committee_meeting", range(1, 4))
    return book.facts()


@pytest.fixture(scope="module")
def rules(registry):
    return {name: c.item for name, c in registry.rule_types().items()}


def scored(rules, period: str):
    result = score(Scheme.model_validate(SCHEME), rules, ORGS, facts(), Period.parse(period))
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])
    evaluations = result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    return lines, evaluations


def test_the_year_by_hand(rules):
    lines, ev = scored(rules, "2026")
    # M1: months with a meeting of 12 × 30: P, Q 30; R 6/12 → 15; S 11/12 → 27.5; T 3/12 → 7.5.
    assert lines.xs("M1", level="indicator_code")["points"].to_dict() == {"P": 30, "Q": 30, "R": 15, "S": 27.5,
                                                                         "T": 7.5}
    # V1, per member and by category: P 70 h of 8 × 10 = 80 → 0.875 × 30 = 26.25; Q 200 of 160 → 30;
    #     R (离退休) 20 of 4 × 5 = 20 → 30; S (生产一线, '*') 32 of 8 × 8 = 64 → 15; T 0 → 0.
    assert lines.xs("V1", level="indicator_code")["points"].to_dict() == {"P": 26.25, "Q": 30, "R": 30, "S": 15,
                                                                         "T": 0}
    assert lines.loc[("P", "V1"), "target"] == 80
    assert "目标 80（每名党员 8，党员 10 人）" in lines.loc[("P", "V1"), "reason"]
    # T1, 四舍五入 at line level: P's ballots average 55.5625; 40 × 55.5625 / 100 = 22.225 → 22.23
    #     (numpy's half-to-even on the float 22.22499… gives 22.22). Q 100 → 40; R 80 → 32; S 60 → 24; T none → 0.
    assert lines.loc[("P", "T1"), "points"] == 22.23
    assert lines.xs("T1", level="indicator_code")["points"].to_dict() == {"P": 22.23, "Q": 40, "R": 32, "S": 24,
                                                                         "T": 0}
    # Totals are sums of the rounded lines. P: 30 + 26.25 + 22.23 = 78.48, bonus 3 × 5 = 15 capped at 10 → 88.48.
    # Q: 30 + 30 + 40 = 100, bonus 10 → 110, capped at the scheme's max_total: 100.
    # R: 15 + 30 + 32 = 77. S: 27.5 + 15 + 24 = 66.5. T: 7.5.
    assert ev.loc["P", ["base_points", "bonus_points", "total"]].tolist() == [78.48, 10.0, 88.48]
    assert ev.loc["Q", ["base_points", "bonus_points", "total"]].tolist() == [100.0, 10.0, 100.0]
    assert ev["total"].to_dict() == {"Q": 100.0, "P": 88.48, "R": 77.0, "S": 66.5, "T": 7.5}
    # Every line is assessed in the year: 100 points, and the year goes by the total (the rate equals it here).
    assert set(ev["assessed_points"]) == {100.0}
    assert ev["rate"].to_dict() == ev["total"].to_dict()
    assert ev["grade"].to_dict() == {"Q": "优秀", "P": "合格", "R": "合格", "S": "合格", "T": "不合格"}
    # Ranks by total; tiers by rank counts: rank 1, ranks 2–4, the rest.
    assert ev["rank"].to_dict() == {"Q": 1, "P": 2, "R": 3, "S": 4, "T": 5}
    assert ev["tier"].to_dict() == {"Q": "第一档", "P": "第二档", "R": "第二档", "S": "第二档", "T": "第三档"}


def test_a_month_is_out_of_the_points_it_assesses(rules):
    lines, ev = scored(rules, "2026-03")
    # March assesses M1 (monthly) and the bonus X1 only: V1's target is the year's, and nobody was balloted in
    # March (ballots are dated December), so T1 is not assessed either. They say so and carry 0 of 0 points.
    for code in ("V1", "T1"):
        assert not lines.loc[("P", code), "assessed"]
        assert lines.loc[("P", code), "reason"] == "本期不考核"
        assert lines.loc[("P", code), "points"] == 0 and pd.isna(lines.loc[("P", code), "target"])
    assert lines.loc[("P", "M1"), "assessed"] and lines.loc[("P", "X1"), "assessed"]
    # Out of 30 points. P: a meeting (30) and a model (5) → 35, rate 35 / 30 × 100 = 116.666… → 116.67.
    # Q, R, T: a meeting → 30, rate 100. S: no meeting in March → 0, rate 0.
    assert set(ev["assessed_points"]) == {30.0}
    assert ev["total"].to_dict() == {"P": 35.0, "Q": 30.0, "R": 30.0, "T": 30.0, "S": 0.0}
    assert ev["rate"].to_dict() == {"P": 116.67, "Q": 100.0, "R": 100.0, "T": 100.0, "S": 0.0}
    # A month grades and ranks by the rate, so its grades mean what the year's do: 100 % is 优秀, not 不合格.
    assert ev["grade"].to_dict() == {"P": "优秀", "Q": "优秀", "R": "优秀", "T": "优秀", "S": "不合格"}
    # Ties on the rate and the base go by code: Q, R, T.
    assert ev["rank"].to_dict() == {"P": 1, "Q": 2, "R": 3, "T": 4, "S": 5}
    assert ev["tier"].to_dict() == {"P": "第一档", "Q": "第二档", "R": "第二档", "T": "第二档", "S": "第三档"}


def test_the_half_year_assesses_the_ballots_of_june_only_if_there_were_any(rules):
    lines, ev = scored(rules, "2026-H2")
    # H2 contains December: T1 is assessed (rated); V1 (yearly) is not. Out of 30 + 40 = 70 points.
    assert lines.loc[("P", "T1"), "assessed"] and not lines.loc[("P", "V1"), "assessed"]
    assert set(ev["assessed_points"]) == {70.0}
    # P: M1 6/6 → 30, T1 22.23, bonus one model in September → 5: 57.23 → rate 81.757… → 81.76.
    assert ev.loc["P", ["total", "rate", "grade"]].tolist() == [57.23, 81.76, "合格"]
    # T: no meeting in H2, no ballot: 0 of 70.
    assert ev.loc["T", ["total", "rate", "grade"]].tolist() == [0.0, 0.0, "不合格"]


def test_a_scheme_may_rank_short_periods_by_the_total(rules):
    scheme = Scheme.model_validate(SCHEME | {"rank_by": "total"})
    result = score(scheme, rules, ORGS, facts(), Period.parse("2026-03"))
    ev = result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    # By the total, 30 of 100 points is 不合格 (below 60) though it is everything March assessed.
    assert ev.loc["Q", ["total", "rate", "grade"]].tolist() == [30.0, 100.0, "不合格"]


def test_the_explanation_states_the_cap_and_the_points_assessed(rules):
    from bastion.core.i18n import using
    from bastion.core.results import score_statement

    _, year = scored(rules, "2026")
    _, march = scored(rules, "2026-03")
    with using("zh"):
        # Q's 100 + 10 was capped at the scheme's max_total.
        assert score_statement(year.loc["Q"]) == ("总分 100（基本分 100 + 加分 10 = 110，总分封顶 100 分）；"
                                                  "本期考核 100 分，得分率 100%")
        assert score_statement(year.loc["P"]) == "总分 88.48 = 基本分 78.48 + 加分 10；本期考核 100 分，得分率 88.48%"
        assert score_statement(march.loc["P"]) == "总分 35 = 基本分 30 + 加分 5；本期考核 30 分，得分率 116.67%"


def test_a_scheme_grading_on_a_fixed_cycle_ranks_and_tiers_its_other_periods(rules):
    scheme = Scheme.model_validate(SCHEME | {"graded": "half"})
    month = score(scheme, rules, ORGS, facts(), Period.parse("2026-03")).evaluations
    ev = month.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    # March is not graded: no grade, no one advanced-eligible; the ranks and tiers are March's as above.
    assert set(ev["grade"]) == {NOT_GRADED} and not ev["advanced_eligible"].any()
    assert ev["rank"].to_dict() == {"P": 1, "Q": 2, "R": 3, "T": 4, "S": 5}
    assert ev["tier"].to_dict() == {"P": "第一档", "Q": "第二档", "R": "第二档", "T": "第二档", "S": "第三档"}
    # The half-year grades: P 81.76 → 合格, T 0 → 不合格 (as in the test above).
    half = score(scheme, rules, ORGS, facts(), Period.parse("2026-H2")).evaluations
    ev = half.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    assert ev.loc[["P", "T"], "grade"].tolist() == ["合格", "不合格"]
    # Named months grade the periods containing them: June grades Q2, H1 and the year, not Q1.
    june = Scheme.model_validate(SCHEME | {"graded": [6]})
    graded = {key: set(score(june, rules, ORGS, facts(), Period.parse(key)).evaluations["grade"]) != {NOT_GRADED}
              for key in ("2026-Q1", "2026-Q2", "2026-H1", "2026-H2", "2026")}
    assert graded == {"2026-Q1": False, "2026-Q2": True, "2026-H1": True, "2026-H2": False, "2026": True}


def test_a_vetoed_branch_in_a_period_not_graded_is_marked_vetoed_and_ranked_last(rules):
    vetoing = dict(SCHEME, blocks=[*SCHEME["blocks"], {"code": "N", "name": "否定指标", "indicators": [
        {"code": "N1", "name": "党员受党纪处分", "kind": "veto", "points": 0, "rule": "veto_on_finding"}]}])
    book = FactBook()
    book.monthly(1, "committee_meeting")
    book.monthly(2, "committee_meeting")
    book.finding(1, "N1", text="党员受党纪处分")  # dated 1 June
    result = score(Scheme.model_validate(vetoing | {"graded": "year"}), rules, ORGS[ORGS["org_id"] < 3],
                   book.facts(), Period.parse("2026-Q2"))
    ev = result.evaluations.set_index("org_id")
    # P held its meetings (30 of 30) but is vetoed: ranked last, in the last tier, marked vetoed with no grade —
    # the quarter grades no one.
    assert ev.loc[1, ["total", "vetoed", "grade", "rank", "tier"]].tolist() == [30.0, True, NOT_GRADED, 2, "第三档"]
    assert ev.loc[2, ["vetoed", "grade", "rank", "tier"]].tolist() == [False, NOT_GRADED, 1, "第一档"]


@pytest.mark.parametrize("graded", [[], [0], [13]])
def test_graded_months_are_1_to_12(graded):
    from pydantic import ValidationError

    from bastion.core.i18n import using

    with using("en"), pytest.raises(ValidationError, match="graded months must be 1 to 12"):
        Scheme.model_validate(SCHEME | {"graded": graded})
