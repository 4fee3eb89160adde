"""Seed 003 (organ-standardisation), scored by hand: every point, rank, tier, the advanced and the multipliers.

Four organ branches, the 2026 annual assessment. Levels: 优秀 100 %, 良好 85 %, 一般 70 %, 较差 50 %.
W1 counts only the work-report (述职) ballots. T1: party-affairs staff within 1 %–2 % of staff.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bastion.core.contributions import PolicyContext, PolicyCycle
from bastion.core.engine import Period, score
from bastion.core.scheme import Scheme
from bastion.plugins.organ_standardisation import SCHEME, OrganStandardisationAwards
from tests.factories import FactBook

ORGS = pd.DataFrame({
    "org_id": [1, 2, 3, 4],
    "code": ["A", "B", "C", "D"],
    "category": ["机关"] * 4,
    "secretary_term_end": pd.to_datetime(["2028-03-31", "2026-06-30", "2027-12-31", "2028-03-31"]),
    "staff_count": [200, 300, 100, 200],
    "party_staff_count": [3, 1, 2, 3],
})
QUARTER_MONTHS = (3, 6, 9, 12)


def standard_year(book: FactBook, org: int, *, uploads=QUARTER_MONTHS) -> None:
    book.monthly(org, "committee_meeting")
    book.monthly(org, "dues_collection")
    for kind in ("branch_assembly", "party_lecture"):
        book.monthly(org, kind, QUARTER_MONTHS)
    book.monthly(org, "progress_report", uploads)


def golden_facts():
    book = FactBook()
    # A: every meeting and upload; R1 优秀, mid-year 优秀; work report ballots 95, 93; 1.5 % staff.
    standard_year(book, 1)
    book.level(1, "R1", "优秀")
    book.level(1, "M1", "优秀", date="2026-06-25")
    book.ballots(1, "work_report", 95, 93)
    # B: uploads in 3 quarters; term expired 2026-06-30; R1 and mid-year 良好; ballots 88, 84;
    # 1 party-affairs staff of 300 (0.33 %); 2 findings.
    standard_year(book, 2, uploads=QUARTER_MONTHS[:3])
    book.level(2, "R1", "良好")
    book.level(2, "M1", "良好", date="2026-06-25")
    book.ballots(2, "work_report", 88, 84)
    book.finding(2, "T2", 2)
    # C: all met; R1 优秀, mid-year 良好; one ballot 90; 2 of 100 (2 %, the band's edge).
    standard_year(book, 3)
    book.level(3, "R1", "优秀")
    book.level(3, "M1", "良好", date="2026-06-25")
    book.ballots(3, "work_report", 90)
    # D: as A, but its new party-affairs cadre was a placement: vetoed.
    standard_year(book, 4)
    book.level(4, "R1", "优秀")
    book.level(4, "M1", "优秀", date="2026-06-25")
    book.ballots(4, "work_report", 95, 93)
    book.finding(4, "TV", text="新任党务干部为安置性人选")
    return book.facts()


@pytest.fixture(scope="module")
def result(registry):
    rules = {name: c.item for name, c in registry.rule_types().items()}
    return score(Scheme.model_validate(SCHEME), rules, ORGS, golden_facts(), Period.parse("2026"))


def points(result, code: str) -> dict[str, float]:
    lines = result.lines.merge(ORGS[["org_id", "code"]], on="org_id")
    mine = lines[lines["indicator_code"] == code]
    return dict(zip(mine["code"], mine["points"]))


def test_responsibility_list_uploads_and_standard_work(result):
    assert points(result, "R1") == {"A": 15, "B": 12.75, "C": 15, "D": 15}  # 15 × 85 % = 12.75
    assert points(result, "R2") == {"A": 10, "B": 7.5, "C": 10, "D": 10}  # 3 of 4 quarters
    for code, full in (("S1", 8), ("S2", 6), ("S3", 6), ("S5", 5)):
        assert points(result, code) == {"A": full, "B": full, "C": full, "D": full}
    assert points(result, "S4") == {"A": 5, "B": 0, "C": 5, "D": 5}  # B's term ran out on 2026-06-30


def test_mid_year_assessment_and_work_report(result):
    assert points(result, "M1") == {"A": 15, "B": 12.75, "C": 12.75, "D": 15}
    # W1 20 × mean of the work-report ballots / 100: A 94 → 18.8; B 86 → 17.2; C 90 → 18.
    assert points(result, "W1") == {"A": 18.8, "B": 17.2, "C": 18, "D": 18.8}


def test_party_affairs_staff_ratio_and_findings(result):
    # 3/200 = 1.5 % and 2/100 = 2 % are in the band; 1/300 = 0.33 % is not.
    assert points(result, "T1") == {"A": 5, "B": 0, "C": 5, "D": 5}
    line = result.lines[(result.lines["org_id"] == 2) & (result.lines["indicator_code"] == "T1")].iloc[0]
    assert "党务工作人员 1 人，占职工 300 人的 0.33%（要求 1%–2%），不符合" in line["reason"]
    assert points(result, "T2") == {"A": 5, "B": 3, "C": 5, "D": 5}


def test_totals_grades_ranks_and_tiers(result):
    ev = result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id").set_index("code")
    # A 15+10 +8+6+6+5+5 +15 +18.8 +5+5 = 98.8; B 12.75+7.5 +25 +12.75 +17.2 +0+3 = 78.2;
    # C 15+10 +30 +12.75 +18 +5+5 = 95.75; D = A's 98.8, vetoed.
    assert ev["total"].to_dict() == {"A": 98.8, "B": 78.2, "C": 95.75, "D": 98.8}
    assert ev["grade"].to_dict() == {"A": "优秀", "B": "一般", "C": "优秀", "D": "较差"}
    assert ev["rank"].to_dict() == {"A": 1, "C": 2, "B": 3, "D": 4}
    # 15 % / 70 % / 15 % of 4: rank 1 is 前列 (ceil 0.6), ranks 2–4 中间 (ceil 3.4), the vetoed D 后列.
    assert ev["tier"].to_dict() == {"A": "前列", "C": "中间", "B": "中间", "D": "后列"}


def test_the_top_ranked_are_named_advanced_and_every_unit_gets_its_multiplier(result):
    results = result.evaluations.merge(ORGS[["org_id", "code"]], on="org_id")
    scheme = Scheme.model_validate(SCHEME)
    context = PolicyContext("nantong", PolicyCycle(1, 2026), Period.parse("2026"), scheme, date(2027, 1, 20))
    awards = OrganStandardisationAwards().apply(results, context).merge(ORGS[["org_id", "code"]], on="org_id")
    named = awards[awards["kind"] == "reward"]
    # C is 优秀 too, but not in the first tier: only A is named.
    assert list(named["code_y"]) == ["A"] and list(named["code_x"]) == ["comprehensive_advanced"]
    multipliers = awards[awards["kind"] == "multiplier"]
    assert dict(zip(multipliers["code_y"], multipliers["effect"].map(lambda e: e["multiplier"]))) == {
        "A": 1.05, "B": 0.95, "C": 1.05, "D": 0.90}
    half = PolicyContext("nantong", PolicyCycle(1, 2026), Period.parse("2026-H1"), scheme, date(2026, 7, 15))
    assert OrganStandardisationAwards().apply(results, half).empty
