"""What-if (方案试算): a past period scored under another scheme — a draft, a file, a next year's version — beside
its stored results, without touching anything.

The period's inputs are read exactly as for its own scoring (a closed period from its frozen inputs:
``scoring.read_inputs``), scored in memory by the draft (``engine.score``), and set beside the results stored for it:
per branch, the total, grade, rank and tier under each, and whether the grade or the tier moved. Nothing is written —
not a result, not an audit row: a what-if changes nothing, so it leaves no trace to audit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from . import engine as scoring_engine
from . import scoring
from .cycles import cycle_scheme
from .errors import BastionError
from .i18n import tr
from .models import Cycle, OrgLevel
from .periods import in_cycle
from .registry import Registry
from .results import grade_label, read_results
from .scheme import Scheme
from .tenants import enabled_plugins

COLUMNS = ["code", "name", "old_total", "new_total", "old_grade", "new_grade", "old_rank", "new_rank", "old_tier",
           "new_tier", "grade_moved", "tier_moved"]


@dataclass(frozen=True)
class WhatIf:
    """A period under a draft scheme beside its stored results."""

    period: str
    stored: str  # the scheme the results were scored by: id and version
    draft: str
    table: pd.DataFrame  # COLUMNS, by new rank

    @property
    def grades_moved(self) -> int:
        return int(self.table["grade_moved"].sum())

    @property
    def tiers_moved(self) -> int:
        return int(self.table["tier_moved"].sum())


def whatif(engine: Engine, *, cycle: Cycle, period_key: str | None, scheme: Scheme, registry: Registry) -> WhatIf:
    """Score ``cycle``'s ``period_key`` under ``scheme`` and set it beside the stored results (which must exist)."""
    period = in_cycle(cycle, period_key)
    with Session(engine) as session:
        faults = registry.check_scheme(scheme, enabled_plugins(session, cycle.tenant_id))
    if faults:
        raise BastionError(tr(f"方案 {scheme.id} {scheme.version} 无法试算：" + "；".join(faults),
                              f"scheme {scheme.id} {scheme.version} cannot be tried: " + "; ".join(faults)))
    with engine.connect() as conn:
        stored = read_results(conn, cycle.id, period.key)
    if stored.empty:
        raise BastionError(tr(f"考核期 {period.key} 还没有考核结果可供对照：请先评分",
                              f"period {period.key} has no results to compare with: score it first"))
    inputs = scoring.read_inputs(engine, cycle=cycle, period=period, registry=registry, scheme=scheme)
    result = scoring_engine.score(scheme, inputs.rule_types, inputs.orgs, inputs.facts, inputs.period,
                                  target_rows=inputs.target_rows, params=inputs.params,
                                  rule_owners=inputs.rule_owners, tree=inputs.tree,
                                  ledger_names=inputs.ledger_names, barred=inputs.barred)
    new = result.evaluations
    new = new[new["level"].astype(str) == OrgLevel.branch.value] if "level" in new else new
    old = stored.set_index("org_id")
    table = pd.DataFrame({
        "org_id": new["org_id"].to_numpy(),
        "new_total": new["total"].to_numpy(), "new_grade": new["grade"].map(grade_label).to_numpy(),
        "new_rank": new["rank"].to_numpy(), "new_tier": new["tier"].to_numpy()})
    table["code"] = table["org_id"].map(old["code"])
    table["name"] = table["org_id"].map(old["name"])
    table["old_total"] = table["org_id"].map(old["total"])
    table["old_grade"] = table["org_id"].map(old["grade"]).map(grade_label)
    table["old_rank"] = table["org_id"].map(old["rank"])
    table["old_tier"] = table["org_id"].map(old["tier"])
    table["grade_moved"] = table["old_grade"] != table["new_grade"]
    table["tier_moved"] = table["old_tier"] != table["new_tier"]
    table = table.sort_values(["new_rank", "code"], kind="stable").reset_index(drop=True)
    was = cycle_scheme(cycle)
    return WhatIf(period.key, f"{was.id} {was.version}", f"{scheme.id} {scheme.version}", table[COLUMNS])
