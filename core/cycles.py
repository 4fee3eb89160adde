"""Assessment cycles: opening one freezes the scheme and its targets; targets can be adjusted."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from . import audit, scheme_files
from .contributions import CycleEvent
from .periods import Period
from .errors import Ambiguous, BadValue, BastionError, Conflict, NotFound
from .i18n import tr
from .models import Cycle, Evaluation, EvaluationStatus, Indicator, Organization, Target, Tenant, code_is, utcnow
from .registry import Registry
from .scheme import Scheme
from .tenants import enabled_plugins, resolve_tenant


class InvalidScheme(BastionError):
    pass


def open_cycle(session: Session, *, tenant: Tenant, year: int, registry: Registry, actor: str,
               scheme_id: str | None = None, name: str | None = None) -> Cycle:
    """Open ``year``'s cycle with an enabled scheme, frozen as it is now, with its default targets."""
    enabled = enabled_plugins(session, tenant.id)
    # the enabled plugins' schemes, each replaced by the latest version the tenant adopted from a file (scheme_files)
    schemes = {**registry.schemes(enabled), **scheme_files.adopted(session, tenant.id, registry)}
    if not schemes:
        raise NotFound(tr(f"单位 {tenant.code} 未启用任何提供考核方案的插件：请用 `bastion tenant enable PLUGIN` 启用"
                          "（`bastion plugins list` 列出可用插件）",
                          f"tenant {tenant.code} enables no plugin that contributes a scheme: enable one with "
                          "`bastion tenant enable PLUGIN` (`bastion plugins list` shows them)"))
    if scheme_id is None:
        if len(schemes) != 1:
            names = sorted(schemes)
            raise Ambiguous(tr(f"单位 {tenant.code} 启用了 {len(schemes)} 个方案（{'、'.join(names) or '无'}）：请用 --scheme 指定",
                               f"tenant {tenant.code} enables {len(schemes)} schemes ({', '.join(names) or 'none'}): "
                               "name one with --scheme"))
        scheme_id = next(iter(schemes))
    if scheme_id not in schemes:
        raise NotFound(tr(f"单位 {tenant.code} 已启用的插件都不提供方案 {scheme_id!r}"
                          f"（已启用的方案：{'、'.join(sorted(schemes)) or '无'}）",
                          f"scheme {scheme_id!r} is not contributed by any plugin tenant {tenant.code} enables "
                          f"(enabled schemes: {', '.join(sorted(schemes)) or 'none'})"))
    contribution = schemes[scheme_id]
    scheme = contribution.item
    faults = registry.check_scheme(scheme, enabled)
    if faults:
        raise InvalidScheme(tr(f"插件 {contribution.plugin} 的方案 {scheme_id} 无法使用：" + "；".join(faults),
                               f"scheme {scheme_id} of plugin {contribution.plugin} cannot be used: "
                               f"" + "; ".join(faults)))
    if session.exec(select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.year == year)).first():
        raise Conflict(tr(f"单位 {tenant.code} 已有 {year} 考核年度", f"tenant {tenant.code} already has a cycle for {year}"))

    cycle = Cycle(tenant_id=tenant.id, year=year, name=name or f"{year}年度{scheme.name}", scheme_id=scheme.id,
                  scheme_version=scheme.version, scheme_plugin=contribution.plugin,
                  scheme=scheme.model_dump(mode="json"), opened_by=actor)
    session.add(cycle)
    session.flush()
    indicators = []
    for position, (block, spec) in enumerate((b, i) for b in scheme.blocks for i in b.indicators):
        indicators.append(Indicator(cycle_id=cycle.id, code=spec.code, block_code=block.code, block_name=block.name,
                                    name=spec.name, kind=str(spec.kind), points=spec.points, rule=spec.rule,
                                    params=spec.params, tolerance=spec.tolerance, position=position))
    session.add_all(indicators)
    session.flush()
    by_code = {i.code: i for i in indicators}
    session.add_all(
        Target(cycle_id=cycle.id, indicator_id=by_code[spec.code].id, category=None if cat == "*" else cat,
               value=value, reason="方案默认目标", set_by=actor)
        for spec in scheme.indicators() for cat, value in spec.targets.items()
    )
    audit.record(session, tenant_id=tenant.id, actor=actor, action="open", entity="cycle", entity_id=cycle.id,
                 new={"year": year, "scheme": scheme.id, "version": scheme.version, "plugin": contribution.plugin})
    registry.notify(CycleEvent("opened", tenant.code, year, detail={"scheme": scheme.id, "version": scheme.version}),
                    enabled)
    return cycle


