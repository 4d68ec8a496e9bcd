"""The JSON API's content: OpenAPI document, runs, results, evidence, JUnit, records, footprints."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from fastapi import FastAPI
from openapi_spec_validator import validate

from tests.service.world import CHECK, FAILED


def client(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"authorization": f"Bearer {token}"})


async def test_the_openapi_document_is_valid_and_describes_only_the_api(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    validate(document)
    assert document["paths"] and all(p.startswith("/api/v1/") for p in document["paths"])
    assert "/api/v1/runs/{run_id}/junit" in document["paths"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path in document["paths"].values():
        assert all("404" in operation["responses"] for operation in path.values())


async def test_a_run_its_results_and_a_checks_evidence(app: FastAPI, tokens: dict[str, str]) -> None:
    async with client(app, tokens["mem"]) as http:
        run = (await http.get("/api/v1/runs/run-a")).json()
        assert run["run"]["id"] == "run-a" and run["run"]["status"] == "complete"
        assert run["summary"] == {"pass": 1, "fail": 1, "skip": 0, "error": 0}
        assert run["suites"] == {"fhir-rest": {"pass": 1, "fail": 1, "skip": 0, "error": 0}}
        results = (await http.get("/api/v1/runs/run-a/results")).json()["results"]
        assert [(r["id"], r["status"], r["evidence"]) for r in results] == [(CHECK, "pass", 1), (FAILED, "fail", 1)]
        assert results[0]["permalink"] == f"/runs/run-a/checks/{CHECK}"
        assert (await http.get("/api/v1/runs/run-a/results", params={"suite": "gs1"})).json() == {"results": []}
        check = (await http.get(f"/api/v1/runs/run-a/checks/{FAILED}")).json()
        assert check["message"].startswith("expected 404, got 200")
        assert check["evidence"][0]["request"]["url"] == "http://127.0.0.1/fhir/Patient/run-a-patient"
        evidence = (await http.get(f"/api/v1/runs/run-a/checks/{CHECK}/evidence")).json()["evidence"]
        assert evidence[0]["kind"] == "http" and evidence[0]["response"]["status"] == 200
        assert (await http.get("/api/v1/runs/run-a/checks/no.such.check")).status_code == 404


async def test_a_token_fetches_a_runs_junit(app: FastAPI, tokens: dict[str, str]) -> None:
    async with client(app, tokens["sup"]) as http:
        response = await http.get("/api/v1/runs/run-b/junit")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {CHECK, FAILED}
    assert cases[FAILED].find("failure") is not None and cases[CHECK].find("failure") is None


async def test_records_and_footprints(app: FastAPI, tokens: dict[str, str]) -> None:
    async with client(app, tokens["comm"]) as http:
        record = (await http.get("/api/v1/organisations/X26/record", params={"as_of": "2026-12-01"})).json()
        footprint = (await http.get("/api/v1/footprints/XFP01", params={"as_of": "2026-12-01"})).json()
        bad = await http.get("/api/v1/footprints/XFP01", params={"as_of": "yesterday"})
        me = (await http.get("/api/v1/me")).json()
    assert record["organisation"]["ods_code"] == "X26" and record["as_of"] == "2026-12-01"
    assert any(c["flag_for_audit"] for c in record["capabilities"])  # the demo trust over-claims
    assert sorted(footprint["footprint"]["members"]) == ["X26", "XCCG1", "XCOM1", "XLA01"]
    assert {m["state"] for m in footprint["roadmap"]} <= {"achieved", "on track", "at risk", "missed"}
    assert footprint["roadmap"] and all(set(c["members"]) == set(footprint["footprint"]["members"])
                                        for c in footprint["capabilities"])
    assert bad.status_code == 422 and "as_of" in bad.text
    assert me == {"name": "comm", "via": "token", "permissions": ["records:read", "runs:read"],
                  "roles": [{"role": "commissioner", "scope": "footprint:XFP01"}]}


async def test_a_panels_comparison_ranks_its_systems(app: FastAPI, tokens: dict[str, str],
                                                     sessions: dict[str, str]) -> None:
    async with client(app, tokens["panel"]) as http:
        data = (await http.get("/api/v1/comparisons/panel-1")).json()
        page = await http.get("/comparisons/panel-1", headers={"authorization": "",
                                                                "cookie": f"conformance_session={sessions['panel']}"})
    assert data["title"] == "Panel comparison" and data["left_out"] == []
    assert sorted(data["ranking"]) == ["run-b", "run-c"]
    assert {s["run"] for s in data["systems"]} == {"run-b", "run-c"}
    assert all(0 <= s["score"] <= 100 for s in data["systems"])
    assert page.status_code == 200 and "Acme EPR 1 (run-b)" in page.text and "Other EPR 1 (run-c)" in page.text
