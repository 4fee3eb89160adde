"""Bulk reads at cycle scale: millions of rows into typed numpy columns, with no Python object per row.

:func:`read_columns` runs a query and returns its rows as a frame of numpy columns, chunk by chunk;
:func:`read_window` reads one tenant's rows of a dated table within a window, the way a scoring run
reads a period's facts (``scoring.read_facts``), written so that each database plans it well. On
SQLite a read that scans a table anyway goes by key ranges, each range's rows coming back as one row
of ``group_concat`` texts parsed by numpy and Arrow, on :data:`READERS` threads.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Connection,
    Date,
    Float,
    Integer,
    Numeric,
    Select,
    Table,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement, Label, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from .db import database_file
from .memory import release_free_memory

READERS = min(4, os.cpu_count() or 1)
"""Threads reading a long window on SQLite (:func:`read_window`): one per core, at most four."""


def read_window(conn: Connection, table: Table, columns: Sequence[str], *, tenant_id: int, start: date, end: date,
                most_rows: bool, sort_by: str | None = None, categorical: tuple[str, ...] = (),
                org_id: int | Sequence[int] | None = None, recorded_until: datetime | None = None) -> pd.DataFrame:
    """A tenant's rows of ``table`` whose ``date`` is in ``[start, end)``: ``columns``, read by :func:`read_columns`.

    Dates come as datetimes: days since 1970 computed by PostgreSQL, parsed from SQLite's text by
    :func:`read_columns`. ``most_rows``: the window covers most of the tenant's rows (a half-year or
    longer of facts). The filter is then written on ``tenant_id + 0`` and ``+date`` (SQLite;
    ``date(date)`` elsewhere), which keeps the planner off the (tenant, date) index — whose order
    can be far from the table's when rows were imported in bulk — so the table is scanned in its own
    order (2–3× faster on SQLite in the benchmark), and on SQLite by key ranges, on :data:`READERS`
    threads. ``org_id`` narrows to one organisation's rows, or a few organisations' (a few rows: read through
    its index);
    ``recorded_until`` to the rows recorded up to that moment (``recorded_at``: a closed period's frozen facts).
    """
    most_rows = most_rows and org_id is None
    picked = [_epoch_days(table.c.date, dialect=conn.dialect.name) if name == "date" else table.c[name]
              for name in columns]
    tenant, when = table.c.tenant_id, table.c.date
    if most_rows and conn.dialect.name == "sqlite":
        tenant, when = tenant + 0, _no_index(when)  # SQLite's unary +: no index, no function per row
    elif most_rows:
        tenant, when = tenant + 0, func.date(when, type_=Date)
    query = select(*picked).where(tenant == tenant_id, when >= start, when < end)
    if isinstance(org_id, int):
        query = query.where(table.c.org_id == org_id)
    elif org_id is not None:  # written out: the raw-driver reads take no expanding IN parameter
        query = query.where(table.c.org_id.in_([literal_column(str(int(i))) for i in org_id]))
    if recorded_until is not None:
        query = query.where(table.c.recorded_at <= recorded_until)
    # by_key_range: the table is scanned anyway
    return read_columns(conn, query, sort_by=sort_by, by_key_range=most_rows, readers=READERS,
                        categorical=categorical)


def _no_index(column: ColumnElement) -> ColumnElement:
    """``+column``: the same value, which SQLite's planner does not look up in an index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _epoch_days(column: ColumnElement, *, dialect: str) -> ColumnElement:
    """Days since 1970 on PostgreSQL; on SQLite the stored text, which :func:`read_columns` parses."""
    if dialect == "sqlite":
        return column.label("date")
    return type_coerce(column - literal(date(1970, 1, 1), Date), Integer).label("date")


def read_columns(conn: Connection, query: Select, *, chunk: int = 200_000, sort_by: str | None = None,
                 by_key_range: bool = False, readers: int = 1, categorical: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run ``query`` and return its rows as a frame of numpy columns (see :func:`read_window`).

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

