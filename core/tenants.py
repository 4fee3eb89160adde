"""Tenants (enterprises) and the plugins each one enables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete
from sqlalchemy import select as select_core
from sqlmodel import Session, select

from . import audit
from .errors import Ambiguous, Conflict, NotFound
from .i18n import tr
from .models import (
    Tenant,
    TenantPlugin,
)
from .registry import Registry


def _not_installed(unknown: Iterable[str], registry: Registry) -> str:
    names, installed = list(unknown), sorted(registry.infos)
    return tr(f"插件未安装：{'、'.join(names)}（已安装：{'、'.join(installed)}）",
              f"plugin(s) not installed: {', '.join(names)} (installed: {', '.join(installed)})")


def create_tenant(session: Session, *, code: str, name: str, plugins: Iterable[str], registry: Registry,
                  actor: str) -> Tenant:
    """A new tenant with ``plugins`` enabled (each must be installed)."""
    if session.exec(select(Tenant).where(Tenant.code == code)).first():
        raise Conflict(tr(f"单位 {code!r} 已存在", f"tenant {code!r} already exists"))
    plugins = sorted(set(plugins))
    unknown = [p for p in plugins if p not in registry.infos]
    if unknown:
        raise NotFound(_not_installed(unknown, registry))
    tenant = Tenant(code=code, name=name)
    session.add(tenant)
    session.flush()
    session.add_all(TenantPlugin(tenant_id=tenant.id, plugin=p) for p in plugins)
    audit.record(session, tenant_id=tenant.id, actor=actor, action="create", entity="tenant", entity_id=tenant.id,
                 new={"code": code, "name": name, "plugins": plugins})
    return tenant


def resolve_tenant(session: Session, code: str | None = None) -> Tenant:
    """The tenant named ``code``; without a code, the only tenant there is."""
    if code is not None:
        tenant = session.exec(select(Tenant).where(Tenant.code == code)).first()
        if tenant is None:
            raise NotFound(tr(f"没有单位 {code!r}；`bastion tenant list` 列出所有单位",
                              f"no tenant {code!r}; `bastion tenant list` shows the tenants"))
        return tenant
    tenants = session.exec(select(Tenant).order_by(Tenant.code)).all()
    if not tenants:
        raise NotFound(tr("还没有任何单位：请用 `bastion tenant create CODE --name NAME` 创建（或运行 `bastion demo`）",
                          "there is no tenant yet: create one with `bastion tenant create CODE --name NAME` "
                          "(or run `bastion demo`)"))
    if len(tenants) > 1:
        codes = [t.code for t in tenants]
        raise Ambiguous(tr(f"共有 {len(tenants)} 个单位（{'、'.join(codes)}）：请用 --tenant 指定",
                           f"{len(tenants)} tenants exist ({', '.join(codes)}): name one with --tenant"))
    return tenants[0]


def lookup_tenant(engine: Engine, code: str | None = None) -> Tenant:
    """:func:`resolve_tenant`, for a caller that holds no session (a command): read in a session of its own."""
    with Session(engine) as session:
        return resolve_tenant(session, code)


def enable_plugins(session: Session, tenant: Tenant, plugins: Iterable[str], *, registry: Registry,
                   actor: str) -> list[str]:
    """Enable installed ``plugins`` for ``tenant``; returns the ones that were not enabled yet.

    Cycles already opened keep the scheme version they froze: enabling a plugin with a newer
    version of a scheme only changes the cycles opened afterwards.
    """
    wanted = sorted(set(plugins))
    unknown = [p for p in wanted if p not in registry.infos]
    if unknown:
        raise NotFound(_not_installed(unknown, registry))
    before = enabled_plugins(session, tenant.id)
    added = [p for p in wanted if p not in before]
    session.add_all(TenantPlugin(tenant_id=tenant.id, plugin=p) for p in added)
    if added:
        audit.record(session, tenant_id=tenant.id, actor=actor, action="enable", entity="tenant", entity_id=tenant.id,
                     old={"plugins": before}, new={"plugins": sorted(before + added)})
    return added


def disable_plugins(session: Session, tenant: Tenant, plugins: Iterable[str], *, actor: str) -> list[str]:
    """Disable ``plugins`` for ``tenant``; returns the ones that were enabled.

    Its open cycles keep their frozen scheme, but rule types and policies of a disabled plugin are
    no longer available to them: scoring says which one is missing.
    """
    before = enabled_plugins(session, tenant.id)
    unknown = sorted(set(plugins) - set(before))
    if unknown:
        raise NotFound(tr(f"单位 {tenant.code} 未启用 {'、'.join(unknown)}（已启用：{'、'.join(before) or '无'}）",
                          f"tenant {tenant.code} does not enable {', '.join(unknown)} (enabled: "
                          f"{', '.join(before) or 'none'})"))
    removed = sorted(set(plugins))
    session.connection().execute(delete(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id,
                                                            TenantPlugin.plugin.in_(removed)))
    audit.record(session, tenant_id=tenant.id, actor=actor, action="disable", entity="tenant", entity_id=tenant.id,
                 old={"plugins": before}, new={"plugins": [p for p in before if p not in removed]})
    return removed


def set_late_facts(session: Session, tenant: Tenant, *, allow: bool, actor: str) -> bool:
    """Whether ``tenant`` takes late facts — a ledger entry or a finding dated in a period whose results are under
    review or published, booked in the next period or kept for a correction, the user's choice
    (``periods.place``) — or refuses them; audited. Returns whether it changed."""
    if tenant.late_facts == allow:
        return False
    audit.record(session, tenant_id=tenant.id, actor=actor, action="update", entity="tenant", entity_id=tenant.id,
                 old={"late_facts": tenant.late_facts}, new={"late_facts": allow})
    tenant.late_facts = allow
    session.add(tenant)
    return True


def enabled_plugins(db: Session | Connection, tenant_id: int) -> list[str]:
    """The plugins ``tenant_id`` enables, read in ``db``: a session (with what it has not flushed yet) or a
    connection."""
    if isinstance(db, Session):
        return sorted(db.exec(select(TenantPlugin.plugin).where(TenantPlugin.tenant_id == tenant_id)).all())
    t = TenantPlugin.__table__.c
    return sorted(db.execute(select_core(t.plugin).where(t.tenant_id == tenant_id)).scalars())


def read_tenants(conn: Connection) -> list[dict[str, Any]]:
    """Every tenant by code: its code, its name, the plugins it enables and whether it takes late facts."""
    t = Tenant.__table__.c
    return [{"code": row.code, "name": row.name, "plugins": enabled_plugins(conn, row.id),
             "late_facts": bool(row.late_facts)}
            for row in conn.execute(select_core(t.id, t.code, t.name, t.late_facts).order_by(t.code)).all()]


def tenants_enabling(conn: Connection) -> dict[str, list[str]]:
    """Plugin name → codes of the tenants that enable it."""
    p, t = TenantPlugin.__table__.c, Tenant.__table__.c
    rows = conn.execute(select_core(p.plugin, t.code).join_from(TenantPlugin.__table__, Tenant.__table__,
                                                                 t.id == p.tenant_id)).all()
    out: dict[str, list[str]] = {}
    for plugin, code in rows:
        out.setdefault(plugin, []).append(code)
    return {k: sorted(v) for k, v in out.items()}
