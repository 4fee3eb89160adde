"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from bastion.core import db
from bastion.core.registry import Registry
from tests import factories

# Prefect's own state for the whole session, set before anything imports bastion.flows (which
# would otherwise default it to ./.bastion/prefect); a flow run outside the flow tests' harness
# (the demo) starts one temporary server there.
# Under pytest-xdist each worker has its own (a worker inherits the controller's environment: one would be shared).
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER or "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix=f"bastion-test-prefect-{WORKER or ''}")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # its INFO lines at exit hit pytest's closed streams
# Tests speak the default language (zh-CN) whatever the shell says; English is asked for with i18n.using("en").
os.environ.pop("BASTION_LANG", None)



def _worker_database(url: str, worker: str) -> str:
    """``url``'s database for one pytest-xdist worker (``bastion_test_gw0``), created if missing: each worker
    drops and migrates its own schema."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


PG_URL = os.environ.get("BASTION_TEST_DATABASE_URL")
if PG_URL and WORKER:
    PG_URL = _worker_database(PG_URL, WORKER)
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "bastion.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    engine = db.make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """An empty, migrated database on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "bastion.db"
        shutil.copy(sqlite_template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            # The audit trail refuses TRUNCATE (an append-only trigger): a test database is emptied as its
            # owner, with triggers off for the statement.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield engine


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Every installed plugin (the built-ins are installed with Bastion)."""
    return Registry.load()


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lightest: tests that make many users test who may do what, not the hashing."""
    from argon2 import PasswordHasher

    from bastion.core import access

    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def tenant(engine: Engine, registry: Registry):
    return factories.tenant(engine, registry)


@pytest.fixture
def cycle(engine: Engine, registry: Registry, tenant):
    return factories.cycle(engine, registry, tenant)
