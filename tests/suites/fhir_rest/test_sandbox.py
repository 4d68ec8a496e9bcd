"""End to end against the built-in sandbox, in memory: clean means every required check passes."""

from __future__ import annotations

import httpx

from conformance.model import Status
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from tests.suites.fhir_rest.helpers import run_result

BASE = "http://sandbox.test/fhir"


async def test_clean_sandbox_all_required_pass_within_budget_and_cleans_up() -> None:
    app = create_app(parse_faults([]))
    transport = httpx.ASGITransport(app=app)
    result = await run_result(None, BASE, transport=transport, run_id="e2e")
    bad = [(r.id, r.status.value, r.message) for r in result.results
           if r.required and r.status is not Status.PASS]
    assert bad == []
    assert not [r for r in result.results if r.status in (Status.ERROR, Status.FAIL)]
    skipped = {r.id: r.message for r in result.results if r.status is Status.SKIP}
    assert set(skipped) == {"fhir-rest.format.xml"}, skipped
    requests = sum(1 for r in result.results for e in r.evidence if e.kind == "http")
    assert 300 < requests < 600
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE + "/") as client:
        for rtype in ("Patient", "Observation", "Practitioner", "DocumentReference"):
            bundle = (await client.get(rtype, params={"_tag": "https://conformance.example/tag|run-e2e"})).json()
            assert not bundle.get("entry"), f"{rtype} left behind"


async def test_fault_messages_say_what_was_expected_and_what_came_back() -> None:
    faults = ["history-oldest-first", "search-ignores-count", "create-no-location", "not-found-no-outcome"]
    transport = httpx.ASGITransport(app=create_app(parse_faults(faults)))
    result = await run_result(["fhir-rest.crud.patient.history", "fhir-rest.search.paging",
                               "fhir-rest.crud.observation.create-headers", "fhir-rest.errors.not-found"],
                              BASE, transport=transport)
    verdicts = {r.id: r for r in result.results}
    assert "lists the oldest version first" in verdicts["fhir-rest.crud.patient.history"].message
    assert "_count=2 allows at most 2" in verdicts["fhir-rest.search.paging"].message
    # The create itself passes (the body names the id), so everything built on the Observation is judged.
    assert verdicts["fhir-rest.crud.observation.create"].status is Status.PASS
    assert verdicts["fhir-rest.crud.observation.create-headers"].message == "POST Observation: Location header missing"
    assert "expected an OperationOutcome" in verdicts["fhir-rest.errors.not-found"].message or \
        "not JSON" in verdicts["fhir-rest.errors.not-found"].message
