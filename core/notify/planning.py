"""What each event puts in the outbox, and when.

Events of the calendar are planned by the delivery stage for the day it runs (:func:`plan_day`): a notice due in
7, 3 or 1 days, or overdue (to its branch's secretary, the overdue one escalated to the office above); a secretary's
term ending in 90 or 30 days, or ended with no new term recorded (换届提醒); a ballot round closing tomorrow; from the
day of the month the scheme says (the 25th), a branch with no 支委会 or 主题党日 — the monthly meetings the scheme
names — recorded in the month (三会一课提醒). Each occurrence is named for good
(``notice:12:due:3``): planning again — the next run, a rerun — adds nothing, and a run that missed a day still
sends the nearest reminder (a notice two days from its deadline gets the 3-day one if it has not had it).

Events that happen are put in the transaction that makes them happen: a period's results published
(:func:`published`), an appeal decided (:func:`appeal_decided`), a ballot round opened (:func:`round_opened`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from ..models import (BallotCode, BallotRound, Cycle, Evaluation, LedgerEntry, Organization, OrgLevel, Rectification,
                      RoundStatus, Tenant)
from ..periods import TIME_ZONE, Period
from ..rectification.service import OPEN, overdue_clause
from ..registry import Registry
from ..scheme import MeetingsReminder, Scheme
from ..tenants import enabled_plugins
from ..words import APPEAL_STATUS
from . import outbox
from .outbox import Occurrence
from .recipients import Offices, admins_on, leaders, secretaries, user

NOTICE_DAYS = (7, 3, 1)  # reminders before a notice's deadline
TERM_DAYS = (90, 30)  # reminders before a secretary's term ends
MORNING = time(9)  # what a day brings is due at nine, tenant time


def morning(day: date) -> datetime:
    return datetime.combine(day, MORNING, ZoneInfo(TIME_ZONE))


def _threshold(days_left: int, steps: tuple[int, ...]) -> int | None:
    """The reminder due with ``days_left`` to go: the nearest step not below it (None: too early)."""
    due = [s for s in steps if days_left <= s]
    return min(due) if due else None


def put(conn: Connection, registry: Registry, tenant_id: int, occurrences: list[Occurrence]) -> int:
    if not occurrences:
        return 0
    return outbox.put(conn, tenant_id, occurrences,
                      outbox.routes(conn, tenant_id, registry, enabled_plugins(conn, tenant_id)))


# --- what a day brings ------------------------------------------------------------------------------------


def plan_day(conn: Connection, registry: Registry, tenant: Tenant, day: date) -> int:
    """Put what ``day`` brings in the tenant's outbox; how many notifications are new."""
    occurrences = [*_notices(conn, tenant.id, day), *_terms(conn, tenant.id, day), *_rounds(conn, tenant.id, day),
                   *_meetings(conn, registry, tenant.id, day)]
    return put(conn, registry, tenant.id, occurrences)


def _notices(conn: Connection, tenant_id: int, day: date) -> list[Occurrence]:
    r, o = Rectification.__table__.c, Organization.__table__.c
    rows = conn.execute(select(r.id, r.org_id, r.notice_no, r.problem, r.deadline, o.name,
                               overdue_clause(day).label("overdue"))
                        .join_from(Rectification.__table__, Organization.__table__, o.id == r.org_id)
                        .where(r.tenant_id == tenant_id, r.status.in_(OPEN),
                               r.deadline <= day + timedelta(days=max(NOTICE_DAYS)))).all()
    whose = secretaries(conn, tenant_id, sorted({row.org_id for row in rows}))
    offices = Offices(conn, tenant_id) if rows else None
    found = []
    for row in rows:
        params = {"org": row.name, "notice_no": row.notice_no, "problem": row.problem, "deadline": str(row.deadline)}
        if row.overdue:
            to = [*whose.get(row.org_id, []), *offices.over(row.org_id)]
            found.append(Occurrence("notice_overdue", f"notice:{row.id}:overdue", morning(day),
                                    [(p, params) for p in to], row.org_id, params))
            continue
        step = _threshold((row.deadline - day).days, NOTICE_DAYS)
        if step is not None and row.deadline >= day:
            days = {**params, "days": (row.deadline - day).days}
            found.append(Occurrence("notice_due", f"notice:{row.id}:due:{step}", morning(day),
                                    [(p, days) for p in whose.get(row.org_id, [])], row.org_id))
    return found


