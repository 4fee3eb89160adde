"""Notifications at enterprise scale: what publication adds to its transaction, what a day's planning writes, and
how fast delivery empties the outbox — to the inbox and by e-mail to a local SMTP server.

    python benchmarks/bench_notify.py --branches 100000 --notices 20000 --emails 2000

Built first, untimed and in a child process (its memory not counted): a tenant on SQLite (or ``--database-url``:
PostgreSQL, its public schema dropped and recreated) with the target-table scheme, ``--branches`` branches under
four general branches, a secretary user for each (bulk rows; ``--emails`` of them with an e-mail address), the
year's published results of every branch, and ``--notices`` open rectification notices due in three days. Then
timed, each in its own transaction as the platform runs it:

- ``published``: ``planning.published`` — each secretary told her branch's result, the leaders the count: what
  publishing a period adds to the publication's transaction;
- ``plan_day``: the 25th of a month — every branch without its month's meetings reminded, and the notices due;
- ``deliver (inbox)``: the inbox part of a delivery run — every due inbox row marked delivered;
- ``deliver (e-mail)``: the e-mail channel turned on (aiosmtpd on a loopback port): one digest per recipient.

Peak memory is this process's ``ru_maxrss``. Run it from outside the work tree (``cd /tmp``) to measure an
installed snapshot (``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select, text

import bastion
from bastion.core import cycles, db, tenants
from bastion.core.bulk_write import bulk_insert
from bastion.core.db import transaction
from bastion.core.models import (ChannelSetting, Cycle, Evaluation, Grant, Notification, Rectification, Tenant,
                                 TenantPlugin, User, utcnow)
from bastion.core.notify import delivery, planning
from bastion.core.periods import Period
from bastion.core.registry import Registry
from bastion.synthetic import build_tree

ACTOR = "bench"
PLUGINS = ("standard-rules", "standard-ledgers", "target-table", "channels")
YEAR = 2026
TZ = ZoneInfo("Asia/Shanghai")
DAY = date(YEAR, 11, 25)  # a 25th: the month's meetings reminders are due, and the notices due on the 28th
NOW = datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=TZ)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_for(url: str):
    engine = db.make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.upgrade(engine)
    return engine


def build(url: str, branches: int, notices: int, emails: int, seed: int) -> tuple[int, int]:
    """The enterprise (see the module's docstring); the tenant's and the cycle's ids."""
    engine, registry = engine_for(url), Registry.load()
    with transaction(engine) as session:
        tenant = tenants.create_tenant(session, code="bench", name="基准测试集团", plugins=PLUGINS, registry=registry,
                                       actor=ACTOR)
        cycle = cycles.open_cycle(session, tenant=tenant, year=YEAR, registry=registry, actor=ACTOR,
                                  scheme_id="target-table")
        scheme = cycles.cycle_scheme(cycle)
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=seed, year=YEAR)
    org_ids = orgs["org_id"].astype(int).tolist()
    n = len(org_ids)
    rng = np.random.default_rng(seed)
    with db.begin(engine) as conn:
        u = User.__table__.c
        bulk_insert(conn, User.__table__, {
            "tenant_id": [tenant.id] * n, "username": [f"sec{i:06d}" for i in range(n)],
            "display_name": ["书记"] * n, "email": [f"sec{i:06d}@example.cn" if i < emails else None for i in range(n)],
            "locale": ["zh"] * n, "password_hash": ["-"] * n, "active": [True] * n})
        first = conn.execute(select(func.min(u.id)).where(u.tenant_id == tenant.id)).scalar_one()
        bulk_insert(conn, Grant.__table__, {"user_id": list(range(first, first + n)), "role": ["secretary"] * n,
                                            "org_id": org_ids})
        leader = conn.execute(User.__table__.insert().returning(u.id), {
            "tenant_id": tenant.id, "username": "leader", "display_name": "党委书记", "locale": "zh",
            "password_hash": "-", "active": True}).scalar_one()
        committee = int(conn.execute(text("SELECT id FROM organization WHERE code = 'DW'")).scalar_one())
        conn.execute(Grant.__table__.insert(), {"user_id": leader, "role": "leader", "org_id": committee})
        totals = np.round(rng.normal(85, 6, n).clip(40, 100), 2)
        ranks = (-totals).argsort().argsort() + 1
        bulk_insert(conn, Evaluation.__table__, {
            "tenant_id": [tenant.id] * n, "cycle_id": [cycle.id] * n, "org_id": org_ids, "period": [str(YEAR)] * n,
            "scheme_id": [scheme.id] * n, "scheme_version": [scheme.version] * n, "base_points": totals.tolist(),
            "bonus_points": [0.0] * n, "total": totals.tolist(), "rate": totals.tolist(), "level": ["branch"] * n,
            "grade": ["良好"] * n, "rank": ranks.tolist(), "tier": ["第二档"] * n, "status": ["published"] * n,
            "veto_reasons": [[]] * n})
        m = min(notices, n)
        bulk_insert(conn, Rectification.__table__, {
            "tenant_id": [tenant.id] * m, "cycle_id": [cycle.id] * m, "org_id": org_ids[:m],
            "notice_no": [f"ZG-{i:06d}" for i in range(m)], "problem": ["支委会记录不全"] * m,
            "issued_at": [DAY - timedelta(days=20)] * m, "deadline": [DAY + timedelta(days=3)] * m,
            "status": ["issued"] * m})
    engine.dispose()
    print(f"built: {n} branches and secretaries ({emails} with an e-mail address), {m} notices")
    return tenant.id, cycle.id


