"""Plain factory functions that build test data through the same services the CLI uses."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session

from bastion.core import cycles, tenants
from bastion.core.db import transaction
from bastion.core.engine import Facts
from bastion.core.models import (
    BlockSubtotal,
    Check,
    Cycle,
    Evaluation,
    EvaluationLine,
    Finding,
    Indicator,
    LedgerEntry,
    Organization,
    Rating,
    Tenant,
)
from bastion.core.registry import Registry

BUILTINS = ("standard-rules", "standard-ledgers", "target-table")


def tenant(engine: Engine, registry: Registry, code: str = "acme", plugins=BUILTINS) -> Tenant:
    with transaction(engine) as session:
        return tenants.create_tenant(session, code=code, name=f"{code} 集团", plugins=plugins, registry=registry,
                                     actor="test")


def cycle(engine: Engine, registry: Registry, tenant: Tenant, year: int = 2026, scheme_id: str | None = None) -> Cycle:
    with transaction(engine) as session:
        return cycles.open_cycle(session, tenant=tenant, year=year, registry=registry, actor="test",
                                 scheme_id=scheme_id)


def org_tree(engine: Engine, tenant: Tenant, branches: dict[str, str]) -> dict[str, int]:
    """A committee, one general branch and the given branches (code → category); returns code → id."""
    with Session(engine) as session:
        committee = Organization(tenant_id=tenant.id, code="DW", name="公司党委", level="committee")
        session.add(committee)
        session.flush()
        general = Organization(tenant_id=tenant.id, code="ZZ1", name="第一党总支", level="general_branch",
                               parent_id=committee.id)
        session.add(general)
        session.flush()
        ids = {"DW": committee.id, "ZZ1": general.id}
        for code, category in branches.items():
            org = Organization(tenant_id=tenant.id, code=code, name=f"{code}党支部", level="branch",
                               parent_id=general.id, category=category, secretary=f"{code}书记",
                               secretary_term_start=date(2024, 1, 1), secretary_term_end=date(2027, 12, 31))
            session.add(org)
            session.flush()
            ids[code] = org.id
        session.commit()
    return ids


def block_subtotals(conn: Connection) -> tuple[dict, dict]:
    """Every stored block subtotal, and the sums of the stored lines per (evaluation, block of the line's
    indicator) computed here in SQL: both as ``{(evaluation_id, block_code): points}``, rounded to 6 places."""
    b, e, line, ind = BlockSubtotal.__table__.c, Evaluation.__table__.c, EvaluationLine.__table__.c, Indicator.__table__.c
    stored = conn.execute(select(b.evaluation_id, b.block_code, b.points)).all()
    summed = conn.execute(select(line.evaluation_id, ind.block_code, func.sum(line.points))
                          .join_from(EvaluationLine.__table__, Evaluation.__table__, e.id == line.evaluation_id)
                          .join(Indicator.__table__, (ind.cycle_id == e.cycle_id) & (ind.code == line.indicator_code))
                          .group_by(line.evaluation_id, ind.block_code)).all()
    return ({(int(i), code): round(float(p), 6) for i, code, p in stored},
            {(int(i), code): round(float(p), 6) for i, code, p in summed})


class FactBook:
    """Builds in-memory fact frames with running ids, for golden cases scored by the engine."""

    def __init__(self, year: int = 2026) -> None:
        self.year = year
        self.ledger, self.findings, self.ratings = [], [], []

    def entries(self, org: int, kind: str, *dates: str, quantity: float | None = None) -> None:
        for d in dates:
            self.ledger.append({"id": len(self.ledger) + 1, "org_id": org, "type": kind, "date": d,
                                "quantity": quantity})

    def monthly(self, org: int, kind: str, months=range(1, 13)) -> None:
        """One entry in each of ``months`` (the 10th) of the book's year."""
        self.entries(org, kind, *(f"{self.year}-{m:02d}-10" for m in months))

    def finding(self, org: int, code: str, n: int = 1, text: str = "问题") -> None:
        for _ in range(n):
            self.findings.append({"id": len(self.findings) + 1, "org_id": org, "indicator_code": code,
                                  "date": f"{self.year}-06-01", "deduction": 0.0, "description": text})

    def ballots(self, org: int, source: str, *scores: float) -> None:
        for s in scores:
            self.ratings.append({"id": len(self.ratings) + 1, "org_id": org, "source": source, "indicator_code": None,
                                 "score": s, "level": None, "date": f"{self.year}-12-01"})

    def level(self, org: int, code: str, level: str, date: str | None = None) -> None:
        self.ratings.append({"id": len(self.ratings) + 1, "org_id": org, "source": "superior", "indicator_code": code,
                             "score": None, "level": level, "date": date or f"{self.year}-12-05"})

    def facts(self) -> Facts:
        return Facts.of(*(pd.DataFrame(rows) if rows else None for rows in (self.ledger, self.findings, self.ratings)))


