"""Incentives that bind (core.incentives): a bar from the advanced selection holds in the periods it covers, through
scoring, publication (the policies) and corrections, and the explanation says why; a pool is shared out in fen
that add up to it.

Through the database, a scheme of one indicator (a committee meeting every month, 100 points: a month missed
is 8.33 points) with the responsibility-system's own policy (``responsibility-tiers``: the bottom tier barred
from the advanced selection for a year from publication, the first tier's bonus tilt of 1.2 shared per member).
"""

from __future__ import annotations

import math
import sys
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session

from bastion import hookimpl
from bastion.core import i18n, incentives, scoring
from bastion.core.corrections import correct_points
from bastion.core.engine import Facts, Period, score
from bastion.core.errors import BadValue, BastionError
from bastion.core.incentives import allocate, bars_in_force, barred_orgs, check_effects, parse_pool
from bastion.core.models import Incentive, LedgerEntry, Organization
from bastion.core.periods import moment_on
from bastion.core.registry import Registry
from bastion.core.results import explain, read_branch_incentives, read_incentives, read_results
from bastion.core.scheme import Scheme
from bastion.core.tenants import enabled_plugins
from bastion.plugins import standard_rules
from tests import factories
from tests.core.people import person

SCHEME = {
    "id": "binding-test", "version": "1", "name": "奖惩兑现测试方案", "total_points": 100,
    "blocks": [{"code": "A", "name": "组织生活", "indicators": [
        {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 100, "rule": "ledger_target",
         "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
    ]}],
    "grades": [{"name": "好", "min_score": 95, "advanced": True}, {"name": "一般", "min_score": 60},
               {"name": "差", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [
        {"name": "第一档", "share": 0.2}, {"name": "第二档", "share": 0.6}, {"name": "第三档", "share": 0.2}]},
    "policies": ["responsibility-tiers"],
}


@hookimpl
def bastion_schemes():
    return [Scheme.model_validate(SCHEME)]


BAR = "一年内取消参加先进党支部评选资格（2025年度考核落后，至 2027-01-15）"
MEMBERS = {"A": 10, "B": 20, "C": 30, "D": 40, "E": 50}


def meetings(engine, tenant, ids, year: int, months: dict[str, int]) -> None:
    with Session(engine) as session:
        for code, n in months.items():
            session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=ids[code], type="committee_meeting",
                                        date=date(year, m, 5), title=f"{m}月支委会") for m in range(1, n + 1))
        session.commit()


def score_and_publish(engine, registry, cycle, key: str, on: date) -> None:
    scoring.score_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test", now=moment_on(on))


@pytest.fixture
def barred(engine):
    """Five branches. 2025: E held six meetings (50, 差, bottom tier): published 15 January 2026, it is barred from
    the advanced selection until 15 January 2027. 2026 (open, nothing scored): E holds every meeting, the others
    11, 10, 9 and 8."""
    registry = Registry.load(extra=[("binding-test", sys.modules[__name__])])
    tenant = factories.tenant(engine, registry, plugins=("standard-rules", "standard-ledgers", "responsibility-system",
                                                         "binding-test"))
    ids = factories.org_tree(engine, tenant, {code: "机关" for code in MEMBERS})
    with Session(engine) as session:
        for code, n in MEMBERS.items():
            session.get(Organization, ids[code]).member_count = n
        session.commit()
    first = factories.cycle(engine, registry, tenant, year=2025, scheme_id="binding-test")
    meetings(engine, tenant, ids, 2025, {"A": 12, "B": 12, "C": 12, "D": 12, "E": 6})
    score_and_publish(engine, registry, first, "2025", date(2026, 1, 15))
    second = factories.cycle(engine, registry, tenant, year=2026, scheme_id="binding-test")
    meetings(engine, tenant, ids, 2026, {"A": 11, "B": 10, "C": 9, "D": 8, "E": 12})
    return registry, tenant, first, second, ids


