"""``bastion user``: users of the UI and their roles (the first administrator is made here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlmodel import Session

from bastion.core import db, tenants, users, words
from bastion.core.i18n import tr
from bastion.core.models import User
from bastion.core.settings import current_actor
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out

app = typer.Typer(help="Users of the UI and their roles (管理员/领导/督查人员/支部书记/审计管理员).",
                  no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option("--role", "-r", help="admin, leader, inspector, secretary or auditor.")]
OrgOpt = Annotated[str | None, typer.Option(
    "--org", "-o", help="Organisation code the role covers with everything under it (default: the whole tenant).")]
PasswordOpt = Annotated[str, typer.Option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, envvar="BASTION_NEW_PASSWORD",
    help="Asked for when not given (or set BASTION_NEW_PASSWORD); at least 8 characters, of three of: "
         "upper-case, lower-case, digits, symbols.")]


@app.command("add")
@handled
def user_add(
    username: Annotated[str, typer.Argument(help="Login name, unique across tenants.")],
    role: RoleOpt,
    password: PasswordOpt,
    org: OrgOpt = None,
    name: Annotated[str, typer.Option("--name", "-n", help="Name shown in the UI.")] = "",
    tenant: TenantOpt = None,
) -> None:
    """Create a user with a role (the first administrator: `bastion user add admin --role admin`)."""
    with db.transaction(engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        users.create_user(session, tenant=t, username=username, password=password, display_name=name,
                          grants=[(role, org)], actor=current_actor())
    out.print(tr(f"用户 {username} 已在 {t.code} 创建：{_grant(role, org)}",
                 f"user {username} created in {t.code}: {_grant(role, org)}"))


def _grant(role: str, org: str | None) -> str:
    """A role and where it holds, in words: 支部书记（ZB00001 及其下级） / secretary on ZB00001."""
    name = words.word(words.ROLE, role)
    return tr(f"{name}（{org} 及其下级）" if org else f"{name}（全单位）",
              f"{name} on {org}" if org else f"{name} on the whole tenant")


@contextmanager
def _user(username: str, tenant_code: str | None) -> Iterator[tuple[Session, User]]:
    """The tenant's user ``username`` and the transaction that changes them."""
    with db.transaction(engine()) as session:
        yield session, users.find_user(session, tenants.resolve_tenant(session, tenant_code).id, username)


@app.command("grant")
@handled
def user_grant(username: Annotated[str, typer.Argument()], role: RoleOpt, org: OrgOpt = None,
               tenant: TenantOpt = None) -> None:
    """Grant a user another role (on an organisation's subtree)."""
    with _user(username, tenant) as (session, user):
        users.grant(session, user=user, role=role, org_code=org, actor=current_actor())
    out.print(tr(f"{username}：已授予 {_grant(role, org)}", f"{username}: {_grant(role, org)} granted"))


@app.command("revoke")
@handled
def user_revoke(username: Annotated[str, typer.Argument()], role: RoleOpt, org: OrgOpt = None,
                tenant: TenantOpt = None) -> None:
    """Take a role back."""
    with _user(username, tenant) as (session, user):
        users.revoke(session, user=user, role=role, org_code=org, actor=current_actor())
    out.print(tr(f"{username}：已撤销 {_grant(role, org)}", f"{username}: {_grant(role, org)} revoked"))


@app.command("passwd")
@handled
def user_passwd(username: Annotated[str, typer.Argument()], password: PasswordOpt, tenant: TenantOpt = None) -> None:
    """Set a user's password."""
    with _user(username, tenant) as (session, user):
        users.set_password(session, user=user, password=password, actor=current_actor())
    out.print(tr(f"{username} 的密码已设置", f"password of {username} set"))


@app.command("unlock")
@handled
def user_unlock(username: Annotated[str, typer.Argument()], tenant: TenantOpt = None) -> None:
    """End a user's lockout after too many failed logins."""
    with _user(username, tenant) as (session, user):
        was = users.unlock(session, user=user, actor=current_actor())
    out.print(tr(f"{username} 已解除锁定", f"{username} unlocked") if was
              else tr(f"{username} 未被锁定", f"{username} was not locked"))


@app.command("set")
@handled
def user_set(
    username: Annotated[str, typer.Argument()],
    email: Annotated[str | None, typer.Option("--email", help="The address the e-mail channel writes to (\"\" clears it).")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="The language of what is sent to them: zh or en.")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Set a user's e-mail address and language (for notifications); audited, the address masked."""
    from bastion.core.notify import settings as notify_settings

    with _user(username, tenant) as (session, user):
        notify_settings.set_contact(session, user.tenant_id, username, actor=current_actor(), email=email,
                                    locale=locale)
    out.print(tr(f"{username} 的联系方式已设置", f"{username}'s contact set"))


USER_FIELDS = (
    Field("username", "用户名", "Username", "code"),
    Field("display_name", "姓名", "Name"),
    Field("active", "启用", "Active", show=lambda v: tr("是", "yes") if v else tr("否", "no"), optional=True),
    Field("role", "角色", "Role", words=words.ROLE),
    Field("org_code", "组织编码", "Org", "code"),
    Field("org_name", "组织", "Organisation", optional=True),
    Field("last_login_at", "最近登录", "Last login", "code", show=lambda v: str(v)[:16], optional=True),
    Field("locked_until", "锁定至", "Locked until", "code", show=lambda v: str(v)[:16], optional=True),
)


@app.command("list")
@handled
def user_list(tenant: TenantOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """List the tenant's users and their roles."""
    store = engine()
    t = tenants.lookup_tenant(store, tenant)
    with store.connect() as conn:
        frame = users.read_user_grants(conn, t.id)
    rows = [{"username": r.username, "display_name": r.display_name, "active": bool(r.active), "role": r.role,
             "org_code": r.org_code, "org_name": r.org_name, "last_login_at": r.last_login_at,
             "locked_until": r.locked_until}
            for r in frame.itertuples()]
    emit(out, format, USER_FIELDS, rows)
