import multiprocessing
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bastion.core import db
from bastion.core.cycles import cycle_scheme
from bastion.core.settings import Settings
from tests import factories
from tests.conftest import BACKENDS, PG_URL


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_database_is_at_head(engine):
    assert db.current_revision(engine) == db.head_revision()


def test_first_start_upgrades_an_empty_sqlite_database(tmp_path):
    settings = Settings.from_env({"BASTION_HOME": str(tmp_path / "home")})
    engine = db.connect(settings)
    try:
        assert (tmp_path / "home" / "bastion.db").exists()
        assert "evaluation" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_database_url_overrides_home(tmp_path):
    settings = Settings.from_env({"BASTION_HOME": str(tmp_path), "BASTION_DATABASE_URL": "postgresql+psycopg://x@h/db"})
    assert settings.database_url == "postgresql+psycopg://x@h/db"
    assert Settings.from_env({"BASTION_HOME": str(tmp_path)}).database_url == f"sqlite:///{tmp_path / 'bastion.db'}"


def test_the_block_subtotals_of_existing_results_are_filled_from_their_lines(tmp_path, registry):
    """0007 adds ``blocksubtotal`` and fills it from the lines scored before it (lines written as 0006 had them)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine)  # the tenant, its cycle and tree made by today's code, then back to 0006 for the results
        tenant = factories.tenant(engine, registry)
        cycle = factories.cycle(engine, registry, tenant)
        ids = factories.org_tree(engine, tenant, {"A": "机关", "B": "生产一线"})
        with engine.begin() as conn:
            config = db.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        scheme = cycle_scheme(cycle)
        codes = [i.code for i in scheme.indicators()]
        with engine.begin() as conn:  # the tables as 0006 had them, read from the database
            tables = MetaData()
            ev_t = Table("evaluation", tables, autoload_with=conn)
            line_t = Table("evaluationline", tables, autoload_with=conn)
            for n, org in enumerate(("A", "B")):
                evaluation_id = conn.execute(insert(ev_t).values(
                    tenant_id=tenant.id, cycle_id=cycle.id, period="2026", org_id=ids[org], scheme_id=scheme.id,
                    scheme_version=scheme.version, base_points=0, bonus_points=0, total=0, vetoed=False,
                    veto_reasons=[], grade="", advanced_eligible=False, rank=n + 1, tier="", status="draft",
                    scored_at=datetime.now(timezone.utc))).inserted_primary_key[0]
                conn.execute(insert(line_t), [
                    {"evaluation_id": evaluation_id, "indicator_code": code, "points": (k % 4) * 0.5 + n,
                     "veto": False, "reason": "", "evidence": ""} for k, code in enumerate(codes)])
        assert "blocksubtotal" not in inspect(engine).get_table_names()

        db.upgrade(engine)

        with engine.connect() as conn:
            stored, summed = factories.block_subtotals(conn)
        assert stored == summed and len(stored) == 2 * len(scheme.blocks)
        assert any(points > 0 for points in stored.values())
    finally:
        engine.dispose()


def _upgrade_when_told(url: str, start, results) -> None:
    """In a process of its own: wait for the signal, upgrade the database, report ``ok`` or the error."""
    engine = db.make_engine(url)
    start.wait(30)
    try:
        db.upgrade(engine)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - whatever it is, the test shows it
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


def _race_upgrades(url: str, processes: int = 3) -> list[str]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_upgrade_when_told, args=(url, start, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(3)  # every process started and waiting (spawn imports Bastion first)
    start.set()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    return outcomes


@pytest.fixture
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a PostgreSQL database made for the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.db'}"
        return
    url = make_url(PG_URL)
    name = f"{url.database}_upgrade_race"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
def test_upgrades_started_together_migrate_once_and_all_succeed(empty_database_url):
    """The UI and a stage runner starting together on a database that is behind both upgrade it: one migrates
    while the others wait on the upgrade lock, then find it at head — no 'already exists', no 'locked'."""
    assert _race_upgrades(empty_database_url) == ["ok", "ok", "ok"]
    engine = db.make_engine(empty_database_url)
    try:
        assert db.current_revision(engine) == db.head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()
