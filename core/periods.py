"""Assessment periods (考核期) and their rules: the one home of what a period is and where it stands.

A period is a year (``2026``), a half (``2026-H1``), a quarter (``2026-Q3``) or a month
(``2026-07``). A cycle (考核年度) assesses the periods of its year that its scheme's calendar names —
months for 月评价, quarters for 季通报, halves for 半年检查 — and always the year itself (年终考核).

Where a period stands comes from its results: it is **open** while it has none or only drafts,
**under review** (领导审核) once its drafts were put to the leaders, and **published** after. A
period under review or published is **closed**: it is scored from the facts recorded up to its scoring, and a
fact dated in it is late: refused (ratings, self-assessments: :func:`date_problems`), or — a ledger entry or a
finding, where the tenant takes late facts — booked in the next period or kept for a correction, the user's choice
(:func:`place`). Every
page, stage, importer and command asks these functions, never the evaluation table itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlmodel import Session
from sqlmodel import select as select_model

from .errors import BadValue, BastionError, Problem
from .i18n import tr
from .models import Cycle, Evaluation, EvaluationStatus, Tenant, as_utc, utcnow

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
# would never count there. Such a fact is *late* (迟到), and is refused with the reason — a ledger entry of March
# once the first quarter is published, say, although the half-year and the year are still open — unless the
# tenant takes late facts (``tenant.late_facts``, ``bastion tenant set --late-facts allow``) and the user chose
# what to do with it (:class:`Late`):
#
# - **next** (计入下一考核期): booked on the first day after the closed periods its date falls in (the latest of
#   their ends; again while that day is itself in a closed period), its own date kept as ``late_date``: it counts
#   in the next open period, never in the closed one. Past the year's end — the year closed — it is refused:
#   a fact counts in its own year only, so the correction route is the one left.
# - **correction** (走更正): kept on its own date (``late_date`` the same): it does not count for the closed
#   period, whose frozen inputs leave it out by ``recorded_at``, but counts in the open periods its date falls in
#   (the half-year and the year when only the quarter is published). ``bastion verify --late`` shows what it would
#   change in the closed period; the office puts that right with ``bastion correct``.
#
# Only ledger entries and findings may arrive late. A rating belongs to its ballot round, given for the period
# the round assesses, and a self-assessment to its period: either one recorded later than its period's results
# says nothing about another period, and a changed judgement of a closed period is a correction — so they are
# refused, as every late fact is where the tenant does not take them.
#
# An entry point working inside one cycle (the branch workspace, the inspectors' form, a ballot) takes facts of
# that cycle's year only; the importer takes any year the tenant has a cycle for. Each concept's rule
# (:mod:`bastion.core.ledger.service`, :mod:`bastion.core.inspection.service`, :mod:`bastion.core.ballots`) starts
# with this one: :func:`place` for the facts that may arrive late, :func:`date_problems` for the others.

DATE = ("日期", "date")

_CLOSED = (EvaluationStatus.reviewed.value, EvaluationStatus.published.value)


class Late(StrEnum):
    """What to do with a late fact, the user's choice (:data:`bastion.core.words.LATE` names them)."""

    next = "next"  # 计入下一考核期
    correction = "correction"  # 走更正


@dataclass(frozen=True)
class Years:
    """Where the tenant's years stand: the cycle of each year, the years closed to new facts, the periods
    closed to them (year → its periods under review or published, in time order) and, for an entry point
    working inside one cycle, that cycle's year (the only one it takes); whether the tenant takes late facts
    (``late_facts``) and the user's choice for one (``late``, None when none was made)."""

    cycles: Mapping[int, Cycle]
    closed: frozenset[int]
    within: int | None = None
    closed_periods: Mapping[int, tuple[Period, ...]] = field(default_factory=dict)
    late_facts: bool = False
    late: Late | None = None

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
          only: Iterable[int] | None = None, late: Late | None = None) -> Years:
    """The tenant's years: ``within`` one cycle, or every cycle (of the years ``only``, when given); ``late``, the
    user's choice for a late fact (taken only where the tenant takes late facts)."""
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
    t = Tenant.__table__.c
    takes_late = bool(session.connection().execute(select(t.late_facts).where(t.id == tenant_id)).scalar())
    return Years(cycles, closed, None if within is None else within.year, shut, takes_late, late)


