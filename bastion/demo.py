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
from bastion.core.errors import NotFound
from bastion.core.results import read_incentives, read_results
from bastion.synthetic import build_tree, generate_facts
from bastion.tables import AWARD_KIND_LABELS, ranking_table

DEMO_TENANT = "demo"
DEMO_NAME = "示范集团有限公司"
BASE_PLUGINS = ("standard-rules", "standard-ledgers")
ACTOR = "demo"


def run_demo(engine: Engine, *, registry: Registry, branches: int, seed: int, year: int, console: Console,
             scheme_id: str = "target-table") -> None:
    started = time.perf_counter()
    schemes = registry.schemes()
    if scheme_id not in schemes:
        raise NotFound(f"no installed plugin contributes a scheme {scheme_id!r} (schemes: {', '.join(sorted(schemes))})")
    plugins = {*BASE_PLUGINS, schemes[scheme_id].plugin} & set(registry.infos)
    with transaction(engine) as session:
        existing = session.exec(select(Tenant).where(Tenant.code == DEMO_TENANT)).first()
        if existing is not None:
            tenants.delete_tenant(session, existing)
        tenant = tenants.create_tenant(session, code=DEMO_TENANT, name=DEMO_NAME, plugins=plugins,
                                       registry=registry, actor=ACTOR)
        cycle = cycles.open_cycle(session, tenant=tenant, year=year, registry=registry, actor=ACTOR,
                                  scheme_id=scheme_id)
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
        awards = read_incentives(conn, cycle.id, str(year))
    console.print(ranking_table(frame, title=f"{cycle.name} · {year} 排名"))
    if not awards.empty:
        counts = awards.groupby(["kind", "award"], sort=False).agg(title=("title", "first"), n=("id", "size"))
        console.print(f"{year} 奖惩兑现：" + "；".join(f"{AWARD_KIND_LABELS.get(k, k)} {r.n} 项（如：{r.title}）"
                                                  for (k, _), r in counts.iterrows()))
    best = frame.iloc[0]["code"]
    console.print(f"Done in {time.perf_counter() - started:.1f} s. Next: `bastion results --format json`, "
                  f"`bastion explain --org {best}`, `bastion plugins list`.")
