"""The app in a real browser: Debian's Chromium, headless, driven by Playwright (never its own browser).

Logs in as the sample's leader and loads the dashboard; the screenshot is kept in
``$BASTION_SCREENSHOT_DIR`` (default: the test's temporary folder) to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bastion.demo import DEMO_PASSWORD
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, served

pytestmark = needs_chromium


@pytest.fixture
def server(ui_home: Path):
    with served(ui_home) as url:
        yield url


def test_a_leader_logs_in_and_sees_the_dashboard_in_chinese_with_charts(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("BASTION_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, locale="zh-CN")
        try:
            page.goto(server, wait_until="domcontentloaded")
            page.get_by_label("用户名").fill("leader")
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="领导驾驶舱")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("参评党支部")).to_be_visible(timeout=30_000)
            charts = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
            expect(charts.first).to_be_visible(timeout=60_000)
            page.mouse.move(0, 0)  # no hover toolbar over the figures
            page.wait_for_timeout(1500)  # let the charts finish drawing before the picture
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "dashboard.png").stat().st_size > 50_000


def test_a_page_address_opened_without_logging_in_shows_the_login_form(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        try:
            page.goto(f"{server}/workspace", wait_until="domcontentloaded")
            expect(page.get_by_label("用户名")).to_be_visible(timeout=60_000)
            assert page.get_by_text("支部工作台").count() == 0
            assert page.get_by_text("Traceback").count() == 0
        finally:
            browser.close()
