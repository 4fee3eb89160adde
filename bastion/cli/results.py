"""Scoring and results: ``score``, ``publish``, ``results``, ``incentives``, ``explain``, ``correct`` and ``verify``."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bastion.core import incentives as binding
from bastion.core import periods, scoring, standings, users, words
from bastion.core.errors import BadValue, BastionError
from bastion.core.i18n import tr
from bastion.core.lifecycle import AlreadyDone
from bastion.core.models import OrgLevel
from bastion.core.results import (
    branch_incentive_records,
    incentive_records,
    read_branch_incentives,
    read_incentives,
    read_results,
    results_records,
)
from bastion.core.results import explain as explain_result
from bastion.core.settings import Settings, current_actor
from bastion.core.verify import DIFFERENCE_COLUMNS, Verification, verify_period
from bastion.core.words import word
from bastion.listings import (
    ExportFormat,
    OutputFormat,
    emit,
    write_csv,
    write_json,
    xlsx_bytes,
)
from bastion.tables import (
    BRANCH_INCENTIVES,
    DIFFERENCES,
    INCENTIVES,
    branch_incentive_fields,
    explanation_text,
    incentive_style,
    ranking_fields,
    ranking_style,
)

from .common import (
    FormatOpt,
    PeriodOpt,
    TenantOpt,
    YearOpt,
    context,
    engine,
    handled,
    out,
    period_context,
    registry,
)

app = typer.Typer()  # top-level commands, merged into ``bastion``


@app.command()
@handled
def score(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Score a period now (draft results, replacing the period's earlier drafts)."""
    store = engine()
    _, c = context(store, tenant, year, period=period)
    summary = scoring.score_period(store, cycle=c, period_key=period, registry=registry(), actor=current_actor())
    out.print(tr(f"已评分 {summary.period}：{summary.organizations} 个党支部，平均 {summary.mean_total:.2f} 分，"
                 f"{summary.advanced} 个可评先进，{summary.vetoed} 个一票否决",
                 f"scored {summary.period}: {summary.organizations} branches, mean {summary.mean_total:.2f}, "
                 f"{summary.advanced} eligible for advanced (先进), {summary.vetoed} vetoed (一票否决)"))


@app.command()
@handled
def publish(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None) -> None:
    """Publish a scored period and apply the scheme's incentive policies (奖惩)."""
    store = engine()
    _, c = context(store, tenant, year, period=period)
    try:
        awards = scoring.publish_period(store, cycle=c, period_key=period, registry=registry(),
                                        actor=current_actor())
    except AlreadyDone as done:  # the same request twice acts once
        out.print(tr(f"{done}：无需再次发布", f"{done}: nothing to do"))
        return
    out.print(tr(f"已发布 {period or c.year}：记录奖惩 {awards} 项", f"published {period or c.year}: {awards} incentive(s) recorded"))


