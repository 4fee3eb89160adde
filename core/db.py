"""The database: engine, sessions and migrations.

Embedded SQLite by default (WAL, so readers never block; a 30 s busy timeout, so a writer waits
for another instead of failing), any SQLAlchemy URL otherwise (PostgreSQL:
``postgresql+psycopg://…``). The schema is managed by Alembic from the first version:
:func:`upgrade` brings any database to the latest revision, and :func:`connect` does so on first
start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Connection, Engine, Float, Integer, Numeric, Select, String, Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the latest)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
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


def bulk_insert(conn: Connection, table: Table, columns: dict[str, list[Any]]) -> None:
    """Insert many rows given column-wise (plain Python values, None for NULL), in ``conn``'s transaction.

    Columns left out get their default (a callable default is called once for all the rows).

    Cycle-scale writes (millions of evaluation lines) go straight to the driver: ``executemany``
    on SQLite, ``COPY`` on PostgreSQL — an order of magnitude faster than ORM or Core inserts.
    """
    n = len(next(iter(columns.values()), []))
    columns = dict(columns)
    for column in table.c:  # the columns' own defaults, as Core inserts would apply them (one call each)
        if column.name not in columns and column.default is not None and not column.primary_key:
            default = column.default
            value = default.arg(None) if default.is_callable else default.arg
            columns[column.name] = [value] * n
    names = list(columns)
    values = []
    for name, column in columns.items():
        column_type = table.c[name].type
        process = None
        if not isinstance(column_type, _DRIVER_NATIVE):  # JSON, timestamps …: the type's own conversion
            process = column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        values.append([process(v) for v in column] if process else column)
    rows = zip(*values)
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        elif conn.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in names)
            cursor.executemany(f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({marks})', rows)
        else:
            conn.execute(table.insert(), [dict(zip(names, row)) for row in rows])
    finally:
        cursor.close()


_DRIVER_NATIVE = (Boolean, Float, Integer, Numeric, String)  # values the drivers take as they are


def read_columns(conn: Connection, query: Select, *, chunk: int = 200_000, sort_by: str | None = None) -> pd.DataFrame:
    """Run ``query`` and return its rows as a frame of numpy columns (see ``scoring.read_facts``).

    The column kinds come from the query's SQL types: integers, floats (NULL → NaN), text
    (shared strings: each distinct value is one object; NULL → None) and the ``date`` column as
    epoch days. Rows are fetched ``chunk`` at a time (on PostgreSQL through a server-side
    cursor) and columns assembled one at a time, so the peak stays close to the result's size;
    with ``sort_by`` the rows come ordered by that column (stable), without a second copy.

    Not through ADBC's SQLite driver, although it reads into Arrow 3–4× faster: it carries its
    own copy of SQLite, and two copies in one process undo each other's file locks on a WAL
    database and delete its WAL on close (seen here as "disk I/O error"; SQLite's "How To
    Corrupt" page, multiple copies of SQLite linked into the same application).
    """
    kinds = {c.name: _kind(c) for c in query.selected_columns}
    parts: dict[str, list[np.ndarray]] = {name: [] for name in kinds}
    distinct: dict[str, dict] = {name: {None: 0} for name, kind in kinds.items() if kind == "text"}
    for batch in _row_batches(conn, query, kinds, chunk):
        for name, kind in kinds.items():
            column = batch[name]
            if kind == "text":  # (codes, uniques) of the batch → codes into the column's shared strings
                codes, uniques = column
                seen = distinct[name]
                lookup = np.array([seen.setdefault(u, len(seen)) for u in uniques] + [0], dtype="int64")
                column = lookup[codes]
            parts[name].append(column)
    order = None
    if sort_by is not None and parts[sort_by]:
        order = np.argsort(np.concatenate(parts[sort_by]), kind="stable")
    frame = {}
    for name, kind in kinds.items():
        chunks = parts.pop(name)
        values = np.concatenate(chunks) if chunks else np.array([], dtype="int64" if kind != "float" else "float64")
        del chunks
        if order is not None:
            values = values[order]
        if kind == "text":
            values = np.array(list(distinct[name]), dtype=object)[values]
        elif kind == "int":
            values = values.astype("int64", copy=False)
        frame[name] = pd.Series(values, dtype=object if kind == "text" else values.dtype)
        del values
    out = pd.DataFrame(frame)
    if "date" in out:
        out["date"] = pd.to_datetime(out["date"], unit="D")
    return out


def _row_batches(conn: Connection, query: Select, kinds: dict[str, str], chunk: int) -> Iterator[dict[str, Any]]:
    for rows in _driver_rows(conn, query, chunk):
        block = np.array(rows, dtype=object).reshape(len(rows), len(kinds))
        batch: dict[str, Any] = {}
        for (name, kind), column in zip(kinds.items(), block.T, strict=True):
            if kind == "text":
                codes, uniques = pd.factorize(column)  # NULL → code -1: the lookup's last slot, None
                batch[name] = (codes, list(uniques))
            elif kind == "float":
                batch[name] = np.where(column == None, np.nan, column).astype("float64")  # noqa: E711
            else:
                batch[name] = column.astype("int64")
        yield batch


def _driver_rows(conn: Connection, query: Select, chunk: int) -> Iterator[list[tuple]]:
    """Chunks of the driver's own row tuples: no SQLAlchemy row object per row.

    On PostgreSQL the rows come through a server-side cursor, so the client never holds more
    than a chunk.
    """
    compiled = query.compile(dialect=conn.dialect)
    values = {}
    for name, value in compiled.construct_params().items():
        process = compiled.binds[name].type.bind_processor(conn.dialect)
        values[name] = process(value) if process else value
    params = [values[name] for name in compiled.positiontup] if conn.dialect.positional else values
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor(name="bastion_read_columns")
    else:
        cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


def _kind(column: ColumnElement) -> str:
    if isinstance(column.type, Integer):
        return "int"
    if isinstance(column.type, (Float, Numeric)):
        return "float"
    return "text"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed together at the end, or not at all."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
