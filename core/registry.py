"""The plugin manager and the registries gathered from it.

One pluggy ``PluginManager`` holds every installed plugin: Bastion's built-ins and third-party
packages alike are loaded from the entry-point group ``bastion`` (core never imports ``plugins/``).
Every hook is called through pluggy, plugin by plugin (:meth:`Registry.call`), so a plugin that
fails to import, raises in a hook or contributes something invalid is recorded as a
:class:`PluginProblem` with its name and left out, and the others still load. With
``BASTION_TRACE_PLUGINS=1`` in the environment every hook call is written to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TextIO, TypeVar

import pluggy
from pydantic import ValidationError

from . import hookspecs
from .contributions import CycleEvent, IncentivePolicy, LedgerType
from .engine import RuleType
from .errors import BastionError
from .i18n import tr
from .models import RatingSource
from .scheme import Scheme

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "bastion"
TRACE_ENV = "BASTION_TRACE_PLUGINS"
KNOWN_SOURCES = frozenset(s.value for s in RatingSource)
BUILTIN_PREFIX = "bastion.plugins"

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str
    builtin: bool


@dataclass(frozen=True)
class PluginProblem:
    plugin: str
    where: str
    message: str

    def __str__(self) -> str:
        return tr(f"插件 {self.plugin!r}，{self.where}：{self.message}",
                  f"plugin {self.plugin!r}, {self.where}: {self.message}")


class PluginConflict(BastionError, ValueError):
    """Two plugins contribute the same name."""


@dataclass(frozen=True)
class Contribution(Generic[T]):
    plugin: str
    item: T


@dataclass
class Registry:
    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo]
    problems: list[PluginProblem] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict)

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, *, entry_points: bool = True, extra: Iterable[tuple[str, object]] = ()) -> Registry:
        """Every plugin installed under the ``bastion`` entry-point group, plus ``extra`` (name, plugin)."""
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        if tracing_requested():
            trace_hook_calls(pm)
        reg = cls(pm=pm, infos={})
        if entry_points:
            for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                try:
                    plugin = ep.load()
                except Exception as exc:
                    reg.problems.append(PluginProblem(ep.name, tr("导入", "import"), f"{type(exc).__name__}: {exc}"))
                    log.error("plugin %s failed to load: %s", ep.name, exc)
                    continue
                version = getattr(plugin, "__version__", "") or (ep.dist.version if ep.dist else "")
                reg.register(ep.name, plugin, version=version)
        for name, plugin in extra:
            reg.register(name, plugin)
        return reg

    def register(self, name: str, plugin: object, *, version: str = "") -> None:
        if name in self.infos:
            raise PluginConflict(tr(f"有两个插件都名为 {name!r}", f"two plugins are named {name!r}"))
        module = getattr(plugin, "__name__", type(plugin).__module__)
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self.problems.append(PluginProblem(name, tr("注册", "register"), str(exc)))
            return
        version = version or getattr(plugin, "__version__", "") or ""
        self.infos[name] = PluginInfo(name, version, module, module.startswith(BUILTIN_PREFIX))
        self._cache.clear()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self._cache.clear()

    # --- calling hooks plugin by plugin ----------------------------------------------------

    def call(self, hook: str, enabled: Iterable[str] | None = None, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` through pluggy, plugin by plugin: ``(plugin name, result)`` in pluggy's call order.

        ``pm.hook.<name>(…)`` calls every implementation in one go, stops at the first exception and
        returns results that do not say which plugin returned what. Bastion needs both: a contribution
        belongs to a plugin, and a plugin that raises is reported by name (a :class:`PluginProblem`)
        while the others still run. So each plugin is called through a hook caller that holds it alone
        (``pm.subset_hook_caller``), in the order pluggy itself would call them (last registered first,
        ``tryfirst``/``trylast`` honoured). pluggy still passes each implementation only the arguments
        it asks for, and hook-call monitoring (``BASTION_TRACE_PLUGINS``) sees every call.

        ``enabled`` (names) limits the call to those plugins: a tenant's. ``None`` results are dropped,
        as pluggy drops them; for a ``firstresult`` hook the first plugin returning something wins.
        """
        caller = getattr(self.pm.hook, hook)
        allowed = None if enabled is None else set(enabled)
        first = bool(caller.spec and caller.spec.opts.get("firstresult"))
        plugins = self.pm.list_name_plugin()
        order = dict.fromkeys(impl.plugin_name for impl in reversed(caller.get_hookimpls()))
        results: list[tuple[str, Any]] = []
        for name in order:
            if allowed is not None and name not in allowed:
                continue
            alone = self.pm.subset_hook_caller(hook, remove_plugins=[p for n, p in plugins if n != name])
            try:
                returned = alone(**kwargs)
            except Exception as exc:
                problem = PluginProblem(name, hook, tr(f"抛出异常 {type(exc).__name__}: {exc}",
                                                       f"raised {type(exc).__name__}: {exc}"))
                self.problems.append(problem)
                log.error("%s", problem)
                continue
            if first:
                if returned is not None:
                    return [(name, returned)]
                continue
            results.extend((name, result) for result in returned)
        return results

    def _gather(self, hook: str, kind: type[T], key: str) -> dict[str, Contribution[T]]:
        if hook in self._cache:
            return self._cache[hook]
        found: dict[str, Contribution[T]] = {}
        for plugin, items in self.call(hook):
            for item in items:
                if not isinstance(item, kind):
                    self.problems.append(PluginProblem(plugin, hook, tr(f"返回了 {item!r}，而不是 {kind.__name__}",
                                                                          f"returned {item!r}, not a {kind.__name__}")))
                    continue
                name = getattr(item, key)
                if name in found:
                    raise PluginConflict(tr(
                        f"{hook}：{key} {name!r} 同时由插件 {found[name].plugin!r} 和 {plugin!r} 提供",
                        f"{hook}: {key} {name!r} is contributed by both {found[name].plugin!r} and {plugin!r}"
                    ))
                found[name] = Contribution(plugin, item)
        self._cache[hook] = found
        return found

    # --- registries --------------------------------------------------------------------------

    def rule_types(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[RuleType]]:
        return _only(self._gather("bastion_rule_types", RuleType, "name"), enabled)

    def ledger_types(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[LedgerType]]:
        return _only(self._gather("bastion_ledger_types", LedgerType, "code"), enabled)

    def policies(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[IncentivePolicy]]:
        return _only(self._gather("bastion_incentive_policies", IncentivePolicy, "name"), enabled)

    def schemes(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[Scheme]]:
        if "schemes" not in self._cache:
            found: dict[str, Contribution[Scheme]] = {}
            for plugin, items in self.call("bastion_schemes"):
                for raw in items:
                    try:
                        scheme = raw if isinstance(raw, Scheme) else Scheme.model_validate(raw)
                    except ValidationError as exc:
                        sid = raw.get("id", "?") if isinstance(raw, Mapping) else "?"
                        self.problems.append(PluginProblem(plugin, tr(f"方案 {sid}",
                                                                      f"scheme {sid}"), scheme_faults(raw, exc)))
                        continue
                    if scheme.id in found:
                        raise PluginConflict(tr(
                            f"方案编号 {scheme.id!r} 同时由插件 {found[scheme.id].plugin!r} 和 {plugin!r} 提供",
                            f"scheme id {scheme.id!r} is contributed by both {found[scheme.id].plugin!r} and {plugin!r}"
                        ))
                    faults = self.check_scheme(scheme)
                    if faults:
                        self.problems.append(PluginProblem(plugin, tr(f"方案 {scheme.id}", f"scheme {scheme.id}"),
                                                           tr("；", "; ").join(faults)))
                        continue
                    found[scheme.id] = Contribution(plugin, scheme)
            self._cache["schemes"] = found
        return _only(self._cache["schemes"], enabled)

    def check_scheme(self, scheme: Scheme, enabled: Iterable[str] | None = None) -> list[str]:
        """Faults that need the other plugins: unknown rule types, ledger types, policies, bad params."""
        rules = self.rule_types(enabled)
        ledgers = self.ledger_types(enabled)
        policies = self.policies(enabled)
        faults = []
        for spec in scheme.indicators():
            rule = rules.get(spec.rule)
            if rule is None:
                faults.append(tr(f"指标 {spec.code}：已启用的插件都不提供规则类型 {spec.rule!r}",
                                 f"indicator {spec.code}: rule type {spec.rule!r} is not contributed by any "
                                 f"enabled plugin"))
                continue
            try:
                params = rule.item.Params.model_validate(spec.params)
            except ValidationError as exc:
                faults.append(tr(f"指标 {spec.code}：规则 {spec.rule!r} 的参数无效：{_short(exc)}",
                                 f"indicator {spec.code}: parameters for {spec.rule!r} are invalid: {_short(exc)}"))
                continue
            ledger_type = getattr(params, "ledger_type", None)
            if ledger_type is not None and ledger_type not in ledgers:
                faults.append(tr(f"指标 {spec.code}：已启用的插件都不提供台账类型 {ledger_type!r}",
                                 f"indicator {spec.code}: ledger type {ledger_type!r} is not contributed by any "
                                 f"enabled plugin"))
            unknown = sorted(set(getattr(params, "sources", None) or ()) - KNOWN_SOURCES)
            if unknown:
                faults.append(tr(f"指标 {spec.code}：未知的测评来源 {'、'.join(unknown)}（可用：{'、'.join(sorted(KNOWN_SOURCES))}）",
                                 f"indicator {spec.code}: unknown rating source(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(sorted(KNOWN_SOURCES))})"))
        for name in scheme.policies:
            if name not in policies:
                faults.append(tr(f"已启用的插件都不提供激励政策 {name!r}",
                                 f"incentive policy {name!r} is not contributed by any enabled plugin"))
        return faults

    def check(self) -> list[PluginProblem]:
        """Load every contribution of every plugin and return all that is wrong (``bastion plugins check``).

        Faulty schemes, hooks that raise and contributions of the wrong type are problems already;
        a name contributed twice, which makes loading fail, is reported here as a problem too.
        """
        for kind, gather in ((("方案", "schemes"), self.schemes), (("规则类型", "rule types"), self.rule_types),
                             (("台账类型", "ledger types"), self.ledger_types), (("激励政策", "policies"), self.policies)):
            try:
                gather()
            except PluginConflict as exc:
                self.problems.append(PluginProblem(tr("（多个插件）", "(several)"), tr(*kind), str(exc)))
        return list(self.problems)

    def notify(self, event: CycleEvent, enabled: Iterable[str] | None = None) -> None:
        """Tell the ``enabled`` plugins (all if ``None``) of ``event``; one that raises is a problem, not a failure."""
        self.call("bastion_cycle_event", enabled, event=event)

    def contributions_of(self, plugin: str) -> dict[str, list[str]]:
        """What one plugin contributes, by kind: for ``bastion plugins list``."""
        out: dict[str, list[str]] = {}
        for kind, registry in (("schemes", self.schemes()), ("rule types", self.rule_types()),
                               ("ledger types", self.ledger_types()), ("policies", self.policies())):
            names = [name for name, c in registry.items() if c.plugin == plugin]
            if names:
                out[kind] = sorted(names)
        if any(impl.plugin_name == plugin for impl in self.pm.hook.bastion_cycle_event.get_hookimpls()):
            out["events"] = ["cycle events"]
        return out


