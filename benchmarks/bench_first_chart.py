"""Benchmark: how long a leader waits, from clicking 登录 to the dashboard's first chart, on the demo.

    python benchmarks/bench_first_chart.py [--python PYTHON ...] [--runs 7]

Each ``--python`` is the interpreter of a virtual environment with one version of Bastion installed
(default: this one); giving two — the previous code's and this code's — measures them in the same
run, alternately. For each, the demo enterprise is built once in a temporary ``BASTION_HOME``
(``python -m bastion demo --no-ui``) and ``bastion ui`` serves it; Debian's Chromium (Playwright,
``executable_path``) then logs in as ``leader`` at ``/dashboard`` in a fresh browser context ``--runs``
times. The login form is left to finish loading first (``networkidle``), as a person reads it before
typing. The first login of each server is a warm-up and not counted (Streamlit compiles the pages on
first use). Two clocks:

- *seen by Playwright*: from the Python call that clicks 登录 until Playwright reports the headline
  figures (the metric 参评党支部) and the first chart (a canvas or svg in a Vega-Lite element of the
  page's main area: the login form's warm-up, in the sidebar, does not count) visible.
  It includes Playwright's own latency — dispatching the click, polling the page, reporting back over
  its pipe — which grows with the machine's load;
- *in the page*: from the click event's time stamp to the first animation frame in which the headline,
  and then a chart, is on screen — the topmost element at its middle (a script added to every document
  of the tab, a login page's too: ``sessionStorage`` carries the click's time across a page load). This
  is what the person sees, within a frame.

Prints the medians and ranges and writes ``benchmarks/results/first-chart-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "Bastion@2026"
CHART = ("[data-testid='stMain'] [data-testid='stVegaLiteChart'] canvas, "
         "[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg")

# Added to every document of the tab: the click's time, then the first frame showing the headline and a chart.
IN_PAGE = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  addEventListener("click", event => {
    const button = event.target.closest && event.target.closest("button");
    if (button && /登录|Log in/.test(button.innerText))
      sessionStorage.setItem("bench-click", String(performance.timeOrigin + event.timeStamp));
  }, true);
  const seen = el => {  // on screen: the topmost thing at its middle is it (not clipped, covered or hidden)
    const box = el.getBoundingClientRect();
    if (!(box.width > 1 && box.height > 1) || getComputedStyle(el).visibility !== "visible") return false;
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return !!top && (el === top || el.contains(top));
  };
  const marks = window.__benchMarks = {};
  const poll = () => {
    if (sessionStorage.getItem("bench-click")) {
      if (!marks.headline && [...document.querySelectorAll("[data-testid='stMetricLabel']")]
          .some(el => el.innerText.includes("参评党支部") && seen(el))) marks.headline = now();
      if (!marks.chart && [...document.querySelectorAll("%s")].some(seen)) marks.chart = now();
    }
    if (!(marks.headline && marks.chart)) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();
""" % CHART


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_demo(python: str, home: Path) -> None:
    env = {**os.environ, "BASTION_HOME": str(home)}
    env.pop("BASTION_DATABASE_URL", None)
    subprocess.run([python, "-m", "bastion", "demo", "--no-ui"], env=env, check=True, stdout=subprocess.DEVNULL,
                   cwd=home.parent)  # not this checkout: ``-m bastion`` would import its files first


def serve(python: str, home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BASTION_HOME": str(home)}
    env.pop("BASTION_DATABASE_URL", None)
    process = subprocess.Popen([python, "-m", "bastion", "ui", "--no-browser", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"{python}: the UI did not answer")


def login_once(browser, url: str) -> dict[str, float]:
    """Seconds from the click on 登录 to the headline figures and to the first drawn chart, on both clocks."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
    context.add_init_script(IN_PAGE)
    page = context.new_page()
    try:
        page.goto(f"{url}/dashboard", wait_until="networkidle")  # a person reads the page before typing
        page.get_by_label("用户名").fill("leader")
        page.get_by_label("密码").fill(PASSWORD)
        start = time.perf_counter()
        page.get_by_role("button", name="登录").click()
        page.get_by_text("参评党支部").first.wait_for(timeout=60_000)
        headline = time.perf_counter() - start
        page.locator(CHART).filter(visible=True).first.wait_for(timeout=60_000)
        chart = time.perf_counter() - start
        page.wait_for_function("() => window.__benchMarks && window.__benchMarks.headline && window.__benchMarks.chart",
                               timeout=60_000)
        click, marks = page.evaluate("() => [Number(sessionStorage.getItem('bench-click')), window.__benchMarks]")
        return {"headline": headline, "chart": chart, "page_headline": (marks["headline"] - click) / 1000,
                "page_chart": (marks["chart"] - click) / 1000}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="an interpreter with Bastion installed (repeatable)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    pythons = args.python or [sys.executable]

    from playwright.sync_api import sync_playwright

    servers = []
    with tempfile.TemporaryDirectory(prefix="bastion-bench-ui-") as scratch:
        try:
            for n, python in enumerate(pythons):
                home = Path(scratch) / f"home-{n}"
                print(f"building the demo with {python} …", flush=True)
                build_demo(python, home)
                servers.append((python, *serve(python, home)))
            timings: dict[str, dict[str, list[float]]] = {
                p: {"headline": [], "chart": [], "page_headline": [], "page_chart": []} for p in pythons}
            load = [os.getloadavg()]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for _, _, url in servers:
                    login_once(browser, url)  # warm-up
                for _ in range(args.runs):
                    for python, _, url in servers:  # alternately, so both meet the same machine
                        for name, seconds in login_once(browser, url).items():
                            timings[python][name].append(seconds)
                    load.append(os.getloadavg())
                browser.close()
        finally:
            for _, process, _ in servers:
                process.terminate()
                process.wait(timeout=20)
    print(f"\nload average (1 min) during the runs: {min(l[0] for l in load):.2f}–{max(l[0] for l in load):.2f}")
    for clock, prefix in (("seen by Playwright", ""), ("in the page", "page_")):
        print(f"\n{clock}:\n{'interpreter':<48} {'headline (median)':>18} {'first chart (median)':>22} "
              f"{'first chart (min–max)':>22}")
        for python, found in timings.items():
            chart = found[f"{prefix}chart"]
            print(f"{python:<48} {statistics.median(found[f'{prefix}headline']):>17.2f}s "
                  f"{statistics.median(chart):>21.2f}s {min(chart):>10.2f}–{max(chart):.2f}s")
    out = HERE / "results" / f"first-chart-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.node(), "load": load, "runs": args.runs,
                               "timings": timings}, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
