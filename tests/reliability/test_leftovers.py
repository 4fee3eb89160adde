"""What a killed command leaves behind is cleaned up: a spool folder of a dead run is removed at the next run, and
a ``bastion run`` killed with SIGKILL leaves no temporary Prefect server running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table

from bastion.core import db, spool
from bastion.core.settings import Settings
from tests import factories

HOLD_A_SPOOL = """
import sys, time
import pyarrow as pa
from sqlalchemy import Column, Float, Integer, MetaData, String, Table
from bastion.core import db, spool
from bastion.core.settings import Settings
from tests import factories

engine = db.make_engine(sys.argv[1])
table = Table("spooled", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer),
              Column("x", Float), Column("label", String))
with engine.begin() as conn:
    s = spool.Spool(conn, table, expected_rows=1_000_000, batch_rows=100_000)
    for start in range(0, 300_000, 100_000):
        n = range(start, start + 100_000)
        s.put(pa.record_batch({"n": pa.array(list(n)), "x": pa.array([i / 3 for i in n]),
                               "label": pa.array([f"第{i}行" for i in n])}))
    print(s.directory, flush=True)
    time.sleep(600)
"""


def spool_dirs(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(".bastion-spool-"))


def size_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def holding_a_spool(url: str) -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLD_A_SPOOL, url], stdout=subprocess.PIPE, text=True)
    return process, Path(process.stdout.readline().strip())


def test_a_killed_spool_runs_folder_is_removed_at_the_next_run_and_a_live_ones_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'bastion.db'}"
    engine = db.make_engine(url)
    table = Table("spooled", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer),
                  Column("x", Float), Column("label", String))
    table.create(engine)
    killed, dead_dir = holding_a_spool(url)
    alive, live_dir = holding_a_spool(url)
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert dead_dir.is_dir() and size_mb(dead_dir) > 1  # what a killed run leaves: megabytes of scratch files
        with engine.begin() as conn:  # the next run
            with spool.Spool(conn, table, expected_rows=10) as s:
                assert spool_dirs(tmp_path) == sorted([live_dir, s.directory])
        assert spool_dirs(tmp_path) == [live_dir]  # the next run's own folder goes when it is done
    finally:
        alive.kill()
        alive.wait()
        killed.stdout.close()
        alive.stdout.close()
        engine.dispose()
    spool.sweep(tmp_path)
    assert spool_dirs(tmp_path) == []


PREFECT_SERVER = "prefect.server.api.server:create_app"


def listening(process: psutil.Process) -> bool:
    try:
        return any(c.status == psutil.CONN_LISTEN for c in process.net_connections(kind="inet"))
    except psutil.Error:
        return False


def test_a_killed_bastion_run_leaves_no_prefect_server_running(engine, registry, tmp_path):
    """``bastion run`` with no Prefect server configured, killed with SIGKILL once its temporary server listens:
    within seconds no process of that server is left."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the database is not what is tested")
    home = tmp_path / "home"
    store = db.connect(Settings(home=home, database_url=f"sqlite:///{home / 'bastion.db'}"))
    factories.tenant(store, registry, "acme")
    store.dispose()
    env = {**os.environ, "BASTION_HOME": str(home), "BASTION_DATABASE_URL": f"sqlite:///{home / 'bastion.db'}",
           "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    env.pop("PREFECT_API_URL", None)
    with (tmp_path / "run.log").open("wb") as log:
        cli = subprocess.Popen([sys.executable, "-m", "bastion", "run", "spot_check", "--tenant", "acme"], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    servers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and cli.poll() is None:
            try:
                tree = psutil.Process(cli.pid).children(recursive=True)
                servers = [p for p in tree if PREFECT_SERVER in " ".join(p.cmdline())]
            except psutil.Error:
                servers = []
            if servers and listening(servers[0]):
                break
            time.sleep(0.2)
        assert servers and cli.poll() is None, (tmp_path / "run.log").read_text(errors="replace")
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
        _, left = psutil.wait_procs(servers, timeout=20)
        assert left == [], f"the temporary Prefect server outlived the killed command: {left}"
    finally:
        for process in servers:
            try:
                process.kill()
            except psutil.Error:
                pass
        if cli.poll() is None:
            cli.kill()
            cli.wait()
