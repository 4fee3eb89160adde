"""`bastion import` refuses, row by row with the reason, exactly what the other entry points refuse.

Each case is a record the importer once took and its concept's own entry point refused (or, for the
inspectors' form, the other way round): a ledger entry through the branch workspace, a finding through
the inspectors' form, a rating through a ballot cast by its code, a secretary's term through an organisation edit. The same
record goes through that entry point and, as one row of a CSV file, through `bastion import` as a user runs
it; both refuse it, on the same field, for the same reason (where the entry point has the same context:
the workspace and the form work inside one cycle, a blank cell is "required" before any rule reads it),
in Chinese and in English, and nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bastion.core import inspection, organizations, scoring, workspace
from bastion.core.ballots import box, rounds
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.i18n import locale
from bastion.core.importing import kind_spec
from bastion.core.models import Cycle, Finding, LedgerEntry, Organization, Rating, Tenant
from bastion.core.registry import Registry
from tests import factories
from tests.app.conftest import bastion
from tests.core import people

TOMORROW = date.today() + timedelta(days=1)


@dataclass(frozen=True)
class World:
    engine: Engine
    registry: Registry
    tenant: Tenant
    cycles: dict[int, Cycle]
    ids: dict[str, int]
    secretary: Principal  # of branch A
    inspector: Principal
    admin: Principal
    code: str  # a superior's ballot code for A in the 2026 round


@dataclass(frozen=True)
class Case:
    """A record both ways: ``row`` as the import file has it, ``enter`` through its entry point."""

    kind: str
    row: dict[str, str]
    enter: Callable[[World, Session, dict[str, str]], object]
    key: str  # the field the importer names
    same_reason: bool = True
    closed: str = ""  # the period whose results are published first (2026, 2026-H1)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _entry(w: World, session: Session, row: dict[str, str]) -> object:
    day = _day(row["date"])
    return workspace.record_entry(session, w.secretary, cycle=w.cycles[2026], org_id=w.ids[row["org_code"]],
                                  ledger_type=row["type"], day=day, title=row["title"],
                                  quantity=_number(row["quantity"]), registry=w.registry)


def _finding(w: World, session: Session, row: dict[str, str]) -> object:
    day = _day(row["date"])
    cycle = w.cycles.get(day.year, w.cycles[2026])
    return inspection.record_finding(session, w.inspector, cycle_id=cycle.id, org_code=row["org_code"],
                                     indicator_code=row["indicator_code"], deduction=_number(row["deduction"]) or 0.0,
                                     description=row["description"], on=day, kind=row["check_kind"],
                                     registry=w.registry, today=date.today())


def _ballot(w: World, session: Session, row: dict[str, str]) -> object:
    """The row's answer on a whole ballot whose other questions are answered well."""
    paper = box.paper(session, w.code, w.registry)
    answers: dict[str | None, object] = {q.key: (q.levels[0] if q.qualitative else 80.0)
                                         for q in paper.questions}
    asked = {q.key: q for q in paper.questions}
    key = row["indicator_code"] or None
    answers[key] = (row["level"] if key in asked and asked[key].qualitative
                    else _number(row["score"]) if row["score"].strip() else row["level"])
    return box.cast(session, w.code, answers, w.registry)


def _edit(w: World, session: Session, row: dict[str, str]) -> object:
    return organizations.update_organization(session, w.admin, code=row["code"],
                                             secretary_term_start=row["secretary_term_start"],
                                             secretary_term_end=row["secretary_term_end"])


ENTRY = {"org_code": "A", "type": "committee_meeting", "date": "2026-03-10", "quantity": "", "title": "支委会",
         "note": ""}
FINDING = {"org_code": "A", "date": "2026-06-01", "check_kind": "daily", "inspector": "督查组",
           "indicator_code": "B6-1", "deduction": "1", "description": "支委会记录缺签到"}
RATING = {"org_code": "A", "source": "superior", "rater": "", "indicator_code": "", "score": "90", "level": "",
          "date": "2026-06-20", "note": ""}
ORG = {"code": "A", "name": "A党组织", "parent_code": "ZZ1", "level": "branch", "secretary_term_start": "2026-01-01",
       "secretary_term_end": "2028-12-31"}


def ledger(key: str, **row: str) -> Case:
    return Case("ledger", ENTRY | row, _entry, key)


def finding(key: str, **row: str) -> Case:
    return Case("findings", FINDING | row, _finding, key)


def rating(key: str, **row: str) -> Case:
    return Case("ratings", RATING | row, _ballot, key)


