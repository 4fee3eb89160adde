"""The ``bastion`` command line: every core service, one command each.

Where only one tenant and one cycle exist, commands use them without being told; otherwise
``--tenant`` and ``--year`` choose. Commands about results (results, explain, incentives, bulletins,
reviews, confirm, correct) take the latest cycle that has results when ``--year`` is not given.

A module per sub-app; :mod:`.common` holds what they share (the options, the error handling, the
database, the plugins, the tenant and the cycle a command acts on). A command reads and writes only
through core's functions. The top-level commands come first in ``bastion --help``, then the sub-apps.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bastion import __version__
from bastion.core import i18n

from . import (
    appeals,
    archive,
    audit,
    ballots,
    channels,
    cycles,
    database,
    duties,
    imports,
    members,
    notify,
    organizations,
    plugins,
    rectification,
    results,
    reviews,
    schemes,
    stages,
    standings,
    tenants,
    ui,
    users,
)
from .common import err, out
from .usage import OneLineGroup

app = typer.Typer(help="Bastion — 党支部目标管理考核 (party-branch target-responsibility assessment).",
                  no_args_is_help=True, rich_markup_mode=None, cls=OneLineGroup,
                  context_settings={"help_option_names": ["-h", "--help"]})  # every command's, inherited

# Top-level commands: score … correct, run … deploy, demo and ui.
for commands in (results.app, stages.app, schemes.whatif_app, archive.app, notify.app, ui.app):
    app.add_typer(commands)
app.add_typer(database.app, name="db")
app.add_typer(tenants.app, name="tenant")
app.add_typer(organizations.app, name="org")
app.add_typer(cycles.app, name="cycle")
app.add_typer(cycles.target_app, name="target")
app.add_typer(plugins.app, name="plugins")
app.add_typer(users.app, name="user")
app.add_typer(ballots.app, name="ballots")
app.add_typer(rectification.app, name="rectification")
app.add_typer(reviews.app, name="review")
app.add_typer(appeals.app, name="appeal")
app.add_typer(notify.inbox_app, name="inbox")
app.add_typer(channels.app, name="channels")
app.add_typer(standings.app, name="standings")
app.add_typer(members.app, name="members")
app.add_typer(duties.app, name="duties")
app.add_typer(schemes.app, name="scheme")
app.add_typer(duties.lists_app, name="lists")
app.add_typer(imports.app, name="import")
app.add_typer(audit.app, name="audit")

__all__ = ["app"]


def _version(value: bool) -> None:
    if value:
        out.print(f"bastion {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Show the version and exit.")] = False) -> None:
    """Configuration: BASTION_HOME (default ./.bastion) holds the embedded database;
    BASTION_DATABASE_URL points at another one (e.g. postgresql+psycopg://user@host/bastion);
    BASTION_LANG=en for English (default zh-CN)."""
    try:
        i18n.env_locale()
    except ValueError as exc:  # no language to say it in: both
        err.print(f"Error / 错误：{exc}", soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    for console in (out, err):  # piped: lines are not broken at 80 columns (a table still fits its width)
        console.soft_wrap = not console.is_terminal
