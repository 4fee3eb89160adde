"""``bastion import``: organisations, ledger entries, findings, ratings or restructurings from CSV or Excel, and the
templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bastion.core import tenants
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.periods import Late
from bastion.core.settings import current_actor

from .common import TenantOpt, engine, handled, out, registry

app = typer.Typer(help="Import organisations, ledger entries, findings, ratings, restructurings or members from CSV or Excel.",
                  no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file (see `bastion import template`).")]

IMPORT_KINDS = {
    "organizations": "Organisations (党委/党总支/党支部/党小组): added, or updated by code.",
    "ledger": "Ledger entries (台账): meetings, study, volunteer hours, deeds …",
    "findings": "Check findings (检查发现): deductions and veto items against indicators.",
    "ratings": "Ratings (测评): ballot scores or levels from members, peers, superiors …",
    "restructure": "Restructurings (机构调整): merges, splits, moves, renames, dissolutions, in the file's order.",
    "members": "The party members' register (党员名册): members added, or updated by number; a new branch a transfer.",
}


AgainOpt = Annotated[bool, typer.Option(
    "--again", help="Import the file although the same file (by content) was imported before.")]
LateOpt = Annotated[Late | None, typer.Option(
    "--late", help="Where rows dated in a closed period go, if the tenant takes late facts: next (the next open "
                   "period) or correction (their own date, for the office to correct). Without it they are refused.")]

#: The kinds whose facts may arrive late (``periods.place``): their commands take ``--late``.
LATE_KINDS = ("ledger", "findings")


def _import(kind: str, path: Path, tenant_code: str | None, again: bool, late: Late | None = None) -> None:
    from bastion.core.importing import import_file

    store = engine()
    tenant = tenants.lookup_tenant(store, tenant_code)
    report = import_file(store, tenant=tenant, kind=kind, path=path, registry=registry(), actor=current_actor(),
                         again=again, late=late)
    out.print(str(report))


def _import_command(kind: str, doc: str) -> None:
    if kind in LATE_KINDS:
        def command(path: FileArg, tenant: TenantOpt = None, again: AgainOpt = False, late: LateOpt = None) -> None:
            _import(kind, path, tenant, again, late)
    else:
        def command(path: FileArg, tenant: TenantOpt = None, again: AgainOpt = False) -> None:
            _import(kind, path, tenant, again)

    command.__doc__ = doc
    app.command(kind)(handled(command))


for _kind, _doc in IMPORT_KINDS.items():
    _import_command(_kind, _doc)


@app.command("template")
@handled
def import_template(
    kind: Annotated[str, typer.Argument(help="organizations, ledger, findings, ratings or restructure.")],
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write it: .xlsx or .csv.")],
) -> None:
    """Write an import template (header, an example row and, in Excel, a sheet 说明 of the columns)."""
    from bastion.core.importing import KINDS, write_template

    if kind not in KINDS:
        raise BadValue(tr(f"没有导入类型 {kind!r}：应为 {'、'.join(KINDS)}",
                          f"no import kind {kind!r}; choose one of {', '.join(KINDS)}"))
    write_template(kind, path, registry=registry())
    out.print(tr(f"{kind} 导入模板已写到 {path}", f"template for {kind} written to {path}"), soft_wrap=True)