def by_code(engine, cycle, key: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return read_results(conn, cycle.id, key).set_index("code")


@pytest.mark.storage
def test_a_barred_branch_scoring_100_the_next_year_is_not_advanced_and_says_why(engine, barred):
    registry, tenant, first, second, ids = barred
    last_year = by_code(engine, first, "2025")
    assert (last_year.loc["E", "total"], last_year.loc["E", "tier"]) == (50.0, "第三档")
    with engine.connect() as conn:
        awards = read_incentives(conn, first.id, "2025").set_index(["code", "award"])
    bar = awards.loc[("E", "barred_from_advanced")]
    assert (bar["title"], str(bar["effective_until"])[:10]) == ("一年内取消参加先进党支部评选资格", "2027-01-15")
    assert bar["effect"] == {"barred_from": "先进党支部评选", "reason": "2025年度考核落后", "level": "第三档"}

    # 2026: E scores 100, graded 好 (≥ 95, an advanced band) — but barred: not advanced-eligible, and ranked first.
    scoring.score_period(engine, cycle=second, period_key="2026", registry=registry, actor="test")
    results = by_code(engine, second, "2026")
    assert results.loc["E", ["total", "grade", "rank", "tier"]].tolist() == [100.0, "好", 1, "第一档"]
    assert not results.loc["E", "advanced_eligible"]
    with engine.connect() as conn:
        why = explain(conn, cycle=second, period="2026", org_code="E").evaluation
        assert why["bars"] == [BAR]
        # A branch not barred, not advanced because of its score, has nothing to explain here.
        assert explain(conn, cycle=second, period="2026", org_code="A").evaluation["bars"] == []

    # Published on 15 January 2027 — the bar's last day: E is first tier, gets the tilt but not 评先选优优先.
    scoring.publish_period(engine, cycle=second, period_key="2026", registry=registry, actor="test",
                           now=moment_on(date(2027, 1, 15)))
    with engine.connect() as conn:
        awards = read_incentives(conn, second.id, "2026")
    tilt = awards[awards["award"] == "first_tier"].iloc[0]
    assert tilt["code"] == "E"
    assert tilt["effect"] == {"bonus_weight": 1.2, "selection_priority": False, "level": "第一档"}
    assert tilt["title"] == "2026年度第一档次：奖金分配倾斜（取消评先资格期内，不予评先选优优先）"

    # A correction of 2026 concludes again with the same bar: E stays not advanced-eligible, A's new 100 is.
    admin = person(engine, tenant, "binding_admin", ("admin", "DW"))
    correct_points(engine, admin, cycle=second, period="2026", org_code="A", indicator_code="M1", points=100,
                   reason="补交会议记录", registry=registry)
    results = by_code(engine, second, "2026")
    assert results.loc[["A", "E"], "grade"].tolist() == ["好", "好"]
    assert results.loc[["A", "E"], "advanced_eligible"].tolist() == [True, False]


@pytest.mark.storage
def test_the_bar_covers_the_periods_that_end_by_its_last_day(engine, barred):
    registry, tenant, first, second, ids = barred
    e = ids["E"]
    with engine.connect() as conn:
        # Not the period that brought it, nor one ending with it; every period of 2026; none of 2027.
        covered = {key: e in barred_orgs(conn, tenant.id, Period.parse(key))
                   for key in ("2025", "2025-H2", "2026-01", "2026-H1", "2026", "2027-01", "2027")}
    assert covered == {"2025": False, "2025-H2": False, "2026-01": True, "2026-H1": True, "2026": True,
                       "2027-01": False, "2027": False}

    # The bar ends on its day: a bar whose last day is 30 June covers the first half (ending that day), not Q3.
    def last_day(day: date) -> dict[str, bool]:
        with engine.begin() as conn:
            conn.execute(update(Incentive.__table__).where(Incentive.__table__.c.code == "barred_from_advanced")
                         .values(effective_until=day))
        with engine.connect() as conn:
            return {key: e in barred_orgs(conn, tenant.id, Period.parse(key)) for key in ("2026-H1", "2026-Q3")}

    assert last_day(date(2026, 6, 30)) == {"2026-H1": True, "2026-Q3": False}
    assert last_day(date(2026, 6, 29)) == {"2026-H1": False, "2026-Q3": False}
    # Scored then: the first half's E (six meetings, 100) is advanced-eligible with the bar ended the day before.
    scoring.score_period(engine, cycle=second, period_key="2026-H1", registry=registry, actor="test")
    assert by_code(engine, second, "2026-H1").loc["E", ["total", "advanced_eligible"]].tolist() == [100.0, True]
    last_day(date(2026, 6, 30))
    scoring.score_period(engine, cycle=second, period_key="2026-H1", registry=registry, actor="test")
    assert by_code(engine, second, "2026-H1").loc["E", ["total", "advanced_eligible"]].tolist() == [100.0, False]
    with engine.connect() as conn:
        assert bars_in_force(conn, tenant.id, Period.parse("2026-H1"))["text"].tolist() == [
            "一年内取消参加先进党支部评选资格（2025年度考核落后，至 2026-06-30）"]


@pytest.mark.storage
def test_a_pool_shared_per_member_adds_up_to_the_pool(engine, barred):
    registry, tenant, first, second, ids = barred
    with Session(engine) as session:
        assert incentives.per_member(first, registry, enabled_plugins(session, tenant.id))  # the policy says so
    with engine.connect() as conn:
        table = read_branch_incentives(conn, first, Period.parse("2025"), pool=Decimal("100000.01"), by_members=True)
    table = table.set_index("code")
    # 2025's first tier is A (rank 1 by code among the 100s): 1.2 × 10 members = 12; B 20, C 30, D 40, E 50 → 152.
    assert table["bonus_weight"].to_dict() == {"A": 1.2, "B": 1.0, "C": 1.0, "D": 1.0, "E": 1.0}
    assert table["weight"].to_dict() == {"A": 12.0, "B": 20.0, "C": 30.0, "D": 40.0, "E": 50.0}
    # 10 000 001 fen × 12/152 = 789 473.76…, × 20/152 = 1 315 789.61…, × 30/152 = 1 973 684.41…, × 40/152 =
    # 2 631 579.21…, × 50/152 = 3 289 474.01…: rounded down they make 9 999 999 fen; the 2 left over go to the largest
    # remainders, A's .76 and B's .61 — which is each rounded half up.
    assert table["amount"].to_dict() == {"A": 7894.74, "B": 13157.9, "C": 19736.84, "D": 26315.79, "E": 32894.74}
    assert sum(round(a * 100) for a in table["amount"]) == 10_000_001
    assert table.loc["E", "barred_until"] == "2027-01-15" and table["multiplier"].isna().all()
    assert table["share"].to_dict() == {"A": 7.89, "B": 13.16, "C": 19.74, "D": 26.32, "E": 32.89}
    # By branch: 1.2 : 1 : 1 : 1 : 1 of 1 fen per branch (0.05) — A's 1.2/5.2 of 5 fen is 1.15 fen, the others' 0.96:
    # A's 1 rounded down, the 4 fen left over to the others' larger remainders, one fen each.
    with engine.connect() as conn:
        equal = read_branch_incentives(conn, first, Period.parse("2025"), pool=Decimal("0.05"))
        assert equal["amount"].tolist() == [0.01] * 5
        # A period not published has no incentives to share out.
        with pytest.raises(BastionError, match="尚未发布"):
            read_branch_incentives(conn, second, Period.parse("2026"), pool=Decimal("1"))


# --- the arithmetic, without a database ------------------------------------------------------------


def test_allocate_gives_the_largest_remainders_the_fen_left_over_ties_by_code():
    assert allocate(50_000_000, [1, 1, 1], ["A", "B", "C"]) == [16_666_667, 16_666_667, 16_666_666]
    assert allocate(50_000_000, [1, 1, 1], ["C", "B", "A"]) == [16_666_666, 16_666_667, 16_666_667]
    assert allocate(3, [1, 1, 1, 1], ["D", "C", "B", "A"]) == [0, 1, 1, 1]  # fewer fen than branches
    assert allocate(4, [1, 1, 1, 1], ["A", "B", "C", "D"]) == [1, 1, 1, 1]  # one fen per branch
    assert allocate(1, [Fraction(6, 5), 1], ["B", "A"]) == [1, 0]  # the larger remainder first
    assert allocate(0, [1, 2], ["A", "B"]) == [0, 0]
    assert allocate(7, [0, 1], ["A", "B"]) == [0, 7]  # a weight of 0 gets nothing
    with pytest.raises(ValueError):
        allocate(7, [0, 0], ["A", "B"])


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 10**13), weights=st.lists(
    st.one_of(st.integers(0, 200), st.sampled_from([Fraction(6, 5), Fraction(21, 20), Fraction(9, 10)])),
    min_size=1, max_size=40).filter(lambda w: sum(w) > 0))
