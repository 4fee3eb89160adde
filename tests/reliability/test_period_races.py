"""One writer per period: scoring, publishing, confirming, correcting and stage runs at the same moment.

Each race runs the writers in threads, each on its own connections (as separate processes would:
the leases are rows of the database, not Python locks), on SQLite and on PostgreSQL. Whatever
the interleaving, what the database holds at the end is what one writer after the other leaves,
and the audit trail says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bastion.core import lifecycle, locks, scoring
from bastion.core.corrections import correct_points
from bastion.core.cycles import cycle_scheme
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import AuditEvent, Check, Evaluation, Incentive, Rectification, StageRun
from bastion.core.stages import service as stages
from tests import factories

pytestmark = pytest.mark.storage


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


@pytest.fixture(autouse=True)
def short_waits(monkeypatch):
    """A second writer waits 2 s for the first before it is refused (30 s by default)."""
    monkeypatch.setenv("BASTION_LOCK_WAIT", "2")


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run ``calls`` in threads released together; each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[i] = call()
        except BaseException as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return outcomes


def statuses(engine, cycle, period: str) -> set[str]:
    with engine.connect() as conn:
        return {s for (s,) in conn.execute(select(Evaluation.status).where(Evaluation.cycle_id == cycle.id,
                                                                           Evaluation.period == period).distinct())}


def actions(engine, tenant_id: int) -> list[str]:
    with Session(engine) as session:
        return [a for (a,) in session.exec(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)
                                           .order_by(AuditEvent.id))]


def awards(engine, cycle) -> list[tuple]:
    with Session(engine) as session:
        return sorted((i.org_id, i.period, i.policy, i.code)
                      for i in session.exec(select(Incentive).where(Incentive.cycle_id == cycle.id)).scalars())


def test_score_and_publish_at_once_never_undo_a_publication(engine, registry):
    tenant, cycle = factories.enterprise(engine, registry, "race", branches=12)
    for period in ("2026-01", "2026-02", "2026-03", "2026-Q1"):
        scoring.score_period(engine, cycle=cycle, period_key=period, registry=registry, actor="first")
        outcomes = at_once(
            lambda p=period: scoring.score_period(engine, cycle=cycle, period_key=p, registry=registry, actor="again"),
            lambda p=period: scoring.publish_period(engine, cycle=cycle, period_key=p, registry=registry,
                                                    actor="office"),
        )
        for outcome in outcomes:
            assert not isinstance(outcome, BaseException) or isinstance(outcome, Conflict), outcome
        published = not isinstance(outcomes[1], BaseException)
        trail = [a for a in actions(engine, tenant.id) if a in ("score", "publish")]
        assert statuses(engine, cycle, period) == ({"published"} if published else {"draft"}), (period, outcomes)
        if published:  # the publication is the period's last word: no score after it
            assert trail[-1] == "publish"
    with engine.connect() as conn:
        assert conn.execute(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id)).first() is not None


def test_a_second_writer_waits_then_is_refused_naming_who_holds_the_period(engine, registry, monkeypatch):
    _, cycle = factories.enterprise(engine, registry, "held", branches=6)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="first")
    inside, done = threading.Event(), threading.Event()
    real = scoring.read_inputs

    def slow_read(*args, **kwargs):
        inside.set()
        done.wait(20)  # the scorer holds the period until the publisher has given up
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "read_inputs", slow_read)

    def publish_once_scoring_holds_it():
        inside.wait(20)
        try:
            return scoring.publish_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry,
                                          actor="office")
        finally:
            done.set()

    scored, published = at_once(
        lambda: scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="小王"),
        publish_once_scoring_holds_it)
    assert isinstance(published, locks.Held), published
    assert "考核期 2026-Q1 发布：正由 小王（2026 考核年度考核期 2026-Q1 评分" in str(published)
    assert not isinstance(scored, BaseException) and statuses(engine, cycle, "2026-Q1") == {"draft"}


def test_results_under_review_are_neither_rescored_nor_published_without_a_leader(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "review", branches=8)
    run = stages.run_stage(ctx, cycle, "annual", period="2026", on=date(2027, 1, 15))
    assert run.status == "awaiting_review"
    before = _totals(engine, cycle, "2026")
    with pytest.raises(Conflict, match="正待领导审核，不能重新评分"):
        scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="office")
    with pytest.raises(Conflict, match="须由领导确认后发布"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="office")
    assert statuses(engine, cycle, "2026") == {"reviewed"} and _totals(engine, cycle, "2026") == before
    done = stages.confirm_review(ctx, cycle, "2026", today=date(2027, 1, 16))
    assert done.status == "succeeded" and statuses(engine, cycle, "2026") == {"published"}
    trail = actions(engine, tenant.id)
    assert trail.index("put_to_review") < trail.index("confirm") < trail.index("publish")


def _totals(engine, cycle, period):
    with engine.connect() as conn:
        return sorted(conn.execute(select(Evaluation.org_id, Evaluation.total)  # the branches' (the 党总支 roll up)
                                   .where(Evaluation.cycle_id == cycle.id, Evaluation.period == period,
                                          Evaluation.level == "branch")).all())


@pytest.mark.parametrize("stage", ["half_year", "rectification", "spot_check"])
def test_two_copies_of_a_stage_act_once(engine, registry, ctx, stage):
    tenant, cycle = factories.enterprise(engine, registry, "twice")
    if stage == "rectification":  # notices follow the awards of a published period
        stages.run_stage(ctx, cycle, "half_year", period="2026-H1")
    kwargs = {"half_year": {"period": "2026-H1"}, "rectification": {"on": date(2026, 7, 20)},
              "spot_check": {"on": date(2026, 3, 2)}}[stage]
    outcomes = at_once(*[lambda: stages.run_stage(ctx, cycle, stage, **kwargs)] * 3)
    ran = [o for o in outcomes if isinstance(o, StageRun)]
    assert len(ran) == 1 and all(o is None or isinstance(o, locks.Held) for o in outcomes if o is not ran[0]), outcomes
    with Session(engine) as session:
        runs = session.exec(select(StageRun).where(StageRun.tenant_id == tenant.id, StageRun.stage == stage)).scalars().all()
        assert [(r.status, r.attempts) for r in runs] == [("succeeded", 1)]
        notices = session.exec(select(Rectification).where(Rectification.cycle_id == cycle.id)).scalars().all()
        checks = session.exec(select(Check).where(Check.cycle_id == cycle.id, Check.kind == "spot")).scalars().all()
    if stage == "half_year":
        assert len(awards(engine, cycle)) == len(set(awards(engine, cycle))) == ran[0].detail["awards"] > 0
    if stage == "rectification":
        assert len(notices) == len(ran[0].detail["issued"]) > 0
        assert len({n.incentive_id for n in notices if n.incentive_id}) == len([n for n in notices if n.incentive_id])
    if stage == "spot_check":
        assert sorted(c.id for c in checks) == ran[0].detail["checks"]


def test_a_correction_removing_an_award_withdraws_its_notice(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "withdraw")
    stages.run_stage(ctx, cycle, "half_year", period="2026-H1")
    stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 20))
    with Session(engine) as session:
        notice = session.exec(select(Rectification).where(Rectification.cycle_id == cycle.id,
                                                          Rectification.incentive_id.is_not(None))).scalars().first()
        award = session.get(Incentive, notice.incentive_id)
    org_code, lines = _lines(engine, cycle, "2026-H1", award.org_id)
    admin = _admin(engine, tenant)
    for line in lines:  # every point restored: the branch is no longer 不合格
        correct_points(engine, admin, cycle=cycle, period="2026-H1", org_code=org_code,
                       indicator_code=line["indicator_code"], points=line["max_points"], reason="申诉成立",
                       registry=registry)
    with Session(engine) as session:
        assert session.get(Incentive, award.id) is None
        withdrawn = session.get(Rectification, notice.id)
        assert withdrawn.status == "withdrawn" and withdrawn.incentive_id is None
        trail = session.exec(select(AuditEvent).where(AuditEvent.action == "withdraw")).scalars().all()
    assert {(e.entity, e.entity_id) for e in trail} >= {("incentive", str(award.id)), ("rectification", str(notice.id))}


def test_corrections_work_in_every_state_the_period_can_be_in(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "states", branches=6)
    admin = _admin(engine, tenant)
    some = next(i.code for i in cycle_scheme(cycle).indicators() if i.kind == "controllable")
    with pytest.raises(BastionError, match="考核期 2026-Q2 尚未评分"):
        correct_points(engine, admin, cycle=cycle, period="2026-Q2", org_code="X", indicator_code=some, points=0,
                       reason="r", registry=registry)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry, actor="office")  # draft
    stages.run_stage(ctx, cycle, "annual", period="2026", on=date(2027, 1, 15))  # reviewed
    stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1")  # published
    for period, state in (("2026-Q2", "draft"), ("2026", "reviewed"), ("2026-Q1", "published")):
        with engine.connect() as conn:
            assert lifecycle.state(conn, cycle.id, period) == state
        # a branch with a point short of full on a line the period assesses
        org_code, line = next((code, li) for code, lines in (_lines(engine, cycle, period, org_id)
                                                             for org_id, *_ in _totals(engine, cycle, period))
                              for li in lines if li["points"] < li["max_points"])
        done = correct_points(engine, admin, cycle=cycle, period=period, org_code=org_code,
                              indicator_code=line["indicator_code"], points=line["max_points"], reason="复核更正",
                              registry=registry)
        assert done.new_points == line["max_points"]
        assert statuses(engine, cycle, period) == {state}


def _lines(engine, cycle, period, org_id):
    from bastion.core.models import Organization
    from bastion.core.results import explain

    with Session(engine) as session:
        code = session.get(Organization, org_id).code
    with engine.connect() as conn:
        lines = explain(conn, cycle=cycle, period=period, org_code=code).lines
    return code, [li for li in lines if li["kind"] in ("controllable", "flexible") and li["assessed"]]


def _admin(engine, tenant):
    from bastion.core import users
    from bastion.core.models import Tenant

    with Session(engine) as session:
        users.create_user(session, tenant=session.get(Tenant, tenant.id), username="admin", password="Admin-2026!",
                          display_name="管理员", grants=[("admin", None)], actor="test")
        session.commit()
    with Session(engine) as session:
        return users.principal_of(session, users.find_user(session, tenant.id, "admin"))
