"""Built-in plugin ``log-notifier``: every cycle event written to the log (logger ``bastion.events``).

Cycle events are what a notifier plugin listens to — ``opened``, ``published``, ``awaiting_review``,
``rectification_due``, ``rectification_overdue``, ``reverification_due`` … — to send mail or chat
messages; this one only logs them, one line each, so an operator sees them in the flow runs' logs
and in ``bastion serve``'s output. A tenant enables it like any plugin.
"""

from __future__ import annotations

import json
import logging

from bastion import hookimpl
from bastion.core.contributions import CycleEvent

__version__ = "1.0.0"

log = logging.getLogger("bastion.events")


@hookimpl
def bastion_cycle_event(event: CycleEvent) -> None:
    period = f" {event.period}" if event.period else ""
    log.info("%s %s%s: %s %s", event.tenant_code, event.year, period, event.name,
             json.dumps(event.detail, ensure_ascii=False, default=str))
