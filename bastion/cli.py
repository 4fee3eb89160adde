"""The ``bastion`` command line: every core service, one command each.

Where only one tenant and one cycle exist, commands use them without being told; otherwise
``--tenant`` and ``--year`` choose. Commands about results (results, explain, incentives, bulletins,
reviews, confirm, correct) take the latest cycle that has results when ``--year`` is not given.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape as rich_escape
from sqlalchemy import Engine
from sqlmodel import Session

from bastion import __version__
from bastion.core import cycles, db, i18n, periods, reviews, scoring, tenants, users, words
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.core.engine import Period
from bastion.core.errors import BadValue, BastionError
from bastion.core.i18n import tr
from bastion.core.models import Cycle, Tenant, User
from bastion.core.registry import Registry, default_registry
from bastion.core.results import explain as explain_result
from bastion.core.results import incentive_records, read_incentives, read_results, results_records
from bastion.core.settings import Settings, current_actor
from bastion.listings import Field, OutputFormat, emit, write_csv, write_json
from bastion.tables import INCENTIVES, RANKING, explanation_text, incentive_style, ranking_style, stage_summary

app = typer.Typer(help="Bastion — 党支部目标管理考核 (party-branch target-responsibility assessment).",
                  no_args_is_help=True, rich_markup_mode=None)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (enterprises).", no_args_is_help=True)
cycle_app = typer.Typer(help="Assessment cycles (考核年度).", no_args_is_help=True)
target_app = typer.Typer(help="Targets (目标值) of a cycle.", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
ballot_app = typer.Typer(help="Ballots (测评票) assigned to raters, filled in on the UI's ratings page.",
                         no_args_is_help=True)
user_app = typer.Typer(help="Users of the UI and their roles (管理员/领导/督查人员/支部书记/测评人).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(cycle_app, name="cycle")
app.add_typer(target_app, name="target")
app.add_typer(plugins_app, name="plugins")
app.add_typer(user_app, name="user")
app.add_typer(ballot_app, name="ballots")

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


def _engine() -> Engine:
    return db.connect(Settings.from_env())


def _registry() -> Registry:
    registry = default_registry()
    for problem in registry.problems:
        err.print(f"[yellow]{tr('警告：', 'Warning: ')}[/]{rich_escape(str(problem))}", soft_wrap=True)
    return registry


def _context(engine: Engine, tenant_code: str | None, year: int | None, *, results: bool = False,
             period: str | None = None) -> tuple[Tenant, Cycle]:
    """The tenant and the cycle a command acts on: ``--year``'s, else ``--period``'s (2026-Q1: 2026's);
    ``results``: a command about results, which without either means the latest cycle that has some."""
    return cycles.lookup_cycle(engine, tenant_code, year, with_results=results, period=period)


def _period(tenant_code: str | None, year: int | None, period: str | None) -> tuple[Engine, Cycle, str]:
    """The engine, the cycle and the period key a read-only command works on."""
    engine = _engine()
    _, cycle = _context(engine, tenant_code, year, results=True, period=period)
    return engine, cycle, periods.in_cycle(cycle, period).key


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


# --- db ------------------------------------------------------------------------------------


@db_app.command("upgrade")
@handled
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    engine = db.connect(Settings.from_env(), migrate=False)
    db.upgrade(engine, revision)
    revision, url = db.current_revision(engine), engine.url.render_as_string()
    out.print(tr(f"数据库已升级到版本 {revision}（{url}）", f"database at revision {revision} ({url})"))


@db_app.command("current")
@handled
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    engine = db.connect(Settings.from_env(), migrate=False)
    current, head, url = db.current_revision(engine), db.head_revision(), engine.url.render_as_string()
    out.print(tr(f"当前版本：{current}  最新版本：{head}（{url}）", f"current: {current}  head: {head}  ({url})"))


# --- tenants -------------------------------------------------------------------------------


@tenant_app.command("create")
@handled
def tenant_create(
    code: Annotated[str, typer.Argument(help="Short code, e.g. sinopec-sc.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The enterprise's name.")],
    plugin: Annotated[list[str] | None, typer.Option("--plugin", help="Plugin to enable (repeat); default: every built-in.")] = None,
) -> None:
    """Create a tenant and enable its plugins."""
    registry = _registry()
    plugins = plugin or [i.name for i in registry.infos.values() if i.builtin]
    with db.transaction(_engine()) as session:
        tenant = tenants.create_tenant(session, code=code, name=name, plugins=plugins, registry=registry,
                                       actor=current_actor())
    out.print(tr(f"单位 {tenant.code} 已创建；已启用插件：{'、'.join(sorted(plugins))}",
                 f"tenant {tenant.code} created; plugins enabled: {', '.join(sorted(plugins))}"))


@tenant_app.command("enable")
@handled
def tenant_enable(
    plugins: Annotated[list[str], typer.Argument(help="Installed plugin names (see `bastion plugins list`).")],
    tenant: TenantOpt = None,
) -> None:
    """Enable plugins for a tenant: their schemes, rule types, ledger types and policies become its own."""
    registry = _registry()
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        added = tenants.enable_plugins(session, t, plugins, registry=registry, actor=current_actor())
        now = tenants.enabled_plugins(session, t.id)
    out.print(tr(f"单位 {t.code}：已启用 {'、'.join(added) or '（无新增）'}；现有插件：{'、'.join(now)}",
                 f"tenant {t.code}: enabled {', '.join(added) or 'nothing new'}; plugins now: {', '.join(now)}"))


@tenant_app.command("disable")
@handled
def tenant_disable(
    plugins: Annotated[list[str], typer.Argument(help="Plugin names the tenant enables.")],
    tenant: TenantOpt = None,
) -> None:
    """Disable plugins for a tenant (cycles already opened keep their frozen scheme)."""
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        removed = tenants.disable_plugins(session, t, plugins, actor=current_actor())
        now = tenants.enabled_plugins(session, t.id)
    out.print(tr(f"单位 {t.code}：已停用 {'、'.join(removed)}；现有插件：{'、'.join(now) or '无'}",
                 f"tenant {t.code}: disabled {', '.join(removed)}; plugins now: {', '.join(now) or 'none'}"))


@tenant_app.command("list")
@handled
def tenant_list(format: FormatOpt = OutputFormat.table) -> None:
    """List the tenants and their enabled plugins."""
    with _engine().connect() as conn:
        rows = tenants.read_tenants(conn)
    emit(out, format, TENANT_FIELDS, rows)


TENANT_FIELDS = (Field("code", "编码", "Code", "code"), Field("name", "名称", "Name"),
                 Field("plugins", "插件", "Plugins", "prose", show=", ".join))


# --- users ---------------------------------------------------------------------------------

RoleOpt = Annotated[str, typer.Option("--role", "-r", help="admin, leader, inspector, secretary or rater.")]
OrgOpt = Annotated[str | None, typer.Option(
    "--org", "-o", help="Organisation code the role covers with everything under it (default: the whole tenant).")]
PasswordOpt = Annotated[str, typer.Option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, envvar="BASTION_NEW_PASSWORD",
    help="Asked for when not given (or set BASTION_NEW_PASSWORD); at least 8 characters.")]


@user_app.command("add")
@handled
def user_add(
    username: Annotated[str, typer.Argument(help="Login name, unique across tenants.")],
    role: RoleOpt,
    password: PasswordOpt,
    org: OrgOpt = None,
    name: Annotated[str, typer.Option("--name", "-n", help="Name shown in the UI.")] = "",
    tenant: TenantOpt = None,
) -> None:
    """Create a user with a role (the first administrator: `bastion user add admin --role admin`)."""
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        users.create_user(session, tenant=t, username=username, password=password, display_name=name,
                          grants=[(role, org)], actor=current_actor())
    out.print(tr(f"用户 {username} 已在 {t.code} 创建：{_grant(role, org)}",
                 f"user {username} created in {t.code}: {_grant(role, org)}"))


def _grant(role: str, org: str | None) -> str:
    """A role and where it holds, in words: 支部书记（ZB00001 及其下级） / secretary on ZB00001."""
    name = words.word(words.ROLE, role)
    return tr(f"{name}（{org} 及其下级）" if org else f"{name}（全单位）",
              f"{name} on {org}" if org else f"{name} on the whole tenant")


@contextmanager
def _user(username: str, tenant_code: str | None) -> Iterator[tuple[Session, User]]:
    """The tenant's user ``username`` and the transaction that changes them."""
    with db.transaction(_engine()) as session:
        yield session, users.find_user(session, tenants.resolve_tenant(session, tenant_code).id, username)


@user_app.command("grant")
@handled
def user_grant(username: Annotated[str, typer.Argument()], role: RoleOpt, org: OrgOpt = None,
               tenant: TenantOpt = None) -> None:
    """Grant a user another role (on an organisation's subtree)."""
    with _user(username, tenant) as (session, user):
        users.grant(session, user=user, role=role, org_code=org, actor=current_actor())
    out.print(tr(f"{username}：已授予 {_grant(role, org)}", f"{username}: {_grant(role, org)} granted"))


@user_app.command("revoke")
@handled
def user_revoke(username: Annotated[str, typer.Argument()], role: RoleOpt, org: OrgOpt = None,
                tenant: TenantOpt = None) -> None:
    """Take a role back."""
    with _user(username, tenant) as (session, user):
        users.revoke(session, user=user, role=role, org_code=org, actor=current_actor())
    out.print(tr(f"{username}：已撤销 {_grant(role, org)}", f"{username}: {_grant(role, org)} revoked"))


@user_app.command("passwd")
@handled
def user_passwd(username: Annotated[str, typer.Argument()], password: PasswordOpt, tenant: TenantOpt = None) -> None:
    """Set a user's password."""
    with _user(username, tenant) as (session, user):
        users.set_password(session, user=user, password=password, actor=current_actor())
    out.print(tr(f"{username} 的密码已设置", f"password of {username} set"))


@user_app.command("list")
@handled
def user_list(tenant: TenantOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """List the tenant's users and their roles."""
    engine = _engine()
    t = tenants.lookup_tenant(engine, tenant)
    with engine.connect() as conn:
        frame = users.read_user_grants(conn, t.id)
    rows = [{"username": r.username, "display_name": r.display_name, "active": bool(r.active), "role": r.role,
             "org_code": r.org_code, "org_name": r.org_name, "last_login_at": r.last_login_at}
            for r in frame.itertuples()]
    emit(out, format, USER_FIELDS, rows)


USER_FIELDS = (
    Field("username", "用户名", "Username", "code"),
    Field("display_name", "姓名", "Name"),
    Field("active", "启用", "Active", show=lambda v: tr("是", "yes") if v else tr("否", "no"), optional=True),
    Field("role", "角色", "Role", words=words.ROLE),
    Field("org_code", "组织编码", "Org", "code"),
    Field("org_name", "组织", "Organisation", optional=True),
    Field("last_login_at", "最近登录", "Last login", "code", show=lambda v: str(v)[:16], optional=True),
)


@ballot_app.command("assign")
@handled
def ballots_assign(
    rater: Annotated[str, typer.Option("--rater", help="The rater's username (a user with the rater role).")],
    source: Annotated[str, typer.Option("--source", "-s", help="members, peers, superior, work_report …")],
    org: Annotated[list[str], typer.Option("--org", "-o", help="A branch to rate (repeat).")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
) -> None:
    """Assign a rater a ballot for each branch; ballots assigned before are kept (not duplicated)."""
    from bastion.core import ballots

    engine = _engine()
    _, cycle = _context(engine, tenant, year, period=period)
    with db.transaction(engine) as session:
        made = ballots.assign_ballots(session, actor=current_actor(), cycle=cycle,
                                      period=periods.in_cycle(cycle, period).key, source=source,
                                      rater_username=rater, org_codes=org)
    kept, what = len(org) - len(made), words.word(words.SOURCE, source)
    out.print(tr(f"已为 {rater} 新分配 {len(made)} 张测评票（{what}）；{kept} 张此前已分配",
                 f"{len(made)} new ballot(s) for {rater} ({what}); {kept} already assigned"))


# --- cycles and targets --------------------------------------------------------------------


@cycle_app.command("open")
@handled
def cycle_open(
    year: Annotated[int, typer.Option("--year", "-y", help="The assessment year.")],
    tenant: TenantOpt = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="Scheme id (default: the tenant's only scheme).")] = None,
) -> None:
    """Open a year's cycle: freeze the scheme version and its targets."""
    registry = _registry()
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        cycle = cycles.open_cycle(session, tenant=t, year=year, registry=registry, actor=current_actor(),
                                  scheme_id=scheme)
    scheme_text = f"{cycle.scheme_id} {cycle.scheme_version}"
    out.print(tr(f"{t.code} 已开启 {cycle.year} 考核年度，方案 {scheme_text}",
                 f"cycle {cycle.year} opened for {t.code} with scheme {scheme_text}"))


@cycle_app.command("list")
@handled
def cycle_list(tenant: TenantOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """List a tenant's cycles and where each stands (进行中 / 待领导审核 / 已发布, by its annual results)."""
    engine = _engine()
    t = tenants.lookup_tenant(engine, tenant)
    rows = [{"year": c.year, "name": c.name, "scheme_id": c.scheme_id, "scheme_version": c.scheme_version,
             "status": status, "opened_at": c.opened_at.date()} for c, status in cycles.list_cycles(engine, t.id)]
    emit(out, format, CYCLE_FIELDS, rows)


CYCLE_FIELDS = (
    Field("year", "年度", "Year", "code"),
    Field("name", "名称", "Name", optional=True),
    Field("scheme_id", "方案", "Scheme", "code"),
    Field("scheme_version", "版本", "Version", "code"),
    Field("status", "状态", "Status", words=words.CYCLE_STATUS),
    Field("opened_at", "开启日期", "Opened", "code"),
)


@target_app.command("set")
@handled
def target_set(
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator code.")],
    value: Annotated[float, typer.Option("--value", help="The new target.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail).")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation code (one branch).")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Branch category (every branch of it).")] = None,
    tenant: TenantOpt = None,
    year: YearOpt = None,
) -> None:
    """Adjust a target for one branch or one category (因地制宜), with the reason."""
    engine = _engine()
    t, c = _context(engine, tenant, year)
    with db.transaction(engine) as session:
        cycles.set_target(session, cycle=c, indicator_code=indicator, value=value, reason=reason,
                          actor=current_actor(), org_code=org, category=category)
    out.print(tr(f"{org or category} 的 {indicator} 目标值已设为 {value:g}",
                 f"target of {indicator} for {org or category} set to {value:g}"))


# --- scoring and results -------------------------------------------------------------------


@app.command()
@handled
def score(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Score a period now (draft results, replacing the period's earlier drafts)."""
    engine = _engine()
    _, c = _context(engine, tenant, year, period=period)
    summary = scoring.score_period(engine, cycle=c, period_key=period, registry=_registry(), actor=current_actor())
    out.print(tr(f"已评分 {summary.period}：{summary.organizations} 个党支部，平均 {summary.mean_total:.2f} 分，"
                 f"{summary.advanced} 个可评先进，{summary.vetoed} 个一票否决",
                 f"scored {summary.period}: {summary.organizations} branches, mean {summary.mean_total:.2f}, "
                 f"{summary.advanced} eligible for advanced (先进), {summary.vetoed} vetoed (一票否决)"))


@app.command()
@handled
def publish(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Publish a scored period and apply the scheme's incentive policies (奖惩)."""
    engine = _engine()
    _, c = _context(engine, tenant, year, period=period)
    awards = scoring.publish_period(engine, cycle=c, period_key=period, registry=_registry(), actor=current_actor())
    out.print(tr(f"已发布 {period or c.year}：记录奖惩 {awards} 项", f"published {period or c.year}: {awards} incentive(s) recorded"))


@app.command()
@handled
def results(
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The ranking of a period: total, grade, rank, tier, vetoes."""
    engine, c, key = _period(tenant, year, period)
    with engine.connect() as conn:
        frame = read_results(conn, c.id, key)
    if frame.empty:
        raise BastionError(tr(f"{key} 还没有考核结果：先运行 `bastion score --period {key}`",
                              f"period {key} has no results yet: run `bastion score --period {key}`"))
    records = results_records(frame)
    emit(out, format, RANKING, records, data=records, title=f"{c.name} · {key}", style=ranking_style)


@app.command()
@handled
def incentives(
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The rewards, sanctions, talks, rectifications and multipliers a published period brought (奖惩兑现)."""
    engine, c, key = _period(tenant, year, period)
    with engine.connect() as conn:
        frame = read_incentives(conn, c.id, key)
    records = incentive_records(frame)
    if frame.empty and format is OutputFormat.table:
        out.print(tr(f"{key} 没有奖惩兑现（是否已发布？`bastion publish --period {key}`）",
                     f"period {key} brought no incentives (is it published? `bastion publish --period {key}`)"))
        return
    emit(out, format, INCENTIVES, records, data=records, title=f"{c.name} · {key} {tr('奖惩兑现', 'incentives')}",
         style=incentive_style)


@app.command()
@handled
def explain(
    org: Annotated[str, typer.Option("--org", "-o", help="Organisation code.")],
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Why a branch got its score: every indicator's points, rule, reason and evidence (csv: one line each)."""
    engine, c, key = _period(tenant, year, period)
    with engine.connect() as conn:
        ex = explain_result(conn, cycle=c, period=key, org_code=org)
    if format is OutputFormat.json:
        write_json(ex.as_dict(), sys.stdout)
    elif format is OutputFormat.csv:
        write_csv([{"org_code": ex.org["code"], "period": key, **line} for line in ex.lines], sys.stdout)
    else:
        out.print(explanation_text(ex, key))


# --- the calendar: stages, schedules, bulletins ----------------------------------------------

OnOpt = Annotated[str | None, typer.Option("--on", help="The day the stage acts on, YYYY-MM-DD (default: today).")]


@app.command()
@handled
def correct(
    org: Annotated[str, typer.Option("--org", help="The branch whose published result is corrected.")],
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="The indicator's code.")],
    points: Annotated[float, typer.Option("--points", help="The corrected points.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (更正理由): kept in the explanation and the audit.")],
    as_user: Annotated[str, typer.Option("--as", help="The administrator making the correction (a user).")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
) -> None:
    """Correct one indicator's points of a published result (更正); ranks, tiers and awards follow, audited."""
    from bastion.core.corrections import correct_points

    engine = _engine()
    t, cycle = _context(engine, tenant, year, results=True, period=period)
    who = users.lookup_principal(engine, t.id, as_user)
    done = correct_points(engine, who, cycle=cycle, period=periods.in_cycle(cycle, period).key, org_code=org,
                          indicator_code=indicator, points=points, reason=reason, registry=_registry())
    changed = len(done.changed)
    out.print(tr(f"{org} {indicator}：{done.old_points:g} → {done.new_points:g} 分；{changed} 个结果随之变化；"
                 f"重新兑现奖惩后共 {done.awards} 项",
                 f"{org} {indicator}: {done.old_points:g} → {done.new_points:g} points; "
                 f"{changed} result(s) changed; {done.awards} award(s) after the policies ran again"))
    for r in done.changed.itertuples():
        out.print(tr(f"  {r.code}：总分 {r.total_old:g} → {r.total_new:g}，排名 {r.rank_old} → {r.rank_new}，",
                     f"  {r.code}: total {r.total_old:g} → {r.total_new:g}, rank {r.rank_old} → {r.rank_new}, ")
                  + f"{r.grade_old} → {r.grade_new}, {r.tier_old} → {r.tier_new}")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise BadValue(tr(f"--on {value}：不是日期，应为 YYYY-MM-DD（如 2026-03-31）",
                          f"--on {value}: not a day; expected YYYY-MM-DD (e.g. 2026-03-31)")) from None


@app.command("run")
@handled
def run_stage(
    stage: Annotated[str, typer.Argument(help="spot_check, monthly, quarterly, half_year, annual or rectification.")],
    period: PeriodOpt = None,
    on: OnOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Run a stage of the calendar now, as a Prefect flow (a stage that already succeeded does nothing)."""
    from bastion.core.stages.service import stage_named

    stage_named(stage)
    day = _day(on)
    if period is not None:
        Period.parse(period)
    code = tenants.lookup_tenant(_engine(), tenant).code
    from bastion.flows.stages import stage_flow

    summary = stage_flow(code, stage, period=period, on=day)
    status = words.word(words.STAGE_STATUS, summary["status"]) if "key" in summary else ""
    said = tr("，", ", ").join(filter(None, (status, stage_summary(summary))))
    out.print(f"{code} {words.word(words.STAGE, stage)} {summary.get('key', '')}".rstrip() + tr("：", ": ") + said)


@app.command()
@handled
def confirm(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Confirm the annual results under the leaders' review: publish them, their incentives and the bulletin."""
    from bastion.core.stages.service import StageContext, confirm_review

    engine = _engine()
    _, c = _context(engine, tenant, year, results=True, period=period)
    ctx = StageContext(engine, _registry(), Settings.from_env().home, current_actor())
    run = confirm_review(ctx, c, period or str(c.year))
    awards, bulletin = run.detail.get("awards", 0), run.detail.get("bulletin")
    out.print(tr(f"{run.key}：已发布，奖惩 {awards} 项；通报 {bulletin}",
                 f"{run.key}: published, {awards} incentive(s); bulletin {bulletin}"))


STAGE_RUN_FIELDS = (
    Field("key", "阶段", "Stage", "code"),
    Field("stage", "", "", hidden=True),
    Field("period", "", "", hidden=True),
    Field("status", "状态", "Status", words=words.STAGE_STATUS),
    Field("attempts", "次数", "Tries", "number", show=lambda n: tr(f"{n} 次", f"{n} tries") if n > 1 else "",
          optional=True),
    Field("started_at", "", "", hidden=True),
    Field("finished_at", "完成时间", "Finished", "code", show=lambda t: f"{t:%m-%d %H:%M}"),
    Field("flow_run_id", "Prefect 运行", "Flow run", "code", show=lambda v: v[:8], optional=True),
    Field("result", "结果", "Result", "prose"),
    Field("detail", "", "", hidden=True),
)


@app.command("stages")
@handled
def stage_runs(tenant: TenantOpt = None, year: YearOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """The stage runs of a tenant: what ran, when, with what result; the tries when there was more than one,
    and the Prefect flow run (blank when the stage ran directly, e.g. a leader's confirmation)."""
    from bastion.core.stages.queries import read_runs

    engine = _engine()
    t = tenants.lookup_tenant(engine, tenant)
    rows = [{**run.model_dump(), "result": run.error or stage_summary(run.detail)}
            for run in read_runs(engine, t.id, year)]
    emit(out, format, STAGE_RUN_FIELDS, rows)


@app.command()
@handled
def bulletins(tenant: TenantOpt = None, year: YearOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """The bulletins (通报) in a cycle's archive: period, title, the .docx and the .xlsx."""
    from bastion.core.bulletins import read_bulletins

    engine = _engine()
    _, c = _context(engine, tenant, year, results=True)
    rows = read_bulletins(engine, c.id)
    if format is not OutputFormat.table:
        emit(out, format, BULLETIN_FIELDS, [b.model_dump() for b in rows])
        return
    if not rows:
        out.print(tr(f"{c.year} 年度还没有通报：阶段发布一个时期时写出（`bastion run quarterly --period …`）",
                     f"no bulletins yet for {c.year}: they are written when a period is published by its stage "
                     "(`bastion run quarterly --period …`)"))
    for b in rows:  # paths whole, one per line, so that they can be copied
        out.print(f"{b.period}  {b.title}\n    {b.docx_path}\n    {b.xlsx_path}", soft_wrap=True)


BULLETIN_FIELDS = (Field("period", "时期", "Period", "code"), Field("title", "标题", "Title"),
                   Field("docx_path", "通报", "Bulletin", "code"), Field("xlsx_path", "表格", "Table", "code"),
                   Field("created_at", "写出时间", "Written", "code"))


@app.command()
@handled
def serve(tenant: TenantOpt = None) -> None:
    """Serve every tenant's calendar as Prefect deployments with cron schedules (Asia/Shanghai) until stopped."""
    from prefect import serve as prefect_serve

    from bastion.core.stages.queries import calendar
    from bastion.flows.calendar import deployments

    schedule = calendar(_engine(), _registry(), tenant)
    if not schedule:
        raise BastionError(NO_CALENDAR())
    emit(out, OutputFormat.table, SCHEDULE_FIELDS, [vars(item) for item in schedule])
    prefect_serve(*deployments(schedule))


@app.command()
@handled
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="The Prefect work pool whose workers run the stages.")],
    tenant: TenantOpt = None,
) -> None:
    """Register every tenant's calendar with a standing Prefect server, for the workers of a work pool."""
    from prefect import deploy as prefect_deploy

    from bastion.core.stages.queries import calendar
    from bastion.flows.calendar import deployments

    schedule = calendar(_engine(), _registry(), tenant)
    if not schedule:
        raise BastionError(NO_CALENDAR())
    ids = prefect_deploy(*deployments(schedule, work_pool=pool), work_pool_name=pool, build=False, push=False,
                         print_next_steps_message=False)
    names = ", ".join(item.name for item in schedule)
    out.print(tr(f"已为工作池 {pool} 注册 {len(ids)} 个部署：{names}；启动工作进程：`prefect worker start --pool {pool}`",
                 f"{len(ids)} deployments registered for work pool {pool}: {names}; "
                 f"start a worker with `prefect worker start --pool {pool}`"))


def NO_CALENDAR() -> str:  # noqa: N802 - a message, rendered when raised
    return tr("还没有单位的方案带考核日历：先创建单位并开启考核年度",
              "no tenant has a scheme with a calendar yet: create a tenant and open a cycle first")


SCHEDULE_FIELDS = (Field("name", "部署", "Deployment", "code"), Field("cron", "cron（北京时间）", "cron (Asia/Shanghai)", "code"),
                   Field("description", "内容", "What", "prose"))


# --- rectification notices ------------------------------------------------------------------

rectify_app = typer.Typer(help="Rectification notices (整改通知书): list, answer, re-verify (复验).",
                          no_args_is_help=True)
app.add_typer(rectify_app, name="rectification")


@rectify_app.command("list")
@handled
def rectification_list(
    status: Annotated[str | None, typer.Option(help="issued, responded, verified, reopened or overdue.")] = None,
    org: Annotated[str | None, typer.Option("--org", "-o", help="One organisation's notices.")] = None,
    tenant: TenantOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The tenant's notices by deadline: number, organisation, problem, deadline, status."""
    if status is not None and status not in words.NOTICE_STATUS:
        raise BadValue(tr(f"--status {status}：无法识别，应为 {'、'.join(words.NOTICE_STATUS)}",
                          f"--status {status}: not a notice status; expected {', '.join(words.NOTICE_STATUS)}"))
    engine = _engine()
    t = tenants.lookup_tenant(engine, tenant)
    with engine.connect() as conn:
        frame = rectification_queries.read_notices(conn, t.id, status=status, org_code=org)
    emit(out, format, NOTICE_FIELDS, frame.to_dict("records"),
         title=f"{t.name} · {tr('整改通知书', 'rectification notices')} ({len(frame)})")


NOTICE_FIELDS = (
    Field("notice_no", "编号", "Notice", "code"),
    Field("code", "组织", "Org", "code"),
    Field("name", "组织名称", "Organisation", optional=True),
    Field("problem", "问题", "Problem", "prose"),
    Field("deadline", "整改期限", "Deadline", "code", show=lambda d: f"{d:%Y-%m-%d}"),
    Field("status", "状态", "Status", words=words.NOTICE_STATUS),
    Field("requirement", "", "", hidden=True),
    Field("issued_at", "", "", hidden=True),
    Field("response", "", "", hidden=True),
    Field("verifier", "", "", hidden=True),
    Field("verification_note", "", "", hidden=True),
)


@rectify_app.command("respond")
@handled
def rectification_respond(
    notice: Annotated[str, typer.Argument(help="The notice number, e.g. ZG2026-00012.")],
    response: Annotated[str, typer.Option("--response", help="What was rectified, and how (整改情况).")],
    tenant: TenantOpt = None,
) -> None:
    """A branch answers a notice."""
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        done = rectification_service.respond(session, tenant_id=t.id, notice_no=notice, response=response,
                                      actor=current_actor())
    out.print(tr(f"整改通知书 {done.notice_no} 已反馈：{_notice_status(done.status)}",
                 f"notice {done.notice_no} answered: {_notice_status(done.status)}"))


def _notice_status(code: str) -> str:
    """A notice's status in words, with its code (which `rectification list --status` takes)."""
    said = words.word(words.NOTICE_STATUS, code)
    return said if said == code else f"{said} ({code})"


@rectify_app.command("verify")
@handled
def rectification_verify(
    notice: Annotated[str, typer.Argument(help="The notice number.")],
    passed: Annotated[bool, typer.Option("--passed/--failed", help="The re-verification's result.")],
    note: Annotated[str, typer.Option("--note", help="What the re-verification found.")] = "",
    deadline: Annotated[str | None, typer.Option(help="New deadline (YYYY-MM-DD) when it failed.")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Re-verify (复验) an answered notice: --passed closes it, --failed reopens it with a new deadline."""
    with db.transaction(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        done = rectification_service.verify(session, tenant_id=t.id, notice_no=notice, passed=passed, note=note,
                                     verifier=current_actor(), new_deadline=_day(deadline))
    due = "" if passed else tr(f"，期限 {done.deadline:%Y-%m-%d}", f", due {done.deadline:%Y-%m-%d}")
    out.print(tr(f"整改通知书 {done.notice_no}：", f"notice {done.notice_no}: ") + _notice_status(done.status) + due)


# --- graded leader review ------------------------------------------------------------------

review_app = typer.Typer(help="Graded leader review (分级点评) of organisations.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("add")
@handled
def review_add(
    org: Annotated[str, typer.Option("--org", "-o", help="The organisation reviewed.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviews (点评人), e.g. 党委书记 王建国.")],
    achievements: Annotated[str, typer.Option("--achievements", help="成绩.")] = "",
    problems: Annotated[str, typer.Option("--problems", help="问题.")] = "",
    direction: Annotated[str, typer.Option("--direction", help="今后努力方向.")] = "",
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
) -> None:
    """Record a leader's review of an organisation: achievements, problems, direction."""
    engine, c, key = _period(tenant, year, period)
    with db.transaction(engine) as session:
        review = reviews.add_review(session, cycle=c, org_code=org, period=Period.parse(key), reviewer=reviewer,
                                    achievements=achievements, problems=problems, direction=direction,
                                    actor=current_actor())
    out.print(tr(f"已记录对 {org} 的 {key} 点评（#{review.id}）", f"review #{review.id} of {org} for {key} recorded"))


@review_app.command("list")
@handled
def review_list(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                format: FormatOpt = OutputFormat.table) -> None:
    """The reviews of a cycle (of one period with --period)."""
    engine = _engine()
    _, c = _context(engine, tenant, year, results=True, period=period)
    key = periods.in_cycle(c, period).key if period else None
    with engine.connect() as conn:
        frame = reviews.read_reviews(conn, c.id, key)
    if format is not OutputFormat.table:
        emit(out, format, REVIEW_FIELDS, frame.to_dict("records"))
        return
    out.print(f"[bold]{rich_escape(c.name)} · {tr('分级点评', 'graded leader review')}[/] ({len(frame)})")
    for r in frame.itertuples():  # prose, a paragraph each: wrapped by the terminal, whole when piped
        out.print(f"\n{r.period} · {r.code} {r.name} · {tr('点评人', 'reviewer')} {r.reviewer} · {r.created_at:%Y-%m-%d}",
                  markup=False)
        for field in REVIEW_FIELDS[-3:]:
            if text := getattr(r, field.key):
                out.print(f"  {field.header}{tr('：', ': ')}{text}", markup=False)


REVIEW_FIELDS = (
    Field("period", "时期", "Period", "code"), Field("code", "组织", "Org", "code"), Field("name", "组织名称", "Organisation"),
    Field("reviewer", "点评人", "Reviewer"), Field("created_at", "日期", "Date", "code"),
    Field("achievements", "成绩", "Achievements", "prose"), Field("problems", "问题", "Problems", "prose"),
    Field("direction", "方向", "Direction", "prose"),
)


# --- plugins -------------------------------------------------------------------------------


@plugins_app.command("list")
@handled
def plugins_list(format: FormatOpt = OutputFormat.table) -> None:
    """Installed plugins: name, version, what each contributes, which tenants enable it."""
    registry = _registry()
    with _engine().connect() as conn:
        enabling = tenants.tenants_enabling(conn)
    rows = [{"plugin": name, "version": info.version, "builtin": info.builtin,
             "contributes": registry.contributions_of(name), "tenants": enabling.get(name, [])}
            for name, info in sorted(registry.infos.items())]
    emit(out, format, PLUGIN_FIELDS, rows)
    if format is OutputFormat.table:
        for problem in registry.problems:
            out.print(f"[red]{rich_escape(str(problem))}[/]", soft_wrap=True)


PLUGIN_FIELDS = (
    Field("plugin", "插件", "Plugin", "code"),
    Field("version", "版本", "Version", "code"),
    Field("builtin", "类型", "Kind", show=lambda b: tr("内置", "built-in") if b else tr("已安装", "installed"),
          optional=True),
    Field("contributes", "提供", "Contributes", "prose",
          show=lambda c: "; ".join(f"{k}: {', '.join(v)}" for k, v in c.items())),
    Field("tenants", "启用单位", "Tenants", show=", ".join),
)


@plugins_app.command("check")
@handled
def plugins_check() -> None:
    """Validate every installed plugin and scheme; exit 1 naming each fault (plugin, where, what)."""
    registry = default_registry()
    problems = registry.check()
    for problem in problems:
        out.print(f"[red]{rich_escape(str(problem))}[/]", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    schemes = registry.schemes()
    out.print(tr(f"{len(registry.infos)} 个插件、{len(schemes)} 个方案均有效：",
                 f"{len(registry.infos)} plugins and {len(schemes)} schemes are valid: ")
              + ", ".join(f"{sid} {c.item.version} ({c.plugin})" for sid, c in sorted(schemes.items())))


# --- import --------------------------------------------------------------------------------

import_app = typer.Typer(help="Import organisations, ledger entries, findings or ratings from CSV or Excel.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file (see `bastion import template`).")]


def _import(kind: str, path: Path, tenant_code: str | None) -> None:
    from bastion.core.importing import import_file

    engine = _engine()
    tenant = tenants.lookup_tenant(engine, tenant_code)
    report = import_file(engine, tenant=tenant, kind=kind, path=path, registry=_registry(), actor=current_actor())
    out.print(str(report))


IMPORT_KINDS = {
    "organizations": "Organisations (党委/党总支/党支部/党小组): added, or updated by code.",
    "ledger": "Ledger entries (台账): meetings, study, volunteer hours, deeds …",
    "findings": "Check findings (检查发现): deductions and veto items against indicators.",
    "ratings": "Ratings (测评): ballot scores or levels from members, peers, superiors …",
}


def _import_command(kind: str, doc: str) -> None:
    def command(path: FileArg, tenant: TenantOpt = None) -> None:
        _import(kind, path, tenant)

    command.__doc__ = doc
    import_app.command(kind)(handled(command))


for _kind, _doc in IMPORT_KINDS.items():
    _import_command(_kind, _doc)


@import_app.command("template")
@handled
def import_template(
    kind: Annotated[str, typer.Argument(help="organizations, ledger, findings or ratings.")],
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write it: .xlsx or .csv.")],
) -> None:
    """Write an import template (header, an example row and, in Excel, a sheet 说明 of the columns)."""
    from bastion.core.importing import KINDS, write_template

    if kind not in KINDS:
        raise BadValue(tr(f"没有导入类型 {kind!r}：应为 {'、'.join(KINDS)}",
                          f"no import kind {kind!r}; choose one of {', '.join(KINDS)}"))
    write_template(kind, path, registry=_registry())
    out.print(tr(f"{kind} 导入模板已写到 {path}", f"template for {kind} written to {path}"), soft_wrap=True)


# --- demo ----------------------------------------------------------------------------------


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
    from bastion.demo import DEMO_PASSWORD, run_demo

    run_demo(_engine(), registry=_registry(), branches=branches, seed=seed, year=year, scheme_id=scheme, console=out,
             home=Settings.from_env().home)
    if not no_ui:
        _serve_ui("127.0.0.1", port, open_browser=True,
                  login=tr(f"以 leader（或 admin、inspector、secretary、rater）登录，密码 {DEMO_PASSWORD}",
                           f"log in as leader (or admin, inspector, secretary, rater), password {DEMO_PASSWORD}"))


# --- the UI --------------------------------------------------------------------------------


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
    engine = _engine()
    with engine.connect() as conn:
        if users.count_users(conn) == 0:
            raise BastionError(tr("还没有可登录的用户：先创建管理员 `bastion user add admin --role admin`"
                                  "（或运行 `bastion demo`）",
                                  "no user can log in yet: create the first administrator with "
                                  "`bastion user add admin --role admin` (or run `bastion demo`)"))
    _serve_ui(address, port, open_browser=not no_browser, login=tr("用你的账号登录", "log in with your user"))
