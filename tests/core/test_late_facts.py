"""Late facts (迟到的事实): a ledger entry or a finding dated in a closed period is refused with the reason, or — where
the tenant takes late facts — booked in the next period or kept for a correction, the user's choice, audited; a
closed period stays as published (``bastion verify`` 一致), and ``verify --late`` names what the late facts would
change there."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core import periods, scoring, tenants
from bastion.core.corrections import correct_points
from bastion.core.db import transaction
from bastion.core.errors import Conflict
from bastion.core.importing import ImportRejected, import_file
from bastion.core.inspection import service as inspection
from bastion.core.ledger import service as ledger_service
from bastion.core.models import (
    AuditEvent,
    Check,
    Cycle,
    Finding,
    LedgerEntry,
    Organization,
    Rating,
    Tenant,
)
from bastion.core.periods import Late, Period
from bastion.core.results import explain, read_results
from bastion.core.verify import verify_period
from tests import factories
from tests.core import people

pytestmark = pytest.mark.storage

GIVEN = date(2026, 2, 10)  # in the first quarter, published below; the half-year and the year stay open
TODAY = date(2026, 12, 31)  # a finding is not in the future
LEDGER_HEADER = ["组织编码", "台账类型", "日期", "数量", "标题", "备注"]
FINDING_HEADER = ["组织编码", "检查日期", "检查方式", "检查人", "指标编码", "扣分", "问题描述"]


@pytest.fixture
def acme(engine, registry) -> tuple[Tenant, Cycle]:
    """A tenant of 6 branches with a year of facts, its first quarter published."""
    tenant, cycle = factories.enterprise(engine, registry, "acme", branches=6)
    publish(engine, registry, cycle, "2026-Q1")
    return tenant, cycle


def publish(engine, registry, cycle: Cycle, key: str) -> None:
    scoring.score_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key=key, registry=registry, actor="test")


def allow(engine, tenant: Tenant, taken: bool = True) -> bool:
    with transaction(engine) as session:
        return tenants.set_late_facts(session, session.get(Tenant, tenant.id), allow=taken, actor="组织部")


def branch(engine, tenant: Tenant, n: int = 0) -> tuple[int, str]:
    with Session(engine) as session:
        rows = session.execute(select(Organization.id, Organization.code).where(
            Organization.tenant_id == tenant.id, Organization.level == "branch").order_by(Organization.code)).all()
    return rows[n]


def committee(engine, tenant: Tenant) -> str:
    with Session(engine) as session:
        return session.execute(select(Organization.code).where(Organization.tenant_id == tenant.id,
                                                               Organization.level == "committee")).scalar_one()


def entry(engine, registry, cycle: Cycle, org_id: int, late: Late | None = None, day: date = GIVEN) -> LedgerEntry:
    with transaction(engine) as session:
        return ledger_service.record_entry(session, cycle=cycle, org_id=org_id, ledger_type="study_session", day=day,
                                           title="补记三会一课", registry=registry, actor="sec", late=late)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def audited(engine, entity: str, entity_id: int) -> dict:
    with engine.connect() as conn:
        new = conn.execute(select(AuditEvent.new).where(AuditEvent.entity == entity,
                                                        AuditEvent.entity_id == str(entity_id))).scalars().all()
    assert len(new) == 1
    return new[0] if isinstance(new[0], dict) else json.loads(new[0])


def ledger_ids(engine, registry, cycle: Cycle, key: str) -> set[int]:
    inputs = scoring.read_inputs(engine, cycle=cycle, period=Period.parse(key), registry=registry)
    return set(inputs.facts.ledger["id"].astype(int))


# --- the rule, on plain data ------------------------------------------------------------------------


def years_of(*closed: str, late_facts: bool = True, late: Late | None = None) -> periods.Years:
    shut = tuple(Period.parse(k) for k in periods.in_time_order(closed))
    cycle = Cycle(id=1, tenant_id=1, year=2026, scheme_id="s", scheme_version="1", scheme={})
    return periods.Years({2026: cycle}, frozenset({2026} if "2026" in closed else ()), 2026, {2026: shut},
                         late_facts, late)


@pytest.mark.parametrize(("closed", "day", "booked"), [
    (("2026-Q1",), date(2026, 2, 10), date(2026, 4, 1)),
    (("2026-02", "2026-Q1"), date(2026, 2, 10), date(2026, 4, 1)),  # the latest end of the closed periods
    (("2026-Q1", "2026-H1", "2026-Q3"), date(2026, 2, 10), date(2026, 10, 1)),  # 7-01 is in Q3, closed too
    (("2026-Q1",), date(2026, 5, 10), date(2026, 5, 10)),  # not late: where it is
    (("2026-Q1", "2026-H1", "2026-Q3", "2026-Q4"), date(2026, 2, 10), None),  # past the year's end
    (("2026",), date(2026, 5, 10), None),
])
def test_the_next_open_day_follows_the_closed_periods(closed, day, booked):
    assert periods.next_open_day(years_of(*closed), day) == booked


def test_placing_a_late_fact_by_the_tenant_s_setting_and_the_user_s_choice():
    what = ("台账", "ledgers")
    refused = periods.place(years_of("2026-Q1", late_facts=False, late=Late.next), GIVEN, what=what)
    assert refused.day == GIVEN and refused.late_date is None and refused.problems[0].conflict
    assert "2026-02-10 在考核期 2026-Q1（2026年第1季度）内" in refused.problems[0].reason
    assert "本单位不接受迟到的台账" in refused.problems[0].reason

    ask = periods.place(years_of("2026-Q1"), GIVEN, what=what).problems[0].reason
    assert "请选择计入下一考核期（next：记在 2026-04-01）或走更正（correction" in ask

    booked = periods.place(years_of("2026-Q1", late=Late.next), GIVEN, what=what)
    assert (booked.day, booked.late_date, booked.problems) == (date(2026, 4, 1), GIVEN, [])
    assert booked.audited() == {"late": "next", "date_given": "2026-02-10", "date_booked": "2026-04-01"}
    kept = periods.place(years_of("2026-Q1", late=Late.correction), GIVEN, what=what)
    assert (kept.day, kept.late_date, kept.problems) == (GIVEN, GIVEN, [])

    on_time = periods.place(years_of("2026-Q1", late=Late.next), date(2026, 5, 10), what=what)
    assert (on_time.day, on_time.late_date, on_time.audited()) == (date(2026, 5, 10), None, {})

    closed_year = periods.place(years_of("2026", late=Late.next), GIVEN, what=what).problems[0].reason
    assert "2026 年度已关闭，无法计入下一考核期：请走更正" in closed_year
    assert "只能走更正" in periods.place(years_of("2026"), GIVEN, what=what).problems[0].reason
    assert periods.place(years_of("2026", late=Late.correction), GIVEN, what=what).late_date == GIVEN


def test_a_rating_or_a_self_assessment_never_arrives_late():
    """They belong to their period (a ballot round, a self-assessment): refused whatever the tenant allows, without
    the late route's hint."""
    found = periods.date_problems(years_of("2026-Q1", late=Late.next), GIVEN, what=("测评", "ratings"))
    assert found and found[0].conflict and "不再接受该期迟到的测评" in found[0].reason
    assert "迟到的测评（党建办可允许" not in found[0].reason and "next" not in found[0].reason


