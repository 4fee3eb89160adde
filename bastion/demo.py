"""``bastion demo``: a sample enterprise, a year of its party work, and the year's assessment.

The sample tenant ``demo`` (示范集团) is rebuilt from its seed on each run, in whatever database
is configured (the embedded one by default); other tenants are left alone.
"""

from __future__ import annotations

import time

from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import select

from bastion.core import cycles, scoring, tenants
from bastion.core.db import transaction
from bastion.core.models import Tenant
from bastion.core.registry import Registry
from bastion.core.results import read_results
from bastion.synthetic import build_tree, generate_facts
from bastion.tables import ranking_table

DEMO_TENANT = "demo"
DEMO_NAME = "示范集团有限公司"
DEMO_PLUGINS = ("standard-rules", "standard-ledgers", "target-table")
DEMO_SCHEME = "target-table"
ACTOR = "demo"


def run_demo(engine: Engine, *, registry: Registry, branches: int, seed: int, year: int, console: Console) -> None:
    started = time.perf_counter()
    with transaction(engine) as session:
        existing = session.exec(select(Tenant).where(Tenant.code == DEMO_TENANT)).first()
        if existing is not None:
            tenants.delete_tenant(session, existing)
        tenant = tenants.create_tenant(session, code=DEMO_TENANT, name=DEMO_NAME, plugins=DEMO_PLUGINS,
                                       registry=registry, actor=ACTOR)
        cycle = cycles.open_cycle(session, tenant=tenant, year=year, registry=registry, actor=ACTOR,
                                  scheme_id=DEMO_SCHEME)
    scheme = cycles.cycle_scheme(cycle)
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=seed, year=year)
    made = generate_facts(engine, tenant_id=tenant.id, scheme=scheme, branches=orgs, year=year, seed=seed)
    console.print(f"示范企业 {DEMO_NAME}: {made.branches} 个党支部, {made.ledger_entries} 条台账, "
                  f"{made.findings} 条检查发现, {made.ratings} 张测评票 ({year})")

    for period in (f"{year}-H1", str(year)):
        summary = scoring.score_period(engine, cycle=cycle, period_key=period, registry=registry, actor=ACTOR)
        awards = scoring.publish_period(engine, cycle=cycle, period_key=period, registry=registry, actor=ACTOR)
        console.print(f"{period}: 平均分 {summary.mean_total:.2f}, 先进 {summary.advanced}, "
                      f"一票否决 {summary.vetoed}, 奖惩 {awards} 项 — published")

    with engine.connect() as conn:
        frame = read_results(conn, cycle.id, str(year))
    console.print(ranking_table(frame, title=f"{cycle.name} · {year} 排名"))
    best = frame.iloc[0]["code"]
    console.print(f"Done in {time.perf_counter() - started:.1f} s. Next: `bastion results --format json`, "
                  f"`bastion explain --org {best}`, `bastion plugins list`.")
