"""Scoring and publishing through the database: bulk reads, one transaction, explainable results."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from bastion.core import bulk_read, cycles, periods, scoring
from bastion.core.db import transaction
from bastion.core.engine import score_slices as engine_slices
from bastion.core.errors import BastionError, Conflict
from bastion.core.lifecycle import AlreadyDone
from bastion.core.periods import Period
from bastion.core.tenants import enabled_plugins
from bastion.core.models import AuditEvent, Check, Evaluation, EvaluationLine, Finding, Incentive, LedgerEntry, Rating, Tenant
from bastion.core.results import explain, read_results
from sqlalchemy import BigInteger, cast, func, literal_column, select
from sqlmodel import Session

from tests import factories


def seed(engine, tenant, ids):
    """A few facts for branch A (meetings, a veto finding on B) and ballots."""
    with Session(engine) as session:
        for month in range(1, 13):
            session.add(LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="committee_meeting",
                                    date=date(2026, month, 5), title=f"{month}月支委会"))
        check = Check(tenant_id=tenant.id, org_id=ids["B"], kind="covert", date=date(2026, 5, 1), inspector="督查组")
        session.add(check)
        session.flush()
        session.add(Finding(tenant_id=tenant.id, check_id=check.id, org_id=ids["B"], date=date(2026, 5, 1),
                            indicator_code="B3-V", description="支部一名党员受党纪处分"))
        session.add(Rating(tenant_id=tenant.id, org_id=ids["A"], source="members", score=96, date=date(2026, 12, 1)))
        session.commit()


@pytest.fixture
def scored(engine, registry, tenant, cycle):
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "生产一线", "C": "离退休"})
    seed(engine, tenant, ids)
    scoring.score_period(engine, cycle=cycle, period_key=None, registry=registry, actor="test")
    return ids


def test_score_writes_one_evaluation_per_branch_and_a_line_per_indicator(engine, cycle, scored):
    with engine.connect() as conn:
        results = read_results(conn, cycle.id, "2026")
        lines = conn.execute(select(func.count()).select_from(EvaluationLine)).scalar()
    assert list(results["code"]) == ["A", "C", "B"]  # B is vetoed, so last
    assert results.set_index("code").loc["B", "grade"] == "不合格"
    assert results.set_index("code").loc["B", "veto_reasons"] == ["党员受党纪政纪处分：支部一名党员受党纪处分"]
    assert set(results["status"]) == {"draft"}
    indicators = len(list(cycles.cycle_scheme(cycle).indicators()))
    assert lines == 3 * indicators


def test_block_subtotals_are_the_sums_of_the_lines_after_scoring_and_rescoring(engine, registry, tenant, cycle,
                                                                              scored):
    with engine.connect() as conn:
        first, summed = factories.block_subtotals(conn)
        evaluations = set(conn.execute(select(Evaluation.id)).scalars())
    blocks = {b.code for b in cycles.cycle_scheme(cycle).blocks}
    assert first == summed and {i for i, _ in first} == evaluations and {c for _, c in first} == blocks
    assert any(points > 0 for points in first.values())

    with Session(engine) as session:  # C holds its committee meetings: the rescore changes its points
        session.add_all(LedgerEntry(tenant_id=tenant.id, org_id=scored["C"], type="committee_meeting",
                                    date=date(2026, month, 5), title=f"{month}月支委会") for month in range(1, 13))
        session.commit()
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        again, summed = factories.block_subtotals(conn)
        evaluations = set(conn.execute(select(Evaluation.id)).scalars())
    assert again == summed and {i for i, _ in again} == evaluations and len(again) == 3 * len(blocks)
    assert again != first


def test_slices_written_one_by_one_give_the_same_results_and_lines(engine, registry, cycle, scored):
    """write_scores with one branch per slice: evaluation rows first, lines per slice, figures at the end."""

    def stored():
        with engine.connect() as conn:
            results = read_results(conn, cycle.id, "2026").drop(columns=["evaluation_id"], errors="ignore")
            lines = pd.DataFrame(conn.execute(
                select(Evaluation.org_id, EvaluationLine.indicator_code, EvaluationLine.points, EvaluationLine.reason,
                       EvaluationLine.evidence)
                .join_from(EvaluationLine, Evaluation, EvaluationLine.evaluation_id == Evaluation.id)
                .order_by(Evaluation.org_id, EvaluationLine.indicator_code)).all())
        return results.drop(columns=[c for c in results.columns if c in ("id", "scored_at")]), lines

    whole = stored()
    period = periods.in_cycle(cycle, "2026")
    inputs = scoring.read_inputs(engine, cycle=cycle, period=period, registry=registry)
    with transaction(engine) as session:
        evaluations = scoring.write_scores(session, cycle=cycle, inputs=inputs,
                                           slices=engine_slices(inputs, slice_size=1))
    assert len(evaluations) == 3
    sliced = stored()
    pd.testing.assert_frame_equal(whole[0], sliced[0])
    pd.testing.assert_frame_equal(whole[1], sliced[1])
    assert sliced[0].set_index("code").loc["A", "total"] > 0  # the figures were set after the last slice
    assert sorted(sliced[0]["rank"]) == [1, 2, 3] and list(sliced[0]["code"]) == ["A", "C", "B"]


def test_explain_traces_points_to_rule_version_and_facts(engine, cycle, scored):
    with engine.connect() as conn:
        ex = explain(conn, cycle=cycle, period="2026", org_code="A")
    assert ex.evaluation["scheme_id"] == "target-table" and ex.evaluation["scheme_version"] == cycle.scheme_version
    line = next(line for line in ex.lines if line["indicator_code"] == "B1-2")
    assert line["rule"] == "ledger_target" and line["points"] == 6
    assert len(line["evidence"]["ledger"]) == 12
    assert {fact["type"] for fact in ex.evidence["ledger"].values()} == {"committee_meeting"}
    ballot = next(line for line in ex.lines if line["indicator_code"] == "B5-3")
    # the members' ballots behind it, as their aggregate: a secret source shows no single ballot
    assert ballot["points"] == 4.8 and not ballot["evidence"]["rating"] and ballot["ballots"][0]["source"] == "members"


def test_rescoring_replaces_drafts_and_publishing_locks_them(engine, registry, cycle, scored):
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Evaluation)).scalar() == 3
    awards = scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    assert awards == 3  # with so few facts every branch is 不合格 (below 70): three rectifications
    with pytest.raises(Conflict, match="已发布，其考核结果不能再重新评分"):
        scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    # Publishing again acts not at all: the same awards, not twice as many, and one publication.
    with pytest.raises(AlreadyDone, match="考核期 2026 已发布"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with Session(engine) as session:
        incentives = session.exec(select(Incentive)).scalars().all()
        assert sorted((i.org_id, i.code) for i in incentives) == [(org, "unqualified_rectify") for org in (3, 4, 5)]
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert actions.count("score") == 2 and actions.count("publish") == 1


def test_a_failing_rule_names_its_plugin_and_leaves_results_untouched(engine, registry, cycle, scored, monkeypatch):
    rule = registry.rule_types()["ballot_score"].item

    def broken(batch):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rule, "evaluate", broken)
    with pytest.raises(BastionError, match=r"规则类型 'ballot_score'（插件 standard-rules）：抛出异常 ZeroDivisionError: boom"):
        scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        assert len(read_results(conn, cycle.id, "2026")) == 3


def test_period_outside_cycle_and_unscored_publish_are_refused(engine, registry, cycle, scored):
    with pytest.raises(BastionError, match="不在 2026 考核年度内"):
        scoring.score_period(engine, cycle=cycle, period_key="2025-Q1", registry=registry, actor="test")
    with pytest.raises(BastionError, match="尚未评分"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry, actor="test")


def test_branch_target_adjustment_is_used_and_audited(engine, registry, cycle, scored):
    with transaction(engine) as session:
        cycles.set_target(session, cycle=cycle, indicator_code="B1-2", value=6, reason="新组建支部，下半年起按月开会",
                          actor="office", org_code="C")
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        ex = explain(conn, cycle=cycle, period="2026", org_code="C")
    line = next(line for line in ex.lines if line["indicator_code"] == "B1-2")
    assert line["target"] == 72 and "目标 72" in line["reason"]  # 6 a month: 72 over the year, as its reason says
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "target")).scalars().one()
    assert event.new["reason"] == "新组建支部，下半年起按月开会" and event.actor == "office"


def test_read_facts_streams_typed_columns_of_the_period_only(engine, tenant, cycle):
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    with Session(engine) as session:
        session.add_all([
            LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="volunteer_service", date=date(2026, 3, 5), quantity=2.5),
            LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="party_lecture", date=date(2026, 12, 31)),
            LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="party_lecture", date=date(2027, 1, 1)),
            Rating(tenant_id=tenant.id, org_id=ids["A"], source="superior", indicator_code="B1-4", level="良好",
                   date=date(2026, 6, 30)),
            Rating(tenant_id=tenant.id, org_id=ids["A"], source="members", score=88, date=date(2025, 6, 30)),
        ])
        session.commit()
    with engine.connect() as conn:
        facts = scoring.read_facts(conn, tenant.id, scoring.Period.parse("2026"))
        chunked = bulk_read.read_columns(conn, select(LedgerEntry.__table__.c.type), chunk=1)
        r = Rating.__table__.c
        # A chunk whose text column is all NULL, then one with a value.
        levels = bulk_read.read_columns(conn, select(r.level, r.score).order_by(r.score.desc()), chunk=1)
    ledger = facts.ledger.sort_values("date")
    assert ledger["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-05", "2026-12-31"]
    assert ledger["type"].tolist() == ["volunteer_service", "party_lecture"]
    assert ledger["quantity"].iloc[0] == 2.5 and pd.isna(ledger["quantity"].iloc[1])
    assert str(ledger["org_id"].dtype) == "int32" and facts.findings.empty  # ids that fit are read as int32
    assert isinstance(ledger["type"].dtype, pd.CategoricalDtype)  # a byte per row
    assert facts.ratings[["level", "indicator_code"]].values.tolist() == [["良好", "B1-4"]]
    assert pd.isna(facts.ratings["score"].iloc[0])
    assert sorted(chunked["type"]) == ["party_lecture", "party_lecture", "volunteer_service"]
    assert levels["level"].tolist() == [None, "良好"] or levels["level"].tolist() == ["良好", None]
    assert sorted(levels["score"].fillna(-1).tolist()) == [-1, 88]


def test_read_columns_sorts_by_a_column_stably_across_chunks(engine, tenant):
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "机关"})
    with Session(engine) as session:
        for org, day in [("B", 1), ("A", 2), ("B", 3), ("A", 4), ("B", 5)]:
            session.add(LedgerEntry(tenant_id=tenant.id, org_id=ids[org], type=f"t{day}", date=date(2026, 1, day)))
        session.commit()
    le = LedgerEntry.__table__.c
    with engine.connect() as conn:
        rows = bulk_read.read_columns(conn, select(le.org_id, le.type).order_by(le.date), chunk=2, sort_by="org_id")
    expected = sorted([(ids[o], f"t{d}") for o, d in [("B", 1), ("A", 2), ("B", 3), ("A", 4), ("B", 5)]],
                      key=lambda r: r[0])  # stable: each branch's rows keep their date order
    assert list(zip(rows["org_id"], rows["type"], strict=True)) == expected


def test_read_columns_by_key_range_gives_the_rows_of_the_plain_read(engine, tenant):
    """The SQLite key-range read (group_concat texts) returns exactly what reading row by row does."""
    ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "机关"})
    quantities = [None, 0.1, 1 / 3, 48.0724633289562, 1e300, 2.0, -7.25, 5e-324, None, 123456789.123456789]
    types = ["party_lecture", None, "a,b", "x\x1fy", "党课", "", "party_lecture", "a,b", "z", "党课"]
    with Session(engine) as session:
        for n, (quantity, kind) in enumerate(zip(quantities, types, strict=True)):
            session.add(LedgerEntry(tenant_id=tenant.id, org_id=ids["B" if n % 3 else "A"], type=kind or "untyped",
                                    date=date(2026, 1 + n, 1 + n), quantity=quantity, source=kind))
        session.commit()
    le = LedgerEntry.__table__.c
    query = select(le.id, le.org_id, le.source, le.quantity, le.type).where(le.tenant_id + 0 == tenant.id)
    with engine.connect() as conn:
        plain = bulk_read.read_columns(conn, query, chunk=3, sort_by="org_id")
        ranged = bulk_read.read_columns(conn, query, chunk=3, sort_by="org_id", by_key_range=True)
        threaded = bulk_read.read_columns(conn, query, chunk=3, sort_by="org_id", by_key_range=True, readers=2)
    pd.testing.assert_frame_equal(ranged, plain)
    pd.testing.assert_frame_equal(threaded, plain)
    assert ranged["source"].tolist()[:4] == [t for n, t in enumerate(types) if n % 3 == 0]  # NULL kept as None
    assert [q.hex() for q in ranged["quantity"].dropna()] == [
        q.hex() for q in plain["quantity"].dropna()]  # the same doubles, to the last bit
    assert str(ranged["id"].dtype) == "int32"


@pytest.mark.parametrize("readers", [1, 2, 3])
def test_read_columns_by_key_range_skips_gaps_in_the_keys(engine, tenant, readers):
    """Keys with gaps far wider than a range, and a range holding only another tenant's rows."""
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    with Session(engine) as session:
        other = Tenant(code="other", name="别家")
        session.add(other)
        session.flush()
        keys = [1, 2, 3, 4, 40, 41, 5_000, 5_001, 5_002, 90_000]
        for key in keys:
            session.add(LedgerEntry(id=key, tenant_id=other.id if key == 40 else tenant.id, org_id=ids["A"],
                                    type=f"t{key}", date=date(2026, 1, 1)))
        session.commit()
    le = LedgerEntry.__table__.c
    query = select(le.id, le.type).where(le.tenant_id + 0 == tenant.id)
    with engine.connect() as conn:
        read = bulk_read.read_columns(conn, query, chunk=2, sort_by="id", by_key_range=True, readers=readers)
    assert read["id"].tolist() == [k for k in keys if k != 40]
    assert read["type"].tolist() == [f"t{k}" for k in keys if k != 40]


