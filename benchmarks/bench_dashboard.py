"""Benchmark: the leaders' dashboard queries (``core.dashboard``) on a scored enterprise, read-only.

    python benchmarks/bench_dashboard.py [--database-url URL] [--repeat 3] [--no-xlsx]

Without ``--database-url`` it takes the first ``/tmp/bastion-bench-*/bench.db`` that has results
(databases ``bench_scoring.py --keep`` leaves). A SQLite file is opened read-only (``mode=ro``,
``PRAGMA query_only``): nothing is written, nothing rescored. The tenant, cycle and period with the
most evaluations are measured; drafts count, since the principals are an administrator of the whole
tenant and a leader of its first general branch (both may see drafts).

Each query is timed cold (its first call, as the first visitor after the cache expires pays) and
warm (the median of ``--repeat`` more calls, the database's pages cached by the OS). The page
caches results for five minutes (``st.cache_data``), so these are the costs of a cache miss.
Prints a table and writes ``benchmarks/results/dashboard-<backend>-<N>-<time>.json``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bastion.core import dashboard
from bastion.core.access import Principal
from bastion.core.cycles import cycle_scheme
from bastion.core.models import Cycle, Evaluation, Organization, OrgLevel
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CANDIDATES = "/tmp/bastion-bench-*/bench.db"


def read_only_engine(url: str) -> Engine:
    """The database, opened so that it cannot be written (SQLite: a read-only URI and ``query_only``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, execution_options={"postgresql_readonly": True})
        return engine
    path = Path(parsed.database).resolve()
    if not path.is_file():
        raise SystemExit(f"no database at {path}")
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine


def find_database() -> str:
    for path in sorted(glob.glob(CANDIDATES)):
        engine = read_only_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as conn:
                if conn.execute(select(Evaluation.__table__.c.id).limit(1)).first():
                    return f"sqlite:///{path}"
        finally:
            engine.dispose()
    raise SystemExit(f"no benchmark database with results at {CANDIDATES}: run benchmarks/bench_scoring.py "
                     "--keep first, or name one with --database-url")


