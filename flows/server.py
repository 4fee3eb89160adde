"""Prefect's temporary server, tied to the command that started it.

A flow run with no Prefect server configured (no ``PREFECT_API_URL``) starts a temporary server in a
subprocess (``prefect.server.api.server.SubprocessASGIServer``) and stops it at exit (``atexit``).
A command killed with SIGKILL runs no ``atexit``: the server stayed, orphaned, holding its port and
~240 MB, one more for every killed ``bastion run``.

:func:`tie_temporary_server` puts in Prefect's place (the instance its clients look up, as Prefect's
own test harness does) a server that hands each server process it starts to a watchdog
(:mod:`.watchdog`) the moment it is started. The watchdog ends the server when this process dies,
however it dies. Nothing changes when a standing server is configured.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import psutil
from prefect.server.api.server import SubprocessASGIServer  # ~2 s to import: only when no server is configured
from prefect.settings import PREFECT_API_URL

WATCHDOG = f"{__package__}.watchdog"


class TiedServer(SubprocessASGIServer):
    """Prefect's temporary server whose processes a watchdog ends if this process dies without stopping them."""

    watchdog: subprocess.Popen[bytes] | None = None

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        process = super()._run_uvicorn_command()
        self._watch(process.pid)
        return process

    def _watch(self, pid: int) -> None:
        if self.watchdog is None or self.watchdog.poll() is not None:
            self.watchdog = subprocess.Popen([sys.executable, "-m", WATCHDOG], stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL)
        try:
            started = psutil.Process(pid).create_time()
        except psutil.Error:  # it died at once: nothing to watch
            return
        self.watchdog.stdin.write(f"{pid} {started!r}\n".encode())
        self.watchdog.stdin.flush()

    def stop(self) -> None:
        super().stop()
        if self.watchdog is not None:  # stopped in order: the watchdog finds nothing left to end, and goes
            self.watchdog.stdin.close()
            self.watchdog.wait()
            self.watchdog = None


def tie_temporary_server() -> TiedServer | None:
    """Make the temporary server Prefect starts for this process's flows one that dies with this process; None when
    a server is configured (``PREFECT_API_URL``) or a temporary one is already set up (a test harness's)."""
    if PREFECT_API_URL.value():
        return None
    current = SubprocessASGIServer._instances.get(None)
    if current is not None:
        return current if isinstance(current, TiedServer) else None
    server = object.__new__(TiedServer)
    server.__init__(None)
    SubprocessASGIServer._instances[None] = server
    return server
