"""The database: engine, sessions and migrations.

Embedded SQLite by default (WAL, so readers never block; a 30 s busy timeout, so a writer waits
for another instead of failing), any SQLAlchemy URL otherwise (PostgreSQL:
``postgresql+psycopg://…``). The schema is managed by Alembic from the first version:
:func:`upgrade` brings any database to the latest revision, and :func:`connect` does so on first
start.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    bindparam,
    case,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlmodel import Session, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from . import spool
from .settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", spool.release)
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


def read_columns(conn: Connection, query: Select, *, chunk: int = 200_000, sort_by: str | None = None,
                 by_key_range: bool = False, readers: int = 1, categorical: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run ``query`` and return its rows as a frame of numpy columns (see ``scoring.read_facts``).

    The column kinds come from the query's SQL types: integers (int32 while every value fits),
    floats (NULL → NaN), text (shared strings: each distinct value is one object; NULL → None)
    and dates (not NULL; as the text SQLite stores, parsed here: cheaper than ``julianday()``
    per row in the database). The ``date`` column, a date or epoch days, comes as datetimes. Rows are fetched ``chunk`` at a time (on PostgreSQL
    through a server-side cursor) into columns that grow in place, so the peak stays close to the
    result's size; with ``sort_by`` the rows come ordered by that column (stable), without a
    second copy. Text columns named in ``categorical`` come as pandas categoricals (categories in
    sorted order): a byte per row instead of a pointer, for codes with few distinct values.

    ``by_key_range``: the query (one table, no ORDER BY, LIMIT or GROUP BY) scans its table in
    primary-key order anyway (a long period, no usable index). On SQLite it is then run over
    ``chunk``-wide ranges of the integer key, each range's rows coming back as one row of
    ``group_concat`` texts (:func:`_sqlite_key_ranges`): the database builds the texts in C
    instead of Python building a tuple per row, about twice as fast. Rows keep the key's order.
    With ``readers`` > 1 and a database file, the ranges are queried on that many threads, each
    with a connection of its own, which sees committed rows only (the caller's uncommitted writes
    are not read): for reading facts stored earlier, not rows written in the same transaction.

    Not through ADBC's SQLite driver, although it reads into Arrow 3–4× faster: it carries its
    own copy of SQLite, and two copies in one process undo each other's file locks on a WAL
    database and delete its WAL on close (seen here as "disk I/O error"; SQLite's "How To
    Corrupt" page, multiple copies of SQLite linked into the same application).
    """
    kinds = {c.name: _kind(c) for c in query.selected_columns}
    distinct: dict[str, dict] = {name: {None: 0} for name, kind in kinds.items() if kind == "text"}
    key = _integer_key(query) if by_key_range and conn.dialect.name == "sqlite" else None
    if key is not None and not database_file(conn):
        readers = 1  # another connection to an in-memory database would open a different, empty one
    bounds = _key_bounds(conn, key) if key is not None else None
    # At most one row per key value: room reserved (address space; pages are used as rows come), capped.
    reserve = min(bounds[1] - bounds[0] + 1, 1 << 26) if bounds is not None else 0
    columns = {name: _Growing(kind, reserve) for name, kind in kinds.items()}
    batches = (_sqlite_key_ranges(conn, query, key, bounds, kinds, chunk, readers) if bounds is not None
               else _row_batches(conn, query, kinds, chunk))
    for batch in batches:
        for name, kind in kinds.items():
            column = batch[name]
            if kind == "text":  # (codes, uniques) of the batch → codes into the column's shared strings
                codes, uniques = column
                seen = distinct[name]
                lookup = np.array([seen.setdefault(u, len(seen)) for u in uniques] + [0], dtype="int64")
                column = lookup[codes]
            columns[name].append(column)
        del batch
    order = None
    if sort_by is not None:
        ids = columns[sort_by].values()
        if len(ids) > 1 and not bool((ids[1:] >= ids[:-1]).all()):
            order = np.argsort(ids, kind="stable")
        del ids
    frame = {}
    for name, kind in kinds.items():
        values = columns.pop(name).values()
        if order is not None:
            values = values[order]
        if kind == "text" and name in categorical:
            values = _categorical(values, list(distinct[name]))
        elif kind == "text":
            values = np.array(list(distinct[name]), dtype=object)[values]
        elif name == "date" or kind == "date":  # epoch days → datetime64[us], in one array
            values = np.multiply(values, 86_400_000_000, dtype=np.int64).view("datetime64[us]")
        frame[name] = pd.Series(values, dtype=values.dtype if kind != "text" or name in categorical else object)
        del values
    out = pd.DataFrame(frame, copy=False)
    release_free_memory()
    return out


