"""``bastion demo`` and ``bastion ui``: the sample enterprise, and the web UI on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import users
from bastion.core.errors import BastionError
from bastion.core.i18n import tr
from bastion.core.settings import Settings

from .common import engine, handled, out, registry

app = typer.Typer()  # top-level commands, merged into ``bastion``

PortOpt = Annotated[int, typer.Option("--port", help="Port of the UI server.")]


@app.command()
@handled
def demo(
    no_ui: Annotated[bool, typer.Option(
        "--no-ui", help="Do everything but open the dashboard, then exit.")] = False,
    branches: Annotated[int, typer.Option(help="How many branches (党支部) the sample enterprise has.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same enterprise and results.")] = 2025,
    year: Annotated[int, typer.Option(help="The assessment year to run.")] = 2025,
    scheme: Annotated[str, typer.Option(
        help="The scheme the sample enterprise runs (see `bastion plugins list`).")] = "target-table",
    port: PortOpt = 8501,
) -> None:
    """Build a sample enterprise, run its year's assessment, print the ranking and open the dashboard."""
    from bastion.demo import DEMO_PASSWORD, fresh_database, run_demo

    settings = Settings.from_env()
    store, kept = fresh_database(engine(), settings)
    if kept is not None:
        out.print(tr(f"上一次演示的数据库原样保留为 {kept}；本次演示使用新数据库",
                     f"the previous demo's database is kept as it was in {kept}; this demo uses a fresh one"),
                  soft_wrap=True)
    run_demo(store, registry=registry(), branches=branches, seed=seed, year=year, scheme_id=scheme, console=out,
             home=settings.home)
    if not no_ui:
        _serve_ui("127.0.0.1", port, open_browser=True,
                  login=tr(f"以 leader（或 admin、inspector、secretary、rater、auditor）登录，密码 {DEMO_PASSWORD}",
                           f"log in as leader (or admin, inspector, secretary, rater, auditor), password {DEMO_PASSWORD}"))


def _serve_ui(address: str, port: int, *, open_browser: bool, login: str) -> None:
    from bastion.ui.launch import serve

    def announce(url: str) -> None:
        out.print(tr(f"领导驾驶舱：{url}/dashboard — {login}。按 Ctrl-C 停止。",
                     f"Dashboard (领导驾驶舱): {url}/dashboard — {login}. Ctrl-C stops it."))

    code = serve(address=address, port=port, open_browser=open_browser, announce=announce)
    if code:
        raise BastionError(tr(f"界面服务已退出，退出码 {code}（端口 {port} 被占用？试试 --port）",
                              f"the UI server stopped with exit code {code} (is port {port} taken? try --port)"))


@app.command("ui")
@handled
def ui(
    port: PortOpt = 8501,
    address: Annotated[str, typer.Option("--address", help="Address to listen on (0.0.0.0: every interface).")]
    = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Don't open a browser page.")] = False,
) -> None:
    """Start the web UI (dashboard and workspaces) on the configured database."""
    with engine().connect() as conn:
        if users.count_users(conn) == 0:
            raise BastionError(tr("还没有可登录的用户：先创建管理员 `bastion user add admin --role admin`"
                                  "（或运行 `bastion demo`）",
                                  "no user can log in yet: create the first administrator with "
                                  "`bastion user add admin --role admin` (or run `bastion demo`)"))
    _serve_ui(address, port, open_browser=not no_browser, login=tr("用你的账号登录", "log in with your user"))
