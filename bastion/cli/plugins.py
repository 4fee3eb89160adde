"""``bastion plugins``: the installed plugins, what each contributes, which tenants enable it; their check."""

from __future__ import annotations

import typer
from rich.markup import escape as rich_escape

from bastion.core import tenants
from bastion.core.i18n import tr
from bastion.core.registry import default_registry
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, engine, handled, out, registry

app = typer.Typer(help="Installed plugins.", no_args_is_help=True)

PLUGIN_FIELDS = (
    Field("plugin", "插件", "Plugin", "code"),
    Field("version", "版本", "Version", "code"),
    Field("builtin", "类型", "Kind", show=lambda b: tr("内置", "built-in") if b else tr("已安装", "installed"),
          optional=True),
    Field("contributes", "提供", "Contributes", "prose",
          show=lambda c: "; ".join(f"{k}: {', '.join(v)}" for k, v in c.items())),
    Field("tenants", "启用单位", "Tenants", show=", ".join),
    Field("faults", "问题", "Faults", "prose", hidden=True),  # a table prints them under itself
)


@app.command("list")
@handled
def plugins_list(format: FormatOpt = OutputFormat.table) -> None:
    """Installed plugins: name, version, what each contributes, which tenants enable it; then every fault (a plugin
    left out, a hook that raised), which is not a failure of the listing."""
    installed = registry()
    with engine().connect() as conn:
        enabling = tenants.tenants_enabling(conn)
    rows = [{"plugin": name, "version": info.version, "builtin": info.builtin,
             "contributes": installed.contributions_of(name), "tenants": enabling.get(name, []),
             "faults": installed.faults_of(name)}
            for name, info in sorted(installed.infos.items())]
    emit(out, format, PLUGIN_FIELDS, rows)
    if format is OutputFormat.table:
        for problem in installed.problems:
            out.print(f"[red]{rich_escape(str(problem))}[/]", soft_wrap=True)


@app.command("check")
@handled
def plugins_check() -> None:
    """Validate every installed plugin and scheme; exit 1 naming each fault (plugin, where, what)."""
    installed = default_registry()  # its faults are the output, not warnings
    problems = installed.check()
    for problem in problems:
        out.print(f"[red]{rich_escape(str(problem))}[/]", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    schemes = installed.schemes()
    out.print(tr(f"{len(installed.infos)} 个插件、{len(schemes)} 个方案均有效：",
                 f"{len(installed.infos)} plugins and {len(schemes)} schemes are valid: ")
              + ", ".join(f"{sid} {c.item.version} ({c.plugin})" for sid, c in sorted(schemes.items())))
