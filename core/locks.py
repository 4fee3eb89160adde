"""Leases: named locks that hold across processes and machines (a period being scored, a stage run, an import).

A lease is a row of ``lease`` (:class:`~bastion.core.models.Lease`), so it works the same on SQLite
and PostgreSQL and says who holds it: :func:`hold` inserts it (or takes over one whose holder is
gone), renews it from a heartbeat thread while the work goes on, and deletes it at the end. A
second caller waits, boundedly, and is then refused with a :class:`Held` naming the holder, what
it does and since when — it never runs alongside.

A holder is gone when its lease expired (no heartbeat for ``ttl`` seconds: a machine lost, a
process frozen) or, on the same host, when its process no longer exists (``kill -9``): its lease is
then taken over at once, so a killed command can simply be run again.

Writes made under a lease are *fenced*: :func:`fence`, the first statement of the writing
transaction, renews the lease only if the token is still ours, and fails otherwise. On SQLite that
statement also takes the database's write lock for the transaction; on PostgreSQL it locks the
lease row until commit, so a takeover waits for the write to end. A fence checks every lease the
work holds, so a write nested under a stage run's lease and its period's is refused if either was
taken over.

Holding is re-entrant within a thread of work (a stage that scores holds the period it scores).
"""

from __future__ import annotations

import contextvars
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import db
from .processes import process_alive
from .errors import BastionError, Conflict
from .i18n import tr
from .models import Lease, utcnow

log = logging.getLogger(__name__)

TTL_SECONDS = 120.0  # a holder that has not renewed for this long is taken to be gone
WAIT_SECONDS = 30.0  # how long a second caller waits for the holder before it is refused (BASTION_LOCK_WAIT)


def wait_seconds() -> float:
    """How long a second caller waits for a lease's holder: ``BASTION_LOCK_WAIT`` seconds, else 30."""
    return float(os.environ.get("BASTION_LOCK_WAIT") or WAIT_SECONDS)


class Held(Conflict):
    """Another process holds the lease: the message names who, doing what, since when."""


class LeaseLost(BastionError):
    """Our lease was taken over (we were taken to be gone): nothing more is written under it."""


@dataclass(frozen=True)
class Holding:
    """A lease held: its name and token (the fence), who holds it and for what."""

    name: str
    token: str
    actor: str
    purpose: str
    ttl: float


_held: contextvars.ContextVar[dict[str, Holding] | None] = contextvars.ContextVar("bastion_leases", default=None)
_table = Lease.__table__
HOST = socket.gethostname()[:100]


def _now() -> datetime:
    return utcnow()


def _gone(row) -> bool:
    """Whether the lease's holder is gone: past its expiry, or its process dead on this host."""
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=_now().tzinfo)
    return expires < _now() or (row.host == HOST and row.pid != os.getpid() and not process_alive(row.pid))


def describe(row) -> str:
    """Who holds a lease, for a message: ``alice（评分，自 12:03:05 起，主机 w1 进程 4121）``."""
    since = row.acquired_at.strftime("%Y-%m-%d %H:%M:%S")
    return tr(f"{row.actor}（{row.purpose}，自 {since} UTC 起，主机 {row.host} 进程 {row.pid}）",
              f"{row.actor} ({row.purpose}, since {since} UTC, host {row.host} process {row.pid})")


def current(engine: Engine, name: str):
    """The lease row named ``name``, or None when nobody holds it."""
    with engine.connect() as conn:
        return conn.execute(select(_table).where(_table.c.name == name)).first()


_RETRY = object()


def _try_acquire(engine: Engine, name: str, token: str, actor: str, purpose: str, ttl: float):
    """One attempt: None when acquired, else the holder's row (or ``_RETRY`` when the attempt ran into another)."""
    now = _now()
    values = {"name": name, "token": token, "actor": actor[:100], "purpose": purpose[:100], "host": HOST,
              "pid": os.getpid(), "acquired_at": now, "expires_at": now + timedelta(seconds=ttl)}
    try:
        with db.begin(engine) as conn:
            row = conn.execute(select(_table).where(_table.c.name == name)).first()
            if row is None:
                conn.execute(insert(_table).values(values))
                return None
            if not _gone(row):
                return row
            taken = conn.execute(update(_table).where(_table.c.name == name, _table.c.token == row.token)
                                 .values(values)).rowcount
    except IntegrityError:  # another caller inserted it first: look again
        return _RETRY
    if not taken:
        return _RETRY
    log.warning("lease %s taken over from %s (%s, pid %s on %s)", name, row.actor, row.purpose, row.pid, row.host)
    return None


