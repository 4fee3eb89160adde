"""The one guard around plugin code: whatever a plugin raises becomes a :class:`PluginFault` naming it.

Every place that runs code a plugin supplied — importing its module, calling its hooks, a rule
type's ``evaluate`` and ``Params``, an incentive policy's ``apply`` — runs it inside
:func:`plugin_code`. A plugin that raises any ``Exception``, or ``SystemExit`` (a stray
``sys.exit()``, ``exit()`` in a notifier), is then reported by name as an ordinary error the
caller handles: a contribution left out, a stage run recorded ``failed``. Without the guard a
``SystemExit`` would end the whole command, name no plugin and leave a stage run ``running``.

``KeyboardInterrupt``, ``GeneratorExit`` and the other ``BaseException``s (Prefect's termination
signal, asyncio's cancellation) are interruptions of the run, not faults of the plugin: they pass
through untouched. Kept apart from :mod:`.registry` so that the scoring engine, which the registry
imports, can use it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .errors import BastionError
from .i18n import tr

CAUGHT = (Exception, SystemExit)


class PluginFault(BastionError):
    """A plugin raised: ``plugin`` (its name), ``where`` (the hook or the contribution), ``reason``."""

    def __init__(self, plugin: str, where: str, error: BaseException) -> None:
        self.plugin, self.where, self.error = plugin, where, error
        self.reason = tr(f"抛出异常 {describe(error)}", f"raised {describe(error)}")
        super().__init__(tr(f"插件 {plugin!r}，{where}：{self.reason}", f"plugin {plugin!r}, {where}: {self.reason}"))


def describe(error: BaseException) -> str:
    """``SystemExit: 3``: the exception's type and message (a bare ``sys.exit()`` says ``None``)."""
    return f"{type(error).__name__}: {error}"


@contextmanager
def plugin_code(plugin: str, where: str) -> Iterator[None]:
    """Run the block as ``plugin``'s code at ``where``: an ``Exception`` or ``SystemExit`` it raises is re-raised
    as a :class:`PluginFault` naming the plugin (the original as its cause). A fault already named passes as is."""
    try:
        yield
    except PluginFault:
        raise
    except CAUGHT as exc:
        raise PluginFault(plugin, where, exc) from exc
