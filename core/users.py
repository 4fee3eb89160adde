"""Users of the UI, their roles and logging in (用户与角色).

The first administrator is created from the CLI (``bastion user add NAME --role admin``); after
that, administrators manage users in the UI. Passwords are kept only as Argon2 hashes. Every
change is audited; a login records when it happened.

To the level 等保 2.0 (MLPS level 3) asks: a password has at least 8 characters of three of the
four kinds (upper-case, lower-case, digits, others); every login attempt is audited, and too many
failed ones lock the account for a while (:func:`authenticate`, ``settings.login_policy``); an
administrator can unlock it (:func:`unlock`).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlmodel import Session
from sqlmodel import select as select_model

from . import audit
from .access import (
    Action,
    Forbidden,
    Principal,
    current_principal,
    hash_password,
    password_matches,
    password_needs_rehash,
    require,
    visible,
)
from .errors import BastionError, Conflict, NotFound, refuse
from .frames import read_frame
from .i18n import tr
from .members.privacy import mask_email
from .models import Grant, LoginFailure, Organization, Role, Tenant, User, as_utc, code_is, utcnow
from .settings import login_policy
from .values import text_problems
from .words import ROLE, word

MIN_PASSWORD = 8
MIN_KINDS = 3
# The kinds of character a password mixes: (zh, en, test). Anything not an ASCII letter or digit is a symbol.
KINDS = (("大写字母", "upper-case letters", lambda c: "A" <= c <= "Z"),
         ("小写字母", "lower-case letters", lambda c: "a" <= c <= "z"),
         ("数字", "digits", lambda c: "0" <= c <= "9"),
         ("符号", "symbols", lambda c: not ("A" <= c <= "Z" or "a" <= c <= "z" or "0" <= c <= "9")))


class LockedOut(Forbidden):
    """Too many failed logins: the account is locked until a moment (or an administrator's unlock)."""


def _check_password(password: str) -> None:
    """At least :data:`MIN_PASSWORD` characters, of at least :data:`MIN_KINDS` of the four :data:`KINDS`."""
    kinds = sum(any(test(c) for c in password) for _, _, test in KINDS)
    if len(password) < MIN_PASSWORD or kinds < MIN_KINDS:
        raise BastionError(tr(
            f"密码：至少 {MIN_PASSWORD} 个字符，且包含{'、'.join(k[0] for k in KINDS)}中的至少 {MIN_KINDS} 种",
            f"password: at least {MIN_PASSWORD} characters, of at least {MIN_KINDS} of the kinds "
            f"{', '.join(k[1] for k in KINDS)}"))


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise BastionError(tr(f"没有角色 {role!r}（可用角色：{'、'.join(f'{r.value}（{word(ROLE, r.value)}）' for r in Role)}）",
                              f"no role {role!r} (roles: {', '.join(r.value for r in Role)})")) from None


def _org_id(session: Session, tenant_id: int, org_code: str | None) -> int:
    """The organisation ``org_code``; without a code, the tenant's top organisation."""
    o = Organization
    if org_code is None:
        tops = session.exec(select_model(o.id).where(o.tenant_id == tenant_id, o.parent_id.is_(None))).all()
        if len(tops) != 1:
            raise BastionError(tr(f"请指定授予该角色的组织（--org CODE）：本单位有 {len(tops)} 个最高层组织",
                                  "name the organisation the role is granted on (--org CODE): the tenant has "
                                  f"{len(tops)} top organisations"))
        return tops[0]
    found = session.exec(select_model(o.id).where(o.tenant_id == tenant_id, code_is(o.code, org_code))).first()
    if found is None:
        raise NotFound(tr(f"本单位没有组织 {org_code!r}", f"no organisation {org_code!r} in this tenant"))
    return found


def create_user(session: Session, *, tenant: Tenant, username: str, password: str, display_name: str = "",
                grants: Iterable[tuple[str, str | None]] = (), actor: str) -> User:
    """A new user of ``tenant`` with ``grants`` as ``(role, org_code)`` (None: the top organisation)."""
    username = username.strip()
    if not username:
        raise BastionError(tr("用户须有用户名", "a user needs a username"))
    refuse(text_problems(("username", ("用户名", "username"), username), ("display_name", ("姓名", "name"), display_name)))
    _check_password(password)
    if session.exec(select_model(User).where(User.username == username)).first():
        raise Conflict(tr(f"用户 {username!r} 已存在", f"user {username!r} already exists"))
    user = User(tenant_id=tenant.id, username=username, display_name=display_name or username,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, tenant_id=tenant.id, actor=actor, action="create", entity="user", entity_id=user.id,
                 new={"username": username, "display_name": user.display_name})
    for role, org_code in grants:
        grant(session, user=user, role=role, org_code=org_code, actor=actor)
    return user


def find_user(session: Session, tenant_id: int, username: str) -> User:
    user = session.exec(select_model(User).where(User.tenant_id == tenant_id, User.username == username)).first()
    if user is None:
        raise NotFound(tr(f"本单位没有用户 {username!r}", f"no user {username!r} in this tenant"))
    return user


def grant(session: Session, *, user: User, role: str, org_code: str | None, actor: str) -> Grant:
    """Grant ``role`` on ``org_code``'s subtree (None: the whole tenant); granting it twice is refused."""
    role = _role(role)
    org_id = _org_id(session, user.tenant_id, org_code)
    exists = session.exec(select_model(Grant).where(Grant.user_id == user.id, Grant.role == role.value,
                                                    Grant.org_id == org_id)).first()
    if exists:
        raise Conflict(tr(f"{user.username} 已在{org_code or '全单位'}拥有{word(ROLE, role.value)}角色",
                          f"{user.username} already has {role.value} on {org_code or 'the whole tenant'}"))
    row = Grant(user_id=user.id, role=role.value, org_id=org_id)
    session.add(row)
    session.flush()
    audit.record(session, tenant_id=user.tenant_id, actor=actor, action="grant", entity="user", entity_id=user.id,
                 new={"role": role.value, "org_id": org_id})
    return row


def revoke(session: Session, *, user: User, role: str, org_code: str | None, actor: str) -> None:
    role = _role(role)
    org_id = _org_id(session, user.tenant_id, org_code)
    gone = session.connection().execute(delete(Grant).where(Grant.user_id == user.id, Grant.role == role.value,
                                                            Grant.org_id == org_id)).rowcount
    if not gone:
        raise NotFound(tr(f"{user.username} 在{org_code or '全单位'}没有{word(ROLE, role.value)}角色",
                          f"{user.username} has no {role.value} on {org_code or 'the whole tenant'}"))
    audit.record(session, tenant_id=user.tenant_id, actor=actor, action="revoke", entity="user", entity_id=user.id,
                 old={"role": role.value, "org_id": org_id})


def set_password(session: Session, *, user: User, password: str, actor: str) -> None:
    _check_password(password)
    user.password_hash = hash_password(password)
    session.add(user)
    audit.record(session, tenant_id=user.tenant_id, actor=actor, action="set_password", entity="user",
                 entity_id=user.id)


def set_active(session: Session, *, user: User, active: bool, actor: str) -> None:
    old = user.active
    user.active = active
    session.add(user)
    ended = 0
    if not active:
        from .sessions import end_user_sessions  # sessions builds on this module

        ended = end_user_sessions(session, user_id=user.id, reason="deactivated")
    audit.record(session, tenant_id=user.tenant_id, actor=actor, action="activate" if active else "deactivate",
                 entity="user", entity_id=user.id, old={"active": old},
                 new={"active": active, **({"sessions_ended": ended} if ended else {})})


def principal_of(session: Session, user: User) -> Principal:
    rows = session.exec(select_model(Grant.role, Grant.org_id).where(Grant.user_id == user.id)
                        .order_by(Grant.role, Grant.org_id)).all()
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name or user.username,
                     tenant_id=user.tenant_id, grants=tuple((role, org) for role, org in rows))


