"""The ``bastion`` command line: every core service, one command each.

Where only one tenant and one cycle exist, commands use them without being told; otherwise
``--tenant`` and ``--year`` choose. Commands about results (results, explain, incentives, bulletins,
reviews, confirm, correct) take the latest cycle that has results when ``--year`` is not given.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion import __version__
from bastion.core import cycles, db, rectifications, reviews, scoring, tenants, users
from bastion.core.engine import Period
from bastion.core.errors import BastionError
from bastion.core.models import Cycle, Tenant, User
from bastion.core.registry import Registry, default_registry
from bastion.core.results import explain as explain_result
from bastion.core.results import incentive_records, read_incentives, read_results, results_records
from bastion.core.settings import Settings, current_actor
from bastion.tables import explanation_text, incentives_table, ranking_table

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


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]


def handled(command: F) -> F:
    """Print a :class:`BastionError` as one clear line on stderr and exit 1, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BastionError as exc:
            err.print(f"[bold red]Error:[/] {exc}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _engine() -> Engine:
    return db.connect(Settings.from_env())


def _registry() -> Registry:
    registry = default_registry()
    for problem in registry.problems:
        err.print(f"[yellow]Warning:[/] {problem}")
    return registry


def _context(engine: Engine, tenant_code: str | None, year: int | None, *,
             results: bool = False) -> tuple[Tenant, Cycle]:
    """The tenant and the cycle a command acts on; ``results``: a command about results, which without
    ``--year`` means the latest cycle that has some."""
    with Session(engine) as session:
        tenant = tenants.resolve_tenant(session, tenant_code)
        return tenant, cycles.resolve_cycle(session, tenant, year, with_results=results)


def _period(tenant_code: str | None, year: int | None, period: str | None) -> tuple[Engine, Cycle, str]:
    """The engine, the cycle and the period key a read-only command works on."""
    engine = _engine()
    _, cycle = _context(engine, tenant_code, year, results=True)
    return engine, cycle, scoring.period_in_cycle(cycle, period).key


def _version(value: bool) -> None:
    if value:
        out.print(f"bastion {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Show the version and exit.")] = False) -> None:
    """Configuration: BASTION_HOME (default ./.bastion) holds the embedded database;
    BASTION_DATABASE_URL points at another one (e.g. postgresql+psycopg://user@host/bastion)."""


# --- db ------------------------------------------------------------------------------------