CASES = {
    "ledger: a quantity on a count-only type": ledger("quantity", quantity="2"),
    "ledger: no quantity on a counted type": ledger("quantity", type="volunteer_service"),
    "ledger: a quantity of 0": ledger("quantity", type="volunteer_service", quantity="0"),
    "ledger: a negative quantity": ledger("quantity", type="volunteer_service", quantity="-3"),
    "ledger: a title too long": ledger("title", title="x" * 301),
    "ledger: no title": Case("ledger", ENTRY | {"title": ""}, _entry, "title", same_reason=False),
    "ledger: a year without a cycle": Case("ledger", ENTRY | {"date": "2025-12-31"}, _entry, "date",
                                           same_reason=False),
    "ledger: a published year": Case("ledger", ENTRY, _entry, "date", closed="2026"),
    "ledger: a published half-year": Case("ledger", ENTRY, _entry, "date", closed="2026-H1"),
    "finding: a deduction of 1 000 000 on a 6-point indicator": finding("deduction", deduction="1000000"),
    "finding: a negative deduction": finding("deduction", deduction="-1"),
    "finding: a deduction on a veto indicator": finding("deduction", indicator_code="B1-V"),
    "finding: dated in the future": finding("date", date=TOMORROW.isoformat()),
    "finding: on an indicator that takes no findings": finding("indicator_code", indicator_code="B1-4"),
    "finding: on an indicator not in the scheme": finding("indicator_code", indicator_code="B9-9"),
    "finding: a year without a cycle": Case("findings", FINDING | {"date": "2025-11-02"}, _finding, "date",
                                            same_reason=False),
    "finding: a published year": Case("findings", FINDING, _finding, "date", closed="2026"),
    "finding: a published half-year": Case("findings", FINDING, _finding, "date", closed="2026-H1"),
    "finding: no description": Case("findings", FINDING | {"description": ""}, _finding, "description",
                                    same_reason=False),
    "rating: a score for a qualitative indicator": rating("level", indicator_code="B1-4"),
    "rating: an overall rating without a score": rating("score", score="", level="优秀"),
    "rating: a score above 100": rating("score", score="120"),
    "rating: an indicator the source is not asked about": rating("indicator_code", indicator_code="B2-1"),
    "rating: a published year": Case("ratings", RATING, _ballot, "date", same_reason=False, closed="2026"),
    "organisation: a term that ends before it starts": Case(
        "organizations", ORG | {"secretary_term_end": "2025-12-31"}, _edit, "secretary_term_end"),
}


@pytest.fixture
def world(engine, registry, tenant, cycle, cheap_passwords, tmp_path, monkeypatch) -> World:
    """The tenant's tree (people.tree: branch A under ZZ1), its 2026 cycle (and tomorrow's year's), one person per
    entry point; the command line on the same database."""
    monkeypatch.setenv("BASTION_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    ids = people.tree(engine, tenant)
    cycles = {2026: cycle}
    if TOMORROW.year not in cycles:
        cycles[TOMORROW.year] = factories.cycle(engine, registry, tenant, year=TOMORROW.year)
    with transaction(engine) as session:  # ZZ1's party staff rate A: one of them votes in the cases
        session.get(Organization, ids["ZZ1"]).party_staff_count = 3
    with transaction(engine) as session:
        found = rounds.open_round(session, actor="test", cycle=cycle, period="2026", registry=registry,
                                  day=date(2026, 6, 1), deadline=date.today() + timedelta(days=30))
    with transaction(engine) as session:
        code = next(s.code for s in rounds.issue_codes(session, actor="test", round_id=found.id)
                    if s.org_code == "A" and s.source == "superior")
    return World(engine, registry, tenant, cycles, ids, secretary=people.person(engine, tenant, "sec", ("secretary", "A")),
                 inspector=people.person(engine, tenant, "insp", ("inspector", "DW")),
                 admin=people.person(engine, tenant, "boss", ("admin", "DW")), code=code)


def _stored(engine: Engine) -> tuple:
    """What the cases could write: the facts, and branch A's secretary's term."""
    with Session(engine) as session:
        counts = tuple(session.execute(select(func.count()).select_from(m)).scalar_one()
                       for m in (LedgerEntry, Finding, Rating))
        term = session.execute(select(Organization.secretary_term_start, Organization.secretary_term_end)
                               .where(Organization.code == "A")).one()
    return (*counts, *term)


def _reason(message: str) -> str:
    """The reason of an entry point's ``field：reason`` (``field: reason`` in English)."""
    return message.split("：", 1)[1] if locale() == "zh" else message.split(": ", 1)[1]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_the_importer_refuses_what_the_entry_point_refuses(world, case, language, tmp_path, monkeypatch):
    if language == "zh":
        monkeypatch.delenv("BASTION_LANG", raising=False)
    else:
        monkeypatch.setenv("BASTION_LANG", "en")
    if case.closed:  # the round's ballots are counted before a period they count in closes
        with transaction(world.engine) as session:
            found = rounds.find_round(session.connection(), world.cycles[2026], "2026")
            rounds.close_round(session, actor="test", round_id=found.id)
        scoring.score_period(world.engine, cycle=world.cycles[2026], period_key=case.closed, registry=world.registry,
                             actor="test")
        scoring.publish_period(world.engine, cycle=world.cycles[2026], period_key=case.closed,
                               registry=world.registry, actor="test")
    before = _stored(world.engine)

    with pytest.raises(BastionError) as refused, transaction(world.engine) as session:
        case.enter(world, session, case.row)

    path = tmp_path / f"{case.kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(list(case.row))
        writer.writerow(list(case.row.values()))
    result = bastion("import", case.kind, str(path), "--tenant", world.tenant.code, ok=False)

    assert result.exit_code == 1, result.output
    spec = kind_spec(case.kind)
    name = spec.field_name(case.key)
    line = f"{path.name}，第 2 行，{name}：" if language == "zh" else f"{path.name}, row 2, {name}: "
    assert line in result.output, result.output
    if case.same_reason:
        assert f"{line}{_reason(str(refused.value))}\n" in result.output, (str(refused.value), result.output)
    assert _stored(world.engine) == before


def test_the_same_rows_once_valid_are_taken_by_both(world, tmp_path):
    """The cases' base records are valid: each case is refused for its one fault only."""
    with transaction(world.engine) as session:
        for base, enter in ((ENTRY, _entry), (FINDING, _finding), (RATING, _ballot), (ORG, _edit)):
            enter(world, session, base)
    for kind, base in (("ledger", ENTRY), ("findings", FINDING | {"description": "另一处问题"}),
                       ("ratings", RATING), ("organizations", ORG | {"name": "A党支部"})):
        path = tmp_path / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows([list(base), list(base.values())])
        out = bastion("import", kind, str(path), "--tenant", world.tenant.code).output
        assert "1 inserted" in out or "1 updated" in out or "1 skipped" in out, out
