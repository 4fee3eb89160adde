"""The helper process of :mod:`core.spool`: Arrow files in, SQLite part files out.

    python -m bastion.core.spool_worker DIRECTORY ROWS_PER_PART MAX_PARTS

Reads the names of Arrow IPC files in ``DIRECTORY`` from standard input, one per line, and writes
their rows, in order, into ``DIRECTORY/part-NNN.db`` (table ``rows``, one column per field): a
part holds ``ROWS_PER_PART`` rows or more (whole files), the last part all that is left once
``MAX_PARTS`` - 1 are full. Each Arrow file is deleted once written, then ``done <name>`` is
printed; ``part <file> <rows>`` is printed when a part is complete, and ``peak <KiB>`` (the most
memory the process held) at the end. The part files are scratch: no
journal, no fsync. Imports only the standard library and pyarrow, so it starts in a fraction of a
second.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc


BIND_ROWS = 5_000


def column_type(field: pa.Field) -> str:
    if pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
        return "INTEGER"
    if pa.types.is_floating(field.type):
        return "REAL"
    return "TEXT"


class Parts:
    def __init__(self, directory: Path, rows_per_part: int, max_parts: int) -> None:
        self.directory, self.rows_per_part, self.max_parts = directory, rows_per_part, max_parts
        self.number, self.rows, self.conn, self.insert = 0, 0, None, ""

    def write(self, table: pa.Table) -> None:
        if self.conn is None:
            self._open(table.schema)
        for start in range(0, table.num_rows, BIND_ROWS):  # few Python values alive at once
            rows = table.slice(start, BIND_ROWS)
            self.conn.executemany(self.insert, zip(*(column.to_pylist() for column in rows.columns)))
        self.rows += table.num_rows
        if self.rows >= self.rows_per_part and self.number < self.max_parts - 1:
            self.close()

    def close(self) -> None:
        if self.conn is None:
            return
        self.conn.execute("COMMIT")
        self.conn.close()
        self.conn = None
        print(f"part {self._path()} {self.rows}", flush=True)
        self.number, self.rows = self.number + 1, 0

    def _path(self) -> Path:
        return self.directory / f"part-{self.number:03d}.db"

    def _open(self, schema: pa.Schema) -> None:
        self.conn = sqlite3.connect(self._path(), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        columns = ", ".join(f'"{f.name}" {column_type(f)}' for f in schema)
        self.conn.execute(f"CREATE TABLE rows ({columns})")
        self.conn.execute("BEGIN")
        self.insert = f"INSERT INTO rows VALUES ({', '.join('?' for _ in schema)})"


def main(argv: list[str]) -> int:
    directory, rows_per_part, max_parts = Path(argv[0]), int(argv[1]), int(argv[2])
    parts = Parts(directory, rows_per_part, max_parts)
    for line in sys.stdin:
        name = line.strip()
        path = directory / name
        with pa.memory_map(str(path)) as source:
            parts.write(ipc.open_file(source).read_all())
        path.unlink()
        print(f"done {name}", flush=True)
    parts.close()
    print(f"peak {peak_kib()}", flush=True)
    return 0


def peak_kib() -> int:
    """This process's peak resident memory (VmHWM: unlike ``ru_maxrss``, not inherited from the parent
    that started it), 0 where /proc does not tell."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
