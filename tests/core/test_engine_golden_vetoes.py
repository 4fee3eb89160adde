"""Hand-scored golden cases of issue 14: a veto from a ledger entry and a veto from a rating (一票否决 from any
fact). Every point, grade, rank and veto reason is worked out in the comments.

The scheme (100 points, no bonus):
  A1 支委会每月召开   controllable 60  ledger_target committee_meeting per month, target 1 (every period)
  B1 班子建设上级评定 controllable 40  level_score (优秀 1.0, 良好 0.85, 一般 0.7 …), rated in December
  NV 违纪违法案件     veto          0  veto_on_ledger discipline_case (every period)
  RV 上级综合评价     veto          0  veto_on_rating of the superior: 较差 or D, or a score below 60 (where rated)
Grades: 优秀 ≥ 90, 合格 ≥ 60, 不合格 (also the veto grade). Tiers by rank counts: rank 1, rank 2, the rest.
The year grades and ranks by the total, a quarter by the rate (total ÷ assessed points × 100).

The branches:
  P  a committee meeting every month; 良好 on B1; a discipline case recorded on 15 September.
  Q  meetings in every month but February and August; 优秀 on B1; the superior rates RV 较差 on 10 December.
  R  meetings from April to December; 一般 on B1; the superior scores RV 60 (not below 60) and the members
     rate it D (not a source RV counts); a discipline case of 20 December 2025 (before the year).
"""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.core.engine import Period, score
from bastion.core.scheme import Scheme
from tests.factories import FactBook

