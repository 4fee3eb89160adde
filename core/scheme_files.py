"""Schemes as files (方案文件): a scheme written as YAML or JSON in the documented format (``core.scheme.Scheme``;
docs/schemes.md), checked like a plugin's and adopted by a tenant as a version of its own.

An office that wants to move two points between blocks next year exports its scheme (:func:`dump`), edits the file,
checks it (:func:`load` and the registry's ``check_scheme``: every rule type, ledger type and policy it names must be
contributed by a plugin the tenant enables, with valid parameters), tries it on last year's facts
(``core.whatif``), and adopts it (:func:`adopt`): cycles opened afterwards freeze it like any scheme. Rule types and
policies still come from plugins; the file only arranges them.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from . import audit
from .errors import BadValue, Conflict
from .i18n import tr
from .models import Tenant, TenantScheme
from .registry import Contribution, Registry
from .scheme import Scheme
from .tenants import enabled_plugins

SUFFIXES = (".yaml", ".yml", ".json")
FILE_PLUGIN = "file"  # the ``scheme_plugin`` of a cycle frozen from a file whose id no plugin contributes


def _field(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


def parse(text: str, name: str) -> Scheme:
    """A scheme from the text of the file ``name`` (YAML or JSON, by its suffix); refused naming the file, each field
    at fault and why."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadValue(tr(f"{name}：方案文件应为 .yaml、.yml 或 .json", f"{name}: a scheme file is .yaml, .yml or .json"))
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", None)
        raise BadValue(tr(f"{name}：不是有效的 {suffix[1:].upper()}（第 {where} 行）：{exc}",
                          f"{name}: not valid {suffix[1:].upper()} (line {where}): {exc}")) from None
    if not isinstance(data, dict):
        raise BadValue(tr(f"{name}：方案文件应是一个映射（id、version、blocks …）",
                          f"{name}: a scheme file is a mapping (id, version, blocks …)"))
    try:
        return Scheme.model_validate(data)
    except ValidationError as exc:
        said = "；".join(f"{_field(e['loc']) or '（整体）'}：{e['msg']}" for e in exc.errors())
        raise BadValue(tr(f"{name}：{len(exc.errors())} 处问题：{said}",
                          f"{name}: {len(exc.errors())} problem(s): {said}")) from None


def load(path: Path) -> Scheme:
    return parse(path.read_text(encoding="utf-8-sig"), path.name)


def dump(scheme: Scheme, suffix: str = ".yaml") -> str:
    """The scheme as a file's text: YAML (Chinese as it is) or JSON."""
    data = scheme.model_dump(mode="json", exclude_defaults=True)
    data = {"id": scheme.id, "version": scheme.version, **data}
    if suffix.lower() == ".json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def faults(session: Session, tenant: Tenant, scheme: Scheme, registry: Registry) -> list[str]:
    """What the tenant's enabled plugins do not provide for the scheme (rule types, ledger types, policies, params)."""
    return registry.check_scheme(scheme, enabled_plugins(session, tenant.id))


def adopted(session: Session, tenant_id: int, registry: Registry) -> dict[str, Contribution[Scheme]]:
    """The tenant's adopted schemes, the latest version of each id, as contributions (the plugin whose scheme the id
    is, where one contributes it; else :data:`FILE_PLUGIN`)."""
    rows = session.exec(select(TenantScheme).where(TenantScheme.tenant_id == tenant_id)
                        .order_by(TenantScheme.added_at, TenantScheme.id)).all()
    plugins = {k: c.plugin for k, c in registry.schemes().items()}
    return {row.scheme_id: Contribution(plugins.get(row.scheme_id, FILE_PLUGIN), Scheme.model_validate(row.document))
            for row in rows}


def adopt(session: Session, *, tenant: Tenant, scheme: Scheme, source: str, registry: Registry,
          actor: str) -> TenantScheme:
    """Adopt ``scheme`` as the tenant's, a version of its own: checked against the tenant's plugins first; a version
    the tenant already has (adopted, or a plugin's) is refused."""
    found = faults(session, tenant, scheme, registry)
    if found:
        raise BadValue(tr(f"{source}：方案 {scheme.id} 无法采用：" + "；".join(found),
                          f"{source}: scheme {scheme.id} cannot be adopted: " + "; ".join(found)))
    mine = adopted(session, tenant.id, registry)
    known = {c.item.version for k, c in {**registry.schemes(), **mine}.items() if k == scheme.id}
    if session.exec(select(TenantScheme).where(TenantScheme.tenant_id == tenant.id, TenantScheme.scheme_id == scheme.id,
                                               TenantScheme.version == scheme.version)).first() or scheme.version in known:
        raise Conflict(tr(f"方案 {scheme.id} 已有版本 {scheme.version}：请在文件中改用新的 version",
                          f"scheme {scheme.id} already has version {scheme.version}: give the file a new version"))
    row = TenantScheme(tenant_id=tenant.id, scheme_id=scheme.id, version=scheme.version,
                       document=scheme.model_dump(mode="json"), source=source[:255], added_by=actor)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same version adopted meanwhile by another request: this one acts not
        raise Conflict(tr(f"方案 {scheme.id} 已有版本 {scheme.version}：请在文件中改用新的 version",
                          f"scheme {scheme.id} already has version {scheme.version}: give the file a new "
                          "version")) from None
    audit.record(session, tenant_id=tenant.id, actor=actor, action="adopt", entity="scheme", entity_id=scheme.id,
                 new={"version": scheme.version, "file": source, "indicators": len(list(scheme.indicators()))})
    return row