def resolve_cycle(session: Session, tenant: Tenant, year: int | None = None, *, with_results: bool = False,
                  period: str | None = None) -> Cycle:
    """The tenant's cycle for ``year``; without a year, the cycle of ``period`` (2026-Q1: the 2026 cycle), else
    its only cycle.

    With ``with_results`` (commands that read results), several cycles are no longer ambiguous:
    the latest one with results is meant — in January, last year's, while the new one is open.
    A ``period`` that is not a period, or not of ``year``, is a :class:`BadValue`.
    """
    query = select(Cycle).where(Cycle.tenant_id == tenant.id)
    if period is not None:
        named = Period.parse(period)
        if year is not None and named.year != year:
            raise BadValue(tr(f"考核期 {named.key} 不属于 {year} 考核年度：请写 {year} 年的考核期，或去掉 --year",
                              f"period {named.key} is not in the {year} cycle: name a period of {year}, or leave out --year"))
        if year is None:
            cycle = session.exec(query.where(Cycle.year == named.year)).first()
            if cycle is None:
                years = tr("、", ", ").join(str(c.year) for c in session.exec(query.order_by(Cycle.year))) or tr("无", "none")
                raise NotFound(tr(f"考核期 {named.key}：单位 {tenant.code} 没有 {named.year} 考核年度（已有：{years}）；"
                                  f"请用 `bastion cycle open --year {named.year}` 开启",
                                  f"period {named.key}: tenant {tenant.code} has no cycle for {named.year} "
                                  f"(cycles: {years}); open one with `bastion cycle open --year {named.year}`"))
            return cycle
    if year is not None:
        cycle = session.exec(query.where(Cycle.year == year)).first()
        if cycle is None:
            raise NotFound(tr(f"单位 {tenant.code} 没有 {year} 考核年度；请用 `bastion cycle open --year {year}` 开启",
                              f"tenant {tenant.code} has no cycle for {year}; open one with `bastion cycle open "
                              f"--year {year}`"))
        return cycle
    cycles = session.exec(query.order_by(Cycle.year)).all()
    if not cycles:
        raise NotFound(tr(f"单位 {tenant.code} 还没有考核年度：请用 `bastion cycle open --year YEAR` 开启",
                          f"tenant {tenant.code} has no cycle yet: open one with `bastion cycle open --year YEAR`"))
    if len(cycles) > 1 and with_results:
        for cycle in reversed(cycles):
            if session.exec(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id).limit(1)).first():
                return cycle
    if len(cycles) > 1:
        years = [str(c.year) for c in cycles]
        raise Ambiguous(tr(f"单位 {tenant.code} 有 {len(cycles)} 个考核年度（{'、'.join(years)}）：请用 --year 指定",
                           f"tenant {tenant.code} has {len(cycles)} cycles ({', '.join(years)}): name one with --year"))
    return cycles[0]


def lookup_cycle(engine: Engine, tenant_code: str | None, year: int | None = None, *, with_results: bool = False,
                 period: str | None = None) -> tuple[Tenant, Cycle]:
    """The tenant named ``tenant_code`` (the only one without) and its cycle (:func:`resolve_cycle`), for a
    caller that holds no session (a command): read in a session of their own."""
    with Session(engine) as session:
        tenant = resolve_tenant(session, tenant_code)
        return tenant, resolve_cycle(session, tenant, year, with_results=with_results, period=period)


