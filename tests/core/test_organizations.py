"""The organisation tree as administrators keep it: read in tree order, edited, moved, imported — within
their subtree and tenant, with the import's own rules."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from bastion.core import i18n, organizations
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict, NotFound
from bastion.core.importing import ImportRejected
from bastion.core.models import AuditEvent, Organization
from tests import factories
from tests.core import people

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def world(engine, tenant):
    ids = people.tree(engine, tenant)
    return {
        "ids": ids,
        "admin": people.person(engine, tenant, "boss", ("admin", "DW")),
        "sub": people.person(engine, tenant, "sub", ("admin", "ZZ1")),
        "leader": people.person(engine, tenant, "lead", ("leader", "DW")),
        "inspector": people.person(engine, tenant, "insp", ("inspector", "DW")),
        "secretary": people.person(engine, tenant, "sec", ("secretary", "A")),
    }


def _parent_code(engine, tenant, code):
    org = people.get_org(engine, tenant, code)
    with Session(engine) as session:
        return session.get(Organization, org.parent_id).code if org.parent_id else None


def test_the_tree_comes_in_tree_order_with_depths_and_only_the_admins_subtree(engine, world):
    with engine.connect() as conn:
        whole = organizations.read_tree(conn, world["admin"])
        part = organizations.read_tree(conn, world["sub"])
    assert list(zip(whole["code"], whole["depth"])) == [("DW", 0), ("ZZ1", 1), ("A", 2), ("B", 2), ("ZZ2", 1),
                                                        ("C", 2)]
    assert list(zip(part["code"], part["depth"], part["parent_code"])) == [("ZZ1", 0, "DW"), ("A", 1, "ZZ1"),
                                                                          ("B", 1, "ZZ1")]
    for role in ("leader", "inspector", "secretary"):
        with engine.connect() as conn, pytest.raises(Forbidden, match="无权管理"):
            organizations.read_tree(conn, world[role])


def test_an_edit_is_parsed_as_the_import_parses_it_and_audited(engine, tenant, world):
    with transaction(engine) as session:
        organizations.update_organization(session, world["sub"], code="A", name=" 第一支部 ", secretary="李四",
                                          secretary_term_start=date(2026, 1, 1), secretary_term_end=date(2030, 12, 31),
                                          member_count=25, staff_count="120", first_secretary="")
    org = people.get_org(engine, tenant, "A")
    assert (org.name, org.secretary, org.member_count, org.staff_count, org.first_secretary) == \
        ("第一支部", "李四", 25, 120, None)
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "organization")).one()
    assert (event.actor, event.old["secretary"], event.new["secretary_term_start"]) == ("sub", "A书记", "2026-01-01")


@pytest.mark.parametrize(("changes", "message", "english"), [
    ({"name": "  "}, "组织名称：组织须有名称", "name: an organisation needs a name"),
    ({"member_count": -3}, "党员人数：'-3' 不是 ≥ 0 的整数", "member_count: '-3' is not a whole number"),
    ({"staff_count": "many"}, "职工人数：'many' 不是数字", "staff_count: 'many' is not a number"),
    ({"secretary_term_end": date(2023, 1, 1)}, "任期结束：2023-01-01 早于任期开始日期",
     "secretary_term_end: 2023-01-01 is before the term's start"),
    ({"level": "group"}, "层级：此处不能修改", "level: not editable here"),
    ({"name": "x" * 201}, "组织名称：长 201 个字符", "name: is 201 characters long"),
])
def test_a_bad_edit_is_refused_with_the_field(engine, tenant, world, changes, message, english):
    """The field is named as the organisations template heads it, in the user's language."""
    with transaction(engine) as session, pytest.raises(BastionError, match=message):
        organizations.update_organization(session, world["admin"], code="A", **changes)
    with i18n.using("en"), transaction(engine) as session, pytest.raises(BastionError, match=english):
        organizations.update_organization(session, world["admin"], code="A", **changes)
    assert people.get_org(engine, tenant, "A").name == "A党组织"


def test_a_subtree_admin_edits_and_moves_only_inside_it(engine, tenant, world):
    with transaction(engine) as session:
        with pytest.raises(Forbidden, match="不在授予其的组织范围内"):
            organizations.update_organization(session, world["sub"], code="C", name="丙")
        with pytest.raises(Forbidden):
            organizations.move_organization(session, world["sub"], code="A", parent_code="ZZ2")
        with pytest.raises(Forbidden):
            organizations.move_organization(session, world["sub"], code="C", parent_code="ZZ1")
    assert _parent_code(engine, tenant, "A") == "ZZ1" and _parent_code(engine, tenant, "C") == "ZZ2"


