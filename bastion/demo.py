"""``bastion demo``: a sample enterprise, a year of its party work, and the year run through the calendar.

The sample tenant ``demo`` (示范集团) is built from its seed in the configured database (the
embedded one by default), other tenants alongside. Run again, it is rebuilt in a fresh database,
never by deleting: the embedded database is kept as it was beside the new one
(:func:`fresh_database`), any other is refused unless it holds no demo yet. Its year then runs as
the flows would run it, fast-forwarded: every stage of the scheme's calendar on its day, as a
Prefect flow — against the Prefect server configured (``PREFECT_API_URL``) or, without one, a
local server Prefect starts once for the whole demo. The leaders' review of the annual results is
confirmed by the demo, as a leader would.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cronsim import CronSim
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion.core import cycles, standings, tenants, users
from bastion.core.ballots import box, rounds, slips
from bastion.core import db
from bastion.core.db import transaction
from bastion.core.settings import Settings, public_url
from bastion.core.errors import Conflict, NotFound
from bastion.core.models import Cycle, Organization, OrgLevel, StageStatus, Tenant
from bastion.core.registry import Registry
from bastion.core.notify import service as notify_service
from bastion.core.results import read_incentives, read_results
from bastion.core.scheme import Scheme
from bastion.core.periods import STAGE_MONTHS, last_completed
from bastion.core.stages.service import StageContext, confirm_review, open_year, run_stage
from bastion.core.importing import import_file
from bastion.synthetic import Generated, build_tree, generate_facts, write_register
from bastion.core import words
from bastion.core.i18n import tr
from bastion.core.results import results_records
from bastion.tables import award_counts, ranking_table, stage_summary

DEMO_TENANT = "demo"
DEMO_NAME = "示范集团有限公司"
BASE_PLUGINS = ("standard-rules", "standard-ledgers", "log-notifier", "channels")  # channels: none on until set
ACTOR = "demo"


DEMO_STAGES = ("spot_check", "monthly", "quarterly", "half_year", "annual", "rectification")


@dataclass(frozen=True)
class Step:
    on: date
    stage: str
    period: str | None = None


def timeline(scheme: Scheme, year: int) -> list[Step]:
    """The year's calendar, fast-forwarded: every period stage on its cron days (assessing ``year``), a spot
    check in each quarter (the first day its cron fires there), and a rectification follow-up the day after
    each half-year and annual stage."""
    steps = []
    for entry in scheme.calendar:
        if entry.stage not in DEMO_STAGES:
            continue
        days = [t.date() for t in _fires(entry.cron, year)]
        if entry.stage == "spot_check":
            firsts = {}
            for day in days:
                if day.year == year:
                    firsts.setdefault((day.month - 1) // 3, day)
            steps += [Step(day, "spot_check") for day in firsts.values()]
        elif entry.stage in STAGE_MONTHS:
            for day in days:
                period = last_completed(STAGE_MONTHS[entry.stage], day)
                if period.year == year:
                    steps.append(Step(day, entry.stage, period.key))
                    if entry.stage in ("half_year", "annual"):
                        steps.append(Step(day + timedelta(days=1), "rectification"))
    return sorted(steps, key=lambda s: (s.on, s.stage != "spot_check"))


def _fires(cron: str, year: int):
    """The times ``cron`` fires from the start of ``year`` to the end of next January (annual stages run then)."""
    it = CronSim(cron, datetime(year, 1, 1))
    while (fired := next(it)) < datetime(year + 1, 2, 1):
        yield fired


@dataclass(frozen=True)
class Sample:
    tenant: Tenant
    cycle: Cycle
    scheme: Scheme
    made: Generated
    members: int = 0  # on the register (党员名册), imported as a file


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    org_code: str | None
    display_name: str


DEMO_PASSWORD = "Bastion@2026"  # meets the password rule (core.users): 8+ characters, 3 kinds


def fresh_database(engine: Engine, settings: Settings) -> tuple[Engine, Path | None]:
    """The database the demo is built in: the configured one while it holds no demo tenant; else, for the
    embedded database, a new one — the previous file kept as it is beside it (its history and audit trail
    intact), whose path is returned; any other database is refused: give the demo an empty one."""
    with Session(engine) as session:
        if session.exec(select(Tenant.id).where(Tenant.code == DEMO_TENANT)).first() is None:
            return engine, None
    embedded = Settings(home=settings.home, database_url=f"sqlite:///{settings.home / 'bastion.db'}")
    if settings.database_url != embedded.database_url:
        raise Conflict(tr(f"{engine.url.render_as_string()} 中已有演示单位 {DEMO_TENANT}：演示只在新数据库中重建"
                          "（历史与审计日志从不删除）；请为演示指定一个空数据库",
                          f"{engine.url.render_as_string()} already holds the demo tenant {DEMO_TENANT}: the demo is "
                          "rebuilt only in a fresh database (history and the audit trail are never deleted); give "
                          "it an empty one"))
    engine.dispose()
    from bastion.flows.stages import forget_engines

    forget_engines()  # a flow run earlier in this process must not write into the file kept
    current = settings.home / "bastion.db"
    kept = settings.home / f"bastion-{datetime.now():%Y%m%d-%H%M%S}.db"
    current.rename(kept)
    for suffix in ("-wal", "-shm"):  # WAL files are checkpointed and removed when the last connection closes
        leftover = current.with_name(current.name + suffix)
        if leftover.exists():
            leftover.rename(kept.with_name(kept.name + suffix))
    return db.connect(settings), kept


def build_sample(engine: Engine, *, registry: Registry, branches: int, seed: int, year: int,
                 scheme_id: str = "target-table") -> Sample:
    """The sample tenant (rebuilt from scratch), its organisation tree and a year of facts."""
    schemes = registry.schemes()
    if scheme_id not in schemes:
        raise NotFound(tr(f"已安装的插件都不提供方案 {scheme_id!r}（可用方案：{'、'.join(sorted(schemes))}）",
                          f"no installed plugin contributes a scheme {scheme_id!r} (schemes: {', '.join(sorted(schemes))})"))
    plugins = {*BASE_PLUGINS, schemes[scheme_id].plugin} & set(registry.infos)
    with transaction(engine) as session:
        if session.exec(select(Tenant).where(Tenant.code == DEMO_TENANT)).first() is not None:
            raise Conflict(tr(f"数据库中已有演示单位 {DEMO_TENANT}：演示只在新数据库中重建（历史与审计日志从不删除）",
                              f"the database already holds the demo tenant {DEMO_TENANT}: the demo is rebuilt only "
                              f"in a fresh database (history and the audit trail are never deleted)"))
        tenant = tenants.create_tenant(session, code=DEMO_TENANT, name=DEMO_NAME, plugins=plugins,
                                       registry=registry, actor=ACTOR)
        cycle = cycles.open_cycle(session, tenant=tenant, year=year, registry=registry, actor=ACTOR,
                                  scheme_id=scheme_id)
    scheme = cycles.cycle_scheme(cycle)
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=seed, year=year)
    made = generate_facts(engine, tenant_id=tenant.id, scheme=scheme, branches=orgs, year=year, seed=seed)
    with tempfile.TemporaryDirectory(prefix="bastion-demo-") as folder:  # the register, through its importer
        register = write_register(Path(folder) / "党员名册.csv", orgs, seed=seed, year=year)
        members = import_file(engine, tenant=tenant, kind="members", path=register, registry=registry, actor=ACTOR)
    return Sample(tenant, cycle, scheme, made, members.inserted)


def demo_users(engine: Engine, tenant: Tenant) -> list[DemoUser]:
    """One user per role, all with :data:`DEMO_PASSWORD`: the secretary of the first branch, the others
    on the whole enterprise (raters need no account: they vote by code)."""
    with Session(engine) as session:
        first = session.exec(select(Organization.code).where(Organization.tenant_id == tenant.id,
                                                             Organization.level == OrgLevel.branch.value)
                             .order_by(Organization.code)).first()
    people = [DemoUser("admin", "admin", None, "系统管理员"), DemoUser("leader", "leader", None, "党委书记"),
              DemoUser("inspector", "inspector", None, "督查组"), DemoUser("secretary", "secretary", first, "支部书记"),
              DemoUser("auditor", "auditor", None, "审计管理员")]
    with transaction(engine) as session:
        for person in people:
            users.create_user(session, tenant=tenant, username=person.username, password=DEMO_PASSWORD,
                              display_name=person.display_name, grants=[(person.role, person.org_code)], actor=ACTOR)
    return people


@dataclass(frozen=True)
class DemoRound:
    """The demo's ballot round: the slips file, how many codes and ballots, and one code left to try."""

    period: str
    slips: Path
    codes: int
    cast: int
    spare: str | None


