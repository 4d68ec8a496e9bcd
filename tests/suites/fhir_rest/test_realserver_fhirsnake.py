"""The suites against a second FHIR server nobody here wrote: fhirsnake 1.1.0 from PyPI (beda-software), a
minimal FastAPI server over files (tests/realserver/NOTES.md, "fhirsnake"). Expected verdicts are derived
from raw HTTP observed in this test, independently of the suites, so a wrong verdict fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import from_url
from tests.integration.realserver import fhirsnake_server

pytestmark = pytest.mark.realserver

PATIENT = {"resourceType": "Patient", "id": "synthetic-1", "name": [{"family": "Synthetic", "given": ["Test"]}],
           "gender": "female", "birthDate": "1980-01-01"}


async def test_verdicts_against_fhirsnake(tmp_path: Path) -> None:
    (tmp_path / "resources" / "Patient").mkdir(parents=True)
    (tmp_path / "resources" / "Patient" / "synthetic-1.json").write_text(json.dumps(PATIENT))
    with fhirsnake_server(tmp_path) as base:
        # Raw observation, independent of the suites: what GET [base]/metadata really answers.
        raw = httpx.get(f"{base}/metadata", headers={"Accept": "application/fhir+json"}, timeout=10)
        observed = raw.json()
        unknown_type = httpx.get(f"{base}/NotARealType", timeout=10)
        registry = load_suites()
        target = from_url(base, sandbox=False)  # read only: nothing is written to it
        info = RunInfo(id="fhirsnake", started="", target=target.to_dict(), harness_version="test")
        runner = Runner(registry, concurrency=4, check_timeout=30)
        result = await runner.run(build_plan(registry, ["fhir-rest", "fhir-profiles", "realtime", "security"],
                                             None), target, info)
    got = {r.id: r for r in result.results}
    assert not [r.id for r in result.results if r.status is Status.ERROR], {
        r.id: r.message for r in result.results if r.status is Status.ERROR}
    # fhirsnake routes GET /metadata as a search of a type called "metadata": 200 and an empty searchset
    # Bundle, not a CapabilityStatement (its statement is at GET [base]/, outside R4's http.html#capabilities).
    assert raw.status_code == 200 and observed.get("resourceType") == "Bundle"
    metadata = got["fhir-rest.capability.metadata"]
    assert metadata.status is Status.FAIL and "'Bundle'" in metadata.message and metadata.evidence
    assert got["fhir-profiles.capability.metadata"].status is Status.FAIL
    expected = {"fhir-rest.capability.metadata", "fhir-profiles.capability.metadata",
                "realtime.subscription.declared",  # the same Bundle, judged by each suite's own metadata read
                "realtime.subscription.topics-discoverable"}  # (optional) which reads it for declared topics
    # It answers application/json, never application/fhir+json, whatever the Accept header.
    if raw.headers.get("content-type", "").split(";")[0] != "application/fhir+json":
        expected.add("fhir-rest.format.accept-json")
    # An unknown type is routed like any other: 200 and an empty searchset (R4: 400/404 with an outcome).
    if unknown_type.status_code == 200:
        expected.add("fhir-rest.errors.unknown-type")
    # Every other check built on the statement is not judged (skip naming the root cause), never failed.
    failed = {r.id for r in result.results if r.status is Status.FAIL}
    assert failed == expected, {i: got[i].message for i in failed ^ expected if i in got}
    assert "not a CapabilityStatement" in got["realtime.subscription.declared"].message
    assert "application/json" in got["fhir-rest.format.accept-json"].message
    for r in result.results:
        if r.status is Status.SKIP:
            assert len(r.message.split()) >= 4, (r.id, r.message)