# --- the forms' path: ledger entries and findings -----------------------------------------------------


def test_a_late_entry_is_refused_by_default_with_the_reason(engine, registry, acme):
    tenant, cycle = acme
    org_id, _ = branch(engine, tenant)
    before = count(engine, LedgerEntry)
    for late in (None, Late.next, Late.correction):  # a choice counts for nothing where the tenant refuses
        with pytest.raises(Conflict, match=r"2026-02-10 在考核期 2026-Q1（2026年第1季度）内.*本单位不接受迟到的台账"
                                           r"（党建办可允许：bastion tenant set --late-facts allow"):
            entry(engine, registry, cycle, org_id, late)
    assert count(engine, LedgerEntry) == before


def test_allowed_a_late_entry_asks_for_the_choice(engine, registry, acme):
    tenant, cycle = acme
    assert allow(engine, tenant) and not allow(engine, tenant)  # the same setting twice changes it once
    with engine.connect() as conn:
        events = conn.execute(select(AuditEvent.old, AuditEvent.new).where(
            AuditEvent.entity == "tenant", AuditEvent.action == "update")).all()
    assert [(json.loads(o) if isinstance(o, str) else o, json.loads(n) if isinstance(n, str) else n)
            for o, n in events] == [({"late_facts": False}, {"late_facts": True})]
    org_id, _ = branch(engine, tenant)
    with pytest.raises(Conflict, match=r"这是迟到的台账，请选择计入下一考核期（next：记在 2026-04-01）或走更正"):
        entry(engine, registry, cycle, org_id)


