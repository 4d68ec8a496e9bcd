"""gs1-bedside against the sandbox: declared capability drives item 4, the override policy, a read-only
target, and the sandbox's eMAR and chained search answering as a correct server does."""

from __future__ import annotations

import httpx

from conformance.model import Status
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.targets import BedsideSettings, Target
from suites.gs1_bedside.context import refusal_problem
from tests.integration.conftest import run_against_sandbox

MATCH = ("prescribe", "correct", "wrong-patient", "expired", "wrong-product")


def _no_emar(target: Target) -> None:
    target.bedside = BedsideSettings()


def _overrides(target: Target) -> None:
    target.bedside = BedsideSettings(emar=True, override_policy="record-with-reason")


async def test_without_declared_bedside_capability_item_4_skips_and_nothing_else_changes() -> None:
    result = await run_against_sandbox(suites=["gs1-bedside"], configure=_no_emar)
    status = {r.id: r for r in result.results}
    for name in MATCH:
        assert status[f"gs1-bedside.match.{name}"].status is Status.SKIP
    assert "[bedside] emar = true" in status["gs1-bedside.match.prescribe"].message
    assert all(r.status is Status.PASS for r in result.results if ".match." not in r.id)


async def test_override_policy_records_the_reason_and_still_requires_the_refusal() -> None:
    result = await run_against_sandbox(suites=["gs1-bedside"], configure=_overrides)
    assert {r.id: r.status for r in result.results if r.status is not Status.PASS} == {}
    broken = await run_against_sandbox(faults=["emar-accepts-wrong-patient"], suites=["gs1-bedside"],
                                       configure=_overrides)
    status = {r.id: r for r in broken.results}
    assert status["gs1-bedside.match.wrong-patient"].status is Status.FAIL
    assert "accepted silently" in status["gs1-bedside.match.wrong-patient"].message


async def test_read_only_target_skips_every_write_and_errors_none() -> None:
    result = await run_against_sandbox(suites=["gs1-bedside"], sandbox=False)
    assert not [r for r in result.results if r.status is Status.ERROR]
    assert {r.id for r in result.results if r.status is Status.PASS} == {"gs1-bedside.capability.metadata"}
    assert all(r.status is Status.SKIP for r in result.results if r.id != "gs1-bedside.capability.metadata")


async def test_missing_a_patient_in_a_recall_is_named_first() -> None:
    result = await run_against_sandbox(faults=["bedside-chain-first-medication-only"], suites=["gs1-bedside"])
    message = {r.id: r.message for r in result.results}["gs1-bedside.recall.by-lot"]
    assert " MISSED 1 patient(s)" in message and "a recall would not reach them" in message


def test_refusal_judge() -> None:
    class Stub:  # the judge reads status, content type, text and JSON only
        def __init__(self, status: int, body: dict[str, object] | None) -> None:
            self.status_code, self.body = status, body
            self.content_type = "application/fhir+json"
            self.text = "" if body is None else str(body)

        def json(self) -> object:
            if self.body is None:
                raise ValueError("no body")
            return self.body

    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "business-rule"}]}
    assert refusal_problem(Stub(422, outcome)) is None  # type: ignore[arg-type]
    assert "accepted silently" in (refusal_problem(Stub(201, {"resourceType": "MedicationAdministration"}))  # type: ignore[arg-type]
                                   or "")
    assert "no OperationOutcome" in (refusal_problem(Stub(422, None)) or "")  # type: ignore[arg-type]
    assert "no OperationOutcome" in (refusal_problem(Stub(400, {**outcome, "issue": [  # type: ignore[arg-type]
        {"severity": "warning", "code": "informational"}]})) or "")
    assert "neither an acceptance nor a refusal" in (refusal_problem(Stub(500, outcome)) or "")  # type: ignore[arg-type]


async def test_sandbox_emar_and_chained_search_over_http() -> None:
    app = create_app(parse_faults([]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sb.test/fhir/") as client:
        async def post(body: dict[str, object]) -> httpx.Response:
            return await client.post(str(body["resourceType"]), json=body)

        gtin = {"system": "https://www.gs1.org/gtin", "code": "09501101530003"}
        p = (await post({"resourceType": "Patient"})).json()["id"]
        q = (await post({"resourceType": "Patient"})).json()["id"]
        med = (await post({"resourceType": "Medication", "code": {"coding": [gtin]},
                           "batch": {"lotNumber": "L1", "expirationDate": "2099-01-01"}})).json()["id"]
        order = (await post({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                             "medicationCodeableConcept": {"coding": [gtin]},
                             "subject": {"reference": f"Patient/{p}"}})).json()["id"]
        given = {"resourceType": "MedicationAdministration", "status": "completed",
                 "medicationReference": {"reference": f"Medication/{med}"},
                 "request": {"reference": f"MedicationRequest/{order}"}, "effectiveDateTime": "2026-01-01"}
        assert (await post({**given, "subject": {"reference": f"Patient/{p}"}})).status_code == 201
        refused = await post({**given, "subject": {"reference": f"Patient/{q}"}})
        assert refused.status_code == 422 and refused.json()["issue"][0]["code"] == "business-rule"
        assert "not the prescription's patient" in refused.json()["issue"][0]["diagnostics"]
        found = (await client.get("MedicationAdministration", params={"medication.lot-number": "L1"})).json()
        assert [e["resource"]["subject"]["reference"] for e in found["entry"]] == [f"Patient/{p}"]
        assert (await client.get("MedicationAdministration", params={"medication.lot-number": "L2"})).json()[
            "total"] == 0
        has = (await client.get("Patient", params={"_has:MedicationAdministration:patient:medication":
                                                   f"Medication/{med}"})).json()
        assert [e["resource"]["id"] for e in has["entry"]] == [p]
        wrong = await client.get("Practitioner", params={"_has:MedicationAdministration:performer:status": "x"})
        assert wrong.status_code == 400 and wrong.json()["resourceType"] == "OperationOutcome"
        bad = await client.get("Patient", params={"name.family": "x"})
        assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"
