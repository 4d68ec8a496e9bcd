"""Every route as every role: in scope 200, out of scope 404, and a 404 out of scope is byte for byte the
404 of something that does not exist (probing ids tells nothing). Listings hold exactly what is in scope."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.service.world import CHECK, RUNS, SEES, USERS

PAGES = {
    "footprint": ["/footprints/{key}"],
    "organisation": ["/organisations/{key}"],
    "run": ["/runs/{key}", "/runs/{key}/checks/" + CHECK],
    "comparison": ["/comparisons/{key}"],
}
API = {
    "footprint": ["/api/v1/footprints/{key}"],
    "organisation": ["/api/v1/organisations/{key}/record"],
    "run": ["/api/v1/runs/{key}", "/api/v1/runs/{key}/results", "/api/v1/runs/{key}/checks/" + CHECK,
            "/api/v1/runs/{key}/checks/" + CHECK + "/evidence", "/api/v1/runs/{key}/junit"],
    "comparison": ["/api/v1/comparisons/{key}"],
}


@pytest.fixture(scope="module")
def absent(app: FastAPI, sessions: dict[str, str]) -> dict[str, httpx.Response]:
    """Each user's 404 page for a run that does not exist: what out of scope must look like, byte for byte."""
    async def fetch() -> dict[str, httpx.Response]:
        async with client(app) as http:
            return {user: await http.get("/runs/run-none", headers={"cookie": f"conformance_session={sid}"})
                    for user, sid in sessions.items()}
    return asyncio.run(fetch())


ABSENT = {"footprint": "XNONE", "organisation": "XNONE", "run": "run-none", "comparison": "no-such-comparison"}


def cases(routes: dict[str, list[str]]) -> list[tuple[str, str, str, bool]]:
    return [(user, kind, path, user in who) for (kind, key), who in SEES.items() for path in
            (p.format(key=key) for p in routes[kind]) for user in USERS]


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(("user", "kind", "path", "visible"), cases(PAGES), ids=lambda v: str(v))
async def test_every_page_as_every_role(app: FastAPI, sessions: dict[str, str], absent: dict[str, httpx.Response],
                                        user: str, kind: str, path: str, visible: bool) -> None:
    async with client(app) as http:
        response = await http.get(path, headers={"cookie": f"conformance_session={sessions[user]}"})
    assert response.status_code == (200 if visible else 404), (user, path)
    if not visible:
        assert absent[user].status_code == 404 and absent[user].text == response.text
        assert path.split("/")[2] not in response.text


@pytest.mark.parametrize(("user", "kind", "path", "visible"), cases(API), ids=lambda v: str(v))
async def test_every_api_route_as_every_role(app: FastAPI, tokens: dict[str, str], user: str, kind: str, path: str,
                                             visible: bool) -> None:
    bearer = {"authorization": f"Bearer {tokens[user]}"}
    async with client(app) as http:
        response = await http.get(path, headers=bearer)
        assert response.status_code == (200 if visible else 404), (user, path, response.text[:200])
        if not visible:
            key = path.split("/")[4]
            missing = await http.get(path.replace(key, ABSENT[kind], 1), headers=bearer)
            assert (missing.status_code, missing.content) == (404, response.content)


ORGS = {"admin": {"X26", "XCCG1", "XCOM1", "XLA01", "XOUT1"}, "nat": {"X26", "XCCG1", "XCOM1", "XLA01", "XOUT1"},
        "comm": {"X26", "XCCG1", "XCOM1", "XLA01"}, "mem": {"X26"}, "lead": {"XCOM1"}, "sup": set(),
        "ass": {"XOUT1"}, "panel": set()}


@pytest.mark.parametrize("user", list(USERS))
async def test_listings_hold_exactly_what_is_in_scope(app: FastAPI, tokens: dict[str, str], sessions: dict[str, str],
                                                      user: str) -> None:
    runs = {r for r in RUNS if user in SEES[("run", r)]}
    bearer = {"authorization": f"Bearer {tokens[user]}"}
    async with client(app) as http:
        listed = (await http.get("/api/v1/runs", headers=bearer)).json()["runs"]
        assert {r["id"] for r in listed} == runs
        orgs = (await http.get("/api/v1/organisations", headers=bearer)).json()["organisations"]
        assert {o["ods_code"] for o in orgs} == ORGS[user]
        footprints = (await http.get("/api/v1/footprints", headers=bearer)).json()["footprints"]
        assert [f["code"] for f in footprints] == (["XFP01"] if user in SEES[("footprint", "XFP01")] else [])
        for page in ("/runs", "/"):
            html = (await http.get(page, headers={"cookie": f"conformance_session={sessions[user]}"})).text
            assert {r for r in RUNS if f'href="/runs/{r}"' in html} == runs, page
        filtered = (await http.get("/api/v1/runs", params={"organisation": "XOUT1"}, headers=bearer)).json()["runs"]
        assert {r["id"] for r in filtered} == runs & {"run-c"}


async def test_a_commissioner_links_only_to_members_it_may_open(app: FastAPI, sessions: dict[str, str]) -> None:
    async with client(app) as http:
        html = (await http.get("/footprints/XFP01",
                               headers={"cookie": f"conformance_session={sessions['comm']}"})).text
    for member in ("X26", "XCCG1", "XCOM1", "XLA01"):
        assert f'href="/organisations/{member}"' in html
    assert "XOUT1" not in html
