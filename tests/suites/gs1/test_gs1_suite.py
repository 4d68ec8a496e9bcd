"""The gs1 suite's judging helpers, the sandbox's GS1 faults, and a run against a read-only target."""

from __future__ import annotations

import copy

import pytest

from conformance.gs1.fhir import GLN_SYSTEM, fhir_date
from conformance.model import Status
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import gs1 as sandbox_gs1
from suites.gs1.context import device, location, medication, patient
from suites.gs1.held import problems_of
from suites.gs1.roundtrip import same_day, same_hrf, same_text
from tests.integration.conftest import run_against_sandbox


def test_fhir_date_from_gs1_yymmdd() -> None:
    assert fhir_date("271130") == "2027-11-30"
    assert fhir_date("280200") == "2028-02-29"  # day 00: the last day of the month
    for bad in ("271330", "270231", "2711", "27113a"):
        with pytest.raises(ValueError):
            fhir_date(bad)


def test_judges_name_the_defect() -> None:
    assert same_text("x", "0123", ["0123"]) is None
    assert "leading zeros lost" in (same_text("x", "0123", ["123"]) or "")
    assert "truncated to 2 of 4" in (same_text("x", "ABCD", ["AB"]) or "")
    assert "JSON number" in (same_text("x", "0123", [123]) or "")
    assert "did not come back" in (same_text("x", "0123", []) or "")
    assert same_day("d", "2027-11-30", ["2027-11-30T00:00:00Z"]) is None
    assert "1 day earlier" in (same_day("d", "2027-11-30", ["2027-11-29"]) or "")
    hrf = device()["udiCarrier"][0]["carrierHRF"]
    assert same_hrf("h", hrf, [hrf]) is None
    assert "no longer validates" in (same_hrf("h", hrf, [hrf.replace("(", "").replace(")", "")]) or "")


def test_sandbox_without_faults_stores_gs1_data_unchanged() -> None:
    for build in (medication, device, patient, location):
        sent = build()
        assert sandbox_gs1.apply(copy.deepcopy(sent), parse_faults([])) == sent


def test_gln_fault_really_breaks_the_check_digit() -> None:
    stored = sandbox_gs1.apply(location(), parse_faults(["gs1-gln-check-digit-recomputed-wrong"]))
    assert stored["identifier"][0]["system"] == GLN_SYSTEM
    assert stored["identifier"][0]["value"] != location()["identifier"][0]["value"]
    assert problems_of({**stored, "id": "1"})


def test_held_data_of_what_the_suite_sends_is_valid() -> None:
    for build in (medication, device, patient, location):
        assert problems_of({**build(), "id": "1"}) == []


async def test_read_only_target_skips_writes_and_still_judges_held_data() -> None:
    result = await run_against_sandbox(faults=["gs1-holds-invalid-gtin"], suites=["gs1"], sandbox=False)
    status = {r.id: r for r in result.results}
    assert status["gs1.medication.create"].status is Status.SKIP
    assert status["gs1.held.valid"].status is Status.FAIL
    assert "check digit is 4, expected 3" in status["gs1.held.valid"].message
    assert not [r for r in result.results if r.status is Status.ERROR]
