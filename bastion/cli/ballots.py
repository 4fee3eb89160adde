"""``bastion ballots``: a period's round of democratic evaluation (民主测评) by secret ballot — open it (who may
vote drawn from the tree), print its one-time codes once (``sheet``), follow the turnout, key in paper ballots,
exclude a ballot with a reason, close it (the box counted into ratings). Ballots are cast on the UI's ballot
page (``/ballot``) with a code, no account needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from bastion.core import db, periods, words
from bastion.core.ballots import anomalies, box, member_review, rounds, slips
from bastion.core.ballots.anomalies import KINDS
from bastion.core.errors import BadValue, BastionError
from bastion.core.models import Organization, code_is
from bastion.core.i18n import tr
from bastion.core.settings import current_actor, public_url
from bastion.core.tenants import lookup_tenant
from bastion.core.words import MEMBER_STATUS, ROUND_KIND, ROUND_STATUS, SOURCE
from bastion.listings import Field, OutputFormat, emit

from .common import (
    FormatOpt,
    PeriodOpt,
    TenantOpt,
    YearOpt,
    context,
    day,
    engine,
    handled,
    out,
    registry,
)

app = typer.Typer(help="Secret ballots (民主测评): open a round, print its codes, follow it, close it.",
                  no_args_is_help=True)

TURNOUT_FIELDS = (
    Field("org_code", "组织", "Organisation", "code"), Field("org_name", "名称", "Name"),
    Field("source", "测评类别", "Source", words=SOURCE), Field("entitled", "应参评", "Entitled", "number"),
    Field("issued", "已发码", "Codes", "number"), Field("cast", "已投票", "Cast", "number"),
    Field("excluded", "作废", "Excluded", "number", optional=True), Field("needed", "法定票数", "Quorum", "number"),
    Field("met", "达到", "Met", show=lambda v: "是" if v else "否"),  # a blank (no quorum) shows blank
)
ROUND_FIELDS = (
    Field("year", "年度", "Year", "code"), Field("period", "考核期", "Period", "code"),
    Field("kind", "类型", "Kind", words=ROUND_KIND),
    Field("day", "开启", "Opened", "code"), Field("deadline", "截止", "Deadline", "code"),
    Field("status", "状态", "Status", words=ROUND_STATUS),
    Field("entitled", "应参评", "Entitled", "number"), Field("cast", "已投票", "Cast", "number"),
)


KindOpt = Annotated[str, typer.Option("--kind", "-k", help="branches (民主测评 of the branches, the default) or members "
                                                         "(民主评议党员: a branch's members rate each member).")]


def _round(tenant: str | None, year: int | None, period: str | None, kind: str = "branches"):
    store = engine()
    _, cycle = context(store, tenant, year, period=period)
    with store.connect() as conn:
        return store, cycle, rounds.the_round(conn, cycle, periods.in_cycle(cycle, period).key, kind)


@app.command("open")
@handled
def ballots_open(
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="The last day to vote (default: 14 days on).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="The day raters are drawn on (default: today).")] = None,
    kind: KindOpt = "branches",
) -> None:
    """Open the period's round: who may vote on each branch is drawn from the tree and the members' register."""
    store = engine()
    _, cycle = context(store, tenant, year, period=period)
    with db.transaction(store) as session:
        found = rounds.open_round(session, actor=current_actor(), cycle=cycle, period=periods.in_cycle(cycle, period).key,
                                  registry=registry(), deadline=day(deadline), day=day(on), kind=kind)
        total = rounds.turnout(session.connection(), found, registry())["entitled"].sum()
    zh, en = ROUND_KIND[found.kind]
    out.print(tr(f"已开启 {found.period} {zh}：应参评 {total} 人次，截止 {found.deadline}；"
                 f"请用 `bastion ballots sheet --period {found.period} --kind {found.kind} --out 测评码.pdf` 生成测评码",
                 f"{en} {found.period} open: {total} entitled, until {found.deadline}; print the codes with "
                 f"`bastion ballots sheet --period {found.period} --kind {found.kind} --out codes.pdf`"))


@app.command("sheet")
@handled
def ballots_sheet(
    to: Annotated[Path, typer.Option("--out", "-o", help="The slips: .pdf (to print), .csv or .xlsx.")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="The UI's address the QR codes open "
                                                          "(default: BASTION_PUBLIC_URL).")] = None,
    kind: KindOpt = "branches",
) -> None:
    """Issue the round's one-time codes and write them as slips — once: only their digests are kept."""
    suffix = to.suffix.lower()
    if suffix not in slips.SLIP_SUFFIXES:
        raise BadValue(tr(f"--out {to}：测评码文件应为 .pdf、.csv 或 .xlsx", f"--out {to}: write a .pdf, .csv or .xlsx"))
    store, cycle, found = _round(tenant, year, period, kind)
    part = to.with_name(to.name + ".part")
    try:
        with db.transaction(store) as session:
            made = rounds.issue_codes(session, actor=current_actor(), round_id=found.id)
            if not made:
                raise BastionError(tr(f"{found.period} 的测评码已全部发放：每个测评码只生成一次，不能再次打印",
                                      f"the codes of {found.period} were all issued: a code is made once and never "
                                      "printed again"))
            zh, en = ROUND_KIND[found.kind]
            title = tr(f"{words.period_name(found.period)}{zh}", f"{en.capitalize()} of {found.period}")
            slips.write_slips(part, made, title=title, base_url=url or public_url(), deadline=found.deadline,
                              suffix=suffix)
        os.replace(part, to)
    finally:
        part.unlink(missing_ok=True)
    out.print(tr(f"已生成 {len(made)} 个测评码：{to}（请妥善保管，随机发放，不记录领取人）",
                 f"{len(made)} codes written to {to} (keep them safe; hand them out at random, noting nobody)"))


