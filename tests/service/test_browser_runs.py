"""A member's journey in Chromium: register the built-in sandbox as a target, start a run from its form,
watch it live (server-sent events under the live page's own Content-Security-Policy) until the page
opens the run's results. Against ``conformance serve`` started (and stopped by pid) by test_browser's fixture."""

from __future__ import annotations

import re

import pytest

from tests.service.test_browser import CHROMIUM, SHOTS, _sign_in, accessible, browser, served

__all__ = ["browser", "served"]  # the fixtures, shared with the other journeys' module
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `apt-get install "
                                "chromium` (.ci/run installs it) to run the browser journeys")


def test_a_member_starts_a_run_and_watches_it_live(served: str, browser: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto(served + "/targets")
    _sign_in(page, "mem")
    assert page.url == served + "/targets"
    accessible(page, "targets")
    page.get_by_label("Name", exact=True).fill("browser sandbox")
    page.get_by_label("Organisation (ODS code)").fill("X26")
    page.get_by_label("Vendor").fill("conformance")
    page.get_by_label("FHIR base URL").fill("builtin:sandbox")
    page.get_by_label("Bearer token", exact=True).fill("synthetic-browser-token-5b21")
    page.get_by_label("A bearer token").check()
    page.get_by_role("button", name="Register target").click()
    assert page.get_by_role("heading", level=1).inner_text() == "browser sandbox"
    assert "synthetic-browser-token-5b21" not in page.content()
    accessible(page, "target")
    page.get_by_label("Checks").fill("fhir-rest.capability.*")
    page.get_by_role("button", name="Start run").click()
    assert re.search(r"/runs/[^/]+/live$", page.url), page.url
    run_page = page.url.removesuffix("/live")
    page.screenshot(path=str(SHOTS / "member-1-live.png"), full_page=True)
    accessible(page, "live")
    page.wait_for_url(run_page, timeout=90_000)  # live.js opens the results once the run is stored
    assert page.get_by_role("heading", name="fhir-rest").is_visible()
    assert "complete" in page.content()
    page.screenshot(path=str(SHOTS / "member-2-run.png"), full_page=True)
    # The script and its event stream were allowed (axe-core's own inline styles are refused, rightly).
    assert not [m for m in refused if "script-src" in m or "connect-src" in m], refused
    context.close()