def test_read_columns_parses_dates_by_key_range_and_row_by_row(engine, tenant):
    """Date columns come as datetimes whichever way they are read, and from text SQLite holds with a time too."""
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    days = [date(2026, 1, 1), date(1969, 12, 31), date(2000, 2, 29), date(1900, 3, 1), date(2026, 12, 31)]
    with Session(engine) as session:
        for day in days:
            session.add(LedgerEntry(tenant_id=tenant.id, org_id=ids["A"], type="t", date=day))
        session.commit()
    le = LedgerEntry.__table__.c
    query = select(le.id, le.date).where(le.tenant_id + 0 == tenant.id)
    expected = [pd.Timestamp(d) for d in days]

    def read(**options) -> list[pd.Timestamp]:
        with engine.connect() as conn:
            return bulk_read.read_columns(conn, query, chunk=2, sort_by="id", **options)["date"].tolist()

    assert read() == expected and read(by_key_range=True) == expected
    if engine.dialect.name == "sqlite":  # not the fixed-width text the key-range read parses: read row by row
        with engine.begin() as conn:
            conn.execute(le.date.table.update().where(le.date == date(2000, 2, 29)).values(
                date=literal_column("'2000-02-29 00:00:00'")))
        assert read() == expected and read(by_key_range=True) == expected


