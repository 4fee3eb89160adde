"""Users from the command line (the first administrator), `bastion ui` and `bastion correct`."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request

from sqlmodel import Session

from bastion.core import cycles, db, tenants, users
from bastion.core.results import explain
from bastion.core.settings import Settings
from tests.app.conftest import bastion


def _tenant_with_tree(tmp_path) -> None:
    bastion("tenant", "create", "acme", "--name", "某某集团")
    sheet = tmp_path / "orgs.csv"
    sheet.write_text("组织编码,组织名称,上级组织编码,层级,类别\nDW,公司党委,,党委,\nZB1,一支部,DW,党支部,机关\n",
                     encoding="utf-8")
    bastion("import", "organizations", str(sheet))


def test_the_first_administrator_is_created_from_the_cli_and_can_log_in(home, tmp_path):
    _tenant_with_tree(tmp_path)
    result = bastion("user", "add", "admin", "--role", "admin", "--name", "管理员", "--password", "S3cret-pass")
    assert "user admin created in acme: Administrator on the whole tenant" in result.output
    bastion("user", "add", "sec1", "--role", "secretary", "--org", "ZB1", input="pass-word-1\npass-word-1\n")
    listed = bastion("user", "list").output
    assert "admin" in listed and "secretary" in listed and "ZB1" in listed
    engine = db.connect(Settings.from_env())
    with Session(engine) as session:
        assert users.authenticate(session, "sec1", "pass-word-1").roles == {"secretary"}
    engine.dispose()


def test_bad_user_commands_say_what_is_wrong(home, tmp_path):
    _tenant_with_tree(tmp_path)
    assert "at least 8 characters" in bastion("user", "add", "x", "--role", "admin", "--password", "short",
                                              ok=False).output
    assert "no organisation 'NOPE'" in bastion("user", "add", "x", "--role", "leader", "--org", "NOPE",
                                               "--password", "Long-enough", ok=False).output
    assert "no role 'chief'" in bastion("user", "add", "x", "--role", "chief", "--password", "Long-enough",
                                        ok=False).output


def test_ui_refuses_to_start_before_anyone_can_log_in(home, tmp_path):
    _tenant_with_tree(tmp_path)
    result = bastion("ui", "--no-browser", ok=False)
    assert result.exit_code == 1 and "bastion user add admin --role admin" in " ".join(result.output.split())


def test_ui_serves_the_app(home, tmp_path):
    _tenant_with_tree(tmp_path)
    bastion("user", "add", "admin", "--role", "admin", "--password", "S3cret-pass")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "bastion", "ui", "--no-browser", "--port", str(port)],
                               env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said = []
    try:
        deadline = time.monotonic() + 90
        while not any("/dashboard" in line for line in said):  # announced once the server answers
            assert time.monotonic() < deadline and process.poll() is None, "".join(said)
            if select.select([process.stdout], [], [], 1)[0]:
                said.append(process.stdout.readline())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard", timeout=5) as response:
            assert response.url.endswith("/dashboard")  # the app's page, which asks for the password itself
            assert '<div id="root">' in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login?next=/dashboard", timeout=5) as response:
            assert response.url.endswith("/dashboard")  # the former login page's address goes to the page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert any(f"http://127.0.0.1:{port}/dashboard" in line for line in said)


def test_a_published_result_is_corrected_by_an_administrator_and_audited(home):
    bastion("demo", "--no-ui", "--branches", "8")
    engine = db.connect(Settings.from_env())
    with Session(engine) as session:
        cycle = cycles.resolve_cycle(session, tenants.resolve_tenant(session, "demo"), 2025)
    with engine.connect() as conn:
        line = next(r for r in explain(conn, cycle=cycle, period="2025", org_code="ZB00002").lines
                    if r["kind"] == "controllable" and r["points"] < r["max_points"])
    engine.dispose()
    refused = bastion("correct", "--year", "2025", "--org", "ZB00002", "--indicator", line["indicator_code"],
                      "--points", str(line["max_points"]), "--reason", "申诉成立", "--as", "leader", ok=False)
    assert "leader may not administer" in " ".join(refused.output.split())
    done = bastion("correct", "--year", "2025", "--org", "ZB00002", "--indicator", line["indicator_code"],
                   "--points", str(line["max_points"]), "--reason", "申诉成立", "--as", "admin").output
    assert f"{line['points']:g} → {line['max_points']:g} points" in done and "ZB00002: total" in done
    explained = bastion("explain", "--year", "2025", "--org", "ZB00002").output
    assert "申诉成立" in explained
