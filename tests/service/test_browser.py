"""Journeys in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium) against
``conformance serve`` started here on a free loopback port and stopped by its pid. Screenshots go to
reports/screenshots/ (kept as test artefacts, not committed)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.world import CHECK, PASSWORD, build, sqlite_url

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `apt-get install "
                                "chromium` (.ci/run installs it) to run the browser journeys")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, cheap_hashing: None) -> Iterator[str]:
    """``conformance serve`` on a free port over a fresh world; its base URL. Stopped by pid afterwards."""
    directory = tmp_path_factory.mktemp("served")
    url = sqlite_url(directory)
    build(url)
    process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--store", url, "--port", "0"],
                               cwd=directory, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        deadline, line = time.monotonic() + 60, ""
        while "serving" not in line and time.monotonic() < deadline and process.poll() is None:
            if select.select([process.stderr], [], [], 1.0)[0]:
                line = process.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert found, f"conformance serve did not start: {line!r}"
        yield found.group(1)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessible(page: object, name: str) -> None:
    """axe-core's WCAG 2.x A/AA rules find nothing on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in found.response["violations"]]
    assert not problems, (name, problems)


def _sign_in(page: object, user: str) -> None:
    page.get_by_label("User name").fill(user)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def test_a_commissioners_journey_to_a_checks_evidence(served: str, browser: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(served + "/")
    assert page.url.startswith(served + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    accessible(page, "sign in")
    _sign_in(page, "comm")
    accessible(page, "home")
    page.get_by_role("link", name="North Example", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("North Example")
    assert page.get_by_role("table").nth(1).get_by_role("row").count() > 5  # the mosaic
    page.screenshot(path=str(SHOTS / "commissioner-1-footprint.png"), full_page=True)
    accessible(page, "footprint")
    page.get_by_role("link", name="Demo Sandbox Trust", exact=True).click()
    assert "flagged for audit" in page.content()
    page.screenshot(path=str(SHOTS / "commissioner-2-organisation.png"), full_page=True)
    accessible(page, "organisation")
    page.get_by_role("link", name="run-a").first.click()
    assert page.get_by_role("heading", name="fhir-rest").is_visible()
    page.screenshot(path=str(SHOTS / "commissioner-3-run.png"), full_page=True)
    accessible(page, "run")
    page.get_by_role("link", name=CHECK).click()
    permalink = page.url
    assert permalink == f"{served}/runs/run-a/checks/{CHECK}"
    assert "run-a-patient" in page.locator("pre").first.inner_text()
    page.screenshot(path=str(SHOTS / "commissioner-4-check.png"), full_page=True)
    accessible(page, "check")
    later = context.new_page()  # the permanent link opens again, for anyone in scope
    later.goto(permalink)
    assert later.get_by_role("heading", level=1).inner_text() == "Read a Patient"
    context.close()


def test_a_supplier_meets_404_outside_its_scope_and_validates_a_scan(served: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(served + "/footprints/XFP01")
    _sign_in(page, "sup")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.goto(served + "/runs")
    assert page.get_by_role("link", name="run-b").is_visible() and page.get_by_role("link", name="run-a").count() == 0
    page.screenshot(path=str(SHOTS / "supplier-runs.png"), full_page=True)
    page.get_by_role("link", name="Validate").click()
    accessible(page, "validate")
    page.get_by_label("GS1 data").check()
    page.get_by_label("Input").fill("(01)09501101530003(17)250100")
    page.get_by_role("button", name="Validate").click()
    assert re.search(r"/validations/[\w-]+$", page.url)
    assert page.get_by_text("valid", exact=True).is_visible() and "09501101530003" in page.content()
    accessible(page, "validation result")
    page.screenshot(path=str(SHOTS / "supplier-validation.png"), full_page=True)
    context.close()


def test_an_assessors_journey_disputes_a_verdict(served: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{served}/runs/run-c/checks/{CHECK}")
    _sign_in(page, "ass")
    assert page.url == f"{served}/runs/run-c/checks/{CHECK}"
    accessible(page, "check with the audit form")
    page.get_by_label("dispute: leave it out of scoring until resolved").check()
    page.get_by_label("Reason (needed to dispute or resolve)").fill("the answer came from a cache")
    page.get_by_role("button", name="Record", exact=True).click()
    assert page.get_by_role("heading", name="This verdict is disputed").is_visible()
    assert page.get_by_role("cell", name="the answer came from a cache").is_visible()
    accessible(page, "disputed check")
    page.screenshot(path=str(SHOTS / "assessor-dispute.png"), full_page=True)
    context.close()