ENTERPRISE_PLUGINS = ("standard-rules", "standard-ledgers", "study-education")


def enterprise(engine: Engine, registry: Registry, code: str, *, auto_confirm: bool = False, branches: int = 20):
    """A tenant on the study-education scheme with a 2026 cycle, a synthetic tree and a year of facts."""
    from bastion.synthetic import build_tree, generate_facts

    made = tenant(engine, registry, code=code, plugins=ENTERPRISE_PLUGINS)
    if auto_confirm:
        with transaction(engine) as session:
            row = session.get(Tenant, made.id)
            row.auto_confirm_review = True
            session.add(row)
    opened = cycle(engine, registry, made, year=2026, scheme_id="study-education")
    orgs = build_tree(engine, tenant_id=made.id, branches=branches, seed=5, year=2026)
    generate_facts(engine, tenant_id=made.id, scheme=cycles.cycle_scheme(opened), branches=orgs, year=2026, seed=5)
    return made, opened


def a_year_of_work(engine: Engine, tenant: Tenant, ids: dict[str, int], year: int,
                   branches: tuple[str, ...] = ("A", "B", "C", "D", "E")) -> None:
    """On the responsibility-system scheme: every branch meets every target of ``year`` and is rated 100 by
    members, peers and superior (its total is then 100 less 2 points per finding on K5: :func:`findings`)."""
    rows, ratings = [], []
    for code in branches:
        org = ids[code]
        for month in range(1, 13):
            day = date(year, month, 10)
            rows.append(LedgerEntry(tenant_id=tenant.id, org_id=org, type="committee_meeting", date=day, title="支委会"))
            rows.append(LedgerEntry(tenant_id=tenant.id, org_id=org, type="study_session", date=day, title="集中学习"))
            if month % 3 == 2:
                rows += [LedgerEntry(tenant_id=tenant.id, org_id=org, type=kind, date=day, title=kind)
                         for kind in ("branch_assembly", "party_lecture", "affairs_disclosure")]
            if month <= 4:
                rows += [LedgerEntry(tenant_id=tenant.id, org_id=org, type=kind, date=day, title=kind)
                         for kind in ("member_tackling", "practical_deed")]
        rows.append(LedgerEntry(tenant_id=tenant.id, org_id=org, type="rationalization_proposal",
                                date=date(year, 3, 1), title="合理化建议", quantity=10))
        ratings += [Rating(tenant_id=tenant.id, org_id=org, source=source, score=100, date=date(year, 12, 1))
                    for source in ("members", "peers", "superior") for _ in range(2)]
    with transaction(engine) as session:
        session.add_all(rows + ratings)


def findings(engine: Engine, tenant: Tenant, ids: dict[str, int], day: date, **per_branch: int) -> None:
    """``per_branch`` check findings on K5 (responsibility-system: 2 points each) for each branch named, on ``day``."""
    with transaction(engine) as session:
        for code, count in per_branch.items():
            check = Check(tenant_id=tenant.id, org_id=ids[code], kind="spot", date=day, inspector="督查组")
            session.add(check)
            session.flush()
            session.add_all([Finding(tenant_id=tenant.id, check_id=check.id, org_id=ids[code], date=day,
                                     indicator_code="K5", description="抽查发现问题") for _ in range(count)])


def issued_notice(engine: Engine, registry: Registry, tenant: Tenant, cycle: Cycle, org_id: int, workdir) -> str:
    """A finding on ``org_id`` (支部工作记录不全, 1 May) and the notice the rectification stage issues for it on
    3 May: its number."""
    from bastion.core.db import transaction as write
    from bastion.core.models import Check, Finding
    from bastion.core.stages import service as stages

    with write(engine) as session:
        check = Check(tenant_id=tenant.id, org_id=org_id, kind="covert", date=date(cycle.year, 5, 1), inspector="督查组")
        session.add(check)
        session.flush()
        session.add(Finding(tenant_id=tenant.id, check_id=check.id, org_id=org_id, date=date(cycle.year, 5, 1),
                            indicator_code="B6-1", description="支部工作记录不全"))
    ctx = stages.StageContext(engine, registry, workdir, "督查组")
    (number,) = stages.run_stage(ctx, cycle, "rectification", on=date(cycle.year, 5, 3)).detail["issued"]
    return number
