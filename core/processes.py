"""Processes on this host: the one liveness test, shared by the leases (``core.locks``) and the spool.

Its own module because the spool is below the database layer and the leases above it: each imports this,
neither the other.
"""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
