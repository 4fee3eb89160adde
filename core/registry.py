"""The plugin manager and the registries gathered from it.

One pluggy ``PluginManager`` holds every installed plugin: Bastion's built-ins and third-party
packages alike are loaded from the entry-point group ``bastion`` (core never imports ``plugins/``).
Every hook is called through pluggy, plugin by plugin (:meth:`Registry.call`), and all plugin code
runs inside :func:`~.plugin_faults.plugin_code`, so a plugin that fails to import, raises in a hook
(``SystemExit`` included) or contributes something invalid is recorded as a :class:`PluginProblem`
with its name and left out, and the others still load. A plugin whose contribution clashes with
another's (the same ledger-type code, scheme id …) is left out whole with the fault; the one kept is
a built-in over an installed plugin, else the one registered first. With ``BASTION_TRACE_PLUGINS=1``
in the environment every hook call is written to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TextIO, TypeVar

import pluggy
from pydantic import ValidationError

from . import hookspecs
from .contributions import Channel, CycleEvent, IncentivePolicy, LedgerType
from .engine import RuleType
from .errors import BastionError
from .i18n import tr
from .models import RatingSource
from .plugin_faults import PluginFault, describe, plugin_code
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
    left_out: dict[str, list[PluginProblem]] = field(default_factory=dict)  # plugin: why (a clash)
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
                    with plugin_code(ep.name, tr("导入", "import")):
                        plugin = ep.load()
                except PluginFault as fault:
                    reg.problems.append(PluginProblem(ep.name, fault.where, describe(fault.error)))
                    log.error("plugin %s failed to load: %s", ep.name, fault.error)
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
        results: list[tuple[str, Any]] = []
        for name, returned in self._each(hook, enabled, kwargs):
            if isinstance(returned, PluginFault):
                self.problems.append(PluginProblem(name, hook, returned.reason))
                log.error("%s", returned)
                continue
            if self._first(hook):
                if returned is not None:
                    return [(name, returned)]
                continue
            results.extend((name, result) for result in returned)
        return results

    def _first(self, hook: str) -> bool:
        caller = getattr(self.pm.hook, hook)
        return bool(caller.spec and caller.spec.opts.get("firstresult"))

    def _each(self, hook: str, enabled: Iterable[str] | None, kwargs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        """Each plugin's answer to ``hook``, alone and guarded: ``(name, returned)`` or ``(name, PluginFault)``."""
        caller = getattr(self.pm.hook, hook)
        allowed = None if enabled is None else set(enabled)
        plugins = self.pm.list_name_plugin()
        order = dict.fromkeys(impl.plugin_name for impl in reversed(caller.get_hookimpls()))
        for name in order:
            if allowed is not None and name not in allowed:
                continue
            alone = self.pm.subset_hook_caller(hook, remove_plugins=[p for n, p in plugins if n != name])
            try:
                with plugin_code(name, hook):
                    returned = alone(**kwargs)
            except PluginFault as fault:
                yield name, fault
                continue
            yield name, returned

    # --- contributions: offered, then settled --------------------------------------------------

    def _offered(self) -> list[tuple[str, _Kind, str, Any]]:
        """Every well-formed contribution of every plugin, ``(plugin, kind, name, item)`` in call order.

        A hook that raises, returns something other than a list, an item of the wrong type or a
        scheme that is not a valid scheme document is a problem; that item (or hook) is left out."""
        offered = []
        for kind in KINDS:
            for plugin, items in self.call(kind.hook):
                if not isinstance(items, (list, tuple)):
                    items = [items]
                for raw in items:
                    item = raw
                    if kind.type is Scheme and isinstance(raw, Mapping):
                        try:
                            with plugin_code(plugin, kind.hook):
                                item = Scheme.model_validate(raw)
                        except PluginFault as fault:
                            sid = raw.get("id", "?")
                            error = fault.error
                            message = scheme_faults(raw, error) if isinstance(error, ValidationError) else fault.reason
                            self.problems.append(PluginProblem(plugin, tr(f"方案 {sid}", f"scheme {sid}"), message))
                            continue
                    if not isinstance(item, kind.type):
                        self.problems.append(PluginProblem(plugin, kind.hook, tr(
                            f"返回了 {raw!r}，而不是 {kind.type.__name__}", f"returned {raw!r}, not a {kind.type.__name__}")))
                        continue
                    offered.append((plugin, kind, getattr(item, kind.key), item))
        return offered

    def _settled(self) -> dict[str, dict[str, Contribution[Any]]]:
        """The contributions in use, by kind (``schemes``, ``rule types`` …), each name to its plugin's item.

        A plugin that contributes a name another plugin contributes too (or twice itself) is left out
        whole, with the fault naming both: the plugins are taken built-ins first, then in the order they
        were registered, and the first to contribute a name keeps it. A scheme that needs what no plugin
        contributes is then left out on its own (:meth:`check_scheme`)."""
        if "settled" in self._cache:
            return self._cache["settled"]
        offered = self._offered()
        by_plugin: dict[str, list[tuple[_Kind, str, Any]]] = {}
        for plugin, kind, name, item in offered:
            by_plugin.setdefault(plugin, []).append((kind, name, item))
        registered = list(self.infos)
        ranked = sorted(by_plugin, key=lambda p: (not self.infos[p].builtin if p in self.infos else True,
                                                  registered.index(p) if p in registered else len(registered)))
        taken: dict[tuple[str, str], str] = {}
        self.left_out = {}
        for plugin in ranked:
            own: set[tuple[str, str]] = set()
            clashes = []
            for kind, name, _ in by_plugin[plugin]:
                other = taken.get((kind.label, name)) or (plugin if (kind.label, name) in own else None)
                if other is not None:
                    clashes.append(PluginProblem(plugin, tr(f"{kind.zh} {name!r}", f"{kind.en} {name!r}"), tr(
                        f"插件 {other!r} 也提供了它，本插件被排除（未启用其任何贡献）" if other != plugin
                        else "本插件提供了两次，本插件被排除（未启用其任何贡献）",
                        f"plugin {other!r} contributes it too; this plugin is left out (none of its contributions "
                        f"is used)" if other != plugin else
                        "this plugin contributes it twice; it is left out (none of its contributions is used)")))
                own.add((kind.label, name))
            if clashes:
                self.problems.extend(clashes)
                self.left_out[plugin] = clashes
                for problem in clashes:
                    log.error("%s", problem)
                continue
            taken.update(((kind.label, name), plugin) for kind, name, _ in by_plugin[plugin])
        found: dict[str, dict[str, Contribution[Any]]] = {kind.label: {} for kind in KINDS}
        for plugin, kind, name, item in offered:  # in pluggy's call order, as a plain hook call returns them
            if plugin not in self.left_out:
                found[kind.label][name] = Contribution(plugin, item)
        self._cache["settled"] = found
        schemes = found["schemes"]
        for sid, contribution in sorted(schemes.items()):
            faults = self.check_scheme(contribution.item)
            if faults:
                self.problems.append(PluginProblem(contribution.plugin, tr(f"方案 {sid}", f"scheme {sid}"),
                                                   tr("；", "; ").join(faults)))
                del schemes[sid]
        return found

    # --- registries --------------------------------------------------------------------------

    def rule_types(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[RuleType]]:
        return _only(self._settled()["rule types"], enabled)

    def ledger_types(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[LedgerType]]:
        return _only(self._settled()["ledger types"], enabled)

    def policies(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[IncentivePolicy]]:
        return _only(self._settled()["policies"], enabled)

    def channels(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[Channel]]:
        return _only(self._settled()["channels"], enabled)

    def schemes(self, enabled: Iterable[str] | None = None) -> dict[str, Contribution[Scheme]]:
        return _only(self._settled()["schemes"], enabled)

    def check_scheme(self, scheme: Scheme, enabled: Iterable[str] | None = None) -> list[str]:
        """Faults that need the other plugins: unknown rule types, ledger types, policies, bad params.

        A rule's parameters are read by convention: ``ledger_type`` (one) and ``ledger_types`` (a list) name
        ledger types, ``sources`` rating sources."""
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
                with plugin_code(rule.plugin, tr(f"规则类型 {spec.rule!r} 的参数", f"parameters of {spec.rule!r}")):
                    params = rule.item.Params.model_validate(spec.params)
            except PluginFault as fault:
                if not isinstance(fault.error, ValidationError):
                    faults.append(tr(f"指标 {spec.code}：{fault}", f"indicator {spec.code}: {fault}"))
                    continue
                exc = fault.error
                faults.append(tr(f"指标 {spec.code}：规则 {spec.rule!r} 的参数无效：{_short(exc)}",
                                 f"indicator {spec.code}: parameters for {spec.rule!r} are invalid: {_short(exc)}"))
                continue
            named = [getattr(params, "ledger_type", None), *(getattr(params, "ledger_types", None) or ())]
            for ledger_type in dict.fromkeys(t for t in named if t is not None and t not in ledgers):
                faults.append(tr(f"指标 {spec.code}：已启用的插件都不提供台账类型 {ledger_type!r}",
                                 f"indicator {spec.code}: ledger type {ledger_type!r} is not contributed by any "
                                 f"enabled plugin"))
            unknown = sorted(set(getattr(params, "sources", None) or ()) - KNOWN_SOURCES)
            if unknown:
                faults.append(tr(f"指标 {spec.code}：未知的测评来源 {'、'.join(unknown)}（可用：{'、'.join(sorted(KNOWN_SOURCES))}）",
                                 f"indicator {spec.code}: unknown rating source(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(sorted(KNOWN_SOURCES))})"))
        reminder = scheme.meetings_reminder  # as the scheme gives it (its default asks for the types it finds)
        given = reminder.ledger_types if reminder and "meetings_reminder" in scheme.model_fields_set else ()
        for ledger_type in given:
            if ledger_type not in ledgers:
                faults.append(tr(f"三会一课提醒（meetings_reminder）：已启用的插件都不提供台账类型 {ledger_type!r}",
                                 f"meetings_reminder: ledger type {ledger_type!r} is not contributed by any enabled "
                                 f"plugin"))
        for name in scheme.policies:
            if name not in policies:
                faults.append(tr(f"已启用的插件都不提供激励政策 {name!r}",
                                 f"incentive policy {name!r} is not contributed by any enabled plugin"))
        return faults

    def check(self) -> list[PluginProblem]:
        """Load every contribution of every plugin and return all that is wrong (``bastion plugins check``):
        plugins that failed to import, hooks that raised, contributions of the wrong type, invalid schemes and
        plugins left out because a name they contribute clashes with another plugin's."""
        self._settled()
        return list(self.problems)

    def notify(self, event: CycleEvent, enabled: Iterable[str] | None = None) -> None:
        """Tell the ``enabled`` plugins (all if ``None``) of ``event``, each of them, even when one raises.

        A plugin that raises (``SystemExit`` included) makes this raise its :class:`PluginFault` once
        the others have been told: the stage run that raised the event is then recorded ``failed``
        naming the plugin, and can be run again. Several faults are raised as one naming each plugin.
        A plugin left out (:meth:`_settled`) is not told."""
        self._settled()
        allowed = [n for n in (self.infos if enabled is None else enabled) if n not in self.left_out]
        faults = [r for _, r in self._each("bastion_cycle_event", allowed, {"event": event})
                  if isinstance(r, PluginFault)]
        for fault in faults:
            log.error("%s", fault)
        if len(faults) == 1:
            raise faults[0]
        if faults:
            raise PluginFaults(faults)

    def contributions_of(self, plugin: str) -> dict[str, list[str]]:
        """What one plugin contributes, by kind: for ``bastion plugins list`` (nothing for a plugin left out)."""
        out: dict[str, list[str]] = {}
        for kind, registry in self._settled().items():
            names = [name for name, c in registry.items() if c.plugin == plugin]
            if names:
                out[kind] = sorted(names)
        if plugin not in self.left_out and any(
                impl.plugin_name == plugin for impl in self.pm.hook.bastion_cycle_event.get_hookimpls()):
            out["events"] = ["cycle events"]
        return out

    def faults_of(self, plugin: str) -> list[str]:
        """The problems recorded against one plugin, as they read."""
        return [str(p) for p in self.problems if p.plugin == plugin]


class PluginFaults(PluginFault):
    """Several plugins raised at one call (a cycle event told to each): one error naming every one of them."""

    def __init__(self, faults: list[PluginFault]) -> None:
        first = faults[0]
        super().__init__(first.plugin, first.where, first.error)
        self.faults = faults
        self.args = (tr("；", "; ").join(str(f) for f in faults),)


@dataclass(frozen=True)
class _Kind:
    """A kind of registry contribution: its label, the hook that contributes it, its type and naming attribute."""

    label: str
    hook: str
    type: type
    key: str
    zh: str
    en: str


KINDS = (
    _Kind("schemes", "bastion_schemes", Scheme, "id", "方案", "scheme"),
    _Kind("rule types", "bastion_rule_types", RuleType, "name", "规则类型", "rule type"),
    _Kind("ledger types", "bastion_ledger_types", LedgerType, "code", "台账类型", "ledger type"),
    _Kind("policies", "bastion_incentive_policies", IncentivePolicy, "name", "激励政策", "incentive policy"),
    _Kind("channels", "bastion_channels", Channel, "name", "通知渠道", "channel"),
)


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
