"""The calendar: ``run`` and ``confirm`` (each a Prefect flow), ``stages``, ``bulletins``, ``serve`` and ``deploy``."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import tenants, words
from bastion.core.errors import BastionError
from bastion.core.i18n import tr
from bastion.core.words import word
from bastion.core.periods import Period
from bastion.listings import Field, OutputFormat, emit
from bastion.tables import stage_summary

from .common import FormatOpt, PeriodOpt, TenantOpt, YearOpt, context, day, engine, handled, out, registry

app = typer.Typer()  # top-level commands, merged into ``bastion``

OnOpt = Annotated[str | None, typer.Option("--on", help="The day the stage acts on, YYYY-MM-DD (default: today).")]


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
    on_day = day(on)
    if period is not None:
        Period.parse(period)
    code = tenants.lookup_tenant(engine(), tenant).code
    from bastion.flows.stages import stage_flow

    summary = stage_flow(code, stage, period=period, on=on_day)
    if summary.get("status") == "held elsewhere":
        raise BastionError(summary["detail"])
    status = words.word(words.STAGE_STATUS, summary["status"]) if "key" in summary else ""
    said = tr("，", ", ").join(filter(None, (status, stage_summary(summary))))
    out.print(f"{code} {words.word(words.STAGE, stage)} {summary.get('key', '')}".rstrip() + tr("：", ": ") + said)


@app.command()
@handled
def confirm(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Confirm the annual results under the leaders' review, as a Prefect flow: publish them, their incentives
    and the bulletin."""
    t, c = context(engine(), tenant, year, results=True, period=period)
    from bastion.flows.stages import stage_flow

    summary = stage_flow(t.code, "confirm", period=period or str(c.year), year=c.year)
    if summary.get("status") == "held elsewhere":
        raise BastionError(summary["detail"])
    if "key" not in summary:  # confirmed before: the same request twice acts once
        out.print(tr(f"{period or c.year}：已确认并发布，无需再次确认",
                     f"{period or c.year}: already confirmed and published; nothing to do"))
        return
    awards, bulletin = summary.get("awards", 0), summary.get("bulletin")
    out.print(tr(f"{summary['key']}：已发布，奖惩 {awards} 项；通报 {bulletin}",
                 f"{summary['key']}: published, {awards} incentive(s); bulletin {bulletin}"))


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
    and the Prefect flow run (blank when the stage ran in-process, without Prefect)."""
    from bastion.core.stages.queries import read_runs

    store = engine()
    t = tenants.lookup_tenant(store, tenant)
    rows = [{**run.model_dump(), "result": run.error or stage_summary(run.detail)}
            for run in read_runs(store, t.id, year)]
    emit(out, format, STAGE_RUN_FIELDS, rows)


BULLETIN_FIELDS = (Field("period", "时期", "Period", "code"), Field("version", "版次", "Version", "number"),
                   Field("status", "状态", "Status", words=words.BULLETIN_STATUS), Field("title", "标题", "Title"),
                   Field("reason", "重新印发原因", "Re-issued because", "prose"),
                   Field("docx_path", "通报", "Bulletin", "code"), Field("xlsx_path", "表格", "Table", "code"),
                   Field("issued_at", "印发时间", "Issued", "code"))


@app.command()
@handled
def bulletins(tenant: TenantOpt = None, year: YearOpt = None, format: FormatOpt = OutputFormat.table) -> None:
    """The bulletins (通报) in a cycle's archive, every version a correction re-issued: period, version, in force
    or superseded, title, the .docx and the .xlsx."""
    from bastion.core.bulletins.queries import read_bulletins

    store = engine()
    _, c = context(store, tenant, year, results=True)
    rows = read_bulletins(store, c.id)
    if format is not OutputFormat.table:
        emit(out, format, BULLETIN_FIELDS, rows)
        return
    if not rows:
        out.print(tr(f"{c.year} 年度还没有通报：阶段发布一个时期时写出（`bastion run quarterly --period …`）",
                     f"no bulletins yet for {c.year}: they are written when a period is published by its stage "
                     "(`bastion run quarterly --period …`)"))
    for b in rows:  # paths whole, one per line, so that they can be copied
        issue = tr(f"第 {b['version']} 版", f"version {b['version']}") + " · " + word(words.BULLETIN_STATUS, b["status"])
        why = tr(f"（{b['reason']}）", f" ({b['reason']})") if b["reason"] else ""
        out.print(f"{b['period']}  {b['title']}  {issue}{why}\n    {b['docx_path']}\n    {b['xlsx_path']}",
                  soft_wrap=True)


def NO_CALENDAR() -> str:  # noqa: N802 - a message, rendered when raised
    return tr("还没有单位的方案带考核日历：先创建单位并开启考核年度",
              "no tenant has a scheme with a calendar yet: create a tenant and open a cycle first")


SCHEDULE_FIELDS = (Field("name", "部署", "Deployment", "code"), Field("cron", "cron（北京时间）", "cron (Asia/Shanghai)", "code"),
                   Field("description", "内容", "What", "prose"))


@app.command()
@handled
def serve(tenant: TenantOpt = None) -> None:
    """Serve every tenant's calendar as Prefect deployments with cron schedules (Asia/Shanghai) until stopped."""
    from prefect import serve as prefect_serve

    from bastion.core.stages.queries import calendar
    from bastion.flows.calendar import deployments

    schedule = calendar(engine(), registry(), tenant)
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

    schedule = calendar(engine(), registry(), tenant)
    if not schedule:
        raise BastionError(NO_CALENDAR())
    ids = prefect_deploy(*deployments(schedule, work_pool=pool), work_pool_name=pool, build=False, push=False,
                         print_next_steps_message=False)
    names = ", ".join(item.name for item in schedule)
    out.print(tr(f"已为工作池 {pool} 注册 {len(ids)} 个部署：{names}；启动工作进程：`prefect worker start --pool {pool}`",
                 f"{len(ids)} deployments registered for work pool {pool}: {names}; "
                 f"start a worker with `prefect worker start --pool {pool}`"))
