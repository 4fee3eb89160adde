"""Bulk writes to SQLite on two cores: a helper process binds the rows, the database copies them.

SQLite's Python driver binds every row's values under the GIL — about half of what inserting a
line costs, and the half no other thread can share. Writing a 100k-branch year (6 M lines) that
way took as long as scoring it. A :class:`Spool` hands the rows, as Arrow record batches, to a
helper process (:mod:`core.spool_worker`) that binds them into scratch SQLite files beside the
database. Each finished file is attached to the caller's connection and copied with one
``INSERT … SELECT`` (SQLite copying records, no binding), inside the caller's transaction: the
rows are committed, or rolled back, with everything else the transaction does. Meanwhile the
caller goes on with its own work (scoring the next slice).

A database attached in a transaction cannot be detached before the transaction ends: the pool
does that when the connection comes back (:func:`release`, registered by ``db.make_engine``),
and deletes the scratch files then.

A process killed mid-write (``kill -9``, a lost machine) never gets there, and its scratch folder
(tens of MB) would stay for good. So each folder is named after its owner
(``.bastion-spool-<host>-<pid>-…``) and holds ``owner.lock``, locked (``flock``) by the owner for
as long as the folder is in use; the kernel drops the lock when the owner dies, however it dies.
Each new spool first removes the folders beside the database whose lock it can take: those of dead
runs (:func:`sweep`).
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import socket
import sqlite3
import time
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
from sqlalchemy import Connection, Table

from .errors import BastionError
from .i18n import tr
from .processes import process_alive

WORKER = f"{__package__}.spool_worker"
ATTACHED = "bastion_spool_attached"  # keys of the pool record's ``info``
DIRECTORIES = "bastion_spool_directories"
PREFIX = ".bastion-spool-"
OWNER_LOCK = "owner.lock"
UNOWNED_GRACE_SECONDS = 3600  # a folder without a lock (made before folders had one): removed once this old


class Spool:
    """Rows for ``table`` put as Arrow batches, inserted in ``conn``'s transaction by the time
    :meth:`finish` returns (use as a context manager: on an error the helper is stopped and
    nothing more is copied; the caller's transaction rolls back what was).

    Each batch goes to the helper as an Arrow file in the scratch directory, named on its standard
    input: the caller writes a file in one call and never waits on a pipe (a thread feeding a pipe
    a few kilobytes at a time would wait for the GIL at each one), and waits for the helper only
    when it is ``AHEAD`` files behind. ``expected_rows`` sizes the scratch SQLite files: SQLite
    attaches at most ten databases, so the rows go into at most nine; more rows than expected
    only make the last one larger.
    """

    AHEAD = 12

    def __init__(self, conn: Connection, table: Table, *, expected_rows: int, batch_rows: int = 50_000) -> None:
        self.table, self.batch_rows = table, batch_rows
        self.driver = conn.connection.driver_connection
        record = conn.connection.info
        database = Path(conn.engine.url.database).resolve()
        sweep(database.parent)
        self.directory, owner = claim(database.parent)
        record.setdefault(DIRECTORIES, []).append((self.directory, owner))
        self.attached: list[str] = record.setdefault(ATTACHED, [])
        self.max_parts = max(1, self.driver.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) - len(self.attached) - 1)
        rows_per_part = max(-(-expected_rows // self.max_parts), batch_rows)
        self.log = open(self.directory / "worker.log", "w+b")  # noqa: SIM115  (closed in _stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", WORKER, str(self.directory), str(rows_per_part), str(self.max_parts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.sent = self.done = self.put_rows = self.copied_rows = 0
        self.names: list[str] = []
        self.helper_peak_mib = 0.0  # known once the helper has ended
        self._output, self._ended = b"", False

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is None:
            self.finish()
        else:
            self._stop()

    def put(self, batch: pa.RecordBatch) -> None:
        """Hand ``batch``'s rows to the helper and copy the files it has finished.

        Every batch has the same fields, named as ``table``'s columns."""
        self.names = self.names or batch.schema.names
        for start in range(0, batch.num_rows, self.batch_rows):
            self._read(wait=False)
            while self.sent - self.done >= self.AHEAD:
                self._read(wait=True)
            name = f"batch-{self.sent:06d}.arrow"
            with pa.OSFile(str(self.directory / name), "wb") as sink, ipc.new_file(sink, batch.schema) as writer:
                writer.write_batch(batch.slice(start, self.batch_rows))
            try:
                self.process.stdin.write(f"{name}\n".encode())
                self.process.stdin.flush()
            except OSError:  # a broken pipe: the helper has died
                self._fail()
            self.sent += 1
        self.put_rows += batch.num_rows

    def finish(self) -> None:
        """Wait for the helper to write every row, and copy what is left."""
        try:
            try:
                self.process.stdin.close()
            except OSError:
                self._fail()
            while not self._ended:
                self._read(wait=True)
            if self.process.wait() != 0 or self.done != self.sent:
                self._fail()
            if self.copied_rows != self.put_rows:
                self._fail(f"copied {self.copied_rows} of {self.put_rows} rows")
        finally:
            self._stop()

    def _read(self, *, wait: bool) -> None:
        """Act on what the helper has said (``done <file>``, ``part <file> <rows>``); ``wait``: for something."""
        fd = self.process.stdout.fileno()
        if not select.select([fd], [], [], 1.0 if wait else 0)[0]:
            return
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            self._ended = True
            if self.done != self.sent:
                self._fail()
            return
        self._output += chunk
        while b"\n" in self._output:
            line, self._output = self._output.split(b"\n", 1)
            what, _, rest = line.decode().partition(" ")
            if what == "done":
                self.done += 1
            elif what == "peak":
                self.helper_peak_mib = int(rest) / 1024
            else:
                path, rows = rest.rsplit(" ", 1)
                self._copy(Path(path), int(rows))

    def _copy(self, path: Path, rows: int) -> None:
        name = f"bastion_spool_{len(self.attached)}"
        columns = ", ".join(f'"{c}"' for c in self.names)
        cursor = self.driver.cursor()
        try:
            cursor.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
            self.attached.append(name)
            cursor.execute(f'INSERT INTO "{self.table.name}" ({columns}) SELECT {columns} FROM {name}.rows')
            if cursor.rowcount != rows:
                self._fail(tr(f"{path.name} 写入了 {cursor.rowcount} 行，而不是 {rows} 行",
                              f"{path.name} gave {cursor.rowcount} rows, not {rows}"))
        finally:
            cursor.close()
        self.copied_rows += rows

    def _fail(self, why: str = "") -> None:
        self._stop()
        with open(self.directory / "worker.log", "rb") as log:
            said = log.read().decode(errors="replace").strip().splitlines()[-3:]
        code = self.process.returncode
        exited = tr(f"辅助进程退出码 {code}", f"its helper exited with {code}") if code else ""
        details = "; ".join(filter(None, [why, exited, *said]))
        raise BastionError(tr(f"{self.table.name} 的批量写入（spool）失败：{details}",
                              f"the bulk writer (spool) of {self.table.name} failed: {details}"))

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.log):
            try:
                stream.close()
            except OSError:
                pass