def test_a_move_is_audited_and_refuses_loops_and_levels_that_do_not_fit(engine, tenant, world):
    admin = world["admin"]
    with transaction(engine) as session:
        with pytest.raises(BastionError, match="上级关系将形成循环：ZZ1 → A → ZZ1"):
            organizations.move_organization(session, admin, code="ZZ1", parent_code="A")
        with pytest.raises(BastionError, match="上级关系将形成循环：DW → ZZ2 → DW"):
            organizations.move_organization(session, admin, code="DW", parent_code="ZZ2")
        with pytest.raises(BastionError, match="党总支不能隶属于 'ZZ2'（党总支）"):
            organizations.move_organization(session, admin, code="ZZ1", parent_code="ZZ2")
        with pytest.raises(BastionError, match="党支部不能隶属于 'B'（党支部）"):
            organizations.move_organization(session, admin, code="A", parent_code="B")
        with pytest.raises(Conflict, match="已隶属于 ZZ1"):
            organizations.move_organization(session, admin, code="A", parent_code="ZZ1")
        with pytest.raises(NotFound, match="上级组织：本单位没有组织 'ZZ9'"):
            organizations.move_organization(session, admin, code="A", parent_code="ZZ9")
        organizations.move_organization(session, admin, code="A", parent_code="ZZ2")
    assert _parent_code(engine, tenant, "A") == "ZZ2"
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "move")).one()
    assert (event.old, event.new) == ({"parent_code": "ZZ1"}, {"parent_code": "ZZ2"})
    with engine.connect() as conn:
        tree = organizations.read_tree(conn, admin)
    assert list(tree["code"]) == ["DW", "ZZ1", "B", "ZZ2", "A", "C"]


GOOD = "组织编码 code,组织名称 name,上级组织编码 parent_code,层级 level,党员人数 member_count\n" \
       "D,第四支部,ZZ2,党支部,12\nA,甲支部,ZZ1,党支部,30\n"
BAD = "组织编码 code,组织名称 name,上级组织编码 parent_code,层级 level,党员人数 member_count\n" \
      "D,第四支部,ZZ2,党支部,twelve\nE,第五支部,NOPE,党支部,3\nF,第六支部,A,党支部,3\n"


def test_an_import_writes_all_or_nothing_and_names_each_bad_row(engine, registry, tenant, world):
    with pytest.raises(ImportRejected) as rejected:
        organizations.import_organizations(engine, world["admin"], filename="组织.csv", data=BAD.encode(),
                                           registry=registry)
    problems = {(e.file, e.row, e.field) for e in rejected.value.errors}
    assert problems == {("组织.csv", 2, "党员人数"), ("组织.csv", 3, "上级组织编码"), ("组织.csv", 4, "层级")}
    with Session(engine) as session:
        assert len(session.exec(select(Organization).where(Organization.tenant_id == tenant.id)).all()) == 6

    report = organizations.import_organizations(engine, world["admin"], filename="组织.csv", data=GOOD.encode(),
                                                registry=registry)
    assert (report.inserted, report.updated, report.file) == (1, 1, "组织.csv")
    assert _parent_code(engine, tenant, "D") == "ZZ2" and people.get_org(engine, tenant, "A").member_count == 30


def test_only_an_admin_of_the_whole_tenant_imports(engine, registry, tenant, world):
    for who, error, english in (("sub", "此操作需要全单位的管理员", "needs an administrator of the whole tenant"),
                                ("leader", "lead 无权管理（角色：领导）", r"lead may not administer \(roles: leader\)")):
        with pytest.raises(Forbidden, match=error):
            organizations.import_organizations(engine, world[who], filename="组织.csv", data=GOOD.encode(),
                                               registry=registry)
        with i18n.using("en"), pytest.raises(Forbidden, match=english):
            organizations.import_organizations(engine, world[who], filename="组织.csv", data=GOOD.encode(),
                                               registry=registry)
    with Session(engine) as session:
        assert session.exec(select(Organization).where(Organization.code == "D")).first() is None


def test_another_tenants_admin_reaches_nothing_here(engine, registry, tenant, world):
    other = factories.tenant(engine, registry, code="other")
    people.tree(engine, other)
    stranger = people.person(engine, other, "stranger", ("admin", "DW"))
    with engine.connect() as conn:
        tree = organizations.read_tree(conn, stranger)
    assert set(tree["code"]) == {"DW", "ZZ1", "ZZ2", "A", "B", "C"}
    with transaction(engine) as session:
        organizations.move_organization(session, stranger, code="A", parent_code="ZZ2")
        organizations.update_organization(session, stranger, code="B", name="他家的B")
    organizations.import_organizations(engine, stranger, filename="o.csv", data=GOOD.encode(), registry=registry)
    assert _parent_code(engine, tenant, "A") == "ZZ1" and people.get_org(engine, tenant, "B").name == "B党组织"
    assert people.get_org(engine, other, "A").member_count == 30
    with Session(engine) as session:
        mine = session.exec(select(Organization).where(Organization.tenant_id == tenant.id)).all()
    assert {o.code for o in mine} == {"DW", "ZZ1", "ZZ2", "A", "B", "C"}
