"""``bastion org``: restructuring the organisation tree (机构调整) — merge, split, move, rename, dissolve — and its
history. Each change is dated (``--date``, today by default), made as an administrator (``--as``), audited, and
says what it does to the periods; ``--dry-run`` says it and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from bastion.core import db, restructuring, tenants, users, words
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.lifecycle import AlreadyDone
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out

app = typer.Typer(help="Restructure the organisation tree (机构调整): merge, split, move, rename, dissolve, history.",
                  no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(help="The organisation's code.")]
AsOpt = Annotated[str, typer.Option("--as", help="The administrator making the change (a user).")]
DateOpt = Annotated[str | None, typer.Option(
    "--date", "-d", help="The day it takes effect, YYYY-MM-DD, not after today (default: today).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (e.g. the committee's document number): kept with it.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what it would do and change nothing.")]


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise BadValue(tr(f"--date {value}：不是日期，应为 YYYY-MM-DD（如 2026-07-01）",
                          f"--date {value}: not a day; expected YYYY-MM-DD (e.g. 2026-07-01)")) from None


def _change(tenant_code: str | None, as_user: str, dry_run: bool,
            act: Callable[..., restructuring.Outcome], **kwargs: Any) -> None:
    """Make the change (``act``) in one transaction as ``as_user``, and say what it did — or, ``dry_run``, would do."""
    store = engine()
    tenant = tenants.lookup_tenant(store, tenant_code)
    who = users.lookup_principal(store, tenant.id, as_user)
    try:
        with db.transaction(store) as session:
            outcome = act(session, who, preview=dry_run, **kwargs)
    except AlreadyDone as done:  # the same request twice acts once
        out.print(str(done), soft_wrap=True)
        return
    if dry_run:
        out.print(tr("预览（未作任何改动）：", "preview (nothing changed):"))
    out.print(str(outcome), soft_wrap=True)


@app.command("merge")
@handled
def org_merge(
    from_codes: Annotated[list[str], typer.Option("--from", help="An organisation merged (repeat: two or more).")],
    into: Annotated[str, typer.Option("--into", help="The code they merge into: a new code, one of them, or another "
                                                     "organisation of their level.")],
    as_user: AsOpt,
    name: Annotated[str | None, typer.Option("--name", help="The new organisation's name (a new code needs one).")] = None,
    parent: Annotated[str | None, typer.Option(
        "--parent", help="The new organisation's parent (default: the one they share).")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Its category (default: theirs).")] = None,
    members: Annotated[int | None, typer.Option("--members", help="Its party members (default: their sum).")] = None,
    day: DateOpt = None, note: NoteOpt = "", dry_run: DryRunOpt = False, tenant: TenantOpt = None,
) -> None:
    """Merge organisations into one (合并): A + B → C. They become inactive, C carries their history, their children
    and their facts of the periods not yet closed."""
    _change(tenant, as_user, dry_run, restructuring.merge, codes=from_codes, into=into, name=name, parent_code=parent,
            category=category, member_count=members, effective_on=_day(day), note=note)


@app.command("split")
@handled
def org_split(
    code: CodeArg,
    into: Annotated[list[str], typer.Option(
        "--into", help="A new organisation, CODE:NAME or CODE:NAME:MEMBERS (repeat: two or more).")],
    as_user: AsOpt,
    heir: Annotated[str | None, typer.Option(
        "--heir", help="The new organisation that carries the history, children and open periods' facts "
                       "(default: the first).")] = None,
    parent: Annotated[str | None, typer.Option(
        "--parent", help="The new organisations' parent (default: the original's).")] = None,
    day: DateOpt = None, note: NoteOpt = "", dry_run: DryRunOpt = False, tenant: TenantOpt = None,
) -> None:
    """Split an organisation (分设): A → A1 + A2, new codes. A becomes inactive; the heir carries its history."""
    successors = [restructuring.parse_successor(text) for text in into]
    if parent is not None:
        successors = [restructuring.Successor(s.code, s.name, s.member_count, None, parent) for s in successors]
    _change(tenant, as_user, dry_run, restructuring.split, code=code, into=successors, heir=heir,
            effective_on=_day(day), note=note)


@app.command("move")
@handled
def org_move(
    code: CodeArg,
    parent: Annotated[str, typer.Option("--parent", help="The new parent organisation.")],
    as_user: AsOpt, day: DateOpt = None, note: NoteOpt = "", dry_run: DryRunOpt = False, tenant: TenantOpt = None,
) -> None:
    """Move an organisation, with everything under it, under another parent (调整隶属关系)."""
    _change(tenant, as_user, dry_run, restructuring.move, code=code, parent_code=parent, effective_on=_day(day),
            note=note)


@app.command("rename")
@handled
def org_rename(
    code: CodeArg,
    name: Annotated[str, typer.Option("--name", help="The new name.")],
    as_user: AsOpt, day: DateOpt = None, note: NoteOpt = "", dry_run: DryRunOpt = False, tenant: TenantOpt = None,
) -> None:
    """Rename an organisation (更名); published periods keep the name they were published with."""
    _change(tenant, as_user, dry_run, restructuring.rename, code=code, name=name, effective_on=_day(day), note=note)


@app.command("dissolve")
@handled
def org_dissolve(
    code: CodeArg, as_user: AsOpt, day: DateOpt = None, note: NoteOpt = "", dry_run: DryRunOpt = False,
    tenant: TenantOpt = None,
) -> None:
    """Dissolve an organisation without active children (撤销): it becomes inactive, its records are kept."""
    _change(tenant, as_user, dry_run, restructuring.dissolve, code=code, effective_on=_day(day), note=note)


HISTORY_FIELDS = (
    Field("effective_on", "生效日期", "Effective", "code"),
    Field("kind", "调整类型", "Kind", words=words.RESTRUCTURING),
    Field("org_code", "组织", "Org", "code"),
    Field("org_name", "名称", "Name"),
    Field("change", "调整内容", "Change", "prose"),
    Field("predecessors", "", "", hidden=True),
    Field("successors", "", "", hidden=True),
    Field("actor", "经办人", "By", optional=True),
    Field("note", "说明", "Note", "prose", optional=True),
    Field("recorded_at", "登记时间", "Recorded", "code", optional=True, show=lambda t: f"{t:%Y-%m-%d %H:%M}"),
    Field("id", "", "", hidden=True),
)


@app.command("history")
@handled
def org_history(
    org: Annotated[str | None, typer.Option(
        "--org", "-o", help="Only the changes of this organisation's lineage (its predecessors and successors).")] = None,
    tenant: TenantOpt = None, format: FormatOpt = OutputFormat.table,
) -> None:
    """The restructurings (机构调整记录), the latest first: kind, date, organisations before and after."""
    store = engine()
    t = tenants.lookup_tenant(store, tenant)
    with store.connect() as conn:
        frame = (restructuring.read_restructurings(conn, t.id) if org is None
                 else restructuring.history_of(conn, t.id, org))
    rows = frame.assign(effective_on=frame["effective_on"].map(str),
                        recorded_at=frame["recorded_at"].map(lambda t: t.to_pydatetime())).drop(columns="detail")
    emit(out, format, HISTORY_FIELDS, rows.to_dict("records"),
         title=f"{t.name} · {tr('机构调整记录', 'restructurings')} ({len(frame)})")
