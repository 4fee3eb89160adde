"""Bulk writes at cycle scale: many rows given column-wise, straight to the driver.

:func:`bulk_insert` inserts rows given as columns (``executemany`` on SQLite, ``COPY`` on
PostgreSQL); :func:`batch_writer` inserts a run's rows part by part as Arrow record batches — on an
SQLite file, from :data:`SPOOL_MIN_ROWS` rows on, through ``core.spool``'s helper process, which
binds them on the other core while the caller goes on; :func:`update_by_key` sets many rows' columns
in one ``UPDATE`` from a temporary table filled in bulk; :func:`insert_new` inserts the rows whose key is not
there yet, the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from sqlalchemy import Boolean, Column, Connection, Float, Integer, MetaData, Numeric, String, Table, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from .db import database_file
from .memory import release_free_memory
from .spool import Spool


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

INSERT_BATCH = 50_000
"""Rows inserted per ``executemany``/``COPY`` by :func:`insert_batch`, and per spooled batch."""
SPOOL_MIN_ROWS = 300_000
"""From this many rows on, :func:`batch_writer` writes to an SQLite file through ``core.spool``: a helper
process binds them on the other core while the caller goes on (scoring the next slice); below it,
starting the helper costs more than it saves."""


@contextmanager
def batch_writer(conn: Connection, table: Table, *, expected_rows: int,
                 to_batch: Callable[[Any], pa.RecordBatch]) -> Iterator[Callable[[Any], None]]:
    """``write(part)``: insert ``to_batch(part)`` into ``table``, in ``conn``'s transaction — through a
    spool for a large run (``expected_rows``) on an SQLite file, else directly (:func:`insert_batch`).

    Every row is in the table by the time the ``with`` block ends. The batch is built inside
    ``write``, so its texts are freed (and their memory handed back) before the next part is scored.
    """
    if (conn.dialect.name == "sqlite" and expected_rows >= SPOOL_MIN_ROWS and database_file(conn)
            and os.name == "posix"):  # the spool waits on its helper's pipe with select()
        def spooled(part: Any) -> None:
            spool.put(to_batch(part))
            release_free_memory()  # the part's texts: Arrow's allocator would keep their pages

        with Spool(conn, table, expected_rows=expected_rows, batch_rows=INSERT_BATCH) as spool:
            yield spooled
    else:
        def direct(part: Any) -> None:
            insert_batch(conn, table, to_batch(part))

        yield direct


def insert_batch(conn: Connection, table: Table, batch: pa.RecordBatch) -> None:
    """Insert an Arrow record batch (its columns named as ``table``'s), :data:`INSERT_BATCH` rows at a time.

    Texts stay Arrow strings until their rows are inserted, so few of them are alive as Python
    strings at once (each also holds the UTF-8 copy the driver makes).
    """
    for start in range(0, batch.num_rows, INSERT_BATCH):
        part = batch.slice(start, INSERT_BATCH)
        bulk_insert(conn, table, {name: part.column(name).to_pylist() for name in part.schema.names})


def update_by_key(conn: Connection, table: Table, columns: dict[str, list[Any]], *, key: str = "id") -> None:
    """Set the columns given (plain Python values, as for :func:`bulk_insert`) of the rows whose ``key``
    is given, in one ``UPDATE`` from a temporary table filled in bulk, in ``conn``'s transaction."""
    scratch = Table(f"bastion_update_{table.name}", MetaData(),
                    *(Column(name, table.c[name].type, primary_key=name == key) for name in columns),
                    prefixes=["TEMPORARY"])
    scratch.create(conn)
    bulk_insert(conn, scratch, columns)
    conn.execute(update(table).where(table.c[key] == scratch.c[key])
                 .values({name: scratch.c[name] for name in columns if name != key}))
    scratch.drop(conn)


def insert_new(conn: Connection, table: Table, columns: dict[str, list[Any]], *, keys: list[str]) -> int:
    """Insert the rows (given column-wise, as for :func:`bulk_insert`) whose ``keys`` — a unique index of ``table``
    — are not in it yet, in ``conn``'s transaction; how many were new. The rows go into a temporary table in bulk,
    then into ``table`` by one ``INSERT … SELECT … ON CONFLICT DO NOTHING``: the rows already there (an earlier
    run's, a raced twin's — which waits for the other's commit) are left as they are."""
    names = list(columns)
    scratch = Table(f"bastion_new_{table.name}", MetaData(), *(Column(name, table.c[name].type) for name in names),
                    prefixes=["TEMPORARY"])
    scratch.create(conn)
    try:
        bulk_insert(conn, scratch, columns)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = (dialect.insert(table)
                     .from_select(names, select(*(scratch.c[name] for name in names)).where(true()))  # SQLite's
                     # parser needs the WHERE before an upsert's ON CONFLICT
                     .on_conflict_do_nothing(index_elements=keys)
                     .returning(table.c.id))  # counted by what comes back: rowcount is -1 on psycopg
        return len(conn.execute(statement).all())
    finally:
        scratch.drop(conn)
