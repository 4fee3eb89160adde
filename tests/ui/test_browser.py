"""The app in a real browser: Debian's Chromium, headless, driven by Playwright (never its own browser).

Logs in as the sample's leader and loads the dashboard (the screenshot is kept in
``$BASTION_SCREENSHOT_DIR``, default: the test's temporary folder, to look at); then the login session
as a browser keeps it: the page kept across the login, the cookie (HttpOnly, signed, naming a server-side
session) set for F5 and a second tab, the language kept, and logout, the idle timeout, a tampered
cookie and a lockout each ending it.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bastion.core.db import transaction
from bastion.core.models import LoginSession, utcnow
from bastion.demo import DEMO_PASSWORD
from bastion.ui import web
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, Person, needs_chromium

pytestmark = needs_chromium

# Every frame until the dashboard is complete: the login form's warm-up (ui.context.warm_up: a metric "·", a
# chart and a table in the sidebar, beside a select box like the sidebar's own) is never on screen — the topmost thing at any of its corners
# or its middle — before the login nor while the page follows.
WARM_UP_NEVER_SHOWN = """
window.warmUpSeen = [];
const onScreen = el => {
  const box = el.getBoundingClientRect();
  if (!(box.width > 0 && box.height > 0)) return false;
  return [[.5, .5], [.05, .05], [.95, .05], [.05, .95], [.95, .95]].some(([x, y]) => {
    const top = document.elementFromPoint(box.left + x * box.width, box.top + y * box.height);
    return top && (top === el || el.contains(top));
  });
};
const look = () => {
  const seen = [...document.querySelectorAll("[data-testid=stSidebar] :is([data-testid=stMetric], "
    + "[data-testid=stVegaLiteChart], [data-testid=stDataFrame])")].filter(onScreen)
    .concat([...document.querySelectorAll("[data-testid=stMetricLabel]")].filter(el => el.innerText.trim() === "·"
      && onScreen(el)));
  if (seen.length) window.warmUpSeen.push([Math.round(performance.now()), seen.map(el => el.dataset.testid)]);
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


def test_a_leader_logs_in_and_sees_the_dashboard_in_chinese_with_charts(base, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("BASTION_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, locale="zh-CN")
        page.add_init_script(WARM_UP_NEVER_SHOWN)
        try:
            page.goto(base, wait_until="domcontentloaded")
            page.get_by_label("用户名").fill("leader")
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.wait_for_timeout(1000)  # the warm-up drawn, out of sight
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="领导驾驶舱")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("参评党支部")).to_be_visible(timeout=30_000)
            charts = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
            expect(charts.first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)
            assert page.evaluate("() => window.warmUpSeen") == [], "the login form's warm-up was shown"
            page.mouse.move(0, 0)  # no hover toolbar over the figures
            page.wait_for_timeout(1500)  # let the charts finish drawing before the picture
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "dashboard.png").stat().st_size > 50_000


def test_a_page_address_opened_without_logging_in_shows_the_login_form(base):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        try:
            page.goto(f"{base}/workspace", wait_until="domcontentloaded")
            expect(page.get_by_label("用户名")).to_be_visible(timeout=60_000)
            assert page.get_by_text("支部工作台").count() == 0
            assert page.get_by_text("Traceback").count() == 0
        finally:
            browser.close()


# --- the login session, as the browser keeps it ------------------------------------------------------


