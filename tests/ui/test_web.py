"""The login page, the session cookie and the gate (ui/web.py), over HTTP with Starlette's test client."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bastion.core.models import AuditEvent, LoginSession
from bastion.demo import DEMO_PASSWORD
from bastion.ui import web


@pytest.fixture
def client(ui_home):
    page = Route("/{path:path}", lambda request: PlainTextResponse(f"page {request.url.path}"))
    server = Starlette(routes=[*web.ROUTES, page], middleware=[Middleware(web.LoginGate)])
    with TestClient(server, base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c


def log_in(client, username="secretary", password=DEMO_PASSWORD, next_path="/workspace", lang="zh"):
    return client.post("/login", data={"username": username, "password": password, "next": next_path, "lang": lang})


def test_a_page_without_a_session_goes_to_the_login_page_and_comes_back_after_it(client):
    gone = client.get("/workspace?tab=2")
    assert gone.status_code == 302
    assert gone.headers["location"] == "/login?next=/workspace%3Ftab%3D2"
    form = client.get(gone.headers["location"])
    assert form.status_code == 200 and "用户名" in form.text and 'value="/workspace?tab=2"' in form.text
    answer = log_in(client, next_path="/workspace?tab=2")
    assert answer.status_code == 303 and answer.headers["location"] == "/workspace?tab=2"
    cookie = answer.headers["set-cookie"]
    assert "bastion_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/workspace").text == "page /workspace"  # the cookie is kept: a reload stays in


def test_the_cookie_names_a_session_and_carries_no_rights(client, ui_engine):
    log_in(client)
    value = client.cookies[web.COOKIE]
    token = web.unsign(value, web.Settings.from_env())
    assert token and "secretary" not in value
    with Session(ui_engine) as session:
        row = session.exec(select(LoginSession)).one()
    assert row.token_hash != token and len(row.token_hash) == 64  # only its hash is stored


def test_a_forged_or_tampered_cookie_is_not_a_session(client):
    log_in(client)
    value = client.cookies[web.COOKIE]
    client.cookies.set(web.COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/workspace").status_code == 302


def test_a_wrong_password_is_refused_in_the_users_language_and_audited(client, ui_engine):
    refused = log_in(client, password="not-the-password")
    assert refused.status_code == 401
    assert "用户名或密码错误" in refused.text and web.COOKIE not in refused.headers.get("set-cookie", "")
    english = log_in(client, password="not-the-password", lang="en")
    assert "Wrong username or password" in english.text
    with Session(ui_engine) as session:
        failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert [e.actor for e in failed] == ["secretary", "secretary"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_five_wrong_passwords_lock_the_account_and_the_page_says_until_when(client, ui_engine, lang):
    for _ in range(4):
        assert "用户名或密码错误" in log_in(client, password="Wrong-pass-1").text
    locked = log_in(client, password="Wrong-pass-1", lang=lang)
    said = "账号已锁定至" if lang == "zh" else "the account is locked until"
    assert locked.status_code == 401 and said in locked.text
    right = log_in(client, lang=lang)  # the right password, while locked
    assert right.status_code == 401 and said in right.text and web.COOKIE not in right.headers.get("set-cookie", "")
    with Session(ui_engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.actor == "secretary")
                               .order_by(AuditEvent.id)).all()
    assert actions[-7:] == ["login_failed"] * 5 + ["lockout", "login_failed"]


def test_logout_ends_the_session_on_the_server(client):
    log_in(client)
    kept = client.cookies[web.COOKIE]
    out = client.get("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login?ended=logout"
    client.cookies.set(web.COOKIE, kept)  # the old cookie, replayed
    assert client.get("/workspace").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\\\evil.example", "javascript:x"])
def test_the_login_never_sends_the_browser_to_another_site(client, target):
    assert log_in(client, next_path=target).headers["location"] == "/"


def test_the_login_page_speaks_the_language_asked_for(client):
    assert "Log in" in client.get("/login?lang=en").text
    assert "Log in" in client.get("/login").text  # the language cookie it set
    client.cookies.set(web.LANG_COOKIE, "zh")
    assert "登录" in client.get("/login").text


def test_the_login_page_prefetches_the_assets_pages_loaded_and_nothing_made_up(client):
    real = next(web.STREAMLIT_STATIC.glob("static/js/*.js"))
    path = "/" + real.relative_to(web.STREAMLIT_STATIC).as_posix()
    web.note_asset(path)
    web.note_asset("/static/js/not-a-file.js")
    web.note_asset("/static/../../etc/passwd")
    page = client.get("/login").text
    assert f'<link rel="prefetch" href="{path}">' in page
    assert "not-a-file" not in page and "passwd" not in page
