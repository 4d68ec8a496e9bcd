"""What the pages show, and how: the mosaic, the record beside the claims, runs by suite, the permanent
check page with its evidence; escaping, landmarks and labels, and the security headers on every answer."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
from fastapi import FastAPI

from conformance.maturity.model import load_model
from tests.service.world import CHECK, FAILED


class Outline(HTMLParser):
    """Landmarks, labels and ids of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def outline(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Outline()
    parser.feed(html)
    return parser.tags


async def page(app: FastAPI, session: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        return await http.get(path, headers={"cookie": f"conformance_session={session}"})


async def test_the_footprint_dashboard_shows_the_mosaic_and_the_milestones(app: FastAPI,
                                                                           sessions: dict[str, str]) -> None:
    html = (await page(app, sessions["comm"], "/footprints/XFP01?as_of=2026-12-01")).text
    model = load_model()
    for capability in model.capabilities.values():
        assert f'<th scope="row">{capability.title}</th>' in html.replace("&#39;", "'")
    for milestone in model.milestones.values():
        assert milestone.title in html.replace("&#39;", "'")
    states = re.findall(r'class="tag tag--(achieved|on-track|at-risk|missed)"', html)
    assert len(states) == len(model.milestones)
    cells = re.findall(r'class="tag tag--(met|partly-met|not-met|no-evidence)"', html)
    assert len(cells) >= len(model.capabilities) * 5  # four members and the footprint's slowest


async def test_the_organisation_record_puts_evidence_beside_claims(app: FastAPI, sessions: dict[str, str]) -> None:
    html = (await page(app, sessions["mem"], "/organisations/X26?as_of=2026-12-01")).text
    assert "flagged for audit" in html and "over-claim: flagged" in html
    assert "on 2026-06-30" in html  # the self-assessment's date
    assert 'href="/runs/run-a"' in html


async def test_a_run_by_suite_and_a_checks_permanent_page(app: FastAPI, sessions: dict[str, str]) -> None:
    run = (await page(app, sessions["mem"], "/runs/run-a")).text
    assert 'id="suite-fhir-rest"' in run and f'href="/runs/run-a/checks/{CHECK}"' in run
    assert "1 passed, 1 failed, 0 skipped, 0 errors" in run
    assert "<script>alert" not in run and "&lt;script&gt;alert" in run
    check = await page(app, sessions["mem"], f"/runs/run-a/checks/{FAILED}")
    assert check.status_code == 200
    assert "http://127.0.0.1/fhir/Patient/run-a-patient" in check.text
    assert "permanent" in check.text and "<script>alert" not in check.text


async def test_pages_have_landmarks_labels_and_a_skip_link(app: FastAPI, sessions: dict[str, str]) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        login = (await http.get("/login")).text
    for html in (login, (await page(app, sessions["comm"], "/footprints/XFP01")).text,
                 (await page(app, sessions["comm"], "/account")).text):
        tags = outline(html)
        assert ("html", {"lang": "en-GB"}) in tags
        names = [t for t, _ in tags]
        assert {"header", "main", "footer", "h1"} <= set(names) and names.count("h1") == 1
        assert any(t == "a" and a.get("href") == "#maincontent" for t, a in tags)
        labelled = {a.get("for") for t, a in tags if t == "label"}
        for tag, attrs in tags:
            if tag == "input" and attrs.get("type") not in ("hidden",):
                assert attrs.get("id") in labelled, attrs


async def test_every_answer_carries_the_security_headers(app: FastAPI, sessions: dict[str, str]) -> None:
    for response in (await page(app, sessions["mem"], "/runs"), await page(app, sessions["mem"], "/runs/run-c"),
                     await page(app, "", "/login"), await page(app, "", "/api/v1/runs"),
                     await page(app, "", "/static/app.css")):
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


async def test_an_unknown_page_is_an_html_404_and_an_unknown_api_path_json(app: FastAPI,
                                                                          sessions: dict[str, str]) -> None:
    missing = await page(app, sessions["mem"], "/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    api = await page(app, sessions["mem"], "/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
