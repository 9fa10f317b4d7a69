"""Real browser: headless Debian Chromium driven by Playwright against ``unspin serve``.

Pastes a spun paragraph into the web app, submits it, and checks that the
highlights, the hover/keyboard details and the restored text appear, and that
the page loads nothing from anywhere but the local server.  A screenshot is
saved as a test artifact in ``test-artifacts/`` (gitignored).

Uses the system browser at /usr/bin/chromium (``.ci/run`` installs the Debian
package); it never downloads one (no ``playwright install``).
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("UNSPIN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does this)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) is not installed")
pytest.importorskip("uvicorn", reason="the 'serve' extra (uvicorn) is not installed")

SPUN = ("A regional financial institution based mostly in Ohio moved thousands and thousands of dollars in "
        "shopper cash by means of shell firms in Cyprus and the Cayman Islands, in accordance with courtroom "
        "filings made public in the present day. The financial institution mentioned in a press release that "
        "it had cooperated absolutely with investigators and that the govt left the corporate in March.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    import uvicorn

    from unspin.server import create_app

    port = _free_port()
    app = create_app(allowed_hosts=["127.0.0.1", "localhost"])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not th.is_alive():
            pytest.fail("unspin server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(timeout=10)


@pytest.fixture(scope="module")
def browser_context():
    profile = tempfile.mkdtemp(prefix="unspin-chromium-")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1280, "height": 900}, service_workers="block")
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def test_paste_see_highlights_and_restored_text(base_url, browser_context):
    page = browser_context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(base_url + "/")
    page.get_by_label("Text").fill(SPUN)
    page.get_by_role("button", name="Check text").click()
    page.wait_for_selector("a.f[data-i]", timeout=30_000)

    assert "Likely spun" in page.inner_text(".verdict")
    marks = page.locator(".t.orig a.f")
    assert marks.count() >= 3
    assert page.locator(".t.orig a.f.c-high").count() >= 1
    restored = page.inner_text(".t.rest")
    assert "bank" in restored.lower() and page.locator(".t.rest ins.chg").count() >= 2

    # hover shows the details of that finding
    first = marks.first
    first.hover()
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    assert "→" in tip.inner_text() and "confidence" in tip.inner_text()
    # the reason, read from the finding's row in the table (not duplicated in the page data)
    i = first.get_attribute("data-i")
    why = page.locator(f"#f{i} td").nth(5).inner_text().rsplit("[", 1)[0].strip()
    assert why and page.locator("#tip .tr").inner_text().strip() == why

    # keyboard: Escape closes, 'n' focuses the next finding and shows its details
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.classList.contains('f')")
    tip.wait_for(state="visible")
    page.keyboard.press("n")
    assert page.evaluate("+document.activeElement.dataset.i") >= 0

    # the finding row carries the same details without JavaScript
    assert page.locator("#findings tbody tr").count() == marks.count() or page.locator(
        "#findings tbody tr").count() >= marks.count()

    page.keyboard.press("Escape")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    first.hover()
    tip.wait_for(state="visible")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser-report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "browser-report-print.png"), full_page=False)
    assert tip.is_hidden() or not tip.is_visible()
    page.emulate_media(media="screen")

    assert all(u.startswith(base_url) for u in requests), [u for u in requests if not u.startswith(base_url)]
    assert not errors, errors
    page.close()


def test_upload_a_file(base_url, browser_context, tmp_path):
    page = browser_context.new_page()
    f = tmp_path / "story.html"
    f.write_text(f"<html><body><article><p>{SPUN}</p></article></body></html>", encoding="utf-8")
    page.goto(base_url + "/")
    page.set_input_files("#file", str(f))
    page.get_by_role("button", name="Check text").click()
    page.wait_for_selector("a.f[data-i]", timeout=30_000)
    assert "story.html" in page.inner_text(".summary")
    page.close()


def test_standalone_report_file_works_offline(browser_context, tmp_path):
    from unspin.cli import main

    out = tmp_path / "report.html"
    assert main(["report", "--example", "-o", str(out)]) == 0
    page = browser_context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    page.keyboard.press("n")
    page.locator("#tip").wait_for(state="visible")
    assert requests == [out.as_uri()]
    page.close()