def session_cookie(me: Person, *, present: bool = True, timeout: float = 20) -> dict | None:
    """The browser's session cookie, once the page has set it (or once it has gone, ``present=False``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((c for c in me.context.cookies() if c["name"] == web.COOKIE), None)
        if (found is not None) == present or time.monotonic() > deadline:
            return found
        me.page.wait_for_timeout(100)


def second_tab(me: Person, path: str) -> Person:
    """Another tab of the same browser (its cookies), at ``path``."""
    tab = Person.__new__(Person)
    tab.base, tab.shots, tab.name, tab.chinese, tab.step = me.base, me.shots, me.name + "-tab2", me.chinese, 0
    tab.context, tab.page, tab.outside = me.context, me.context.new_page(), []
    tab.page.on("request", tab._request)
    tab.page.goto(me.base + path, wait_until="domcontentloaded")
    return tab


def sees_the_login_form(me: Person, saying: str | None = None) -> None:
    from playwright.sync_api import expect

    expect(me.page.get_by_label("用户名")).to_be_visible(timeout=60_000)
    if saying:
        me.sees(saying)


def test_the_login_keeps_the_page_and_its_cookie_keeps_f5_and_a_second_tab_logged_in(person, ui_engine):
    me = person("cookie")
    me.page.goto(me.base + "/workspace", wait_until="domcontentloaded")  # a deep link, before logging in
    sees_the_login_form(me)
    me.settled()
    me.looks_right("login-form")
    me.page.evaluate("() => { window.sameDocument = true }")
    me.page.get_by_label("用户名").fill("secretary")
    me.page.get_by_label("密码").fill(DEMO_PASSWORD)
    me.page.get_by_role("button", name="登录").click()
    me.sees_heading("支部工作台")  # the page asked for
    assert me.page.evaluate("() => window.sameDocument") is True  # the app's page was not loaded again
    assert me.page.url == me.base + "/workspace"

    cookie = session_cookie(me)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    with Session(ui_engine) as session:
        live = session.exec(select(LoginSession).where(LoginSession.ended_at.is_(None))).all()
    token = web.unsign(cookie["value"], web.Settings.from_env())
    assert len(live) == 1 and token and live[0].token_hash != token  # signed, naming the server-side session
    assert "secretary" not in cookie["value"]
    assert web.COOKIE not in me.page.evaluate("() => document.cookie")  # the page's scripts never read it
    me.looks_right("logged-in")

    me.page.reload()  # F5
    me.sees_heading("支部工作台")
    assert me.page.get_by_label("密码").count() == 0

    other = second_tab(me, "/workspace")
    other.sees_heading("支部工作台")
    assert other.page.get_by_label("密码").count() == 0
    other.page.get_by_text("English", exact=True).click()  # the language switched in one tab …
    other.sees_heading("Branch workspace")
    me.page.reload()  # … is the session's: the other tab speaks it after a reload
    me.sees_heading("Branch workspace")
    other.chinese = False
    other.looks_right("second-tab-in-english")


def test_logout_ends_the_session_in_every_tab_and_the_old_cookie_opens_nothing(person):
    me = person("logout")
    me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    cookie = session_cookie(me)
    other = second_tab(me, "/dashboard")
    other.sees_heading("领导驾驶舱")

    me.page.get_by_role("button", name="退出登录").click()
    sees_the_login_form(me, "您已退出登录。")
    assert session_cookie(me, present=False) is None  # the page dropped it
    me.looks_right("logged-out")

    me.context.add_cookies([cookie])  # the old cookie, replayed
    other.page.reload()
    sees_the_login_form(other, "登录已超时或已失效")
    assert other.page.get_by_text("参评党支部").count() == 0


def test_an_idle_session_and_a_tampered_cookie_open_nothing(person, ui_engine):
    me = person("idle")
    me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    cookie = session_cookie(me)
    with transaction(ui_engine) as session:  # 31 minutes without a page run
        row = session.exec(select(LoginSession).where(LoginSession.ended_at.is_(None))).one()
        row.last_seen_at = utcnow() - timedelta(minutes=31)
        session.add(row)
    me.page.reload()
    sees_the_login_form(me, "登录已超时或已失效")
    with Session(ui_engine) as session:
        assert session.exec(select(LoginSession.end_reason)).one() == "idle"

    me.log_in("leader", path="/dashboard", heading="领导驾驶舱")
    value = session_cookie(me)["value"]
    assert value != cookie["value"]  # a new session, a new cookie
    me.context.add_cookies([{**cookie, "value": value[:-2] + ("AA" if not value.endswith("AA") else "BB")}])
    me.page.reload()
    sees_the_login_form(me)
    assert me.page.get_by_text("参评党支部").count() == 0


def test_five_wrong_passwords_lock_the_account_in_the_browser(person):
    me = person("lockout")
    me.page.goto(me.base + "/workspace", wait_until="domcontentloaded")
    for attempt in range(5):
        me.page.get_by_label("用户名").fill("secretary")
        me.page.get_by_label("密码").fill("Wrong-pass-1")
        me.page.get_by_role("button", name="登录").click()
        me.sees("账号已锁定至" if attempt == 4 else "用户名或密码错误")
        me.settled()
    me.page.get_by_label("用户名").fill("secretary")
    me.page.get_by_label("密码").fill(DEMO_PASSWORD)  # the right password, while locked
    me.page.get_by_role("button", name="登录").click()
    me.settled()
    me.sees("账号已锁定至")
    assert me.page.get_by_role("heading", name="支部工作台").count() == 0 and session_cookie(me, timeout=1) is None
    me.looks_right("locked")
