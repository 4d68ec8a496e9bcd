"""The suites against a third FHIR server nobody here wrote: Asymmetrik's node-fhir-server-core 2.2.5 (npm)
with a tiny in-memory service (tests/realserver/NOTES.md, "The third server"). Expected verdicts are
derived from raw HTTP observed in this test, independently of the suites, so a wrong verdict fails it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from conformance.fhir.fixtures import TYPES
from conformance.model import CheckResult, RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import from_url
from tests.integration.realserver import asymmetrik_server

pytestmark = pytest.mark.realserver

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def observe(base: str) -> dict[str, Any]:
    """What the server does, by plain HTTP: the facts each expected verdict below is derived from."""
    seen: dict[str, Any] = {"bare_create": set(), "read_not_fhir_json": set(), "update_etag_bare": set()}
    with httpx.Client(base_url=base + "/", headers=FHIR_JSON, timeout=10) as http:
        metadata = http.get("metadata")
        seen["metadata_type"] = metadata.headers.get("content-type", "").split(";")[0]
        statement = metadata.json()
        seen["statement"] = statement
        for t in TYPES:
            made = http.post(t, json={"resourceType": t})
            assert made.status_code == 201, (t, made.status_code, made.text)
            location = made.headers.get("location", "")
            rid = location.rstrip("/").split("/")[-1]
            want = f"{base}/{t}/{rid}/_history/1"
            if urljoin(f"{base}/{t}", location) != want or not made.headers.get("etag", "").startswith(('W/"', '"')):
                seen["bare_create"].add(t)
            read = http.get(f"{t}/{rid}")
            if read.headers.get("content-type", "").split(";")[0] != "application/fhir+json":
                seen["read_not_fhir_json"].add(t)
            put = http.put(f"{t}/{rid}", json={"resourceType": t, "id": rid})
            if put.status_code in (200, 201) and not put.headers.get("etag", "").startswith(('W/"', '"')):
                seen["update_etag_bare"].add(t)
        # R4: deceased is `Patient.deceased.exists() and Patient.deceased != false`: a Patient without it
        # matches deceased=false. DocumentReference identifier is masterIdentifier | identifier.
        alive = http.post("Patient", json={"resourceType": "Patient", "name": [{"family": "Rawcheck"}]})
        alive_id = alive.headers["location"].rstrip("/").split("/")[-1]
        hits = http.get("Patient", params={"deceased": "false"}).json().get("entry") or []
        seen["deceased_false_misses"] = alive_id not in {e["resource"]["id"] for e in hits}
        http.post("DocumentReference", json={"resourceType": "DocumentReference", "status": "current",
                                             "identifier": [{"system": "urn:raw", "value": "RAW-1"}]})
        docs = http.get("DocumentReference", params={"identifier": "urn:raw|RAW-1"}).json()
        seen["identifier_misses"] = not docs.get("entry")
        paged = http.get("Patient", params={"_count": "1"}).json()
        seen["count_ignored"] = len(paged.get("entry") or []) > 1
        seen["bad_date_created"] = http.post("Patient", json={"resourceType": "Patient",
                                                              "birthDate": "1984-13-45"}).status_code == 201
        seen["bad_code_created"] = http.post("Patient", json={"resourceType": "Patient",
                                                              "gender": "banana"}).status_code == 201
    return seen


async def run_suites(base: str) -> dict[str, CheckResult]:
    registry = load_suites()
    target = from_url(base, sandbox=True)  # a fresh in-memory server the test started: writes allowed
    info = RunInfo(id="asymmetrik", started="", target=target.to_dict(), harness_version="test")
    runner = Runner(registry, concurrency=4, check_timeout=30)
    plan = build_plan(registry, ["fhir-rest", "fhir-profiles", "realtime", "security"], None)
    result = await runner.run(plan, target, info)
    return {r.id: r for r in result.results}


async def test_verdicts_against_asymmetrik() -> None:
    with asymmetrik_server() as base:
        seen = observe(base)
        got = await run_suites(base)
    assert not {i: r.message for i, r in got.items() if r.status is Status.ERROR}
    statement = seen["statement"]
    resources = statement["rest"][0]["resource"]
    expected: set[str] = set()
    # Its statement gives rest.resource.profile as {"reference": ...} (STU3's shape; R4 has a canonical):
    # invalid R4, but every declaration the suites read parses, so it is judged on, not skipped.
    if any(isinstance(r.get("profile"), dict) for r in resources):
        expected.add("fhir-rest.capability.valid")
    if seen["metadata_type"] != "application/fhir+json":
        expected.add("fhir-rest.format.accept-json")
    # Location '4_0_1/<T>/<id>' (relative to the host root, no _history: it resolves under /4_0_1/4_0_1/)
    # and ETag '1' unquoted: the resource is created all the same, so only the headers check fails.
    expected |= {f"fhir-rest.crud.{t.lower()}.create-headers" for t in seen["bare_create"]}
    expected |= {f"fhir-rest.crud.{t.lower()}.read" for t in seen["read_not_fhir_json"]}
    expected |= {f"fhir-rest.crud.{t.lower()}.update" for t in seen["update_etag_bare"]}
    if seen["deceased_false_misses"]:  # its parameter table maps deceased to Patient.deceasedBoolean only
        expected.add("fhir-rest.search.patient.token")
    if seen["identifier_misses"]:  # ... and DocumentReference identifier to masterIdentifier only
        expected.add("fhir-rest.search.documentreference.token")
    if seen["count_ignored"]:  # _count is not among its parameters: dropped, every match returned
        expected.add("fhir-rest.search.paging")
    if seen["bad_date_created"]:
        expected.add("fhir-rest.errors.invalid-resource")
    if seen["bad_code_created"]:
        expected.add("fhir-rest.errors.invalid-code")
    failed = {i for i, r in got.items() if r.status is Status.FAIL}
    assert failed == expected, {i: got[i].message for i in failed ^ expected if i in got}
    # Skips only for what the statement does not declare (none of these is in it) or the target file
    # does not claim (no auth, no profiles, no Subscription): never for a lack of the harness.
    patient = next(r for r in resources if r["type"] == "Patient")
    assert not {"conditionalCreate", "versioning", "searchInclude", "searchRevInclude"} & set(patient)
    assert "xml" not in str(statement.get("format"))
    assert "Subscription" not in {r["type"] for r in resources}
    skipped = {i for i, r in got.items() if r.status is Status.SKIP}
    assert skipped - {i for i in skipped if i.startswith(("realtime.", "security."))} == {
        "fhir-rest.crud.conditional-create", "fhir-rest.crud.if-match", "fhir-rest.search.include",
        "fhir-rest.search.revinclude", "fhir-rest.format.xml", "fhir-profiles.claimed.valid",
        "fhir-profiles.must-support.seen"}, {i: got[i].message for i in skipped}
    assert "not declared" in got["fhir-rest.crud.if-match"].message
    assert "does not declare Subscription" in got["realtime.subscription.declared"].message
    # The verdicts say what came back, so a vendor can act on them.
    assert "'4_0_1/Patient/" in got["fhir-rest.crud.patient.create-headers"].message
    assert "(got '2')" in got["fhir-rest.crud.patient.update"].message
    assert "profile" in got["fhir-rest.capability.valid"].message
    assert "deceased" in got["fhir-rest.search.patient.token"].message
    assert got["fhir-rest.crud.patient.history"].status is Status.PASS  # judged despite the update's ETag
