"""Member duties and responsibility lists (党员岗位职责、责任清单): kept per person and per unit, their fulfilments and
ticks dated facts, counted by two rule types, frozen once the period is published."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from bastion.core import members, results, scoring, verify
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.duties import queries, service
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import AuditEvent, Cycle, Indicator, Organization, Target
from tests.core import people
from tests.core.people import person

pytestmark = pytest.mark.storage

DAY = date(2026, 3, 10)
TODAY = date(2026, 12, 6)


@pytest.fixture
def tree(engine, tenant):
    """people.tree with a party group G under A, and a register: DY01, DY02 and (in G) DY03 in A, DY04 in B."""
    ids = people.tree(engine, tenant)
    with transaction(engine) as session:
        session.add(Organization(tenant_id=tenant.id, code="G", name="第一党小组", level="group", parent_id=ids["A"]))
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    with transaction(engine) as session:
        for code, org in (("DY01", "A"), ("DY02", "A"), ("DY03", "G"), ("DY04", "B")):
            members.save_member(session, admin, code=code, org_code=org, name=f"党员{code}",
                                joined_on=date(2010, 7, 1), moved_on=date(2020, 1, 1), today=TODAY)
    return ids


@pytest.fixture
def who(engine, tenant, tree):
    return {"admin": person(engine, tenant, "office", ("admin", "DW")),
            "sec": person(engine, tenant, "sec_a", ("secretary", "A"))}


def test_a_secretary_sets_her_members_duties_and_records_them_by_one_rule(engine, tenant, cycle, who):
    sec = who["sec"]
    with transaction(engine) as session:
        duties = [service.set_duty(session, sec, member_code=code, year=2026, kind=kind, text=text)
                  for code, kind, text in (("DY01", "post", "负责支部组织生活记录"), ("DY02", "set", "党员示范岗"),
                                           ("DY03", "claimed", "联系困难职工两名"))]
    assert {d.org_id for d in duties} == {people.get_org(engine, tenant, "A").id}  # G's member counts for A
    for kwargs, message in ((dict(member_code="DY01", kind="boss", text="x"), "定责方式"),
                            (dict(member_code="DY01", kind="post", text=" "), "职责内容：必填"),
                            (dict(member_code="DY01", kind="post", text="x" * 301), "超过 300 个字符")):
        with transaction(engine) as session, pytest.raises(BastionError, match=message):
            service.set_duty(session, sec, year=2026, **kwargs)
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.set_duty(session, sec, member_code="DY04", year=2026, kind="post", text="B 的党员")
    with transaction(engine) as session:
        service.record_fulfilment(session, sec, duty_id=duties[0].id, day=DAY, note="三月支委会记录完整", today=TODAY)
        service.record_fulfilment(session, sec, duty_id=duties[1].id, day=DAY, today=TODAY)
        service.record_fulfilment(session, sec, duty_id=duties[1].id, day=date(2026, 5, 4), today=TODAY)
    with transaction(engine) as session, pytest.raises(BastionError, match="将来"):
        service.record_fulfilment(session, sec, duty_id=duties[0].id, day=date(2026, 12, 7), today=TODAY)
    with transaction(engine) as session, pytest.raises(BastionError, match="2025"):
        service.record_fulfilment(session, sec, duty_id=duties[0].id, day=date(2025, 6, 1), today=TODAY)
    with transaction(engine) as session:
        service.end_duty(session, sec, duty_id=duties[2].id)
    with transaction(engine) as session, pytest.raises(BastionError, match="已结束"):
        service.record_fulfilment(session, sec, duty_id=duties[2].id, day=DAY, today=TODAY)
    with engine.connect() as conn:
        listed = queries.duties_of(conn, sec, duties[0].org_id, 2026).set_index("member_code")
        with pytest.raises(Forbidden):
            queries.duties_of(conn, sec, people.get_org(engine, tenant, "B").id, 2026)
    assert listed["fulfilled"].to_dict() == {"DY01": 1, "DY02": 2, "DY03": 0}
    assert listed.loc["DY03", "active"] == False  # noqa: E712 — ended, kept
    with Session(engine) as session:
        audited = {(e.entity, e.action) for e in session.exec(select(AuditEvent)).scalars()}
    assert {("member_duty", "create"), ("duty_record", "record"), ("member_duty", "deactivate")} <= audited


def test_a_unit_s_list_is_kept_by_the_office_and_ticked_with_evidence(engine, tenant, cycle, who):
    with transaction(engine) as session:
        items = [service.add_item(session, who["admin"], org_code="A", year=2026, text=text)
                 for text in ("每月召开支委会", "每季度讲一次党课", "年底开展民主评议党员")]
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.add_item(session, who["sec"], org_code="A", year=2026, text="书记自己加的")
    with transaction(engine) as session, pytest.raises(BastionError, match="落实情况及佐证：必填"):
        service.tick(session, who["sec"], item_id=items[0].id, day=DAY, evidence="", today=TODAY)
    with transaction(engine) as session:
        service.tick(session, who["sec"], item_id=items[0].id, day=DAY, evidence="三月支委会纪要", today=TODAY)
        service.tick(session, who["sec"], item_id=items[1].id, day=DAY, evidence="党课讲稿及签到表", today=TODAY)
    with engine.connect() as conn:
        listed = queries.items_of(conn, who["sec"], items[0].org_id, 2026)
        sizes = queries.list_sizes(conn, tenant.id, 2026).set_index("org_id")["list_items"].to_dict()
    assert listed["ticks"].tolist() == [1, 1, 0] and listed["evidence"].tolist()[:2] == ["三月支委会纪要", "党课讲稿及签到表"]
    assert listed["position"].tolist() == [1, 2, 3] and sizes == {items[0].org_id: 3}


def _score_duties_and_lists(engine, cycle) -> Cycle:
    """The cycle's B1-2 scored as ``duty_coverage`` and B1-3 as ``responsibility_list`` (each 100 % wanted: their
    frozen targets, counts of meetings, dropped)."""
    with transaction(engine) as session:
        frozen = session.get(Cycle, cycle.id)
        for block in frozen.scheme["blocks"]:
            for spec in block["indicators"]:
                if spec["code"] in ("B1-2", "B1-3"):
                    spec.update(rule="duty_coverage" if spec["code"] == "B1-2" else "responsibility_list",
                                params={}, targets={}, assessed=None)
        flag_modified(frozen, "scheme")
        ids = select(Indicator.id).where(Indicator.cycle_id == cycle.id, Indicator.code.in_(["B1-2", "B1-3"]))
        session.execute(delete(Target).where(Target.indicator_id.in_(ids)))
    with Session(engine) as session:
        return session.get(Cycle, cycle.id)


def test_two_rule_types_count_members_covered_and_items_done_and_the_period_stays_frozen(
        engine, registry, tenant, cycle, who):
    sec, admin = who["sec"], who["admin"]
    with transaction(engine) as session:
        duty = service.set_duty(session, sec, member_code="DY01", year=2026, kind="post", text="组织生活记录")
        other = service.set_duty(session, sec, member_code="DY03", year=2026, kind="claimed", text="联系职工")
        service.record_fulfilment(session, sec, duty_id=duty.id, day=DAY, today=TODAY)
        service.record_fulfilment(session, sec, duty_id=duty.id, day=date(2026, 4, 1), today=TODAY)
        service.record_fulfilment(session, sec, duty_id=other.id, day=DAY, today=TODAY)
        items = [service.add_item(session, admin, org_code="A", year=2026, text=t) for t in ("甲", "乙", "丙", "丁")]
        service.tick(session, sec, item_id=items[0].id, day=DAY, evidence="纪要", today=TODAY)
        service.tick(session, sec, item_id=items[0].id, day=date(2026, 6, 1), evidence="纪要二", today=TODAY)
        service.tick(session, sec, item_id=items[2].id, day=DAY, evidence="讲稿", today=TODAY)
    cycle = _score_duties_and_lists(engine, cycle)
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        lines = {x["indicator_code"]: x for x in results.explain(conn, cycle=cycle, period="2026", org_code="A").lines}
    duties, listed = lines["B1-2"], lines["B1-3"]
    # A has three members (DY03 in its group): two fulfilled a duty; its list has four items, two done
    assert "党员 3 名，期内履职 2 名（67%），目标 100%" in duties["reason"], duties["reason"]
    assert duties["points"] == pytest.approx(round(duties["max_points"] * 2 / 3, 2)) and len(duties["evidence"]["duty"]) == 3
    assert "责任清单 4 项，期内落实 2 项（50%）" in listed["reason"], listed["reason"]
    assert listed["points"] == pytest.approx(listed["max_points"] / 2) and len(listed["evidence"]["tick"]) == 3
    with engine.connect() as conn:
        b = {x["indicator_code"]: x for x in results.explain(conn, cycle=cycle, period="2026", org_code="B").lines}
    assert b["B1-3"]["reason"].startswith("本年度未建立责任清单") and b["B1-3"]["points"] == 0

    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with transaction(engine) as session, pytest.raises(Conflict):  # the year is published: no more records in it
        service.tick(session, sec, item_id=items[1].id, day=DAY, evidence="补记", today=TODAY)
    with transaction(engine) as session:  # the office takes an item off the list after publication
        service.remove_item(session, admin, item_id=items[3].id)
    assert verify.verify_period(engine, cycle=cycle, period_key="2026", registry=registry).identical