def test_next_books_it_in_the_next_open_period_counted_there_not_in_the_published_one(engine, registry, acme):
    tenant, cycle = acme
    allow(engine, tenant)
    org_id, _ = branch(engine, tenant)

    late = entry(engine, registry, cycle, org_id, Late.next)

    assert (late.date, late.late_date) == (date(2026, 4, 1), GIVEN)
    assert audited(engine, "ledger_entry", late.id) == {
        "org_id": org_id, "type": "study_session", "date": "2026-04-01", "quantity": None, "title": "补记三会一课",
        "late": "next", "date_given": "2026-02-10", "date_booked": "2026-04-01"}
    assert late.id in ledger_ids(engine, registry, cycle, "2026-Q2")  # open: counted there
    assert late.id in ledger_ids(engine, registry, cycle, "2026-H1")
    assert late.id not in ledger_ids(engine, registry, cycle, "2026-Q1")
    assert verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry).identical
    with_late = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, late=True)
    assert with_late.identical and with_late.late_facts == {}  # it is dated in Q2 now: nothing late for Q1

    publish(engine, registry, cycle, "2026-Q2")  # Q2 closes on it
    assert verify_period(engine, cycle=cycle, period_key="2026-Q2", registry=registry).identical
    again = entry(engine, registry, cycle, org_id, Late.next, day=date(2026, 3, 3))
    assert (again.date, again.late_date) == (date(2026, 7, 1), date(2026, 3, 3))  # past Q1, and Q2 closed too


def test_next_past_the_year_s_end_is_refused_the_correction_route_is_left(engine, registry):
    tenant, cycle = factories.enterprise(engine, registry, "acme", branches=4, auto_confirm=True)
    publish(engine, registry, cycle, "2026-Q4")
    allow(engine, tenant)
    org_id, _ = branch(engine, tenant)
    with pytest.raises(Conflict, match=r"2026-11-20 在考核期 2026-Q4（2026年第4季度）内.*其后 2026 年度已没有未关闭的"
                                       r"考核期（事实只计入本年度），无法计入下一考核期：请走更正"):
        entry(engine, registry, cycle, org_id, Late.next, day=date(2026, 11, 20))
    with Session(engine) as session:
        routes = periods.late_routes(periods.years(session, tenant.id, within=cycle), date(2026, 11, 20))
    assert routes[Late.next] == "不可用：其后 2026 年度已没有未关闭的考核期（事实只计入本年度）"
    assert routes[Late.correction].startswith("按原日期 2026-11-20 记录，不计入已关闭的 2026-Q4")
    assert routes[Late.correction].endswith("计入仍开放的 2026-11、2026-H2、2026")
    kept = entry(engine, registry, cycle, org_id, Late.correction, day=date(2026, 11, 20))
    assert (kept.date, kept.late_date) == (date(2026, 11, 20), date(2026, 11, 20))
    assert kept.id in ledger_ids(engine, registry, cycle, "2026")  # the year is open: it counts there