@app.command()
@handled
def results(
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    level: Annotated[OrgLevel, typer.Option(
        "--level", "-l", help="Which level's ranking: branch (党支部), general_branch (党总支), committee (党委) "
        "or group (党小组), where the scheme assesses it.")] = OrgLevel.branch,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The ranking of a period: total, rate, grade, rank, tier, vetoes (of one level: branches by default)."""
    store, c, key = period_context(tenant, year, period)
    with store.connect() as conn:
        frame = read_results(conn, c.id, key, level=level.value)
        if level is OrgLevel.branch:
            frame = standings.beside(conn, c, key, frame)  # 星级 where the scheme grades standings
    if frame.empty:
        if level is not OrgLevel.branch:
            raise BastionError(tr(f"{key} 没有 {word(words.LEVEL, level.value)} 的考核结果：方案的 levels 是否考核该层级？",
                                  f"period {key} has no results at level {level.value}: does the scheme's "
                                  f"levels assess it?"))
        raise BastionError(tr(f"{key} 还没有考核结果：先运行 `bastion score --period {key}`",
                              f"period {key} has no results yet: run `bastion score --period {key}`"))
    records = results_records(frame)
    emit(out, format, ranking_fields(records), records, data=records, title=f"{c.name} · {key}", style=ranking_style)


@app.command()
@handled
def incentives(
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
    format: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="table (for people), json, csv or xlsx (json, csv: stable codes and raw values; "
        "xlsx needs --output).")] = ExportFormat.table,
    pool: Annotated[str | None, typer.Option(
        "--pool", help="A bonus pool in yuan (500000, 100000.01): each branch's amount, in proportion to its "
        "coefficient (× its members where the policy says so), in fen that add up to the pool.")] = None,
    by_branch: Annotated[bool, typer.Option(
        "--by-branch", help="One row per branch: its bonus coefficient, its unit's multiplier and its bar "
        "(implied by --pool).")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Write the json, csv or xlsx to this file instead of the terminal.", dir_okay=False)] = None,
) -> None:
    """The rewards, sanctions, talks, rectifications and multipliers a published period brought (奖惩兑现); with
    --by-branch or --pool, what they bind per branch: coefficients, the pool's amounts, multipliers, bars."""
    if format is ExportFormat.xlsx and output is None:
        raise BadValue(tr("--format xlsx 需要 --output 文件名（如 --output 奖金分配.xlsx）",
                          "--format xlsx needs --output FILE (e.g. --output bonus.xlsx)"))
    if format is ExportFormat.table and output is not None:
        raise BadValue(tr("--output 需要 --format json、csv 或 xlsx", "--output needs --format json, csv or xlsx"))
    amount = binding.parse_pool(pool) if pool is not None else None
    store, c, key = period_context(tenant, year, period)
    if amount is not None or by_branch:
        _branch_incentives(store, c, key, amount, format, output)
        return
    with store.connect() as conn:
        frame = read_incentives(conn, c.id, key)
    records = incentive_records(frame)
    if frame.empty and format is ExportFormat.table:
        out.print(tr(f"{key} 没有奖惩兑现（是否已发布？`bastion publish --period {key}`）",
                     f"period {key} brought no incentives (is it published? `bastion publish --period {key}`)"))
        return
    title = f"{c.name} · {key} {tr('奖惩兑现', 'incentives')}"
    _export(format, INCENTIVES, records, title=title, sheet=tr("奖惩兑现", "incentives"), output=output,
            style=incentive_style)


def _branch_incentives(store, c, key: str, pool: Decimal | None, format: ExportFormat, output: Path | None) -> None:
    """``incentives --by-branch`` / ``--pool``: each branch's coefficient, amount, multiplier and bar."""
    from bastion.core.tenants import enabled_plugins

    with Session(store) as session:
        by_members = binding.per_member(c, registry(), enabled_plugins(session, c.tenant_id))
    with store.connect() as conn:
        frame = read_branch_incentives(conn, c, periods.Period.parse(key), pool=pool, by_members=by_members)
    records = branch_incentive_records(frame)
    basis = tr("系数 × 党员人数", "coefficient × members") if by_members else tr("系数", "coefficient")
    if pool is None:
        title = f"{c.name} · {key} {tr('各党支部奖惩兑现', 'incentives by branch')}"
        footer = None
    else:
        title = f"{c.name} · {key} {tr('奖金分配', 'bonus')}"
        total = {"org_name": tr("合计", "total"), "amount": float(pool)}
        footer = [total.get(f.key) for f in BRANCH_INCENTIVES if not f.hidden]
    shared = tr(f"奖金池 {pool:,.2f} 元，按{basis}分配", f"pool {pool:,.2f} yuan, shared by {basis}") if pool else ""
    fields = BRANCH_INCENTIVES if format is not ExportFormat.table else branch_incentive_fields(
        records, pool=pool is not None, by_members=by_members)
    _export(format, fields, records, title=f"{title}（{shared}）" if shared and format is ExportFormat.xlsx else title,
            sheet=tr("奖金分配", "bonus"), output=output, footer=footer)
    if pool is not None and format is ExportFormat.table:
        given = sum(Decimal(str(r["amount"])) for r in records)
        out.print(shared)
        out.print(tr(f"合计 {given:,.2f} 元，{len(records)} 个党支部", f"total {given:,.2f} yuan, {len(records)} branches"))


def _export(format: ExportFormat, fields, records: list[dict], *, title: str, sheet: str, output: Path | None,
            style=None, footer: list | None = None) -> None:
    """A listing in ``format``: a table on the terminal; json, csv or xlsx on stdout or into ``output``."""
    if format is ExportFormat.table:
        emit(out, OutputFormat.table, fields, records, data=records, title=title, style=style)
        return
    if format is ExportFormat.xlsx:
        output.write_bytes(xlsx_bytes(fields, records, title=title, sheet_name=sheet, footer=footer))
    elif output is None:
        emit(out, OutputFormat(format.value), fields, records, data=records)
        return
    elif format is ExportFormat.json:
        with output.open("w", encoding="utf-8") as stream:
            write_json(records, stream)
    else:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write_csv(records, stream, None if records else [f.key for f in fields])
    out.print(tr(f"已写入 {output}", f"written to {output}"))


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
    store, c, key = period_context(tenant, year, period)
    with store.connect() as conn:
        ex = explain_result(conn, cycle=c, period=key, org_code=org)
    if format is OutputFormat.json:
        write_json(ex.as_dict(), sys.stdout)
    elif format is OutputFormat.csv:
        write_csv([{"org_code": ex.org["code"], "period": key, **line} for line in ex.lines], sys.stdout)
    else:
        out.print(explanation_text(ex, key))


@app.command()
@handled
def correct(
    org: Annotated[str, typer.Option("--org", help="The branch whose result is corrected.")],
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="The indicator's code.")],
    points: Annotated[float, typer.Option("--points", help="The corrected points.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (更正理由): kept in the explanation and the audit.")],
    as_user: Annotated[str, typer.Option("--as", help="The administrator making the correction (a user).")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
) -> None:
    """Correct one indicator's points of a result (更正), in any state; ranks, tiers and awards follow, audited."""
    from bastion.core.corrections import correct_points

    store = engine()
    t, cycle = context(store, tenant, year, results=True, period=period)
    who = users.lookup_principal(store, t.id, as_user)
    done = correct_points(store, who, cycle=cycle, period=periods.in_cycle(cycle, period).key, org_code=org,
                          indicator_code=indicator, points=points, reason=reason, registry=registry(),
                          home=Settings.from_env().home)
    changed = len(done.changed)
    out.print(tr(f"{org} {indicator}：{done.old_points:g} → {done.new_points:g} 分；{changed} 个结果随之变化；"
                 f"重新兑现奖惩后共 {done.awards} 项",
                 f"{org} {indicator}: {done.old_points:g} → {done.new_points:g} points; "
                 f"{changed} result(s) changed; {done.awards} award(s) after the policies ran again"))
    told_correction(done)


