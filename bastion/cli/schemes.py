"""``bastion scheme`` and ``bastion whatif``: schemes as files (方案文件) — export one to edit, check a file, adopt it
as the tenant's next version — and a past period scored under a draft beside its stored results (方案试算)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bastion.core import db, scheme_files, whatif
from bastion.core.errors import BastionError, NotFound
from bastion.core.i18n import tr
from bastion.core.models import Tenant
from bastion.core.scheme import Scheme
from bastion.core.settings import current_actor
from bastion.core.tenants import lookup_tenant
from bastion.listings import Field, OutputFormat, emit, xlsx_bytes

from .common import FormatOpt, PeriodOpt, TenantOpt, YearOpt, context, engine, handled, out, registry

app = typer.Typer(help="Schemes as files (方案文件): export, check, adopt, list.", no_args_is_help=True)
whatif_app = typer.Typer()  # the top-level ``bastion whatif``

FileArg = Annotated[Path, typer.Argument(help="The scheme file: .yaml, .yml or .json.", exists=True, dir_okay=False)]
WHATIF_FIELDS = (
    Field("new_rank", "试算排名", "Rank", "number"), Field("code", "编码", "Code", "code"), Field("name", "党组织", "Name"),
    Field("old_total", "原总分", "Was", "number"), Field("new_total", "试算总分", "Now", "number"),
    Field("old_grade", "原等次", "Grade was"), Field("new_grade", "试算等次", "Grade now"),
    Field("old_tier", "原档次", "Tier was", optional=True), Field("new_tier", "试算档次", "Tier now", optional=True),
    Field("old_rank", "原排名", "Rank was", "number", optional=True),
)


def _schemes(session: Session, tenant, found) -> dict:
    return {**found.schemes(), **scheme_files.adopted(session, tenant.id, found)}


def _scheme(store, tenant, found, name: str) -> Scheme:
    """A scheme file's (by its path), else the tenant's scheme of that id (adopted or a plugin's)."""
    path = Path(name)
    if path.suffix.lower() in scheme_files.SUFFIXES:
        if not path.exists():
            raise NotFound(tr(f"没有方案文件 {name}", f"no scheme file {name}"))
        return scheme_files.load(path)
    with Session(store) as session:
        schemes = _schemes(session, tenant, found)
    if name not in schemes:
        raise NotFound(tr(f"没有方案 {name!r}（可选：{'、'.join(sorted(schemes))}）",
                          f"no scheme {name!r} (schemes: {', '.join(sorted(schemes))})"))
    return schemes[name].item


@app.command("export")
@handled
def scheme_export(
    scheme_id: Annotated[str, typer.Argument(help="The scheme's id (bastion scheme list).")],
    to: Annotated[Path, typer.Option("--out", "-o", help="The file to write: .yaml (or .yml) or .json.")],
    tenant: TenantOpt = None,
) -> None:
    """Write a scheme to a file, to edit it and adopt the edit as the next version."""
    store, found = engine(), registry()
    scheme = _scheme(store, lookup_tenant(store, tenant), found, scheme_id)
    if to.suffix.lower() not in scheme_files.SUFFIXES:
        raise BastionError(tr(f"--out {to.name}：应为 .yaml、.yml 或 .json", f"--out {to.name}: .yaml, .yml or .json"))
    to.write_text(scheme_files.dump(scheme, to.suffix), encoding="utf-8")
    out.print(tr(f"已写出方案 {scheme.id} {scheme.version}：{to}", f"scheme {scheme.id} {scheme.version} written to {to}"))


@app.command("check")
@handled
def scheme_check(path: FileArg, tenant: TenantOpt = None) -> None:
    """Check a scheme file: its format, and that the tenant's plugins provide what it names."""
    store, found = engine(), registry()
    scheme = scheme_files.load(path)
    target = lookup_tenant(store, tenant)
    with Session(store) as session:
        faults = scheme_files.faults(session, target, scheme, found)
    if faults:
        raise BastionError(tr(f"{path.name}：" + "；".join(faults), f"{path.name}: " + "; ".join(faults)))
    out.print(tr(f"{path.name}：方案 {scheme.id} {scheme.version} 有效（{len(list(scheme.indicators()))} 项指标，"
                 f"{scheme.total_points:g} 分）",
                 f"{path.name}: scheme {scheme.id} {scheme.version} is valid ({len(list(scheme.indicators()))} indicators, "
                 f"{scheme.total_points:g} points)"))


@app.command("add")
@handled
def scheme_add(path: FileArg, tenant: TenantOpt = None) -> None:
    """Adopt a scheme file as the tenant's, a version of its own: cycles opened from now on may freeze it."""
    store, found = engine(), registry()
    scheme = scheme_files.load(path)
    tenant_id = lookup_tenant(store, tenant).id
    with db.transaction(store) as session:
        target = session.get(Tenant, tenant_id)
        scheme_files.adopt(session, tenant=target, scheme=scheme, source=path.name, registry=found,
                           actor=current_actor())
    out.print(tr(f"已采用方案 {scheme.id} {scheme.version}（{path.name}）：此后开启的考核年度可选用",
                 f"scheme {scheme.id} {scheme.version} adopted ({path.name}): cycles opened from now on may use it"))


@app.command("list")
@handled
def scheme_list(tenant: TenantOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The schemes the tenant may open a cycle with: the plugins' and those adopted from files (the latest)."""
    store, found = engine(), registry()
    target = lookup_tenant(store, tenant)
    with Session(store) as session:
        schemes = _schemes(session, target, found)
    rows = [{"id": k, "version": c.item.version, "name": c.item.name, "from": c.plugin}
            for k, c in sorted(schemes.items())]
    emit(out, fmt, (Field("id", "方案", "Scheme", "code"), Field("version", "版本", "Version", "code"),
                    Field("name", "名称", "Name"), Field("from", "来源", "From", "code")), rows)


@whatif_app.command("whatif")
@handled
def whatif_command(
    scheme: Annotated[str, typer.Option("--scheme", "-s", help="A scheme file (.yaml/.json) or a scheme's id.")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    to: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table as .xlsx.")] = None,
) -> None:
    """Score a past period under another scheme beside its stored results; nothing is written."""
    store, found = engine(), registry()
    target, cycle = context(store, tenant, year, results=True, period=period)
    draft = _scheme(store, target, found, scheme)
    tried = whatif.whatif(store, cycle=cycle, period_key=period, scheme=draft, registry=found)
    rows = tried.table.to_dict("records")
    title = tr(f"{tried.period} 方案试算：{tried.draft}（原 {tried.stored}）；等次变化 {tried.grades_moved} 个，"
               f"档次变化 {tried.tiers_moved} 个",
               f"{tried.period} under {tried.draft} (was {tried.stored}): {tried.grades_moved} grade(s) and "
               f"{tried.tiers_moved} tier(s) move")
    if to is not None:
        to.write_bytes(xlsx_bytes(WHATIF_FIELDS, rows, title=title, sheet_name=tr("方案试算", "What-if")))
    emit(out, fmt, WHATIF_FIELDS, rows, title=title)

