"""Where Bastion keeps its data, from the environment.

``BASTION_HOME`` (default ``./.bastion``) holds the embedded SQLite database, the archive of
generated documents and, unless ``BASTION_SECRET_KEY`` gives it, the platform's key (:func:`secret_key`); ``BASTION_DATABASE_URL`` points at any other database instead, e.g.
``postgresql+psycopg://user@host/bastion``.

The login policy (等保 2.0 level 3: failed-login handling and session timeout) is read from the
environment too, on each use, so a changed value needs no restart of a long-lived process
(:func:`login_policy`).
"""

from __future__ import annotations

import getpass
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from .errors import BadValue
from .i18n import tr


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("BASTION_HOME") or ".bastion").expanduser().resolve()
        url = env.get("BASTION_DATABASE_URL") or f"sqlite:///{home / 'bastion.db'}"
        return cls(home=home, database_url=url)


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8501"


def public_url(environ: dict[str, str] | None = None) -> str:
    """The address people reach the UI at (``BASTION_PUBLIC_URL``; ``bastion ui``'s own by default): the ballot
    slips' QR codes point under it."""
    env = os.environ if environ is None else environ
    return (env.get("BASTION_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


def current_actor() -> str:
    """The name written to the audit trail for CLI actions (``BASTION_USER`` or the OS user)."""
    return os.environ.get("BASTION_USER") or getpass.getuser()


@dataclass(frozen=True)
class LoginPolicy:
    """How logins fail and sessions end (登录失败处理与会话超时).

    ``max_failures`` failed logins of one user within ``window`` lock the account for ``lockout``
    (an administrator can unlock it sooner); a login session unused for ``idle`` ends.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=30)
    lockout: timedelta = timedelta(minutes=30)
    idle: timedelta = timedelta(minutes=30)


# The environment variable of each field and whether it counts minutes (else a plain number).
_POLICY_ENV = {"max_failures": ("BASTION_LOGIN_MAX_FAILURES", False),
               "window": ("BASTION_LOGIN_WINDOW_MINUTES", True),
               "lockout": ("BASTION_LOCKOUT_MINUTES", True),
               "idle": ("BASTION_SESSION_IDLE_MINUTES", True)}


def login_policy(environ: dict[str, str] | None = None) -> LoginPolicy:
    """The login policy from ``BASTION_LOGIN_MAX_FAILURES`` (default 5), ``BASTION_LOGIN_WINDOW_MINUTES`` (30),
    ``BASTION_LOCKOUT_MINUTES`` (30) and ``BASTION_SESSION_IDLE_MINUTES`` (30); each a whole number of at least 1."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field, (name, minutes) in _POLICY_ENV.items():
        raw = (env.get(name) or "").strip()
        if not raw:
            continue
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise BadValue(tr(f"环境变量 {name}={raw!r}：应为不小于 1 的整数{'（分钟）' if minutes else ''}",
                              f"environment variable {name}={raw!r}: expected a whole number of at least 1"
                              f"{' (minutes)' if minutes else ''}"))
        values[field] = timedelta(minutes=number) if minutes else number
    return LoginPolicy(**values)


# --- the platform's key: the UI's cookies are signed with it, secrets at rest sealed under it ---------------


def secret_key(settings: Settings) -> bytes:
    """``BASTION_SECRET_KEY``, else the key kept in ``$BASTION_HOME/secret.key`` (made on first use, mode 0600)."""
    if key := os.environ.get("BASTION_SECRET_KEY"):
        return key.encode()
    return _home_key(settings.home)


@lru_cache(maxsize=8)
def _home_key(home: Path) -> bytes:
    path = home / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret.key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # whole or not at all; a second server starting at once keeps the first key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode()
