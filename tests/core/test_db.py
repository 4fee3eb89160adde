from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from bastion.core import db
from bastion.core.settings import Settings


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
