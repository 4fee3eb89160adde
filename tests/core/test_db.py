from datetime import datetime, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, text
from sqlmodel import SQLModel

from bastion.core import db
from bastion.core.cycles import cycle_scheme
from bastion.core.settings import Settings
from tests import factories


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
