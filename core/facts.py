"""The rule every recorded fact shares — ledger entries (台账), findings (检查发现), ratings (测评): its date.

A fact counts for the periods its date falls in, all of one year. So it is taken only into a year the
tenant assesses (a cycle, 考核年度, is open for it) and only while that year's own results are neither
under the leaders' review nor published (:func:`bastion.core.periods.is_closed`). A fact late for a
half-year already published is taken: it still counts for the year.

An entry point working inside one cycle (the branch workspace, the inspectors' form) takes facts of that
cycle's year only; the importer takes any year the tenant has a cycle for. Each concept's rule
(:mod:`bastion.core.ledger.service`, :mod:`bastion.core.inspection.service`, :mod:`bastion.core.ballots`)
starts with this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from . import periods
from .errors import Problem
from .i18n import tr
from .models import Cycle

DATE = ("日期", "date")


@dataclass(frozen=True)
class Years:
    """Where the tenant's years stand: the cycle of each year, the years closed to new facts and, for an entry
    point working inside one cycle, that cycle's year (the only one it takes)."""

    cycles: Mapping[int, Cycle]
    closed: frozenset[int]
    within: int | None = None

    def cycle(self, day: date | None) -> Cycle | None:
        """The cycle ``day`` falls in, if the tenant has one for its year."""
        return None if day is None else self.cycles.get(day.year)


def years(session: Session, tenant_id: int, *, within: Cycle | None = None,
          only: Iterable[int] | None = None) -> Years:
    """The tenant's years: ``within`` one cycle, or every cycle (of the years ``only``, when given)."""
    if within is not None:
        cycles = {within.year: within}
    else:
        query = select(Cycle).where(Cycle.tenant_id == tenant_id)
        if only is not None:
            query = query.where(Cycle.year.in_(sorted(set(only))))
        cycles = {c.year: c for c in session.exec(query).all()}
    conn = session.connection()
    closed = frozenset(year for year, c in cycles.items() if periods.is_closed(conn, c.id, str(year)))
    return Years(cycles, closed, None if within is None else within.year)


def date_problems(years: Years, day: date | None, *, what: tuple[str, str], field: tuple[str, str] = DATE,
                  key: str = "date") -> list[Problem]:
    """What is wrong with a fact dated ``day`` (nothing when ``day`` is None: the caller reported it).

    ``what`` names the facts in both languages (台账 / ledgers), ``field`` the date field.
    """
    if day is None:
        return []
    if years.within is not None and day.year != years.within:
        return [Problem(key, tr(*field), tr(f"{day.isoformat()} 不在 {years.within} 考核年度内",
                                             f"{day.isoformat()} is outside the {years.within} cycle"))]
    if day.year not in years.cycles:
        return [Problem(key, tr(*field), tr(f"{day.isoformat()}：本单位没有 {day.year} 考核年度，请先开启该年度",
                                             f"{day.isoformat()}: there is no {day.year} cycle in this tenant; "
                                             f"open the {day.year} cycle first"))]
    if day.year in years.closed:
        return [Problem(key, tr(*field), tr(f"{day.year} 年度考核结果已在审核或已发布：该年度{what[0]}已关闭",
                                             f"the {day.year} results are under review or published: "
                                             f"the year's {what[1]} are closed"), conflict=True)]
    return []
