"""A runner taken to be gone writes nothing when it wakes.

Runner A starts a stage and freezes in the middle of a step, just before it writes (a machine
suspended, a process stopped, a network partition). Its leases run out; runner B takes the run
over and finishes it. When A wakes, every write it was about to make is refused by the fence
(``core.locks.fence``, the first statement of each writing transaction): A gets
:class:`~bastion.core.locks.LeaseLost` and the database — every table — and the archive are
exactly as B left them. A does not mark the run failed (B owns it) and leaves no lease behind.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import SQLModel

from bastion.core import db, locks, scoring
from bastion.core.models import Lease, utcnow
from bastion.core.stages import service as stages, steps
from bastion.core.stages.runs import get_run
from tests import factories

pytestmark = pytest.mark.storage

# (stage, the step A freezes in, what the request names, what must run before)
CASES = {
    "spot_check-draw": ("spot_check", "draw", {"on": date(2026, 3, 2)}, ()),
    "rectification-follow_up": ("rectification", "follow_up", {"on": date(2026, 7, 20)},
                                (("half_year", {"period": "2026-H1"}),)),
    "half_year-score": ("half_year", "score", {"period": "2026-H1"}, ()),
    "half_year-conclude": ("half_year", "conclude", {"period": "2026-H1"}, ()),
    "annual-conclude": ("annual", "conclude", {"period": "2026", "on": date(2027, 1, 15)}, ()),
    "confirm-publish": ("confirm", "publish", {"period": "2026", "on": date(2027, 1, 16)},
                        (("annual", {"period": "2026", "on": date(2027, 1, 15)}),)),
    "open_cycle-open": ("open_cycle", "open", {"year": 2027, "on": date(2027, 1, 1)}, ()),
}


def snapshot(engine, home: Path) -> dict:
    """Every row of every table but the leases, and every file of the archive (name, size, when written)."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name != Lease.__tablename__:
                out[table.name] = sorted(tuple(map(repr, row)) for row in conn.execute(select(table)))
    out["files"] = sorted((str(p.relative_to(home)), p.stat().st_size, p.stat().st_mtime_ns)
                          for p in home.rglob("*") if p.is_file()) if home.exists() else []
    return out


@pytest.fixture(autouse=True)
def frozen_heartbeats(monkeypatch):
    """A frozen runner renews nothing: no heartbeat keeps its leases alive while it sleeps."""
    monkeypatch.setattr(locks._Heartbeat, "run", lambda self: None)


@pytest.mark.parametrize("case", list(CASES))
def test_a_runner_taken_over_mid_step_writes_nothing_when_it_wakes(engine, registry, tmp_path, monkeypatch, case):
    stage, frozen_step, request, before = CASES[case]
    tenant, cycle = factories.enterprise(engine, registry, "fence", branches=8)
    home = tmp_path / "home"
    a = stages.StageContext(engine, registry, home, "runner-a")
    b = stages.StageContext(engine, registry, home, "runner-b")
    for earlier, kwargs in before:
        stages.run_stage(b, cycle, earlier, **kwargs)
    year = request.get("year", cycle.year)
    (subject,) = stages.plan(a, tenant.code, stage, period=request.get("period"), on=request.get("on"), year=year)

    # A freezes at the first writing transaction of the step it is in; B runs meanwhile.
    armed, frozen, wake = threading.Event(), threading.Event(), threading.Event()
    real_transaction = db.transaction

    @contextmanager
    def freezing(engine_):
        if threading.current_thread() is runner_a and armed.is_set():
            armed.clear()
            frozen.set()
            wake.wait(120)
        with real_transaction(engine_) as session:
            yield session

    monkeypatch.setattr(steps, "transaction", freezing)
    monkeypatch.setattr(scoring, "transaction", freezing)
    outcome: list[object] = []
    tokens: list[str] = []

    def run_a() -> None:
        try:
            run = stages.begin(a, subject)
            token = run.lease_token
            tokens.append(token)
            for step in stages.STAGES[stage].steps:
                if step.name == frozen_step:
                    armed.set()
                done = stages.do_step(a, subject, step.name, run, token=token)
                if done is not None:
                    outcome.append(done)
                    return
                run = get_run(engine, run.id)
        except BaseException as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcome.append(exc)
        finally:
            frozen.set()

    runner_a = threading.Thread(target=run_a)
    runner_a.start()
    try:
        assert frozen.wait(120) and not outcome, outcome
        with engine.begin() as conn:  # A is taken to be gone: its leases ran out
            expired = conn.execute(update(Lease).values(expires_at=utcnow() - timedelta(hours=1))).rowcount
        assert expired >= 1
        done_by_b = stages.run_subject(b, subject)
        assert done_by_b is not None and done_by_b.lease_token != tokens[0]
        after_b = snapshot(engine, home)
    finally:
        wake.set()
        runner_a.join(120)

    assert len(outcome) == 1 and isinstance(outcome[0], locks.LeaseLost), outcome
    assert snapshot(engine, home) == after_b  # not a row, not a file written by A
    run = get_run(engine, done_by_b.id)
    assert (run.status, run.attempts, run.lease_token) == (done_by_b.status, done_by_b.attempts, done_by_b.lease_token)
    assert run.status in ("succeeded", "awaiting_review")
    with engine.connect() as conn:
        assert conn.execute(select(Lease)).all() == []  # and A leaves no lease behind