SCHEME = {
    "id": "golden-vetoes", "version": "1", "name": "金样方案（一票否决）", "total_points": 100,
    "blocks": [
        {"code": "A", "name": "组织生活", "indicators": [
            {"code": "A1", "name": "支委会每月召开", "kind": "controllable", "points": 60, "rule": "ledger_target",
             "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
        ]},
        {"code": "B", "name": "班子建设", "indicators": [
            {"code": "B1", "name": "班子建设上级评定", "kind": "controllable", "points": 40, "rule": "level_score"},
            {"code": "NV", "name": "违纪违法案件", "kind": "veto", "points": 0, "rule": "veto_on_ledger",
             "params": {"ledger_types": ["discipline_case"]}},
            {"code": "RV", "name": "上级综合评价", "kind": "veto", "points": 0, "rule": "veto_on_rating",
             "params": {"levels": ["较差", "D"], "below": 60}},
        ]},
    ],
    "grades": [{"name": "优秀", "min_score": 90, "advanced": True}, {"name": "合格", "min_score": 60},
               {"name": "不合格", "min_score": 0}],
    "tiers": {"method": "rank_count", "bands": [{"name": "第一档", "count": 1}, {"name": "第二档", "count": 1},
                                                {"name": "第三档"}]},
}

ORGS = pd.DataFrame({"org_id": [1, 2, 3], "code": ["P", "Q", "R"], "category": ["机关", "机关", "生产一线"]})


def facts():
    book = FactBook()
    book.monthly(1, "committee_meeting")  # ledger ids 1–12
    book.level(1, "B1", "良好")  # rating 1
    book.entries(1, "discipline_case", "2026-09-15")  # ledger 13
    book.monthly(2, "committee_meeting", [m for m in range(1, 13) if m not in (2, 8)])  # 14–23
    book.level(2, "B1", "优秀")  # rating 2
    book.level(2, "RV", "较差", date="2026-12-10")  # rating 3
    book.monthly(3, "committee_meeting", range(4, 13))  # 24–32
    book.level(3, "B1", "一般")  # rating 4
    book.ratings.append({"id": 5, "org_id": 3, "source": "superior", "indicator_code": "RV", "score": 60.0,
                         "level": None, "date": "2026-12-10"})
    book.ratings.append({"id": 6, "org_id": 3, "source": "members", "indicator_code": "RV", "score": None,
                         "level": "D", "date": "2026-12-10"})
    book.entries(3, "discipline_case", "2025-12-20")  # ledger 33: before the year
    return book.facts()


@pytest.fixture(scope="module")
def rules(registry):
    return {name: c.item for name, c in registry.rule_types().items()}


def scored(rules, period: str):
    return score(Scheme.model_validate(SCHEME), rules, ORGS, facts(), Period.parse(period))


def evaluations(result) -> pd.DataFrame:
    return result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")


def lines(result) -> pd.DataFrame:
    return result.lines.merge(ORGS[["org_id", "code"]], on="org_id").set_index(["code", "indicator_code"])


def test_the_year_a_ledger_veto_and_a_rating_veto(rules):
    result = scored(rules, "2026")
    line = lines(result)
    # A1: months with a meeting of 12 × 60: P 12 → 60; Q 10 → 50; R 9 → 45.
    assert line.xs("A1", level="indicator_code")["points"].to_dict() == {"P": 60, "Q": 50, "R": 45}
    # B1: 良好 0.85 × 40 = 34; 优秀 → 40; 一般 0.7 × 40 = 28.
    assert line.xs("B1", level="indicator_code")["points"].to_dict() == {"P": 34, "Q": 40, "R": 28}
    # NV: P's case of 15 September vetoes; R's of 2025 is outside the year. 0 points, ever.
    assert line.xs("NV", level="indicator_code")["veto"].to_dict() == {"P": True, "Q": False, "R": False}
    assert line.loc[("P", "NV"), "reason"] == "一票否决（登记 discipline_case 1 条（2026-09-15））"
    assert line.loc[("P", "NV"), "evidence"] == "ledger:13"
    # RV: Q's 较差 from the superior vetoes; R's 60 is not below 60, and the members' D is not counted.
    assert line.xs("RV", level="indicator_code")["veto"].to_dict() == {"P": False, "Q": True, "R": False}
    assert line.loc[("Q", "RV"), "reason"] == "一票否决（上级机关评定为 较差）"
    assert line.loc[("Q", "RV"), "evidence"] == "rating:3"
    assert (line["points"][line.index.get_level_values("indicator_code").isin(["NV", "RV"])] == 0).all()

    ev = evaluations(result)
    # Totals: P 60 + 34 = 94; Q 50 + 40 = 90; R 45 + 28 = 73. P and Q would be 优秀, but both are vetoed.
    assert ev["total"].to_dict() == {"P": 94.0, "Q": 90.0, "R": 73.0}
    assert ev["vetoed"].to_dict() == {"P": True, "Q": True, "R": False}
    assert ev["grade"].to_dict() == {"P": "不合格", "Q": "不合格", "R": "合格"}
    assert ev["advanced_eligible"].to_dict() == {"P": False, "Q": False, "R": False}
    assert ev.loc["P", "veto_reasons"] == ["违纪违法案件：登记 discipline_case 1 条（2026-09-15）"]
    assert ev.loc["Q", "veto_reasons"] == ["上级综合评价：上级机关评定为 较差"]
    assert ev.loc["R", "veto_reasons"] == []
    # Ranks: R, the only one not vetoed, first; then the vetoed by total: P 94 before Q 90.
    assert ev["rank"].to_dict() == {"R": 1, "P": 2, "Q": 3}
    # Tiers: rank 1 → 第一档; the vetoed always in the last tier, whatever their rank.
    assert ev["tier"].to_dict() == {"P": "第三档", "Q": "第三档", "R": "第一档"}


def test_the_third_quarter_the_ledger_veto_and_the_rating_not_assessed(rules):
    result = scored(rules, "2026-Q3")
    line = lines(result)
    # A1, July to September: P 3/3 → 60; Q 2/3 (no August) → 40; R 3/3 → 60. B1 and RV are rated in December
    # only: not assessed (本期不考核). NV is assessed every period: P's case of 15 September is in it.
    assert line.xs("A1", level="indicator_code")["points"].to_dict() == {"P": 60, "Q": 40, "R": 60}
    assert set(line.xs("B1", level="indicator_code")["reason"]) == {"本期不考核"}
    assert set(line.xs("RV", level="indicator_code")["reason"]) == {"本期不考核"}
    assert line.xs("NV", level="indicator_code")["veto"].to_dict() == {"P": True, "Q": False, "R": False}
    assert line.loc[("Q", "NV"), "reason"] == "未登记 discipline_case，未触及否决事项"

    ev = evaluations(result)
    # Out of the 60 points assessed: rates P 100, Q 40/60 = 66.67, R 100.
    assert ev["assessed_points"].to_dict() == {"P": 60.0, "Q": 60.0, "R": 60.0}
    assert ev["rate"].to_dict() == {"P": 100.0, "Q": 66.67, "R": 100.0}
    # By the rate: R 100 优秀; Q 66.67 合格; P vetoed → 不合格, last.
    assert ev["grade"].to_dict() == {"P": "不合格", "Q": "合格", "R": "优秀"}
    assert ev.loc["P", "veto_reasons"] == ["违纪违法案件：登记 discipline_case 1 条（2026-09-15）"]
    assert ev["rank"].to_dict() == {"R": 1, "Q": 2, "P": 3}
    assert ev["tier"].to_dict() == {"P": "第三档", "Q": "第二档", "R": "第一档"}


def test_the_fourth_quarter_the_rating_veto(rules):
    result = scored(rules, "2026-Q4")
    ev = evaluations(result)
    # A1 3/3 for all (Q met in October to December) → 60; B1 rated in December: P 34, Q 40, R 28.
    # Rates out of 100: P 94, Q 100, R 88. Q is vetoed by the superior's 较差 of 10 December; P's case was in Q3.
    assert ev["total"].to_dict() == {"P": 94.0, "Q": 100.0, "R": 88.0}
    assert ev["rate"].to_dict() == {"P": 94.0, "Q": 100.0, "R": 88.0}
    assert ev["vetoed"].to_dict() == {"P": False, "Q": True, "R": False}
    assert ev.loc["Q", "veto_reasons"] == ["上级综合评价：上级机关评定为 较差"]
    # P 94 优秀, first; R 88 合格, second; Q, whose 100 would be the best, 不合格 and last.
    assert ev["grade"].to_dict() == {"P": "优秀", "Q": "不合格", "R": "合格"}
    assert ev["advanced_eligible"].to_dict() == {"P": True, "Q": False, "R": False}
    assert ev["rank"].to_dict() == {"P": 1, "R": 2, "Q": 3}
    assert ev["tier"].to_dict() == {"P": "第一档", "Q": "第三档", "R": "第二档"}
