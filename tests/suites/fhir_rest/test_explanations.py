"""Verdicts a vendor can act on: a search that should have matched names the R4 rule that made the
harness expect it; history whose order changed between two identical reads says so outright."""

from __future__ import annotations

import json

import httpx

from conformance.model import Status
from tests.integration.conftest import run_against_sandbox
from tests.suites.malformed.test_bent_answers import Rewrite

EMPTY = json.dumps({"resourceType": "Bundle", "type": "searchset", "total": 0,
                    "link": [{"relation": "self", "url": "http://sandbox.test/fhir/Patient"}]}).encode()


def _no_match_for(param: str) -> object:
    def change(request: httpx.Request, status: int, headers: list[tuple[str, str]], body: bytes) -> object:
        if request.method == "GET" and request.url.path.endswith("/Patient") and param in request.url.params:
            return httpx.Response(200, headers=headers, content=EMPTY)
        return None

    return change


async def test_a_missed_match_names_the_rule_that_made_it_expected() -> None:
    for param, check, words in (
            ("family", "fhir-rest.search.patient.string", "R4 defines family by the expression Patient.name.family"),
            ("gender", "fhir-rest.search.patient.token", "R4 defines gender by the expression Patient.gender, which "
             "selects ")):
        result = await run_against_sandbox(suites=["fhir-rest"], select=[check],
                                           wrap_http=lambda inner, p=param: Rewrite(inner, _no_match_for(p)))
        verdict = next(r for r in result.results if r.id == check)
        assert verdict.status is Status.FAIL, verdict.message
        assert f"?{param}=" in verdict.message and "expected because" in verdict.message, verdict.message
        assert words in verdict.message, verdict.message


def _history_reversed_on_second_call() -> object:
    calls: dict[str, int] = {}

    def change(request: httpx.Request, status: int, headers: list[tuple[str, str]], body: bytes) -> object:
        if request.method == "GET" and request.url.path.endswith("/_history") and "/Patient/" in request.url.path:
            calls[request.url.path] = calls.get(request.url.path, 0) + 1
            if calls[request.url.path] == 2:
                data = json.loads(body)
                data["entry"] = list(reversed(data["entry"]))
                return httpx.Response(status, headers=headers, content=json.dumps(data).encode())
        return None

    return change


async def test_history_order_that_changes_between_two_reads_is_said_outright() -> None:
    check = "fhir-rest.crud.patient.history"
    result = await run_against_sandbox(suites=["fhir-rest"], select=[check],
                                       wrap_http=lambda inner: Rewrite(inner, _history_reversed_on_second_call()))
    verdict = next(r for r in result.results if r.id == check)
    assert verdict.status is Status.FAIL
    assert "asked twice with nothing written between: the order changed" in verdict.message, verdict.message


def test_the_rule_says_when_the_expectation_rests_on_an_absent_element() -> None:
    # deceased=false must match a Patient without deceased: R4's expression gives false for it.
    from conformance.fhir import searchparams as sp
    from suites.fhir_rest.search_params import rule

    param = sp.lookup("Patient", "deceased")
    assert param is not None
    patient = {"resourceType": "Patient", "name": [{"family": "Test"}]}
    assert sp.tokens(patient, param) == [(None, "false")]
    assert rule("deceased", patient, param, "false") == (
        "R4 defines deceased by the expression Patient.deceased.exists() and Patient.deceased != false, which "
        "selects 'false' in our Patient (it has no deceased element)")
    assert "no deceased" not in rule("deceased", {**patient, "deceasedBoolean": False}, param, "false")


def _large_statement(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                     body: bytes) -> httpx.Response | None:
    if request.url.path.endswith("/metadata"):
        data = json.loads(body)
        data["description"] = "synthetic padding " * 10_000  # ~180 kB: a large vendor statement
        return httpx.Response(status, headers=headers, content=json.dumps(data).encode())
    return None


async def test_evidence_keeps_the_whole_statement_up_to_the_configured_limit() -> None:
    from conformance.targets import Target

    def roomy(target: Target) -> None:
        target.http = target.http.model_copy(update={"evidence_body_bytes": 1_000_000})

    for configure, whole in ((roomy, True), (None, False)):
        result = await run_against_sandbox(suites=["fhir-rest"], select=["fhir-rest.capability.metadata"],
                                           configure=configure,
                                           wrap_http=lambda inner: Rewrite(inner, _large_statement))
        metadata = next(r for r in result.results if r.id == "fhir-rest.capability.metadata")
        assert metadata.status is Status.PASS, metadata.message
        response = next(e.data["response"] for e in metadata.evidence if e.kind == "http")
        assert response["body_size"] > 150_000
        # Within the limit the whole body is kept, so the statement can be re-read from the report;
        # past it the evidence says it was cut (and keeps the full body's size and SHA-256).
        assert (len(response["body"]) == response["body_size"]) is whole
        assert bool(response.get("body_truncated")) is not whole
