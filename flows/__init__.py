"""Prefect flows that run a tenant's check → review → reward calendar.

``stages`` holds the flow (every task a thin call of a ``bastion.core.stages`` function);
``calendar`` turns each tenant's scheme calendar into deployments with cron schedules.

Importing this package sets Prefect's defaults for Bastion before Prefect reads them (a variable
already set wins): Prefect's own state under ``$BASTION_HOME/prefect``, no telemetry (whose
writes otherwise collide on SQLite: "database is locked"), no warnings for logs outside a flow,
and a generous start-up time for a temporary server on a busy 2-core machine (../shared/STACK.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bastion.core.settings import Settings

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure_prefect(environ: os._Environ | dict = os.environ) -> None:
    before = dict(environ)
    environ.setdefault("PREFECT_HOME", str(Settings.from_env(dict(environ)).home / "prefect"))
    Path(environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)  # its SQLite file goes there
    for name, value in PREFECT_DEFAULTS.items():
        environ.setdefault(name, value)
    context = sys.modules.get("prefect.context")
    if environ is os.environ and dict(environ) != before and context is not None:
        # Prefect read its settings when it was imported (by a plugin, say): have it read them again.
        context.refresh_global_settings_context()


configure_prefect()
