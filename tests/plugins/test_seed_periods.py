"""A month is not a small year: on the demo, every seed scheme's months, quarters and halves stand like its year.

Each seed scheme's demo enterprise (40 branches, seed 2025, year 2025: what ``bastion demo --scheme …`` builds,
built once per scheme) is scored for every period its calendar assesses (月评价、季通报、半年检查 — the periods
its stages publish; target-table and organ-standardisation publish only halves, as their seeds assess) with the
product's own steps (``scoring.read_inputs``, the engine's slices, ``conclude``), not through Prefect. For every
period shorter than the year:

- the median rate (得分率) is within 20 points of the year's median rate;
- the share of unqualified branches — vetoed, or in the scheme's lowest grade — is not above twice the year's;
  when the year has none, a period may have at most one branch or 5 % of them, whichever is more.

Three seeds grade only on a fixed cycle (``Scheme.graded``): study-education at the half-year check and the
year (seed 000: 在综合日常督查、半年检查和年终考核的基础上评先定等), responsibility-system at the year (seed 002:
分类定级…按一定的时间周期进行评定), organisational-life at the year (its quarters assess a few counts each held or
missed); their other periods rank and tier, and call no branch unqualified but a vetoed one. Graded every
quarter, they failed it: Q1 of study-education 22.5 % (the year 10 %), of responsibility-system 20 % (7.5 %), of
organisational-life 20 % (2.5 %).

Before issue 14 a month was scored as a year: March of target-table had a median of 45.5 and all 40 branches
不合格; study-education's and responsibility-system's Q1 failed all 40.
"""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from bastion.core import db, scoring
from bastion.core.engine import conclude, score_slices, subtotals
from bastion.core.periods import Period, cycle_periods
from bastion.demo import build_sample

SCHEMES = ("target-table", "study-education", "responsibility-system", "organ-standardisation",
           "organisational-life")
YEAR = 2025
MEDIAN_POINTS = 20
ZERO_YEAR_SHARE = 0.05  # with a year of no unqualified branch: at most one branch, or 5 % when that is more


def standings(engine, registry, cycle, key: str) -> pd.DataFrame:
    period = Period.parse(key)
    inputs = scoring.read_inputs(engine, cycle=cycle, period=period, registry=registry)
    sums = pd.concat([subtotals(lines) for lines in score_slices(inputs)])
    ev = conclude(inputs.scheme, inputs.orgs, sums, period)
    return ev[ev["level"] == "branch"]


def unqualified_share(ev: pd.DataFrame, scheme) -> float:
    lowest = {scheme.grades[-1].name, scheme.veto_grade}
    return float((ev["vetoed"] | ev["grade"].isin(lowest)).mean())


def allowed_share(year_share: float, branches: int) -> float:
    return 2 * year_share if year_share else max(1 / branches, ZERO_YEAR_SHARE)


@pytest.fixture(scope="module", params=SCHEMES)
def demo(request, tmp_path_factory, registry):
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('seed') / 'demo.db'}")
    db.upgrade(engine)
    sample = build_sample(engine, registry=registry, branches=40, seed=2025, year=YEAR, scheme_id=request.param)
    yield request.param, engine, sample
    engine.dispose()


@pytest.fixture(scope="module")
def measured(demo, registry):
    scheme_id, engine, sample = demo
    year = standings(engine, registry, sample.cycle, str(YEAR))
    shorter = {key: standings(engine, registry, sample.cycle, key)
               for key in cycle_periods(sample.cycle)[:-1]}  # the months, quarters and halves its calendar assesses
    return scheme_id, sample.scheme, year, shorter


def test_short_periods_have_the_years_median_rate(measured):
    scheme_id, scheme, year, shorter = measured
    median = statistics.median(year["rate"])
    far = {key: round(statistics.median(ev["rate"]), 1) for key, ev in shorter.items()
           if abs(statistics.median(ev["rate"]) - median) > MEDIAN_POINTS}
    assert shorter and not far, f"{scheme_id}: the year's median rate {median:.1f}; periods far from it: {far}"


def test_short_periods_fail_no_more_branches_than_twice_the_year(measured):
    scheme_id, scheme, year, shorter = measured
    share = unqualified_share(year, scheme)
    allowed = allowed_share(share, len(year))
    over = {key: round(unqualified_share(ev, scheme), 3) for key, ev in shorter.items()
            if unqualified_share(ev, scheme) > allowed + 1e-9}
    assert not over, f"{scheme_id}: the year's unqualified share {share:.3f}; periods above {allowed:.3f}: {over}"


def test_the_allowance_of_a_year_without_unqualified_branches():
    assert allowed_share(0.1, 40) == 0.2
    assert allowed_share(0.0, 40) == 0.05  # 2 of 40
    assert allowed_share(0.0, 10) == 0.1  # one branch of 10
