"""The database: engine, sessions and migrations.

Embedded SQLite by default (WAL, so readers never block; a 30 s busy timeout, so a writer waits
for another instead of failing), any SQLAlchemy URL otherwise (PostgreSQL:
``postgresql+psycopg://…``). The schema is managed by Alembic from the first version:
:func:`upgrade` brings any database to the latest revision, and :func:`connect` does so on first
start. Reading and writing rows at cycle scale is ``core.bulk_read`` and ``core.bulk_write``.
"""

from __future__ import annotations

import contextvars
import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from . import (
    models,  # registers the tables on SQLModel.metadata
    spool,
)
from .settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_SECONDS = 30  # how long an SQLite writer waits for another before it fails


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", spool.release)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    _write_ahead_log(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _write_ahead_log(cursor) -> None:
    """Put the database in WAL mode, which its file keeps once set.

    Setting it needs the database alone for a moment: two processes opening a new database together
    (the UI and a stage runner after an install) may find it taken, and SQLite then refuses at once
    ("database is locked") instead of waiting its busy timeout. Each tries again for as long as that
    timeout; a database already in WAL mode is left as it is."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


#: The PostgreSQL advisory locks (any constants: words read as numbers). A schema upgrade holds
#: :data:`UPGRADE_LOCK`; every write transaction holds :data:`RECORDING_LOCK` shared, and a cut (:func:`cut`)
#: takes it alone; a change of a tenant's tree holds :data:`TREE_LOCK` with the tenant's id.
UPGRADE_LOCK = int.from_bytes(b"bastion", "big")
RECORDING_LOCK = int.from_bytes(b"record", "big")
TREE_LOCK = int.from_bytes(b"tree", "big")


def hold(conn: Connection, *key: int, shared: bool = False) -> None:
    """Hold the PostgreSQL advisory lock ``key`` (one number, or two) until ``conn``'s transaction ends.

    Nothing on SQLite, whose write transactions hold the database's write lock from their first statement
    (:func:`_take_write_lock`): one writer at a time already."""
    if conn.dialect.name != "postgresql":
        return
    names = ", ".join(f":k{i}" for i in range(len(key)))
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn.execute(text(f"SELECT {function}({names})"), {f"k{i}": k for i, k in enumerate(key)})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the latest), in one transaction holding the database's
    upgrade lock from its first statement.

    Two processes starting on a database that is behind (the UI and a stage runner after an update, two
    ``bastion db upgrade``) would otherwise both read the old revision and both run its migrations: the
    second fails half-way ("table already exists", or SQLite's "database is locked"). Under the lock the
    second waits for the first to commit, then reads the new revision and has nothing left to do. The lock
    is SQLite's write lock (``BEGIN IMMEDIATE``, waiting up to the busy timeout) or a transaction-scoped
    PostgreSQL advisory lock (:data:`UPGRADE_LOCK`), released at commit.
    """
    config = alembic_config(engine)
    with begin(engine) as connection:
        hold(connection, UPGRADE_LOCK)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def connect(settings: Settings | None = None, *, migrate: bool = True) -> Engine:
    """The engine for the configured database, upgraded to the latest schema if it is behind."""
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    if migrate and current_revision(engine) != head_revision():
        upgrade(engine)
    return engine


def database_file(conn: Connection) -> bool:
    """Whether ``conn`` is to a database file (other connections to it see the same database)."""
    url = conn.engine.url
    return bool(url.database) and url.database != ":memory:" and "mode=memory" not in str(url.query)


def _take_write_lock(conn: Connection) -> None:
    """On SQLite, take the database's write lock now (``BEGIN IMMEDIATE``), waiting up to the busy timeout.

    SQLite's driver starts a transaction at its first write: a transaction that read first and then
    writes fails at once ("database is locked") if another writer committed in between, and a check
    read before the write may be stale by then. A write transaction that holds the lock from its
    first statement reads what is committed and cannot be overtaken. PostgreSQL's writers use row
    locks and leases (``core.locks``) instead.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif not conn.in_transaction():
        conn.begin()
    hold(conn, RECORDING_LOCK, shared=True)
    _WRITES.add(conn.get_transaction())


def cut(engine: Engine) -> datetime:
    """A moment by which every write transaction that stamped a time at or before it has committed.

    A fact carries the moment it was recorded (``recorded_at``), stamped inside its write transaction, but
    others see it only once that transaction commits — perhaps after a scoring run took its moment and
    read the facts: a fact stamped before the run's moment that the run never saw, which the period's
    frozen inputs (``recorded_at`` up to that moment) would then hold. The cut waits for the write
    transactions in flight — SQLite's write lock, or PostgreSQL's :data:`RECORDING_LOCK`, which every write
    transaction holds shared, taken alone — and stamps its moment under it: what was stamped up to the cut
    is committed, what is stamped later comes after it. Not inside a write transaction of the same thread
    (it would wait for itself)."""
    if engine.dialect.name == "sqlite":
        with begin(engine):
            return models.utcnow()
    with engine.connect() as conn, conn.begin():
        hold(conn, RECORDING_LOCK)
        return models.utcnow()


# The transactions :func:`transaction` and :func:`begin` opened: writes, whose principal ``core.access`` reads again.
_WRITES: weakref.WeakSet = weakref.WeakSet()


def writing(conn: Connection) -> bool:
    """Whether ``conn`` is in a write transaction (one :func:`transaction` or :func:`begin` opened)."""
    current = conn.get_transaction()
    return current is not None and current in _WRITES


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed together at the end, or not at all (a write transaction)."""
    with _one_writer(engine), Session(engine, expire_on_commit=False) as session, session.begin():
        _take_write_lock(session.connection())
        yield session


@contextmanager
def begin(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()`` for a write transaction: committed at the end, rolled back on an error, and on SQLite
    holding the write lock from its first statement (:func:`_take_write_lock`)."""
    with _one_writer(engine), engine.connect() as conn:
        _take_write_lock(conn)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


_writing: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("bastion_writing", default=frozenset())


@contextmanager
def _one_writer(engine: Engine) -> Iterator[None]:
    """Refuse, at once, a write transaction opened inside another on the same SQLite database.

    The outer one holds the database's write lock, so the inner one would wait for it until the busy
    timeout and then fail with a bare "database is locked": a deadlock of the caller with itself. The
    caller has to finish (or pass on) the outer transaction instead.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database:
        yield
        return
    name = engine.url.database
    if name in _writing.get():
        raise RuntimeError(f"a write transaction on {name} was opened inside another one on the same database: "
                           "it would wait for itself (pass the open session or connection on instead)")
    reset = _writing.set(_writing.get() | {name})
    try:
        yield
    finally:
        _writing.reset(reset)
