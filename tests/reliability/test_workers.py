"""Out across machines: a standing Prefect server, a process work pool and two workers on PostgreSQL.

Everything runs as it does in production (docs/deploy.md), as separate processes: ``prefect server
start``, ``prefect work-pool create``, ``bastion deploy --pool``, two ``prefect worker start``, each
worker with its own environment — the same Bastion database and the same ``BASTION_HOME`` (the
archive), as two machines would have. The same stage of a tenant is then started twice at once;
each worker takes one flow run. Exactly one acts: one stage run, one set of incentives, one
bulletin, one publication in the audit trail; the other flow run finds the run done (or held
elsewhere). What it published is what the stage publishes in-process on the same data.

It needs PostgreSQL (BASTION_TEST_DATABASE_URL): workers in several processes share one database,
which is what PostgreSQL is for. About a minute on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from bastion.core.models import AuditEvent, Bulletin, Evaluation, Incentive, Organization, StageRun
from bastion.core.stages import service as stages
from tests import factories
from tests.conftest import PG_URL

pytestmark = pytest.mark.storage

BIN = Path(sys.executable).parent
POOL = "bastion-test"
STAGE, PERIOD = "half_year", "2026-H1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Processes started in groups of their own, each logging to a file; all stopped at the end, whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.started = logs, []

    def start(self, name: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc, log))
        return proc

    def run(self, name: str, *args: str, env: dict[str, str]) -> str:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop_all(self) -> None:
        for _, proc, _ in reversed(self.started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc, log in reversed(self.started):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            try:  # whatever the group's leader left behind
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            log.close()


@contextmanager
def processes(logs: Path) -> Iterator[Processes]:
    procs = Processes(logs)
    try:
        yield procs
    except BaseException:
        for name, _, _ in procs.started:
            print(f"--- {name} ---\n{procs.tail(name)}")
        raise
    finally:
        procs.stop_all()


def environment(tmp: Path, api: str, **extra: str) -> dict[str, str]:
    """A machine's environment: no PREFECT_/BASTION_ variable of the test session, only what production sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BASTION_"))}
    env.update(PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW="ignore", PREFECT_LOGGING_LEVEL="INFO",
               BASTION_DATABASE_URL=PG_URL or "", BASTION_HOME=str(tmp / "shared-home"))
    env.update(extra)
    Path(env.get("PREFECT_HOME", tmp)).mkdir(parents=True, exist_ok=True)
    return env


