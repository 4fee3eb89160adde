"""``bastion appeal``: a branch's appeals (申诉) against lines of its published results, and the office's decisions,
as a user (``--as``): the branch's secretary lodges, an administrator over it decides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bastion.core import appeals, db, users
from bastion.core.errors import BastionError
from bastion.core.i18n import tr
from bastion.core.settings import Settings
from bastion.core.words import APPEAL_STATUS
from bastion.listings import Field, OutputFormat, emit

from .common import (
    FormatOpt,
    PeriodOpt,
    TenantOpt,
    YearOpt,
    context,
    engine,
    handled,
    out,
    registry,
)
from .results import told_correction

app = typer.Typer(help="Appeals (申诉) against a line of a published result: lodge, decide, list.",
                  no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="The user doing it: the branch's secretary lodges, an administrator "
                                                 "decides.")]

APPEAL_FIELDS = (
    Field("id", "编号", "Id", "number"), Field("period", "考核期", "Period", "code"), Field("code", "组织", "Org", "code"),
    Field("name", "组织名称", "Organisation", optional=True), Field("indicator_code", "指标", "Indicator", "code"),
    Field("indicator", "指标名称", "Name", optional=True),
    Field("points_then", "原得分", "Points", "number", show=lambda v: f"{v:g}"),
    Field("points_after", "更正后", "Corrected", "number", show=lambda v: f"{v:g}", optional=True),
    Field("status", "状态", "Status", words=APPEAL_STATUS), Field("reason", "申诉理由", "Reason", "prose"),
    Field("files", "佐证", "Files", "number", optional=True), Field("lodged_by", "申诉人", "Lodged by", optional=True),
    Field("lodged_at", "申诉时间", "Lodged", "code", show=lambda t: f"{t:%Y-%m-%d %H:%M}"),
    Field("decided_by", "办理人", "Decided by", optional=True), Field("decision", "办理意见", "Decision", "prose"),
    Field("decided_at", "办理时间", "Decided", "code", show=lambda t: f"{t:%Y-%m-%d %H:%M}", optional=True),
)


@app.command("list")
@handled
def appeal_list(
    as_user: AsOpt,
    status: Annotated[str | None, typer.Option("--status", help="lodged, accepted or rejected (default: all).")] = None,
    tenant: TenantOpt = None, year: YearOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The appeals the user may see (of one cycle with --year), the latest first."""
    if status is not None and status not in APPEAL_STATUS:
        raise BastionError(tr(f"--status {status}：应为 {'、'.join(APPEAL_STATUS)} 之一",
                              f"--status {status}: expected one of {', '.join(APPEAL_STATUS)}"))
    store = engine()
    t, cycle = context(store, tenant, year, results=True)
    who = users.lookup_principal(store, t.id, as_user)
    with store.connect() as conn:
        frame = appeals.read_appeals(conn, who, cycle_id=cycle.id if year else None, status=status)
    emit(out, fmt, APPEAL_FIELDS, frame.to_dict("records"), title=tr(f"申诉（{len(frame)} 项）", f"Appeals ({len(frame)})"))


@app.command("lodge")
@handled
def appeal_lodge(
    as_user: AsOpt,
    org: Annotated[str, typer.Option("--org", "-o", help="The branch appealing (its code).")],
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="The indicator whose points are appealed.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the points are wrong (申诉理由).")],
    evidence: Annotated[list[Path] | None, typer.Option(
        "--evidence", "-e", exists=True, dir_okay=False, help="A file backing the appeal (repeat for several).")] = None,
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
) -> None:
    """Appeal one line of the branch's published result, within the scheme's window after publication."""
    store = engine()
    t, cycle = context(store, tenant, year, results=True, period=period)
    who = users.lookup_principal(store, t.id, as_user)
    files = [(path.name, path.read_bytes()) for path in evidence or []]
    with db.transaction(store) as session:
        appeal = appeals.lodge(session, who, cycle=cycle, period=period or str(cycle.year), org_code=org,
                               indicator_code=indicator, reason=reason, files=files, home=Settings.from_env().home)
        appeal_id, points = appeal.id, appeal.points_then
    out.print(tr(f"已提出第 {appeal_id} 号申诉：{org} {indicator}（现 {points:g} 分），待考核办办理",
                 f"appeal {appeal_id} lodged: {org} {indicator} (now {points:g} points), for the office to decide"))


@app.command("decide")
@handled
def appeal_decide(
    appeal_id: Annotated[int, typer.Argument(help="The appeal's number.")],
    as_user: AsOpt,
    reason: Annotated[str, typer.Option("--reason", help="The decision's reason (办理意见).")],
    accept: Annotated[bool | None, typer.Option(
        "--accept/--reject", help="Accept (申诉成立: the line is corrected) or reject (不予支持).")] = None,
    points: Annotated[float | None, typer.Option("--points", help="The corrected points, when accepted.")] = None,
    tenant: TenantOpt = None,
) -> None:
    """Decide an appeal: --accept --points N corrects the line (ranks, tiers, awards and bulletin follow), or
    --reject; the reason either way."""
    if accept is None:
        raise BastionError(tr("请指明 --accept（申诉成立）或 --reject（不予支持）",
                              "say --accept (the line is corrected) or --reject"))
    store = engine()
    t, _ = context(store, tenant, None, results=True)
    who = users.lookup_principal(store, t.id, as_user)
    done = appeals.decide(store, who, appeal_id=appeal_id, accept=accept, reason=reason, points=points,
                          registry=registry(), home=Settings.from_env().home)
    if done.correction is None:
        out.print(tr(f"第 {appeal_id} 号申诉：不予支持", f"appeal {appeal_id}: rejected"))
        return
    fixed = done.correction
    out.print(tr(f"第 {appeal_id} 号申诉成立：{fixed.org_code} {fixed.indicator_code} {fixed.old_points:g} → "
                 f"{fixed.new_points:g} 分；{len(fixed.changed)} 个结果随之变化；奖惩共 {fixed.awards} 项",
                 f"appeal {appeal_id} accepted: {fixed.org_code} {fixed.indicator_code} {fixed.old_points:g} → "
                 f"{fixed.new_points:g} points; {len(fixed.changed)} result(s) changed; {fixed.awards} award(s)"))
    told_correction(fixed)
