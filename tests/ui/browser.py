"""Driving the served app in Debian's Chromium (Playwright, never a downloaded browser), as a person would.

The journeys (``test_journeys.py``) and the browser tests share these: the server, a page per person,
the login, Streamlit's widgets by their labels, and :func:`looks_right` — no exception box, no
traceback and no raw "None"/"NaN"/"null" anywhere on the page — checked after every step, with a
screenshot kept in ``$BASTION_SCREENSHOT_DIR`` (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bastion.demo import DEMO_PASSWORD
from bastion.ui.launch import command, wait_healthy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
#: CI (``.ci/run``) requires the browser: without Chromium the journeys fail there instead of being skipped.
BROWSER_REQUIRED = os.environ.get("BASTION_REQUIRE_BROWSER") == "1"
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM and not BROWSER_REQUIRED,
                                    reason="Debian's chromium is not installed (BASTION_REQUIRE_BROWSER=1 fails instead)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SLOW = 60_000  # ms: the first run of a page on a busy 2-core machine
SCROLLS = 6  # screens a table cell is looked for down the page (Person.sees_cell)
TALLEST = 8_000  # px: the tallest screenshot
RAW_MISSING = re.compile(r"(?<![\w.])(None|NaN|nan|null|NaT)(?![\w.])")
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?: [a-z]{2,}){2,}\b")  # three English words in a row: a sentence


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(home: Path) -> Iterator[str]:
    """``bastion ui``'s server on a free port over ``home``; its address."""
    port = free_port()
    env = {**os.environ, "BASTION_HOME": str(home)}
    env.pop("BASTION_DATABASE_URL", None)
    process = subprocess.Popen(command(address="127.0.0.1", port=port), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url, process), process.stderr.read().decode(errors="replace") if process.poll() else ""
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def screenshots(fallback: Path) -> Path:
    folder = Path(os.environ.get("BASTION_SCREENSHOT_DIR") or fallback) / "journeys"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One person's browser tab on the app: log in, use widgets by their labels, check and photograph each step."""

    def __init__(self, browser, base: str, shots: Path, name: str, *, locale: str = "zh-CN",
                 phone: bool = False) -> None:
        self.base, self.shots, self.name = base, shots, name
        self.chinese = locale.startswith("zh")
        # A phone: a small touch screen, as a member scanning a slip's QR code holds it.
        screen = ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 2} if phone else {"viewport": {"width": 1500, "height": 1100}})
        self.context = browser.new_context(**screen, locale=locale, accept_downloads=True)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.page.on("request", self._request)
        self.step = 0

    def _request(self, request) -> None:
        if not request.url.startswith((self.base, "data:", "blob:", "about:")):
            self.outside.append(request.url)

    def close(self) -> None:
        self.context.close()

    # --- navigation ---------------------------------------------------------------------------

    def log_in(self, username: str, *, path: str = "/", heading: str) -> None:

        self.page.goto(self.base + path, wait_until="domcontentloaded")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.sees_heading(heading)

    def visit(self, path: str, *, heading: str) -> None:
        """Open ``path`` with no login (the ballot page)."""
        self.page.goto(self.base + path, wait_until="domcontentloaded")
        self.sees_heading(heading)

    def sees_heading(self, heading: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.get_by_role("heading", name=heading).first).to_be_visible(timeout=SLOW)
        self.settled()

    def settled(self) -> None:
        """Wait until Streamlit has finished running the script and drawing what it sent: the app's script state
        (``data-test-script-state`` on ``stApp``) is ``notRunning`` and no skeleton (a chart or table still
        loading) is left. A click's rerun may start a moment after the click: hence the first wait, for the rerun
        to start (at most 300 ms: an action that starts none waits that long)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') "
                "=== 'running'", timeout=300)
        except PlaywrightTimeout:
            pass
        self.page.wait_for_function(  # a plain page of the server's own (the ballot page) is settled once loaded
            "() => document.readyState === 'complete' && (!document.querySelector('[data-testid=\"stApp\"]') && "
            "!document.querySelector('script[src*=\"static/js\"]') || document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'notRunning' && "
            "!document.querySelector('[data-testid=\"stSkeleton\"]'))",
            timeout=SLOW)
        self.page.wait_for_timeout(100)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name, exact=True).click()
        self.settled()

    def sees(self, text: str, *, exact: bool = False) -> None:
        from playwright.sync_api import expect

        expect(self.page.get_by_text(text, exact=exact).first).to_be_visible(timeout=SLOW)

    def sees_cell(self, text: str) -> None:
        """A table cell (Streamlit draws its grid on a canvas; the cells are there for assistive technology). A grid
        draws its cells once it is in view: the page is scrolled down a screen at a time until the cell is there."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        cell = self.page.locator("[role=gridcell]").filter(has_text=text).first
        for _ in range(SCROLLS):
            try:
                cell.wait_for(state="attached", timeout=SLOW // SCROLLS)
                return
            except PlaywrightTimeout:
                self.page.locator("[data-testid='stMain']").evaluate("main => main.scrollBy(0, window.innerHeight)")
        cell.wait_for(state="attached", timeout=SLOW // SCROLLS)

    # --- widgets ------------------------------------------------------------------------------

    def fill(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label, exact=True)
        field.fill(value)
        field.evaluate("element => element.blur()")  # commits it, without moving focus onto the next widget

    def choose(self, label: str, option: str) -> None:
        """A select box: open it by its label and click the option whose text contains ``option``."""
        box = self.page.get_by_role("combobox", name=label, exact=True)
        wanted = self.page.get_by_role("option").filter(has_text=option).first
        for _ in range(3):  # a rerun that lands as the list opens closes it again: open it once more
            box.click()
            try:
                wanted.wait_for(timeout=10_000)
                break
            except Exception:  # noqa: BLE001 - Playwright's timeout; retried, then reported by the click below
                self.page.keyboard.press("Escape")
                self.settled()
        wanted.click()
        self.settled()

    def add(self, label: str, option: str) -> None:
        """A multiselect: type ``option`` into the box its label names and pick the first option containing it."""
        box = self.page.get_by_role("combobox", name=label, exact=True)
        box.click()
        box.fill(option)
        wanted = self.page.get_by_role("option").filter(has_text=option).first
        wanted.wait_for(timeout=10_000)
        wanted.click()
        self.page.keyboard.press("Escape")
        self.settled()

    def tick(self, label: str) -> None:
        """A checkbox, by its label (its label takes the click: the box itself is drawn under it)."""
        box = self.page.locator("[data-testid='stCheckbox']").filter(
            has=self.page.get_by_role("checkbox", name=label, exact=True))
        box.locator("label").first.click()
        self.settled()

    def upload(self, label: str, path: Path) -> None:
        uploader = self.page.locator("[data-testid='stFileUploader']").filter(has_text=label)
        uploader.locator("input[type=file]").set_input_files(str(path))
        self.page.wait_for_timeout(500)

    def press(self, button: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()
        self.settled()

    # --- checks ---------------------------------------------------------------------------------

    def _screenshot(self, name: str) -> None:
        """The whole page: Streamlit scrolls inside its main block, not the document, so the window is made as
        tall as that block's content for the picture (at most :data:`TALLEST` pixels), then put back."""
        viewport = self.page.viewport_size
        height = self.page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
            "[data-testid=\"stSidebarContent\"]')].map(e => e.scrollHeight), window.innerHeight)")
        self.page.set_viewport_size({"width": viewport["width"], "height": min(int(height), TALLEST)})
        try:
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(self.shots / name))
        finally:
            self.page.set_viewport_size(viewport)

    def looks_right(self, what: str) -> None:
        """No exception, no traceback, no raw missing value, no English sentence in the Chinese UI and no
        request gone elsewhere; a screenshot of the step."""
        self.step += 1
        self.page.mouse.move(0, 0)
        self.settled()
        self._screenshot(f"{self.name}-{self.step:02d}-{what}.png")
        assert self.page.locator("[data-testid='stException']").count() == 0, f"{what}: an exception is shown"
        text = self.page.locator("body").inner_text()
        assert "Traceback" not in text, f"{what}: a traceback is shown"
        raw = RAW_MISSING.findall(text)
        assert not raw, f"{what}: {raw} on the page"
        shown = " ".join(self.page.locator("[data-testid='stMain'], [data-testid='stSidebar']").all_inner_texts()
                         or self.page.locator("main").all_inner_texts())  # a plain page of the server's own
        english = [m.group(0) for m in ENGLISH.finditer(shown)] if self.chinese else []  # Streamlit's own
        # accessibility link ("Skip to main content") is outside both
        assert shown.strip(), f"{what}: the page shows nothing"
        assert not english, f"{what}: English in the Chinese UI: {english[:3]}"
        assert not self.outside, f"{what}: requests left the server: {self.outside}"
