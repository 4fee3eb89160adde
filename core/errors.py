"""Errors meant for the person at the keyboard: each message says what is wrong and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import tr


class BastionError(Exception):
    """A problem the user can act on; the CLI prints the message without a traceback."""


class NotFound(BastionError):
    pass


class Ambiguous(BastionError):
    """More than one candidate and none was named (e.g. two tenants and no ``--tenant``)."""


class Conflict(BastionError):
    """The action would contradict what is already there (a cycle for that year, a published period …)."""


class BadValue(BastionError, ValueError):
    """A value the user typed is not one the option takes (a period, a format …): the CLI exits 2, as for a
    usage error. Also a ``ValueError``, so code that parses and catches ``ValueError`` still does."""


@dataclass(frozen=True)
class Problem:
    """Why a value breaks a rule of its concept, for the person who typed it.

    ``key`` is the field's key as the import templates name it (``title``, ``indicator_code``); ``field``
    names the field in the current language; ``reason`` says what is wrong, in the current language.
    ``conflict``: the value contradicts what is stored (a closed year) rather than being wrong in itself.
    An entry point taking one record raises the first problem (:func:`refuse`); the importer lists every
    problem of every row, naming the field by its template header.
    """

    key: str
    field: str
    reason: str
    conflict: bool = False

    def __str__(self) -> str:
        return tr(f"{self.field}：{self.reason}", f"{self.field}: {self.reason}")

    def error(self) -> BastionError:
        """The problem as the error a person reads: a :class:`Conflict` when it contradicts what is stored."""
        return Conflict(str(self)) if self.conflict else BastionError(str(self))


def refuse(problems: list[Problem]) -> None:
    """Raise the first of ``problems``, if any: what an entry point taking one record does with them."""
    if problems:
        raise problems[0].error()
