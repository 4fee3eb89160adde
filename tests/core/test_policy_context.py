"""Deadlines and bars counted from publication (PolicyContext.published_on), by hand, through the database: the
day a period is first published is stored, policies count from it, and a correction weeks later applies them
again from the same day. The notices the follow-up issues for those awards are due on the same days (an award
without a day of its own: 30 days after publication); the day is the tenant's (Asia/Shanghai); a stamp lost is
found again in the audit trail."""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from bastion import hookimpl
from bastion.core import scoring
from bastion.core.contributions import AWARD_COLUMNS, IncentivePolicy, PolicyContext, PolicyCycle
from bastion.core.corrections import correct_points
from bastion.core.db import transaction
from bastion.core.lifecycle import AlreadyDone
from bastion.core.models import Evaluation, Incentive, LedgerEntry, Rectification
from bastion.core.periods import Period, day_of, moment_on
from bastion.core.rectification import service as rectification
from bastion.core.registry import Registry
from bastion.core.results import read_results, results_records
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


NOTICE_SCHEME = {
    "id": "policy-context-test", "version": "1", "name": "发布日起算测试方案", "total_points": 100,
    "blocks": [{"code": "A", "name": "组织生活", "indicators": [
        {"code": "M1", "name": "支委会每月召开", "kind": "controllable", "points": 100, "rule": "ledger_target",
         "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
    ]}],
    "grades": [{"name": "好", "min_score": 85}, {"name": "一般", "min_score": 60}, {"name": "差", "min_score": 0}],
    "tiers": {"method": "rank_share", "bands": [{"name": "前列", "share": 0.5}, {"name": "其余", "share": 0.5}]},
    "policies": ["from-publication"],
}

SEEN: list[PolicyContext] = []


class FromPublication(IncentivePolicy):
    """差: rectify within 30 days of publication (整改通知书) and barred from 评先选优 for a year from it;
    一般: a self-check (自查整改) whose notice is due when the platform says (no date of its own)."""

    name = "from-publication"
    description = "差：自发布之日起 30 天内整改，一年内取消评先资格；一般：自查整改"

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        SEEN.append(context)
        poor = results[results["grade"] == "差"]
        fair = results[results["grade"] == "一般"]
        due = context.after_publication(days=30)
        return pd.concat([
            pd.DataFrame({"org_id": poor["org_id"], "kind": "rectification", "code": "rectify_30",
                          "title": f"{context.period.label}考核为差，限 {due:%Y年%m月%d日} 前整改到位",
                          "effect": [{"deadline_days": 30}] * len(poor), "effective_until": due}),
            pd.DataFrame({"org_id": poor["org_id"], "kind": "sanction", "code": "barred",
                          "title": "一年内取消评先选优资格", "effect": [{"barred_from": "评先选优"}] * len(poor),
                          "effective_until": context.after_publication(years=1)}),
            pd.DataFrame({"org_id": fair["org_id"], "kind": "rectification", "code": "self_check",
                          "title": "自查整改", "effect": [{}] * len(fair), "effective_until": None}),
        ], ignore_index=True)[AWARD_COLUMNS]


@hookimpl
def bastion_schemes():
    return [Scheme.model_validate(SCHEME), Scheme.model_validate(NOTICE_SCHEME)]


@hookimpl
def bastion_incentive_policies():
    return [RectifyIn30Days(), FromPublication()]


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


# --- notices, the tenant's day, a stamp lost: a second scheme whose policy also gives an undated rectification ---

# 17:00 UTC on 14 January is 01:00 on 15 January in Beijing: the tenant's day is the 15th.
PUBLISHED_AT = datetime(2027, 1, 14, 17, 0, tzinfo=UTC)


@pytest.fixture
def my_registry() -> Registry:
    return Registry.load(extra=[("deadline-test", sys.modules[__name__])])


@pytest.fixture
def noticed(engine, my_registry):
    """Branches A (a committee meeting every month: 100, 好), B (six months: 50, 差) and C (ten months: 83.33,
    一般); the year scored and published at :data:`PUBLISHED_AT`."""
    SEEN.clear()
    tenant = factories.tenant(engine, my_registry,
                              plugins=("standard-rules", "standard-ledgers", "deadline-test"))
    cycle = factories.cycle(engine, my_registry, tenant, scheme_id="policy-context-test")
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "机关", "C": "机关"})
    with Session(engine) as session:
        for code, months in {"A": range(1, 13), "B": range(1, 7), "C": range(1, 11)}.items():
            session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=ids[code], type="committee_meeting",
                                        date=date(2026, m, 5), title=f"{m}月支委会") for m in months)
        session.commit()
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=my_registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=my_registry, actor="test",
                           now=PUBLISHED_AT)
    return tenant, cycle, ids


