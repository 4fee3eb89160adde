"""The administration page (系统管理): an administrator imports a bad organisations file (row errors, nothing
written) and a good one, moves and edits an organisation, creates a user and grants a role; a subtree
administrator sees only their part."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bastion.core import admin, organizations, users
from bastion.core.db import transaction
from bastion.core.models import AuditEvent, Organization, Tenant
from bastion.demo import DEMO_PASSWORD
from tests.ui.conftest import show_tab

PAGE = "admin.py"
HEADER = "组织编码 code,组织名称 name,上级组织编码 parent_code,层级 level,党员人数 member_count\n"
BAD = HEADER + "ZB09001,新建第一支部,ZZ01,党支部,many\nZB09002,新建第二支部,NOPE,党支部,5\n"
GOOD = HEADER + "ZB09001,新建第一支部,ZZ01,党支部,15\n"


def _orgs(engine, tenant_id) -> dict[str, Organization]:
    with Session(engine) as session:
        return {o.code: o for o in session.exec(select(Organization).where(Organization.tenant_id == tenant_id))}


def _upload(at, name: str, text: str):
    at.file_uploader(key="org_upload").set_value((name, text.encode(), "text/csv"))
    at.run()
    at.button(key="org_import").click().run()
    return at


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_page_renders_for_an_admin(app, locale):
    at = app("admin", PAGE, locale=locale)
    assert not at.exception, at.exception
    assert at.title[0].value == ("系统管理" if locale == "zh" else "Administration")
    labels = [t.label for t in at.tabs]
    assert len(labels) == 9 and not at.error  # the audit trail is a page of its own (audit.py)
    assert labels[-1] == ("通知" if locale == "zh" else "Notifications")
    tables = 0
    for label in labels:  # only the tab in view runs: each in turn
        show_tab(at, label)
        assert not at.exception and not at.error, (label, at.exception, at.error)
        tables += len(at.dataframe)
    assert tables >= 8  # tree, users, quorum, plugins, cycles, calendar, runs, channels


def test_a_bad_file_shows_its_row_errors_and_writes_nothing_then_a_good_one_imports(app, ui_engine, sample_db):
    before = _orgs(ui_engine, sample_db.tenant_id)
    at = _upload(app("admin", PAGE), "新组织.csv", BAD)
    assert not at.exception
    assert "2 处问题，文件未导入" in at.error[0].value
    errors = next(frame.value for frame in at.dataframe if "文件" in frame.value.columns)
    assert list(zip(errors["文件"], errors["行"], errors["字段"], strict=True)) == \
        [("新组织.csv", 2, "党员人数"), ("新组织.csv", 3, "上级组织编码")]
    assert _orgs(ui_engine, sample_db.tenant_id).keys() == before.keys()

    at = _upload(at, "新组织.csv", GOOD)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已导入组织机构。"
    created = _orgs(ui_engine, sample_db.tenant_id)["ZB09001"]
    assert (created.name, created.member_count, created.parent_id) == \
        ("新建第一支部", 15, before["ZZ01"].id)


def test_the_same_file_again_is_refused_naming_the_first_import_unless_asked_for(app, ui_engine, sample_db):
    at = _upload(app("admin", PAGE), "新组织.csv", GOOD)
    assert at.success[0].value == "已导入组织机构。"
    at = _upload(at, "又一份.csv", GOOD)
    assert not at.exception and not at.success
    refused = at.error[0].value
    assert refused.startswith("未保存：又一份.csv：内容相同的文件已于") and "由 admin 导入（新组织.csv，1 行）" in refused
    assert "再次导入同一文件" in refused
    at.checkbox(key="org_again").check()
    at = _upload(at, "又一份.csv", GOOD)
    assert not at.error and at.success[0].value == "已导入组织机构。"
    with Session(ui_engine) as session:
        imports = session.exec(select(AuditEvent).where(AuditEvent.tenant_id == sample_db.tenant_id,
                                                        AuditEvent.action == "import",
                                                        AuditEvent.entity == "organizations")).all()
    assert [(e.new["file"], e.new["again"]) for e in imports][-2:] == [("新组织.csv", False), ("又一份.csv", True)]


def test_an_admin_moves_and_edits_an_organisation(app, ui_engine, sample_db):
    before = _orgs(ui_engine, sample_db.tenant_id)
    assert before["ZB00001"].parent_id != before["ZZ01"].id
    at = app("admin", PAGE)
    at.selectbox(key="move_org").select("ZB00001").run()
    at.selectbox(key="move_parent").select("ZZ01").run()
    at.button(key="move_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _orgs(ui_engine, sample_db.tenant_id)["ZB00001"].parent_id == before["ZZ01"].id

    at.selectbox(key="move_org").select("ZZ01").run()
    at.selectbox(key="move_parent").select("ZB00001").run()
    at.button(key="move_submit").click().run()
    assert "上级关系将形成循环" in at.error[0].value
    assert _orgs(ui_engine, sample_db.tenant_id)["ZZ01"].parent_id == before["DW"].id

    at.selectbox(key="edit_org").select("ZB00001").run()
    at.text_input(key="edit_secretary_ZB00001").input("新书记")
    assert at.number_input(key="edit_members_ZB00001").disabled  # the register counts its members
    at.number_input(key="edit_staff_ZB00001").set_value(420)
    at.button(key="edit_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    edited = _orgs(ui_engine, sample_db.tenant_id)["ZB00001"]
    assert (edited.secretary, edited.staff_count, edited.member_count) == ("新书记", 420, before["ZB00001"].member_count)
    with Session(ui_engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "organization",
                                                               AuditEvent.actor == "admin")).all()
    assert actions == ["move", "update"]


def test_an_admin_creates_a_user_and_grants_a_role(app, ui_engine, login, sample_db):
    at = app("admin", PAGE, tab="用户与角色")
    at.text_input(key="user_username").input("zz01-inspector")
    at.text_input(key="user_display_name").input("第一督查组")
    at.text_input(key="user_password").input("A-good-password")
    at.selectbox(key="user_role").select("inspector")
    at.selectbox(key="user_org").select("ZZ01")
    at.button(key="user_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    at.selectbox(key="manage_user").select("zz01-inspector").run()
    at.selectbox(key="grant_role").select("secretary")
    at.selectbox(key="grant_org").select("ZB00004")
    at.button(key="grant_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(ui_engine) as session:
        who = users.authenticate(session, "zz01-inspector", "A-good-password")
    orgs = _orgs(ui_engine, sample_db.tenant_id)
    assert set(who.grants) == {("inspector", orgs["ZZ01"].id), ("secretary", orgs["ZB00004"].id)}


def test_a_refused_user_shows_why_and_writes_nothing(app, ui_engine, login):
    at = app("admin", PAGE, tab="用户与角色")
    at.text_input(key="user_username").input("shorty")
    at.text_input(key="user_password").input("short")
    at.button(key="user_submit").click().run()
    assert "密码：至少 8 个字符" in at.error[0].value
    at.text_input(key="user_password").input("longbutweak")  # long enough, one kind of character
    at.button(key="user_submit").click().run()
    assert "且包含大写字母、小写字母、数字、符号中的至少 3 种" in at.error[0].value
    with ui_engine.connect() as conn:
        assert "shorty" not in set(admin.read_users(conn, login("admin"))["username"])


def test_a_subtree_admin_sees_only_their_part_and_not_the_tenant_wide_tabs(app, ui_engine, login, sample_db):
    with transaction(ui_engine) as session:
        tenant = session.get(Tenant, sample_db.tenant_id)
        users.create_user(session, tenant=tenant, username="zz01-admin", password=DEMO_PASSWORD, display_name="一总支",
                          grants=[("admin", "ZZ01")], actor="test")
    at = app("zz01-admin", PAGE)
    assert not at.exception, at.exception
    with ui_engine.connect() as conn:
        tree = organizations.read_tree(conn, login("zz01-admin"))
    shown = {option.split()[0] for option in at.selectbox(key="move_org").options}
    assert shown == set(tree["code"]) and "ZZ01" in shown and not shown & {"DW", "ZZ02", "ZZ03", "ZZ04"}
    show_tab(at, "用户与角色")
    assert set(at.selectbox(key="manage_user").options) == {"zz01-admin"}
    audit = app("zz01-admin", "audit.py")  # the audit trail is the whole tenant's: not theirs to read
    assert not audit.exception and not audit.dataframe
    assert any("审计日志需要全单位的审计管理员或管理员查看" in info.value for info in audit.info)


def test_an_admin_opens_a_round_issues_its_codes_keys_in_a_paper_ballot_and_closes_it(app, ui_engine, sample_db):
    from io import BytesIO

    from openpyxl import load_workbook

    from bastion.core.models import CastBallot, Rating
    from bastion.ui.ballots import SLIPS

    at = app("admin", PAGE, tab="民主测评")
    at.selectbox(key="round_cycle").select_index(0).run()  # the open 2026 cycle
    at.selectbox(key="round_period").select("2026").run()
    at.button(key="round_open").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="round_issue").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sheet = load_workbook(BytesIO(at.session_state[SLIPS]["xlsx"])).active
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert rows and all(len(code) == 14 for *_, code, _ in rows)
    assert {d.label for d in at.get("download_button")} >= {"下载测评码（PDF，可打印裁切）", "下载测评码清单（Excel）"}
    org, _, source, code, _ = next(r for r in rows if r[2] == "党员群众测评")
    at.text_input(key="round_paper_code").input(code).run()
    for n, number in enumerate(x for x in at.number_input if str(x.key).startswith("round_paper_q")):
        number.set_value(85.0 + n)
    for radio in (x for x in at.radio if str(x.key).startswith("round_paper_q")):
        radio.set_value(radio.options[0])
    at.button(key="FormSubmitter:round_paper-投票").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(ui_engine) as session:
        (ballot,) = session.exec(select(CastBallot)).all()
    assert ballot.answers[""] == 85.0
    at.checkbox(key="round_close_sure").check().run()
    at.button(key="round_close").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(ui_engine) as session:
        counted = session.exec(select(Rating).where(Rating.ballot_id == ballot.id)).all()
    assert counted and {r.rater for r in counted} == {""}


def test_an_admin_tries_a_scheme_file_on_last_year_and_adopts_it(app, ui_engine, sample_db):
    from bastion.core import scheme_files
    from bastion.core.cycles import cycle_scheme
    from bastion.core.models import Cycle, TenantScheme
    from bastion.core.scheme import Scheme

    with Session(ui_engine) as session:
        scheme = cycle_scheme(session.get(Cycle, sample_db.cycle_id))
    data = scheme.model_dump(mode="json")
    first, second = (max(data["blocks"][n]["indicators"], key=lambda i: i["points"]) for n in (0, 1))
    moved = first["points"] / 2
    first["points"], second["points"] = first["points"] - moved, second["points"] + moved
    draft = Scheme.model_validate(data | {"version": "2027.1"})
    at = app("admin", PAGE, tab="方案试算")
    at.selectbox(key="whatif_cycle").select_index(  # the sample's published year
        [o.split()[0] for o in at.selectbox(key="whatif_cycle").options].index("2025")).run()
    at.file_uploader(key="whatif_file").set_value(("2027.yaml", scheme_files.dump(draft).encode(), "text/yaml")).run()
    at.button(key="whatif_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("按 target-table 2027.1 试算" in s.value for s in at.success)
    table = next(f.value for f in at.dataframe if "试算总分" in f.value.columns)
    assert len(table) == 12 and (table["原总分"] != table["试算总分"]).any()
    at.button(key="whatif_adopt").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(ui_engine) as session:
        (adopted,) = session.exec(select(TenantScheme)).all()
    assert (adopted.scheme_id, adopted.version, adopted.source) == ("target-table", "2027.1", "2027.yaml")


def test_the_office_makes_every_branch_s_archive_of_a_year_as_one_zip(app):
    import io
    import zipfile

    at = app("admin", PAGE, tab="考核年度与日程")
    at.sidebar.selectbox(key="cycle_year").set_value(2025).run()
    next(b for b in at.button if b.key == "admin_archives_make").click().run()
    assert not at.exception and not at.error
    assert any(b.label == "下载全部党支部考核档案（.zip）" for b in at.get("download_button"))
    _, data = at.session_state["admin_archives"]
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        names = bundle.namelist()
    assert len(names) == 12 and all(n.endswith("2025考核档案.docx") for n in names)
