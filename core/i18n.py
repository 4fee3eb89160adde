"""One language at a time: zh-CN by default, English the second locale.

Every text a person reads — core's errors, an import's row errors, statuses, the CLI's tables and
the UI's pages — is written as a pair beside the code that produces it: ``tr("排名", "Ranking")``.
Which of the two is shown is the *current locale*, a context variable:

- the CLI takes it from ``BASTION_LANG`` (``zh-CN`` by default; ``en``, ``en-US`` … for English);
- the UI sets it at the start of every script run from the user's choice in the session
  (:func:`set_locale`), so an error core raises on that run speaks the user's language.

A message is therefore rendered when it is made, in the language of whoever caused it. A context
variable (not a global) keeps two UI sessions on two threads from changing each other's language.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

LOCALES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"
ENV = "BASTION_LANG"

_current: ContextVar[str | None] = ContextVar("bastion_locale", default=None)


def normalise(value: str | None) -> str:
    """``zh``, ``zh-CN``, ``zh_CN.UTF-8`` → ``zh``; ``en``, ``en-US``, ``en_GB`` → ``en``; empty → the default.

    Anything else is refused: a typo in ``BASTION_LANG`` should not silently give Chinese.
    """
    if not value:
        return DEFAULT
    base = value.strip().lower().replace("_", "-").split(".")[0].split("-")[0]
    if base in LOCALES:
        return base
    raise ValueError(f"unknown language {value!r}: use zh-CN or en / 未知语言 {value!r}：请用 zh-CN 或 en")


def env_locale() -> str:
    """The locale ``BASTION_LANG`` names (zh-CN when unset)."""
    return normalise(os.environ.get(ENV))


def locale() -> str:
    """The current locale: the one set for this context, else ``BASTION_LANG``'s."""
    return _current.get() or env_locale()


def set_locale(value: str) -> Token:
    """Make ``value`` the current locale of this context (a UI script run, a CLI command)."""
    return _current.set(normalise(value))


@contextmanager
def using(value: str) -> Iterator[None]:
    """The block runs in ``value``'s language, then the previous one is back."""
    token = set_locale(value)
    try:
        yield
    finally:
        _current.reset(token)


def tr(zh: str, en: str) -> str:
    """The text in the current language."""
    return en if locale() == "en" else zh
