"""``bastion duties`` and ``bastion lists``: members' duties (党员岗位职责: 以岗定责、设岗定责、认岗定责) and the units'
responsibility lists (责任清单), kept and recorded as a user (``--as``) — the branch's secretary, or an
administrator over it (who alone keeps the lists' items)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy import select

from bastion.core import db, users
from bastion.core.duties import queries, service
from bastion.core.errors import NotFound
from bastion.core.i18n import tr
from bastion.core.models import Organization, code_is
from bastion.core.tenants import lookup_tenant
from bastion.core.words import DUTY_KIND
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, day, engine, handled, out

app = typer.Typer(help="Members' duties (党员岗位职责): set, record fulfilled, end, list.", no_args_is_help=True)
lists_app = typer.Typer(help="Responsibility lists (责任清单) of the units' secretaries: items, ticks with evidence.",
                        no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="The user doing it: the branch's secretary or an administrator.")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="The year (default: this year).")]
OrgOpt = Annotated[str, typer.Option("--org", "-o", help="The organisation's code.")]

DUTY_FIELDS = (
    Field("id", "编号", "Id", "number"), Field("member_code", "党员编号", "Number", "code"),
    Field("member_name", "姓名", "Name"), Field("kind", "定责方式", "Kind", words=DUTY_KIND),
    Field("text", "职责", "Duty", "prose"), Field("fulfilled", "履职次数", "Fulfilled", "number"),
    Field("last", "最近履职", "Last", "code", show=lambda v: str(v)[:10]),
    Field("active", "在用", "Active", show=lambda v: "是" if v else "否", optional=True),
)
ITEM_FIELDS = (
    Field("id", "编号", "Id", "number"), Field("position", "序号", "No.", "number"), Field("text", "事项", "Item", "prose"),
    Field("ticks", "落实次数", "Done", "number"),
    Field("last", "最近落实", "Last", "code", show=lambda v: str(v)[:10]),
    Field("evidence", "佐证", "Evidence", "prose", optional=True),
)


def _who(tenant: str | None, as_user: str):
    store = engine()
    return store, users.lookup_principal(store, lookup_tenant(store, tenant).id, as_user)


def _org_id(store, tenant_id: int, code: str) -> int:
    with store.connect() as conn:
        found = conn.execute(select(Organization.id).where(Organization.tenant_id == tenant_id,
                                                           code_is(Organization.code, code))).scalar()
    if found is None:
        raise NotFound(tr(f"组织：本单位没有组织 {code!r}", f"organisation: no organisation {code!r} in this tenant"))
    return found


@app.command("list")
@handled
def duties_list(as_user: AsOpt, org: OrgOpt, year: YearOpt = date.today().year, tenant: TenantOpt = None,
                fmt: FormatOpt = OutputFormat.table) -> None:
    """A branch's duties of a year, each with how often it was fulfilled."""
    store, who = _who(tenant, as_user)
    with store.connect() as conn:
        frame = queries.duties_of(conn, who, _org_id(store, who.tenant_id, org), year)
    emit(out, fmt, DUTY_FIELDS, frame.to_dict("records"), title=tr(f"{org} {year} 年党员岗位职责", f"{org} duties, {year}"))


@app.command("set")
@handled
def duties_set(
    as_user: AsOpt,
    member: Annotated[str, typer.Option("--member", "-m", help="The member's number (党员编号).")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="post (以岗定责), set (设岗定责) or claimed (认岗定责).")],
    text: Annotated[str, typer.Option("--text", help="The duty, up to 300 characters.")],
    year: YearOpt = date.today().year, tenant: TenantOpt = None,
) -> None:
    """Give a member a duty for the year."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        duty = service.set_duty(session, who, member_code=member, year=year, kind=kind, text=text)
    out.print(tr(f"已为党员 {member} 定责（编号 {duty.id}）", f"duty {duty.id} set for {member}"))


@app.command("record")
@handled
def duties_record(
    as_user: AsOpt,
    duty: Annotated[int, typer.Option("--duty", help="The duty's id (bastion duties list).")],
    on: Annotated[str, typer.Option("--on", help="The day it was fulfilled (YYYY-MM-DD).")],
    note: Annotated[str, typer.Option("--note", help="What was done.")] = "",
    tenant: TenantOpt = None,
) -> None:
    """Record a duty fulfilled on a day."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        service.record_fulfilment(session, who, duty_id=duty, day=day(on), note=note)
    out.print(tr(f"已记录职责 {duty} 于 {on} 履职", f"duty {duty} fulfilled on {on}"))


@app.command("end")
@handled
def duties_end(as_user: AsOpt, duty: Annotated[int, typer.Option("--duty", help="The duty's id.")],
               tenant: TenantOpt = None) -> None:
    """End a duty (it and its records are kept)."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        service.end_duty(session, who, duty_id=duty)
    out.print(tr(f"职责 {duty} 已结束", f"duty {duty} ended"))


@lists_app.command("show")
@handled
def lists_show(as_user: AsOpt, org: OrgOpt, year: YearOpt = date.today().year, tenant: TenantOpt = None,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """A unit's responsibility list of a year, each item with how often it was done and the last evidence."""
    store, who = _who(tenant, as_user)
    with store.connect() as conn:
        frame = queries.items_of(conn, who, _org_id(store, who.tenant_id, org), year)
    emit(out, fmt, ITEM_FIELDS, frame[frame["active"]].to_dict("records"),
         title=tr(f"{org} {year} 年书记责任清单", f"{org} responsibility list, {year}"))


@lists_app.command("add")
@handled
def lists_add(as_user: AsOpt, org: OrgOpt, text: Annotated[str, typer.Option("--text", help="The item.")],
              year: YearOpt = date.today().year, tenant: TenantOpt = None) -> None:
    """Add an item to a unit's list (an administrator over the unit)."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        item = service.add_item(session, who, org_code=org, year=year, text=text)
    out.print(tr(f"已加入 {org} 的责任清单（编号 {item.id}）", f"item {item.id} added to {org}'s list"))


@lists_app.command("tick")
@handled
def lists_tick(
    as_user: AsOpt,
    item: Annotated[int, typer.Option("--item", help="The item's id (bastion lists show).")],
    on: Annotated[str, typer.Option("--on", help="The day it was done (YYYY-MM-DD).")],
    evidence: Annotated[str, typer.Option("--evidence", help="What was done, where it is recorded.")],
    tenant: TenantOpt = None,
) -> None:
    """Tick an item done on a day, with its evidence."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        service.tick(session, who, item_id=item, day=day(on), evidence=evidence)
    out.print(tr(f"清单事项 {item} 已于 {on} 落实", f"item {item} done on {on}"))


@lists_app.command("remove")
@handled
def lists_remove(as_user: AsOpt, item: Annotated[int, typer.Option("--item", help="The item's id.")],
                 tenant: TenantOpt = None) -> None:
    """Take an item off the list (kept, with its ticks)."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        service.remove_item(session, who, item_id=item)
    out.print(tr(f"清单事项 {item} 已移出", f"item {item} taken off the list"))
