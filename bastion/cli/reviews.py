"""``bastion review``: graded leader review (分级点评) of organisations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape as rich_escape

from bastion.core import db, periods, reviews, users
from bastion.core.i18n import tr
from bastion.core.periods import Period
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
    period_context,
)

app = typer.Typer(help="Graded leader review (分级点评) of organisations.", no_args_is_help=True)

REVIEW_FIELDS = (
    Field("period", "时期", "Period", "code"), Field("code", "组织", "Org", "code"), Field("name", "组织名称", "Organisation"),
    Field("reviewer", "点评人", "Reviewer"), Field("created_at", "日期", "Date", "code"),
    Field("achievements", "成绩", "Achievements", "prose"), Field("problems", "问题", "Problems", "prose"),
    Field("direction", "方向", "Direction", "prose"),
)


@app.command("add")
@handled
def review_add(
    org: Annotated[str, typer.Option("--org", "-o", help="The organisation reviewed.")],
    as_user: Annotated[str, typer.Option("--as", help="The leader reviewing (a user with the leader role over the "
                                                      "organisation): the review is in their name.")],
    achievements: Annotated[str, typer.Option("--achievements", help="成绩.")] = "",
    problems: Annotated[str, typer.Option("--problems", help="问题.")] = "",
    direction: Annotated[str, typer.Option("--direction", help="今后努力方向.")] = "",
    tenant: TenantOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = None,
) -> None:
    """Record a leader's review of an organisation: achievements, problems, direction."""
    store, c, key = period_context(tenant, year, period)
    who = users.lookup_principal(store, c.tenant_id, as_user)
    with db.transaction(store) as session:
        review = reviews.add_review(session, who, cycle=c, org_code=org, period=Period.parse(key),
                                    achievements=achievements, problems=problems, direction=direction)
    out.print(tr(f"已记录对 {org} 的 {key} 点评（#{review.id}）", f"review #{review.id} of {org} for {key} recorded"))


@app.command("list")
@handled
def review_list(tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
                format: FormatOpt = OutputFormat.table) -> None:
    """The reviews of a cycle (of one period with --period)."""
    store = engine()
    _, c = context(store, tenant, year, results=True, period=period)
    key = periods.in_cycle(c, period).key if period else None
    with store.connect() as conn:
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