def demo_round(engine: Engine, sample: Sample, year: int, *, registry: Registry, home: Path,
               cast: int = 12) -> DemoRound | None:
    """Open ``year``'s ballot round from the register and the tree, write its slips into ``home``, and cast
    ``cast`` ballots through their codes as members of the first branch would on the ballot page. None where the
    scheme asks no secret ballot."""
    with transaction(engine) as session:
        cycle = cycles.resolve_cycle(session, sample.tenant, year)
        if not rounds.secret_sources(session.connection(), cycle, registry):
            return None  # the scheme asks no ballot of members, peers or the superior
        found = rounds.open_round(session, actor=ACTOR, cycle=cycle, period=str(year), registry=registry)
    with transaction(engine) as session:
        made = rounds.issue_codes(session, actor=ACTOR, round_id=found.id)
        path = home / f"测评码-{year}.pdf"
        slips.write_slips(path, made, title=f"{year} 年度民主测评", base_url=public_url(), deadline=found.deadline)
    first = sorted({s.org_code for s in made})[0]
    mine = [s for s in made if s.org_code == first and s.source == "members"]
    rng = random.Random(year)
    for slip in mine[:cast]:
        with transaction(engine) as session:
            paper = box.paper(session, slip.code, registry)
            answers = {q.key: (rng.choice(q.choices[:2]) if q.qualitative else float(rng.randint(82, 98)))
                       for q in paper.questions}
            box.cast(session, slip.code, answers, registry)
    spare = mine[cast].code if len(mine) > cast else None
    return DemoRound(str(year), path, len(made), min(cast, len(mine)), spare)


