"""The record of each stage run (``StageRun``): started, finished, failed — and what every stage needs.

A run is held by its runner's lease (:func:`run_lease`, ``core.locks``) from its start to its end. Each
transaction that writes for the run begins with :func:`fence`: a runner taken to be gone (its lease
expired and taken over by another) is refused with :class:`~bastion.core.locks.LeaseLost` and writes
nothing — and finishing or failing a run checks that the run is still this runner's, so it never
overwrites what the new runner recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import locks
from ..db import transaction
from ..errors import BastionError, NotFound
from ..i18n import tr
from ..models import StageRun, StageStatus, utcnow
from ..registry import Registry


class StageFailed(BastionError):
    """A stage raised: its run is recorded as failed with the reason; published results are untouched."""


@dataclass(frozen=True)
class StageContext:
    """What every stage needs: where, for whom, by whom, and the Prefect flow run (if any) that runs it."""

    engine: Engine
    registry: Registry
    home: Path
    actor: str
    flow_run_id: str | None = None


def stage_key(year: int, stage: str, subject: str) -> str:
    return f"{year}:{stage}:{subject}"


def find_run(engine: Engine, tenant_id: int, key: str) -> StageRun | None:
    with Session(engine) as session:
        return session.exec(select_model(StageRun).where(StageRun.tenant_id == tenant_id, StageRun.key == key)).first()


def get_run(engine: Engine, run_id: int) -> StageRun:
    with Session(engine) as session:
        run = session.get(StageRun, run_id)
    if run is None:
        raise NotFound(tr(f"没有阶段运行记录 #{run_id}", f"no stage run #{run_id}"))
    return run


def run_lease(tenant_id: int, run_key: str) -> str:
    """The name of the lease that holds a stage run."""
    return f"stage:{tenant_id}:{run_key}"


def fence(session: Session | Connection, run: StageRun, holding: locks.Holding | None = None) -> None:
    """First in every transaction that writes for ``run``: its lease is still this runner's (``holding``, else the
    one this work holds), or :class:`~bastion.core.locks.LeaseLost` and nothing is written."""
    conn = session.connection() if isinstance(session, Session) else session
    locks.fence(conn, run_lease(run.tenant_id, run.key), holding)


def _still_ours(session: Session, run: StageRun) -> StageRun:
    """The run's row, if this runner (``run.lease_token``) still holds it; else :class:`LeaseLost`."""
    current = session.get(StageRun, run.id)
    if current is None or current.lease_token != run.lease_token:
        raise locks.LeaseLost(tr(f"阶段 {run.key} 已由其他运行者接管，本次结果未记录",
                                 f"stage {run.key} was taken over by another runner; this result was not recorded"))
    return current


def finish_run(session: Session, run: StageRun, detail: dict[str, Any],
               status: StageStatus = StageStatus.succeeded, *, cycle_id: int | None = None) -> StageRun:
    """Record the run finished with ``detail`` (``cycle_id``: the cycle it opened), in the step's transaction, which
    began with :func:`fence`."""
    current = _still_ours(session, run)
    current.status, current.detail, current.finished_at = status.value, detail, utcnow()
    if cycle_id is not None:
        current.cycle_id = cycle_id
    session.add(current)
    return current


def fail_run(engine: Engine, run: StageRun, exc: BaseException) -> None:
    """Record why the run failed — unless another runner has taken it over (:class:`LeaseLost`: it is theirs)."""
    with transaction(engine) as session:
        fence(session, run)
        current = _still_ours(session, run)
        current.status, current.error, current.finished_at = StageStatus.failed.value, f"{type(exc).__name__}: {exc}", utcnow()
        session.add(current)
