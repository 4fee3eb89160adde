"""Errors meant for the person at the keyboard: each message says what is wrong and what to do."""


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