def _finding_line(engine, cycle: Cycle, key: str) -> tuple[str, float]:
    """A branch whose C1 (a finding deducts 2 points) has at least 2 points in ``key``, and those points."""
    with engine.connect() as conn:
        for code in read_results(conn, cycle.id, key)["code"]:
            points = next(r["points"] for r in explain(conn, cycle=cycle, period=key, org_code=code).lines
                          if r["indicator_code"] == "C1")
            if points >= 2:
                return code, points
    raise AssertionError("no branch with C1 points to lose")


def test_correction_keeps_its_date_counts_in_the_open_periods_and_verify_late_names_what_it_would_change(
        engine, registry, acme):
    tenant, cycle = acme
    allow(engine, tenant)
    code, points = _finding_line(engine, cycle, "2026-Q1")
    inspector = people.person(engine, tenant, "insp", ("inspector", committee(engine, tenant)))
    with engine.connect() as conn:
        before = read_results(conn, cycle.id, "2026-Q1").set_index("code")

    with transaction(engine) as session:
        finding = inspection.record_finding(session, inspector, cycle_id=cycle.id, org_code=code, indicator_code="C1",
                                            deduction=2, description="迟报的督查问题", on=GIVEN, registry=registry,
                                            today=TODAY, late=Late.correction)
        check = session.get(Check, finding.check_id)
        assert (finding.date, finding.late_date, check.date) == (GIVEN, GIVEN, GIVEN)
    assert audited(engine, "finding", finding.id)["late"] == "correction"
    assert audited(engine, "finding", finding.id)["date_booked"] == "2026-02-10"

    half = scoring.read_inputs(engine, cycle=cycle, period=Period.parse("2026-H1"), registry=registry)
    assert finding.id in set(half.facts.findings["id"].astype(int))  # the half-year is open: it counts there
    frozen = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry)
    assert frozen.identical  # the published quarter stands on its frozen inputs

    found = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, late=True)
    assert not found.identical and found.late and found.late_facts == {"finding": 1}
    named = found.differences.set_index(["org_code", "indicator_code", "field"])
    assert named.loc[(code, "C1", "points"), "stored"] == pytest.approx(points)
    assert named.loc[(code, "C1", "points"), "recomputed"] == pytest.approx(points - 2)
    assert named.loc[(code, "", "total"), "recomputed"] == pytest.approx(before.loc[code, "total"] - 2)
    assert found.as_dict()["late_facts"] == {"finding": 1}

    admin = people.person(engine, tenant, "boss", ("admin", committee(engine, tenant)))
    correct_points(engine, admin, cycle=cycle, period="2026-Q1", org_code=code, indicator_code="C1",
                   points=points - 2, reason="迟报的督查问题，走更正", registry=registry)
    assert verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, late=True).identical
    again = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry)
    assert again.identical and again.corrections == 1


def test_a_correction_for_another_reason_stands_in_verify_late(engine, registry, acme):
    """A line corrected where no late fact touches it shows no difference with the late facts either."""
    tenant, cycle = acme
    code, points = _finding_line(engine, cycle, "2026-Q1")
    admin = people.person(engine, tenant, "boss", ("admin", committee(engine, tenant)))
    correct_points(engine, admin, cycle=cycle, period="2026-Q1", org_code=code, indicator_code="C1",
                   points=points - 1, reason="申诉复核", registry=registry)
    found = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, late=True)
    assert found.identical and found.late_facts == {}


# --- the importer ------------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(engine, registry, tenant, kind: str, path: Path, late: Late | None = None, again: bool = False):
    return import_file(engine, tenant=tenant, kind=kind, path=path, registry=registry, actor="组织部", late=late,
                       again=again, today=TODAY)