def _terms(conn: Connection, tenant_id: int, day: date) -> list[Occurrence]:
    o = Organization.__table__.c
    rows = conn.execute(select(o.id, o.name, o.secretary, o.secretary_term_end)
                        .where(o.tenant_id == tenant_id, o.active.is_(True), o.secretary_term_end.is_not(None),
                               o.secretary_term_end <= day + timedelta(days=max(TERM_DAYS)))).all()
    whose = secretaries(conn, tenant_id, [row.id for row in rows])
    offices = Offices(conn, tenant_id) if rows else None
    found = []
    for row in rows:
        params = {"org": row.name, "secretary": row.secretary or "", "end": str(row.secretary_term_end)}
        left = (row.secretary_term_end - day).days
        if left < 0:
            to = [*whose.get(row.id, []), *offices.over(row.id)]
            found.append(Occurrence("term_ended", f"term:{row.id}:{row.secretary_term_end}:ended", morning(day),
                                    [(p, params) for p in to], row.id, params))
            continue
        step = _threshold(left, TERM_DAYS)
        if step is not None:
            to = [*whose.get(row.id, []), *offices.over(row.id)]
            found.append(Occurrence("term_ending", f"term:{row.id}:{row.secretary_term_end}:{step}", morning(day),
                                    [(p, {**params, "days": left}) for p in to], row.id, {**params, "days": left}))
    return found


def _rounds(conn: Connection, tenant_id: int, day: date) -> list[Occurrence]:
    """Open ballot rounds whose deadline is tomorrow or today: a reminder to the tenant's offices, with the turnout."""
    b, c, k = BallotRound.__table__.c, Cycle.__table__.c, BallotCode.__table__.c
    rows = conn.execute(select(b.id, b.period, b.deadline)
                        .join_from(BallotRound.__table__, Cycle.__table__, c.id == b.cycle_id)
                        .where(c.tenant_id == tenant_id, b.status == RoundStatus.open.value,
                               b.deadline <= day + timedelta(days=1), b.deadline >= day)).all()
    found = []
    for row in rows:
        codes, cast = conn.execute(select(func.count(), func.count().filter(k.used.is_(True)))
                                   .where(k.round_id == row.id)).one()
        params = {"period": Period.parse(row.period).label, "deadline": str(row.deadline), "cast": cast,
                  "codes": codes}
        found.append(Occurrence("round_closing", f"round:{row.id}:closing", morning(day),
                                [(p, params) for p in _offices(conn, tenant_id)], None, params))
    return found


def _meetings(conn: Connection, registry: Registry, tenant_id: int, day: date) -> list[Occurrence]:
    """From the day of the month the scheme of ``day``'s cycle says (``Scheme.meetings_reminder``, the 25th by
    default): each active branch with none of a monthly meeting's ledger entries in the month, to its secretary —
    one reminder a month naming all it lacks. A year the tenant does not assess, or a scheme with no such reminder:
    none."""
    rule = _meetings_rule(conn, tenant_id, day.year)
    if rule is None or day.day < rule.by_day:
        return []
    types = {code: c.item for code, c in registry.ledger_types(enabled_plugins(conn, tenant_id)).items()}
    names = {code: (types[code].name, types[code].name_en or types[code].name)
             for code in rule.ledger_types if code in types}  # a type the tenant cannot record is not asked for
    if not names:
        return []
    first = day.replace(day=1)
    o, le = Organization.__table__.c, LedgerEntry.__table__.c
    held = {(org, kind) for org, kind in conn.execute(
        select(le.org_id, le.type).where(le.tenant_id == tenant_id, le.type.in_(list(names)),
                                         le.date >= first, le.date <= day).distinct())}
    branches = conn.execute(select(o.id, o.name).where(o.tenant_id == tenant_id, o.active.is_(True),
                                                       o.level == OrgLevel.branch.value)).all()
    whose = secretaries(conn, tenant_id, [b.id for b in branches])
    month = f"{day:%Y-%m}"
    found = []
    for branch in branches:
        missing = [names[kind] for kind in names if (branch.id, kind) not in held]
        if not missing or branch.id not in whose:
            continue
        to = [(p, {"org": branch.name, "month": month,
                   "missing": ("、" if p.locale != "en" else " or ").join(n[1 if p.locale == "en" else 0]
                                                                          for n in missing)})
              for p in whose[branch.id]]
        found.append(Occurrence("meetings_missing", f"meetings:{branch.id}:{month}", morning(day), to, branch.id))
    return found