def awards_by_branch(engine, ids) -> dict[tuple[str, str], tuple[int, date | None]]:
    codes = {v: k for k, v in ids.items()}
    with Session(engine) as session:
        return {(codes[i.org_id], i.code): (i.id, i.effective_until) for i in session.exec(select(Incentive))}


def notices(engine, ids) -> dict[tuple[str, str], tuple[date, date, str]]:
    codes = {v: k for k, v in ids.items()}
    with Session(engine) as session:
        return {(codes[n.org_id], n.problem): (n.issued_at, n.deadline, n.status)
                for n in session.exec(select(Rectification))}


def follow_up(engine, cycle, today: date) -> list[str]:
    with transaction(engine) as session:
        return rectification.follow_up(session, cycle, today, actor="督查组").issued


def test_notices_and_a_branch_failing_after_a_correction_count_from_the_first_publication(engine, my_registry, noticed):
    tenant, cycle, ids = noticed
    # The policy saw the day of publication in Beijing, the cycle as plain values, the cycle's frozen scheme.
    (context,) = SEEN
    assert context.published_on == date(2027, 1, 15)
    assert context.cycle == PolicyCycle(cycle.id, 2026, cycle.name, "deadline-test")
    assert (context.year, context.scheme_id, context.scheme_version) == (2026, "policy-context-test", "1")
    assert context.scheme == Scheme.model_validate(NOTICE_SCHEME)
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.cycle.year = 2027  # a policy reads the cycle, it cannot write through it

    # By hand: 15 January + 30 days = 14 February; a year from 15 January 2027 = 15 January 2028.
    first = awards_by_branch(engine, ids)
    assert {k: until for k, (_, until) in first.items()} == {
        ("B", "rectify_30"): date(2027, 2, 14), ("B", "barred"): date(2028, 1, 15), ("C", "self_check"): None}
    with engine.connect() as conn:
        results = read_results(conn, cycle.id, "2026")
    assert set(results["published_at"]) == {pd.Timestamp(PUBLISHED_AT)}
    assert {r["published_at"] for r in results_records(results)} == {"2027-01-14T17:00:00+00:00"}

    # The follow-up issues the notices five days later: B's is due on its award's day; C's award names no day,
    # so its notice is due 30 days after publication (14 February), not 30 days after it is issued (19 February).
    assert len(follow_up(engine, cycle, date(2027, 1, 20))) == 2
    assert notices(engine, ids) == {
        ("B", "2026年度考核为差，限 2027年02月14日 前整改到位"): (date(2027, 1, 20), date(2027, 2, 14), "issued"),
        ("C", "自查整改"): (date(2027, 1, 20), date(2027, 2, 14), "issued")}

    # A correction (today, by the real clock) lowers C from 83.33 to 50: C is 差 now. The policies are applied again
    # with the same publication day, so C's deadline and bar are counted from 15 January too, and B's stay.
    admin = person(engine, tenant, "policy_admin", ("admin", "DW"))
    correct_points(engine, admin, cycle=cycle, period="2026", org_code="C", indicator_code="M1", points=50,
                   reason="复核：两次支委会记录不实", registry=my_registry)
    assert SEEN[-1].published_on == date(2027, 1, 15)
    again = awards_by_branch(engine, ids)
    assert {k: until for k, (_, until) in again.items()} == {
        ("B", "rectify_30"): date(2027, 2, 14), ("B", "barred"): date(2028, 1, 15),
        ("C", "rectify_30"): date(2027, 2, 14), ("C", "barred"): date(2028, 1, 15)}
    assert again[("B", "rectify_30")][0] == first[("B", "rectify_30")][0]  # kept, with its id
    with engine.connect() as conn:
        assert set(read_results(conn, cycle.id, "2026")["published_at"]) == {pd.Timestamp(PUBLISHED_AT)}
    # C's self-check notice is withdrawn with its award; its new notice is due 14 February, however late issued.
    follow_up(engine, cycle, date(2027, 2, 1))
    after = notices(engine, ids)
    assert after[("C", "自查整改")] == (date(2027, 1, 20), date(2027, 2, 14), "withdrawn")
    assert after[("C", "2026年度考核为差，限 2027年02月14日 前整改到位")] == (date(2027, 2, 1), date(2027, 2, 14), "issued")