StepRunner = Callable[[Step, int], dict]


def flow_runner() -> StepRunner:
    """Each step as a run of the ``bastion-stage`` Prefect flow."""
    from bastion.flows.stages import stage_flow  # imports Prefect: only when the demo runs

    return lambda step, year: stage_flow(DEMO_TENANT, step.stage, period=step.period, on=step.on, year=year)


def direct_runner(ctx: StageContext, cycle: Cycle) -> StepRunner:
    """Each step run in-process by ``core.stages``, as ``bastion run`` does (tests and tools)."""

    def run(step: Step, year: int) -> dict:
        if step.stage == "open_cycle":
            with Session(ctx.engine) as session:
                tenant = session.get(Tenant, cycle.tenant_id)
            run = open_year(ctx, tenant, year)
        else:
            run = run_stage(ctx, cycle, step.stage, period=step.period, on=step.on)
        return {"status": "already succeeded"} if run is None else {"status": run.status, **run.detail}

    return run


def run_year(engine: Engine, *, registry: Registry, home: Path, sample: Sample, runner: StepRunner,
             console: Console | None = None) -> None:
    """Every stage of the sample's calendar on its day; the leaders' review confirmed as a leader would."""
    year, cycle = sample.cycle.year, sample.cycle
    steps = timeline(sample.scheme, year)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False,
                  # piped, each stage's line says the progress: no bar frames in the output
                  disable=console is None or not console.is_terminal) as progress:
        bar = progress.add_task("考核日历", total=len(steps))
        for step in steps:
            progress.update(bar, description=f"{step.on:%Y-%m-%d} {words.word(words.STAGE, step.stage)} {step.period or ''}")
            summary = runner(step, year)
            said = ""
            if summary.get("status") == StageStatus.awaiting_review:
                ctx = StageContext(engine, registry, home, ACTOR)
                run = confirm_review(ctx, cycle, step.period, today=step.on)
                summary, said = {"status": run.status, **run.detail}, tr("领导审核确认后发布，", "published once the leaders confirmed: ")
            progress.advance(bar)
            if console is not None:
                what = words.word(words.STAGE, step.stage) + (f" {step.period}" if step.period else "")
                console.print(f"{step.on:%Y-%m-%d} {what}{tr('：', ': ')}{said}{stage_summary(summary)}")


def open_next_year(sample: Sample, runner: StepRunner) -> int:
    """Open the cycle after the sample's year on its New Year's Day, as the calendar does: the year the
    workspaces then record into. Returns that year."""
    following = sample.cycle.year + 1
    runner(Step(date(following, 1, 1), "open_cycle"), following)
    return following


