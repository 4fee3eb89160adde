"""``bastion members``: the party members' register (党员名册) — read it, export it, add or edit a member, transfer
one (组织关系转接), record one leaving — as a user (``--as``), whose role decides what they see
(``core.members.privacy``). The register's import is ``bastion import members``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from bastion.core import db, members, users
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.members.files import register_csv, register_xlsx
from bastion.core.tenants import lookup_tenant
from bastion.core.words import GENDER, MEMBER_STATUS
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out

app = typer.Typer(help="The party members' register (党员名册): list, export, add, transfer, leave, history.",
                  no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="The user doing it: what they may see and change is their role's.")]
DayOpt = Annotated[str, typer.Option("--on", help="The day (YYYY-MM-DD).")]

FIELDS = (
    Field("code", "党员编号", "Number", "code"), Field("name", "姓名", "Name"),
    Field("org_code", "组织", "Organisation", "code"), Field("gender", "性别", "Gender", words=GENDER, optional=True),
    Field("birth_date", "出生", "Born", "code", optional=True), Field("joined_on", "入党日期", "Joined", "code"),
    Field("status", "类别", "Status", words=MEMBER_STATUS), Field("post", "岗位", "Post", optional=True),
    Field("phone", "联系电话", "Phone", "code", optional=True),
    Field("left_on", "离开名册", "Left on", "code", optional=True),
)
HISTORY_FIELDS = (
    Field("moved_on", "日期", "Date", "code"), Field("from_code", "转出", "From", "code"),
    Field("to_code", "转入", "To", "code"), Field("note", "说明", "Note", "prose"), Field("actor", "经办人", "By"),
)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadValue(tr(f"日期 {text!r} 应为 YYYY-MM-DD", f"date {text!r} should be YYYY-MM-DD")) from None


def _who(tenant: str | None, as_user: str):
    store = engine()
    return store, users.lookup_principal(store, lookup_tenant(store, tenant).id, as_user)


@app.command("list")
@handled
def members_list(
    as_user: AsOpt,
    org: Annotated[str | None, typer.Option("--org", "-o", help="Only this branch or group (and its groups).")] = None,
    left: Annotated[bool, typer.Option("--left", help="Also the members who left the register.")] = False,
    tenant: TenantOpt = None,
    format: FormatOpt = OutputFormat.table,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the register to a file instead: .csv (the import template's columns: it imports back) "
                      "or .xlsx; personal data as this user's export shows it.")] = None,
) -> None:
    """The members this user may see, with personal data as their role shows it."""
    store, who = _who(tenant, as_user)
    with store.connect() as conn:
        frame = members.read_members(conn, who, org_code=org, include_left=left, export=out_file is not None)
    if out_file is not None:
        suffix = out_file.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise BadValue(tr(f"--out：{out_file.name} 应为 .csv 或 .xlsx", f"--out: {out_file.name} should be .csv or .xlsx"))
        title = tr(f"党员名册（{date.today().isoformat()} 导出）", f"Members' register (exported {date.today()})")
        out_file.write_bytes(register_csv(frame) if suffix == ".csv" else register_xlsx(frame, title=title))
        out.print(tr(f"已写入 {out_file}（{len(frame)} 名党员）", f"wrote {out_file} ({len(frame)} members)"))
        return
    records = [{k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}
               for row in frame.to_dict("records")]
    for row in records:
        for key in ("joined_on", "left_on"):
            row[key] = None if row[key] is None else str(row[key])[:10]
    emit(out, format, FIELDS, records, title=tr(f"党员名册 · {len(records)} 人", f"members' register · {len(records)}"))


@app.command("history")
@handled
def members_history(
    code: Annotated[str, typer.Argument(help="The member's number (党员编号).")],
    as_user: AsOpt,
    tenant: TenantOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """A member's moves (组织关系转接): onto the register, between organisations, off it."""
    store, who = _who(tenant, as_user)
    with store.connect() as conn:
        frame = members.member_history(conn, who, code)
    records = [{"moved_on": str(r.moved_on)[:10], "from_code": r.from_code, "to_code": r.to_code, "note": r.note,
                "actor": r.actor} for r in frame.itertuples()]
    emit(out, format, HISTORY_FIELDS, records, title=code)


@app.command("add")
@handled
def members_add(
    code: Annotated[str, typer.Argument(help="The member's number (党员编号): a new one adds, a known one edits.")],
    as_user: AsOpt,
    org: Annotated[str, typer.Option("--org", "-o", help="The branch or party group.")],
    name: Annotated[str, typer.Option("--name", help="The member's name.")],
    status: Annotated[str, typer.Option("--status", help="full (正式党员) or probationary (预备党员).")] = "full",
    gender: Annotated[str | None, typer.Option("--gender", help="male (男) or female (女).")] = None,
    born: Annotated[str | None, typer.Option("--born", help="Birth date (YYYY-MM-DD).")] = None,
    joined: Annotated[str | None, typer.Option("--joined", help="The day they joined the party (YYYY-MM-DD).")] = None,
    post: Annotated[str, typer.Option("--post", help="Post or duty (岗位).")] = "",
    phone: Annotated[str | None, typer.Option("--phone", help="Mobile or landline.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="For a member moving: the transfer's day.")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Add a member to the register, or edit one (a different --org is a transfer and needs --on)."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        member = members.save_member(session, who, code=code, org_code=org, name=name, status=status, gender=gender,
                                     birth_date=_day(born), joined_on=_day(joined), post=post, phone=phone,
                                     moved_on=_day(on))
    out.print(tr(f"党员 {member.code} {member.name}：已登记", f"member {member.code} {member.name}: saved"))


@app.command("transfer")
@handled
def members_transfer(
    code: Annotated[str, typer.Argument(help="The member's number (党员编号).")],
    as_user: AsOpt,
    to: Annotated[str, typer.Option("--to", help="The branch or party group the relationship moves to.")],
    on: DayOpt,
    note: Annotated[str, typer.Option("--note", help="The reason or the letter's number (介绍信).")] = "",
    tenant: TenantOpt = None,
) -> None:
    """Move a member's organisational relationship (组织关系转接), dated; both head counts follow."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        members.transfer_member(session, who, code=code, to_org_code=to, moved_on=_day(on), note=note)
    out.print(tr(f"党员 {code}：组织关系已于 {on} 转至 {to}", f"member {code}: moved to {to} on {on}"))


@app.command("leave")
@handled
def members_leave(
    code: Annotated[str, typer.Argument(help="The member's number (党员编号).")],
    as_user: AsOpt,
    on: DayOpt,
    note: Annotated[str, typer.Option("--note", help="Why: transferred out, expelled, deceased …")],
    tenant: TenantOpt = None,
) -> None:
    """A member leaves the register (转出本单位, 出党, 去世): the record stays, with its history."""
    store, who = _who(tenant, as_user)
    with db.transaction(store) as session:
        members.leave_register(session, who, code=code, left_on=_day(on), note=note)
    out.print(tr(f"党员 {code}：已于 {on} 离开名册", f"member {code}: left the register on {on}"))
