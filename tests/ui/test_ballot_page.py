"""The ballot page (民主测评投票, ui/ballot_page.py) over HTTP with Starlette's test client, as a phone meets it: no
login; a code opens every question of its ballot; a missing answer is named beside the others and nothing is cast;
a cast goes back to an empty code box; the same code is refused the second time. No cookie, no cache, no referrer."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bastion.core import cycles, tenants
from bastion.core.ballots import rounds
from bastion.core.db import transaction
from bastion.core.models import CastBallot
from bastion.ui import web


@pytest.fixture
def client(ui_home):
    with TestClient(Starlette(routes=web.ROUTES), base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c


@pytest.fixture
def slip(ui_engine, sample_db, registry):
    """A superior's code (overall score and levels) of the 2026 round the office opened and printed."""
    with transaction(ui_engine) as session:
        cycle = cycles.resolve_cycle(session, session.get(tenants.Tenant, sample_db.tenant_id), 2026)
        found = rounds.open_round(session, actor="office", cycle=cycle, period="2026", registry=registry)
    with transaction(ui_engine) as session:
        return next(s for s in rounds.issue_codes(session, actor="office", round_id=found.id) if s.source == "superior")


def fields(html: str) -> dict[str, list[str]]:
    """The form's questions: field name → the levels offered (empty for a score)."""
    found: dict[str, list[str]] = {}
    for name in re.findall(r'name="(q_[^"]+)"', html):
        found.setdefault(name, [])
    for name, value in re.findall(r'type="radio" name="(q_[^"]+)" value="([^"]+)"', html):
        found[name].append(value)
    return found


def test_the_page_asks_for_a_code_and_says_what_is_wrong_with_one(client):
    page = client.get("/ballot")
    assert page.status_code == 200 and "民主测评投票" in page.text and 'name="code"' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers
    assert "不是有效的测评码" in client.get("/ballot", params={"code": "hello"}).text
    assert "没有这个测评码" in client.get("/ballot", params={"code": "ZZZZ-ZZZZ-ZZZZ"}).text
    assert "Secret ballot" in client.get("/ballot", params={"lang": "en"}).text


def test_a_code_casts_its_whole_ballot_once(client, slip, ui_engine):
    page = client.get("/ballot", params={"code": slip.code.lower()})  # typed as a person might
    assert slip.org_name in page.text and "总体评价（0–100 分）" in page.text
    asked = fields(page.text)
    assert "q_overall" in asked and any(levels[:1] == ["优秀"] and "A" not in levels for levels in asked.values())

    empty = client.post("/ballot", data={"code": slip.code})  # nothing answered: every question named
    assert empty.status_code == 200 and empty.text.count('class="error"') == len(asked)
    with Session(ui_engine) as session:
        assert not session.exec(select(CastBallot)).all()

    answers = {name: (levels[1] if levels else "86") for name, levels in asked.items()}
    done = client.post("/ballot", data={"code": slip.code, "note": "班子团结", **answers})
    assert done.status_code == 303 and done.headers["location"].startswith("/ballot?cast=")
    assert "投票成功" in client.get(done.headers["location"]).text
    with Session(ui_engine) as session:
        (ballot,) = session.exec(select(CastBallot)).all()
    assert ballot.answers[""] == 86.0 and ballot.note == "班子团结" and len(ballot.answers) == len(asked)

    again = client.post("/ballot", data={"code": slip.code, **answers})
    assert "已投过票" in again.text
    assert "已投过票" in client.get("/ballot", params={"code": slip.code}).text
