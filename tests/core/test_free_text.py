"""Free text typed into a form (a review, a notice and its answer, a re-verification note, a correction's reason) is
checked by the one rule for text (``values.text_problem``): a control character is refused naming the field, and
nothing is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bastion.core import i18n, reviews, values
from bastion.core.db import transaction
from bastion.core.engine import Period
from bastion.core.errors import BastionError
from bastion.core.models import AuditEvent, Rectification, ReviewComment
from bastion.core.rectification import service as rectification_service
from tests import factories
from tests.core import people


def test_text_problems_name_each_field_with_a_control_character():
    found = values.text_problems(("a", ("甲", "a"), "正常"), ("b", ("乙", "b"), "坏\x00字"), ("c", ("丙", "c"), None))
    assert [(p.key, str(p)) for p in found] == [("b", "乙：含有控制字符 U+0000（第 2 个字符），请删除后重新输入")]
    with i18n.using("en"):
        assert str(values.text_problems(("b", ("乙", "note"), "\x1b[31m"))[0]).startswith("note: contains the control")
    assert values.text_problems(("n", ("备注", "note"), "两行\n文字\t可以")) == []


@pytest.mark.parametrize("field", ["achievements", "problems", "direction"])
def test_a_review_with_a_control_character_is_refused_naming_the_field(engine, tenant, cycle, field):
    factories.org_tree(engine, tenant, {"A": "机关"})
    leader = people.person(engine, tenant, "leader", ("leader", "DW"))
    texts = {"achievements": "组织有力", "problems": "台账不全", "direction": "抓好落实"}
    texts[field] += "\x07"
    name = {"achievements": "成绩", "problems": "问题", "direction": "方向"}[field]
    with transaction(engine) as session, pytest.raises(BastionError, match=f"^{name}：含有控制字符 U\\+0007"):
        reviews.add_review(session, leader, cycle=cycle, org_code="A", period=Period.parse("2026"), **texts)
    with Session(engine) as session:
        assert session.exec(select(ReviewComment)).all() == []


def test_a_notice_its_answer_and_its_reverification_refuse_control_characters(engine, registry, tenant, cycle,
                                                                              tmp_path):
    ids = factories.org_tree(engine, tenant, {"A": "机关"})
    number = factories.issued_notice(engine, registry, tenant, cycle, ids["A"], tmp_path)
    with transaction(engine) as session, pytest.raises(BastionError, match="^整改情况：含有控制字符 U\\+0000"):
        rectification_service.respond(session, tenant_id=tenant.id, notice_no=number, response="已补齐\x00",
                                      actor="A书记")
    with transaction(engine) as session:
        rectification_service.respond(session, tenant_id=tenant.id, notice_no=number, response="已补齐记录",
                                      actor="A书记")
    with transaction(engine) as session, pytest.raises(BastionError, match="^复验意见：含有控制字符 U\\+001B"):
        rectification_service.verify(session, tenant_id=tenant.id, notice_no=number, passed=False,
                                     note="仍缺\x1b", verifier="督查组", new_deadline=date.today() + timedelta(days=9))
    with Session(engine) as session:
        notice = session.exec(select(Rectification)).one()
        assert (notice.status, notice.response) == ("responded", "已补齐记录")
        assert session.exec(select(AuditEvent.action).where(AuditEvent.entity == "rectification")).all() == \
            ["issue", "respond"]


def test_a_user_named_with_a_control_character_is_refused(engine, tenant):
    from bastion.core import users
    from bastion.core.models import User

    for username, display_name, field in (("zhang\x00", "张三", "用户名"), ("zhang", "张\x1b三", "姓名")):
        with transaction(engine) as session, pytest.raises(BastionError, match=f"^{field}：含有控制字符"):
            users.create_user(session, tenant=tenant, username=username, password="a long password",
                              display_name=display_name, actor="admin")
    with Session(engine) as session:
        assert session.exec(select(User)).all() == []