def list_cycles(engine: Engine, tenant_id: int) -> list[tuple[Cycle, str]]:
    """The tenant's cycles by year, each with where it stands (:func:`cycle_states`)."""
    with Session(engine) as session:
        found = list(session.exec(select(Cycle).where(Cycle.tenant_id == tenant_id).order_by(Cycle.year)))
        states = cycle_states(session, found)
    return [(cycle, states[cycle.id]) for cycle in found]


def cycle_states(session: Session, cycles: list[Cycle]) -> dict[int, str]:
    """Where each cycle stands, by its annual results (a :data:`core.words.CYCLE_STATUS` code): ``published``
    once the year's results are published, ``awaiting_review`` while they wait for the leaders' review
    (领导审核), else ``open``. (``Cycle.status`` is not kept up to date: this is the state.)"""
    e = Evaluation.__table__.c
    found: dict[int, set[str]] = {c.id: set() for c in cycles}
    years = {c.id: str(c.year) for c in cycles}
    rows = session.connection().execute(select(e.cycle_id, e.period, e.status).where(e.cycle_id.in_(list(found)))
                                        .distinct()).all()
    for cycle_id, period, status in rows:
        if period == years[cycle_id]:
            found[cycle_id].add(status)
    return {cycle_id: "published" if EvaluationStatus.published in statuses
            else "awaiting_review" if EvaluationStatus.reviewed in statuses else "open"
            for cycle_id, statuses in found.items()}


def cycle_scheme(cycle: Cycle) -> Scheme:
    """The scheme exactly as it was frozen when the cycle opened."""
    return Scheme.model_validate(cycle.scheme)


def set_target(session: Session, *, cycle: Cycle, indicator_code: str, value: float, reason: str, actor: str,
               org_code: str | None = None, category: str | None = None) -> Target:
    """Adjust a target for one branch (or one category), recording why (因地制宜调整目标).

    Each adjustment is a row of its own, stamped when it was set; the latest one wins
    (``engine.resolve_targets``). A period under review or published keeps the targets set up to its scoring
    (``scoring.facts_until``): an adjustment counts in the periods still open."""
    if not reason.strip():
        raise BastionError(tr("调整目标值须写明理由", "a target adjustment needs a reason"))
    if (org_code is None) == (category is None):
        raise BastionError(tr("目标值只能按一个组织（--org）或一个类别（--category）调整",
                              "adjust a target either for one organisation (--org) or for one category (--category)"))
    indicator = session.exec(select(Indicator).where(Indicator.cycle_id == cycle.id,
                                                     Indicator.code == indicator_code)).first()
    if indicator is None:
        raise NotFound(tr(f"该考核年度的方案没有指标 {indicator_code!r}",
                          f"the cycle's scheme has no indicator {indicator_code!r}"))
    org_id = None
    if org_code is not None:
        org = session.exec(select(Organization).where(Organization.tenant_id == cycle.tenant_id,
                                                      code_is(Organization.code, org_code))).first()
        if org is None:
            raise NotFound(tr(f"没有组织 {org_code!r}", f"no organisation {org_code!r}"))
        org_id = org.id
    latest = session.exec(select(Target).where(Target.cycle_id == cycle.id, Target.indicator_id == indicator.id,
                                               Target.org_id == org_id, Target.category == category)
                          .order_by(Target.id.desc())).first()
    old = None if latest is None else {"value": latest.value, "reason": latest.reason}
    target = Target(cycle_id=cycle.id, indicator_id=indicator.id, org_id=org_id, category=category, value=value,
                    reason=reason, set_by=actor, set_at=utcnow())
    session.add(target)
    session.flush()
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor, action="adjust", entity="target", entity_id=target.id,
                 old=old, new={"indicator": indicator_code, "org": org_code, "category": category, "value": value,
                               "reason": reason})
    return target


def tenant_cycles(session: Session, tenant_id: int) -> list[Cycle]:
    """The tenant's cycles, the latest year first."""
    return list(session.exec(select(Cycle).where(Cycle.tenant_id == tenant_id).order_by(Cycle.year.desc())).all())