@app.command("status")
@handled
def ballots_status(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                   fmt: FormatOpt = OutputFormat.table, kind: KindOpt = "branches") -> None:
    """Turnout per branch and source against the quorum: counts only."""
    store, _, found = _round(tenant, year, period, kind)
    with store.connect() as conn:
        frame = rounds.turnout(conn, found, registry())
    emit(out, fmt, TURNOUT_FIELDS, frame.to_dict("records"), title=tr(f"{found.period} 民主测评（截止 {found.deadline}）",
                                                  f"Ballots of {found.period} (until {found.deadline})"))


FLAG_FIELDS = (
    Field("kind", "提示", "Flag", words=KINDS),
    Field("org_code", "组织", "Organisation", "code"), Field("org_name", "名称", "Name", optional=True),
    Field("source", "测评类别", "Source", words=SOURCE), Field("ballot_id", "票号", "Ballot", "code", optional=True),
    Field("question", "问题", "Question", "code", optional=True), Field("detail", "说明", "Detail", "prose"),
)


@app.command("flags")
@handled
def ballots_flags(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                  fmt: FormatOpt = OutputFormat.table, kind: KindOpt = "branches") -> None:
    """Anomaly flags of the round: straight-lining, outliers, a lenient or severe source, low turnout."""
    store, _, found = _round(tenant, year, period, kind)
    with store.connect() as conn:
        frame = anomalies.flags(conn, found, registry())
    if frame.empty and fmt is OutputFormat.table:
        out.print(tr(f"{found.period} 民主测评没有异常提示", f"no flags in the round of {found.period}"))
        return
    emit(out, fmt, FLAG_FIELDS, frame.to_dict("records"))


GRADE_FIELDS = (
    Field("org_code", "组织", "Organisation", "code"), Field("code", "党员编号", "Number", "code"),
    Field("name", "姓名", "Name"), Field("status", "类别", "Status", words=MEMBER_STATUS),
    Field("ballots", "票数", "Ballots", "number"),
    Field("tallies", "得票", "Tallies", "prose", show=lambda t: "、".join(f"{k} {v}" for k, v in t.items())),
    Field("grade", "等次", "Grade", show=lambda g: g or "—"), Field("reason", "说明", "Reason", "prose"),
)