@dataclass(frozen=True)
class Placed:
    """Where a fact dated ``given`` goes (:func:`place`): the date to store (``day``), the date it bore when it
    arrived late (``late_date``, None when it is on time) and what is wrong (nothing when it may be stored)."""

    day: date | None
    late_date: date | None = None
    problems: list[Problem] = field(default_factory=list)
    late: Late | None = None  # the route a late fact took

    def audited(self) -> dict[str, str]:
        """What the audit row of a late fact adds: the route, the date given and the date booked (nothing when the
        fact is on time)."""
        if self.late_date is None or self.late is None or self.day is None:
            return {}
        return {"late": self.late.value, "date_given": self.late_date.isoformat(), "date_booked": self.day.isoformat()}


def next_open_day(years: Years, day: date) -> date | None:
    """The first day after the closed periods ``day`` falls in — the latest of their ends, again while that day is
    itself in a closed period — where a late fact goes to the next period; None past the year's end."""
    while shut := years.closed_for(day):
        later = max(p.end for p in shut)
        if later.year != day.year:
            return None
        day = later
    return day


def place(years: Years, day: date | None, *, what: tuple[str, str], field: tuple[str, str] = DATE,
          key: str = "date", may_be_late: bool = True) -> Placed:
    """Where a fact dated ``day`` goes, or why it is refused (a date of None: the caller reported it).

    ``what`` names the facts in both languages (台账 / ledgers), ``field`` the date field. ``may_be_late``: the fact
    is of a kind that may arrive late (a ledger entry, a finding); a late one is then taken where the tenant takes
    late facts, by the route ``years.late`` (see the comment above :data:`DATE`).
    """
    if day is None:
        return Placed(None)

    def refused(zh: str, en: str) -> Placed:
        return Placed(day, problems=[Problem(key, tr(*field), tr(zh, en), conflict=True)])

    if years.within is not None and day.year != years.within:
        return Placed(day, problems=[Problem(key, tr(*field), tr(
            f"{day.isoformat()} 不在 {years.within} 考核年度内", f"{day.isoformat()} is outside the {years.within} cycle"))])
    if day.year not in years.cycles:
        return Placed(day, problems=[Problem(key, tr(*field), tr(
            f"{day.isoformat()}：本单位没有 {day.year} 考核年度，请先开启该年度",
            f"{day.isoformat()}: there is no {day.year} cycle in this tenant; open the {day.year} cycle first"))])
    late = years.closed_for(day)
    if not late:
        return Placed(day)
    where = (f"{day.isoformat()} 在考核期 {'、'.join(f'{p.key}（{p.label}）' for p in late)}内，该期考核结果已在审核或已发布",
             (f"{day.isoformat()} falls in period {', '.join(p.key for p in late)}, whose results are under review "
              "or published"))
    if not (may_be_late and years.late_facts):
        hint = (tr(f"；本单位不接受迟到的{what[0]}（党建办可允许：bastion tenant set --late-facts allow，"
                   "之后可选择计入下一考核期或走更正）",
                   f"; this tenant takes no late {what[1]} (the party-affairs office may allow them: bastion tenant "
                   "set --late-facts allow; one is then booked in the next period or taken by the correction route)")
                if may_be_late else "")
        if day.year in years.closed:
            return refused(f"{day.year} 年度考核结果已在审核或已发布：该年度{what[0]}已关闭" + hint,
                           f"the {day.year} results are under review or published: the year's {what[1]} are closed"
                           + hint)
        return refused(f"{where[0]}：结果依据当时已记录的{what[0]}，不再接受该期迟到的{what[0]}"
                       "（该期结果如有错误，请用 bastion correct 更正）" + hint,
                       f"{where[1]}: they stand on the {what[1]} recorded by then, and a late one is not taken for it "
                       "(correct a wrong result with bastion correct)" + hint)
    booked = next_open_day(years, day)
    if years.late is Late.correction:
        return Placed(day, day, late=Late.correction)
    if years.late is Late.next:
        if booked is None:
            zh, en = _no_next(years, day)
            return refused(f"{where[0]}：{zh}，无法计入下一考核期：请走更正（correction）",
                           f"{where[1]}: {en}, so it cannot go to a next period: take the correction route (correction)")
        return Placed(booked, day, late=Late.next)
    if booked is None:
        zh, en = _no_next(years, day)
        return refused(f"{where[0]}：这是迟到的{what[0]}，{zh}，只能走更正（correction）：按原日期记录，"
                       "不计入已关闭的考核期，由党建办核验（bastion verify --late）后更正",
                       f"{where[1]}: this is a late one, and {en}, so only the correction route (correction) is left: "
                       "kept on its own date, counted in no closed period, for the office to verify (bastion verify "
                       "--late) and correct")
    return refused(f"{where[0]}：这是迟到的{what[0]}，请选择计入下一考核期（next：记在 {booked.isoformat()}）"
                   "或走更正（correction：按原日期记录，不计入已关闭的考核期，由党建办核验后更正）",
                   f"{where[1]}: this is a late one; choose to book it in the next period (next: on "
                   f"{booked.isoformat()}) or the correction route (correction: kept on its own date, counted in no "
                   "closed period, for the office to verify and correct)")