def release_free_memory() -> None:
    """Give the allocators' free pages back to the system after a large read or a slice's writes.

    Millions of short-lived chunk arrays and texts leave glibc's heap and Arrow's pool with freed
    memory they keep for reuse: resident, and counted in the process's peak. ``malloc_trim`` (glibc
    only; elsewhere nothing happens) hands it back.
    """
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None


class _Growing:
    """A column filled chunk by chunk in one array that grows (doubling) when full.

    Large numpy arrays are mapped straight from the system, so pages not yet written cost no memory and
    a freed array is returned at once; a list of chunk arrays, concatenated at the end, would sit in the
    allocator's heap, which keeps the pages of freed chunks (a 100k-branch read kept ~0.7 GiB that way).
    Integers are kept as int32 until a value does not fit.
    """

    def __init__(self, kind: str, reserve: int = 0) -> None:
        dtype = "float64" if kind == "float" else "int32"
        self.data, self.n = np.empty(max(reserve, 1 << 16), dtype=dtype), 0

    def append(self, values: np.ndarray) -> None:
        end = self.n + len(values)
        wider = self.data.dtype == np.int32 and len(values) and (values.min() < _INT32.min or values.max() > _INT32.max)
        if wider or end > len(self.data):
            bigger = np.empty(max(end, 2 * len(self.data)), dtype="int64" if wider else self.data.dtype)
            bigger[:self.n] = self.data[:self.n]
            self.data = bigger
        self.data[self.n:end] = values
        self.n = end

    def values(self) -> np.ndarray:
        return self.data[:self.n]


_INT32 = np.iinfo(np.int32)


def _categorical(codes: np.ndarray, uniques: list) -> pd.Categorical:
    """Codes into ``uniques`` (whose first entry is None, NULL) as a categorical with sorted categories."""
    categories = sorted(uniques[1:])
    position = {value: n for n, value in enumerate(categories)}
    remap = np.array([-1] + [position[u] for u in uniques[1:]], dtype="int32")
    return pd.Categorical.from_codes(remap[codes], categories=categories)


def _integer_key(query: Select) -> ColumnElement | None:
    """The integer primary key of the query's one table, when the query can be read by key ranges."""
    froms = query.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Table):
        return None
    keys = list(froms[0].primary_key.columns)
    return keys[0] if len(keys) == 1 and isinstance(keys[0].type, Integer) else None


def database_file(conn: Connection) -> bool:
    """Whether ``conn`` is to a database file (other connections to it see the same database)."""
    url = conn.engine.url
    return bool(url.database) and url.database != ":memory:" and "mode=memory" not in str(url.query)


_NULL = "\x1e"  # stands for NULL in a text column's group_concat (which skips NULLs)
_TEXT_SEP = "\x1f"


def _key_bounds(conn: Connection, key: ColumnElement) -> tuple[int, int] | None:
    """The least and greatest key of the table, None when it is empty."""
    # Apart, min() and max() of the key are one B-tree lookup each; together they would scan the table.
    lo, hi = conn.execute(select(select(func.min(key)).scalar_subquery(), select(func.max(key)).scalar_subquery())).one()
    return None if lo is None else (int(lo), int(hi))


