"""``bastion notify``: plan what today brings and deliver what is due (``--dry-run``: say what would go); ``bastion
inbox``: a user's in-app notifications, read and marked read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlmodel import Session, select

from bastion.core import db, users
from bastion.core.errors import BadValue
from bastion.core.i18n import tr
from bastion.core.models import Tenant, as_utc, utcnow
from bastion.core.notify import outbox, service
from bastion.core.settings import current_actor
from bastion.core.tenants import lookup_tenant
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out, registry

app = typer.Typer()  # the top-level ``notify``, merged into ``bastion``
inbox_app = typer.Typer(help="A user's in-app notifications (站内通知): list, mark read.", no_args_is_help=True)

DISPATCH_FIELDS = (
    Field("tenant", "单位", "Tenant", "code"), Field("channel", "渠道", "Channel", "code"),
    Field("recipient", "收件人", "Recipient", "code"), Field("messages", "条数", "Messages", "number"),
    Field("title", "标题", "Title", "prose"),
)
INBOX_FIELDS = (
    Field("id", "编号", "Id", "number"), Field("sent_at", "时间", "When", "code", show=lambda t: f"{t:%Y-%m-%d %H:%M}"),
    Field("title", "标题", "Title"), Field("body", "内容", "Message", "prose"),
    Field("read_at", "已读", "Read", show=lambda t: tr("已读", "read") if t is not None else ""),
)


def _moment(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise BadValue(tr(f"--now {value}：应为 ISO 时间，如 2026-12-07T09:00+08:00",
                          f"--now {value}: expected an ISO moment, e.g. 2026-12-07T09:00+08:00")) from None


@app.command()
@handled
def notify(
    tenant: TenantOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; write and send nothing.")] = False,
    now: Annotated[str | None, typer.Option("--now", help="The moment to act at (ISO; default: now).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Put what today brings in the outbox (deadlines, terms, ballots, meetings) and deliver what is due, once,
    on every channel; every tenant unless --tenant."""
    store, found = engine(), registry()
    moment = _moment(now)
    with Session(store) as session:
        tenants = ([lookup_tenant(store, tenant)] if tenant else
                   list(session.exec(select(Tenant).order_by(Tenant.code)).all()))
    done = [service.run(store, found, t, actor=current_actor(), now=moment, dry_run=dry_run) for t in tenants]
    if fmt is not OutputFormat.table:
        emit(out, fmt, DISPATCH_FIELDS, [d | {"tenant": r["tenant"]} for r in done for d in r["dispatches"]]) \
            if fmt is OutputFormat.csv else out.print_json(data=done)
        return
    for r in done:
        if r["held"]:
            out.print(tr(f"{r['tenant']}：另一次发送正在进行，本次未发送", f"{r['tenant']}: another delivery is running; "
                         "nothing sent by this one"))
            continue
        verb = tr("将发送", "would send") if dry_run else tr("已发送", "sent")
        out.print(tr(f"{r['tenant']}：新增通知 {r['planned']} 条；{verb} {len(r['dispatches'])} 次",
                     f"{r['tenant']}: {r['planned']} new notification(s); {verb} {len(r['dispatches'])} dispatch(es)")
                  + ("" if dry_run else tr(f"（成功 {r['sent']}，失败待重试 {r['failed']}，放弃 {r['dead']}，"
                                           f"结果未知 {r['unknown']}）",
                                           f" ({r['sent']} sent, {r['failed']} to retry, {r['dead']} given up, "
                                           f"{r['unknown']} unknown)"))
                  + (tr(f"；暂缓 {r['waiting']} 条（免打扰或今日已汇总发送）",
                        f"; {r['waiting']} held (quiet hours, or today's digest sent)") if r["waiting"] else ""))
        if r["dispatches"]:
            emit(out, OutputFormat.table, DISPATCH_FIELDS, [d | {"tenant": r["tenant"]} for d in r["dispatches"]])


AsOpt = Annotated[str, typer.Option("--as", help="The user whose inbox it is.")]


@inbox_app.command("list")
@handled
def inbox_list(as_user: AsOpt, tenant: TenantOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The user's notifications, the latest first, and how many are unread."""
    store = engine()
    who = users.lookup_principal(store, lookup_tenant(store, tenant).id, as_user)
    with store.connect() as conn:
        frame = outbox.inbox(conn, who)
        unread = outbox.unread(conn, who)
    emit(out, fmt, INBOX_FIELDS, frame.to_dict("records"),
         title=tr(f"{as_user} 的通知（未读 {unread} 条）", f"{as_user}'s notifications ({unread} unread)"))


@inbox_app.command("read")
@handled
def inbox_read(
    as_user: AsOpt,
    ids: Annotated[list[int] | None, typer.Argument(help="The notifications read (default: all).")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Mark the user's notifications read (those numbered, or all)."""
    store = engine()
    who = users.lookup_principal(store, lookup_tenant(store, tenant).id, as_user)
    with db.transaction(store) as session:
        changed = outbox.mark_read(session.connection(), who, ids or None)
    out.print(tr(f"已标记 {changed} 条为已读", f"{changed} marked read"))
