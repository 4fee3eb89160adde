"""机构调整 on the administrators' page: a merge previewed (what it will do to the organisations and the periods,
nothing written), then confirmed (the tree, the lineage and the history list follow); a split, a rename; a refusal
that writes nothing; and, in Chromium, an administrator merging two branches."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bastion.core import restructuring
from bastion.core.models import Organization, Restructuring
from tests.ui.browser import needs_chromium

PAGE = "admin.py"


def _orgs(engine, tenant_id) -> dict[str, Organization]:
    with Session(engine) as session:
        return {o.code: o for o in session.exec(select(Organization).where(Organization.tenant_id == tenant_id))}


def _siblings(engine, tenant_id) -> tuple[str, str, str]:
    """Two branches under one general branch, and that general branch."""
    orgs = _orgs(engine, tenant_id)
    by_parent: dict[int, list[str]] = {}
    for code, org in sorted(orgs.items()):
        if org.level == "branch":
            by_parent.setdefault(org.parent_id, []).append(code)
    parent, codes = next((p, c) for p, c in by_parent.items() if len(c) >= 2)
    return codes[0], codes[1], next(code for code, org in orgs.items() if org.id == parent)


def _restructurings(engine) -> list[Restructuring]:
    with Session(engine) as session:
        return list(session.exec(select(Restructuring).order_by(Restructuring.id)))


def test_a_merge_is_previewed_then_confirmed_and_listed(app, ui_engine, sample_db):
    a, b, parent = _siblings(ui_engine, sample_db.tenant_id)
    at = app("admin", PAGE)
    assert not at.exception, at.exception
    assert at.segmented_control(key="rs_kind").value == "merge"
    at.multiselect(key="rs_merge_from").select(a).select(b).run()
    at.text_input(key="rs_merge_into").input("ZB09050").run()
    at.text_input(key="rs_merge_name").input("联合党支部").run()
    at.text_input(key="rs_note").input("党委〔2026〕12号").run()
    at.date_input(key="rs_day").set_value(date(2025, 12, 1)).run()  # inside the sample's published year
    at.button(key="rs_preview").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = at.info[0].value
    assert f"合并：{a} " in said and "ZB09050 联合党支部" in said
    assert f"{a}、{b} 不再单独评分" in said
    assert "生效日期在已审核或已发布的考核期 2025 内：这些考核期的结果保持发布时的样子" in said
    assert _restructurings(ui_engine) == [] and "ZB09050" not in _orgs(ui_engine, sample_db.tenant_id)

    at.button(key="rs_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("已完成机构调整：合并：")
    orgs = _orgs(ui_engine, sample_db.tenant_id)
    assert orgs["ZB09050"].active and orgs["ZB09050"].parent_id == orgs[parent].id
    assert not orgs[a].active and not orgs[b].active
    (done,) = _restructurings(ui_engine)
    assert (done.kind, done.effective_on, done.note, done.actor) == ("merge", date(2025, 12, 1), "党委〔2026〕12号",
                                                                     "admin")
    history = next(frame.value for frame in at.dataframe if "调整内容" in frame.value.columns)
    assert history["调整内容"].tolist() == [f"{a}、{b} → ZB09050"]
    tree = next(frame.value for frame in at.dataframe if "状态" in frame.value.columns)
    assert set(tree.loc[tree["编码"].isin([a, b]), "状态"]) == {"已停用"}
    assert a not in {option.split()[0] for option in at.selectbox(key="move_org").options}  # changed no more


def test_a_split_and_a_rename_then_a_refusal_that_writes_nothing(app, ui_engine, sample_db):
    a, _, _ = _siblings(ui_engine, sample_db.tenant_id)
    at = app("admin", PAGE)
    at.segmented_control(key="rs_kind").set_value("split").run()
    at.selectbox(key="rs_split_org").select(a).run()
    at.text_area(key="rs_split_into").input("ZB09061:一支部:12\nZB09062：二支部").run()
    at.selectbox(key="rs_split_heir").select("ZB09062").run()
    at.button(key="rs_preview").click().run()
    assert "ZB09062 承继" not in at.info[0].value and "计入 ZB09062" in at.info[0].value
    at.button(key="rs_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ui_engine.connect() as conn:
        orgs = _orgs(ui_engine, sample_db.tenant_id)
        assert restructuring.heirs(conn, sample_db.tenant_id) == {orgs[a].id: orgs["ZB09062"].id}
    assert orgs["ZB09061"].member_count == 12

    at.segmented_control(key="rs_kind").set_value("rename").run()
    at.selectbox(key="rs_rename_org").select("ZB09061").run()
    at.text_input(key="rs_rename_name").input("一车间党支部").run()
    at.button(key="rs_preview").click().run()
    at.button(key="rs_confirm").click().run()
    assert not at.error and _orgs(ui_engine, sample_db.tenant_id)["ZB09061"].name == "一车间党支部"

    at.segmented_control(key="rs_kind").set_value("dissolve").run()
    at.selectbox(key="rs_dissolve_org").select("ZZ01").run()
    at.button(key="rs_preview").click().run()
    assert "ZZ01 下仍有在用的组织" in at.error[0].value and not at.info
    assert len(_restructurings(ui_engine)) == 2 and _orgs(ui_engine, sample_db.tenant_id)["ZZ01"].active


def test_a_bad_line_of_a_split_is_said_and_the_section_speaks_english(app, ui_engine, sample_db):
    at = app("admin", PAGE, locale="en")
    assert not at.exception, at.exception
    at.segmented_control(key="rs_kind").set_value("split").run()
    at.text_area(key="rs_split_into").input("no colon here").run()
    assert "write CODE:NAME or CODE:NAME:MEMBERS" in at.error[0].value
    assert any(s.value == "Restructuring" for s in at.subheader)


def test_an_import_of_restructurings_from_the_page(app, ui_engine, sample_db):
    a, b, _ = _siblings(ui_engine, sample_db.tenant_id)
    at = app("admin", PAGE)
    at.radio(key="org_import_kind").set_value("restructure").run()
    text = ("调整类型,生效日期,原组织编码,新组织编码,新组织名称\n"
            f"合并,{date.today().isoformat()},{a}、{b},ZB09070,合并党支部\n")
    at.file_uploader(key="org_upload").set_value(("机构调整.csv", text.encode(), "text/csv")).run()
    at.button(key="org_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "已导入机构调整。"
    assert _orgs(ui_engine, sample_db.tenant_id)["ZB09070"].active


@needs_chromium
def test_an_administrator_merges_two_branches(person, ui_engine, sample_db):
    a, b, _ = _siblings(ui_engine, sample_db.tenant_id)
    me = person("admin-restructure")
    me.log_in("admin", path="/admin", heading="系统管理")
    me.page.get_by_text("机构调整", exact=True).first.scroll_into_view_if_needed()
    me.add("被合并的组织（两个或以上）", a)
    me.add("被合并的组织（两个或以上）", b)
    me.fill("合并后的组织编码（新编码，或其中之一）", "ZB09050")
    me.fill("新组织名称（新编码时填写）", "联合党支部")
    me.press("预览调整")
    me.sees("将要进行的调整")
    me.sees(f"{a}、{b} 不再单独评分")
    me.looks_right("merge-preview")
    assert _restructurings(ui_engine) == []
    me.press("确认调整")
    me.sees("已完成机构调整")
    me.sees_cell(f"{a}、{b} → ZB09050")
    me.looks_right("merge-done")
    orgs = _orgs(ui_engine, sample_db.tenant_id)
    assert orgs["ZB09050"].active and not orgs[a].active and not orgs[b].active


def test_the_successor_s_workspace_shows_its_predecessors_results(app, ui_engine, sample_db, login):
    from bastion.core import users
    from bastion.core.db import transaction
    from bastion.core.models import Tenant
    from bastion.demo import DEMO_PASSWORD

    a, b, _ = _siblings(ui_engine, sample_db.tenant_id)
    admin = login("admin")
    with transaction(ui_engine) as session:
        restructuring.merge(session, admin, codes=[a, b], into="ZB09050", name="联合党支部", effective_on=date.today())
        users.create_user(session, tenant=session.get(Tenant, sample_db.tenant_id), username="heir-secretary",
                          password=DEMO_PASSWORD, display_name="书记", grants=[("secretary", "ZB09050")], actor="test")
    at = app("heir-secretary", "workspace.py", tab="考核结果")
    assert not at.exception, at.exception
    periods = at.selectbox(key="ws_result_period")
    shown = list(periods.options)  # as the branch reads them: the period, and whose result it was
    assert any(a in label for label in shown) and any(b in label for label in shown)
    periods.select_index(0).run()
    assert not at.exception, at.exception
    assert any("前身组织" in caption.value for caption in at.caption)