def _sqlite_key_ranges(conn: Connection, query: Select, key: ColumnElement, bounds: tuple[int, int],
                       kinds: dict[str, str], chunk: int, readers: int) -> Iterator[dict[str, Any]]:
    """``query``'s rows, ``chunk`` key values at a time, each range as one row of ``group_concat`` texts.

    Per column: integers as decimal text; floats through ``printf('%!.17g')``, which gives back the
    same double (SQLite's own text conversion keeps 15 digits); text joined with a control character,
    NULL as another. The texts are split and parsed by numpy and Arrow. A range whose texts do not
    split into its row count (a text value containing the separator) is read row by row instead.
    With ``readers`` > 1 the ranges are queried on that many threads (:func:`_range_texts`).
    """
    table = key.table
    exprs = [c.element if isinstance(c, Label) else c for c in query.selected_columns]
    concat = []
    # Literals, not bound parameters: SQLite evaluates a parameter in the select list for every row (2× slower).
    null, sep, nan, digits = (literal_column(f"'{v}'") for v in (_NULL, _TEXT_SEP, "nan", "%!.17g"))
    for expr, kind in zip(exprs, kinds.values(), strict=True):
        if kind == "int":
            concat.append(func.group_concat(expr))
        elif kind == "float":
            concat.append(func.group_concat(case((expr.is_(None), nan), else_=func.printf(digits, expr))))
        elif kind == "date":  # fixed width: no separator needed
            concat.append(func.group_concat(expr, literal_column("''")))
        else:
            concat.append(func.group_concat(func.ifnull(expr, null), sep))
    start, end = bindparam("key_start", type_=Integer), bindparam("key_end", type_=Integer)
    ranged = query.where(key >= start, key < end)
    aggregate = select(func.count(), *concat).select_from(table).where(ranged.whereclause).compile(dialect=conn.dialect)
    next_key = select(func.min(key)).where(key >= start)

    def range_params(first: int) -> list | dict:
        return _driver_params(aggregate, conn, {"key_start": first, "key_end": first + chunk})

    def following(first: int) -> int | None:
        return conn.execute(next_key, {"key_start": first}).scalar()

    for first, (n, *texts) in _range_texts(conn, str(aggregate), range_params, following, bounds, chunk, readers):
        batch = _parse_texts(texts, kinds, n)
        if batch is None:  # a separator inside a value: this range row by row
            yield from _row_batches(conn, ranged.params(key_start=first, key_end=first + chunk), kinds, chunk)
        else:
            yield batch


def _range_texts(conn: Connection, sql: str, range_params: Callable[[int], Any], following: Callable[[int], int | None],
                 bounds: tuple[int, int], chunk: int, readers: int) -> Iterator[tuple[int, tuple]]:
    """``(first key, row)`` of the non-empty key ranges ``[first, first + chunk)``, in key order.

    One reader runs the queries on ``conn``, in the caller's transaction. More readers run them on
    threads with a connection each, a few ranges ahead of the caller: SQLite computes a range's
    texts without holding the GIL, so the readers' scans and the caller's parsing use every core
    (reading a year of a 100k-branch enterprise: ~2× faster on two cores). Their connections see
    committed rows only. An empty range (a gap in the keys) sends the next ranges on from the next
    key there is.
    """
    lo, hi = bounds
    if readers <= 1:
        cursor = conn.connection.cursor()
        try:
            first = lo
            while first is not None and first <= hi:
                row = cursor.execute(sql, range_params(first)).fetchone()
                if row[0]:
                    yield first, row
                    first += chunk
                else:
                    first = following(first + chunk)
        finally:
            cursor.close()
        return

    local, opened, lock = threading.local(), [], threading.Lock()

    def query(params: Any) -> tuple:
        if not hasattr(local, "connection"):
            local.connection = conn.engine.raw_connection()
            with lock:
                opened.append(local.connection)
        cursor = local.connection.cursor()
        try:
            return cursor.execute(sql, params).fetchone()
        finally:
            cursor.close()

    pending: deque[tuple[int, Future]] = deque()
    frontier = lo
    try:
        with ThreadPoolExecutor(readers, thread_name_prefix="bastion-read") as pool:
            try:
                while True:
                    while frontier <= hi and len(pending) < 2 * readers:
                        pending.append((frontier, pool.submit(query, range_params(frontier))))
                        frontier += chunk
                    if not pending:
                        return
                    first, future = pending.popleft()
                    row = future.result()
                    if row[0]:
                        yield first, row
                    else:
                        after = following(first + chunk)
                        frontier = hi + 1 if after is None else max(frontier, after)
            finally:
                for _, future in pending:
                    future.cancel()
    finally:
        for connection in opened:
            connection.close()


