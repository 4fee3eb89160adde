"""``bastion tenant``: tenants (enterprises) and the plugins each enables."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import db, tenants
from bastion.core.i18n import tr
from bastion.core.settings import current_actor
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out, registry

app = typer.Typer(help="Tenants (enterprises).", no_args_is_help=True)


@app.command("create")
@handled
def tenant_create(
    code: Annotated[str, typer.Argument(help="Short code, e.g. sinopec-sc.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The enterprise's name.")],
    plugin: Annotated[list[str] | None, typer.Option("--plugin", help="Plugin to enable (repeat); default: every built-in.")] = None,
) -> None:
    """Create a tenant and enable its plugins."""
    installed = registry()
    plugins = plugin or [i.name for i in installed.infos.values() if i.builtin]
    with db.transaction(engine()) as session:
        tenant = tenants.create_tenant(session, code=code, name=name, plugins=plugins, registry=installed,
                                       actor=current_actor())
    out.print(tr(f"单位 {tenant.code} 已创建；已启用插件：{'、'.join(sorted(plugins))}",
                 f"tenant {tenant.code} created; plugins enabled: {', '.join(sorted(plugins))}"))


@app.command("enable")
@handled
def tenant_enable(
    plugins: Annotated[list[str], typer.Argument(help="Installed plugin names (see `bastion plugins list`).")],
    tenant: TenantOpt = None,
) -> None:
    """Enable plugins for a tenant: their schemes, rule types, ledger types and policies become its own."""
    installed = registry()
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        added = tenants.enable_plugins(session, t, plugins, registry=installed, actor=current_actor())
        now = tenants.enabled_plugins(session, t.id)
    out.print(tr(f"单位 {t.code}：已启用 {'、'.join(added) or '（无新增）'}；现有插件：{'、'.join(now)}",
                 f"tenant {t.code}: enabled {', '.join(added) or 'nothing new'}; plugins now: {', '.join(now)}"))


@app.command("disable")
@handled
def tenant_disable(
    plugins: Annotated[list[str], typer.Argument(help="Plugin names the tenant enables.")],
    tenant: TenantOpt = None,
) -> None:
    """Disable plugins for a tenant (cycles already opened keep their frozen scheme)."""
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        removed = tenants.disable_plugins(session, t, plugins, actor=current_actor())
        now = tenants.enabled_plugins(session, t.id)
    out.print(tr(f"单位 {t.code}：已停用 {'、'.join(removed)}；现有插件：{'、'.join(now) or '无'}",
                 f"tenant {t.code}: disabled {', '.join(removed)}; plugins now: {', '.join(now) or 'none'}"))


TENANT_FIELDS = (Field("code", "编码", "Code", "code"), Field("name", "名称", "Name"),
                 Field("plugins", "插件", "Plugins", "prose", show=", ".join))


@app.command("list")
@handled
def tenant_list(format: FormatOpt = OutputFormat.table) -> None:
    """List the tenants and their enabled plugins."""
    with engine().connect() as conn:
        rows = tenants.read_tenants(conn)
    emit(out, format, TENANT_FIELDS, rows)