def _meetings_rule(conn: Connection, tenant_id: int, year: int) -> MeetingsReminder | None:
    c = Cycle.__table__.c
    frozen = conn.execute(select(c.scheme).where(c.tenant_id == tenant_id, c.year == year)).scalar_one_or_none()
    return None if frozen is None else Scheme.model_validate(frozen).meetings_reminder


def _offices(conn: Connection, tenant_id: int) -> list:
    """The offices of the whole tenant: the administrators granted on a top organisation."""
    o = Organization.__table__.c
    tops = conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.parent_id.is_(None))).scalars().all()
    return [p for people in admins_on(conn, tenant_id, list(tops)).values() for p in people]


# --- what happens ------------------------------------------------------------------------------------------


def published(conn: Connection, registry: Registry, cycle: Cycle, period: Period, now: datetime) -> int:
    """A period's results published: each branch's secretary is told the branch's result, the leaders the period."""
    e, o = Evaluation.__table__.c, Organization.__table__.c
    rows = conn.execute(select(e.org_id, o.name, e.total, e.rank, e.grade)
                        .join_from(Evaluation.__table__, Organization.__table__, o.id == e.org_id)
                        .where(e.cycle_id == cycle.id, e.period == period.key,
                               e.level == OrgLevel.branch.value)).all()
    whose = secretaries(conn, cycle.tenant_id, [row.org_id for row in rows])
    label = period.label
    to = []
    for row in rows:
        for person in whose.get(row.org_id, []):
            mine = (f"：{row.name} 总分 {row.total:.2f}，排名第 {row.rank}，等次 {row.grade}" if person.locale != "en"
                    else f": {row.name} total {row.total:.2f}, rank {row.rank}, grade {row.grade}")
            to.append((person, {"period": label, "mine": mine}))
    to += [(p, {"period": label, "mine": (f"：共 {len(rows)} 个党支部" if p.locale != "en" else f": {len(rows)} branches")})
           for p in leaders(conn, cycle.tenant_id)]
    group = {"period": label, "mine": f"：共 {len(rows)} 个党支部"}
    return put(conn, registry, cycle.tenant_id,
               [Occurrence("results_published", f"published:{cycle.id}:{period.key}", now, to, None, group)])


def appeal_decided(conn: Connection, registry: Registry, tenant_id: int, *, appeal_id: int, lodged_by: str,
                   org: str, period: str, indicator: str, status: str, decision: str, now: datetime) -> int:
    """An appeal decided (``status``: accepted or rejected): the secretary who lodged it is told how, and why."""
    person = user(conn, tenant_id, lodged_by)
    if person is None:
        return 0
    said = APPEAL_STATUS[status][1 if person.locale == "en" else 0]
    params = {"id": appeal_id, "org": org, "period": period, "indicator": indicator, "status": said,
              "decision": decision}
    return put(conn, registry, tenant_id,
               [Occurrence("appeal_decided", f"appeal:{appeal_id}:decided", now, [(person, params)])])


def round_opened(conn: Connection, registry: Registry, tenant_id: int, *, round_id: int, period: str,
                 deadline: date | None, now: datetime) -> int:
    """A ballot round opened: the offices and every branch's secretary (who hands out the slips)."""
    o = Organization.__table__.c
    branches = conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.active.is_(True),
                                               o.level == OrgLevel.branch.value)).scalars().all()
    to = [p for people in secretaries(conn, tenant_id, list(branches)).values() for p in people]
    to += _offices(conn, tenant_id)
    label = Period.parse(period).label
    params = {"period": label, "until": f"，截止 {deadline}" if deadline else ""}
    params_en = {"period": label, "until": f" until {deadline}" if deadline else ""}
    return put(conn, registry, tenant_id, [Occurrence(
        "round_opened", f"round:{round_id}:opened", now,
        [(p, params_en if p.locale == "en" else params) for p in {p.user_id: p for p in to}.values()], None, params)])

