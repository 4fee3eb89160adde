"""The dashboard of a scheme that assesses its 党总支 (study-education, seed 000: 一级考一级): a leader switches the
ranking to the general branches and reads theirs, ranked among themselves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bastion import demo
from bastion.core import db, sessions
from bastion.core.registry import Registry
from bastion.core.stages.service import StageContext
from bastion.ui import context
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, Person, needs_chromium, screenshots, served
from tests.ui.conftest import APP


@pytest.fixture(scope="module")
def levels_home(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    home = tmp_path_factory.mktemp("ui-levels")
    engine = db.make_engine(f"sqlite:///{home / 'bastion.db'}")
    db.upgrade(engine)
    sample = demo.build_sample(engine, registry=registry, branches=12, seed=7, year=2025, scheme_id="study-education")
    demo.run_year(engine, registry=registry, home=home, sample=sample,
                  runner=demo.direct_runner(StageContext(engine, registry, home, "test"), sample.cycle))
    demo.demo_users(engine, sample.tenant)
    engine.dispose()
    return home


@pytest.fixture
def leader_app(levels_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    home = tmp_path / "home"
    shutil.copytree(levels_home, home)
    monkeypatch.setenv("BASTION_HOME", str(home))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = db.make_engine(f"sqlite:///{home / 'bastion.db'}")
    token, _ = sessions.login(engine, username="leader", password=demo.DEMO_PASSWORD, locale="zh")
    engine.dispose()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["locale"] = "zh"
    at.session_state[context.TOKEN] = token
    at.run()
    at.switch_page("views/dashboard.py").run()
    yield at
    st.cache_resource.clear()


def test_a_leader_switches_the_ranking_to_the_general_branches(leader_app):
    at = leader_app
    assert not at.exception
    level = at.segmented_control(key="ranking_level")
    assert level.value == "branch" and list(level.options) == ["党支部", "党总支"]
    branches = at.dataframe[0].value
    assert branches["编码"].str.startswith("ZB").all() and len(branches) == 12
    level.set_value("general_branch").run()
    assert not at.exception
    general = at.dataframe[0].value
    assert general["编码"].str.startswith("ZZ").all() and sorted(general["排名"]) == list(range(1, len(general) + 1))
    assert "得分率（%）" in general.columns


def test_a_quarter_the_scheme_does_not_grade_shows_ranks_and_tiers_and_says_so(leader_app):
    """study-education grades at the half-year check and the year (Scheme.graded): its quarterly bulletin ranks
    and tiers, and the dashboard says the quarter is not graded instead of charting an empty distribution."""
    at = leader_app
    at.sidebar.selectbox(key="period").set_value("2025-Q1").run()
    assert not at.exception
    ranking = at.dataframe[0].value
    assert set(ranking["等次"]) == {"不定等次"} and sorted(ranking["排名"]) == list(range(1, 13))
    assert any("本期排名、分档，不评定等次" in info.value for info in at.info)
    advanced = next(m for m in at.metric if m.label == "可评先进")
    assert advanced.value == "—" and advanced.help == "本期不评定等次，不评先进"  # not a 0 that reads as a verdict
    at.sidebar.selectbox(key="period").set_value("2025-H1").run()
    assert not at.exception and "不定等次" not in set(at.dataframe[0].value["等次"])
    assert not any("不评定等次" in info.value for info in at.info)
    assert next(m for m in at.metric if m.label == "可评先进").value.isdigit()


@needs_chromium
def test_a_leader_reads_the_general_branches_ranking_and_an_ungraded_quarter_in_the_browser(levels_home, tmp_path):
    """The same, as a leader does it in Chromium: the 层级 switch to 党总支, then the first quarter, which
    study-education ranks and tiers without grading; every step without an error, a raw missing value or English."""
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"
    shutil.copytree(levels_home, home)
    with served(home) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        me = Person(browser, base, screenshots(tmp_path), "levels-leader")
        try:
            me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
            me.sees("参评党支部")
            me.looks_right("branches")
            me.page.locator("[data-testid='stButtonGroup']").get_by_text("党总支", exact=True).click()
            me.settled()
            me.sees_cell("ZZ01")
            me.looks_right("general-branches")
            me.choose("考核期", "2025年第1季度")
            me.sees("本期排名、分档，不评定等次。")
            me.sees_cell("不定等次")
            me.looks_right("ungraded-quarter")
        finally:
            me.close()
            browser.close()
