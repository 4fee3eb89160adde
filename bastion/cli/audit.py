"""``bastion audit``: check the audit trail (审计日志) — append-only, each tenant's rows a hash chain."""

from __future__ import annotations

import sys

import typer

from bastion.core import audit, tenants
from bastion.core.i18n import tr
from bastion.listings import OutputFormat, write_json

from .common import FormatOpt, TenantOpt, engine, fail, handled, out

app = typer.Typer(help="The audit trail: verify its hash chain.", no_args_is_help=True)


@app.command("verify")
@handled
def verify(tenant: TenantOpt = None, all_tenants: bool = typer.Option(
        False, "--all", help="Every tenant's chain (and the rows of no tenant)."),
        format: FormatOpt = OutputFormat.table) -> None:
    """Recompute the audit trail's hash chain: exit 1 naming the first row that was changed or removed."""
    store = engine()
    tenant_id = None if all_tenants else tenants.lookup_tenant(store, tenant).id
    with store.connect() as conn:
        found = audit.verify(conn, tenant_id, every_tenant=all_tenants)
    if format is not OutputFormat.table:
        write_json({"intact": found.intact, "checked": found.checked, "chains": found.chains,
                    "breaks": found.breaks}, sys.stdout)
    elif found.intact:
        out.print(tr(f"审计日志完整：{found.chains} 条哈希链，共 {found.checked} 条记录，均未被修改或删除",
                     f"the audit trail is intact: {found.chains} chain(s), {found.checked} row(s), none changed "
                     f"or removed"))
    if not found.intact:
        first = found.breaks[0]
        what = {"prev_hash": ("其前一条记录被删除或改动", "the row before it was removed or changed"),
                "hash": ("该记录内容被改动", "the row was changed")}[first["problem"]]
        raise fail(tr(f"审计日志哈希链断裂：第 {first['id']} 条记录处，{what[0]}（共 {len(found.breaks)} 条链断裂）",
                      f"the audit trail's hash chain is broken at row {first['id']}: {what[1]} "
                      f"({len(found.breaks)} chain(s) broken)"), 1)