def test_allocate_adds_up_and_stays_within_a_fen_of_each_share(total, weights):
    keys = [f"ZB{n:05d}" for n in range(len(weights))]
    amounts = allocate(total, weights, keys)
    assert sum(amounts) == total
    whole = sum(Fraction(w) for w in weights)
    exact = [total * Fraction(w) / whole for w in weights]
    assert all(abs(a - x) < 1 for a, x in zip(amounts, exact))
    halves = [math.floor(x + Fraction(1, 2)) for x in exact]  # each share rounded half up (四舍五入), exactly
    if sum(halves) == total:  # where rounding each half up adds up, that is what it gives
        assert amounts == halves


def test_a_pool_is_an_amount_in_whole_fen():
    assert parse_pool("500000") == Decimal("500000.00")
    assert parse_pool("100000.01") == Decimal("100000.01")
    assert parse_pool("1,000") == Decimal("1000.00")
    for bad in ("0", "-5", "1.005", "abc", "nan", "inf", "1e20"):
        with pytest.raises(BadValue):
            parse_pool(bad)


def awards(**effect) -> pd.DataFrame:
    until = effect.pop("until", None)
    kind = effect.pop("kind", "sanction")
    return pd.DataFrame({"org_id": [1], "kind": [kind], "code": ["x"], "title": ["t"], "effect": [effect],
                         "effective_until": [until]})


