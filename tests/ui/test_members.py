"""党员名册 in the browser: the administrators' tab (the sample's register, a member added and transferred, a
register file imported, a bad row refused naming it) and the branch's members in its workspace, personal data as
the secretary's view shows it; in Chromium, an administrator registers a member and her secretary finds her."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core.models import Member, MemberTransfer, Organization
from tests.ui.browser import needs_chromium


def _count(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organization.member_count).where(Organization.code == code)).scalars().one()


def _registered(engine, code: str) -> int:
    with Session(engine) as session:
        org = select(Organization.id).where(Organization.code == code).scalar_subquery()
        return session.execute(select(func.count()).where(Member.org_id == org, Member.active)).scalar_one()


def _frame(at, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_register_tab_lists_adds_and_transfers(app, ui_engine, sample_db):
    at = app("admin", "admin.py", tab="党员名册")
    assert not at.exception, at.exception
    register = _frame(at, "党员编号")
    assert len(register) == _registered(ui_engine, "ZB00001") + sum(
        _registered(ui_engine, f"ZB{n:05d}") for n in range(2, 13))
    assert register["联系电话"].str.match(r"^139\d{8}$").all()  # an administrator sees the phone in full
    at.text_input(key="mem_code").input("DY900001")
    at.text_input(key="mem_name").input("周晓燕")
    at.selectbox(key="mem_org").select("ZB00002")
    at.selectbox(key="mem_gender").select("female")
    at.date_input(key="mem_joined").set_value(date(2012, 7, 1))
    at.text_input(key="mem_phone").input("13911112222")
    before = _count(ui_engine, "ZB00002")
    at.button(key="mem_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已保存党员 DY900001。"
    assert _count(ui_engine, "ZB00002") == before + 1

    at.selectbox(key="mem_move_code").select("DY900001").run()
    at.selectbox(key="mem_move_to").select("ZB00003").run()
    at.text_input(key="mem_move_note").input("介绍信 2026-031").run()
    at.button(key="mem_transfer").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _count(ui_engine, "ZB00002") == before
    at.selectbox(key="mem_history_code").select("DY900001").run()
    moves = _frame(at, "转入")
    assert [m.split()[0] for m in moves["转入"]] == ["ZB00002", "ZB00003"]
    with Session(ui_engine) as session:
        assert len(session.exec(select(MemberTransfer).join(Member).where(Member.code == "DY900001")).all()) == 2


def test_a_register_file_is_imported_and_a_bad_row_named(app, ui_engine, sample_db):
    at = app("admin", "admin.py", tab="党员名册")
    bad = "党员编号,姓名,组织编码,入党日期,党员类别\nDY900010,吴明,ZB00004,2030-01-01,正式党员\n"
    at.file_uploader(key="mem_upload").set_value(("名册.csv", bad.encode(), "text/csv")).run()
    at.button(key="mem_import").click().run()
    assert not at.exception
    assert "1 处问题，文件未导入" in at.error[0].value
    errors = _frame(at, "文件")
    assert list(zip(errors["文件"], errors["行"], errors["字段"], strict=True)) == [("名册.csv", 2, "入党日期")]
    good = "党员编号,姓名,组织编码,入党日期,党员类别\nDY900010,吴明,ZB00004,2020-01-01,预备党员\n"
    at.file_uploader(key="mem_upload").set_value(("名册2.csv", good.encode(), "text/csv")).run()
    at.button(key="mem_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已导入党员名册。"
    with Session(ui_engine) as session:
        assert session.exec(select(Member.status).where(Member.code == "DY900010")).scalars().one() == "probationary"


def test_the_branch_sees_its_own_members_with_birth_years_only(app, ui_engine, sample_db):
    at = app("secretary", "workspace.py", tab="党员")
    assert not at.exception, at.exception
    own = _frame(at, "党员编号")
    assert len(own) == _registered(ui_engine, "ZB00001") > 0
    assert set(own["组织"].str.split().str[0]) == {"ZB00001"}
    assert own["出生"].str.fullmatch(r"\d{4}").all()  # the year, not the date
    assert any(c.value.startswith(f"在册党员 {len(own)} 名") for c in at.caption)


def test_the_branch_sees_its_members_grades_once_a_review_is_closed(app, ui_engine, sample_db, registry):
    from bastion.core import cycles, tenants
    from bastion.core.ballots import box, rounds
    from bastion.core.db import transaction

    with transaction(ui_engine) as session:
        cycle = cycles.resolve_cycle(session, session.get(tenants.Tenant, sample_db.tenant_id), 2026)
        found = rounds.open_round(session, actor="office", cycle=cycle, period="2026", registry=registry,
                                  kind="members")
    with transaction(ui_engine) as session:
        mine = [s for s in rounds.issue_codes(session, actor="office", round_id=found.id) if s.org_code == "ZB00001"]
    for slip in mine:
        with transaction(ui_engine) as session:
            paper = box.paper(session, slip.code, registry)
            box.cast(session, slip.code, {q.key: "合格" for q in paper.questions}, registry)
    with transaction(ui_engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id)
    at = app("secretary", "workspace.py", tab="党员")
    assert not at.exception
    graded = _frame(at, "等次")
    assert len(graded) == len(paper.questions) and set(graded["等次"]) <= {"合格", "—"}
    assert "合格" in set(graded["等次"])


def test_a_leader_never_reaches_the_register(ui_engine, login):
    import pytest

    from bastion.core import members
    from bastion.core.access import Forbidden

    with ui_engine.connect() as conn, pytest.raises(Forbidden):
        members.read_members(conn, login("leader"))


@needs_chromium
def test_an_administrator_registers_a_member_and_her_secretary_finds_her(person, ui_engine, sample_db):
    admin = person("admin-members")
    admin.log_in("admin", path="/admin", heading="系统管理")
    admin.tab("党员名册")
    admin.fill("党员编号", "DY900020")
    admin.fill("党员姓名", "郑丽华")
    admin.choose("所在党支部或党小组", "ZB00001")
    admin.fill("联系电话", "13922223333")
    admin.press("保存")
    admin.sees("已保存党员 DY900020。")
    admin.looks_right("member-saved")
    secretary = person("secretary-members")
    secretary.log_in("secretary", path="/workspace", heading="支部工作台")
    secretary.tab("党员")
    secretary.fill("按编号、姓名或岗位查找", "郑丽华")
    secretary.sees_cell("郑丽华")
    secretary.sees_cell("13922223333")
    secretary.looks_right("branch-members")
