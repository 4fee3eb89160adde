"""Where Bastion keeps its data, from the environment.

``BASTION_HOME`` (default ``./.bastion``) holds the embedded SQLite database and the archive of
generated documents; ``BASTION_DATABASE_URL`` points at any other database instead, e.g.
``postgresql+psycopg://user@host/bastion``.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path


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


def current_actor() -> str:
    """The name written to the audit trail for CLI actions (``BASTION_USER`` or the OS user)."""
    return os.environ.get("BASTION_USER") or getpass.getuser()