def test_effects_that_bind_are_checked():
    check_effects(awards(barred_from="先进党支部评选", until=date(2027, 1, 15)))
    check_effects(awards(bonus_weight=1.2, kind="reward"))
    check_effects(awards(multiplier=0.9, kind="multiplier"))
    for bad, says in ((awards(barred_from="先进党支部评选"), "last day"), (awards(barred_from="", until=date(2027, 1, 1)),
                      "selection"), (awards(bonus_weight=-1, kind="reward"), "≥ 0"),
                      (awards(bonus_weight=True, kind="reward"), "≥ 0"), (awards(multiplier=0, kind="multiplier"), "> 0"),
                      (awards(multiplier=1.05, kind="reward"), "kind multiplier")):
        with i18n.using("en"), pytest.raises(TypeError, match=says):
            check_effects(bad)


def test_the_engine_takes_the_barred_organisations_of_the_period():
    registry = Registry.load(entry_points=False, extra=[("standard-rules", standard_rules)])
    scheme = Scheme.model_validate(SCHEME | {"policies": []})
    orgs = pd.DataFrame({"org_id": [1, 2], "code": ["A", "B"], "category": ["机关", "机关"]})
    ledger = pd.DataFrame({"id": range(24), "org_id": [1] * 12 + [2] * 12, "type": "committee_meeting",
                           "date": [f"2026-{m:02d}-05" for m in range(1, 13)] * 2, "quantity": None})
    rules = {name: c.item for name, c in registry.rule_types().items()}
    result = score(scheme, rules, orgs, Facts.of(ledger), Period.parse("2026"), barred={2})
    ev = result.evaluations.set_index("org_id")
    assert ev["grade"].to_dict() == {1: "好", 2: "好"}  # the grade stays the one the score reaches
    assert ev["advanced_eligible"].to_dict() == {1: True, 2: False}
