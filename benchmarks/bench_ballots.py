"""Secret ballots at scale: a round drawn and its codes issued and written for a large enterprise, and casting
through the ballot page over loopback.

    python benchmarks/bench_ballots.py scale --branches 100000 --members 30      # ~3 M codes
    python benchmarks/bench_ballots.py load --branches 200 --members 30 --ballots 3000 --clients 8

``scale`` builds (untimed, in a child process) a tenant on SQLite with the target-table scheme, ``--branches`` branches under four
general branches and about ``--members`` members each (bulk rows, not the importer), then times: ``open_round``
(who may vote, drawn for every branch and secret source), ``issue_codes`` (a code each, digests written), the
slips as a .csv (every code) and as a .pdf (``--pdf`` slips, the rate reported). Peak memory is this process's
``ru_maxrss``.

``load`` builds a smaller round the same way, serves the UI (``bastion ui``'s Streamlit server with the ballot
page beside it) on a free loopback port, and has ``--clients`` threads each open a code's ballot (GET) and cast it
(POST) until ``--ballots`` are cast; every tenth code is also cast a second time, at once, by another thread. It
reports ballots cast per second and checks the box afterwards: as many ballots as codes used, no code used twice,
every second attempt refused.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from bastion.core import cycles, db, tenants
from bastion.core.ballots import rounds, slips
from bastion.core.bulk_write import bulk_insert
from bastion.core.db import transaction
from bastion.core.models import BallotCode, CastBallot, Member, MemberTransfer, Organization, utcnow
from bastion.core.registry import Registry
from bastion.synthetic import build_tree

ACTOR = "bench"
PLUGINS = ("standard-rules", "standard-ledgers", "target-table")
YEAR = date.today().year


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(engine, registry: Registry, branches: int, members: int, seed: int) -> int:
    """A tenant, its cycle, a tree and a register; returns the cycle's id."""
    with transaction(engine) as session:
        tenant = tenants.create_tenant(session, code="bench", name="基准测试集团", plugins=PLUGINS, registry=registry,
                                       actor=ACTOR)
        cycle = cycles.open_cycle(session, tenant=tenant, year=YEAR, registry=registry, actor=ACTOR,
                                  scheme_id="target-table")
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=seed, year=YEAR)
    rng = np.random.default_rng(seed)
    counts = rng.integers(max(1, members - 10), members + 11, size=len(orgs))
    org_ids = np.repeat(orgs["org_id"].to_numpy(), counts)
    n = len(org_ids)
    with db.begin(engine) as conn:
        conn.execute(Organization.__table__.update().where(Organization.__table__.c.level == "committee")
                     .values(party_staff_count=5))
        bulk_insert(conn, Member.__table__, {
            "tenant_id": [tenant.id] * n, "code": [f"DY{i:08d}" for i in range(n)], "org_id": org_ids.tolist(),
            "name": ["党员"] * n, "gender": [None] * n, "birth_date": [None] * n, "joined_on": [date(2010, 7, 1)] * n,
            "status": ["full"] * n, "post": [""] * n, "phone": [None] * n, "active": [True] * n, "left_on": [None] * n})
        first = conn.execute(select(func.min(Member.__table__.c.id))).scalar_one()
        bulk_insert(conn, MemberTransfer.__table__, {
            "tenant_id": [tenant.id] * n, "member_id": list(range(first, first + n)), "from_org_id": [None] * n,
            "to_org_id": org_ids.tolist(), "moved_on": [date(2010, 7, 1)] * n, "note": [""] * n,
            "actor": [ACTOR] * n, "recorded_at": [utcnow()] * n})
    print(f"built: {len(orgs)} branches, {n} members")
    return cycle.id


def engine_at(folder: Path):
    engine = db.make_engine(f"sqlite:///{folder / 'bastion.db'}")
    db.upgrade(engine)
    return engine


