"""Properties that hold for any facts: checked with hypothesis on the golden scheme."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.core.engine import Facts, Period, score
from bastion.core.scheme import Scheme
from tests.core.test_engine_golden import GOLDEN_SCHEME

SCHEME = Scheme.model_validate(GOLDEN_SCHEME)
CATEGORIES = ["机关", "生产一线", "离退休"]
LEDGER_TYPES = ["committee_meeting", "study_session", "model_selected"]
CODES = ["A1", "A2", "A3", "B1", "B2", "BV", "X1"]


@st.composite
def enterprises(draw):
    n = draw(st.integers(1, 12))
    orgs = pd.DataFrame({
        "org_id": np.arange(1, n + 1) * 7,
        "code": [f"Z{i:03d}" for i in draw(st.permutations(range(n)))],
        "category": draw(st.lists(st.sampled_from(CATEGORIES), min_size=n, max_size=n)),
    })
    org = st.sampled_from(orgs["org_id"].tolist())
    day = st.dates(min_value=pd.Timestamp("2025-12-01").date(), max_value=pd.Timestamp("2027-01-31").date())
    ledger = draw(st.lists(st.tuples(org, st.sampled_from(LEDGER_TYPES), day), max_size=60))
    findings = draw(st.lists(st.tuples(org, st.sampled_from(CODES), day, st.floats(0, 30)), max_size=25))
    ratings = draw(st.lists(st.tuples(org, st.sampled_from(["members", "superior", "peers"]), day,
                                      st.one_of(st.none(), st.floats(0, 100)),
                                      st.sampled_from([None, "优秀", "良好", "一般", "较差", "X"]),
                                      st.sampled_from([None, "B2"])), max_size=40))
    facts = Facts.of(
        pd.DataFrame([{"id": i + 1, "org_id": o, "type": t, "date": d, "quantity": None}
                      for i, (o, t, d) in enumerate(ledger)], columns=["id", "org_id", "type", "date", "quantity"]),
        pd.DataFrame([{"id": i + 1, "org_id": o, "indicator_code": c, "date": d, "deduction": x, "description": "问题"}
                      for i, (o, c, d, x) in enumerate(findings)],
                     columns=["id", "org_id", "indicator_code", "date", "deduction", "description"]),
        pd.DataFrame([{"id": i + 1, "org_id": o, "source": s, "indicator_code": c, "score": sc, "level": lv, "date": d}
                      for i, (o, s, d, sc, lv, c) in enumerate(ratings)],
                     columns=["id", "org_id", "source", "indicator_code", "score", "level", "date"]),
    )
    period = draw(st.sampled_from(["2026", "2026-H2", "2026-Q1", "2026-07"]))
    return orgs, facts, Period.parse(period)


def run(registry, orgs, facts, period, **options):
    rules = {name: c.item for name, c in registry.rule_types().items()}
    return score(SCHEME, rules, orgs, facts, period, **options)


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(enterprises())
def test_invariants(registry, enterprise):
    orgs, facts, period = enterprise
    result = run(registry, orgs, facts, period)
    ev, lines = result.evaluations, result.lines

    # A veto always gives 不合格, never advanced, the last tier, and ranks below every non-vetoed branch.
    vetoed = ev[ev["vetoed"]]
    assert (vetoed["grade"] == SCHEME.veto_grade).all()
    assert not vetoed["advanced_eligible"].any()
    assert (vetoed["tier"] == SCHEME.tiers.bands[-1].name).all()
    if len(vetoed) and len(vetoed) < len(ev):
        assert vetoed["rank"].min() > ev.loc[~ev["vetoed"], "rank"].max()

    # Points stay within bounds, line by line and in total; totals add up from the lines.
    assert (lines["points"] >= 0).all() and (lines["points"] <= lines["max_points"] + 1e-9).all()
    assert (ev["base_points"] <= SCHEME.total_points + 1e-9).all()
    assert (ev["bonus_points"] <= SCHEME.bonus_cap + 1e-9).all()
    sums = lines[lines["kind"] != "bonus"].groupby("org_id")["points"].sum()
    assert np.allclose(ev.set_index("org_id")["base_points"].sort_index(), sums.sort_index().round(2))

    # Ranks are a permutation of 1..n; every branch has exactly one line per indicator.
    assert sorted(ev["rank"]) == list(range(1, len(orgs) + 1))
    assert len(lines) == len(orgs) * len(CODES)
    assert set(ev["org_id"]) == set(orgs["org_id"])


@FAST
@given(enterprises(), st.randoms())
def test_same_inputs_same_outputs_whatever_the_row_order(registry, enterprise, rnd):
    orgs, facts, period = enterprise
    first = run(registry, orgs, facts, period)
    again = run(registry, orgs, facts, period)
    pd.testing.assert_frame_equal(first.evaluations, again.evaluations)
    pd.testing.assert_frame_equal(first.lines, again.lines)

    # Scoring in slices of organisations changes nothing.
    sliced = run(registry, orgs, facts, period, slice_size=2)
    pd.testing.assert_frame_equal(first.evaluations, sliced.evaluations)
    pd.testing.assert_frame_equal(first.lines, sliced.lines)

    shuffled = Facts(*(f.sample(frac=1, random_state=rnd.randint(0, 2**31)) for f in (facts.ledger, facts.findings, facts.ratings)))
    other = run(registry, orgs.sample(frac=1, random_state=rnd.randint(0, 2**31)), shuffled, period)
    key = ["org_id"]
    pd.testing.assert_frame_equal(first.evaluations.sort_values(key).reset_index(drop=True),
                                  other.evaluations.sort_values(key).reset_index(drop=True))
    pd.testing.assert_frame_equal(first.lines.sort_values(["org_id", "indicator_code"]).reset_index(drop=True),
                                  other.lines.sort_values(["org_id", "indicator_code"]).reset_index(drop=True))


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.integers(-50, 50), max_size=30), dtype=st.sampled_from([np.int16, np.int32, np.int64]),
       lo=st.integers(-2**40, 2**40) | st.integers(-60, 60), hi=st.integers(-2**40, 2**40) | st.integers(-60, 60))
def test_facts_for_orgs_is_the_rows_between_the_bounds(ids, dtype, lo, hi):
    """Whatever the ids' width, and bounds beyond it (they are searched as the ids' own type)."""
    frame = pd.DataFrame({"org_id": np.array(sorted(ids), dtype=dtype), "row": range(len(ids))})
    cut = Facts(frame, frame, frame).for_orgs(lo, hi)
    expected = frame[(frame["org_id"] >= lo) & (frame["org_id"] <= hi)]
    for part in (cut.ledger, cut.findings, cut.ratings):
        assert part["row"].tolist() == expected["row"].tolist()
