"""The built-in notifier: cycle events of the tenants that enable it, one log line each."""

from __future__ import annotations

import logging

from bastion.core.contributions import CycleEvent


def test_cycle_events_are_logged_for_tenants_that_enable_it(registry, caplog):
    caplog.set_level(logging.INFO, logger="bastion.events")
    event = CycleEvent("rectification_overdue", "acme", 2026, detail={"notices": ["ZG2026-00001"], "on": "2026-09-01"})
    registry.notify(event, enabled=["standard-rules"])
    assert caplog.records == []
    registry.notify(event, enabled=["log-notifier"])
    (record,) = caplog.records
    assert record.getMessage() == 'acme 2026: rectification_overdue {"notices": ["ZG2026-00001"], "on": "2026-09-01"}'
