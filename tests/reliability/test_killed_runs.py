"""A `confirm` killed half-way (``kill -9``) is simply run again: its lease is taken over, the run finishes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from bastion.core import lifecycle
from bastion.core.models import Evaluation, Incentive, Lease, StageRun
from bastion.core.stages import service as stages
from sqlalchemy import func, select
from sqlmodel import Session

from tests import factories

pytestmark = pytest.mark.storage

# A leader's `confirm` in its own process, frozen in the middle of publishing (as a machine stops dead).
CONFIRM_AND_HANG = """
import sys, time
from sqlmodel import Session
from bastion.core import cycles, db, scoring, tenants
from bastion.core.registry import Registry
from bastion.core.stages import service as stages

def hang(*args, **kwargs):
    print("publishing", flush=True)
    time.sleep(600)

scoring.publish_period = hang
engine = db.make_engine(sys.argv[1])
with Session(engine) as session:
    tenant = tenants.resolve_tenant(session, sys.argv[2])
    cycle = cycles.resolve_cycle(session, tenant, 2026)
stages.confirm_review(stages.StageContext(engine, Registry.load(), sys.argv[3], "张书记"), cycle, "2026")
"""


def evaluations(engine, cycle) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(Evaluation.org_id, Evaluation.total, Evaluation.grade)
                                   .where(Evaluation.cycle_id == cycle.id, Evaluation.period == "2026")).all())


def test_a_confirm_killed_while_publishing_is_run_again_and_publishes_once(engine, registry, tmp_path):
    tenant, cycle = factories.enterprise(engine, registry, "killed", branches=8)
    ctx = stages.StageContext(engine, registry, tmp_path / "home", "张书记")
    annual = stages.run_stage(ctx, cycle, "annual", period="2026")
    assert annual.status == "awaiting_review"
    reviewed = evaluations(engine, cycle)

    url = engine.url.render_as_string(hide_password=False)
    confirming = subprocess.Popen([sys.executable, "-c", CONFIRM_AND_HANG, url, tenant.code, str(tmp_path / "home")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert confirming.stdout.readline().strip() == "publishing", confirming.stderr.read()
        with Session(engine) as session:
            run = session.exec(select(StageRun).where(StageRun.key == annual.key)).scalars().one()
            holders = {lease.pid for lease in session.exec(select(Lease)).scalars()}
        assert run.status == "running" and confirming.pid in holders
    finally:
        os.kill(confirming.pid, signal.SIGKILL)
        confirming.wait()

    started = time.monotonic()
    done = stages.confirm_review(ctx, cycle, "2026")  # the rerun takes over the dead runner's leases at once
    assert time.monotonic() - started < 60
    assert done.status == "succeeded" and done.attempts == annual.attempts
    with engine.connect() as conn:
        assert lifecycle.state(conn, cycle.id, "2026") == "published"
        assert conn.execute(select(func.count()).select_from(Lease)).scalar() == 0
        awarded = conn.execute(select(func.count()).select_from(Incentive).where(Incentive.cycle_id == cycle.id)).scalar()
    assert evaluations(engine, cycle) == reviewed and awarded > 0  # the reviewed numbers, published
    assert stages.confirm_review(ctx, cycle, "2026") is None  # and once more acts no more
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Incentive)
                            .where(Incentive.cycle_id == cycle.id)).scalar() == awarded
