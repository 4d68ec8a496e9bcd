"""The other roles' journeys in Chromium (issue 22): a national viewer reads everything and may write
nothing, an organisation's lead records a self-assessment and finds it on the record and in its history,
a procurement panel opens its comparison and a system's run from it; an assessor audits a claim. axe-core
checks every page visited; screenshots in reports/screenshots/. The server and browser fixtures are
test_browser.py's (a server of its own for this module, stopped by its pid)."""

from __future__ import annotations

from tests.service import test_browser as journeys
from tests.service.test_browser import SHOTS, _sign_in, accessible

pytestmark = journeys.pytestmark
served = journeys.served  # the fixtures, here a server and a browser of this module's own
browser = journeys.browser


def _page(browser: object, served: str, path: str, user: str) -> tuple[object, object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(served + path)
    _sign_in(page, user)
    return context, page


def test_a_national_viewer_reads_every_record_and_writes_nothing(served: str, browser: object) -> None:
    context, page = _page(browser, served, "/", "nat")
    accessible(page, "national home")
    page.get_by_role("link", name="North Example", exact=True).click()  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text().startswith("North Example")  # type: ignore[attr-defined]
    page.goto(f"{served}/organisations/XOUT1")  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text().startswith("Outside Example Trust")  # type: ignore[attr-defined]
    accessible(page, "national organisation")
    page.get_by_role("link", name="Audit of the claims").click()  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text().startswith("Audit of claims")  # type: ignore[attr-defined]
    assert page.locator("form[action*='/attestations']").count() == 0  # type: ignore[attr-defined]
    accessible(page, "national claims audit")
    page.goto(f"{served}/runs/run-c/checks/fhir-rest.crud.patient.read")  # type: ignore[attr-defined]
    assert page.locator("form[action*='/attestations']").count() == 0  # type: ignore[attr-defined]
    page.goto(f"{served}/organisations/XOUT1/self-assessment")  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text() == "Only the organisation's lead can do this"  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "national-readonly.png"), full_page=True)  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]


def test_a_leads_self_assessment_reaches_the_record(served: str, browser: object) -> None:
    context, page = _page(browser, served, "/organisations/XCOM1", "lead")
    page.get_by_role("link", name="Record a self-assessment").click()  # type: ignore[attr-defined]
    accessible(page, "self-assessment form")
    box = page.get_by_role("group", name="Professionals across care settings can access GP-held")  # type: ignore[attr-defined]
    box.get_by_label("not met", exact=True).check()
    box.get_by_label("Note (optional)").fill("synthetic: the GP connect pilot was paused")
    page.get_by_role("button", name="Save the self-assessment").click()  # type: ignore[attr-defined]
    assert page.url == f"{served}/organisations/XCOM1"  # type: ignore[attr-defined]
    assert "synthetic: the GP connect pilot was paused" in page.content()  # type: ignore[attr-defined]
    accessible(page, "record after the self-assessment")
    page.get_by_role("link", name="Record a self-assessment").click()  # type: ignore[attr-defined]
    history = page.get_by_role("table", name="History")  # type: ignore[attr-defined]
    assert history.get_by_role("cell", name="synthetic: the GP connect pilot was paused").is_visible()
    page.screenshot(path=str(SHOTS / "lead-self-assessment.png"), full_page=True)  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]


def test_a_panel_compares_systems_and_opens_a_run_from_its_comparison(served: str, browser: object) -> None:
    context, page = _page(browser, served, "/", "panel")
    page.get_by_role("link", name="Panel comparison").click()  # type: ignore[attr-defined]
    assert page.url == f"{served}/comparisons/panel-1"  # type: ignore[attr-defined]
    ranking = page.get_by_role("table", name="Ranking")  # type: ignore[attr-defined]
    assert ranking.get_by_role("row").count() == 3  # a header and the two systems
    accessible(page, "comparison")
    page.screenshot(path=str(SHOTS / "panel-comparison.png"), full_page=True)  # type: ignore[attr-defined]
    ranking.get_by_role("link").first.click()
    assert page.url.rsplit("/", 1)[1] in ("run-b", "run-c")  # type: ignore[attr-defined]
    accessible(page, "a compared run")
    page.goto(f"{served}/footprints/XFP01")  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]


def test_an_admin_disputes_a_claim_and_the_record_shows_it(served: str, browser: object) -> None:
    context, page = _page(browser, served, "/organisations/X26/claims", "admin")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Audit of claims")  # type: ignore[attr-defined]
    accessible(page, "claims audit with its forms")
    first = page.locator("section").first  # type: ignore[attr-defined]
    first.get_by_label("dispute the claim").check()
    first.get_by_label("Reason (needed to dispute or resolve)").fill("synthetic: no evidence of go-live was shown")
    first.get_by_role("button", name="Record").click()
    assert page.get_by_role("cell", name="synthetic: no evidence of go-live was shown").is_visible()  # type: ignore[attr-defined]
    accessible(page, "a disputed claim")
    page.goto(f"{served}/organisations/X26")  # type: ignore[attr-defined]
    assert page.get_by_text("claim disputed").count() >= 1  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "admin-claim-dispute.png"), full_page=True)  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]