def told_correction(done) -> None:
    """What a correction (``core.corrections.Correction``) moved: each result changed, and the bulletin re-issued."""
    for r in done.changed.itertuples():
        out.print(tr(f"  {r.code}：总分 {r.total_old:g} → {r.total_new:g}，排名 {r.rank_old} → {r.rank_new}，",
                     f"  {r.code}: total {r.total_old:g} → {r.total_new:g}, rank {r.rank_old} → {r.rank_new}, ")
                  + f"{r.grade_old} → {r.grade_new}, {r.tier_old} → {r.tier_new}")
    if done.bulletin_version is not None:
        out.print(tr(f"通报已更正后重新印发：第 {done.bulletin_version} 版（原版作废，保留在考核档案中；`bastion bulletins` 可查）",
                     f"the bulletin is re-issued: version {done.bulletin_version} (the one it replaces is kept in the "
                     "archive; see `bastion bulletins`)"))


@app.command()
@handled
def verify(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
           late: Annotated[bool, typer.Option(
               "--late", help="Score it with the late facts too (every fact dated in it, recorded up to now; the "
                              "correction route): the differences they would make, for a correction.")] = False,
           format: FormatOpt = OutputFormat.table) -> None:
    """Score a published period again from its frozen inputs and scheme and compare it with its stored results,
    line by line: 一致 / identical, or each difference (exit 1). With --late, the late facts too: the differences
    they would make. Reads only."""
    store, c, key = period_context(tenant, year, period)
    found = verify_period(store, cycle=c, period_key=key, registry=registry(), late=late)
    if format is OutputFormat.json:
        write_json(found.as_dict(), sys.stdout)
    elif format is OutputFormat.csv:
        write_csv(found.as_dict()["differences"], sys.stdout, list(DIFFERENCE_COLUMNS))
    elif late:
        _told_late(found, c.year, key)
    elif found.identical:
        out.print(tr(f"一致：{c.year} 考核年度考核期 {key} 的 {found.organizations} 个考核结果、{found.lines} 行，"
                     f"按截至 {found.facts_until:%Y-%m-%d %H:%M:%S} UTC 记录的依据和方案 {found.scheme_id} "
                     f"{found.scheme_version} 重新计算，与已存结果相同"
                     + (f"（含 {found.corrections} 处更正）" if found.corrections else ""),
                     f"identical: the {found.organizations} results and {found.lines} lines of period {key} of the "
                     f"{c.year} cycle, scored again from the facts recorded up to {found.facts_until:%Y-%m-%d %H:%M:%S}"
                     f" UTC with scheme {found.scheme_id} {found.scheme_version}, are as stored"
                     + (f" ({found.corrections} correction(s) applied)" if found.corrections else "")))
    else:
        records = found.differences.to_dict("records")
        emit(out, format, DIFFERENCES, records,
             title=tr(f"不一致：{c.year} 考核年度考核期 {key} 有 {len(records)} 处差异（已存 → 重算）",
                      f"not identical: period {key} of the {c.year} cycle differs in {len(records)} place(s) "
                      "(stored → recomputed)"))
    if not found.identical:
        raise typer.Exit(1)


def _told_late(found: Verification, year: int, key: str) -> None:
    """``bastion verify --late`` in a table: the late facts, and the differences they would make."""
    since = f"{found.facts_until:%Y-%m-%d %H:%M:%S} UTC"
    zh, en = scoring.told(found.late_facts)
    facts = (tr(f"结果评分（{since}）之后记录了{zh}", f"{en} were recorded after the results were scored ({since})")
             if found.late_facts else
             tr(f"结果评分（{since}）之后没有记录该期的事实", f"no fact of the period was recorded after the results were "
                                                         f"scored ({since})"))
    if found.identical:
        out.print(tr(f"{year} 考核年度考核期 {key}：{facts}；计入它们重新计算，与已存结果相同，无须更正",
                     f"period {key} of the {year} cycle: {facts}; scored with them, it is as stored: nothing to "
                     "correct"))
        return
    records = found.differences.to_dict("records")
    emit(out, OutputFormat.table, DIFFERENCES, records,
         title=tr(f"{year} 考核年度考核期 {key}：{facts}；计入它们，有 {len(records)} 处不同（已存 → 计入迟到事实后）。"
                  f"如需更正，请用 bastion correct",
                  f"period {key} of the {year} cycle: {facts}; with them it differs in {len(records)} place(s) "
                  "(stored → with the late facts). To correct it: bastion correct"))
