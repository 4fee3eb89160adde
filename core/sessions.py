"""Login sessions (登录会话): one row per login, named by a random token the browser keeps in a cookie.

- The token is 32 random bytes; only its SHA-256 is stored, so the table cannot be replayed.
- A session carries no rights: :func:`resume` reads the user and their grants again on every page
  run, so a removed grant or a deactivated user takes effect on the next click.
- A session ends at logout, when its user is deactivated, after :data:`IDLE` without a page run, or
  :data:`LIFETIME` after the login, whichever comes first; an ended session never resumes.
- It keeps the user's language, so a reload or a new tab speaks it too.

Every login, failed login and logout is in the audit trail.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from . import audit, i18n, users
from .access import Forbidden, Principal
from .db import transaction
from .models import LoginSession, User, utcnow

IDLE = timedelta(minutes=int(os.environ.get("BASTION_SESSION_IDLE_MINUTES", "30")))
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often, not on every rerun


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def login(engine: Engine, *, username: str, password: str, locale: str) -> tuple[str, Principal]:
    """Check the password and open a session; returns the token (for the cookie) and the principal.

    A wrong password is refused with :class:`Forbidden` and audited as ``login_failed`` (in its own
    transaction: the refusal writes nothing else).
    """
    try:
        with transaction(engine) as session:
            principal = users.authenticate(session, username, password)
            token = secrets.token_urlsafe(32)
            session.add(LoginSession(token_hash=_hash(token), user_id=principal.user_id,
                                     tenant_id=principal.tenant_id, locale=i18n.normalise(locale)))
            return token, principal
    except Forbidden:
        with transaction(engine) as session:
            user = session.exec(select(User).where(User.username == username.strip())).first()
            audit.record(session, tenant_id=user.tenant_id if user else None, actor=username.strip()[:100],
                         action="login_failed", entity="user", entity_id=user.id if user else None)
        raise


def _live(session: Session, token: str) -> LoginSession | None:
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == _hash(token))).first()
    return row if row is not None and row.ended_at is None else None


def resume(session: Session, token: str | None, *, now: datetime | None = None) -> tuple[Principal, str] | None:
    """The principal and language of the session ``token`` names, if it is still live; None otherwise.

    A session found idle or past its lifetime is ended here (and audited), so it cannot come back.
    """
    if not token:
        return None
    row = _live(session, token)
    if row is None:
        return None
    now = now or utcnow()
    user = session.get(User, row.user_id)
    reason = ("deactivated" if user is None or not user.active
              else "idle" if now - _aware(row.last_seen_at) > IDLE
              else "expired" if now - _aware(row.created_at) > LIFETIME else "")
    if reason:
        _end(session, row, reason, actor=user.username if user else "", now=now)
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return users.principal_of(session, user), row.locale


def set_locale(session: Session, token: str, locale: str) -> None:
    """Keep the language the user switched to with their session."""
    row = _live(session, token)
    if row is not None and row.locale != (locale := i18n.normalise(locale)):
        row.locale = locale
        session.add(row)


def _end(session: Session, row: LoginSession, reason: str, *, actor: str, now: datetime | None = None) -> None:
    row.ended_at = now or utcnow()
    row.end_reason = reason
    session.add(row)
    audit.record(session, tenant_id=row.tenant_id, actor=actor, action="logout", entity="session",
                 entity_id=row.id, new={"reason": reason})


def logout(session: Session, token: str | None) -> bool:
    """End the session ``token`` names; whether there was a live one."""
    row = _live(session, token) if token else None
    if row is None:
        return False
    user = session.get(User, row.user_id)
    _end(session, row, "logout", actor=user.username if user else "")
    return True


def end_user_sessions(session: Session, *, user_id: int, reason: str) -> int:
    """End every live session of a user (deactivation); how many were ended."""
    ended = session.connection().execute(
        update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)).rowcount
    return int(ended or 0)
