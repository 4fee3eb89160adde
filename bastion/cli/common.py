"""What every command shares: the consoles, the common options, error handling, and where a command acts.

Commands call core and print: the database, the plugins, the tenant and the cycle come from here,
every read and write from a core function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape as rich_escape
from sqlalchemy import Engine

from bastion.core import cycles, db, periods
from bastion.core.errors import BadValue, BastionError
from bastion.core.i18n import tr
from bastion.core.models import Cycle, Tenant
from bastion.core.registry import Registry, default_registry
from bastion.core.settings import Settings
from bastion.listings import OutputFormat

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

TenantOpt = Annotated[str | None, typer.Option("--tenant", "-t", help="Tenant code (default: the only tenant).")]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Cycle year (default: the tenant's only cycle).")]
PeriodOpt = Annotated[str | None, typer.Option(
    "--period", "-p", help="2026, 2026-H1, 2026-Q3 or 2026-07 (default: the cycle's year).")]
FormatOpt = Annotated[OutputFormat, typer.Option(
    "--format", "-f", help="table (for people), json or csv (stable codes and raw values; CSV: UTF-8 with BOM).")]


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` as one line on stderr after 错误： / Error: and give the exit to raise."""
    err.print(f"[bold red]{tr('错误：', 'Error: ')}[/]{rich_escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def handled(command: F) -> F:
    """Print a :class:`BastionError` as one clear line on stderr, without a traceback: exit 2 for a bad value
    (:class:`BadValue`, like a usage error), else 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BastionError as exc:
            raise fail(str(exc), 2 if isinstance(exc, BadValue) else 1) from None

    return wrapper  # type: ignore[return-value]


def engine() -> Engine:
    """The configured database (``BASTION_DATABASE_URL`` or ``$BASTION_HOME/bastion.db``), migrated."""
    return db.connect(Settings.from_env())


def registry() -> Registry:
    """The installed plugins; a plugin that failed to load is a warning on stderr."""
    found = default_registry()
    for problem in found.problems:
        err.print(f"[yellow]{tr('警告：', 'Warning: ')}[/]{rich_escape(str(problem))}", soft_wrap=True)
    return found


def context(store: Engine, tenant_code: str | None, year: int | None, *, results: bool = False,
            period: str | None = None) -> tuple[Tenant, Cycle]:
    """The tenant and the cycle a command acts on: ``--year``'s, else ``--period``'s (2026-Q1: 2026's);
    ``results``: a command about results, which without either means the latest cycle that has some."""
    return cycles.lookup_cycle(store, tenant_code, year, with_results=results, period=period)


def period_context(tenant_code: str | None, year: int | None, key: str | None) -> tuple[Engine, Cycle, str]:
    """The engine, the cycle and the period key a read-only command works on."""
    store = engine()
    _, cycle = context(store, tenant_code, year, results=True, period=key)
    return store, cycle, periods.in_cycle(cycle, key).key


def day(value: str | None) -> date | None:
    """``--on``'s day (YYYY-MM-DD); None when not given."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise BadValue(tr(f"--on {value}：不是日期，应为 YYYY-MM-DD（如 2026-03-31）",
                          f"--on {value}: not a day; expected YYYY-MM-DD (e.g. 2026-03-31)")) from None
