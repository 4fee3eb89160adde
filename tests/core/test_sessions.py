"""Login sessions: a token names a server-side session that carries no rights and ends for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import sessions, users
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.models import AuditEvent, LoginSession, utcnow
from bastion.core.settings import login_policy
from tests.core import people

pytestmark = pytest.mark.storage

IDLE = login_policy({}).idle  # the default


@pytest.fixture
def secretary(engine, tenant, cheap_passwords):
    people.tree(engine, tenant)
    return people.person(engine, tenant, "sec-a", ("secretary", "A"))


def resume(engine, token, **kw):
    with transaction(engine) as session:
        return sessions.resume(session, token, **kw)


def test_a_session_resumes_with_the_users_current_grants(engine, tenant, secretary):
    token, who = sessions.login(engine, username="sec-a", password=people.PASSWORD, locale="en")
    assert who.username == "sec-a"
    again, lang = resume(engine, token)
    assert again.grants == who.grants and lang == "en"
    with transaction(engine) as session:
        users.revoke(session, user=users.find_user(session, tenant.id, "sec-a"), role="secretary", org_code="A",
                     actor="admin")
    assert resume(engine, token)[0].grants == ()  # the revoked grant is gone on the next run


def test_a_deactivated_user_s_sessions_end_and_stay_ended(engine, tenant, secretary):
    token, _ = sessions.login(engine, username="sec-a", password=people.PASSWORD, locale="zh")
    with transaction(engine) as session:
        user = users.find_user(session, tenant.id, "sec-a")
        users.set_active(session, user=user, active=False, actor="admin")
    assert resume(engine, token) is None
    with transaction(engine) as session:
        users.set_active(session, user=users.find_user(session, tenant.id, "sec-a"), active=True, actor="admin")
    assert resume(engine, token) is None  # reactivation does not bring an ended session back


def test_an_idle_session_times_out(engine, secretary):
    token, _ = sessions.login(engine, username="sec-a", password=people.PASSWORD, locale="zh")
    assert resume(engine, token, now=utcnow() + IDLE - timedelta(seconds=5)) is not None
    later = utcnow() + IDLE - timedelta(seconds=5) + IDLE + timedelta(seconds=1)
    assert resume(engine, token, now=later) is None
    with Session(engine) as session:
        assert session.exec(select(LoginSession.end_reason)).one() == "idle"


def test_activity_keeps_a_session_alive_but_not_past_its_lifetime(engine, secretary):
    token, _ = sessions.login(engine, username="sec-a", password=people.PASSWORD, locale="zh")
    now = utcnow()
    step = IDLE - timedelta(minutes=1)
    while now + step < utcnow() + sessions.LIFETIME:
        now += step
        assert resume(engine, token, now=now) is not None
    assert resume(engine, token, now=utcnow() + sessions.LIFETIME + timedelta(minutes=1)) is None


def test_logout_ends_the_session_and_is_audited(engine, secretary):
    token, _ = sessions.login(engine, username="sec-a", password=people.PASSWORD, locale="zh")
    with transaction(engine) as session:
        assert sessions.logout(session, token)
    assert resume(engine, token) is None
    with transaction(engine) as session:
        assert not sessions.logout(session, token)
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.actor == "sec-a")
                               .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login", "logout"]


def test_a_failed_login_opens_nothing_and_is_audited(engine, secretary):
    with pytest.raises(Forbidden):
        sessions.login(engine, username="sec-a", password="wrong-password", locale="zh")
    with pytest.raises(Forbidden):
        sessions.login(engine, username="nobody", password="wrong-password", locale="zh")
    with Session(engine) as session:
        assert session.exec(select(LoginSession)).all() == []
        failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert [e.actor for e in failed] == ["sec-a", "nobody"]


def test_an_unknown_or_missing_token_is_no_session(engine, secretary):
    assert resume(engine, None) is None
    assert resume(engine, "not-a-token") is None
