"""Login sessions (登录会话): one row per login, named by a random token the browser keeps in a cookie.

- The token is 32 random bytes; only its SHA-256 is stored, so the table cannot be replayed.
- A session carries no rights: :func:`resume` reads the user and their grants again on every page
  run, so a removed grant or a deactivated user takes effect on the next click.
- A session ends at logout, when its user is deactivated, after the login policy's ``idle`` time
  without a page run (``BASTION_SESSION_IDLE_MINUTES``, default 30), or :data:`LIFETIME` after the
  login, whichever comes first; an ended session never resumes.
- It keeps the user's language, so a reload or a new tab speaks it too.

Every login, failed login, lockout and logout is in the audit trail (``users.authenticate``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from . import audit, i18n, users
from .access import Forbidden, Principal
from .db import transaction
from .models import LoginSession, User, as_utc, utcnow
from .settings import login_policy

LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often, not on every rerun


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(engine: Engine, *, username: str, password: str, locale: str) -> tuple[str, Principal]:
    """Check the password and open a session; returns the token (for the cookie) and the principal.

    A refused attempt raises :class:`Forbidden` once its count and audit rows (``login_failed``, and
    ``lockout`` when it locks the account) are committed: ``users.authenticate`` wrote them.
    """
    refused: Forbidden | None = None
    with transaction(engine) as session:
        try:
            principal = users.authenticate(session, username, password)
        except Forbidden as exc:
            refused = exc
        else:
            token = secrets.token_urlsafe(32)
            session.add(LoginSession(token_hash=_hash(token), user_id=principal.user_id,
                                     tenant_id=principal.tenant_id, locale=i18n.normalise(locale)))
            return token, principal
    raise refused


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
              else "idle" if now - as_utc(row.last_seen_at) > login_policy().idle
              else "expired" if now - as_utc(row.created_at) > LIFETIME else "")
    if reason:
        _end(session, row, reason, actor=user.username if user else "", now=now)
        return None
    if now - as_utc(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return users.principal_of(session, user), row.locale


def set_locale(session: Session, token: str, locale: str) -> None:
    """Keep the language the user switched to with their session (a live one, of an active user: the switch's
    callback runs before the run that :func:`resume` checks)."""
    row = _live(session, token)
    user = session.get(User, row.user_id) if row is not None else None
    if user is not None and user.active and row.locale != (locale := i18n.normalise(locale)):
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