def test_the_importer_takes_late_rows_by_the_route_given_the_whole_file_or_nothing(engine, registry, acme,
                                                                                    tmp_path):
    tenant, cycle = acme
    _, code = branch(engine, tenant)
    rows = [[code, "study_session", "2026-05-10", "", "五月学习", ""],  # row 2: on time
            [code, "study_session", "2026-02-10", "", "二月学习（补录）", ""]]  # row 3: late for Q1
    path = write_csv(tmp_path / "ledger.csv", LEDGER_HEADER, rows)
    before = count(engine, LedgerEntry)

    with pytest.raises(ImportRejected) as refused:
        run(engine, registry, tenant, "ledger", path, late=Late.next)  # the tenant refuses late facts
    assert [(e.row, e.key) for e in refused.value.errors] == [(3, "date")]
    assert "本单位不接受迟到的台账" in refused.value.errors[0].reason

    allow(engine, tenant)
    with pytest.raises(ImportRejected) as ask:
        run(engine, registry, tenant, "ledger", path)  # no route given
    assert [(e.row, e.key) for e in ask.value.errors] == [(3, "date")]
    assert "请选择计入下一考核期（next：记在 2026-04-01）" in ask.value.errors[0].reason
    bad = write_csv(tmp_path / "bad.csv", LEDGER_HEADER, [*rows, [code, "study_session", "2026-06-01", "", "", ""]])
    with pytest.raises(ImportRejected) as whole:
        run(engine, registry, tenant, "ledger", bad, late=Late.next)  # a bad row: nothing of the file is written
    assert [(e.row, e.key) for e in whole.value.errors] == [(4, "title")]
    assert count(engine, LedgerEntry) == before

    report = run(engine, registry, tenant, "ledger", path, late=Late.next)

    assert (report.inserted, report.late) == (2, 1) and "其中迟到 1 条" in str(report)
    with Session(engine) as session:
        stored = {e.title: e for e in session.exec(select(LedgerEntry).where(LedgerEntry.recorded_by == "组织部"))
                  .scalars()}
    assert (stored["五月学习"].date, stored["五月学习"].late_date) == (date(2026, 5, 10), None)
    late = stored["二月学习（补录）"]
    assert (late.date, late.late_date) == (date(2026, 4, 1), GIVEN)
    assert audited(engine, "ledger_entry", late.id) == {"file": "ledger.csv", "row": 3, "late": "next",
                                                        "date_given": "2026-02-10", "date_booked": "2026-04-01"}
    assert verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry).identical

    # The same file again, by either route: the same facts (by the date each bore), skipped.
    for route in (Late.next, Late.correction):
        again = run(engine, registry, tenant, "ledger", path, late=route, again=True)
        assert (again.inserted, again.skipped, again.late) == (0, 2, 0)


def test_the_findings_importer_keeps_a_correction_on_its_date_and_its_check_on_the_day(engine, registry, acme,
                                                                                         tmp_path):
    tenant, cycle = acme
    allow(engine, tenant)
    _, code = branch(engine, tenant)
    path = write_csv(tmp_path / "findings.csv", FINDING_HEADER,
                     [[code, "2026-02-10", "日常督查", "督查组", "C1", "2", "迟报的问题"]])

    report = run(engine, registry, tenant, "findings", path, late=Late.correction)

    assert (report.inserted, report.late, report.checks_created) == (1, 1, 1)
    with Session(engine) as session:
        finding = session.exec(select(Finding).where(Finding.description == "迟报的问题")).scalars().one()
        assert (finding.date, finding.late_date, session.get(Check, finding.check_id).date) == (GIVEN, GIVEN, GIVEN)
    assert audited(engine, "finding", finding.id)["late"] == "correction"
    assert verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry).identical
    assert not verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, late=True).identical


def test_ratings_are_refused_late_whatever_the_tenant_allows(engine, registry, acme, tmp_path):
    tenant, _ = acme
    allow(engine, tenant)
    _, code = branch(engine, tenant)
    path = write_csv(tmp_path / "ratings.csv", ["组织编码", "测评来源", "测评人", "指标编码", "分数", "等次", "测评日期", "备注"],
                     [[code, "superior", "", "P1", "", "优秀", "2026-02-10", ""]])
    before = count(engine, Rating)
    with pytest.raises(ImportRejected) as refused:
        run(engine, registry, tenant, "ratings", path, late=Late.next)
    assert [(e.row, e.key) for e in refused.value.errors] == [(2, "date")]
    assert "不再接受该期迟到的测评" in refused.value.errors[0].reason
    assert count(engine, Rating) == before