def _no_next(years: Years, day: date) -> tuple[str, str]:
    """Why a fact dated ``day`` has no next period to go to (:func:`next_open_day` gave None), in Chinese and English:
    its year is closed, or no open period of it follows — a fact counts in its own year only."""
    if day.year in years.closed:
        return f"{day.year} 年度已关闭", f"the {day.year} year is closed"
    return (f"其后 {day.year} 年度已没有未关闭的考核期（事实只计入本年度）",
            f"no open period of {day.year} follows (a fact counts in its own year only)")


def date_problems(years: Years, day: date | None, *, what: tuple[str, str], field: tuple[str, str] = DATE,
                  key: str = "date") -> list[Problem]:
    """What is wrong with a fact dated ``day`` that cannot arrive late — a rating, a self-assessment (see the
    comment above :data:`DATE`): a late one is refused whatever the tenant allows."""
    return place(years, day, what=what, field=field, key=key, may_be_late=False).problems


def counted_in(years: Years, day: date) -> list[Period]:
    """The periods of ``day``'s cycle, assessed and still open, that a fact dated ``day`` counts in."""
    cycle = years.cycle(day)
    if cycle is None:
        return []
    shut = {p.key for p in years.closed_periods.get(day.year, ())}
    return [p for p in map(Period.parse, cycle_periods(cycle)) if p.contains(day) and p.key not in shut]


def late_routes(years: Years, day: date | None) -> dict[Late, str]:
    """What each route would do with a fact dated ``day`` — shown beside the choice — or nothing when the fact is
    not late or the tenant takes no late facts (it is then on time, or refused)."""
    if day is None or not years.late_facts or not years.closed_for(day) or day.year not in years.cycles:
        return {}
    if years.within is not None and day.year != years.within:
        return {}
    shut = "、".join(p.key for p in years.closed_for(day))
    shut_en = ", ".join(p.key for p in years.closed_for(day))
    booked = next_open_day(years, day)
    if booked is None:
        zh, en = _no_next(years, day)
        on_next = tr(f"不可用：{zh}", f"not available: {en}")
    else:
        into = counted_in(years, booked)
        on_next = tr(f"记在 {booked.isoformat()}，计入 {'、'.join(p.key for p in into)}；不计入已关闭的 {shut}",
                     f"booked on {booked.isoformat()}, counted in {', '.join(p.key for p in into)}; not in the "
                     f"closed {shut_en}")
    still = counted_in(years, day)
    counted = (tr(f"，计入仍开放的 {'、'.join(p.key for p in still)}", f", counted in the open {', '.join(p.key for p in still)}")
               if still else "")
    on_correction = tr(f"按原日期 {day.isoformat()} 记录，不计入已关闭的 {shut}（其结果不变，由党建办核验"
                       f"（bastion verify --late）后用 bastion correct 更正）{counted}",
                       f"kept on its own date {day.isoformat()}, not counted in the closed {shut_en} (its results stand "
                       f"until the office verifies (bastion verify --late) and corrects them with bastion correct)"
                       f"{counted}")
    return {Late.next: on_next, Late.correction: on_correction}
