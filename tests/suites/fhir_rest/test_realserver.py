"""Against a real third-party server (Medplum's fhir-router, tests/realserver/NOTES.md): exact verdicts.

Its known deviations must fail exactly the checks they break, and nothing else may fail or error:
history order flips between calls, no next links, an unknown search parameter gives 0 results, an
unknown type searched at type level gives 200; XML and _revinclude are not declared, so they skip.
"""

from __future__ import annotations

import pytest

from conformance.model import Status
from tests.integration.realserver import medplum_server
from tests.suites.fhir_rest.helpers import run_result

pytestmark = pytest.mark.realserver

TYPES = ("patient", "practitioner", "organization", "location", "encounter", "observation", "condition",
         "allergyintolerance", "medicationrequest", "medicationstatement", "device", "documentreference")


async def test_verdicts_against_medplum() -> None:
    with medplum_server() as base:
        result = await run_result(None, base, run_id="realserver")
    status = {r.id: r for r in result.results}
    failed = {r.id for r in result.results if r.status is Status.FAIL}
    # Each fail is a fact observe.py re-checks by raw HTTP: history order flips, searchsets have no link
    # at all (no next, no self), unknown params give 0 results, GET of an unknown type is 200, and codes in
    # required bindings are not checked (gender 'bogus' gives 201; invalid-code is optional: a SHOULD).
    assert failed == {*(f"fhir-rest.crud.{t}.history" for t in TYPES), "fhir-rest.search.paging",
                      "fhir-rest.search.unknown-param", "fhir-rest.errors.unknown-type",
                      "fhir-rest.search.self-link", "fhir-rest.errors.invalid-code"}, {
        i: status[i].message for i in failed}
    assert {r.id for r in result.results if r.status is Status.SKIP} == {
        "fhir-rest.search.revinclude", "fhir-rest.format.xml"}
    assert not [r for r in result.results if r.status is Status.ERROR]
    assert "asked twice with nothing written between: the order changed" in status[
        "fhir-rest.crud.patient.history"].message
    assert "no next link" in status["fhir-rest.search.paging"].message
    assert "no self link" in status["fhir-rest.search.self-link"].message
    assert not status["fhir-rest.errors.invalid-code"].required
    assert "banana" in status["fhir-rest.errors.invalid-code"].message
    assert "GET NotARealType: expected 400 or 404" in status["fhir-rest.errors.unknown-type"].message