def _only(found: dict[str, Contribution[T]], enabled: Iterable[str] | None) -> dict[str, Contribution[T]]:
    if enabled is None:
        return dict(found)
    allowed = set(enabled)
    return {k: c for k, c in found.items() if c.plugin in allowed}


def scheme_faults(raw: object, exc: ValidationError) -> str:
    """Validation errors of a scheme document, each located by block and indicator code."""
    faults = []
    for error in exc.errors(include_url=False):
        loc, where = list(error["loc"]), []
        node: Any = raw
        while loc:
            key = loc.pop(0)
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                where.append(str(key))
                continue
            if isinstance(node, Mapping) and "code" in node and isinstance(key, int):
                kind = tr("指标", "indicator") if "kind" in node or "rule" in node else tr("板块", "block")
                where.append(f"{kind} {node['code']}")
            elif not isinstance(key, int):
                where.append(str(key))
        place = tr("，", ", ").join(w for w in where if w not in ("blocks", "indicators")) or tr("方案", "scheme")
        message = error["msg"].removeprefix("Value error, ")
        faults.append(tr(f"{place}：{message}", f"{place}: {message}"))
    return tr("；", "; ").join(faults)


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'scheme'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``BASTION_TRACE_PLUGINS`` asks for hook tracing (set, and not ``0``/``false``/``no``/``off``)."""
    value = (os.environ if environ is None else environ).get(TRACE_ENV, "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def trace_hook_calls(pm: pluggy.PluginManager, stream: TextIO | None = None) -> Callable[[], None]:
    """Write a line per hook call to ``stream`` (stderr when it is written): hook, arguments, plugins, time.

    Registered with ``pm.add_hookcall_monitoring``, so it sees every call pluggy makes, plugin by
    plugin as :meth:`Registry.call` makes them. Returns pluggy's undo function. Argument values are
    left out: a future hook may well be given a frame of 100 000 branches.
    """
    started: list[float] = []  # a stack: a hook implementation may itself call a hook

    def before(hook_name: str, hook_impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
        started.append(time.perf_counter())

    def after(outcome: pluggy.Result[Any], hook_name: str, hook_impls: Sequence[pluggy.HookImpl],
              kwargs: Mapping[str, object]) -> None:
        ms = (time.perf_counter() - started.pop()) * 1000
        plugins = ", ".join(dict.fromkeys(impl.plugin_name for impl in reversed(hook_impls))) or "(no plugin)"
        line = f"[bastion trace] {hook_name}({', '.join(kwargs)}) {plugins}: {ms:.2f} ms"
        if outcome.exception is not None:
            line += f", raised {type(outcome.exception).__name__}: {outcome.exception}"
        print(line, file=stream or sys.stderr, flush=True)

    return pm.add_hookcall_monitoring(before, after)


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry of installed plugins, loaded on first use."""
    global _default
    if _default is None:
        _default = Registry.load()
    return _default