def test_read_columns_keeps_int32_until_a_value_does_not_fit(engine, tenant):
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    with Session(engine) as session:
        for key in (1, 9):
            session.add(LedgerEntry(id=key, tenant_id=tenant.id, org_id=ids["A"], type="t", date=date(2026, 1, 1)))
        session.commit()
    le = LedgerEntry.__table__.c
    big = (cast(le.id, BigInteger) * 2**28).label("big")  # 2**28 fits in int32, 9 * 2**28 does not
    with engine.connect() as conn:
        for by_key_range in (False, True):
            read = bulk_read.read_columns(conn, select(big, le.org_id), chunk=1, by_key_range=by_key_range)
            assert sorted(read["big"]) == [2**28, 9 * 2**28] and str(read["big"].dtype) == "int64"
            assert str(read["org_id"].dtype) == "int32"


def test_policy_dates_are_stored_as_days_and_bad_ones_name_the_policy(engine, registry, cycle, scored, monkeypatch):
    policy = registry.policies()["target-table-awards"].item
    seen = {}

    def timestamps(results, context):
        seen["columns"] = set(results.columns)
        return pd.DataFrame({"org_id": results["org_id"], "kind": "sanction", "code": "x", "title": "t",
                             "effect": [{}] * len(results),
                             "effective_until": [pd.Timestamp("2027-06-30 00:00"), pd.NaT, None][:len(results)]})

    monkeypatch.setattr(policy, "apply", timestamps)
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with Session(engine) as session:
        untils = sorted(str(i.effective_until) for i in session.exec(select(Incentive)).scalars())
    assert untils == ["2027-06-30", "None", "None"]
    assert {"parent_id", "parent_code", "parent_name"} <= seen["columns"]

    def text_dates(results, context):
        return timestamps(results, context).assign(effective_until="2027-06-30")

    monkeypatch.setattr(policy, "apply", text_dates)
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    with pytest.raises(BastionError, match=r"激励政策 'target-table-awards'（插件 target-table）出错.*不是日期：\['2027-06-30'"):
        scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")


