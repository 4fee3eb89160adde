"""Deadlines and bars counted from publication (PolicyContext.published_on), by hand, through the database: the
day a period is first published is stored, policies count from it, and a correction weeks later applies them
again from the same day."""

from __future__ import annotations

import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlmodel import Session, select

from bastion import hookimpl
from bastion.core import scoring
from bastion.core.contributions import AWARD_COLUMNS, IncentivePolicy, PolicyContext
from bastion.core.corrections import correct_points
from bastion.core.lifecycle import AlreadyDone
from bastion.core.models import Incentive, LedgerEntry
from bastion.core.registry import Registry
from bastion.core.results import read_results
from bastion.core.scheme import Scheme
from tests import factories
from tests.core.people import person

SCHEME = {
    "id": "deadline-test", "version": "1", "name": "整改期限测试方案", "total_points": 100,
    "blocks": [{"code": "A", "name": "组织生活", "indicators": [
        {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 100, "rule": "ledger_target",
         "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
    ]}],
    "grades": [{"name": "合格", "min_score": 60}, {"name": "不合格", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "前列", "share": 0.5}, {"name": "其余", "share": 0.5}]},
    "policies": ["rectify-in-30-days"],
}


class RectifyIn30Days(IncentivePolicy):
    """不合格 branches rectify within 30 days of the results' publication and are barred from 评先 for a year."""

    name = "rectify-in-30-days"
    description = "不合格的支部自结果发布之日起 30 天内整改，一年内取消评先资格"

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        failing = results[results["grade"] == "不合格"]
        return pd.concat([
            pd.DataFrame({"org_id": failing["org_id"], "kind": "rectification", "code": "rectify",
                          "title": f"{context.period.label}考核不合格，限期整改", "effect": [{}] * len(failing),
                          "effective_until": context.after_publication(days=30)}),
            pd.DataFrame({"org_id": failing["org_id"], "kind": "sanction", "code": "barred",
                          "title": "一年内取消评先资格", "effect": [{}] * len(failing),
                          "effective_until": context.after_publication(years=1)}),
        ], ignore_index=True)[AWARD_COLUMNS]


@hookimpl
def bastion_schemes():
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_incentive_policies():
    return [RectifyIn30Days()]


@pytest.fixture
def published(engine):
    """Branches A (every month of H1) and B (two months): H1 scored, and published on 15 July 2026 at 10:00 in
    Beijing."""
    registry = Registry.load(extra=[("deadline-test", sys.modules[__name__])])
    tenant = factories.tenant(engine, registry, plugins=("standard-rules", "standard-ledgers", "deadline-test"))
    cycle = factories.cycle(engine, registry, tenant, scheme_id="deadline-test")
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "机关"})
    with Session(engine) as session:
        for code, months in {"A": range(1, 7), "B": range(1, 3)}.items():
            session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=ids[code], type="committee_meeting",
                                        date=date(2026, m, 5), title=f"{m}月支委会") for m in months)
        session.commit()
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    on = datetime(2026, 7, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test", now=on)
    return tenant, cycle, registry


def awards(engine) -> dict[str, date]:
    with Session(engine) as session:
        return {a.code: a.effective_until for a in session.exec(select(Incentive)).all()}


def test_a_deadline_30_days_after_publication(engine, published):
    tenant, cycle, registry = published
    # B: 2 of 6 months → 33.33, 不合格. Published 15 July: due 30 days later, 14 August; barred until 15 July 2027 —
    # not counted from the half-year's end (30 June: 30 July).
    assert awards(engine) == {"rectify": date(2026, 8, 14), "barred": date(2027, 7, 15)}
    with engine.connect() as conn:
        results = read_results(conn, cycle.id, "2026-H1").set_index("code")
    assert results.loc["B", "grade"] == "不合格"
    assert set(results["published_at"].dt.tz_convert("Asia/Shanghai").dt.date) == {date(2026, 7, 15)}


def test_a_correction_later_counts_from_the_first_publication(engine, published):
    tenant, cycle, registry = published
    admin = person(engine, tenant, "deadline_admin", ("admin", "DW"))
    # Today (the real clock, long after July 2026), A's line is corrected: the policies run again, and B's
    # deadline and bar stay counted from 15 July.
    correct_points(engine, admin, cycle=cycle, period="2026-H1", org_code="A", indicator_code="M1", points=90,
                   reason="复核更正", registry=registry)
    assert awards(engine) == {"rectify": date(2026, 8, 14), "barred": date(2027, 7, 15)}
    with engine.connect() as conn:
        results = read_results(conn, cycle.id, "2026-H1")
    assert set(results["published_at"].dt.tz_convert("Asia/Shanghai").dt.date) == {date(2026, 7, 15)}
    # Publishing again acts once: nothing is stamped anew.
    with pytest.raises(AlreadyDone):
        scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    assert awards(engine) == {"rectify": date(2026, 8, 14), "barred": date(2027, 7, 15)}
