"""A terminology server's ``$validate-code`` behind the seam (tx_client.py), mocked with respx: no real network."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.tx_client import TxServer, answer_of, parameters
from conformance.fhirval.tx_service import TxCoding, TxRequest, TxValueSet
from conformance.fhirval.validate import validate_resource

BASE = "http://127.0.0.1:9/fhir"  # loopback, and mocked: never reached
LOINC = "http://loinc.org"


def _wrong_display() -> dict[str, Any]:
    issue = {"severity": "error", "code": "invalid", "expression": ["CodeableConcept.coding[0].display"],
             "details": {"text": "Wrong Display Name 'Glucose' for http://loinc.org#2339-0",
                         "coding": [{"system": "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type",
                                     "code": "invalid-display"}]}}
    return {"resourceType": "Parameters", "parameter": [
        {"name": "result", "valueBoolean": False},
        {"name": "message", "valueString": "Wrong Display Name 'Glucose' for http://loinc.org#2339-0"},
        {"name": "issues", "resource": {"resourceType": "OperationOutcome", "issue": [issue]}}]}


def _observation() -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "2339-0", "display": "Glucose"}]}}


def _displays(options: Options) -> list[tuple[str, str]]:
    return [(i.severity, i.location) for i in validate_resource(_observation(), base_source(), options=options)
            if i.defect == "code-display"]


@respx.mock(assert_all_called=True)
def test_a_server_answer_is_read_as_hl7_reads_it(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{BASE}/CodeSystem/$validate-code").mock(
        return_value=httpx.Response(200, json=_wrong_display()))
    assert _displays(Options(wrong_displays="error")) == []
    assert _displays(Options(wrong_displays="error", tx_server=BASE)) == [
        ("error", "Observation.code.coding[0].display")]
    sent = json.loads(route.calls.last.request.content)
    assert sent["parameter"][0] == {"name": "codeableConcept", "valueCodeableConcept": {
        "coding": [{"system": LOINC, "code": "2339-0", "display": "Glucose"}]}}
    assert {"name": "displayLanguage", "valueCode": "en-US"} in sent["parameter"]


@respx.mock
def test_a_failing_server_gives_a_server_error_not_a_verdict(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{BASE}/ValueSet/$validate-code").mock(return_value=httpx.Response(500, text="down"))
    server = TxServer(BASE)
    request = TxRequest((TxCoding(LOINC, "2339-0"),), value_set=TxValueSet("http://x.org/vs", "1"))
    answer = server.validate(request)
    assert answer is not None and answer.error_class == "SERVER_ERROR" and "HTTP 500" in (answer.message or "")


def test_parameters_and_results() -> None:
    sent = parameters(TxRequest((TxCoding(None, "application/pdf"),), value_set=TxValueSet("http://x.org/vs", "1")))
    names = [p["name"] for p in sent["parameter"]]
    assert names == ["coding", "inferSystem", "url", "valueSetVersion", "displayLanguage"]
    unknown = answer_of({"resourceType": "Parameters", "parameter": [
        {"name": "result", "valueBoolean": False}, {"name": "x-caused-by-unknown-system", "valueCanonical": "http://a"}]})
    assert unknown is not None and unknown.error_class == "CODESYSTEM_UNSUPPORTED" and not unknown.ok
    fine = answer_of({"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": True}]})
    assert fine is not None and fine.ok and fine.severity is None
    assert answer_of({"resourceType": "OperationOutcome"}) is None