def timed(timings: dict, name: str, action):
    start = time.perf_counter()
    result = action()
    timings[name] = (time.perf_counter() - start, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--emails", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder, deleted afterwards")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bastion-notify-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        tenant_id, cycle_id = pool.apply(build, (url, args.branches, args.notices, args.emails, args.seed))
    engine, registry = db.make_engine(url), Registry.load()
    base = peak_mib()
    timings: dict = {}
    with transaction(engine) as session:
        cycle = session.get(Cycle, cycle_id)
        timed(timings, "published", lambda: planning.published(session.connection(), registry, cycle,
                                                               Period.parse(str(YEAR)), NOW))
    with transaction(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        timed(timings, "plan_day (the 25th)", lambda: planning.plan_day(session.connection(), registry, tenant, DAY))
    with transaction(engine) as session:
        tenant = session.get(Tenant, tenant_id)
    went = timed(timings, "deliver (inbox)", lambda: delivery.deliver(engine, registry, tenant=tenant, actor=ACTOR,
                                                                       now=NOW))
    timings["deliver (inbox)"] = (timings["deliver (inbox)"][0], went.sent)
    mailed = email_round(engine, registry, tenant_id, args, timings)
    with engine.connect() as conn:
        states = dict(conn.execute(select(Notification.__table__.c.state, func.count())
                                   .group_by(Notification.__table__.c.state)).all())
    print(f"bastion {bastion.__file__}; {engine.dialect.name}; {args.branches} branches; {args.label}")
    print(f"peak memory {peak_mib():.0f} MiB ({base:.0f} MiB before the first step); outbox by state: {states}")
    for name, (seconds, count) in timings.items():
        print(f"  {name:<22} {seconds:8.2f} s  {count:>9} rows  {count / seconds if seconds else 0:>10,.0f} /s")
    print(f"  e-mail messages received by the local server: {mailed}")
    engine.dispose()
    if not args.database_url:
        shutil.rmtree(folder)


def email_round(engine, registry, tenant_id: int, args, timings: dict) -> int:
    """The e-mail rows of the published results and the day, put when the channel is on; delivered to aiosmtpd."""
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
            Count.received += 1
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with transaction(engine) as session:
        if session.get(TenantPlugin, (tenant_id, "channels")) is None:
            session.add(TenantPlugin(tenant_id=tenant_id, plugin="channels"))
        session.add(ChannelSetting(tenant_id=tenant_id, channel="email", updated_by=ACTOR, updated_at=utcnow(),
                                   settings={"host": "127.0.0.1", "port": port, "security": "none",
                                             "sender": "dangjian@example.cn"}))
    with transaction(engine) as session:  # the day planned again: only the e-mail rows are new
        tenant = session.get(Tenant, tenant_id)
        planning.plan_day(session.connection(), registry, tenant, DAY)
        planning.published(session.connection(), registry, session.get(Cycle, _cycle(session, tenant_id)),
                           Period.parse(str(YEAR)), NOW)
    server = Controller(Count(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        went = timed(timings, "deliver (e-mail)", lambda: delivery.deliver(engine, registry, tenant=tenant,
                                                                            actor=ACTOR, now=NOW))
    finally:
        server.stop()
    timings["deliver (e-mail)"] = (timings["deliver (e-mail)"][0], went.sent)
    return Count.received


def _cycle(session, tenant_id: int) -> int:
    return session.exec(select(Cycle.id).where(Cycle.tenant_id == tenant_id)).scalars().one()


if __name__ == "__main__":
    main()
