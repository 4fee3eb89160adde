"""法定人数: a source of a democratic evaluation counts only with enough ballots — a fixed count, or more than a
share of those entitled to vote (a branch's members, from the register) — and a source below it is named on the
line, then left out (its weight shared by the others) or counted as 0, as the scheme says."""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.core.rule_helpers import combine_sources

WEIGHTS = {"members": 0.6, "superior": 0.4}


def ballots(org_id: int, source: str, *scores: float) -> list[dict]:
    return [{"org_id": org_id, "source": source, "score": s, "indicator_code": None} for s in scores]


RATINGS = pd.DataFrame(ballots(1, "members", 90, 80, 70) + ballots(1, "superior", 100)
                       + ballots(2, "members", 60, 80, 70, 90, 100, 80) + ballots(2, "superior", 90))
MEMBERS = {"members": pd.Series({1: 10, 2: 10})}


def test_without_a_share_every_source_with_its_fixed_quorum_counts():
    found = combine_sources(RATINGS, WEIGHTS)
    assert found.loc[1, "combined"] == pytest.approx(0.6 * 80 + 0.4 * 100)
    assert "未达法定人数" not in found.loc[1, "detail"]


def test_more_than_half_of_the_members_or_the_source_is_named_and_left_out():
    found = combine_sources(RATINGS, WEIGHTS, entitled=MEMBERS, quorum_share=0.5)
    # branch 1: 3 of 10 members voted (6 needed): the superior alone counts
    assert found.loc[1, "combined"] == pytest.approx(100)
    assert "党员群众 3 票，应参评 10 人，未达法定人数（须 6 票），不计" in found.loc[1, "detail"]
    # branch 2: 6 of 10 voted: both count
    assert found.loc[2, "combined"] == pytest.approx(0.6 * 80 + 0.4 * 90)
    assert "未达法定人数" not in found.loc[2, "detail"]


def test_a_scheme_may_count_a_source_below_its_quorum_as_zero():
    found = combine_sources(RATINGS, WEIGHTS, entitled=MEMBERS, quorum_share=0.5, below_quorum="zero")
    assert found.loc[1, "combined"] == pytest.approx(0.6 * 0 + 0.4 * 100)
    assert "党员群众 3 票，应参评 10 人，未达法定人数（须 6 票），按 0 分计（权重 0.6）" in found.loc[1, "detail"]


def test_the_fixed_quorum_stays_the_floor_of_a_share():
    found = combine_sources(RATINGS, WEIGHTS, quorum=7, entitled={"members": pd.Series({1: 4, 2: 4})},
                            quorum_share=0.5)
    assert "党员群众 6 票，应参评 4 人，未达法定人数（须 7 票），不计" in found.loc[2, "detail"]
