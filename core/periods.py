"""Assessment periods (考核期) and their rules: the one home of what a period is and where it stands.

A period is a year (``2026``), a half (``2026-H1``), a quarter (``2026-Q3``) or a month
(``2026-07``). A cycle (考核年度) assesses the periods of its year that its scheme's calendar names —
months for 月评价, quarters for 季通报, halves for 半年检查 — and always the year itself (年终考核).

Where a period stands comes from its results: it is **open** while it has none or only drafts,
**under review** (领导审核) once its drafts were put to the leaders, and **published** after. A
period under review or published is **closed**: it is scored from the facts recorded up to its scoring, and a
fact dated in it is refused (ratings, self-assessments, ledger entries, findings: :func:`date_problems`). Every
page, stage, importer and command asks these functions, never the evaluation table itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from .errors import BadValue, BastionError, Problem
from .i18n import tr
from .models import Cycle, Evaluation, EvaluationStatus, as_utc, utcnow

# 2026, 2026-H1, 2026-Q3, 2026-07; a half or a quarter may leave out the dash (2026H1), as people write it.
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-?(?P<half>H[12])|-?(?P<quarter>Q[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")

#: The length of a target's unit (ledger rules count "per month", "per quarter" …), in months.
UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}

#: The period each assessing stage of a calendar assesses, by its length in months.
STAGE_MONTHS = {"monthly": 1, "quarterly": 3, "half_year": 6, "annual": 12}

#: Where a tenant's days are reckoned: the calendar's crons fire in it, and a moment (a publication) falls on
#: the day it is there.
TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Period:
    """An assessment period: a year (2026), a half (2026-H1), a quarter (2026-Q3) or a month (2026-07)."""

    key: str
    year: int
    first_month: int
    months: int
    #: A year so far (:func:`year_to_date`), not a period of the calendar: every indicator is measured in it,
    #: against its annual target pro rata, to show a branch its progress.
    to_date: bool = False

    @classmethod
    def parse(cls, key: str) -> Period:
        m = _PERIOD.match(key.strip().upper())  # 2026-h1 and 2026H1 are 2026-H1
        if not m:
            raise BadValue(tr(f"{key!r} 不是考核期（应为 2026、2026-H1、2026-Q3 或 2026-07 这样的写法）",
                              f"not a period: {key!r} (expected 2026, 2026-H1, 2026-Q3 or 2026-07)"))
        year = int(m["year"])
        if m["half"]:
            return cls(f"{year}-{m['half']}", year, 1 + 6 * (int(m["half"][1]) - 1), 6)
        if m["quarter"]:
            return cls(f"{year}-{m['quarter']}", year, 1 + 3 * (int(m["quarter"][1]) - 1), 3)
        if m["month"]:
            return cls(f"{year}-{m['month']}", year, int(m["month"]), 1)
        return cls(str(year), year, 1, 12)

    @classmethod
    def of(cls, year: int, first_month: int, months: int) -> Period:
        """The period of ``months`` months that starts in ``first_month`` of ``year``."""
        key = {12: f"{year}", 6: f"{year}-H{first_month // 6 + 1}", 3: f"{year}-Q{first_month // 3 + 1}",
               1: f"{year}-{first_month:02d}"}[months]
        return cls.parse(key)

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        last = self.first_month + self.months
        return date(self.year + (last - 1) // 12, (last - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """The period in Chinese, as bulletins name it."""
        if self.months == 12:
            return f"{self.year}年度"
        if self.months == 6:
            return f"{self.year}年{'上' if self.first_month == 1 else '下'}半年"
        if self.months == 3 and self.first_month % 3 == 1:
            return f"{self.year}年第{(self.first_month + 2) // 3}季度"
        if self.months == 1:
            return f"{self.year}年{self.first_month}月"
        return f"{self.year}年{self.first_month}—{self.first_month + self.months - 1}月"

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def month_numbers(self) -> range:
        """The months of the year the period covers (1–12)."""
        return range(self.first_month, self.first_month + self.months)


def time_order(key: str) -> tuple[date, int]:
    """The sort key of a period in time: by its end, a shorter period before a longer one ending with it
    (2026-06, 2026-Q2, 2026-H1)."""
    period = Period.parse(key)
    return period.end, period.months


def in_time_order(keys: Iterable[str], *, latest_first: bool = False) -> list[str]:
    return sorted(keys, key=time_order, reverse=latest_first)


# --- a cycle's periods --------------------------------------------------------------------------


def in_cycle(cycle: Cycle, key: str | None) -> Period:
    """The period ``key`` of the cycle (its year when ``key`` is None); refused when it is of another year."""
    try:
        period = Period.parse(key or str(cycle.year))
    except BadValue as exc:
        raise BadValue(tr(f"考核期：{exc}", f"period: {exc}")) from None
    return of_year(period, cycle.year)


def of_year(period: Period, year: int) -> Period:
    """``period``, refused when it is not of the ``year`` assessed (考核年度)."""
    if period.year != year:
        raise BastionError(tr(f"考核期：{period.key} 不在 {year} 考核年度内",
                              f"period: {period.key} is outside the {year} cycle"))
    return period


def cycle_periods(cycle: Cycle) -> list[str]:
    """The periods the cycle's calendar assesses (months, quarters, halves) and the year, in time order."""
    from .cycles import cycle_scheme  # cycles reads periods too: imported when asked

    lengths = {STAGE_MONTHS[e.stage] for e in cycle_scheme(cycle).calendar if e.stage in STAGE_MONTHS} | {12}
    return in_time_order(Period.of(cycle.year, 1 + n * months, months).key
                         for months in lengths for n in range(12 // months))


def assessed_in_cycle(cycle: Cycle, key: str) -> Period:
    """``key`` as one of the periods the cycle assesses; refused, listing them, when it is not one."""
    keys = cycle_periods(cycle)
    if key not in keys:
        raise BastionError(tr(f"考核期：{key!r} 不是 {cycle.year} 考核年度的考核期（可选：{'、'.join(keys)}）",
                              f"period: {key!r} is not a period of the {cycle.year} cycle (periods: {', '.join(keys)})"))
    return Period.parse(key)


def current_period(cycle: Cycle, today: date | None = None) -> str:
    """The shortest assessed period that contains ``today`` (the year when today is outside the cycle)."""
    today = today or date.today()
    inside = [Period.parse(k) for k in cycle_periods(cycle) if Period.parse(k).contains(today)]
    return min(inside, key=lambda p: p.months).key if inside else str(cycle.year)


def year_to_date(year: int, today: date) -> Period:
    """``year`` from January to the month of ``today`` (all of it once over, January before it begins):
    what a branch's progress so far is scored over. Not a period of the calendar, so its key is its own
    (``2026-01~05``) and is never stored."""
    months = 12 if today.year > year else 1 if today.year < year else today.month
    return Period(f"{year}-01~{months:02d}", year, 1, months, to_date=True)


def last_completed(months: int, day: date) -> Period:
    """The last period of ``months`` months that ended on or before ``day`` (what a scheduled run assesses)."""
    index = (day.year * 12 + day.month - 1) // months - 1  # the period before the one ``day`` is in
    year, first = divmod(index * months, 12)
    return Period.of(year, first + 1, months)


def day_of(moment: datetime) -> date:
    """The day ``moment`` falls on in :data:`TIME_ZONE` (a naive moment is UTC, as SQLite gives stored ones back):
    the day a period was published, as its policies count deadlines from it."""
    return as_utc(moment).astimezone(ZoneInfo(TIME_ZONE)).date()


def moment_on(day: date, now: datetime | None = None) -> datetime:
    """The moment to record for something done on ``day``: ``now`` (the clock's) when ``day`` is today, else the
    start of ``day`` in :data:`TIME_ZONE` — a run acting on another day (a stage replayed, the demo's year
    fast-forwarded) records that day."""
    now = now or utcnow()
    return now if day_of(now) == day else datetime.combine(day, time(), ZoneInfo(TIME_ZONE))


def dated_inside(period: Period, today: date | None = None) -> date:
    """Today, kept inside the period: the day a rating given now is dated so that the period's scoring counts it."""
    today = today or date.today()
    return min(max(today, period.start), period.last_day)


# --- where a period stands ------------------------------------------------------------------------


def statuses(conn: Connection, cycle_id: int, key: str) -> set[str]:
    """The statuses of the period's results (empty before it is scored)."""
    e = Evaluation.__table__.c
    return set(conn.execute(select(e.status).where(e.cycle_id == cycle_id, e.period == key).distinct()).scalars())


def is_closed(conn: Connection, cycle_id: int, key: str) -> bool:
    """Whether the period is under the leaders' review or published: what is recorded for it no longer counts."""
    return bool(statuses(conn, cycle_id, key) & {EvaluationStatus.reviewed.value, EvaluationStatus.published.value})


# --- dating facts: into which years and periods a ledger entry, a finding or a rating may still be recorded ------
#
# The rule every recorded fact shares — ledger entries (台账), findings (检查发现), ratings (测评), self-assessments
# (自评): its date.
#
# A fact counts for the periods its date falls in, all of one year. So it is taken only into a year the
# tenant assesses (a cycle, 考核年度, is open for it), and only while no period its date falls in is closed —
# under the leaders' review or published (:func:`is_closed`): a closed period is scored from the facts
# recorded up to the moment its results took them (``scoring.facts_until``), so a fact recorded for it later
# would never count there, and is refused with the reason — a ledger entry of March once the first quarter is
# published, say, although the half-year and the year are still open. (What such a period should have counted
# is put right by a correction, ``bastion correct``.)
#
# An entry point working inside one cycle (the branch workspace, the inspectors' form, a ballot) takes facts of
# that cycle's year only; the importer takes any year the tenant has a cycle for. Each concept's rule
# (:mod:`bastion.core.ledger.service`, :mod:`bastion.core.inspection.service`, :mod:`bastion.core.ballots`) starts
# with this one.

DATE = ("日期", "date")

_CLOSED = (EvaluationStatus.reviewed.value, EvaluationStatus.published.value)


@dataclass(frozen=True)
class Years:
    """Where the tenant's years stand: the cycle of each year, the years closed to new facts, the periods
    closed to them (year → its periods under review or published, in time order) and, for an entry point
    working inside one cycle, that cycle's year (the only one it takes)."""

    cycles: Mapping[int, Cycle]
    closed: frozenset[int]
    within: int | None = None
    closed_periods: Mapping[int, tuple[Period, ...]] = field(default_factory=dict)

    def cycle(self, day: date | None) -> Cycle | None:
        """The cycle ``day`` falls in, if the tenant has one for its year."""
        return None if day is None else self.cycles.get(day.year)

    def closed_for(self, day: date) -> list[Period]:
        """The closed periods ``day`` falls in (a fact dated ``day`` would be late for them)."""
        return [p for p in self.closed_periods.get(day.year, ()) if p.contains(day)]


def closed_periods(conn: Connection, cycle_ids: Iterable[int]) -> dict[int, tuple[Period, ...]]:
    """Cycle id → its periods whose results are under the leaders' review or published, in time order."""
    ids = sorted(set(cycle_ids))
    if not ids:
        return {}
    e = Evaluation.__table__.c
    found: dict[int, list[str]] = {}
    for cycle_id, key in conn.execute(select(e.cycle_id, e.period).where(e.cycle_id.in_(ids), e.status.in_(_CLOSED))
                                      .distinct()):
        found.setdefault(cycle_id, []).append(key)
    return {cycle_id: tuple(Period.parse(k) for k in in_time_order(keys)) for cycle_id, keys in found.items()}


def years(session: Session, tenant_id: int, *, within: Cycle | None = None,
          only: Iterable[int] | None = None) -> Years:
    """The tenant's years: ``within`` one cycle, or every cycle (of the years ``only``, when given)."""
    if within is not None:
        cycles = {within.year: within}
    else:
        query = select_model(Cycle).where(Cycle.tenant_id == tenant_id)
        if only is not None:
            query = query.where(Cycle.year.in_(sorted(set(only))))
        cycles = {c.year: c for c in session.exec(query).all()}
    by_cycle = closed_periods(session.connection(), (c.id for c in cycles.values()))
    shut = {year: by_cycle.get(c.id, ()) for year, c in cycles.items()}
    closed = frozenset(year for year, keys in shut.items() if any(p.months == 12 for p in keys))
    return Years(cycles, closed, None if within is None else within.year, shut)


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
    late = years.closed_for(day)
    if late:
        keys = "、".join(f"{p.key}（{p.label}）" for p in late)
        return [Problem(key, tr(*field), tr(
            f"{day.isoformat()} 在考核期 {keys}内，该期考核结果已在审核或已发布：结果依据当时已记录的{what[0]}，"
            f"不再接受该期迟到的{what[0]}（该期结果如有错误，请用 bastion correct 更正）",
            f"{day.isoformat()} falls in period {', '.join(p.key for p in late)}, whose results are under review "
            f"or published: they stand on the {what[1]} recorded by then, and a late one is not taken for it "
            f"(correct a wrong result with bastion correct)"), conflict=True)]
    return []