def test_results_published_before_the_moment_was_stored_take_it_from_the_audit_trail(engine, my_registry, noticed):
    """A period published before revision 0011 has no ``published_at``: applying its policies again stamps the
    moment its first ``publish`` was audited with, and counts from that day."""
    tenant, cycle, ids = noticed
    with transaction(engine) as session:
        session.connection().execute(update(Evaluation.__table__).values(published_at=None))
    with transaction(engine) as session:
        moment = scoring.publication(session.connection(), cycle, Period.parse("2026"))
    assert moment == PUBLISHED_AT
    with engine.connect() as conn:
        assert set(read_results(conn, cycle.id, "2026")["published_at"]) == {pd.Timestamp(PUBLISHED_AT)}


def test_publishing_stamps_the_moment_once_and_the_policies_read_that_one(engine, my_registry, noticed):
    tenant, cycle, ids = noticed
    later = datetime(2027, 3, 1, tzinfo=UTC)
    with transaction(engine) as session:  # stamped already: a later moment does not replace it
        assert scoring.publication(session.connection(), cycle, Period.parse("2026"), now=later) == PUBLISHED_AT
    # A draft period published on a given day (as a stage does for the day it acts on) counts from that day.
    # The third quarter: B held no meeting (0, 差), published on 10 October.
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q3", registry=my_registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-Q3", registry=my_registry, actor="test",
                           now=moment_on(date(2026, 10, 10)))
    assert SEEN[-1].published_on == date(2026, 10, 10) and SEEN[-1].period.key == "2026-Q3"
    with Session(engine) as session:
        q3 = {(i.org_id, i.code): i.effective_until
              for i in session.exec(select(Incentive).where(Incentive.period == "2026-Q3"))}
    assert q3 == {(ids["B"], "rectify_30"): date(2026, 11, 9), (ids["B"], "barred"): date(2027, 10, 10)}


def test_the_tenants_day_and_counting_from_it():
    assert day_of(datetime(2027, 1, 14, 15, 59, tzinfo=UTC)) == date(2027, 1, 14)  # 23:59 in Beijing
    assert day_of(datetime(2027, 1, 14, 16, 0, tzinfo=UTC)) == date(2027, 1, 15)  # midnight in Beijing
    assert day_of(datetime(2027, 1, 14, 16, 0)) == date(2027, 1, 15)  # naive (SQLite): UTC
    assert day_of(moment_on(date(2026, 7, 10))) == date(2026, 7, 10)
    now = datetime(2026, 7, 10, 3, tzinfo=UTC)
    assert moment_on(date(2026, 7, 10), now=now) == now  # today: the clock's moment
    context = PolicyContext("acme", PolicyCycle(1, 2024), Period.parse("2024"), Scheme.model_validate(NOTICE_SCHEME),
                            date(2024, 2, 29))
    assert context.after_publication(days=30) == date(2024, 3, 30)
    assert context.after_publication(years=1) == date(2025, 2, 28)  # no 29 February in 2025
    assert context.after_publication(years=4) == date(2028, 2, 29)
    assert context.after_publication() == date(2024, 2, 29)
