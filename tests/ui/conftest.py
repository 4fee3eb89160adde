"""The UI's tests: one sample enterprise built once per session, copied for each test.

The sample is the demo's (a committee, 4 general branches, 12 branches), its 2025 year run stage by
stage in-process (``core.stages``, as ``bastion run`` does: no Prefect here), the 2026 cycle opened,
and one user per role (password :data:`bastion.demo.DEMO_PASSWORD`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import bastion.ui
from bastion import demo
from bastion.core import db, sessions, users
from bastion.core.access import Principal
from bastion.core.registry import Registry
from bastion.core.stages.service import StageContext
from bastion.ui import context

APP = Path(bastion.ui.__file__).parent / "app.py"
YEAR = 2025


@dataclass(frozen=True)
class SampleDb:
    home: Path
    tenant_id: int
    cycle_id: int
    people: list[demo.DemoUser]


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> SampleDb:
    home = tmp_path_factory.mktemp("ui-sample")
    engine = db.make_engine(f"sqlite:///{home / 'bastion.db'}")
    db.upgrade(engine)
    sample = demo.build_sample(engine, registry=registry, branches=12, seed=7, year=YEAR)
    ctx = StageContext(engine, registry, home, "test")
    runner = demo.direct_runner(ctx, sample.cycle)
    demo.run_year(engine, registry=registry, home=home, sample=sample, runner=runner)
    demo.open_next_year(sample, runner)
    people = demo.demo_users(engine, sample.tenant)
    engine.dispose()
    return SampleDb(home, sample.tenant.id, sample.cycle.id, people)


@pytest.fixture
def ui_home(sample_db: SampleDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the sample for one test, configured as the app's database."""
    home = tmp_path / "home"
    shutil.copytree(sample_db.home, home)
    monkeypatch.setenv("BASTION_HOME", str(home))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield home
    st.cache_resource.clear()


@pytest.fixture
def ui_engine(ui_home: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{ui_home / 'bastion.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def login(ui_engine: Engine, sample_db: SampleDb) -> Callable[[str], Principal]:
    """The principal of a sample user, as a login would give it (read only: a test may call it inside a write
    transaction, where a login's own writes — its audit row, the failed-login count — would wait for that one)."""

    def principal(username: str) -> Principal:
        with Session(ui_engine) as session:
            return users.principal_of(session, users.find_user(session, sample_db.tenant_id, username))

    return principal


@pytest.fixture
def session_token(ui_engine: Engine) -> Callable[[str], str]:
    """A live login session of a sample user, as the login page would open it."""

    def open_session(username: str, locale: str = "zh") -> str:
        token, _ = sessions.login(ui_engine, username=username, password=demo.DEMO_PASSWORD, locale=locale)
        return token

    return open_session


#: The tabs of a page (only the tab in view runs: ``tab.open``), by the key of their ``st.tabs``.
TABS = ("admin_tabs", "ws_tabs", "inspection_tabs")


def show_tab(at: AppTest, label: str) -> AppTest:
    """Open the page's tab labelled ``label``, as a click on it does, and run the page."""
    (key,) = [k for k in TABS if k in at.session_state]
    at.session_state[key] = label
    return at.run()


@pytest.fixture
def app(session_token: Callable[..., str]) -> Callable[..., AppTest]:
    """The app logged in as ``username`` (a real session: AppTest cannot send the cookie, so the run is
    handed its token), on ``page`` (a file under ui/views), run once — on its tab ``tab`` if given."""

    def run(username: str | None, page: str | None = None, *, locale: str = "zh", tab: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["locale"] = locale
        if username is not None:
            at.session_state[context.TOKEN] = session_token(username, locale)
        at.run()
        if page is not None:
            at.switch_page(f"views/{page}").run()
        if tab is not None:
            show_tab(at, tab)
        return at

    return run


# --- the browser (Debian's Chromium, driven by Playwright) ------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (``tests.ui.browser``: never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def base(ui_home: Path) -> Iterator[str]:
    """``bastion ui``'s server over the sample's home, on a free port: its address."""
    from tests.ui.browser import served

    with served(ui_home) as url:
        yield url


@pytest.fixture
def person(browser, base, tmp_path):
    """Open a person's browser tab on the served app (``tests.ui.browser.Person``); closed after the test."""
    from tests.ui.browser import Person, screenshots

    opened = []

    def open_tab(name: str, **kw):
        opened.append(Person(browser, base, screenshots(tmp_path), name, **kw))
        return opened[-1]

    yield open_tab
    for p in opened:
        p.close()


@pytest.fixture
def year_in_review(ui_engine: Engine, registry: Registry, ui_home: Path):
    """The sample's 2026 year scored by its annual stage, awaiting the leaders' review (领导审核); its cycle."""
    from datetime import date

    from bastion.core.models import Cycle
    from bastion.core.stages.service import run_stage
    from sqlmodel import select

    with Session(ui_engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.year == YEAR + 1)).one()
    run = run_stage(StageContext(ui_engine, registry, ui_home, "test"), cycle, "annual", period=str(YEAR + 1),
                    on=date(YEAR + 1, 12, 31))
    assert run.status == "awaiting_review", run
    return cycle
