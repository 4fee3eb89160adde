"""Giving freed memory back to the system, after a large read or a slice's writes."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import pyarrow as pa


def release_free_memory() -> None:
    """Give the allocators' free pages back to the system after a large read or a slice's writes.

    Millions of short-lived chunk arrays and texts leave glibc's heap and Arrow's pool with freed
    memory they keep for reuse: resident, and counted in the process's peak. ``malloc_trim`` (glibc
    only; elsewhere nothing happens) hands it back.
    """
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None
