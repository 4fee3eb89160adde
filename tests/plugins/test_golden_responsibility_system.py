"""Seed 002 (responsibility-system), scored by hand: every point, weight, rank, tier and incentive.

Five branches, the 2026 annual assessment. Targets by category (机关 / 生产一线 / 离退休):
K6 study 12/10/6, F1 tackling 4/6/2 (tolerance 25 %), F2 proposals 10/20/3 (sum, 20 %),
F3 deeds 4/4/2 (25 %), K4 disclosure 1 per quarter except 离退休 0. D1 weighs members 0.5,
peers 0.2, superior 0.3; a source needs 2 ballots (quorum).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bastion.core import standings
from bastion.core.contributions import HISTORY_COLUMNS, PolicyContext, PolicyCycle
from bastion.core.engine import Period, score
from bastion.plugins.responsibility_system import SCHEME, ResponsibilityTiers
from bastion.core.scheme import Scheme
from tests.factories import FactBook

ORGS = pd.DataFrame({
    "org_id": [1, 2, 3, 4, 5],
    "code": ["P", "Q", "R", "S", "T"],
    "category": ["机关", "生产一线", "离退休", "机关", "生产一线"],
})
QUARTER_MONTHS = (2, 5, 8, 11)


def full_year(book: FactBook, org: int, *, study: int, tackling: int, proposals: float, deeds: int) -> None:
    book.monthly(org, "committee_meeting")
    for kind in ("branch_assembly", "party_lecture", "affairs_disclosure"):
        book.monthly(org, kind, QUARTER_MONTHS)
    book.monthly(org, "study_session", range(1, study + 1))
    book.monthly(org, "member_tackling", range(1, tackling + 1))
    book.entries(org, "rationalization_proposal", "2026-09-01", quantity=proposals)
    book.monthly(org, "practical_deed", range(1, deeds + 1))


def golden_facts():
    book = FactBook()
    # P (机关): everything met. Ballots members 90, 90; peers 80, 80; superior 100, 100.
    full_year(book, 1, study=12, tackling=4, proposals=10, deeds=4)
    book.ballots(1, "members", 90, 90)
    book.ballots(1, "peers", 80, 80)
    book.ballots(1, "superior", 100, 100)
    # Q (生产一线): committee in 9 months; party lectures in 3 quarters; 1 check finding; 8 studies
    # (target 10); 5 tackling actions (target 6); proposals 10 + 5 (target 20); 3 deeds (target 4).
    # Ballots members 80, 70; a single peer ballot (below quorum); superior 80, 90.
    book.monthly(2, "committee_meeting", range(1, 10))
    book.monthly(2, "branch_assembly", QUARTER_MONTHS)
    book.monthly(2, "party_lecture", QUARTER_MONTHS[:3])
    book.monthly(2, "affairs_disclosure", QUARTER_MONTHS)
    book.finding(2, "K5")
    book.monthly(2, "study_session", range(1, 9))
    book.monthly(2, "member_tackling", range(1, 6))
    book.entries(2, "rationalization_proposal", "2026-03-01", quantity=10)
    book.entries(2, "rationalization_proposal", "2026-10-01", quantity=5)
    book.monthly(2, "practical_deed", range(1, 4))
    book.ballots(2, "members", 80, 70)
    book.ballots(2, "peers", 60)
    book.ballots(2, "superior", 80, 90)
    # R (离退休): meetings all held, no disclosure (target 0); 6 studies; 1 tackling action (target 2);
    # 3 proposals; 2 deeds. Ballots members 60, 60; peers 50, 50; superior 70, 70.
    book.monthly(3, "committee_meeting")
    book.monthly(3, "branch_assembly", QUARTER_MONTHS)
    book.monthly(3, "party_lecture", QUARTER_MONTHS)
    book.monthly(3, "study_session", range(1, 7))
    book.monthly(3, "member_tackling", [3])
    book.entries(3, "rationalization_proposal", "2026-09-01", quantity=3)
    book.monthly(3, "practical_deed", [4, 8])
    book.ballots(3, "members", 60, 60)
    book.ballots(3, "peers", 50, 50)
    book.ballots(3, "superior", 70, 70)
    # S (机关): as P, but a member was disciplined: vetoed.
    full_year(book, 4, study=12, tackling=4, proposals=10, deeds=4)
    book.ballots(4, "members", 90, 90)
    book.ballots(4, "peers", 80, 80)
    book.ballots(4, "superior", 100, 100)
    book.finding(4, "N1", text="党员受党纪处分")
    # T (生产一线): committee in 6 months, assembly and lecture in 2 quarters, nothing else done,
    # 5 check findings. Ballots members 50, 50; peers 40, 40; superior 60, 60.
    book.monthly(5, "committee_meeting", range(1, 7))
    book.monthly(5, "branch_assembly", QUARTER_MONTHS[:2])
    book.monthly(5, "party_lecture", QUARTER_MONTHS[:2])
    book.finding(5, "K5", 5)
    book.ballots(5, "members", 50, 50)
    book.ballots(5, "peers", 40, 40)
    book.ballots(5, "superior", 60, 60)
    return book.facts()


@pytest.fixture(scope="module")
def result(registry):
    rules = {name: c.item for name, c in registry.rule_types().items()}
    return score(Scheme.model_validate(SCHEME), rules, ORGS, golden_facts(), Period.parse("2026"))


def points(result, code: str) -> dict[str, float]:
    lines = result.lines.merge(ORGS, on="org_id")
    mine = lines[lines["indicator_code"] == code]
    return dict(zip(mine["code"], mine["points"]))


def test_controllable_indicators_by_hand(result):
    # K1 8 points × months with a committee meeting / 12.
    assert points(result, "K1") == {"P": 8, "Q": 6, "R": 8, "S": 8, "T": 4}
    assert points(result, "K2") == {"P": 6, "Q": 6, "R": 6, "S": 6, "T": 3}
    # K3: Q held 3 of 4 quarterly lectures → 4.5.
    assert points(result, "K3") == {"P": 6, "Q": 4.5, "R": 6, "S": 6, "T": 3}
    # K4: 离退休 has target 0, so R's lack of disclosure is no shortfall; T disclosed nothing.
    assert points(result, "K4") == {"P": 6, "Q": 6, "R": 6, "S": 6, "T": 0}
    # K5: 8 − 2 per finding, not below 0.
    assert points(result, "K5") == {"P": 8, "Q": 6, "R": 8, "S": 8, "T": 0}
    # K6 (no tolerance): Q 8 of 10 → 4.8; R 6 of 6.
    assert points(result, "K6") == {"P": 6, "Q": 4.8, "R": 6, "S": 6, "T": 0}


def test_flexible_indicators_use_their_tolerance_band(result):
    # F1 8 points, 25 %: Q 5 ≥ 6 × 0.75 = 4.5 → full; R 1 < 2 × 0.75 = 1.5 → 8 × 1/2 = 4.
    assert points(result, "F1") == {"P": 8, "Q": 8, "R": 4, "S": 8, "T": 0}
    # F2 6 points, sum of quantities, 20 %: Q 15 < 20 × 0.8 = 16 → 6 × 15/20 = 4.5.
    assert points(result, "F2") == {"P": 6, "Q": 4.5, "R": 6, "S": 6, "T": 0}
    # F3 6 points, 25 %: Q 3 ≥ 4 × 0.75 → full.
    assert points(result, "F3") == {"P": 6, "Q": 6, "R": 6, "S": 6, "T": 0}


def test_three_layer_democratic_evaluation(result):
    # P: 0.5 × 90 + 0.2 × 80 + 0.3 × 100 = 91 → 40 × 0.91 = 36.4.
    # Q: the lone peer ballot misses the quorum; (0.5 × 75 + 0.3 × 85) / 0.8 = 78.75 → 31.5.
    # R: 30 + 10 + 21 = 61 → 24.4.  T: 25 + 8 + 18 = 51 → 20.4.
    assert points(result, "D1") == {"P": 36.4, "Q": 31.5, "R": 24.4, "S": 36.4, "T": 20.4}
    line = result.lines[(result.lines["org_id"] == 2) & (result.lines["indicator_code"] == "D1")].iloc[0]
    # two ballots of a secret source: counted, their mean not told (it would tell each)
    assert "党员群众 均分不公布（权重 0.5，2 票）" in line["reason"] and "75" not in line["reason"].split("→")[0]
    assert "其他支部书记 1 票，未达法定人数（须 2 票），不计" in line["reason"]  # named, never silently left out


def test_totals_grades_ranks_and_tiers(result):
    ev = result.evaluations.merge(ORGS, on="org_id").set_index("code")
    # P 40 (K) + 20 (F) + 36.4 = 96.4; Q 33.3 + 18.5 + 31.5 = 83.3; R 40 + 16 + 24.4 = 80.4;
    # S = P's 96.4 but vetoed; T 10 + 0 + 20.4 = 30.4.
    assert ev["total"].to_dict() == {"P": 96.4, "Q": 83.3, "R": 80.4, "S": 96.4, "T": 30.4}
    assert ev["grade"].to_dict() == {"P": "好", "Q": "较好", "R": "较好", "S": "差", "T": "差"}
    assert ev["rank"].to_dict() == {"P": 1, "Q": 2, "R": 3, "T": 4, "S": 5}
    # Tiers by rank share 20/60/20 of 5: rank 1; ranks 2–4; rank 5 (and the vetoed S is last anyway).
    # T, graded 差 on points, still ranks in the middle tier: tiers follow rank, grades follow points.
    assert ev["tier"].to_dict() == {"P": "第一档", "Q": "第二档", "R": "第二档", "T": "第二档", "S": "第三档"}
    assert ev.loc["S", "veto_reasons"] == ["党员受党纪政纪处分：党员受党纪处分"]


def results_frame(result) -> pd.DataFrame:
    return result.evaluations.merge(ORGS, on="org_id")


def awards_of(frame: pd.DataFrame) -> set[tuple]:
    codes = dict(zip(ORGS["org_id"], ORGS["code"]))
    return {(codes[r.org_id], r.kind, r.code, r.effective_until) for r in frame.itertuples()}


SCHEME_FROZEN = Scheme.model_validate(SCHEME)


def context(year: int, period: str, published_on: date, earlier: pd.DataFrame | None = None, *,
            standings: pd.DataFrame | None = None) -> PolicyContext:
    extra = {} if standings is None else {"standings": standings}
    history = pd.DataFrame({c: [] for c in HISTORY_COLUMNS}) if earlier is None else earlier
    return PolicyContext("acme", PolicyCycle(1, year), Period.parse(period), SCHEME_FROZEN, published_on, history,
                         **extra)


def test_annual_incentives_by_tier(result):
    awards = ResponsibilityTiers().apply(results_frame(result), context(2026, "2026", date(2027, 1, 15)))
    # Published on 15 January 2027. Bottom tier (S): talk, rectification due 30 days after publication
    # (14 February), barred from the advanced-branch selection for a year from it (15 January 2028);
    # first tier (P): bonus tilt and priority.
    assert awards_of(awards) == {
        ("S", "talk", "secretary_talk", None),
        ("S", "rectification", "tier_rectify", date(2027, 2, 14)),
        ("S", "sanction", "barred_from_advanced", date(2028, 1, 15)),
        ("P", "reward", "first_tier", None),
    }
    first = awards[awards["code"] == "first_tier"].iloc[0]
    assert first["effect"] == {"bonus_weight": 1.2, "selection_priority": True, "level": "第一档"}
    rectify = awards[awards["code"] == "tier_rectify"].iloc[0]
    assert rectify["effect"] == {"deadline": "2027-02-14", "deadline_days": 30}
    bar = awards[awards["code"] == "barred_from_advanced"].iloc[0]  # the bar binds (core.incentives): its key and day
    assert (bar["title"], bar["effect"]) == ("一年内取消参加先进党支部评选资格",
                                             {"barred_from": "先进党支部评选", "reason": "2026年度考核落后", "level": "第三档"})


def test_a_first_tier_branch_still_barred_gets_the_tilt_but_not_the_priority(result):
    # P, first tier in 2026, is still under a bar from an earlier year (results["barred"], as Bastion passes it).
    barred = results_frame(result).assign(barred=lambda r: r["code"] == "P")
    awards = ResponsibilityTiers().apply(barred, context(2026, "2026", date(2027, 1, 15)))
    first = awards[awards["code"] == "first_tier"].iloc[0]
    assert first["effect"] == {"bonus_weight": 1.2, "selection_priority": False, "level": "第一档"}
    assert first["title"] == "2026年度第一档次：奖金分配倾斜（取消评先资格期内，不予评先选优优先）"
    assert ResponsibilityTiers.bonus_per_member  # its pool is shared by coefficient × members


def quarter(tiers: dict[int, str]) -> pd.DataFrame:
    """A quarter's results as the policy and the standing rules read them (quarters carry no grade)."""
    return pd.DataFrame({"org_id": list(tiers), "tier": list(tiers.values()), "grade": "", "vetoed": False,
                         "rate": 50.0})


