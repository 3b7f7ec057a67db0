"""The report as a reader sees it: the index and every page opened in headless Chromium with the
network cut off.

Checks on every page: no TeX left as text (formulas are MathML the browser draws), every image
loads, nothing is requested from the network, and the console has no errors; on the index every
link resolves. Screenshots land in the test's temporary folder (``screenshots/``), or in the
folder named by ``CX_SCREENSHOTS``: look at them after changing a page.

CI installs Chromium and its driver with the system package manager (``.ci/run``); without them
this test fails, with the command that installs them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

INSTALL = ("install Chromium and its driver: `apt-get install -y chromium chromium-driver` "
           "(Debian/Ubuntu; CI's .ci/run does this) and `pip install -e .[test]` for selenium")
BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

# TeX that was not turned into MathML: a control word such as \frac, or $$ display delimiters.
RAW_TEX = re.compile(r"\\[A-Za-z]{2,}|\$\$")

# Text the reader sees outside code: code cells and program output may quote TeX legitimately.
VISIBLE_PROSE = """
const skip = el => el.closest('pre, code, math, script, style, .jp-InputArea');
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const parts = [];
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (node.parentElement && !skip(node.parentElement)) parts.push(node.textContent);
}
return parts.join(' ');
"""

PAGE_STATE = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => done({
  ready: document.readyState,
  images: Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 120),
                                                  ok: i.complete && i.naturalWidth > 0})),
  requests: performance.getEntriesByType('resource').map(r => r.name)
            .filter(n => !n.startsWith('file:') && !n.startsWith('data:')),
  math: document.querySelectorAll('math').length,
  mathml: Array.from(document.querySelectorAll('math')).slice(0, 50)
          .every(m => m instanceof MathMLElement && m.getBoundingClientRect().width > 0),
  height: document.documentElement.scrollHeight,
}));
"""


def _find(names, what):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"{what} not found (looked for {', '.join(names)}): {INSTALL}")


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = _find(BROWSERS, "Chromium")
    for arg in ["--headless=new", "--disable-gpu", "--window-size=1280,1000",
                "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                # no network: every request that is not a local file goes to a closed port
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]:
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=_find(["chromedriver"], "chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    # and the browser itself believes it is offline, as on a laptop without a connection
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    yield driver
    driver.quit()


def _screenshot(driver, path: Path, height: int | None = None) -> None:
    """A PNG of the viewport, or of the page's first ``height`` pixels."""
    params = {"format": "png"}
    if height:
        params.update(captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": 1280, "height": min(height, 6000), "scale": 1})
    data = driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
    path.write_bytes(base64.b64decode(data))


def _open(driver, page: Path) -> dict:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())
    state = driver.execute_async_script(PAGE_STATE)
    state["prose"] = driver.execute_script(VISIBLE_PROSE)
    state["errors"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return state


def _check_page(state: dict, page: Path) -> None:
    name = page.name
    assert state["ready"] == "complete", f"{name} did not finish loading"
    broken = [i["src"] for i in state["images"] if not i["ok"]]
    assert not broken, f"{name}: images that did not load: {broken}"
    assert not state["requests"], f"{name} asks the network for {state['requests']}"
    assert not state["errors"], f"{name}: console errors {state['errors']}"
    leftover = sorted(set(RAW_TEX.findall(state["prose"])))
    assert not leftover, f"{name}: raw TeX left in the text: {leftover}"
    assert state["mathml"], f"{name}: a formula is not drawn as MathML"


def test_the_index_and_every_report_render_offline(bundled_run, browser, tmp_path):
    run = bundled_run
    shots = Path(os.environ.get("CX_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    index = run.folder / "index.html"
    state = _open(browser, index)
    _check_page(state, index)
    _screenshot(browser, shots / "index.png", state["height"])

    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    assert links, "the index links to nothing"
    for href in links:
        url = urlsplit(href)
        assert url.scheme == "file", f"the index links off the machine: {href}"
        target = Path(unquote(url.path))
        assert target.is_file(), f"the index links to a missing file: {href}"
        if url.fragment:
            assert f'id="{url.fragment}"' in target.read_text(), f"no anchor for {href}"
    linked = {Path(unquote(urlsplit(h).path)).resolve() for h in links}

    formulas = 0
    for r in run.results:
        for kind in ("report", "code"):
            page = run.folder / r.pages[kind]
            assert page.resolve() in linked, f"the index does not link {r.pages[kind]}"
            state = _open(browser, page)
            _check_page(state, page)
            formulas += state["math"]
            if kind == "report":
                _screenshot(browser, shots / f"{r.notebook}_top.png")
                # the first display formula, where a reader would see raw TeX if math failed
                browser.execute_script(
                    "const m = document.querySelector('math[display=block]');"
                    "if (m) m.scrollIntoView({block: 'center'});")
                _screenshot(browser, shots / f"{r.notebook}_formula.png")
    assert formulas > 0, "no formula was found in any report"
    print(f"screenshots: {shots}")


@pytest.mark.parametrize("body, complaint", [
    (r"<p>The estimator $$\hat S(t) = \prod_j (1 - d_j / n_j)$$</p>", "raw TeX"),
    ('<img src="missing.png" alt="">', "images that did not load"),
    ('<script src="https://cdn.example.org/mathjax.js"></script>', "asks the network|console errors"),
    ("<script>console.error('boom')</script>", "console errors"),
])
def test_the_checks_see_what_a_reader_would_see(browser, tmp_path, body, complaint):
    page = tmp_path / "page.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    with pytest.raises(AssertionError, match=complaint):
        _check_page(_open(browser, page), page)
