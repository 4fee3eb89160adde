"""Users, logins and scoping: a role reaches its organisation's subtree, never another tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bastion.core import i18n, users
from bastion.core.access import (
    PASSWORD_HASHING,
    Action,
    Forbidden,
    allows,
    hash_password,
    password_matches,
    require,
    visible,
)
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import AuditEvent, Organization
from tests import factories

pytestmark = pytest.mark.storage

PASSWORD = "Correct horse"


@pytest.fixture
def tree(engine, tenant):
    """DW → ZZ1 → {A, B}; and a second general branch ZZ2 → C."""
    ids = factories.org_tree(engine, tenant, {"A": "生产", "B": "机关"})
    with transaction(engine) as session:
        zz2 = Organization(tenant_id=tenant.id, code="ZZ2", name="第二党总支", level="general_branch",
                           parent_id=ids["DW"])
        session.add(zz2)
        session.flush()
        c = Organization(tenant_id=tenant.id, code="C", name="C党支部", level="branch", parent_id=zz2.id)
        session.add(c)
        session.flush()
        ids |= {"ZZ2": zz2.id, "C": c.id}
    return ids


def _user(engine, tenant, username, *grants):
    with transaction(engine) as session:
        users.create_user(session, tenant=tenant, username=username, password=PASSWORD, grants=grants, actor="test")
    with transaction(engine) as session:
        return users.authenticate(session, username, PASSWORD)


def _visible_codes(engine, principal, action):
    o = Organization.__table__.c
    with engine.connect() as conn:
        return set(conn.execute(select(o.code).where(o.tenant_id == principal.tenant_id,
                                                     visible(conn, principal, action, o.id))).scalars())


def test_passwords_are_kept_as_argon2_hashes():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert password_matches(stored, PASSWORD)
    assert not password_matches(stored, "wrong") and not password_matches("not a hash", PASSWORD)


def test_passwords_are_hashed_at_owasps_minimum_or_stronger():
    from argon2 import Type, extract_parameters

    from bastion.core.access import OWASP_MINIMUM

    used = extract_parameters(hash_password(PASSWORD))
    assert used.type is Type.ID and used.parallelism >= 1
    assert any(used.memory_cost >= memory and used.time_cost >= passes for memory, passes in OWASP_MINIMUM), used


def test_a_hash_made_with_other_parameters_is_redone_at_the_next_login(engine, tenant, tree):
    from argon2 import PasswordHasher

    from bastion.core.access import PASSWORD_HASHING, password_needs_rehash
    from bastion.core.models import User

    _user(engine, tenant, "zhang", ("leader", None))
    with transaction(engine) as session:  # as argon2-cffi's default made it, before Bastion chose its own
        user = session.exec(select(User).where(User.username == "zhang")).scalar_one()
        user.password_hash = PasswordHasher().hash(PASSWORD)
        session.add(user)
    with transaction(engine) as session:
        users.authenticate(session, "zhang", PASSWORD)
    with Session(engine) as session:
        stored = session.exec(select(User.password_hash).where(User.username == "zhang")).scalar_one()
    assert not password_needs_rehash(stored) and password_matches(stored, PASSWORD)
    assert f"m={PASSWORD_HASHING['memory_cost']},t={PASSWORD_HASHING['time_cost']}," in stored


def test_a_login_checks_the_password_and_the_user_being_active(engine, tenant, tree):
    who = _user(engine, tenant, "zhang", ("leader", None))
    assert who.roles == {"leader"} and who.tenant_id == tenant.id
    with Session(engine) as session, pytest.raises(Forbidden, match="用户名或密码错误"):
        users.authenticate(session, "zhang", "wrong password")
    with Session(engine) as session, pytest.raises(Forbidden, match="用户名或密码错误"):
        users.authenticate(session, "nobody", PASSWORD)
    with i18n.using("en"), Session(engine) as session, pytest.raises(Forbidden, match="wrong username or password"):
        users.authenticate(session, "nobody", PASSWORD)
    with transaction(engine) as session:
        users.set_active(session, user=users.find_user(session, tenant.id, "zhang"), active=False, actor="test")
    with Session(engine) as session, pytest.raises(Forbidden):
        users.authenticate(session, "zhang", PASSWORD)


def test_an_unknown_username_costs_a_password_check_as_a_wrong_password_does(engine, tenant, tree, monkeypatch):
    """The refusal's time does not tell which usernames exist: an unknown one is checked against a hash made with
    today's parameters, as a real user's wrong password is."""
    _user(engine, tenant, "zhang", ("leader", None))
    users._unknown_user_hash.cache_clear()  # made anew with today's parameters, not a cheaper test's
    checked = []
    real = users.password_matches
    monkeypatch.setattr(users, "password_matches", lambda stored, given: checked.append(stored) or real(stored, given))
    for name in ("zhang", "nobody"):
        with Session(engine) as session, pytest.raises(Forbidden, match="用户名或密码错误"):
            users.authenticate(session, name, "wrong password")
    assert len(checked) == 2
    assert all(f"m={PASSWORD_HASHING['memory_cost']},t={PASSWORD_HASHING['time_cost']}," in h for h in checked)


def test_a_role_reaches_its_organisation_and_everything_under_it(engine, tenant, tree):
    whole = _user(engine, tenant, "boss", ("leader", None))
    general = _user(engine, tenant, "zz1", ("inspector", "ZZ1"))
    branch = _user(engine, tenant, "sec-a", ("secretary", "A"))
    assert _visible_codes(engine, whole, Action.view_results) == {"DW", "ZZ1", "A", "B", "ZZ2", "C"}
    assert _visible_codes(engine, general, Action.inspect) == {"ZZ1", "A", "B"}
    assert _visible_codes(engine, branch, Action.record_ledger) == {"A"}
    assert _visible_codes(engine, branch, Action.inspect) == set()  # a secretary does not inspect


def test_require_refuses_outside_the_subtree_and_outside_the_roles(engine, tenant, tree):
    secretary = _user(engine, tenant, "sec-a", ("secretary", "A"))
    with engine.connect() as conn:
        require(conn, secretary, Action.record_ledger, tree["A"])
        with pytest.raises(Forbidden, match="不在授予其的组织范围内"):
            require(conn, secretary, Action.record_ledger, tree["B"])
        with pytest.raises(Forbidden, match="无权管理"):
            require(conn, secretary, Action.administer)
        assert not allows(conn, secretary, Action.view_drafts, tree["A"])


def test_another_tenant_is_never_visible_even_to_its_top_administrator(engine, registry, tenant, tree):
    other = factories.tenant(engine, registry, code="other")
    other_ids = factories.org_tree(engine, other, {"X": "生产"})
    admin = _user(engine, tenant, "root", ("admin", None))
    assert _visible_codes(engine, admin, Action.administer) == {"DW", "ZZ1", "A", "B", "ZZ2", "C"}
    with engine.connect() as conn:
        assert not allows(conn, admin, Action.administer, other_ids["X"])
        with pytest.raises(Forbidden):
            require(conn, admin, Action.view_results, other_ids["DW"])


def test_grants_are_audited_checked_and_revocable(engine, tenant, tree):
    _user(engine, tenant, "li", ("auditor", None))
    with transaction(engine) as session:
        li = users.find_user(session, tenant.id, "li")
        users.grant(session, user=li, role="inspector", org_code="ZZ2", actor="admin")
        with pytest.raises(Conflict, match="已在ZZ2拥有督查人员角色"):
            users.grant(session, user=li, role="inspector", org_code="ZZ2", actor="admin")
        with pytest.raises(BastionError, match="没有角色 'boss'"):
            users.grant(session, user=li, role="boss", org_code=None, actor="admin")
    with transaction(engine) as session:
        who = users.authenticate(session, "li", PASSWORD)
    assert set(who.grants) == {("auditor", tree["DW"]), ("inspector", tree["ZZ2"])}
    with transaction(engine) as session:
        users.revoke(session, user=users.find_user(session, tenant.id, "li"), role="inspector", org_code="ZZ2",
                     actor="admin")
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "user")
                                                  .order_by(AuditEvent.id)).scalars()]
    assert actions == ["create", "grant", "login", "grant", "login", "revoke"]


def test_short_passwords_and_duplicate_usernames_are_refused(engine, tenant, tree):
    with transaction(engine) as session, pytest.raises(BastionError, match="密码：至少 8 个字符"):
        users.create_user(session, tenant=tenant, username="wang", password="short", actor="test")
    _user(engine, tenant, "wang", ("leader", None))
    with transaction(engine) as session, pytest.raises(Conflict, match="已存在"):
        users.create_user(session, tenant=tenant, username="wang", password=PASSWORD, actor="test")


def test_an_administrator_of_a_subtree_sees_only_the_users_inside_it(engine, tenant, tree):
    _user(engine, tenant, "sec-a", ("secretary", "A"))
    _user(engine, tenant, "sec-c", ("secretary", "C"))
    zz1_admin = _user(engine, tenant, "admin-zz1", ("admin", "ZZ1"))
    with engine.connect() as conn:
        listed = set(users.read_users(conn, zz1_admin)["username"])
    assert listed == {"sec-a", "admin-zz1"}
    with Session(engine) as session:
        sec_c = users.find_user(session, tenant.id, "sec-c")
        with pytest.raises(Forbidden, match="管理范围以外"):
            users.require_admin_over(session.connection(), zz1_admin, sec_c)


def test_a_grant_on_one_of_two_top_organisations_reaches_only_its_own_tree(engine, tenant, tree):
    with transaction(engine) as session:
        session.add(Organization(tenant_id=tenant.id, code="DW2", name="第二党委", level="committee"))
    one = _user(engine, tenant, "dw-admin", ("admin", "DW"))
    assert "DW2" not in _visible_codes(engine, one, Action.administer)
    both = _user(engine, tenant, "both", ("admin", "DW"), ("admin", "DW2"))
    assert _visible_codes(engine, both, Action.administer) == {"DW", "ZZ1", "A", "B", "ZZ2", "C", "DW2"}