def subject(engine: Engine) -> dict[str, Any]:
    """The tenant, cycle and period with the most evaluations, and the organisations to drill into."""
    e, o = Evaluation.__table__.c, Organization.__table__.c
    with engine.connect() as conn:
        biggest = conn.execute(
            select(e.tenant_id, e.cycle_id, e.period, func.count()).group_by(e.tenant_id, e.cycle_id, e.period)
            .order_by(func.count().desc()).limit(1)).first()
        if biggest is None:
            raise SystemExit(f"{engine.url} has no evaluations (yet): score it first, e.g. with bench_scoring.py")
        tenant_id, cycle_id, period, n = biggest
        top = conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.parent_id.is_(None))
                           .order_by(o.id)).scalar()
        general = conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.parent_id == top,
                                                  o.level == OrgLevel.general_branch.value).order_by(o.code)).scalar()
        under_general = conn.execute(select(func.count()).where(o.parent_id == general)).scalar()
        middle = conn.execute(select(e.org_id, o.code).join(Organization.__table__, o.id == e.org_id)
                              .where(e.cycle_id == cycle_id, e.period == period, e.rank == max(1, n // 2))).first()
        veto_grade = cycle_scheme(Session(bind=conn).get(Cycle, cycle_id)).veto_grade
    return {"tenant_id": tenant_id, "cycle_id": cycle_id, "period": period, "evaluations": n, "top": top,
            "veto_grade": veto_grade,
            "general": general, "branches_under_general": under_general, "branch_code": middle[1]}


def measure(engine: Engine, call: Callable, repeat: int) -> dict[str, Any]:
    def once() -> tuple[float, Any]:
        with engine.connect() as conn:
            started = time.perf_counter()
            value = call(conn)
            return time.perf_counter() - started, value

    cold, value = once()
    warm = [once()[0] for _ in range(repeat)]
    return {"cold": cold, "warm": statistics.median(warm) if warm else None, "result": describe(value)}


def describe(value: Any) -> str:
    if isinstance(value, dashboard.Page):
        return f"{len(value.rows)} rows of {value.total}"
    if isinstance(value, dashboard.Heatmap):
        return f"{value.cells['code'].nunique()} rows of {value.total_rows} x {value.cells['block_code'].nunique()} blocks"
    if isinstance(value, dashboard.Headline):
        return f"{value.branches} branches, average {value.average}"
    if isinstance(value, bytes):
        return f"{len(value) / 2**20:.1f} MiB"
    if hasattr(value, "lines"):
        return f"{len(value.lines)} lines, {sum(len(v) for v in value.evidence.values())} records"
    if hasattr(value, "__len__"):
        return f"{len(value)} rows"
    return str(value)


def queries(s: dict[str, Any], admin: Principal, leader: Principal, xlsx: bool) -> dict[str, Callable]:
    cycle, period = s["cycle_id"], s["period"]
    common = {"cycle_id": cycle, "period": period}
    out: dict[str, Callable] = {
        "headline (whole tenant)": lambda c: dashboard.headline(c, admin, unqualified_grade=s["veto_grade"],
                                                                today=date.today(), **common),
        "headline (one general branch)": lambda c: dashboard.headline(c, admin, unqualified_grade=s["veto_grade"],
                                                                      today=date.today(), under=s["general"], **common),
        "ranking page 1": lambda c: dashboard.ranking(c, admin, **common),
        "ranking page at the middle": lambda c: dashboard.ranking(c, admin, offset=s["evaluations"] // 2, **common),
        "ranking searched by name": lambda c: dashboard.ranking(c, admin, search="99", **common),
        "ranking page 1, leader of a general branch": lambda c: dashboard.ranking(c, leader, **common),
        "grade distribution": lambda c: dashboard.distribution(c, admin, by="grade", **common),
        "tier distribution (one general branch)": lambda c: dashboard.distribution(c, admin, by="tier",
                                                                                   under=s["general"], **common),
        "trend (all cycles)": lambda c: dashboard.trend(c, admin),
        "trend, leader of a general branch": lambda c: dashboard.trend(c, leader),
        "heatmap of the general branches": lambda c: dashboard.heatmap(c, admin, node_id=s["top"], **common),
        "heatmap of one general branch (a page)": lambda c: dashboard.heatmap(c, admin, node_id=s["general"], **common),
        "drill-down choices (first 200)": lambda c: dashboard.children(c, admin, s["general"]),
        "drill-down search": lambda c: dashboard.children(c, admin, s["general"], search="00042"),
        "explanation of one branch": lambda c: dashboard.explain_branch(c, admin, org_code=s["branch_code"],
                                                                        **common),
    }
    if xlsx:
        out["ranking as .xlsx (whole tenant)"] = lambda c: dashboard.ranking_xlsx(c, admin, **common)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-xlsx", action="store_true", help="skip the whole-table .xlsx (the slowest)")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    url = args.database_url or find_database()
    engine = read_only_engine(url)
    s = subject(engine)
    admin = Principal(0, "bench-admin", "", s["tenant_id"], (("admin", s["top"]),))
    leader = Principal(0, "bench-leader", "", s["tenant_id"], (("leader", s["general"]),))
    load = os.getloadavg()
    print(f"Bastion dashboard benchmark — {url} (read-only)\n"
          f"tenant {s['tenant_id']}, cycle {s['cycle_id']}, period {s['period']}: {s['evaluations']:,} evaluations; "
          f"first general branch {s['branches_under_general']:,} branches; load average {load[0]:.2f}\n")
    print(f"{'query':46} {'cold s':>8} {'warm s':>8}  result")
    print("-" * 100)
    figures = {}
    for name, call in queries(s, admin, leader, not args.no_xlsx).items():
        figures[name] = measure(engine, call, 1 if "xlsx" in name else args.repeat)
        f = figures[name]
        print(f"{name:46} {f['cold']:8.3f} {f['warm']:8.3f}  {f['result']}", flush=True)
    engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    backend = make_url(url).get_backend_name()
    out = RESULTS / f"dashboard-{backend}-{s['evaluations']}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"url": url, "label": args.label, "subject": s, "load_before": load,
                               "python": sys.version.split()[0], "machine": platform.machine(),
                               "cpus": os.cpu_count(), "figures": figures}, ensure_ascii=False, indent=2))
    print(f"\n[bench] wrote {out}")


if __name__ == "__main__":
    main()