def built_elsewhere(folder: Path, args) -> int:
    """The enterprise built by a child process (its memory not counted in this one's peak); the cycle's id."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_build_in, (str(folder), args.branches, args.members, args.seed))


def _build_in(folder: str, branches: int, members: int, seed: int) -> int:
    engine = engine_at(Path(folder))
    try:
        return build(engine, Registry.load(), branches, members, seed)
    finally:
        engine.dispose()


def scale(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bastion-ballots-"))
    cycle_id = built_elsewhere(folder, args)
    engine, registry = engine_at(folder), Registry.load()
    base = peak_mib()
    timings = {}
    start = time.perf_counter()
    with transaction(engine) as session:
        cycle = session.get(cycles.Cycle, cycle_id)
        found = rounds.open_round(session, actor=ACTOR, cycle=cycle, period=str(YEAR), registry=registry)
    timings["open_round (draw)"] = time.perf_counter() - start
    start = time.perf_counter()
    with transaction(engine) as session:
        made = rounds.issue_codes(session, actor=ACTOR, round_id=found.id)
    timings["issue_codes"] = time.perf_counter() - start
    start = time.perf_counter()
    slips.write_slips(folder / "codes.csv", made, title="bench", base_url="http://127.0.0.1:8501",
                      deadline=found.deadline)
    timings["slips .csv (all)"] = time.perf_counter() - start
    sample = made[: args.pdf]
    start = time.perf_counter()
    slips.write_slips(folder / "codes.pdf", sample, title="bench", base_url="http://127.0.0.1:8501",
                      deadline=found.deadline)
    took = time.perf_counter() - start
    timings[f"slips .pdf ({len(sample)})"] = took
    print(f"codes: {len(made)}; peak memory {peak_mib():.0f} MiB ({base:.0f} MiB before the round); database {folder}")
    for name, seconds in timings.items():
        print(f"  {name:<28} {seconds:8.1f} s")
    rate = len(sample) / took
    print(f"  pdf rate {rate:,.0f} slips/s → all {len(made)} as PDF ≈ {len(made) / rate / 60:.0f} min")
    if not args.keep:
        engine.dispose()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(args) -> None:
    from bastion.ui.launch import command, wait_healthy

    folder = Path(tempfile.mkdtemp(prefix="bastion-ballots-load-"))
    engine, registry = engine_at(folder), Registry.load()
    cycle_id = build(engine, registry, args.branches, args.members, args.seed)
    with transaction(engine) as session:
        cycle = session.get(cycles.Cycle, cycle_id)
        found = rounds.open_round(session, actor=ACTOR, cycle=cycle, period=str(YEAR), registry=registry)
    with transaction(engine) as session:
        made = [s for s in rounds.issue_codes(session, actor=ACTOR, round_id=found.id) if s.source == "members"]
    random.Random(args.seed).shuffle(made)
    codes = [s.code for s in made[: args.ballots]]
    twice = set(codes[::10])
    port = free_port()
    env = {**os.environ, "BASTION_HOME": str(folder)}
    env.pop("BASTION_DATABASE_URL", None)
    server = subprocess.Popen(command(address="127.0.0.1", port=port), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    outcomes = {"cast": 0, "refused": 0, "error": 0}
    lock = threading.Lock()
    work = [(code, 0) for code in codes] + [(code, 1) for code in twice]
    position = {code: n for n, code in enumerate(codes)}
    work.sort(key=lambda item: (position[item[0]], item[1]))  # each second attempt right beside its first
    queue = iter(work)

    def cast_one(code: str) -> str:
        page = urllib.request.urlopen(f"{base}/ballot?code={urllib.parse.quote(code)}", timeout=30).read().decode()
        fields = dict.fromkeys(re.findall(r'name="(q_[^"]+)"', page), "88")
        for name, level in re.findall(r'type="radio" name="(q_[^"]+)" value="([^"]+)"', page):
            fields[name] = fields[name] if fields[name] != "88" else level
        if not fields:
            return "refused" if "已投过票" in page else "error"
        body = urllib.parse.urlencode({"code": code, **fields}).encode()
        request = urllib.request.Request(f"{base}/ballot", data=body, method="POST")
        try:
            answer = urllib.request.urlopen(request, timeout=30)
            text = answer.read().decode()
        except urllib.error.HTTPError as exc:
            return "error" if exc.code >= 500 else "refused"
        return "cast" if "投票成功" in text else ("refused" if "已投过票" in text else "error")

    def client() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            result = cast_one(item[0])
            with lock:
                outcomes[result] += 1

    try:
        assert wait_healthy(base, server), server.stderr.read().decode(errors="replace")
        start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=20)
    with engine.connect() as conn:
        in_box = conn.execute(select(func.count()).select_from(CastBallot)).scalar_one()
        used = conn.execute(select(func.count()).where(BallotCode.used.is_(True))).scalar_one()
    print(f"{len(codes)} codes, {len(twice)} of them tried twice at once, {args.clients} clients over loopback")
    print(f"  {outcomes['cast']} cast, {outcomes['refused']} refused, {outcomes['error']} errors in {took:.1f} s "
          f"→ {outcomes['cast'] / took:.1f} ballots/s (each a GET and a POST)")
    print(f"  the box: {in_box} ballots, {used} codes used")
    assert outcomes["cast"] == len(codes) == in_box == used and outcomes["refused"] == len(twice), outcomes
    assert outcomes["error"] == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("scale", "load"):
        p = sub.add_parser(name)
        p.add_argument("--branches", type=int, default=100_000 if name == "scale" else 200)
        p.add_argument("--members", type=int, default=30)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--keep", action="store_true")
        if name == "scale":
            p.add_argument("--pdf", type=int, default=20_000, help="slips written as a PDF, to time its rate")
        else:
            p.add_argument("--ballots", type=int, default=3000)
            p.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    (scale if args.mode == "scale" else load)(args)


if __name__ == "__main__":
    sys.exit(main())