def _parse_texts(texts: list[str], kinds: dict[str, str], n: int) -> dict[str, Any] | None:
    batch: dict[str, Any] = {}
    for (name, kind), text in zip(kinds.items(), texts, strict=True):
        if kind == "text":
            parts = pc.split_pattern(pa.array([text], pa.large_string()), _TEXT_SEP).values
            if len(parts) != n:
                return None
            encoded = pc.dictionary_encode(parts)
            uniques = [None if u == _NULL else u for u in encoded.dictionary.to_pylist()]
            batch[name] = (encoded.indices.to_numpy(zero_copy_only=False), uniques)
        elif kind == "date":
            days = _iso_days(text, n)
            if days is None:
                return None
            batch[name] = days
        else:
            try:
                values = np.fromstring(text, sep=",", dtype="float64" if kind == "float" else "int64")
            except ValueError:
                return None
            if len(values) != n:
                return None
            batch[name] = values
    return batch


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
            elif kind == "date":
                batch[name] = _days(column)
            else:
                batch[name] = column.astype("int64")
        yield batch


def _driver_rows(conn: Connection, query: Select, chunk: int) -> Iterator[list[tuple]]:
    """Chunks of the driver's own row tuples: no SQLAlchemy row object per row.

    On PostgreSQL the rows come through a server-side cursor, so the client never holds more
    than a chunk.
    """
    compiled = query.compile(dialect=conn.dialect)
    params = _driver_params(compiled, conn)
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


def _driver_params(compiled: Any, conn: Connection, values: dict[str, Any] | None = None) -> list | dict:
    """The compiled statement's parameters as the driver takes them (``values`` override the bound ones)."""
    out = {}
    for name, value in compiled.construct_params(values).items():
        process = compiled.binds[name].type.bind_processor(conn.dialect)
        out[name] = process(value) if process else value
    return [out[name] for name in compiled.positiontup] if conn.dialect.positional else out


def _iso_days(text: str, n: int) -> np.ndarray | None:
    """Days since 1970 of ``n`` dates written ``YYYY-MM-DD`` one after another; None if they are not."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(data) != 10 * n:
        return None
    offsets = pa.py_buffer(np.arange(0, 10 * n + 1, 10, dtype=np.int32))
    try:
        dates = pc.cast(pa.StringArray.from_buffers(n, offsets, pa.py_buffer(data)), pa.date32())
    except pa.ArrowInvalid:
        return None
    return dates.cast(pa.int32()).to_numpy()


def _days(values: np.ndarray) -> np.ndarray:
    """Days since 1970 of dates as the driver returns them: ``date`` objects or ISO text (SQLite)."""
    try:
        dates = pa.array(values, pa.date32()) if not isinstance(values[0], str) else pc.cast(
            pa.array(values, pa.string()), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # text with a time of day, or not zero-padded
        return pd.to_datetime(values, format="ISO8601").to_numpy("datetime64[D]").astype("int64")
    return dates.cast(pa.int32()).to_numpy()


def _kind(column: ColumnElement) -> str:
    if isinstance(column.type, Date):
        return "date"
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
