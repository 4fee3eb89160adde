"""``bastion archive``: a branch's assessment archive (考核档案) of a year as .docx, or every branch's, zipped."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from bastion.core import archive, users
from bastion.core.errors import BastionError
from bastion.core.i18n import tr

from .common import TenantOpt, YearOpt, context, engine, handled, out

app = typer.Typer()  # the top-level ``bastion archive``


@app.command("archive")
@handled
def archive_command(
    as_user: Annotated[str, typer.Option("--as", help="The user reading it: the branch's secretary, the office.")],
    to: Annotated[Path, typer.Option("--out", "-o", help="The .docx (one branch) or .zip (--all) to write.")],
    org: Annotated[str | None, typer.Option("--org", help="The branch (组织编码).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every branch's archive, in one .zip (the office).")] = False,
    tenant: TenantOpt = None, year: YearOpt = None,
) -> None:
    """A branch's assessment archive (考核档案) of a year as .docx — or every branch's, zipped."""
    store = engine()
    target, cycle = context(store, tenant, year, results=True)
    who = users.lookup_principal(store, target.id, as_user)
    if not every and not org:
        raise BastionError(tr("请用 --org 指定党支部，或用 --all 导出全部", "name a branch with --org, or --all"))
    with store.connect() as conn:
        data = (archive.zip_archives(conn, who, cycle=cycle, today=date.today()) if every else
                archive.branch_archive(conn, who, cycle=cycle, org_code=org, today=date.today()))
    to.write_bytes(data)
    out.print(tr(f"已写出考核档案：{to}", f"archive written to {to}"))
