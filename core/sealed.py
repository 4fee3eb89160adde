"""Secrets at rest (a channel's SMTP password, a robot's key or signing secret): sealed before they are stored, opened
only to be used.

A secret is stored as ``sealed:`` and a Fernet token (``cryptography``: AES-128-CBC with an HMAC-SHA256, a random
IV each time) under a key derived from the platform's key (``core.settings.secret_key``: ``BASTION_SECRET_KEY``,
else ``$BASTION_HOME/secret.key``) — so a copy of the database, a backup or a dump of a table holds no usable
secret. Every process that sends (the UI, ``bastion notify``, the Prefect workers) must share that key, as the UI
servers of one deployment already do; a secret sealed under another key is reported, naming the key, and set again.
A value stored before sealing (no prefix) is read as it is and sealed when it is next set.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from .errors import BastionError
from .i18n import tr
from .settings import Settings, secret_key

PREFIX = "sealed:"


def _fernet(settings: Settings | None) -> Fernet:
    key = secret_key(settings or Settings.from_env())
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"bastion-sealed:" + key).digest()))


def seal(secret: str, settings: Settings | None = None) -> str:
    """``secret`` as it is stored."""
    return PREFIX + _fernet(settings).encrypt(secret.encode()).decode()


def unseal(stored: str, settings: Settings | None = None) -> str:
    """The secret ``stored`` holds; refused, saying why, when it was sealed under another key."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet(settings).decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise BastionError(tr("密钥无法解开：它是用另一个平台密钥（BASTION_SECRET_KEY 或 $BASTION_HOME/secret.key）加密保存的，"
                              "请让各进程使用同一平台密钥，或重新设置该密钥",
                              "the secret cannot be opened: it was sealed under another platform key "
                              "(BASTION_SECRET_KEY or $BASTION_HOME/secret.key); give every process the same key, "
                              "or set the secret again")) from None