@db_app.command("upgrade")
@handled
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    engine = db.connect(Settings.from_env(), migrate=False)
    db.upgrade(engine, revision)
    out.print(f"database at revision {db.current_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("current")
@handled
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    engine = db.connect(Settings.from_env(), migrate=False)
    out.print(f"current: {db.current_revision(engine)}  head: {db.head_revision()}  ({engine.url.render_as_string()})")


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
    out.print(f"tenant {tenant.code} created; plugins enabled: {', '.join(sorted(plugins))}")


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
    out.print(f"tenant {t.code}: enabled {', '.join(added) or 'nothing new'}; plugins now: {', '.join(now)}")


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
    out.print(f"tenant {t.code}: disabled {', '.join(removed)}; plugins now: {', '.join(now) or 'none'}")


@tenant_app.command("list")
@handled
def tenant_list() -> None:
    """List the tenants and their enabled plugins."""
    with Session(_engine()) as session:
        table = Table("code", "name", "plugins")
        for tenant in session.exec(select(Tenant).order_by(Tenant.code)):
            table.add_row(tenant.code, tenant.name, ", ".join(tenants.enabled_plugins(session, tenant.id)))
    out.print(table)


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
    out.print(f"user {username} created in {t.code}: {role} on {org or 'the whole tenant'}")


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
    out.print(f"{username}: {role} on {org or 'the whole tenant'} granted")


@user_app.command("revoke")
@handled
def user_revoke(username: Annotated[str, typer.Argument()], role: RoleOpt, org: OrgOpt = None,
                tenant: TenantOpt = None) -> None:
    """Take a role back."""
    with _user(username, tenant) as (session, user):
        users.revoke(session, user=user, role=role, org_code=org, actor=current_actor())
    out.print(f"{username}: {role} on {org or 'the whole tenant'} revoked")


@user_app.command("passwd")
@handled
def user_passwd(username: Annotated[str, typer.Argument()], password: PasswordOpt, tenant: TenantOpt = None) -> None:
    """Set a user's password."""
    with _user(username, tenant) as (session, user):
        users.set_password(session, user=user, password=password, actor=current_actor())
    out.print(f"password of {username} set")


@user_app.command("list")
@handled
def user_list(tenant: TenantOpt = None) -> None:
    """List the tenant's users and their roles."""
    engine = _engine()
    with Session(engine) as session:
        t = tenants.resolve_tenant(session, tenant)
    with engine.connect() as conn:
        frame = users.read_user_grants(conn, t.id)
    table = Table("username", "name", "active", "role", "organisation", "last login")
    for r in frame.itertuples():
        table.add_row(r.username, r.display_name, "yes" if r.active else "no", r.role or "",
                      f"{r.org_code} {r.org_name}" if r.org_code else "", str(r.last_login_at or "")[:16])
    out.print(table)


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
    _, cycle = _context(engine, tenant, year)
    with db.transaction(engine) as session:
        made = ballots.assign_ballots(session, actor=current_actor(), cycle=cycle,
                                      period=scoring.period_in_cycle(cycle, period).key, source=source,
                                      rater_username=rater, org_codes=org)
    out.print(f"{len(made)} new ballot(s) for {rater} ({source}); {len(org) - len(made)} already assigned")


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
    out.print(f"cycle {cycle.year} opened for {t.code} with scheme {cycle.scheme_id} {cycle.scheme_version}")


@cycle_app.command("list")
@handled
def cycle_list(tenant: TenantOpt = None) -> None:
    """List a tenant's cycles."""
    with Session(_engine()) as session:
        t = tenants.resolve_tenant(session, tenant)
        table = Table("year", "name", "scheme", "version", "status", "opened")
        for c in session.exec(select(Cycle).where(Cycle.tenant_id == t.id).order_by(Cycle.year)):
            table.add_row(str(c.year), c.name, c.scheme_id, c.scheme_version, c.status, f"{c.opened_at:%Y-%m-%d}")
    out.print(table)


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
    out.print(f"target of {indicator} for {org or category} set to {value:g}")


# --- scoring and results -------------------------------------------------------------------


@app.command()
@handled
def score(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Score a period now (draft results, replacing the period's earlier drafts)."""
    engine = _engine()
    _, c = _context(engine, tenant, year)
    summary = scoring.score_period(engine, cycle=c, period_key=period, registry=_registry(), actor=current_actor())
    out.print(f"scored {summary.period}: {summary.organizations} branches, mean {summary.mean_total:.2f}, "
              f"{summary.advanced} eligible for advanced (先进), {summary.vetoed} vetoed (一票否决)")


@app.command()
@handled
def publish(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Publish a scored period and apply the scheme's incentive policies (奖惩)."""
    engine = _engine()
    _, c = _context(engine, tenant, year)
    awards = scoring.publish_period(engine, cycle=c, period_key=period, registry=_registry(), actor=current_actor())
    out.print(f"published {period or c.year}: {awards} incentive(s) recorded")


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
        raise BastionError(f"period {key} has no results yet: run `bastion score --period {key}`")
    if format == OutputFormat.json:
        sys.stdout.write(json.dumps(results_records(frame), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(ranking_table(frame, title=f"{c.name} · {key}"))


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
    if format == OutputFormat.json:
        sys.stdout.write(json.dumps(incentive_records(frame), ensure_ascii=False, indent=2) + "\n")
        return
    if frame.empty:
        out.print(f"period {key} brought no incentives (is it published? `bastion publish --period {key}`)")
        return
    out.print(incentives_table(frame, title=f"{c.name} · {key} 奖惩兑现"))


@app.command()
@handled
def explain(
    org: Annotated[str, typer.Option("--org", "-o", help="Organisation code.")],
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Why a branch got its score: every indicator's points, rule, reason and evidence."""
    engine, c, key = _period(tenant, year, period)
    with engine.connect() as conn:
        ex = explain_result(conn, cycle=c, period=key, org_code=org)
    if format == OutputFormat.json:
        sys.stdout.write(json.dumps(ex.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
        return
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
    t, cycle = _context(engine, tenant, year, results=True)
    with Session(engine) as session:
        who = users.principal_of(session, users.find_user(session, t.id, as_user))
    done = correct_points(engine, who, cycle=cycle, period=scoring.period_in_cycle(cycle, period).key, org_code=org,
                          indicator_code=indicator, points=points, reason=reason, registry=_registry())
    out.print(f"{org} {indicator}: {done.old_points:g} → {done.new_points:g} points; "
              f"{len(done.changed)} result(s) changed; {done.awards} award(s) after the policies ran again")
    for r in done.changed.itertuples():
        out.print(f"  {r.code}: total {r.total_old:g} → {r.total_new:g}, rank {r.rank_old} → {r.rank_new}, "
                  f"{r.grade_old} → {r.grade_new}, {r.tier_old} → {r.tier_new}")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise BastionError(f"not a day: {value!r} (expected YYYY-MM-DD)") from None


@app.command("run")
@handled
def run_stage(
    stage: Annotated[str, typer.Argument(help="spot_check, monthly, quarterly, half_year, annual or rectification.")],
    period: PeriodOpt = None,
    on: OnOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Run a stage of the calendar now, as a Prefect flow (a stage that already succeeded does nothing)."""
    from bastion.core.stages import STAGES

    if stage not in STAGES:
        raise BastionError(f"no stage {stage!r}; stages: {', '.join(STAGES)}")
    day = _day(on)
    with Session(_engine()) as session:
        code = tenants.resolve_tenant(session, tenant).code
    from bastion.flows.stages import stage_flow

    summary = stage_flow(code, stage, period=period, on=day)
    out.print(f"{code} {stage}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, list)))


@app.command()
@handled
def confirm(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Confirm the annual results under the leaders' review: publish them, their incentives and the bulletin."""
    from bastion.core.stages import StageContext, confirm_review

    engine = _engine()
    _, c = _context(engine, tenant, year, results=True)
    ctx = StageContext(engine, _registry(), Settings.from_env().home, current_actor())
    run = confirm_review(ctx, c, period or str(c.year))
    out.print(f"{run.key}: published, {run.detail.get('awards', 0)} incentive(s); bulletin {run.detail.get('bulletin')}")


@app.command("stages")
@handled
def stage_runs(tenant: TenantOpt = None, year: YearOpt = None) -> None:
    """The stage runs of a tenant: what ran, when, how often, with what result (and the Prefect flow run)."""
    from bastion.core.stages import read_runs

    engine = _engine()
    with Session(engine) as session:
        t = tenants.resolve_tenant(session, tenant)
    table = Table("stage", "status", "tries", "finished", "flow run", "result")
    table.columns[0].no_wrap = True
    for run in read_runs(engine, t.id, year):
        result = run.error or ", ".join(f"{k} {len(v) if isinstance(v, list) else v}" for k, v in run.detail.items()
                                        if k not in ("bulletin", "table", "checks", "period"))
        table.add_row(run.key, run.status, str(run.attempts), f"{run.finished_at:%m-%d %H:%M}" if run.finished_at else "",
                      (run.flow_run_id or "—")[:8], result)
    out.print(table)


@app.command()
@handled
def bulletins(tenant: TenantOpt = None, year: YearOpt = None) -> None:
    """The bulletins (通报) in a cycle's archive: period, title, the .docx and the .xlsx."""
    from bastion.core.models import Bulletin

    engine = _engine()
    _, c = _context(engine, tenant, year, results=True)
    with Session(engine) as session:
        rows = session.exec(select(Bulletin).where(Bulletin.cycle_id == c.id).order_by(Bulletin.created_at)).all()
    if not rows:
        out.print(f"no bulletins yet for {c.year}: they are written when a period is published by its stage "
                  "(`bastion run quarterly --period …`)")
    for b in rows:
        out.print(f"{b.period}  {b.title}\n    {b.docx_path}\n    {b.xlsx_path}", soft_wrap=True)


@app.command()
@handled
def serve(tenant: TenantOpt = None) -> None:
    """Serve every tenant's calendar as Prefect deployments with cron schedules (Asia/Shanghai) until stopped."""
    from prefect import serve as prefect_serve

    from bastion.flows.calendar import calendar, deployments

    schedule = calendar(_engine(), _registry(), tenant)
    if not schedule:
        raise BastionError("no tenant has a scheme with a calendar yet: create a tenant and open a cycle first")
    table = Table("deployment", "cron (Asia/Shanghai)", "what")
    for item in schedule:
        table.add_row(item.name, item.cron, item.description)
    out.print(table)
    prefect_serve(*deployments(schedule))


@app.command()
@handled
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="The Prefect work pool whose workers run the stages.")],
    tenant: TenantOpt = None,
) -> None:
    """Register every tenant's calendar with a standing Prefect server, for the workers of a work pool."""
    from prefect import deploy as prefect_deploy

    from bastion.flows.calendar import calendar, deployments

    schedule = calendar(_engine(), _registry(), tenant)
    if not schedule:
        raise BastionError("no tenant has a scheme with a calendar yet: create a tenant and open a cycle first")
    ids = prefect_deploy(*deployments(schedule, work_pool=pool), work_pool_name=pool, build=False, push=False,
                         print_next_steps_message=False)
    out.print(f"{len(ids)} deployments registered for work pool {pool}: "
              + ", ".join(item.name for item in schedule) + f"; start a worker with `prefect worker start --pool {pool}`")


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
) -> None:
    """The tenant's notices by deadline: number, organisation, problem, deadline, status."""
    engine = _engine()
    with Session(engine) as session:
        t = tenants.resolve_tenant(session, tenant)
    with engine.connect() as conn:
        frame = rectifications.read_notices(conn, t.id, status=status, org_code=org)
    table = Table("notice", "org", "problem", "deadline", "status", title=f"{t.name} · 整改通知书 ({len(frame)})")
    table.columns[0].no_wrap = True
    for r in frame.itertuples():
        table.add_row(r.notice_no, r.code, r.problem, f"{r.deadline:%Y-%m-%d}", r.status)
    out.print(table)


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
        done = rectifications.respond(session, tenant_id=t.id, notice_no=notice, response=response,
                                      actor=current_actor())
    out.print(f"notice {done.notice_no} answered: {done.status}")


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
        done = rectifications.verify(session, tenant_id=t.id, notice_no=notice, passed=passed, note=note,
                                     verifier=current_actor(), new_deadline=_day(deadline))
    out.print(f"notice {done.notice_no}: {done.status}" + ("" if passed else f", due {done.deadline:%Y-%m-%d}"))


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
    out.print(f"review #{review.id} of {org} for {key} recorded")


@review_app.command("list")
@handled
def review_list(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """The reviews of a cycle (of one period with --period)."""
    engine = _engine()
    _, c = _context(engine, tenant, year, results=True)
    key = scoring.period_in_cycle(c, period).key if period else None
    with engine.connect() as conn:
        frame = reviews.read_reviews(conn, c.id, key)
    out.print(f"[bold]{c.name} · 分级点评[/] ({len(frame)})")
    for r in frame.itertuples():
        out.print(f"\n{r.period} · {r.code} {r.name} · 点评人 {r.reviewer} · {r.created_at:%Y-%m-%d}")
        for label, text in (("成绩", r.achievements), ("问题", r.problems), ("方向", r.direction)):
            if text:
                out.print(f"  {label}：{text}")


# --- plugins -------------------------------------------------------------------------------


@plugins_app.command("list")
@handled
def plugins_list() -> None:
    """Installed plugins: name, version, what each contributes, which tenants enable it."""
    registry = _registry()
    with Session(_engine()) as session:
        enabling = tenants.tenants_enabling(session)
    table = Table("plugin", "version", "kind", "contributes", "tenants")
    for name, info in sorted(registry.infos.items()):
        contributes = "; ".join(f"{k}: {', '.join(v)}" for k, v in registry.contributions_of(name).items())
        table.add_row(name, info.version, "built-in" if info.builtin else "installed", contributes,
                      ", ".join(enabling.get(name, [])))
    out.print(table)
    for problem in registry.problems:
        out.print(f"[red]{problem}[/]")


@plugins_app.command("check")
@handled
def plugins_check() -> None:
    """Validate every installed plugin and scheme; exit 1 naming each fault (plugin, where, what)."""
    registry = default_registry()
    problems = registry.check()
    for problem in problems:
        out.print(f"[red]{problem}[/]")
    if problems:
        raise typer.Exit(1)
    schemes = registry.schemes()
    out.print(f"{len(registry.infos)} plugins and {len(schemes)} schemes are valid: "
              + ", ".join(f"{sid} {c.item.version} ({c.plugin})" for sid, c in sorted(schemes.items())))


# --- import --------------------------------------------------------------------------------

import_app = typer.Typer(help="Import organisations, ledger entries, findings or ratings from CSV or Excel.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file (see `bastion import template`).")]


def _import(kind: str, path: Path, tenant_code: str | None) -> None:
    from bastion.core.importing import import_file

    engine = _engine()
    with Session(engine) as session:
        tenant = tenants.resolve_tenant(session, tenant_code)
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
        raise BastionError(f"no import kind {kind!r}; choose one of {', '.join(KINDS)}")
    write_template(kind, path, registry=_registry())
    out.print(f"template for {kind} written to {path}")


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
                  login=f"log in as leader (or admin, inspector, secretary, rater), password {DEMO_PASSWORD}")


# --- the UI --------------------------------------------------------------------------------


def _serve_ui(address: str, port: int, *, open_browser: bool, login: str) -> None:
    from bastion.ui.launch import serve

    def announce(url: str) -> None:
        out.print(f"Dashboard (领导驾驶舱): {url}/dashboard — {login}. Ctrl-C stops it.")

    code = serve(address=address, port=port, open_browser=open_browser, announce=announce)
    if code:
        raise BastionError(f"the UI server stopped with exit code {code} (is port {port} taken? try --port)")


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
            raise BastionError("no user can log in yet: create the first administrator with "
                               "`bastion user add admin --role admin` (or run `bastion demo`)")
    _serve_ui(address, port, open_browser=not no_browser, login="log in with your user")