def lookup_principal(engine: Engine, tenant_id: int, username: str) -> Principal:
    """The principal of the tenant's user ``username`` (who acts, in ``bastion correct --as``), read in a
    session of its own; a deactivated user is refused."""
    with Session(engine) as session:
        return current_principal(session.connection(), principal_of(session, find_user(session, tenant_id, username)))


def authenticate(session: Session, username: str, password: str, *, now: datetime | None = None) -> Principal:
    """The principal of ``username`` if ``password`` is theirs, the user is active and not locked out.

    Every attempt is audited: ``login``, or ``login_failed`` — and ``lockout`` when the failure is the
    ``max_failures``-th within the policy's window (``settings.login_policy``): the account is then
    refused for ``lockout``, even with the right password. A refusal raises :class:`Forbidden` (or
    :class:`LockedOut`) *after* writing its count and audit rows into ``session``: the caller commits
    them (``sessions.login`` does), so a refused attempt counts.

    The user's row is locked first (``SELECT … FOR UPDATE``; SQLite serialises write transactions
    anyway), so attempts that race are counted one after the other and none is lost. The message is
    the same whatever was wrong, and an unknown username costs a password check as a wrong password
    does, so neither the answer nor its time tells which usernames exist — except a lockout, which says
    until when.
    """
    policy = login_policy()
    now = now or utcnow()
    name = username.strip()
    user = session.exec(select_model(User).where(User.username == name).with_for_update()
                        .execution_options(populate_existing=True)).first()
    wrong = Forbidden(tr("用户名或密码错误，或该用户已停用", "wrong username or password, or the user is deactivated"))
    if user is None:
        password_matches(_unknown_user_hash(), password)  # as long as a wrong password of a real user takes
        audit.record(session, tenant_id=None, actor=name[:100], action="login_failed", entity="user")
        raise wrong
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        until = as_utc(user.locked_until)
        audit.record(session, tenant_id=user.tenant_id, actor=user.username, action="login_failed", entity="user",
                     entity_id=user.id, new={"locked_until": until.isoformat()})
        raise _locked(until)
    if not user.active or not password_matches(user.password_hash, password):
        failures = _count_failure(session, user, now, policy.window)
        audit.record(session, tenant_id=user.tenant_id, actor=user.username, action="login_failed", entity="user",
                     entity_id=user.id, new={"failures": failures})
        if failures < policy.max_failures:
            raise wrong
        user.locked_until = until = now + policy.lockout
        session.add(user)
        _forget_failures(session, user)
        audit.record(session, tenant_id=user.tenant_id, actor=user.username, action="lockout", entity="user",
                     entity_id=user.id, new={"failures": failures, "locked_until": until.isoformat()})
        raise _locked(until)
    user.last_login_at = now
    user.locked_until = None
    if password_needs_rehash(user.password_hash):  # made with other parameters (access.PASSWORD_HASHING)
        user.password_hash = hash_password(password)
    session.add(user)
    _forget_failures(session, user)
    audit.record(session, tenant_id=user.tenant_id, actor=user.username, action="login", entity="user",
                 entity_id=user.id)
    return principal_of(session, user)


