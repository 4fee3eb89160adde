"""``bastion cycle`` and ``bastion target``: assessment cycles (考核年度) and the targets (目标值) they froze."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import cycles, db, tenants, words
from bastion.core.i18n import tr
from bastion.core.settings import current_actor
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, YearOpt, context, engine, handled, out, registry

app = typer.Typer(help="Assessment cycles (考核年度).", no_args_is_help=True)
target_app = typer.Typer(help="Targets (目标值) of a cycle.", no_args_is_help=True)


@app.command("open")
@handled
def cycle_open(
    year: Annotated[int, typer.Option("--year", "-y", help="The assessment year.")],
    tenant: TenantOpt = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="Scheme id (default: the tenant's only scheme).")] = None,
) -> None:
    """Open a year's cycle: freeze the scheme version and its targets."""
    installed = registry()
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        cycle = cycles.open_cycle(session, tenant=t, year=year, registry=installed, actor=current_actor(),
                                  scheme_id=scheme)
    scheme_text = f"{cycle.scheme_id} {cycle.scheme_version}"
    out.print(tr(f"{t.code} 已开启 {cycle.year} 考核年度，方案 {scheme_text}",
                 f"cycle {cycle.year} opened for {t.code} with scheme {scheme_text}"))


CYCLE_FIELDS = (
    Field("year", "年度", "Year", "code"),
    Field("name", "名称", "Name", optional=True),
    Field("scheme_id", "方案", "Scheme", "code"),
    Field("scheme_version", "版本", "Version", "code"),
    Field("status", "状态", "Status", words=words.CYCLE_STATUS),
    Field("opened_at", "开启日期", "Opened", "code"),
)


@app.command("list")
@handled
def cycle_list(tenant: TenantOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """List a tenant's cycles and where each stands (进行中 / 待领导审核 / 已发布, by its annual results)."""
    store = engine()
    t = tenants.lookup_tenant(store, tenant)
    rows = [{"year": c.year, "name": c.name, "scheme_id": c.scheme_id, "scheme_version": c.scheme_version,
             "status": status, "opened_at": c.opened_at.date()} for c, status in cycles.list_cycles(store, t.id)]
    emit(out, format, CYCLE_FIELDS, rows)


@target_app.command("set")
@handled
def target_set(
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator code.")],
    value: Annotated[float, typer.Option("--value", help="The new target.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail).")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation code (one branch).")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Branch category (every branch of it).")] = None,
    tenant: TenantOpt = None,
    year: YearOpt = None,
) -> None:
    """Adjust a target for one branch or one category (因地制宜), with the reason."""
    store = engine()
    _, c = context(store, tenant, year)
    with db.transaction(store) as session:
        cycles.set_target(session, cycle=c, indicator_code=indicator, value=value, reason=reason,
                          actor=current_actor(), org_code=org, category=category)
    out.print(tr(f"{org or category} 的 {indicator} 目标值已设为 {value:g}",
                 f"target of {indicator} for {org or category} set to {value:g}"))
