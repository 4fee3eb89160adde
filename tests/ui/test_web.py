"""The routes that set and drop the session cookie (ui/web.py), over HTTP with Starlette's test client.

The login form itself is the app's (tests/ui/test_app.py); the cookie in a real browser — F5, a second
tab, logout — is in tests/ui/test_browser.py.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bastion.core import sessions
from bastion.core.db import transaction
from bastion.core.models import LoginSession
from bastion.ui import web

FROM_THE_PAGE = {web.HEADER: "1", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def client(ui_home):
    with TestClient(Starlette(routes=web.ROUTES), base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c


def exchange(client, ticket: str, headers=FROM_THE_PAGE):
    return client.post("/login", json={"ticket": ticket}, headers=headers)


def test_a_ticket_is_exchanged_once_for_an_httponly_signed_cookie_naming_the_session(client, session_token):
    token = session_token("secretary")
    answer = exchange(client, web.issue_ticket(token, lang="en"))
    assert answer.status_code == 204 and answer.headers["cache-control"] == "no-store"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{web.COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert web.unsign(client.cookies[web.COOKIE], web.Settings.from_env()) == token
    assert client.cookies[web.LANG_COOKIE] == "en"  # the next login form, in this browser, speaks it


def test_a_ticket_is_spent_by_its_exchange(client, session_token):
    ticket = web.issue_ticket(session_token("secretary"), lang="zh")
    assert exchange(client, ticket).status_code == 204
    client.cookies.clear()
    again = exchange(client, ticket)
    assert again.status_code == 403 and web.COOKIE not in again.headers.get("set-cookie", "")


def test_the_cookie_names_a_session_and_carries_no_rights(client, session_token, ui_engine):
    token = session_token("secretary")
    exchange(client, web.issue_ticket(token, lang="zh"))
    value = client.cookies[web.COOKIE]
    assert "secretary" not in value and value.startswith(token + ".")  # the token and its signature, nothing else
    with Session(ui_engine) as session:
        row = session.exec(select(LoginSession)).one()
    assert row.token_hash != token and len(row.token_hash) == 64  # only its hash is stored


@pytest.mark.parametrize("headers", [
    {},  # a form posted from anywhere: no header
    {web.HEADER: "1", "Sec-Fetch-Site": "cross-site"},  # another site's page
    {web.HEADER: "1", "Sec-Fetch-Site": "same-site"},  # another port or subdomain
])
def test_a_ticket_from_anything_but_the_apps_page_sets_nothing(client, session_token, headers):
    ticket = web.issue_ticket(session_token("secretary"), lang="zh")
    refused = exchange(client, ticket, headers)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert exchange(client, ticket).status_code == 204  # not spent by the refusal


def test_a_made_up_expired_or_malformed_ticket_sets_nothing(client, session_token, monkeypatch):
    assert exchange(client, "made-up").status_code == 403
    monkeypatch.setattr(web, "TICKET_SECONDS", -1)
    assert exchange(client, web.issue_ticket(session_token("secretary"), lang="zh")).status_code == 403
    assert client.post("/login", content=b"not json", headers=FROM_THE_PAGE).status_code == 400
    assert client.post("/login", json=["ticket"], headers=FROM_THE_PAGE).status_code == 400
    assert web.COOKIE not in client.cookies


def test_a_forged_or_tampered_cookie_names_no_session(session_token):
    settings = web.Settings.from_env()
    value = web.sign(session_token("secretary"), settings)
    assert web.unsign(value[:-2] + ("AA" if not value.endswith("AA") else "BB"), settings) is None
    assert web.unsign("a-token-with-no-signature", settings) is None
    assert web.unsign(web.Signer(b"another key", salt="bastion-session").sign("x").decode(), settings) is None


def test_logout_ends_the_session_on_the_server_and_drops_the_cookie(client, session_token, ui_engine):
    token = session_token("secretary")
    exchange(client, web.issue_ticket(token, lang="zh"))
    assert client.post("/logout").status_code == 403  # not from the page: nothing ended
    out = client.post("/logout", headers=FROM_THE_PAGE)
    assert out.status_code == 204 and f'{web.COOKIE}=""' in out.headers["set-cookie"]
    with transaction(ui_engine) as session:
        assert sessions.resume(session, token) is None  # the old cookie, replayed, names an ended session


def test_a_logout_link_ends_the_session_and_goes_home(client, session_token, ui_engine):
    token = session_token("secretary")
    exchange(client, web.issue_ticket(token, lang="zh"))
    out = client.get("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/"
    with transaction(ui_engine) as session:
        assert sessions.resume(session, token) is None


def test_the_former_login_page_address_goes_to_the_page_asked_for(client):
    assert client.get("/login?next=/workspace%3Ftab%3D2").headers["location"] == "/workspace?tab=2"
    assert client.get("/login").headers["location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\\\evil.example", "javascript:x"])
def test_the_former_login_page_never_sends_the_browser_to_another_site(client, target):
    assert client.get("/login", params={"next": target}).headers["location"] == "/"


def test_before_a_login_the_language_is_the_one_last_used_in_this_browser(monkeypatch):
    monkeypatch.delenv("BASTION_LANG", raising=False)
    assert web.preferred_locale({web.LANG_COOKIE: "en"}) == "en"
    assert web.preferred_locale({}) == "zh"
    assert web.preferred_locale({web.LANG_COOKIE: "klingon"}) == "zh"
    monkeypatch.setenv("BASTION_LANG", "en")
    assert web.preferred_locale({}) == "en"
