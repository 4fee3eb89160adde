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