def run_demo(engine: Engine, *, registry: Registry, branches: int, seed: int, year: int, console: Console,
             home: Path, scheme_id: str = "target-table") -> Sample:
    """Build the sample enterprise and run its year through the Prefect flows, stage by stage."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the demo reports each stage itself
    started = time.perf_counter()
    sample = build_sample(engine, registry=registry, branches=branches, seed=seed, year=year, scheme_id=scheme_id)
    made, cycle = sample.made, sample.cycle
    console.print(tr(f"示范企业 {DEMO_NAME}：{made.branches} 个党支部，{made.ledger_entries} 条台账，"
                     f"{made.findings} 条检查发现，{made.ratings} 张测评票（{year}）",
                     f"sample enterprise {DEMO_NAME}: {made.branches} branches, {made.ledger_entries} ledger entries, "
                     f"{made.findings} findings, {made.ratings} ballots ({year})"))
    console.print(tr(f"党员名册：{sample.members} 名党员，由名册文件导入（`bastion members list --as admin`）",
                     f"members' register: {sample.members} members, imported from a register file "
                     "(`bastion members list --as admin`)"))
    runner = flow_runner()
    run_year(engine, registry=registry, home=home, sample=sample, runner=runner, console=console)

    with engine.connect() as conn:
        frame = standings.beside(conn, cycle, str(year), read_results(conn, cycle.id, str(year)))
        awards = read_incentives(conn, cycle.id, str(year))
    console.print(ranking_table(results_records(frame), title=f"{cycle.name} · {year} {tr('排名', 'ranking')}",
                                width=console.width))
    if not awards.empty:
        console.print(tr(f"{year} 奖惩兑现：", f"{year} incentives: ") + award_counts(awards))
    if sample.scheme.standings is not None:  # 分类定级、提档升级: the grading the year's publication made
        rule = sample.scheme.standings
        with engine.connect() as conn:
            held = standings.counts(conn, sample.tenant.id, rule.ladder)
            moved = standings.period_steps(conn, cycle.id, str(year))["move"].value_counts()
        console.print(tr(f"{year} {rule.name}定级：提档 {int(moved.get('up', 0))} 个，降档 {int(moved.get('down', 0))} 个；",
                         f"{year} standings: {int(moved.get('up', 0))} up, {int(moved.get('down', 0))} down; ")
                      + tr("、", ", ").join(f"{r.standing} {r.branches}" for r in held.itertuples())
                      + tr("（`bastion standings list`）", " (`bastion standings list`)"))
    following = open_next_year(sample, runner)
    console.print(tr(f"{following}-01-01 开启 {following} 考核年度：各支部可在工作台记录台账",
                     f"{following}-01-01 the {following} cycle opened: branches record their ledgers in the workspace"))
    people = demo_users(engine, sample.tenant)
    opened = demo_round(engine, sample, following, registry=registry, home=home)
    if opened is not None:
        console.print(tr(f"{following} 年度民主测评已开启：按党员名册和组织树生成 {opened.codes} 个测评码（{opened.slips}），"
                         f"已凭码投票 {opened.cast} 张",
                         f"the {following} ballot round is open: {opened.codes} codes drawn from the register and the "
                         f"tree ({opened.slips}), {opened.cast} ballots cast by code"))
    if opened is not None and opened.spare:
        console.print(tr(f"试投一票：{slips.ballot_url(public_url(), opened.spare)}",
                         f"cast one yourself: {slips.ballot_url(public_url(), opened.spare)}"))
    told = notify_service.run(engine, registry, sample.tenant, actor=ACTOR)  # the day's reminders, to the inboxes
    console.print(tr(f"站内通知：新增 {told['planned']} 条，已送达 {told['sent']} 条（登录后点侧栏的铃铛查看；"
                     "`bastion inbox list --as secretary`）",
                     f"notifications: {told['planned']} new, {told['sent']} delivered to the inboxes (the bell in the "
                     "sidebar; `bastion inbox list --as secretary`)"))
    console.print(tr(f"演示账号（密码均为 {DEMO_PASSWORD}）：", f"demo users (password {DEMO_PASSWORD} for all): ") +
                  tr("，", ", ").join(f"{p.username}（{p.display_name}）" for p in people))
    best, took = frame.iloc[0]["code"], time.perf_counter() - started
    console.print(tr(f"用时 {took:.1f} 秒。接下来：`bastion results --format json`、`bastion explain --org {best}`、"
                     "`bastion ui`。",
                     f"Done in {took:.1f} s. Next: `bastion results --format json`, `bastion explain --org {best}`, "
                     "`bastion ui`."))
    return sample
