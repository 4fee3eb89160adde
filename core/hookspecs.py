"""The plugin contract: every hook a Bastion plugin can implement.

A plugin is a module (or object) with functions named after these hooks and decorated with
``bastion.hookimpl``. Third-party plugins declare it in the entry-point group ``bastion``; the
built-ins in ``plugins/`` are declared the same way in Bastion's own ``pyproject.toml``. Each
tenant enables the plugins it uses; contributions of plugins a tenant has not enabled are invisible
to it.

All hooks but ``bastion_cycle_event`` are *registry* hooks: they return lists that Bastion
gathers once at start-up; a plugin contributing a name another plugin contributes too is left out
whole, with a fault naming both (a built-in keeps its names). A hook that raises — any exception,
``SystemExit`` included — is reported with its plugin's name and that plugin's contribution is left
out; the rest of the platform runs on (``core/plugin_faults.py``).

Bastion calls each hook through pluggy, one plugin at a time (``Registry.call``). An
implementation declares only the arguments it uses and pluggy passes those by name, so a hook
may gain an argument without breaking a plugin. ``BASTION_TRACE_PLUGINS=1`` writes every hook call
to stderr. Each hook here has its row in the table of ``docs/plugins.md``, section 2, with the
same arguments (``tests/test_docs.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .contributions import Channel, CycleEvent, IncentivePolicy, LedgerType
    from .engine import RuleType
    from .scheme import Scheme

PROJECT = "bastion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def bastion_schemes() -> list[Scheme | dict[str, Any]]:
    """Contribute indicator schemes (考核指标体系).

    Return a list of :class:`bastion.core.scheme.Scheme` objects, or dicts of the same shape
    (e.g. loaded from YAML or JSON). Each scheme is identified by ``id`` and ``version``; a cycle
    opened with it keeps a frozen copy, so publishing a new version never changes an open cycle.
    Schemes are validated when loaded: an invalid one is refused with the plugin's name, the
    indicator and the fault.
    """


@hookspec
def bastion_rule_types() -> list[RuleType]:
    """Contribute rule types: the measures and scoring rules that scheme indicators refer to.

    Return a list of :class:`bastion.core.engine.RuleType` instances, each with a unique
    ``name``, a ``description``, a pydantic ``Params`` model for its parameters and a vectorised
    ``evaluate(batch)`` (see ``RuleType`` for the exact contract).
    """


@hookspec
def bastion_ledger_types() -> list[LedgerType]:
    """Contribute ledger types (台账类型) that ledger entries may have and rules may count.

    Return a list of :class:`bastion.core.contributions.LedgerType`; codes are unique across
    plugins.
    """


@hookspec
def bastion_incentive_policies() -> list[IncentivePolicy]:
    """Contribute incentive policies (激励政策) that turn published results into awards.

    Return a list of :class:`bastion.core.contributions.IncentivePolicy` instances. A scheme names
    the policies applied when its results are published (``Scheme.policies``).
    """


@hookspec
def bastion_channels() -> list[Channel]:
    """Contribute notification channels (通知渠道): e-mail, group robots, SMS …

    Return a list of :class:`bastion.core.contributions.Channel` instances, each with a unique ``name``. A tenant
    that enables the plugin turns each channel on with its settings (``bastion channels set``); the delivery
    stage (``bastion notify``) calls ``send`` with what is due (see ``docs/plugins.md``).
    """


@hookspec
def bastion_cycle_event(event: CycleEvent) -> None:
    """React to a cycle event (opened, scored, published …): notify, export, log.

    Called for every enabled plugin implementing it; the return value is ignored. An exception
    (``SystemExit`` included) is reported with the plugin's name once every other plugin has been
    told, and the stage run that raised the event ends ``failed`` with that fault; what the event
    reported stays done, and the run can be run again.
    """
