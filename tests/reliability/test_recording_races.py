"""Facts and the tree changing while a period is scored, and two changes of the tree at once.

A fact is stamped (``recorded_at``) inside its write transaction and seen by others only at its commit; a
scoring run reads the facts recorded up to its moment. A run that took its moment while a fact stamped before
it was still uncommitted would miss it, and the period's frozen inputs would hold it: ``verify`` would find the
published results different. A restructuring and an import of organisations that each check the
tree before the other writes would both pass (a branch left under a general branch merged away). Each race is staged so that the window is open for a second, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core import restructuring, scoring
from bastion.core.db import transaction
from bastion.core.importing import ImportRejected, ImportReport, import_file
from bastion.core.importing import organizations as importing_organizations
from bastion.core.models import Check, Evaluation, Finding, Organization, Tenant
from bastion.core.restructuring import service as restructuring_service
from bastion.core.verify import verify_period
from tests import factories
from tests.core import people
from tests.core.people import person
from tests.reliability.test_period_races import at_once

pytestmark = pytest.mark.storage

ON = date(2026, 3, 1)


def publish_while(engine, registry, cycle, write, stamped: threading.Event) -> None:
    """Run ``write`` (a write transaction that sets ``stamped`` once it has stamped its rows, then waits a second
    before it commits) in a thread; score the quarter as soon as it has stamped, publish it, and verify it."""
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            write()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            stamped.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert stamped.wait(30)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    thread.join(30)
    assert not failures
    scoring.publish_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    found = verify_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry)
    assert found.identical, found.differences



def test_a_fact_still_uncommitted_when_a_run_starts_is_read_by_it_and_the_period_verifies(engine, registry):
    """A spot check's finding (C1: 2 points each) on the branch with the fewest, stamped, then committed a second
    later, while the quarter is scored: the run waits for it and stands on it."""
    _, cycle = factories.enterprise(engine, registry, "acme", branches=6)
    with Session(engine) as session:
        found = dict(session.execute(select(Organization.id, func.count(Finding.id))
                                     .join(Finding, (Finding.org_id == Organization.id) & (Finding.indicator_code == "C1")
                                           & (Finding.date >= date(2026, 1, 1)) & (Finding.date < date(2026, 4, 1)),
                                           isouter=True)
                                     .where(Organization.level == "branch").group_by(Organization.id)).all())
    org = min(found, key=found.get)
    assert found[org] <= 2  # one more finding costs the branch 2 points
    stamped = threading.Event()

    def inspector() -> None:
        with transaction(engine) as session:
            check = Check(tenant_id=cycle.tenant_id, org_id=org, kind="spot", date=date(2026, 2, 20), inspector="督查组")
            session.add(check)
            session.flush()
            session.add(Finding(tenant_id=cycle.tenant_id, check_id=check.id, org_id=org, date=date(2026, 2, 20),
                                indicator_code="C1", description="台账不全"))
            session.flush()
            stamped.set()
            time.sleep(1.0)

    publish_while(engine, registry, cycle, inspector, stamped)


def test_a_restructuring_still_uncommitted_when_a_run_starts_is_read_by_it_and_the_period_verifies(
        engine, registry, monkeypatch):
    _, cycle = factories.enterprise(engine, registry, "acme", branches=6)
    with Session(engine) as session:
        a, b = session.exec(select(Organization.code).where(Organization.level == "branch")
                            .order_by(Organization.id).limit(2)).scalars().all()
        root = session.exec(select(Organization.code).where(Organization.parent_id.is_(None))).scalars().one()
        tenant = session.get(Tenant, cycle.tenant_id)
    admin = person(engine, tenant, "admin", ("admin", root))
    stamped = threading.Event()
    real = restructuring_service._recorded

    def recorded_slowly(*args, **kwargs):
        outcome = real(*args, **kwargs)
        stamped.set()
        time.sleep(1.0)
        return outcome

    monkeypatch.setattr(restructuring_service, "_recorded", recorded_slowly)

    def office() -> None:
        with transaction(engine) as session:
            restructuring.merge(session, admin, codes=[a], into=b, effective_on=ON)

    publish_while(engine, registry, cycle, office, stamped)
    with engine.connect() as conn:
        codes = set(conn.execute(select(Organization.code).join(Evaluation, Evaluation.org_id == Organization.id)
                                 .where(Evaluation.period == "2026-Q1")).scalars())
    assert a not in codes and b in codes  # scored on the tree after the merge


def test_an_import_moving_a_branch_under_a_general_branch_being_merged_away_leaves_no_branch_under_it(
        engine, registry, tenant, tmp_path, monkeypatch):
    """The organisations import puts A under ZZ2 while ZZ2 is merged into ZZ1: one waits for the other, and A ends
    under an organisation in use — carried to ZZ1 by the merge, or refused by the import."""
    people.tree(engine, tenant)
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    path = tmp_path / "orgs.csv"
    path.write_text("组织编码,组织名称,上级组织编码,层级\nA,A党组织,ZZ2,党支部\n", encoding="utf-8")
    real_merge, real_check = restructuring_service.consequences, importing_organizations._check_children

    def slowly(real):
        def call(*args, **kwargs):  # the checks passed; the writes follow a moment later
            found = real(*args, **kwargs)
            time.sleep(0.5)
            return found
        return call

    monkeypatch.setattr(restructuring_service, "consequences", slowly(real_merge))
    monkeypatch.setattr(importing_organizations, "_check_children", slowly(real_check))

    def merge():
        with transaction(engine) as session:
            return restructuring.merge(session, admin, codes=["ZZ2"], into="ZZ1", effective_on=ON)

    def load():
        return import_file(engine, tenant=tenant, kind="organizations", path=path, registry=registry, actor="admin")

    outcomes = at_once(merge, load)
    assert isinstance(outcomes[0], restructuring.Outcome), outcomes
    assert isinstance(outcomes[1], ImportReport | ImportRejected), outcomes
    if isinstance(outcomes[1], ImportRejected):
        assert "上级组织 'ZZ2' 已停用（已合并、分设或撤销）：不能再隶属于它" in str(outcomes[1])
    with Session(engine) as session:
        a = session.exec(select(Organization).where(Organization.code == "A")).scalars().one()
        parent = session.get(Organization, a.parent_id)
    assert parent.active and parent.code == "ZZ1"
