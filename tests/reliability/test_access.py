"""Access to the level 等保 2.0 (MLPS level 3) asks, against the breaks a hostile tester found.

- A principal is a snapshot; every write reads it again in its transaction, so a user deactivated
  or a role revoked after the snapshot writes nothing (core, the CLI's ``--as``).
- Passwords: 8+ characters of three of four kinds.
- Failed logins: counted in the database under the user's row lock, so racing attempts (threads on
  their own connections, as processes would be) are each counted; the policy's ``max_failures``-th
  within its window locks the account; every login, failure, lockout and unlock is audited.
- An idle session ends after the configured time.
- The auditor (审计管理员) reads the audit trail and nothing else; nobody can edit it.

On SQLite and on PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select
from typer.testing import CliRunner

from bastion.cli import app as cli
from bastion.core import admin, dashboard, sessions, users
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import AuditEvent, LoginFailure, LoginSession, User, utcnow
from tests.core.test_workspace import People, people, principal

pytestmark = pytest.mark.storage

PASSWORD = "password-1"  # tests.core.test_workspace's users


@pytest.fixture(autouse=True)
def cheap(cheap_passwords) -> None:
    """Argon2 at its lightest: these tests count attempts, not hashing cost."""


@pytest.fixture
def folks(engine, registry, tenant) -> People:
    return people(engine, registry, tenant)


def login(engine, username: str, password: str = PASSWORD, **kw):
    return sessions.login(engine, username=username, password=password, locale="zh", **kw)


def events(engine, action: str, actor: str | None = None) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        return list(session.exec(query).all())


def set_active(engine, tenant, username: str, active: bool) -> None:
    with transaction(engine) as session:
        users.set_active(session, user=users.find_user(session, tenant.id, username), active=active, actor="admin")


# --- a principal read before a change writes nothing after it ------------------------------------------


def test_a_deactivated_administrator_s_principal_writes_nothing(engine, tenant, folks):
    stale = principal(engine, tenant, "admin-2", ("admin", None))
    set_active(engine, tenant, "admin-2", False)
    with transaction(engine) as session, pytest.raises(Forbidden, match="admin-2 的账号已停用"):
        admin.create_user(session, stale, username="newbie", password="Newbie-2026", display_name="",
                          role="leader", org_code="DW")
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "newbie")).first() is None


def test_a_principal_whose_role_was_revoked_writes_nothing_with_it(engine, tenant, folks):
    stale = principal(engine, tenant, "admin-2", ("admin", None))
    with transaction(engine) as session:
        admin.revoke_role(session, folks.admin, username="admin-2", role="admin", org_code="DW")
    with transaction(engine) as session, pytest.raises(Forbidden, match="admin-2 无权管理"):
        admin.create_user(session, stale, username="newbie", password="Newbie-2026", display_name="",
                          role="leader", org_code="DW")
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "newbie")).first() is None


def test_correct_as_a_deactivated_administrator_is_refused(engine, registry, tenant, cycle, folks, monkeypatch,
                                                          tmp_path: Path):
    monkeypatch.setenv("BASTION_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BASTION_LANG", "en")
    principal(engine, tenant, "admin-2", ("admin", None))
    args = ["correct", "--tenant", "acme", "--year", "2026", "--org", "A", "--indicator", "B1-1", "--points", "1",
            "--reason", "申诉成立"]
    active = CliRunner().invoke(cli, [*args, "--as", "admin-2"])
    assert "deactivated" not in active.output  # an active administrator gets past --as (to the unscored period)
    set_active(engine, tenant, "admin-2", False)
    refused = CliRunner().invoke(cli, [*args, "--as", "admin-2"])
    assert refused.exit_code == 1
    assert "admin-2's account is deactivated" in " ".join(refused.output.split())
    assert not events(engine, "correct")


# --- passwords ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Ab1-xyz", "abcdefgh", "abcd-efgh", "ABCD1234", "12345678!", "密码密码密码密码"])
def test_a_weak_password_is_refused(engine, tenant, folks, password):
    with transaction(engine) as session, pytest.raises(BastionError, match="至少 8 个字符，且包含"):
        users.create_user(session, tenant=tenant, username="weak", password=password, actor="admin")
    with transaction(engine) as session, pytest.raises(BastionError, match="至少 8 个字符，且包含"):
        users.set_password(session, user=users.find_user(session, tenant.id, "leader"), password=password,
                           actor="admin")


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Bastion@2026", "密码Pass1234"])
def test_a_password_of_three_kinds_is_taken(engine, tenant, folks, password):
    with transaction(engine) as session:
        users.create_user(session, tenant=tenant, username="strong", password=password, actor="admin")
    assert login(engine, "strong", password)[1].username == "strong"


# --- failed logins and lockout --------------------------------------------------------------------------


def test_five_failures_lock_the_account_every_attempt_audited_and_an_administrator_unlocks(engine, tenant, folks):
    for n in range(1, 5):
        with pytest.raises(Forbidden, match="用户名或密码错误"):
            login(engine, "leader", "Wrong-pass-1")
    with pytest.raises(users.LockedOut, match="账号已锁定至"):
        login(engine, "leader", "Wrong-pass-1")
    with pytest.raises(users.LockedOut):  # the right password too, while locked
        login(engine, "leader")
    failed = events(engine, "login_failed", "leader")
    assert [e.new.get("failures") for e in failed] == [1, 2, 3, 4, 5, None]
    assert failed[-1].new["locked_until"]
    lockout = events(engine, "lockout", "leader")
    assert len(lockout) == 1 and lockout[0].new["failures"] == 5 and lockout[0].entity_id == str(folks.leader.user_id)

    with transaction(engine) as session:
        assert admin.unlock_user(session, folks.admin, username="leader")
        assert not admin.unlock_user(session, folks.admin, username="leader")  # once
    assert [e.actor for e in events(engine, "unlock")] == ["admin"]
    token, who = login(engine, "leader")
    assert token and who.username == "leader"
    assert [e.actor for e in events(engine, "login")][-1] == "leader"
    with Session(engine) as session:
        assert not session.exec(select(LoginFailure)).all()  # a login forgets the failures


def test_failures_outside_the_window_do_not_count_and_a_lockout_ends_by_itself(engine, tenant, folks, monkeypatch):
    monkeypatch.setenv("BASTION_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("BASTION_LOGIN_WINDOW_MINUTES", "10")
    monkeypatch.setenv("BASTION_LOCKOUT_MINUTES", "15")
    start = utcnow()

    def attempt(minutes: float, password: str = "Wrong-pass-1"):
        with transaction(engine) as session:
            try:
                return users.authenticate(session, "leader", password, now=start + timedelta(minutes=minutes))
            except Forbidden as exc:
                return exc

    assert not isinstance(attempt(0), users.LockedOut)
    assert not isinstance(attempt(5), users.LockedOut)
    assert not isinstance(attempt(11), users.LockedOut)  # the first has left the 10-minute window: 2 count
    assert isinstance(attempt(12), users.LockedOut)  # 3 within 10 minutes
    assert isinstance(attempt(26), users.LockedOut)  # locked for 15 minutes, right password or not
    assert isinstance(attempt(26, PASSWORD), users.LockedOut)
    assert attempt(28, PASSWORD).username == "leader"  # the lockout ended at 27


def test_a_bad_policy_value_names_its_variable(engine, tenant, folks, monkeypatch):
    monkeypatch.setenv("BASTION_LOCKOUT_MINUTES", "half an hour")
    with pytest.raises(BastionError, match="BASTION_LOCKOUT_MINUTES='half an hour'：应为不小于 1 的整数"):
        login(engine, "leader", "Wrong-pass-1")


def test_failed_logins_racing_from_many_connections_are_each_counted(engine, tenant, folks, monkeypatch):
    threads, each = 4, 5
    monkeypatch.setenv("BASTION_LOGIN_MAX_FAILURES", str(threads * each))
    barrier = threading.Barrier(threads)
    outcomes: list[Exception] = []

    def hammer() -> None:
        barrier.wait()
        for _ in range(each):
            try:
                login(engine, "leader", "Wrong-pass-1")
            except Exception as exc:  # noqa: BLE001 - every outcome is looked at
                outcomes.append(exc)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert len(outcomes) == threads * each and all(isinstance(e, Forbidden) for e in outcomes), outcomes
    counted = sorted(e.new["failures"] for e in events(engine, "login_failed", "leader"))
    assert counted == list(range(1, threads * each + 1))  # no two attempts saw the same count
    assert sum(isinstance(e, users.LockedOut) for e in outcomes) == 1  # the last one locked the account
    assert len(events(engine, "lockout", "leader")) == 1


# --- sessions -------------------------------------------------------------------------------------------


def test_an_idle_session_ends_after_the_configured_time(engine, tenant, folks, monkeypatch):
    monkeypatch.setenv("BASTION_SESSION_IDLE_MINUTES", "5")
    token, _ = login(engine, "leader")
    with transaction(engine) as session:
        assert sessions.resume(session, token, now=utcnow() + timedelta(minutes=4)) is not None
    with transaction(engine) as session:
        assert sessions.resume(session, token, now=utcnow() + timedelta(minutes=10)) is None
    assert [e.new["reason"] for e in events(engine, "logout", "leader")] == ["idle"]


def test_a_deactivated_user_s_open_session_writes_nothing(engine, tenant, folks):
    token, _ = login(engine, "leader")
    with transaction(engine) as session:  # deactivated by a path that leaves the sessions open (an operator's SQL)
        session.connection().execute(update(User).where(User.username == "leader").values(active=False))
    with transaction(engine) as session:  # the language switch's callback runs before the run that resumes
        sessions.set_locale(session, token, "en")
    with transaction(engine) as session:
        assert sessions.resume(session, token) is None
    with Session(engine) as session:
        assert session.exec(select(LoginSession.locale)).one() == "zh"


# --- the auditor ----------------------------------------------------------------------------------------


def test_the_auditor_reads_the_audit_trail_and_nothing_else(engine, registry, tenant, cycle, folks):
    auditor = principal(engine, tenant, "auditor", ("auditor", None))
    with engine.connect() as conn:
        trail = admin.read_audit(conn, auditor)
        assert len(trail) and "grant" in set(trail["action"])
        assert admin.verify_audit(conn, auditor).intact
        with pytest.raises(Forbidden, match="auditor 无权管理"):
            admin.read_users(conn, auditor)
        with pytest.raises(Forbidden, match="auditor 无权打开领导驾驶舱"):
            dashboard.drill_roots(conn, auditor)
        with pytest.raises(Forbidden, match="审计"):
            admin.read_audit(conn, folks.leader)
    with transaction(engine) as session, pytest.raises(Forbidden):
        admin.create_user(session, auditor, username="x", password="Newbie-2026", display_name="", role="leader",
                          org_code="DW")


def test_no_code_path_edits_an_audit_row():
    """The database refuses it (tests/reliability/test_audit_trail.py); no module even tries."""
    root = Path(__file__).resolve().parents[2]
    edits = re.compile(r"(update|delete)\(\s*(AuditEvent|auditevent)|UPDATE\s+auditevent|DELETE\s+FROM\s+auditevent",
                       re.IGNORECASE)
    found = [str(p.relative_to(root)) for folder in ("core", "ui", "bastion", "flows", "plugins")
             for p in (root / folder).rglob("*.py") if "migrations" not in p.parts and edits.search(p.read_text())]
    assert found == []