def test_the_year_end_grading_moves_each_branch_a_star_by_its_result(result):
    # No branch has a standing yet: each starts at 三星 (initial), then P (first tier) climbs to 四星; S (vetoed) and
    # T (graded 差 on its points, in the middle tier) go down to 二星; Q and R hold.
    none = pd.DataFrame({c: [] for c in standings.STATE_COLUMNS})
    steps = standings.decide(SCHEME_FROZEN, Period.parse("2026"), results_frame(result), none)
    codes = dict(zip(ORGS["org_id"], ORGS["code"]))
    graded = steps[steps["kind"] == "graded"].assign(code=lambda f: f["org_id"].map(codes)).set_index("code")
    assert set(steps.loc[steps["kind"] == "initial", "standing"]) == {"三星"} and len(steps) == 10
    assert graded["standing"].to_dict() == {"P": "四星", "Q": "三星", "R": "三星", "S": "二星", "T": "二星"}
    assert graded["move"].to_dict() == {"P": "up", "Q": "hold", "R": "hold", "S": "down", "T": "down"}
    assert graded.loc["P", "reason"] == "2026年度处于第一档，提档：三星 → 四星"
    assert graded.loc["S", "reason"] == "2026年度一票否决，降档：三星 → 二星"
    assert graded.loc["T", "reason"] == "2026年度等次为差，降档：三星 → 二星"


