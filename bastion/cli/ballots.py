"""``bastion ballots``: ballots (测评票) assigned to raters, who fill them in on the UI's ratings page."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.core import db, periods, words
from bastion.core.i18n import tr
from bastion.core.settings import current_actor

from .common import PeriodOpt, TenantOpt, YearOpt, context, engine, handled, out

app = typer.Typer(help="Ballots (测评票) assigned to raters, filled in on the UI's ratings page.",
                  no_args_is_help=True)


@app.command("assign")
@handled
def ballots_assign(
    rater: Annotated[str, typer.Option("--rater", help="The rater's username (a user with the rater role).")],
    source: Annotated[str, typer.Option("--source", "-s", help="members, peers, superior, work_report …")],
    org: Annotated[list[str], typer.Option("--org", "-o", help="A branch to rate (repeat).")],
    tenant: TenantOpt = None, year: YearOpt = None, period: PeriodOpt = None,
) -> None:
    """Assign a rater a ballot for each branch; ballots assigned before are kept (not duplicated)."""
    from bastion.core import ballots

    store = engine()
    _, cycle = context(store, tenant, year, period=period)
    with db.transaction(store) as session:
        made = ballots.assign_ballots(session, actor=current_actor(), cycle=cycle,
                                      period=periods.in_cycle(cycle, period).key, source=source,
                                      rater_username=rater, org_codes=org)
    kept, what = len(org) - len(made), words.word(words.SOURCE, source)
    out.print(tr(f"已为 {rater} 新分配 {len(made)} 张测评票（{what}）；{kept} 张此前已分配",
                 f"{len(made)} new ballot(s) for {rater} ({what}); {kept} already assigned"))
