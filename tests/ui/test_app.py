"""The router: the login form, language, and which pages each role gets."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bastion.core import sessions
from bastion.core.db import transaction
from bastion.core.models import AuditEvent
from bastion.demo import DEMO_PASSWORD
from bastion.ui import context, web
from bastion.ui.navigation import PAGES


def submit(at, username: str, password: str = DEMO_PASSWORD):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="FormSubmitter:login-" + ("登录" if at.session_state["locale"] == "zh" else "Log in")).click().run()


def cookie_ticket(at) -> str | None:
    """The ticket the run handed the page for its cookie (the script in the sidebar), if any."""
    for html in at.sidebar.get("html"):
        if found := re.search(r'\\"ticket\\": \\"([\w-]+)\\"', html.proto.body):
            return found.group(1)
    return None


def test_a_run_without_a_session_shows_only_the_login_form(app):
    at = app(None)
    assert not at.exception
    assert at.title[0].value == "党支部目标管理考核平台"
    assert [t.key for t in at.text_input] == ["login_username", "login_password"]
    assert at.text_input(key="login_password").proto.type == at.text_input(key="login_password").proto.PASSWORD
    assert not at.tabs and not at.main.metric and "principal" not in at.session_state


def test_english_is_the_second_locale(app):
    at = app(None, locale="en")
    assert at.title[0].value == "Party-branch assessment"
    assert at.button[0].label == "Log in"


def test_the_login_run_opens_the_page_and_hands_the_page_a_ticket_for_its_cookie(app, ui_engine):
    at = submit(app(None), "leader")
    assert not at.exception
    assert at.title[0].value == "领导驾驶舱" and at.metric  # the same run goes on to the page: no second load
    assert at.session_state["principal"].username == "leader"
    assert at.session_state["login_password"] == ""  # the password is not kept
    ticket = cookie_ticket(at)
    assert ticket and "session_ticket" not in at.session_state
    token, lang = web.redeem_ticket(ticket)
    assert token == at.session_state[context.TOKEN] and lang == "zh"
    with transaction(ui_engine) as session:
        assert sessions.resume(session, token)[0].username == "leader"
    at.run()
    assert cookie_ticket(at) is None  # handed over once


def test_a_wrong_password_is_refused_in_the_users_language_and_audited(app, ui_engine):
    at = submit(app(None), "secretary", "not-the-password")
    assert not at.exception and "principal" not in at.session_state and cookie_ticket(at) is None
    assert at.error[0].value == "用户名或密码错误，或账号已停用。"
    assert at.text_input(key="login_password").value == ""
    at.session_state["locale"] = "en"
    at = submit(at.run(), "secretary", "not-the-password")
    assert at.error[0].value == "Wrong username or password, or the user is deactivated."
    with Session(ui_engine) as session:
        failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert [e.actor for e in failed] == ["secretary", "secretary"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_five_wrong_passwords_lock_the_account_and_the_form_says_until_when(app, ui_engine, lang):
    at = app(None, locale=lang)
    for _ in range(4):
        assert "principal" not in submit(at, "secretary", "Wrong-pass-1").session_state
    at = submit(at, "secretary", "Wrong-pass-1")
    said = "账号已锁定至" if lang == "zh" else "the account is locked until"
    assert said in at.error[0].value
    at = submit(at, "secretary")  # the right password, while locked
    assert said in at.error[0].value and "principal" not in at.session_state and cookie_ticket(at) is None
    with Session(ui_engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.actor == "secretary")
                               .order_by(AuditEvent.id)).all()
    assert actions[-7:] == ["login_failed"] * 5 + ["lockout", "login_failed"]


def test_a_run_after_logout_is_logged_out_and_the_page_drops_its_cookie(app, ui_engine):
    at = app("leader")
    token = at.session_state[context.TOKEN]
    assert at.session_state["principal"].username == "leader"
    at.sidebar.button(key="logout").click().run()
    assert not at.exception
    assert "principal" not in at.session_state and context.TOKEN not in at.session_state
    assert at.info[0].value == "您已退出登录。" and at.text_input(key="login_username")
    assert any('fetch("/logout"' in h.proto.body for h in at.get("html"))
    with transaction(ui_engine) as session:
        assert sessions.resume(session, token) is None
    at.run()
    assert not any('fetch("/logout"' in h.proto.body for h in at.get("html"))  # once


def test_a_session_ended_elsewhere_shows_the_login_form_saying_so(app, ui_engine):
    at = app("leader")
    with transaction(ui_engine) as session:
        sessions.logout(session, at.session_state[context.TOKEN])  # another tab logged out, or the idle timeout
    at.run()
    assert "principal" not in at.session_state
    assert at.info[0].value == "登录已超时或已失效，请重新登录。" and at.text_input(key="login_username")
    at = submit(at, "leader")
    assert at.title[0].value == "领导驾驶舱" and not at.info


def test_a_deactivated_user_is_logged_out_on_the_next_click(app, ui_engine):
    from bastion.core import users
    from bastion.core.db import transaction

    at = app("secretary", "workspace.py")
    assert at.title[0].value == "支部工作台"
    with transaction(ui_engine) as session:
        user = users.find_user(session, at.session_state["principal"].tenant_id, "secretary")
        users.set_active(session, user=user, active=False, actor="admin")
    at.run()
    assert not at.exception
    assert "principal" not in at.session_state
    assert not at.tabs and at.text_input(key="login_username")
    assert "已停用" in submit(at, "secretary").error[0].value  # and cannot log in again


def test_the_language_switched_to_is_kept_with_the_session(app, ui_engine):
    from bastion.core import sessions
    from bastion.core.db import transaction
    from bastion.ui import context

    at = app("leader")
    at.sidebar.radio(key="locale").set_value("en").run()
    assert not at.exception
    with transaction(ui_engine) as session:
        _, kept = sessions.resume(session, at.session_state[context.TOKEN])
    assert kept == "en"


@pytest.mark.parametrize(("username", "pages"), [
    ("admin", {"dashboard.py", "workspace.py", "inspection.py", "admin.py", "audit.py", "inbox.py"}),
    ("leader", {"dashboard.py", "inbox.py"}),
    ("inspector", {"dashboard.py", "inspection.py", "inbox.py"}),
    ("secretary", {"workspace.py", "inbox.py"}),
    ("auditor", {"audit.py"}),
])
def test_each_role_gets_its_pages_and_each_renders(app, username, pages):
    from bastion.ui.navigation import pages_for

    at = app(username)
    assert not at.exception
    assert {p.file for p in pages_for(at.session_state["principal"])} == pages
    for page in sorted(pages):
        at.switch_page(f"views/{page}").run()
        assert not at.exception, (username, page, at.exception)


def test_every_page_is_listed_once():
    assert len({p.file for p in PAGES}) == len(PAGES)
    assert all(p.path.is_file() for p in PAGES)
