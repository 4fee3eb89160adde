"""The generic rule types added for the seed schemes, scored by hand on one indicator each."""

from __future__ import annotations

import pandas as pd

from bastion.core.engine import Period, score
from bastion.core.scheme import Scheme
from tests.factories import FactBook


def scheme(indicator: dict) -> Scheme:
    return Scheme.model_validate({
        "id": "one", "version": "1", "name": "单项", "total_points": indicator["points"],
        "blocks": [{"code": "B", "name": "单项", "indicators": [indicator]}],
        "grades": [{"name": "合格", "min_score": 0}], "tiers": {"method": "score", "bands": [{"name": "一档"}]},
    })


def test_ledger_coverage_is_the_share_of_members_against_a_target_share(registry):
    coverage = scheme({"code": "M1", "name": "党员岗位职责覆盖", "kind": "flexible", "points": 10,
                       "rule": "ledger_coverage", "params": {"ledger_type": "member_duty"},
                       "targets": {"*": 1.0, "离退休": 0.8}, "tolerance": 0.1})
    orgs = pd.DataFrame({"org_id": [1, 2, 3, 4], "code": ["A", "B", "C", "D"],
                         "category": ["机关", "机关", "离退休", "机关"], "member_count": [20, 40, 10, 0]})
    book = FactBook()
    book.entries(1, "member_duty", "2026-03-01", quantity=12)  # 以岗定责 12 …
    book.entries(1, "member_duty", "2026-04-01", quantity=7)  # … 设岗定责 7: 19 of 20 = 95 % ≥ 90 % → full
    book.entries(2, "member_duty", "2026-03-01", quantity=20)  # 20 of 40 = 50 % → 10 × 0.5 = 5
    book.entries(3, "member_duty", "2026-03-01", quantity=6)  # 60 % of target 80 %, below 72 % → 10 × 0.75
    book.entries(4, "member_duty", "2026-03-01", quantity=3)  # no members recorded: nothing to cover
    rules = {name: c.item for name, c in registry.rule_types().items()}
    lines = score(coverage, rules, orgs, book.facts(), Period.parse("2026")).lines
    assert dict(zip(lines["org_id"], lines["points"])) == {1: 10, 2: 5, 3: 7.5, 4: 0}
    assert lines.loc[lines["org_id"] == 1, "reason"].item() == "党员 20 人，已覆盖 19 人（95%），目标 100% → 10/10 分"
    assert lines.loc[lines["org_id"] == 1, "evidence"].item() == "ledger:1,2"
    assert lines.loc[lines["org_id"] == 4, "reason"].item().startswith("未登记党员人数")


def test_staff_ratio_without_staff_recorded_scores_nothing(registry):
    ratio = scheme({"code": "T1", "name": "党务干部配备比例", "kind": "controllable", "points": 5, "rule": "staff_ratio"})
    orgs = pd.DataFrame({"org_id": [1, 2], "code": ["A", "B"], "category": ["机关", "机关"],
                         "staff_count": [0, 50], "party_staff_count": [1, 1]})
    rules = {name: c.item for name, c in registry.rule_types().items()}
    lines = score(ratio, rules, orgs, FactBook().facts(), Period.parse("2026")).lines
    assert dict(zip(lines["org_id"], lines["points"])) == {1: 0, 2: 5}  # 1 of 50 = 2 %: in the band
    assert lines.loc[lines["org_id"] == 1, "reason"].item() == "未登记职工人数（要求 1%–2%） → 0/5 分"


def test_a_monthly_target_is_shown_as_the_periods_target_beside_its_reason(registry):
    """The explanation's target column and its reason say the same: 1 a month is 12 over the year, 3 in Q1."""
    meetings = scheme({"code": "B1", "name": "支委会每月召开", "kind": "controllable", "points": 6,
                       "rule": "ledger_target", "params": {"ledger_type": "committee_meeting", "per": "month"},
                       "targets": {"*": 1}})
    orgs = pd.DataFrame({"org_id": [1], "code": ["A"], "category": ["机关"], "member_count": [20]})
    book = FactBook()
    book.monthly(1, "committee_meeting", months=range(1, 11))
    rules = {name: c.item for name, c in registry.rule_types().items()}
    year = score(meetings, rules, orgs, book.facts(), Period.parse("2026")).lines.iloc[0]
    assert year["target"] == 12 and "目标 12" in year["reason"]
    quarter = score(meetings, rules, orgs, book.facts(), Period.parse("2026-Q1")).lines.iloc[0]
    assert quarter["target"] == 3 and "目标 3" in quarter["reason"]
