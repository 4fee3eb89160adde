"""``bastion appeal``: a secretary lodges an appeal with evidence, the office lists and decides it; an accepted
appeal corrects the line and the results follow, a second decision is refused; ``bastion review add --as``
records a review in the leader's name."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bastion.core import db, scoring, users
from bastion.core.db import transaction
from bastion.core.models import Organization, Tenant
from bastion.core.results import explain
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion

T = ("--tenant", "ap")


@pytest.fixture
def published(home, registry) -> dict:
    """Tenant ``ap``: 4 branches, 2026-Q1 published today; a secretary of a branch with a line short of its
    maximum and an admin; the
    branch's code and a line of it short of its maximum."""
    store = db.connect(Settings.from_env())
    try:
        made, cycle = factories.enterprise(store, registry, "ap", branches=4)
        for act in (scoring.score_period, scoring.publish_period):
            act(store, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
        with store.connect() as conn:
            codes = conn.execute(select(Organization.code).where(Organization.level == "branch")
                                 .order_by(Organization.code)).scalars().all()
            first, line = next((code, r) for code in codes
                               for r in explain(conn, cycle=cycle, period="2026-Q1", org_code=code).lines
                               if r["assessed"] and r["kind"] != "veto" and r["points"] < r["max_points"] - 0.5)
        with transaction(store) as session:
            tenant = session.get(Tenant, made.id)
            for name, role, org in (("sec", "secretary", first), ("office", "admin", None)):
                users.create_user(session, tenant=tenant, username=name, password="A-long-password",
                                  display_name=name, grants=[(role, org)], actor="test")
    finally:
        store.dispose()
    return {"org": first, "line": line}


def test_a_secretary_appeals_and_the_office_accepts_it(published, tmp_path):
    org, line = published["org"], published["line"]
    minutes = tmp_path / "minutes.pdf"
    minutes.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    said = bastion("appeal", "lodge", *T, "--as", "sec", "--org", org, "--indicator", line["indicator_code"],
                   "--period", "2026-Q1", "--reason", "the minutes were filed late", "--evidence", str(minutes)).output
    assert f"appeal 1 lodged: {org} {line['indicator_code']}" in said
    (listed,) = json.loads(bastion("appeal", "list", *T, "--as", "office", "--format", "json").stdout)
    assert (listed["id"], listed["status"], listed["files"], listed["lodged_by"]) == (1, "lodged", 1, "sec")
    refused = bastion("appeal", "decide", "1", *T, "--as", "sec", "--reject", "--reason", "no", ok=False)
    assert refused.exit_code == 1 and "may not administer" in refused.output

    said = " ".join(bastion("appeal", "decide", "1", *T, "--as", "office", "--accept", "--points",
                            f"{line['max_points']:g}", "--reason", "the minutes are complete").output.split())
    assert f"appeal 1 accepted: {org} {line['indicator_code']} {line['points']:g} → {line['max_points']:g}" in said
    assert f"{org}: total" in said
    (decided,) = json.loads(bastion("appeal", "list", *T, "--as", "sec", "--status", "accepted",
                                    "--format", "json").stdout)
    assert decided["points_after"] == line["max_points"] and decided["decided_by"] == "office"
    again = bastion("appeal", "decide", "1", *T, "--as", "office", "--reject", "--reason", "x", ok=False)
    assert again.exit_code == 1 and "appeal 1 was decided by office (accepted): a decision is final" in again.output
    explained = json.loads(bastion("explain", "--org", org, *T, "--period", "2026-Q1", "--format", "json").stdout)
    shown = next(r for r in explained["lines"] if r["indicator_code"] == line["indicator_code"])
    assert shown["points"] == line["max_points"] and "申诉成立" in shown["reason"]


def test_an_appeal_needs_a_decision_and_a_known_status(published):
    out = bastion("appeal", "decide", "1", *T, "--as", "office", "--reason", "x", ok=False)
    assert out.exit_code == 1 and "say --accept" in out.output
    out = bastion("appeal", "list", *T, "--as", "office", "--status", "pending", ok=False)
    assert out.exit_code == 1 and "--status pending" in out.output
