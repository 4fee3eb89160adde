"""``bastion standings``: the standing each branch holds (档次/星级, 分类定级、提档升级), its history, the relapses
flagged, and a standing set by hand (``core.standings``)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from sqlmodel import Session

from bastion.core import db, standings, users
from bastion.core.cycles import resolve_cycle
from bastion.core.errors import BastionError, NotFound
from bastion.core.i18n import tr
from bastion.core.models import Organization, code_is
from bastion.core.periods import day_of
from bastion.core.tenants import resolve_tenant
from bastion.core.words import STANDING_KIND, STANDING_MOVE
from bastion.listings import Field, OutputFormat, emit

from .common import FormatOpt, TenantOpt, engine, handled, out

app = typer.Typer(help="Standings (分类定级、提档升级): what each branch holds, its history, relapses flagged.",
                  no_args_is_help=True)

CURRENT_FIELDS = (
    Field("org_code", "编码", "Code", "code"), Field("org_name", "党支部", "Branch"),
    Field("standing", "定级", "Standing"), Field("since", "起始日期", "Since", "code"),
    Field("kind", "来由", "By", words=STANDING_KIND), Field("period", "考核期", "Period", "code", optional=True),
    Field("reason", "理由", "Reason", "prose"),
)
HISTORY_FIELDS = (
    Field("since", "日期", "Date", "code"), Field("standing", "定级", "Standing"),
    Field("previous", "原定级", "From", optional=True), Field("kind", "来由", "By", words=STANDING_KIND),
    Field("move", "升降", "Move", words=STANDING_MOVE), Field("period", "考核期", "Period", "code", optional=True),
    Field("superseded", "已被更正", "Superseded", show=lambda v: tr("是", "yes") if v else "", optional=True),
    Field("reason", "理由", "Reason", "prose"), Field("actor", "操作人", "By whom", optional=True),
)
RELAPSE_FIELDS = (
    Field("org_code", "编码", "Code", "code"), Field("org_name", "党支部", "Branch"),
    Field("period", "考核期", "Period", "code"), Field("since", "日期", "Date", "code"),
    Field("previous", "原定级", "From"), Field("standing", "现定级", "Now"), Field("reason", "理由", "Reason", "prose"),
)


def _day(moment) -> str:
    return "" if moment is None or pd.isna(moment) else day_of(moment.to_pydatetime()).isoformat()


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


@app.command("list")
@handled
def standings_list(
    tenant: TenantOpt = None,
    year: Annotated[int | None, typer.Option(
        "--year", "-y", help="The standings as they stood after that cycle's last publication (default: now).")] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Each branch's standing now (or after a cycle's year): since when, by what and why."""
    store = engine()
    with Session(store) as session:
        t = resolve_tenant(session, tenant)
        at = {}
        if year is not None:
            at = standings.after_cycle(session.connection(), resolve_cycle(session, t, year).id)
            if at is None:
                raise BastionError(tr(f"{year} 考核年度还没有发布的考核结果", f"the {year} cycle has no published results"))
        rule = standings.ladder_of(session.connection(), t.id)
        frame = standings.current(session.connection(), t.id, **at)
    records = [{"org_code": r.code, "org_name": r.name, "standing": r.standing, "since": _day(r.since),
                "kind": r.kind, "period": _text(r.period), "reason": r.reason} for r in frame.itertuples()]
    if format is OutputFormat.table:
        counts = frame["standing"].value_counts()
        tally = tr("，", ", ").join(f"{s} {int(counts.get(s, 0))}" for s in rule.ladder)
        title = tr(f"{rule.name}（{year} 考核年度后）" if year else f"{rule.name}（当前）",
                   f"standings after {year}" if year else "standings now") + f" · {tally}"
        emit(out, format, CURRENT_FIELDS, records, title=title)
    else:
        emit(out, format, CURRENT_FIELDS, records)


@app.command("history")
@handled
def standings_history(
    org: Annotated[str, typer.Option("--org", "-o", help="The branch.")],
    tenant: TenantOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Every step of a branch's standing: the grading's moves, relapses, corrections and sets by hand."""
    store = engine()
    with Session(store) as session:
        t = resolve_tenant(session, tenant)
        found = session.connection().execute(
            Organization.__table__.select().where(Organization.tenant_id == t.id, code_is(Organization.code, org))
        ).first()
        if found is None:
            raise NotFound(tr(f"本单位没有党组织 {org}", f"no organisation {org} in this tenant"))
        frame = standings.history(session.connection(), t.id, org_id=found.id)
    records = [{"since": _day(r.since), "standing": r.standing, "previous": _text(r.previous), "kind": r.kind,
                "move": r.move, "period": _text(r.period), "superseded": bool(r.superseded), "reason": r.reason,
                "actor": r.actor, "revision": int(r.revision)} for r in frame.itertuples()]
    emit(out, format, HISTORY_FIELDS, records, title=f"{found.code} {found.name}")


@app.command("relapses")
@handled
def standings_relapses(
    tenant: TenantOpt = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Only the relapses of that cycle.")] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """The relapses flagged between gradings (反弹预警), latest first."""
    store = engine()
    with Session(store) as session:
        t = resolve_tenant(session, tenant)
        frame = standings.relapses(session.connection(), t.id, year=year)
    records = [{"org_code": r.code, "org_name": r.name, "period": r.period, "since": _day(r.since),
                "previous": r.previous, "standing": r.standing, "reason": r.reason} for r in frame.itertuples()]
    if not records and format is OutputFormat.table:
        out.print(tr("没有反弹预警", "no relapse flagged"))
        return
    emit(out, format, RELAPSE_FIELDS, records)


@app.command("set")
@handled
def standings_set(
    org: Annotated[str, typer.Option("--org", "-o", help="The branch.")],
    standing: Annotated[str, typer.Option("--standing", "-s", help="A standing of the scheme's ladder, e.g. 四星.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (定级理由): kept in the history and the audit.")],
    as_user: Annotated[str, typer.Option("--as", help="The administrator setting it (a user).")],
    tenant: TenantOpt = None,
) -> None:
    """Set a branch's standing by hand (分类定级 by the superior), audited; it holds until the next grading moves it."""
    store = engine()
    with Session(store) as session:
        t = resolve_tenant(session, tenant)
    who = users.lookup_principal(store, t.id, as_user)
    with db.transaction(store) as session:
        done = standings.set_standing(session.connection(), who, org_code=org, standing=standing, reason=reason)
    out.print(tr(f"{done['code']}：{done['previous'] or '未定级'} → {done['standing']}",
                 f"{done['code']}: {done['previous'] or 'none'} → {done['standing']}"))