def _apply_policies_again(engine, registry, cycle) -> int:
    """The policies applied to the published 2026 results again, as a correction does."""
    with transaction(engine) as session:
        return scoring.apply_policies(session.connection(), cycle=cycle, period=Period.parse("2026"),
                                      registry=registry, enabled=enabled_plugins(session, cycle.tenant_id),
                                      tenant_code="acme", actor="test")


def test_applying_the_policies_again_keeps_each_incentive_and_its_id(engine, registry, cycle, scored):
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with Session(engine) as session:
        first = {(i.org_id, i.code): (i.id, i.title) for i in session.exec(select(Incentive)).scalars()}
    assert _apply_policies_again(engine, registry, cycle) == 3
    with Session(engine) as session:
        again = {(i.org_id, i.code): (i.id, i.title) for i in session.exec(select(Incentive)).scalars()}
    assert again == first and len(first) == 3


def test_awards_no_longer_given_go_and_changed_ones_are_updated_in_place(engine, registry, cycle, scored,
                                                                         monkeypatch):
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with Session(engine) as session:
        before = {i.org_id: i.id for i in session.exec(select(Incentive)).scalars()}
    policy = registry.policies()["target-table-awards"].item
    original = policy.apply

    def fewer(results, context):
        made = original(results, context)
        return made[made["org_id"] == min(before)].assign(title="改写的标题")

    monkeypatch.setattr(policy, "apply", fewer)
    _apply_policies_again(engine, registry, cycle)
    with Session(engine) as session:
        after = [(i.org_id, i.id, i.title) for i in session.exec(select(Incentive)).scalars()]
    assert after == [(min(before), before[min(before)], "改写的标题")]
