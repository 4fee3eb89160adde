"""Starting the Streamlit app as a server (``bastion ui``, and the end of ``bastion demo``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

APP = Path(__file__).parent / "server.py"  # the script with its login page (ui/web.py)


def command(*, address: str, port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
            "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> bool:
    """Whether the server answers its health check before ``timeout`` seconds (and before it exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(*, address: str = "127.0.0.1", port: int = 8501, open_browser: bool = True,
          announce=print) -> int:
    """Run the app until interrupted (Ctrl-C or SIGTERM); open it in the browser once it answers.

    Returns the server's exit code (0 when stopped on purpose). The server never outlives this call.
    """
    url = f"http://{address}:{port}"
    previous = signal.signal(signal.SIGTERM, _interrupt)
    process = subprocess.Popen(command(address=address, port=port))
    try:
        if not wait_healthy(url, process):
            return process.poll() or 1
        announce(url)
        if open_browser:
            webbrowser.open(f"{url}/dashboard")
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        signal.signal(signal.SIGTERM, previous)
