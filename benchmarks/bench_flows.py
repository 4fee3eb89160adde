"""Benchmark: the annual stage through Prefect against the same stage called directly.

    python benchmarks/bench_flows.py --branches 10000 [--repeat 2] [--database-url URL]

1. Builds a sample enterprise in a fresh database (a temp SQLite file by default): a tenant
   enabling standard-rules, standard-ledgers and target-table (the seed-004 scheme) that confirms
   its annual results automatically, a 2026 cycle, N branches and a year of facts
   (``bastion.synthetic``, fixed seed). Not timed for the figure.
2. Starts Prefect's local server with a first, small flow (a spot check) and reports how long that
   took: paid once per process, not per stage.
3. Times the annual stage (score, review confirmed, publish with incentives, bulletin) called
   directly (``core.stages.run_stage``), then, after undoing its results, through the Prefect flow
   (``flows.stages.stage_flow``: begin, score and conclude tasks) — alternately, ``--repeat`` times
   each — and reports the fastest of each and the difference: Prefect's overhead.

Prints a table and writes ``benchmarks/results/flows-<backend>-<N>-<time>.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp BASTION_HOME")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="bastion-bench-flows-"))
    os.environ["BASTION_HOME"] = str(home)
    if args.database_url:
        os.environ["BASTION_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    from sqlalchemy import delete, select
    from sqlmodel import Session

    from bastion.core import cycles, db, tenants
    from bastion.core.stages import service as stages
    from bastion.core.db import transaction
    from bastion.core.models import BlockSubtotal, Bulletin, Evaluation, EvaluationLine, Incentive, StageRun, Tenant
    from bastion.core.registry import default_registry
    from bastion.core.settings import Settings
    from bastion.synthetic import build_tree, generate_facts

    settings = Settings.from_env()
    engine = db.connect(settings)
    if args.database_url:  # a tenant's history is never deleted (the audit trail is append-only): a fresh database
        with engine.begin() as conn:
            if conn.execute(select(Tenant.id).where(Tenant.code == "bench")).first():
                raise SystemExit(f"{args.database_url} already holds the tenant 'bench': give an empty database")
    registry = default_registry()
    started = time.perf_counter()
    with transaction(engine) as session:
        tenant = tenants.create_tenant(session, code="bench", name="基准测试集团",
                                       plugins=["standard-rules", "standard-ledgers", "target-table"],
                                       registry=registry, actor="bench")
        tenant.auto_confirm_review = True
        session.add(tenant)
        cycle = cycles.open_cycle(session, tenant=tenant, year=2026, registry=registry, actor="bench")
    orgs = build_tree(engine, tenant_id=tenant.id, branches=args.branches, seed=args.seed, year=2026)
    made = generate_facts(engine, tenant_id=tenant.id, scheme=cycles.cycle_scheme(cycle), branches=orgs, year=2026,
                          seed=args.seed)
    generated = time.perf_counter() - started
    print(f"{made.branches} branches, {made.ledger_entries} ledger entries, {made.ratings} ratings, "
          f"{made.findings} findings in {generated:.1f} s", flush=True)

    def undo_annual() -> None:
        e, line = Evaluation.__table__, EvaluationLine.__table__
        with transaction(engine) as session:
            conn = session.connection()
            conn.execute(delete(Incentive.__table__).where(Incentive.cycle_id == cycle.id, Incentive.period == "2026"))
            ids = select(e.c.id).where(e.c.cycle_id == cycle.id, e.c.period == "2026")
            conn.execute(delete(BlockSubtotal.__table__).where(BlockSubtotal.evaluation_id.in_(ids)))
            conn.execute(delete(line).where(line.c.evaluation_id.in_(ids)))
            conn.execute(delete(e).where(e.c.cycle_id == cycle.id, e.c.period == "2026"))
            conn.execute(delete(Bulletin.__table__).where(Bulletin.cycle_id == cycle.id, Bulletin.period == "2026"))
            conn.execute(delete(StageRun.__table__).where(StageRun.key == "2026:annual:2026"))

    from bastion.flows.stages import stage_flow

    t0 = time.perf_counter()
    stage_flow("bench", "spot_check", on=date(2026, 3, 2))
    server_start = time.perf_counter() - t0
    print(f"Prefect server start and a first flow: {server_start:.1f} s", flush=True)

    ctx = stages.StageContext(engine, registry, settings.home, "bench")
    direct, through = [], []
    for attempt in range(args.repeat):
        t0 = time.perf_counter()
        run = stages.run_stage(ctx, cycle, "annual", period="2026")
        direct.append(time.perf_counter() - t0)
        assert run.status == "succeeded", run.status
        undo_annual()
        t0 = time.perf_counter()
        summary = stage_flow("bench", "annual", period="2026")
        through.append(time.perf_counter() - t0)
        assert summary["status"] == "succeeded", summary
        undo_annual()
        print(f"run {attempt + 1}: direct {direct[-1]:.2f} s, through Prefect {through[-1]:.2f} s", flush=True)
    with Session(engine) as session:
        lines = session.exec(select(EvaluationLine.id).limit(1)).first()
    assert lines is None  # undone

    best_direct, best_flow = min(direct), min(through)
    result = {
        "branches": made.branches, "ledger_entries": made.ledger_entries, "ratings": made.ratings,
        "backend": engine.dialect.name, "generated_s": round(generated, 1), "server_start_s": round(server_start, 2),
        "direct_s": [round(x, 2) for x in direct], "prefect_s": [round(x, 2) for x in through],
        "overhead_s": round(best_flow - best_direct, 2),
        "overhead_pct": round(100 * (best_flow - best_direct) / best_direct, 1),
        "load_average": os.getloadavg(), "python": sys.version.split()[0], "at": datetime.now().isoformat(),
    }
    print(f"\nannual stage at {made.branches} branches ({engine.dialect.name}): direct {best_direct:.2f} s, "
          f"through Prefect {best_flow:.2f} s, overhead {result['overhead_s']:.2f} s ({result['overhead_pct']} %); "
          f"Prefect server start {server_start:.1f} s once")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"flows-{engine.dialect.name}-{made.branches}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {out}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
