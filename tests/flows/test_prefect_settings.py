"""Bastion's Prefect defaults hold whatever imported Prefect first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import {first}
import bastion.flows
from prefect.settings import PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
print(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), PREFECT_HOME.value())
"""


@pytest.mark.parametrize("first", ["os", "prefect", "prefect.client.orchestration"])
def test_bastions_prefect_defaults_win_whatever_imported_prefect_first(first, tmp_path):
    """Prefect reads its settings when first imported; a temporary server given its default 20 s to
    start timed out the demo's first flow on a busy machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["BASTION_HOME"] = str(tmp_path / "home")
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["120", str(tmp_path / "home" / "prefect")]