def acquire(engine: Engine, name: str, *, actor: str, purpose: str, wait: float | None = None,
            ttl: float = TTL_SECONDS, token: str | None = None) -> Holding:
    """Take the lease ``name``, waiting up to ``wait`` seconds for its holder; :class:`Held` if still held.

    ``token`` re-attaches to a lease this work took before (a stage's next step, in another task)."""
    token = token or secrets.token_hex(16)
    deadline = time.monotonic() + (wait_seconds() if wait is None else wait)
    pause = 0.05
    while True:
        holder = _try_acquire(engine, name, token, actor, purpose, ttl)
        if holder is _RETRY:
            time.sleep(0.01)
            continue
        if holder is None or holder.token == token:
            if holder is not None:  # ours already: renew it
                renew(engine, Holding(name, token, actor, purpose, ttl))
            return Holding(name, token, actor, purpose, ttl)
        if time.monotonic() >= deadline:
            raise Held(tr(f"{purpose}：正由 {describe(holder)} 处理，请稍后再试",
                          f"{purpose}: in the hands of {describe(holder)}; try again later"))
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def renew(engine: Engine, holding: Holding) -> bool:
    """Push the lease's expiry on; False when it is no longer ours."""
    with engine.begin() as conn:
        return _renew(conn, holding) == 1


def _renew(conn: Connection, holding: Holding) -> int:
    return conn.execute(update(_table).where(_table.c.name == holding.name, _table.c.token == holding.token)
                        .values(expires_at=_now() + timedelta(seconds=holding.ttl))).rowcount


def release(engine: Engine, holding: Holding) -> None:
    with engine.begin() as conn:
        conn.execute(delete(_table).where(_table.c.name == holding.name, _table.c.token == holding.token))


def fence(conn: Connection, name: str, holding: Holding | None = None) -> None:
    """Check, as the first statement of a writing transaction, that the lease ``name`` this work holds is still
    ours (and renew it); :class:`LeaseLost` if it was taken over. A no-op when this work holds no lease.

    ``holding``: the lease as :func:`acquire` returned it, for work that holds it outside :func:`hold`.
    Every other lease this work holds is fenced too, outermost first: a write made under nested leases
    (a stage run's, then the period it publishes) is made only while all of them are still ours — a
    runner taken to be gone writes nothing when it wakes, whichever lease its write names."""
    held = dict(_held.get() or {})
    if holding is not None or name in held:
        held[name] = holding or held[name]  # in its place when held already: outermost first
    for each in held.values():
        if _renew(conn, each) != 1:
            raise LeaseLost(tr(f"{each.purpose}：租约已被其他进程接管，本次写入已放弃",
                               f"{each.purpose}: the lease was taken over by another process; this write was abandoned"))


def holds(name: str) -> bool:
    """Whether this work (thread or task) holds the lease ``name``."""
    return name in (_held.get() or {})


class _Heartbeat(threading.Thread):
    def __init__(self, engine: Engine, holding: Holding) -> None:
        super().__init__(name=f"lease-heartbeat:{holding.name}", daemon=True)
        self.engine, self.holding, self.stop = engine, holding, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.holding.ttl / 4):
            try:
                if not renew(self.engine, self.holding):
                    log.error("lease %s lost: it was taken over", self.holding.name)
                    return
            except Exception:  # the database busy or away for a moment: the next beat tries again
                log.warning("lease %s: heartbeat failed", self.holding.name, exc_info=True)


@contextmanager
def hold(engine: Engine, name: str, *, actor: str, purpose: str, wait: float | None = None,
         ttl: float = TTL_SECONDS, token: str | None = None, keep: bool = False) -> Iterator[Holding]:
    """Hold the lease ``name`` for the ``with`` block (re-entrant), renewed by a heartbeat, released at the end.

    ``keep``: do not release it at the end (a stage run holds its lease from one task to the next and
    releases it when the run finishes, :func:`release`)."""
    held = dict(_held.get() or {})
    if name in held:
        yield held[name]
        return
    holding = acquire(engine, name, actor=actor, purpose=purpose, wait=wait, ttl=ttl, token=token)
    heartbeat = _Heartbeat(engine, holding)
    heartbeat.start()
    reset = _held.set({**held, name: holding})
    try:
        yield holding
    finally:
        _held.reset(reset)
        heartbeat.stop.set()
        heartbeat.join(timeout=5)
        if not keep:
            release(engine, holding)
