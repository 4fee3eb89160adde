"""A watchdog that ends processes its parent started when the parent dies, however it dies.

    python -m bastion.flows.watchdog

Reads ``<pid> <start time>`` lines on its standard input, one per process to look after; the parent
holds the only write end of that pipe. When the parent exits, or is killed (``kill -9``, the OOM
killer), the kernel closes the pipe and the watchdog reads end-of-file: it then ends each process
still running that is the one it was told of (same pid and start time, so a pid taken by another
process since is left alone) — SIGTERM, then SIGKILL after :data:`GRACE_SECONDS` — and exits.
Used for Prefect's temporary server (:mod:`.server`). Imports only the standard library and psutil.
"""

from __future__ import annotations

import signal
import sys

import psutil

GRACE_SECONDS = 5.0


def end(watched: list[tuple[int, float]]) -> list[int]:
    """End the processes of ``watched`` that still run; the pids ended."""
    running = []
    for pid, started in watched:
        try:
            process = psutil.Process(pid)
            if abs(process.create_time() - started) < 0.01:
                process.terminate()
                running.append(process)
        except psutil.Error:  # gone already
            continue
    _, alive = psutil.wait_procs(running, timeout=GRACE_SECONDS)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=GRACE_SECONDS)
    return [p.pid for p in running]


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops its server itself
    watched: list[tuple[int, float]] = []
    for line in sys.stdin:  # until end-of-file: the parent is gone (or has let go of the pipe)
        pid, started = line.split()
        watched.append((int(pid), float(started)))
    end(watched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
