"""Administration: users and roles within the administrator's subtree, plugins and cycles for administrators
of the whole tenant, the calendar, stage runs and the audit trail — never another tenant's."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bastion.core import admin, i18n, organizations, users
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict, NotFound
from bastion.core.models import AuditEvent, Grant, User
from bastion.core.stages import service as stages
from tests import factories
from tests.core import people

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def world(engine, tenant):
    people.tree(engine, tenant)
    return {
        "admin": people.person(engine, tenant, "boss", ("admin", "DW")),
        "sub": people.person(engine, tenant, "sub", ("admin", "ZZ1")),
        "leader": people.person(engine, tenant, "lead", ("leader", "DW")),
        "sec_a": people.person(engine, tenant, "sec_a", ("secretary", "A")),
        "sec_c": people.person(engine, tenant, "sec_c", ("secretary", "C")),
    }


def _user(engine, username) -> User:
    with Session(engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


def _grants(engine, username) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        frame = users.read_user_grants(conn, _user(engine, username).tenant_id)
    rows = frame[frame["username"] == username]
    return {(r.role, r.org_code) for r in rows.itertuples()}


def test_an_admin_creates_a_user_grants_revokes_deactivates_and_resets(engine, world):
    boss = world["admin"]
    with transaction(engine) as session:
        admin.create_user(session, boss, username="newbie", password="Long-enough", display_name="新人",
                          role="inspector", org_code="ZZ1")
        admin.grant_role(session, boss, username="newbie", role="secretary", org_code="A")
    assert _grants(engine, "newbie") == {("inspector", "ZZ1"), ("secretary", "A")}
    with transaction(engine) as session:
        admin.revoke_role(session, boss, username="newbie", role="inspector", org_code="ZZ1")
        admin.set_user_active(session, boss, username="newbie", active=False)
    assert _grants(engine, "newbie") == {("secretary", "A")} and not _user(engine, "newbie").active
    with transaction(engine) as session, pytest.raises(Forbidden):
        users.authenticate(session, "newbie", "Long-enough")
    with transaction(engine) as session:
        admin.set_user_active(session, boss, username="newbie", active=True)
        admin.reset_password(session, boss, username="newbie", password="Another-one")
    with transaction(engine) as session:
        assert users.authenticate(session, "newbie", "Another-one").grants
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.actor == "boss")).all()
    assert actions == ["create", "grant", "grant", "revoke", "deactivate", "activate", "set_password"]


@pytest.mark.parametrize(("values", "error", "message", "english"), [
    ({"role": "king"}, BastionError, "没有角色 'king'（可用角色：admin（管理员）", "no role 'king'"),
    ({"password": "short"}, BastionError, "密码：至少 8 个字符", "at least 8 characters"),
    ({"username": "sec_a"}, Conflict, "用户 'sec_a' 已存在", "already exists"),
    ({"org_code": "NOPE"}, NotFound, "组织：本单位没有组织 'NOPE'", "organisation: no organisation 'NOPE'"),
    ({"org_code": None}, BastionError, "组织：请指定授予该角色的组织", "organisation: name the organisation"),
])
def test_a_bad_new_user_is_refused_and_nothing_is_written(engine, world, values, error, message, english):
    before = _count_users(engine)
    arguments = {"username": "newbie", "password": "Long-enough", "display_name": "", "role": "inspector",
                 "org_code": "A"} | values
    with pytest.raises(error, match=message), transaction(engine) as session:
        admin.create_user(session, world["admin"], **arguments)
    with i18n.using("en"), pytest.raises(error, match=english), transaction(engine) as session:
        admin.create_user(session, world["admin"], **arguments)
    assert _count_users(engine) == before


def _count_users(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(User)).all())


def test_a_subtree_admin_manages_only_users_and_roles_inside_it(engine, world):
    sub = world["sub"]
    with engine.connect() as conn:
        seen = set(admin.read_users(conn, sub)["username"])
    assert seen == {"sub", "sec_a"}
    with transaction(engine) as session:
        with pytest.raises(Forbidden):
            admin.create_user(session, sub, username="x", password="Long-enough", display_name="", role="secretary",
                              org_code="C")
        with pytest.raises(Forbidden):
            admin.grant_role(session, sub, username="sec_a", role="secretary", org_code="C")
        for action in (lambda: admin.set_user_active(session, sub, username="sec_c", active=False),
                       lambda: admin.reset_password(session, sub, username="sec_c", password="Long-enough"),
                       lambda: admin.revoke_role(session, sub, username="sec_c", role="secretary", org_code="C"),
                       lambda: admin.set_user_active(session, sub, username="boss", active=False)):
            with pytest.raises(Forbidden):
                action()
    with transaction(engine) as session:
        admin.create_user(session, sub, username="b_sec", password="Long-enough", display_name="", role="secretary",
                          org_code="B")
    assert _grants(engine, "b_sec") == {("secretary", "B")} and _user(engine, "sec_c").active


def test_an_admin_does_not_lock_themselves_out_and_others_may_not_administer(engine, world):
    with transaction(engine) as session:
        with pytest.raises(Forbidden, match="不能停用自己的账号"):
            admin.set_user_active(session, world["admin"], username="boss", active=False)
        with pytest.raises(Forbidden, match="不能撤销自己的管理员角色"):
            admin.revoke_role(session, world["admin"], username="boss", role="admin", org_code="DW")
    for role in ("leader", "sec_a"):
        with engine.connect() as conn, pytest.raises(Forbidden, match="无权管理"):
            admin.read_users(conn, world[role])
        with transaction(engine) as session, pytest.raises(Forbidden, match="无权管理"):
            admin.create_user(session, world[role], username="x", password="Long-enough", display_name="",
                              role="leader", org_code="DW")


def test_plugins_are_enabled_and_disabled_by_an_admin_of_the_whole_tenant(engine, registry, tenant, world):
    with Session(engine) as session:
        shown = admin.read_plugins(session, world["sub"], registry).set_index("plugin")
    assert shown.loc["target-table", "enabled"] and not shown.loc["study-education", "enabled"]
    assert "考核方案：党委（支部）建设目标管理考核表" in shown.loc["target-table", "contributes"]
    ledgers = shown.loc["standard-ledgers", "contributes"]
    assert ledgers.startswith("台账类型：") and "支委会" in ledgers and "committee_meeting" not in ledgers
    with transaction(engine) as session, pytest.raises(Forbidden, match="需要全单位的管理员"):
        admin.enable_plugin(session, world["sub"], registry, "study-education")
    with transaction(engine) as session:
        assert admin.enable_plugin(session, world["admin"], registry, "study-education") == ["study-education"]
    with transaction(engine) as session, pytest.raises(NotFound, match="插件未安装"):
        admin.enable_plugin(session, world["admin"], registry, "no-such-plugin")
    with transaction(engine) as session:
        admin.disable_plugin(session, world["admin"], "study-education")
    with Session(engine) as session:
        assert not admin.read_plugins(session, world["admin"], registry).set_index("plugin").loc["study-education",
                                                                                               "enabled"]


def test_the_next_cycle_opens_with_last_years_scheme_and_shows_its_calendar(engine, registry, tenant, cycle, world):
    with transaction(engine) as session, pytest.raises(Forbidden, match="需要全单位的管理员"):
        admin.open_next_cycle(session, world["sub"], registry)
    with transaction(engine) as session:
        opened = admin.open_next_cycle(session, world["admin"], registry)
    assert (opened.year, opened.scheme_id, opened.opened_by) == (2027, "target-table", "boss")
    with transaction(engine) as session, pytest.raises(Conflict, match="已有 2027 考核年度"):
        admin.open_next_cycle(session, world["admin"], registry, year=2027)
    with Session(engine) as session:
        listed = admin.read_cycles(session, world["admin"])
        calendar = admin.read_calendar(session, world["admin"], cycle_id=cycle.id, now=datetime(2026, 3, 15, 12))
    assert list(listed["year"]) == [2027, 2026]
    assert {line.stage for line in calendar} >= {"spot_check", "annual"}
    assert all(line.next_run is None or line.next_run > datetime(2026, 3, 15, 12) for line in calendar)
    assert all(line.description for line in calendar)


def test_stage_runs_and_the_audit_trail_are_the_tenants_own(engine, registry, tenant, cycle, world, tmp_path):
    ctx = stages.StageContext(engine, registry, tmp_path, "督查组", flow_run_id="flow-123")
    stages.spot_check(ctx, cycle, date(2026, 3, 2), size=1, seed=1)
    other = factories.tenant(engine, registry, code="other")
    other_cycle = factories.cycle(engine, registry, other)
    people.tree(engine, other)
    stranger = people.person(engine, other, "stranger", ("admin", "DW"))
    stages.spot_check(ctx, other_cycle, date(2026, 3, 2), size=1, seed=1)

    with engine.connect() as conn:
        runs = admin.read_stage_runs(conn, world["admin"])
        theirs = admin.read_stage_runs(conn, stranger, year=2026)
        trail = admin.read_audit(conn, world["admin"])
        draws = admin.read_audit(conn, world["admin"], entity="spot_check", actor="督查组")
        entities = admin.audit_entities(conn, world["admin"])
        with pytest.raises(Forbidden, match="需要全单位的审计管理员或管理员"):
            admin.read_audit(conn, world["sub"])
        with pytest.raises(Forbidden):
            admin.read_stage_runs(conn, world["leader"])
    assert list(runs[["stage", "status", "attempts", "flow_run_id"]].itertuples(index=False, name=None)) == \
        [("spot_check", "succeeded", 1, "flow-123")]
    assert len(theirs) == 1 and theirs["id"].iat[0] != runs["id"].iat[0]
    assert len(draws) == 1 and draws["entity"].iat[0] == "spot_check"
    assert {"user", "spot_check"} <= set(entities)
    with Session(engine) as session:
        tenant_events = session.exec(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)).all()
    assert len(trail) == len(tenant_events)


def test_another_tenants_admin_cannot_touch_this_tenants_users(engine, registry, world):
    other = factories.tenant(engine, registry, code="other")
    people.tree(engine, other)
    stranger = people.person(engine, other, "stranger", ("admin", "DW"))
    with engine.connect() as conn:
        assert set(admin.read_users(conn, stranger)["username"]) == {"stranger"}
    with transaction(engine) as session:
        with pytest.raises(NotFound):
            admin.set_user_active(session, stranger, username="sec_a", active=False)
        with pytest.raises(NotFound):
            admin.grant_role(session, stranger, username="sec_a", role="leader", org_code="DW")
    with Session(engine) as session:
        assert len(session.exec(select(Grant).where(Grant.user_id == _user(engine, "sec_a").id)).all()) == 1


def test_the_audit_trail_reads_in_words_in_one_language(engine, tenant, world):
    boss = world["admin"]
    with transaction(engine) as session:
        admin.create_user(session, boss, username="newbie", password="Long-enough", display_name="新人",
                          role="inspector", org_code="ZZ1")
        admin.grant_role(session, boss, username="newbie", role="secretary", org_code="A")
        admin.set_user_active(session, boss, username="newbie", active=False)
        organizations.update_organization(session, boss, code="A", secretary="王五", member_count=31)
    a = people.get_org(engine, tenant, "A")
    with engine.connect() as conn:
        trail = admin.read_audit_trail(conn, boss, actor="boss")
    granted = [(r.old, r.new) for r in trail.itertuples() if (r.action, r.entity) == ("授权", "用户")]
    assert granted == [("", f"角色：支部书记；组织：A {a.name}"), ("", "角色：督查人员；组织：ZZ1 ZZ1党组织")]
    rows = {(r.action, r.entity): r for r in trail.itertuples()}
    assert (rows["停用", "用户"].old, rows["停用", "用户"].new) == ("启用：是", "启用：否")
    edited = rows["修改", "组织"]
    assert edited.object == f"A {a.name}" and edited.new == "书记：王五；党员人数：31"
    assert edited.note == "edited in the UI (A)"  # a note is stored text, shown as it was written
    shown = " ".join(trail["old"]) + " ".join(trail["new"])
    assert "None" not in shown and "{" not in shown and '"' not in shown

    with i18n.using("en"), engine.connect() as conn:
        english = admin.read_audit_trail(conn, boss, actor="boss")
    rows = {(r.action, r.entity): r for r in english.itertuples()}
    assert f"role: Branch secretary; organisation: A {a.name}" in set(english["new"])
    assert rows["deactivated", "user"].new == "active: no"
    assert rows["updated", "organisation"].new == "secretary: 王五; member_count: 31"


def test_a_role_on_the_whole_tenant_and_an_empty_value_read_as_words():
    assert admin.describe_values({"role": "leader", "org_id": None}, entity="user") == "角色：领导；组织：全单位"
    assert admin.describe_values({"parent_code": None}, entity="organization") == "上级组织编码：无（最高层组织）"
    assert admin.describe_values({"category": None, "note": "", "plugins": []}, entity="organization") == ""
    assert admin.describe_values({"status": "responded", "response": "已整改"}, entity="rectification") == \
        "状态：已反馈，待复验；整改情况：已整改"
    assert admin.describe_values({"period": "2026", "scores": {"None": 90.0, "B1-1": 85.5}}, entity="self_assessment") \
        == "考核期：2026；评分：总体评分 90，B1-1 85.5"
    assert admin.describe_values({"kind": "spot"}, entity="check") == "类型：不定期抽查"
    assert admin.describe_values({"kind": "ledger", "inserted": 3}, entity="ledger") == "类型：台账；新增：3"
    with i18n.using("en"):
        assert admin.describe_values({"role": "leader", "org_id": None}, entity="user") == \
            "role: Leader; organisation: the whole tenant"
        assert admin.describe_values({"results_changed": [{"code": "A", "total_old": 80.0, "total_new": 85.0}]},
                                     entity="evaluation") == "results changed: (code: A; total (old): 80; total (new): 85)"


def test_the_audit_trail_in_words_takes_the_same_queries_for_few_events_or_many(engine, world):
    """Organisations are named in one query, not one per event."""
    boss = world["admin"]

    def statements() -> int:
        seen = []
        with engine.connect() as conn:
            listen = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
            event.listen(conn, "before_cursor_execute", listen)
            trail = admin.read_audit_trail(conn, boss, actor="boss")
            event.remove(conn, "before_cursor_execute", listen)
        assert all(value for value in trail["new"])
        return len(seen)

    with transaction(engine) as session:
        admin.grant_role(session, boss, username="sec_a", role="inspector", org_code="A")
    few = statements()
    with transaction(engine) as session:
        for code in ("B", "C", "ZZ1", "ZZ2"):
            admin.grant_role(session, boss, username="sec_c", role="inspector", org_code=code)
    assert statements() == few
