"""``bastion rectification``: rectification notices (整改通知书) — list, a branch's answer, re-verification (复验)."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import db, tenants, words
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.rectification import queries as rectification_queries
from bastion.core.rectification import service as rectification_service
from bastion.core.settings import current_actor
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, day, engine, handled, out

app = typer.Typer(help="Rectification notices (整改通知书): list, answer, re-verify (复验).", no_args_is_help=True)

NOTICE_FIELDS = (
    Field("notice_no", "编号", "Notice", "code"),
    Field("code", "组织", "Org", "code"),
    Field("name", "组织名称", "Organisation", optional=True),
    Field("problem", "问题", "Problem", "prose"),
    Field("deadline", "整改期限", "Deadline", "code", show=lambda d: f"{d:%Y-%m-%d}"),
    Field("status", "状态", "Status", words=words.NOTICE_STATUS),
    Field("requirement", "", "", hidden=True),
    Field("issued_at", "", "", hidden=True),
    Field("response", "", "", hidden=True),
    Field("verifier", "", "", hidden=True),
    Field("verification_note", "", "", hidden=True),
)


@app.command("list")
@handled
def rectification_list(
    status: Annotated[str | None, typer.Option(help="issued, responded, verified, reopened or overdue.")] = None,
    org: Annotated[str | None, typer.Option("--org", "-o", help="One organisation's notices.")] = None,
    tenant: TenantOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The tenant's notices by deadline: number, organisation, problem, deadline, status."""
    if status is not None and status not in words.NOTICE_STATUS:
        raise BadValue(tr(f"--status {status}：无法识别，应为 {'、'.join(words.NOTICE_STATUS)}",
                          f"--status {status}: not a notice status; expected {', '.join(words.NOTICE_STATUS)}"))
    store = engine()
    t = tenants.lookup_tenant(store, tenant)
    with store.connect() as conn:
        frame = rectification_queries.read_notices(conn, t.id, status=status, org_code=org)
    emit(out, format, NOTICE_FIELDS, frame.to_dict("records"),
         title=f"{t.name} · {tr('整改通知书', 'rectification notices')} ({len(frame)})")


def _notice_status(code: str) -> str:
    """A notice's status in words, with its code (which `rectification list --status` takes)."""
    said = words.word(words.NOTICE_STATUS, code)
    return said if said == code else f"{said} ({code})"


@app.command("respond")
@handled
def rectification_respond(
    notice: Annotated[str, typer.Argument(help="The notice number, e.g. ZG2026-00012.")],
    response: Annotated[str, typer.Option("--response", help="What was rectified, and how (整改情况).")],
    tenant: TenantOpt = None,
) -> None:
    """A branch answers a notice."""
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        done = rectification_service.respond(session, tenant_id=t.id, notice_no=notice, response=response,
                                             actor=current_actor())
    out.print(tr(f"整改通知书 {done.notice_no} 已反馈：{_notice_status(done.status)}",
                 f"notice {done.notice_no} answered: {_notice_status(done.status)}"))


@app.command("verify")
@handled
def rectification_verify(
    notice: Annotated[str, typer.Argument(help="The notice number.")],
    passed: Annotated[bool, typer.Option("--passed/--failed", help="The re-verification's result.")],
    note: Annotated[str, typer.Option("--note", help="What the re-verification found.")] = "",
    deadline: Annotated[str | None, typer.Option(help="New deadline (YYYY-MM-DD) when it failed.")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Re-verify (复验) an answered notice: --passed closes it, --failed reopens it with a new deadline."""
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        done = rectification_service.verify(session, tenant_id=t.id, notice_no=notice, passed=passed, note=note,
                                            verifier=current_actor(), new_deadline=day(deadline))
    due = "" if passed else tr(f"，期限 {done.deadline:%Y-%m-%d}", f", due {done.deadline:%Y-%m-%d}")
    out.print(tr(f"整改通知书 {done.notice_no}：", f"notice {done.notice_no}: ") + _notice_status(done.status) + due)
