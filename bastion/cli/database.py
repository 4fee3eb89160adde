"""``bastion db``: the database's migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import db
from bastion.core.i18n import tr
from bastion.core.settings import Settings

from .common import handled, out

app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


@app.command("upgrade")
@handled
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    engine = db.connect(Settings.from_env(), migrate=False)
    db.upgrade(engine, revision)
    revision, url = db.current_revision(engine), engine.url.render_as_string()
    out.print(tr(f"数据库已升级到版本 {revision}（{url}）", f"database at revision {revision} ({url})"))


@app.command("current")
@handled
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    engine = db.connect(Settings.from_env(), migrate=False)
    current, head, url = db.current_revision(engine), db.head_revision(), engine.url.render_as_string()
    out.print(tr(f"当前版本：{current}  最新版本：{head}（{url}）", f"current: {current}  head: {head}  ({url})"))