def wait_for(what: str, check, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (httpx.HTTPError, OSError):
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def api(base: str, method: str, path: str, body: dict | None = None):
    response = httpx.request(method, f"{base}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def test_two_workers_run_the_same_stage_once(engine, registry, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (BASTION_TEST_DATABASE_URL): workers in separate processes share one database")
    began = time.monotonic()
    tenant, cycle = factories.enterprise(engine, registry, "wk", branches=12)
    ref_tenant, ref_cycle = factories.enterprise(engine, registry, "ref", branches=12)
    logs = tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}/api"
    with processes(logs) as procs:
        server_env = environment(tmp_path, base, PREFECT_HOME=str(tmp_path / "prefect-server"),
                                 PREFECT_UI_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false")
        procs.start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                    env=server_env)
        wait_for("the Prefect server healthy", lambda: api(base, "GET", "/health"), 120)
        healthy = time.monotonic() - began

        office = environment(tmp_path, base, PREFECT_HOME=str(tmp_path / "prefect-office"), BASTION_USER="office")
        procs.run("work-pool create", str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process",
                  env=office)
        said = procs.run("bastion deploy", str(BIN / "bastion"), "deploy", "--pool", POOL, "--tenant", "wk",
                         env=office)
        assert f"wk-{STAGE}" in said, said

        for n in (1, 2):
            worker_env = environment(tmp_path, base, PREFECT_HOME=str(tmp_path / f"prefect-worker-{n}"),
                                     BASTION_USER=f"worker-{n}", BASTION_LOCK_WAIT="60",
                                     PREFECT_WORKER_QUERY_SECONDS="1")
            procs.start(f"worker-{n}", str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process",
                        "--name", f"worker-{n}", "--limit", "1", env=worker_env)
        wait_for("both workers polling the pool",
                 lambda: len([w for w in api(base, "POST", f"/work_pools/{POOL}/workers/filter", {})
                              if w["status"] == "ONLINE"]) == 2, 90)

        (deployment,) = [d for d in api(base, "POST", "/deployments/filter", {}) if d["name"] == f"wk-{STAGE}"]
        runs = asyncio.run(_start_twice(base, deployment["id"]))
        started = time.monotonic()

        def finished():
            states = [api(base, "GET", f"/flow_runs/{r}") for r in runs]
            return states if all(s["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
                                 for s in states) else None

        flow_runs = wait_for("both flow runs finished", finished, 150)
        ran_for = time.monotonic() - started
        assert [r["state"]["type"] for r in flow_runs] == ["COMPLETED", "COMPLETED"], flow_runs

        # Exactly one acted: the stage run is one flow run's; the other found it done, or held elsewhere (its
        # logs say which; they reach the server shortly after its final state).
        with Session(engine) as session:
            (run,) = session.exec(select(StageRun).where(StageRun.tenant_id == tenant.id)).scalars().all()
        assert (run.key, run.status, run.attempts) == (f"2026:{STAGE}:{PERIOD}", "succeeded", 1)
        assert run.flow_run_id in runs
        (other,) = [r for r in runs if r != run.flow_run_id]
        (outcome,) = wait_for("the other flow run's outcome in its logs",
                              lambda: [m for m in _messages(base, other)
                                       if "already succeeded" in m or "held elsewhere" in m], 60)
        assert not any("'status': 'succeeded'" in m for m in _messages(base, other))

    # Each worker ran one of the two flow runs (the worker that runs a flow run labels it with its name).
    takers = sorted(r["labels"].get("prefect.worker.name", "?") for r in flow_runs)
    assert takers == ["worker-1", "worker-2"], takers

    # What it did, once: the same as the stage in-process on the same data.
    stages.run_stage(stages.StageContext(engine, registry, tmp_path / "ref-home", "office"), ref_cycle, STAGE,
                     period=PERIOD)
    assert _awards(engine, cycle) == _awards(engine, ref_cycle) and len(_awards(engine, cycle)) == run.detail["awards"] > 0
    assert _results(engine, cycle) == _results(engine, ref_cycle)
    with Session(engine) as session:
        (bulletin,) = session.exec(select(Bulletin).where(Bulletin.cycle_id == cycle.id)).scalars().all()
        trail = session.exec(select(AuditEvent.action, AuditEvent.actor)
                             .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action.in_(["score", "publish"]))
                             .order_by(AuditEvent.id)).all()
    for written in (bulletin.docx_path, bulletin.xlsx_path):  # in the archive every worker shares
        assert Path(written).is_relative_to(tmp_path / "shared-home") and Path(written).stat().st_size > 0
    assert [a for a, _ in trail] == ["score", "publish"] and len({actor for _, actor in trail}) == 1
    wall = time.monotonic() - began
    print(f"workers test: server healthy after {healthy:.1f} s; both flow runs done {ran_for:.1f} s after they "
          f"were started; {wall:.1f} s in all; the other flow run: {outcome}")
    assert wall < 180, wall


async def _start_twice(base: str, deployment_id: str) -> list[str]:
    """Start the deployment twice at the same moment, as two people (or a schedule and a person) would."""
    # A generous timeout, not a retry: a request that timed out may still have created its flow run. The server's
    # own SQLite database can keep a write waiting for many seconds on a loaded 2-core machine.
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        async def start() -> str:
            for _ in range(20):  # the server's own SQLite busy for a moment: 503, try again (as Prefect's client does)
                response = await client.post(f"/deployments/{deployment_id}/create_flow_run",
                                             json={"parameters": {"period": PERIOD}})
                if response.status_code != 503:
                    break
                await asyncio.sleep(0.2)
            response.raise_for_status()
            return response.json()["id"]

        return list(await asyncio.gather(start(), start()))


def _messages(base: str, flow_run_id: str) -> list[str]:
    body = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC"}
    return [entry["message"] for entry in api(base, "POST", "/logs/filter", body)]


def _awards(engine, cycle) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Organization.code, Incentive.period, Incentive.policy, Incentive.code)
                            .join(Organization, Organization.id == Incentive.org_id)
                            .where(Incentive.cycle_id == cycle.id)).all()
    return sorted(tuple(r) for r in rows)


def _results(engine, cycle) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Organization.code, Evaluation.period, Evaluation.total, Evaluation.status,
                                   Evaluation.rank)
                            .join(Organization, Organization.id == Evaluation.org_id)
                            .where(Evaluation.cycle_id == cycle.id)).all()
    return sorted(tuple(r) for r in rows)


def test_the_workers_test_cleans_up_after_itself(tmp_path):
    """The helper stops a whole process group, children included, even when the test body fails."""
    script = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              "time.sleep(60)")
    with pytest.raises(RuntimeError), processes(tmp_path) as procs:
        leader = procs.start("sleeper", sys.executable, "-c", script, env=dict(os.environ))
        time.sleep(0.5)
        raise RuntimeError("the test failed")
    assert leader.poll() is not None
    assert wait_for("the sleeper's group gone", lambda: not _alive_in_group(leader.pid), 10)


def _alive_in_group(group: int) -> list[int]:
    """The processes of a group still running (a zombie waiting for its reaper is not)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive
