"""``bastion tenant``: tenants (enterprises) and the plugins each enables."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from bastion.core import db, tenants
from bastion.core.errors import BadValue
from bastion.core.notify import settings as notify_settings
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


class LateFacts(StrEnum):
    allow = "allow"
    refuse = "refuse"


@app.command("set")
@handled
def tenant_set(
    late_facts: Annotated[LateFacts | None, typer.Option(
        "--late-facts", help="allow: a ledger entry or finding dated in a closed period is taken, booked in the next "
                             "period or kept for a correction (the user chooses); refuse: it is refused (the default).")] = None,
    quiet_hours: Annotated[str | None, typer.Option(
        "--quiet-hours", help="When no notification goes out but to the inbox, e.g. 22:00-07:00 (\"\" for none).")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Set a tenant's settings: whether it takes late facts (迟到的台账、检查发现), its quiet hours. Audited."""
    if late_facts is None and quiet_hours is None:
        raise BadValue(tr("请指定要设置的项：--late-facts 或 --quiet-hours", "say what to set: --late-facts or --quiet-hours"))
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        if late_facts is not None:
            changed = tenants.set_late_facts(session, t, allow=late_facts is LateFacts.allow, actor=current_actor())
            state = (tr("接受迟到的台账和检查发现：录入时选择计入下一考核期或走更正",
                        "takes late ledger entries and findings: each is booked in the next period or kept for a "
                        "correction, as the user chooses") if late_facts is LateFacts.allow
                     else tr("不接受迟到的台账和检查发现", "refuses late ledger entries and findings"))
            out.print(tr(f"单位 {t.code}：{state}" + ("" if changed else "（原已如此）"),
                         f"tenant {t.code}: {state}" + ("" if changed else " (already so)")))
        if quiet_hours is not None:
            notify_settings.set_quiet_hours(session, t, quiet_hours, actor=current_actor())
            out.print(tr(f"单位 {t.code}：免打扰时段 {t.quiet_hours or '无'}",
                         f"tenant {t.code}: quiet hours {t.quiet_hours or 'none'}"))


TENANT_FIELDS = (Field("code", "编码", "Code", "code"), Field("name", "名称", "Name"),
                 Field("plugins", "插件", "Plugins", "prose", show=", ".join),
                 Field("late_facts", "迟到事实", "Late facts",
                       show=lambda taken: tr("接受", "taken") if taken else tr("拒绝", "refused")))


@app.command("list")
@handled
def tenant_list(format: FormatOpt = OutputFormat.table) -> None:
    """List the tenants and their enabled plugins."""
    with engine().connect() as conn:
        rows = tenants.read_tenants(conn)
    emit(out, format, TENANT_FIELDS, rows)
