"""The leaders' and the office's judgements in the app (AppTest): a leader reviews a branch on the dashboard and
the branch reads it; a leader confirms the year under review, shown first what confirming does; a secretary
appeals a line and the office decides it; the office corrects a point, old → new shown before the click."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bastion.core import appeals, lifecycle, scoring
from bastion.core.models import AuditEvent, Cycle, Incentive, Organization, ReviewComment, StageRun
from bastion.core.results import explain

DASHBOARD, WORKSPACE, ADMIN = "dashboard.py", "workspace.py", "admin.py"


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_a_leader_reviews_a_branch_and_its_secretary_reads_it(app, ui_engine):
    with Session(ui_engine) as session:
        branch = session.exec(select(Organization).where(Organization.code == "ZB00001")).one()
    at = app("leader", DASHBOARD)
    at.selectbox(key="drill_0").set_value(branch.parent_id).run()
    at.selectbox(key="drill_1").set_value(branch.id).run()
    assert not at.exception
    at.text_area(key="review_achievements").input("三会一课坚持得好")  # a form's values go with its button
    at.text_area(key="review_problems").input("台账不够规范")
    button(at, "提交点评").click().run()
    assert not at.exception and not at.error
    assert any("已记录对" in s.value for s in at.success)
    assert any("三会一课坚持得好" in m.value for m in at.markdown)
    with Session(ui_engine) as session:
        (review,) = session.exec(select(ReviewComment)).all()
    assert review.reviewer == "党委书记" and review.problems == "台账不够规范" and review.direction == ""

    at = app("secretary", WORKSPACE, tab="考核结果")
    at.sidebar.selectbox(key="cycle_year").set_value(2025).run()
    assert not at.exception
    assert any("三会一课坚持得好" in m.value for m in at.markdown) and any("党委书记" in m.value for m in at.markdown)


def test_a_leader_sees_what_confirming_does_then_confirms(app, ui_engine, year_in_review):
    at = app("leader", DASHBOARD)
    assert not at.exception and not at.error
    assert at.subheader[0].value.startswith("领导审核")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["发布考核结果"]) == 12
    shown = int(metrics["奖惩事项"])
    confirm = button(at, "确认并发布")
    assert confirm.disabled
    at.checkbox(key="confirm_checked").check().run()
    button(at, "确认并发布").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已确认并发布" in s.value for s in at.success)
    with Session(ui_engine) as session:
        assert session.exec(select(func.count()).select_from(Incentive)
                            .where(Incentive.cycle_id == year_in_review.id)).one() == shown
        run = session.exec(select(StageRun).order_by(StageRun.id.desc())).first()  # the annual stage's, finished
        confirmed = session.exec(select(AuditEvent).where(AuditEvent.action == "confirm")
                                 .order_by(AuditEvent.id.desc())).first()
    with ui_engine.connect() as conn:
        assert lifecycle.state(conn, year_in_review.id, "2026") == lifecycle.PUBLISHED
    assert (run.stage, run.status) == ("annual", "succeeded")
    assert (confirmed.actor, confirmed.new) == ("leader", {"period": "2026"})  # in the leader's name
    assert not any(s.value.startswith("领导审核") for s in at.subheader)


@pytest.fixture
def published_today(ui_engine, registry):
    """2026-Q1 scored and published now: its appeal window is open."""
    with Session(ui_engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.year == 2026)).one()
    for act in (scoring.score_period, scoring.publish_period):
        act(ui_engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    return cycle


def test_a_secretary_appeals_and_the_office_accepts(app, ui_engine, published_today):
    at = app("secretary", WORKSPACE, tab="考核结果")
    assert not at.exception
    codes = at.selectbox(key="appeal_indicator").options
    with ui_engine.connect() as conn:
        lines = {r["indicator_code"]: r for r in explain(conn, cycle=published_today, period="2026-Q1",
                                                          org_code="ZB00001").lines}
    chosen = next(c for c in lines if any(o.startswith(c + " ") for o in codes)
                  and lines[c]["points"] < lines[c]["max_points"])
    at.selectbox(key="appeal_indicator").set_value(chosen)  # a form's values go with its button
    at.text_area(key="appeal_reason").input("会议记录已补交")
    button(at, "提交申诉").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已提交第 1 号申诉" in s.value for s in at.success)

    at = app("admin", ADMIN, tab="申诉与更正")
    assert not at.exception
    at.number_input(key="appeal_1_points").set_value(lines[chosen]["max_points"]).run()
    assert any(f"{chosen}：{lines[chosen]['points']:g} → {lines[chosen]['max_points']:g} 分" in m.value
               for m in at.markdown)
    at.text_area(key="appeal_1_reason").input("经核实，会议记录齐全").run()
    button(at, "办理").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("第 1 号申诉成立" in s.value for s in at.success)
    with ui_engine.connect() as conn:
        line = next(r for r in explain(conn, cycle=published_today, period="2026-Q1", org_code="ZB00001").lines
                    if r["indicator_code"] == chosen)
        (appeal,) = appeals.read_appeals(conn, _admin(ui_engine)).itertuples()
    assert line["points"] == lines[chosen]["max_points"] and appeal.status == "accepted"


def test_the_office_corrects_a_point_seeing_old_and_new(app, ui_engine, published_today):
    at = app("admin", ADMIN, tab="申诉与更正")
    cycles = at.selectbox(key="office_cycle")
    cycles.select_index(next(n for n, o in enumerate(cycles.options) if o.startswith("2026年度"))).run()
    at.selectbox(key="fix_period").set_value("2026-Q1").run()
    at.selectbox(key="fix_org").set_value("ZB00002").run()
    indicator = at.selectbox(key="fix_indicator").value
    with ui_engine.connect() as conn:
        line = next(r for r in explain(conn, cycle=published_today, period="2026-Q1", org_code="ZB00002").lines
                    if r["indicator_code"] == indicator)
    new = 0.0 if line["points"] > 0 else line["max_points"]
    at.number_input(key=f"fix_points_2026-Q1_ZB00002_{indicator}").set_value(new).run()
    assert any(f"ZB00002 {indicator}：{line['points']:g} → {new:g} 分" in m.value for m in at.markdown)
    at.text_area(key="fix_reason").input("督查记录有误").run()
    button(at, "更正").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("已更正：ZB00002") for s in at.success)
    corrections = next(d for d in at.dataframe if "原得分 → 更正后" in d.value.columns).value
    assert corrections.iloc[0]["原得分 → 更正后"] == f"{line['points']:g} → {new:g}"


def _admin(engine):
    from bastion.core import users

    with Session(engine) as session:
        user = users.find_user(session, _tenant(engine), "admin")
        return users.principal_of(session, user)


def _tenant(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(Cycle.tenant_id)).first()