def test_a_branch_the_grading_raised_that_relapses_loses_a_star_once():
    policy = ResponsibilityTiers()
    # After the 2026 grading: P was raised to 四星 (first tier), R held at 三星; both fall to the bottom tier in Q1.
    graded = pd.DataFrame({"org_id": [1, 3], "kind": "graded", "standing": ["四星", "三星"], "move": ["up", "hold"],
                           "flagged": False, "ordinal": [1, 2]})
    q1 = quarter({1: "第三档", 3: "第三档", 5: "第二档"})
    steps = standings.decide(SCHEME_FROZEN, Period.parse("2027-Q1"), q1, standings.fold(graded))
    # Only P, whom the grading raised, relapses (the scheme watches the promoted): a star taken.
    assert steps[["org_id", "previous", "standing", "move", "flagged"]].to_dict("records") == [
        {"org_id": 1, "previous": "四星", "standing": "三星", "move": "drop", "flagged": True}]
    assert steps.iloc[0]["reason"] == "2027年第1季度处于第三档，出现反弹：四星 → 三星"
    awards = policy.apply(q1, context(2027, "2027-Q1", date(2027, 4, 5), standings=steps))  # published on 5 April
    # Both bottom-tier branches get a talk and a rectification; P's relapse, decided by the standing rules, a sanction.
    assert awards_of(awards) == {
        ("P", "talk", "secretary_talk", None), ("P", "rectification", "tier_rectify", date(2027, 5, 5)),
        ("R", "talk", "secretary_talk", None), ("R", "rectification", "tier_rectify", date(2027, 5, 5)),
        ("P", "sanction", "level_revoked", date(2027, 12, 31)),
    }
    revoked = awards[awards["code"] == "level_revoked"].iloc[0]
    assert (revoked["title"], revoked["effect"]) == ("2027年第1季度出现反弹，四星降为三星",
                                                     {"revoked_level": "四星", "standing": "三星"})
    # In Q2 P is bottom again: talked to again, but its star was already taken in Q1 (once between gradings).
    after_q1 = pd.concat([graded, steps.assign(ordinal=3)], ignore_index=True)
    q2_steps = standings.decide(SCHEME_FROZEN, Period.parse("2027-Q2"), quarter({1: "第三档"}),
                                standings.fold(after_q1))
    assert q2_steps.empty
    codes = set(policy.apply(quarter({1: "第三档"}), context(2027, "2027-Q2", date(2027, 7, 5),
                                                              standings=q2_steps))["code"])
    assert codes == {"secretary_talk", "tier_rectify"}