def release(dbapi_connection: Any, record: Any) -> None:
    """Detach a connection's scratch files and delete them once it is back in the pool (pool ``checkin``)."""
    attached, directories = record.info.pop(ATTACHED, []), record.info.pop(DIRECTORIES, [])
    if dbapi_connection is not None:
        for name in attached:
            try:
                dbapi_connection.execute(f"DETACH DATABASE {name}")
            except sqlite3.Error:
                pass
    for directory, owner in directories:
        shutil.rmtree(directory, ignore_errors=True)
        os.close(owner)  # the lock goes last: a sweep never sees the folder unowned while it is in use


def claim(parent: Path) -> tuple[Path, int]:
    """A new scratch folder in ``parent``, named after this process, and the descriptor of its locked
    ``owner.lock`` (held until :func:`release`; the kernel lets go of it if the process dies)."""
    directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{_host()}-{os.getpid()}-", dir=parent))
    owner = os.open(directory / OWNER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(owner, fcntl.LOCK_EX)
    return directory, owner


def sweep(parent: Path) -> list[Path]:
    """Remove the scratch folders in ``parent`` left by runs that are dead; the folders removed.

    A folder is dead when its ``owner.lock`` can be locked (its owner would hold it). A folder without
    one is another process's, caught between making it and locking it — unless that process, named in
    the folder's name, is gone from this host — or one made before folders had owners, removed after
    :data:`UNOWNED_GRACE_SECONDS`."""
    removed = []
    for directory in parent.glob(f"{PREFIX}*"):
        if directory.is_dir() and _dead(directory):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _dead(directory: Path) -> bool:
    try:
        fd = os.open(directory / OWNER_LOCK, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        host, pid = _owner_named(directory.name)
        if host == _host() and pid is not None:
            return not process_alive(pid)
        try:
            return time.time() - directory.stat().st_mtime > UNOWNED_GRACE_SECONDS
        except FileNotFoundError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its owner holds it: in use
    finally:
        os.close(fd)  # closing drops the lock taken just now: removing the folder needs none
    return True


def _owner_named(name: str) -> tuple[str | None, int | None]:
    """The host and pid a folder's name gives (``.bastion-spool-<host>-<pid>-<random>``), else Nones."""
    host, _, rest = name.removeprefix(PREFIX).rpartition("-")[0].rpartition("-")
    return (host, int(rest)) if host and rest.isdigit() else (None, None)


def _host() -> str:
    return socket.gethostname().replace("-", "_") or "host"
