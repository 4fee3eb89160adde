"""The router: login, language, and which pages each role gets."""

from __future__ import annotations

import pytest

from bastion.ui.navigation import PAGES


def test_a_run_without_a_session_shows_only_the_way_to_the_login_page(app):
    at = app(None)
    assert not at.exception
    assert at.title[0].value == "党支部目标管理考核平台"
    assert not at.text_input and not at.tabs
    assert "/login?next=" in str(at.get("link_button")[0].proto.url)


def test_english_is_the_second_locale(app):
    at = app(None, locale="en")
    assert at.title[0].value == "Party-branch assessment"


def test_a_run_after_logout_is_logged_out(app):
    at = app("leader")
    assert at.session_state["principal"].username == "leader"
    at.sidebar.button(key="logout").click().run()
    assert not at.exception
    assert "principal" not in at.session_state
    assert at.get("link_button")  # the way back to the login page


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
    assert not at.tabs


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
    ("admin", {"dashboard.py", "workspace.py", "inspection.py", "admin.py", "audit.py"}),
    ("leader", {"dashboard.py"}),
    ("inspector", {"dashboard.py", "inspection.py"}),
    ("secretary", {"workspace.py"}),
    ("rater", {"ratings.py"}),
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