@functools.cache
def _unknown_user_hash() -> str:
    """A hash made with today's parameters, checked against the password given for a username that does not
    exist: the refusal then takes as long as a wrong password's, so the answer's time does not tell which
    usernames exist either."""
    return hash_password(secrets.token_urlsafe(16))


def _locked(until: datetime) -> LockedOut:
    shown = until.astimezone().strftime("%Y-%m-%d %H:%M")
    return LockedOut(tr(f"登录失败次数过多，账号已锁定至 {shown}；可请管理员解除锁定",
                        f"too many failed logins: the account is locked until {shown}; an administrator can unlock it"))


def _count_failure(session: Session, user: User, now: datetime, window) -> int:
    """Record a failed login of ``user`` and count those within ``window`` before ``now`` (older ones go)."""
    conn = session.connection()
    f = LoginFailure.__table__.c
    conn.execute(delete(LoginFailure).where(f.user_id == user.id, f.at <= now - window))
    conn.execute(LoginFailure.__table__.insert().values(user_id=user.id, at=now))
    return conn.execute(select(func.count()).where(f.user_id == user.id)).scalar_one()


def _forget_failures(session: Session, user: User) -> None:
    session.connection().execute(delete(LoginFailure).where(LoginFailure.__table__.c.user_id == user.id))


def unlock(session: Session, *, user: User, actor: str) -> bool:
    """End a lockout (and forget the failed logins that count towards one); whether the user was locked."""
    was = user.locked_until
    _forget_failures(session, user)
    if was is None or as_utc(was) <= utcnow():
        return False
    user.locked_until = None
    session.add(user)
    audit.record(session, tenant_id=user.tenant_id, actor=actor, action="unlock", entity="user", entity_id=user.id,
                 old={"locked_until": as_utc(was).isoformat()})
    return True


def read_user_grants(conn: Connection, tenant_id: int) -> pd.DataFrame:
    """Every user of the tenant with their grants, one row per grant (the CLI's operator view); the e-mail address
    masked (``members.privacy.mask_email``)."""
    u, g, o = User.__table__.c, Grant.__table__.c, Organization.__table__.c
    query = (select(u.username, u.display_name, u.active, u.last_login_at, u.locked_until, u.email, u.locale, g.role,
                    o.code.label("org_code"), o.name.label("org_name"))
             .join_from(User.__table__, Grant.__table__, g.user_id == u.id, isouter=True)
             .join(Organization.__table__, o.id == g.org_id, isouter=True)
             .where(u.tenant_id == tenant_id)
             .order_by(u.username, g.role, o.code))
    frame = read_frame(query, conn)
    frame["email"] = frame["email"].map(mask_email)
    return frame


def read_users(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The users an administrator manages: those with a grant inside their subtree, or with none."""
    require(conn, principal, Action.administer)
    frame = read_user_grants(conn, principal.tenant_id)
    o = Organization.__table__.c
    inside = set(conn.execute(select(o.code).where(o.tenant_id == principal.tenant_id,
                                                   visible(conn, principal, Action.administer, o.id))).scalars())
    held = frame["org_code"].dropna()
    outside = set(frame.loc[held.index[~held.isin(inside)], "username"])
    return frame[~frame["username"].isin(outside)].reset_index(drop=True)


def require_admin_over(conn: Connection, principal: Principal, user: User) -> None:
    """An administrator manages users of their tenant whose grants lie in their subtree (or who have none)."""
    require(conn, principal, Action.administer)
    if user.tenant_id != principal.tenant_id:
        raise Forbidden(tr(f"{principal.username} 无权管理其他单位的用户",
                           f"{principal.username} may not manage users of another tenant"))
    rows = conn.execute(select(Grant.__table__.c.org_id).where(Grant.__table__.c.user_id == user.id)).scalars().all()
    o = Organization.__table__.c
    for org_id in rows:
        inside = conn.execute(select(o.id).where(o.id == org_id,
                                                 visible(conn, principal, Action.administer, o.id))).first()
        if inside is None:
            raise Forbidden(tr(f"{user.username} 拥有 {principal.username} 管理范围以外的组织的角色",
                               f"{user.username} holds a role outside {principal.username}'s organisations"))


def count_users(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(User.__table__)).scalar_one()
