"""The record of each stage run (``StageRun``): started, finished, failed — and what every stage needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from sqlmodel import select as select_model

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


def finish_run(session: Session, run: StageRun, detail: dict[str, Any],
               status: StageStatus = StageStatus.succeeded) -> StageRun:
    run = session.merge(run)
    run.status, run.detail, run.finished_at = status.value, detail, utcnow()
    session.add(run)
    return run


def fail_run(engine: Engine, run: StageRun, exc: BaseException) -> None:
    with transaction(engine) as session:
        run = session.merge(run)
        run.status, run.error, run.finished_at = StageStatus.failed.value, f"{type(exc).__name__}: {exc}", utcnow()
        session.add(run)