@app.command("grades")
@handled
def ballots_grades(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                   org: Annotated[str | None, typer.Option("--org", "-o", help="One branch's members only.")] = None,
                   fmt: FormatOpt = OutputFormat.table) -> None:
    """The members' grades of a closed review of members (民主评议党员): tallies, grade and why."""
    store, cycle, found = _round(tenant, year, period, "members")
    if found.status != "closed":
        raise BastionError(tr(f"{found.period} 民主评议党员尚未结束计票", f"the review of {found.period} is not closed yet"))
    with store.connect() as conn:
        org_ids = None
        if org:
            org_ids = conn.execute(select(Organization.id).where(Organization.tenant_id == cycle.tenant_id,
                                                                 code_is(Organization.code, org))).scalars().all()
        frame = member_review.read_grades(conn, found, org_ids=org_ids)
    emit(out, fmt, GRADE_FIELDS, frame.to_dict("records"))


@app.command("list")
@handled
def ballots_list(tenant: TenantOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The ballot rounds, latest first."""
    store = engine()
    with store.connect() as conn:
        frame = rounds.rounds_of(conn, lookup_tenant(store, tenant).id)
    emit(out, fmt, ROUND_FIELDS, frame.to_dict("records"))


def _answers(pairs: list[str]) -> dict[str | None, object]:
    found: dict[str | None, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise BadValue(tr(f"--answer {pair!r}：应为 问题=答案（如 overall=90、A1=优秀）",
                              f"--answer {pair!r}: expected question=answer (overall=90, A1=优秀)"))
        key = key.strip()
        found[None if key.lower() in ("overall", "总体", "") else key] = value.strip()
    return found


@app.command("cast")
@handled
def ballots_cast(
    code: Annotated[str, typer.Option("--code", help="The code on the paper ballot.")],
    answer: Annotated[list[str], typer.Option("--answer", "-a", help="question=answer: overall=90, A1=优秀 (repeat).")],
    note: Annotated[str, typer.Option("--note", help="The ballot's comment, if any.")] = "",
) -> None:
    """Key in a paper ballot by its code: cast once, like the ballot page, in the keyer's name."""
    store = engine()
    with db.transaction(store) as session:
        sheet = box.cast(session, code, _answers(answer), registry(), note=note, actor=current_actor())
    out.print(tr(f"已投票：{sheet.org_code} {sheet.org_name}（{sheet.source_label}）",
                 f"cast: {sheet.org_code} {sheet.org_name} ({sheet.source})"))


@app.command("exclude")
@handled
def ballots_exclude(
    ballot: Annotated[str, typer.Option("--ballot", help="The ballot's key in the box.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is excluded (作废理由).")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None, kind: KindOpt = "branches",
) -> None:
    """Exclude a ballot of the open round (作废), with the reason: kept, audited, not counted."""
    store, _, found = _round(tenant, year, period, kind)
    with db.transaction(store) as session:
        rounds.exclude(session, actor=current_actor(), round_id=found.id, ballot_id=ballot, reason=reason)
    out.print(tr(f"测评票 {ballot} 已作废：{reason}", f"ballot {ballot} excluded: {reason}"))


@app.command("close")
@handled
def ballots_close(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                  on: Annotated[str | None, typer.Option("--on", help="The day it closes (default: today).")] = None,
                  kind: KindOpt = "branches") -> None:
    """Close the round: its ballots are counted (once) — into ratings of the period, or into the members' grades."""
    store, _, found = _round(tenant, year, period, kind)
    with db.transaction(store) as session:
        counted = rounds.close_round(session, actor=current_actor(), round_id=found.id, on=day(on))
    if found.status == "closed":
        out.print(tr(f"{found.period} 民主测评此前已结束计票", f"the round of {found.period} was closed already"))
        return
    zh, en = ROUND_KIND[found.kind]
    out.print(tr(f"{found.period} {zh}已结束：计入 {counted} 张测评票", f"{en} {found.period} closed: "
                 f"{counted} ballot(s) counted"))
