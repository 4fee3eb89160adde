"""Frozen inputs and ``verify``: a closed period is scored from the facts recorded up to its scoring, and scored
again it gives what is stored — or each difference, named."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bastion.core import cycles, scoring
from bastion.core.corrections import correct_points
from bastion.core.cycles import cycle_scheme
from bastion.core.db import transaction
from bastion.core.engine import resolve_targets
from bastion.core.errors import BastionError
from bastion.core.ledger import service as ledger_service
from bastion.core.models import (
    AuditEvent,
    Evaluation,
    EvaluationLine,
    Lease,
    LedgerEntry,
    Organization,
    Rating,
    utcnow,
)
from bastion.core.periods import Period
from bastion.core.results import explain, read_results
from bastion.core.stages import service as stages
from bastion.core.verify import verify_period
from tests import factories
from tests.core import people

pytestmark = pytest.mark.storage

H1 = Period.parse("2026-H1")


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


def publish(engine, registry, cycle, key: str) -> None:
    scoring.score_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test")


def fingerprint(engine) -> tuple:
    """Every table's row count and greatest id, the audit trail's last hash: what a write would change."""
    from sqlmodel import SQLModel

    found = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            found.append((table.name, conn.execute(select(func.count()).select_from(table)).scalar()))
        found.append(conn.execute(select(func.max(AuditEvent.id))).scalar())
        found.append(tuple(conn.execute(select(Evaluation.__table__.c.id, Evaluation.__table__.c.total,
                                               Evaluation.__table__.c.rank).order_by(Evaluation.__table__.c.id))))
    return tuple(found)


def read_only(engine):
    """The same database through connections that cannot write (SQLite ``mode=ro``, PostgreSQL read-only
    transactions)."""
    if engine.dialect.name == "sqlite":
        return create_engine(f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    return create_engine(engine.url.render_as_string(hide_password=False),
                         connect_args={"options": "-c default_transaction_read_only=on"})


def line_of(engine, cycle, key: str, org_code: str, indicator: str) -> float:
    with engine.connect() as conn:
        lines = explain(conn, cycle=cycle, period=key, org_code=org_code).lines
    return next(r["points"] for r in lines if r["indicator_code"] == indicator)


def test_the_published_periods_of_a_year_verify_identical_reading_only(engine, registry, ctx):
    _, cycle = factories.enterprise(engine, registry, "acme", auto_confirm=True, branches=12)
    for stage, key, on in (("quarterly", "2026-Q1", date(2026, 4, 3)), ("half_year", "2026-H1", date(2026, 7, 3)),
                           ("annual", "2026", date(2027, 1, 10))):
        assert stages.run_stage(ctx, cycle, stage, period=key, on=on).status == "succeeded"
    before = fingerprint(engine)
    ro = read_only(engine)
    try:
        with pytest.raises(DBAPIError), ro.begin() as conn:  # it truly cannot write
            conn.execute(insert(Lease.__table__).values(name="x", token="x", actor="x", host="x", pid=1,
                                                        acquired_at=utcnow(), expires_at=utcnow()))
        for key in ("2026-Q1", "2026-H1", "2026"):
            found = verify_period(ro, cycle=cycle, period_key=key, registry=registry)
            assert found.identical, found.differences
            assert found.status == "published" and found.organizations >= 12 and found.lines > 12 * 10
            assert (found.scheme_id, found.corrections) == ("study-education", 0)
    finally:
        ro.dispose()
    assert fingerprint(engine) == before


def test_the_annual_stage_ends_by_verifying_and_records_the_outcome(engine, registry, ctx):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=8)
    assert stages.run_stage(ctx, cycle, "annual", period="2026", on=date(2027, 1, 10)).status == "awaiting_review"
    with engine.connect() as conn:
        first = read_results(conn, cycle.id, "2026").iloc[0]
    with engine.begin() as conn:  # behind the application's back, while the results await the leaders' review
        conn.execute(update(Rating.__table__).where(Rating.__table__.c.org_id == int(first.org_id))
                     .values(score=0))
    done = stages.confirm_review(ctx, cycle, "2026", today=date(2027, 1, 12))
    assert done.status == "succeeded"
    verified = done.detail["verify"]
    assert verified["identical"] is False and verified["differences"] >= 2
    assert {d["org_code"] for d in verified["first"]} >= {first.code}

    _, auto = factories.enterprise(engine, registry, "auto", auto_confirm=True, branches=8)
    run = stages.run_stage(ctx, auto, "annual", period="2026", on=date(2027, 1, 10))
    assert run.detail["verify"]["identical"] is True and run.detail["verify"]["differences"] == 0


def _ledger_line(engine, cycle, key: str) -> tuple[str, str, str, float]:
    """A branch, a ledger-counted indicator with points in ``key`` and its ledger type, and the points."""
    scheme = cycle_scheme(cycle)
    counted = {s.code: s.params["ledger_type"] for s in scheme.indicators() if s.rule == "ledger_target"}
    with engine.connect() as conn:
        for code in read_results(conn, cycle.id, key)["code"]:
            for line in explain(conn, cycle=cycle, period=key, org_code=code).lines:
                if line["indicator_code"] in counted and line["points"] > 0:
                    return code, line["indicator_code"], counted[line["indicator_code"]], line["points"]
    raise AssertionError("no ledger-counted line with points")


def _org_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.execute(select(Organization.id).where(Organization.code == code)).scalar_one()


@pytest.mark.parametrize("tamper", ["delete", "update"])
def test_a_fact_changed_behind_a_published_score_is_named(engine, registry, tamper):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=10)
    publish(engine, registry, cycle, "2026-H1")
    code, indicator, ledger_type, points = _ledger_line(engine, cycle, "2026-H1")
    e = LedgerEntry.__table__.c
    theirs = ((e.org_id == _org_id(engine, code)) & (e.type == ledger_type) & (e.date >= H1.start)
              & (e.date < H1.end))
    with engine.begin() as conn:
        if tamper == "delete":
            conn.execute(delete(LedgerEntry.__table__).where(theirs))
        else:  # an entry's quantity and its date moved out of the period: what a hand edit might do
            conn.execute(update(LedgerEntry.__table__).where(theirs).values(date=date(2026, 8, 1), quantity=1))

    found = verify_period(engine, cycle=cycle, period_key="2026-H1", registry=registry)

    assert not found.identical
    named = found.differences.set_index(["org_code", "indicator_code", "field"])
    assert named.loc[(code, indicator, "points"), "stored"] == pytest.approx(points)
    assert named.loc[(code, indicator, "points"), "recomputed"] < points
    assert (code, "", "total") in named.index
    lines = found.differences[~found.differences["indicator_code"].isin(["", "ROLLUP"])]
    assert set(lines["org_code"]) == {code}  # other branches' lines stand; their ranks, and the roll-ups, may move


def test_a_fact_recorded_after_publication_changes_nothing_published_and_corrections_verify(engine, registry):
    tenant, cycle = factories.enterprise(engine, registry, "acme", branches=10)
    publish(engine, registry, cycle, "2026-H1")
    code, indicator, ledger_type, points = _ledger_line(engine, cycle, "2026-H1")
    # A fact dated in the published half-year, recorded after it was published — as if it got past the entry
    # points (they refuse it: test_import_rules, test_workspace), e.g. an import from before the rule.
    with transaction(engine) as session:
        late = LedgerEntry(tenant_id=tenant.id, org_id=_org_id(engine, code), type=ledger_type, date=date(2026, 3, 9),
                           title="迟到的台账", recorded_by="test")
        session.add(late)
        session.flush()
        late_id = late.id

    frozen = scoring.read_inputs(engine, cycle=cycle, period=H1, registry=registry)
    assert late_id not in set(frozen.facts.ledger["id"].astype(int))
    open_year = scoring.read_inputs(engine, cycle=cycle, period=Period.parse("2026"), registry=registry)
    assert late_id in set(open_year.facts.ledger["id"].astype(int))  # the year is open: everything counts
    assert verify_period(engine, cycle=cycle, period_key="2026-H1", registry=registry).identical

    with engine.connect() as conn:
        committee = conn.execute(select(Organization.code).where(Organization.tenant_id == tenant.id,
                                                                 Organization.level == "committee")).scalar_one()
        before = read_results(conn, cycle.id, "2026-H1").set_index("code")
    admin = people.person(engine, tenant, "boss", ("admin", committee))
    done = correct_points(engine, admin, cycle=cycle, period="2026-H1", org_code=code, indicator_code=indicator,
                          points=0, reason="申诉复核：记录不实", registry=registry)
    with engine.connect() as conn:
        after = read_results(conn, cycle.id, "2026-H1").set_index("code")
    assert done.old_points == pytest.approx(points)  # the late entry changed nothing it started from
    assert after.loc[code, "base_points"] == pytest.approx(before.loc[code, "base_points"] - points)
    others = [c for c in before.index if c != code]
    assert after.loc[others, "base_points"].to_dict() == before.loc[others, "base_points"].to_dict()

    found = verify_period(engine, cycle=cycle, period_key="2026-H1", registry=registry)
    assert found.identical and found.corrections == 1

    e = LedgerEntry.__table__.c  # the facts behind the corrected line, changed: the correction no longer fits them
    with engine.begin() as conn:
        conn.execute(delete(LedgerEntry.__table__).where(e.org_id == _org_id(engine, code), e.type == ledger_type,
                                                         e.date >= H1.start, e.date < H1.end, e.id != late_id))
    named = verify_period(engine, cycle=cycle, period_key="2026-H1", registry=registry).differences
    moved = named[(named["org_code"] == code) & (named["field"] == "points_before_correction")]
    assert list(moved["indicator_code"]) == [indicator] and moved["stored"].item() == pytest.approx(points)


def test_drafts_a_fact_recorded_since_outdates_are_not_published(engine, registry):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=6)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    with engine.connect() as conn:  # closed here: a connection left open would hold its tables from the teardown
        org = int(read_results(conn, cycle.id, "2026-Q1").iloc[0].org_id)
    with transaction(engine) as session:
        ledger_service.record_entry(session, cycle=cycle, org_id=org, ledger_type="committee_meeting",
                                    day=date(2026, 2, 20), title="支委会", registry=registry, actor="sec")
    with pytest.raises(scoring.Outdated, match=r"其后又记录了该期的 1 条台账：请先重新评分（bastion score --period "
                                               r"2026-Q1），再发布"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    with engine.connect() as conn:
        assert {r.status for r in read_results(conn, cycle.id, "2026-Q1").itertuples()} == {"draft"}
    publish(engine, registry, cycle, "2026-Q1")
    assert verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry).identical


@pytest.mark.parametrize(("stage", "key", "on", "auto"), [("quarterly", "2026-Q1", date(2026, 4, 3), True),
                                                          ("annual", "2026", date(2027, 1, 10), False)])
def test_a_stage_scores_again_when_a_fact_comes_in_while_it_scores(engine, registry, ctx, monkeypatch, stage, key,
                                                                   on, auto):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=6, auto_confirm=auto)
    real, calls = scoring.score_period, []

    def score_and_a_fact_arrives(*args, **kwargs):
        summary = real(*args, **kwargs)
        calls.append(summary.period)
        if len(calls) == 1:  # the secretary records an entry of the period right after the run took its facts
            with transaction(engine) as session:
                org = session.execute(select(Organization.id).where(Organization.level == "branch")).scalars().first()
                ledger_service.record_entry(session, cycle=cycle, org_id=org, ledger_type="committee_meeting",
                                            day=date(2026, 3, 3), title="支委会", registry=registry, actor="sec")
        return summary

    monkeypatch.setattr(scoring, "score_period", score_and_a_fact_arrives)
    run = stages.run_stage(ctx, cycle, stage, period=key, on=on)
    assert run.status == ("succeeded" if auto else "awaiting_review") and calls == [key, key]
    with engine.connect() as conn:
        scored = conn.execute(select(func.max(Evaluation.scored_at)).where(Evaluation.cycle_id == cycle.id,
                                                                          Evaluation.period == key)).scalar()
        recorded = conn.execute(select(func.max(LedgerEntry.recorded_at))).scalar()
    assert scored > recorded  # the results stand on the entry
    if not auto:
        stages.confirm_review(ctx, cycle, key, today=date(2027, 1, 12))
    assert verify_period(engine, cycle=cycle, period_key=key, registry=registry).identical


def test_only_a_closed_period_is_verified(engine, registry):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=4)
    with pytest.raises(BastionError, match="考核期 2026-Q2 尚未评分"):
        verify_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry, actor="test")
    with pytest.raises(BastionError, match="考核期 2026-Q2 的考核结果是草稿"):
        verify_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry)


def test_a_line_removed_from_the_stored_results_is_named(engine, registry):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=5)
    publish(engine, registry, cycle, "2026")
    line, ev = EvaluationLine.__table__.c, Evaluation.__table__.c
    with engine.begin() as conn:
        victim = conn.execute(select(line.id, line.indicator_code, ev.org_id)
                              .join_from(EvaluationLine.__table__, Evaluation.__table__, ev.id == line.evaluation_id)
                              .where(ev.cycle_id == cycle.id, ev.level == "branch").order_by(line.id).limit(1)).one()
        conn.execute(delete(EvaluationLine.__table__).where(line.id == victim.id))
        code = conn.execute(select(Organization.code).where(Organization.id == victim.org_id)).scalar_one()
    named = verify_period(engine, cycle=cycle, period_key="2026", registry=registry).differences
    row = named[(named["org_code"] == code) & (named["indicator_code"] == victim.indicator_code)]
    assert list(row["field"]) == ["line"] and row["stored"].item() is None and row["recomputed"].item() is not None


def test_the_facts_recorded_before_the_migration_get_the_moment_the_database_can_tell(tmp_path, registry):
    """0014 gives a rating of a ballot the ballot's submission, a finding its ``record`` event in the audit trail, and
    any other fact 2000-01-01 UTC."""
    from alembic import command
    from sqlalchemy import MetaData, Table

    from bastion.core import audit, db
    from bastion.core.models import Finding, as_utc

    LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine)
        tenant = factories.tenant(engine, registry)
        cycle = factories.cycle(engine, registry, tenant)
        ids = factories.org_tree(engine, tenant, {"A": "机关"})
        with engine.begin() as conn:
            config = db.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
        submitted = utcnow().replace(microsecond=0)
        with db.begin(engine) as conn:  # the tables as 0013 had them
            tables = MetaData()
            check, finding, rating, ballot, user = (Table(n, tables, autoload_with=conn)
                                                    for n in ("check", "finding", "rating", "ballot", "user"))
            check_id = conn.execute(insert(check).values(tenant_id=tenant.id, org_id=ids["A"], kind="daily",
                                                         date=date(2026, 3, 1), inspector="", status="done",
                                                         note="")).inserted_primary_key[0]
            found = [conn.execute(insert(finding).values(tenant_id=tenant.id, check_id=check_id, org_id=ids["A"],
                                                         date=date(2026, 3, 1), deduction=0, description=d))
                     .inserted_primary_key[0] for d in ("表单记录", "导入")]
            audit.record(conn, tenant_id=tenant.id, actor="insp", action="record", entity="finding",
                         entity_id=found[0], new={"org": "A"})
            rated = [conn.execute(insert(rating).values(tenant_id=tenant.id, org_id=ids["A"], source="superior",
                                                        rater="r", score=90, date=date(2026, 6, 1), note=""))
                     .inserted_primary_key[0] for _ in range(2)]
            user_id = conn.execute(insert(user).values(tenant_id=tenant.id, username="r", display_name="",
                                                       password_hash="x", active=True, created_at=submitted)
                                   ).inserted_primary_key[0]
            conn.execute(insert(ballot).values(tenant_id=tenant.id, cycle_id=cycle.id, period="2026", org_id=ids["A"],
                                               source="superior", rater_id=user_id, rating_id=rated[0],
                                               assigned_at=submitted, submitted_at=submitted))
            audited = conn.execute(select(func.max(AuditEvent.__table__.c.at))).scalar()

        db.upgrade(engine)

        with Session(engine) as session:
            findings = {x.id: as_utc(x.recorded_at) for x in session.execute(select(Finding)).scalars()}
            ratings = {x.id: as_utc(x.recorded_at) for x in session.execute(select(Rating)).scalars()}
        assert findings == {found[0]: as_utc(audited), found[1]: LONG_AGO}
        assert ratings == {rated[0]: submitted, rated[1]: LONG_AGO}
    finally:
        engine.dispose()


def test_a_target_adjusted_after_publication_counts_in_the_open_periods_only(engine, registry):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=6)
    publish(engine, registry, cycle, "2026-H1")
    code, indicator, _, _ = _ledger_line(engine, cycle, "2026-H1")
    with transaction(engine) as session:
        cycles.set_target(session, cycle=cycle, indicator_code=indicator, value=999, reason="年中上调", actor="admin",
                          org_code=code)

    assert verify_period(engine, cycle=cycle, period_key="2026-H1", registry=registry).identical
    org = _org_id(engine, code)

    def target(key: str) -> float:
        inputs = scoring.read_inputs(engine, cycle=cycle, period=Period.parse(key), registry=registry)
        found = resolve_targets(inputs.scheme, inputs.orgs, inputs.target_rows)
        return found[(found["org_id"] == org) & (found["indicator_code"] == indicator)]["target"].item()

    assert target("2026-H1") != 999 and target("2026") == 999
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q3", registry=registry, actor="test")
    with transaction(engine) as session:
        cycles.set_target(session, cycle=cycle, indicator_code=indicator, value=998, reason="再调", actor="admin",
                          org_code=code)
    with pytest.raises(scoring.Outdated, match="其后又记录了本年度 1 次目标值调整"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026-Q3", registry=registry, actor="test")


def test_a_published_period_verifies_identical_after_the_tree_changes(engine, registry):
    """Re-elections, new categories, renames and moves after publication: the period is scored again on the
    organisations as its snapshot keeps them (``core.snapshots``), and still reproduces."""
    tenant, cycle = factories.enterprise(engine, registry, "acme", branches=8)
    publish(engine, registry, cycle, "2026")
    o = Organization.__table__.c
    with engine.begin() as conn:
        general = conn.execute(select(o.id).where(o.tenant_id == tenant.id, o.level == "general_branch")
                               .order_by(o.id)).scalars().first()
        conn.execute(update(Organization.__table__).where(o.tenant_id == tenant.id, o.level == "branch")
                     .values(secretary_term_end=date(2030, 1, 1), category="新类别", member_count=3,
                             name=o.name + "（更名）", parent_id=general))
    assert verify_period(engine, cycle=cycle, period_key="2026", registry=registry).identical
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")  # open: as now
    with engine.connect() as conn:
        assert set(read_results(conn, cycle.id, "2026-Q1")["category"]) == {"新类别"}
