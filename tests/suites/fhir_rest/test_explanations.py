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
