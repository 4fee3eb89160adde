"""Standings (星级, 分类定级、提档升级) on the pages: the leaders' dashboard shows how many branches hold each star and
the relapses flagged, and a branch's star beside its result; the branch workspace shows the branch's star and its
history. The sample enterprise runs the responsibility-system scheme (seed 002): its 2025 year graded at the year's
end, then in 2026's first quarter the branches that climbed neglect their work and fall to the bottom tier.

This module's ``sample_db`` replaces the shared one (``tests/ui/conftest.py``), so ``app``, ``base`` and ``person``
serve this sample.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bastion import demo
from bastion.core import cycles, db, scoring, standings
from bastion.core.models import Cycle, Organization
from bastion.core.registry import Registry
from bastion.core.stages.service import StageContext
from bastion.synthetic import generate_facts
from tests.ui.browser import needs_chromium
from tests.ui.conftest import SampleDb

YEAR = 2025


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> SampleDb:
    home = tmp_path_factory.mktemp("ui-standings")
    engine = db.make_engine(f"sqlite:///{home / 'bastion.db'}")
    db.upgrade(engine)
    sample = demo.build_sample(engine, registry=registry, branches=12, seed=7, year=YEAR,
                               scheme_id="responsibility-system")
    runner = demo.direct_runner(StageContext(engine, registry, home, "test"), sample.cycle)
    demo.run_year(engine, registry=registry, home=home, sample=sample, runner=runner)
    demo.open_next_year(sample, runner)
    people = demo.demo_users(engine, sample.tenant)
    with engine.connect() as conn:
        held = standings.current(conn, sample.tenant.id)
        orgs = scoring.read_branches(conn, sample.tenant.id)
        climbed = set(standings.period_steps(conn, sample.cycle.id, str(YEAR)).query("move == 'up'")["org_id"])
    assert len(held) == 12 and climbed
    # 2026: the branches that climbed slacken in the first quarter; the others keep at it.
    following = cycles.cycle_scheme(sample.cycle)
    with Session(engine) as session:
        cycle26 = session.exec(select(Cycle).where(Cycle.tenant_id == sample.tenant.id, Cycle.year == YEAR + 1)).one()
    orgs["diligence"] = [0.2 if org in climbed else 0.97 for org in orgs["org_id"]]
    generate_facts(engine, tenant_id=sample.tenant.id, scheme=following, branches=orgs, year=YEAR + 1, seed=11)
    scoring.score_period(engine, cycle=cycle26, period_key=f"{YEAR + 1}-Q1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle26, period_key=f"{YEAR + 1}-Q1", registry=registry, actor="test",
                           now=datetime(YEAR + 1, 4, 5, 1, tzinfo=UTC))
    engine.dispose()
    return SampleDb(home, sample.tenant.id, sample.cycle.id, people)


def relapsed(ui_engine, tenant_id: int):
    with ui_engine.connect() as conn:
        return standings.relapses(conn, tenant_id)


def test_the_dashboard_shows_the_stars_and_the_relapses_flagged(app, ui_engine, sample_db):
    flagged = relapsed(ui_engine, sample_db.tenant_id)
    assert len(flagged) >= 1
    at = app("leader", "dashboard.py")
    assert not at.exception and not at.error
    assert any(h.value == "星级（提档升级）" for h in at.subheader)
    tables = {tuple(t.value.columns): t.value for t in at.dataframe}
    relapses = next(v for cols, v in tables.items() if "原星级" in cols)
    assert set(relapses["编码"]) == set(flagged["code"])
    assert relapses["理由"].str.contains("出现反弹").all()
    ranking = next(v for cols, v in tables.items() if "排名" in cols and "星级" in cols)
    assert set(ranking["星级"]) <= {"五星", "四星", "三星", "二星", "一星"} and len(ranking) == 12


def test_the_dashboard_shows_a_branchs_star_beside_its_result(app, ui_engine, sample_db):
    flagged = relapsed(ui_engine, sample_db.tenant_id).iloc[0]
    code = flagged["code"]
    with Session(ui_engine) as session:
        branch = session.exec(select(Organization).where(Organization.code == code)).one()
    at = app("leader", "dashboard.py")
    at.selectbox(key="drill_0").set_value(branch.parent_id).run()  # its general branch, then the branch
    at.selectbox(key="drill_1").set_value(branch.id).run()
    assert not at.exception
    # 2026-Q1, the period shown: the star the relapse left
    assert next(m for m in at.metric if m.label == "星级").value == flagged["standing"]
    # the 2025 year: the star the grading gave, and the star now beside it, with why
    at.sidebar.selectbox(key="cycle_year").set_value(2025).run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "星级").value == flagged["previous"]
    assert any(c.value == f"当前星级：{flagged['standing']}（{flagged['reason']}）" for c in at.caption)


def test_the_workspace_shows_the_branchs_star_and_its_history(app):
    at = app("secretary", "workspace.py", tab="星级")
    assert not at.exception
    assert len(at.tabs) == 8 and at.tabs[5].label == "星级" and at.tabs[6].label == "党员"
    now = next(m for m in at.metric if m.label == "当前星级")
    assert now.value in {"五星", "四星", "三星", "二星", "一星"}
    history = next(t.value for t in at.dataframe if "来由" in t.value.columns)
    assert list(history["来由"])[-2:] == ["定级", "起始定级"]  # the latest first: graded at 2025, from 三星
    assert history["日期"].iloc[-1] == "2026-01-15" and history["考核期"].iloc[-1] == "2025年度"


@needs_chromium
def test_a_secretary_reads_their_star_and_a_leader_the_relapse_in_the_browser(person, ui_engine, sample_db):
    flagged = relapsed(ui_engine, sample_db.tenant_id).iloc[0]
    secretary = person("standings-secretary")
    secretary.log_in("secretary", path="/workspace", heading="支部工作台")
    secretary.tab("星级")
    secretary.sees("当前星级")
    secretary.sees_cell("起始定级")
    secretary.sees_cell("首次定级：按方案，起始星级为三星")
    secretary.looks_right("star-and-history")

    leader = person("standings-leader")
    leader.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    leader.sees("星级（提档升级）")
    leader.sees("反弹预警")
    leader.sees_cell(flagged["name"])
    leader.sees_cell("出现反弹")
    leader.looks_right("relapse-flagged")
