"""The router: login, language, and which pages each role gets."""

from __future__ import annotations

import pytest

from bastion.demo import DEMO_PASSWORD
from bastion.ui.navigation import PAGES


def test_an_anonymous_visitor_sees_only_the_login_form(app):
    at = app(None)
    assert not at.exception
    assert at.title[0].value == "党支部目标管理考核平台"
    assert len(at.text_input) == 2 and at.button


def test_logging_in_with_the_right_password_opens_the_first_page(app):
    at = app(None)
    at.text_input(key="login_username").input("leader")
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "principal" in at.session_state and at.session_state["principal"].username == "leader"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app):
    at = app(None)
    at.text_input(key="login_username").input("leader")
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert "principal" not in at.session_state
    assert "用户名或密码错误" in at.error[0].value


def test_english_is_the_second_locale(app):
    at = app(None, locale="en")
    assert at.title[0].value == "Party-branch assessment"


@pytest.mark.parametrize(("username", "pages"), [
    ("admin", {"dashboard.py", "workspace.py", "inspection.py", "admin.py"}),
    ("leader", {"dashboard.py"}),
    ("inspector", {"dashboard.py", "inspection.py"}),
    ("secretary", {"workspace.py"}),
    ("rater", {"ratings.py"}),
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
