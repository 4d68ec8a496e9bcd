"""Coding.system forms HL7's InstanceValidator.checkCode refuses when no code system answers for them (errors
there, offline or not): each synthetic Coding fails without the rule; the forms beside them stay valid."""

from __future__ import annotations

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource


def system_errors(system: str, code: str = "x") -> list[tuple[str, str]]:
    res = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": system, "code": code}]}}
    return [(i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error]


@pytest.mark.parametrize("system", [
    "http://build.fhir.org/codesystem-usage-context-type",  # TERMINOLOGY_TX_SYSTEM_WRONG_BUILD
    "http://hl7.org/fhir/observation-status.html",  # TERMINOLOGY_TX_SYSTEM_WRONG_HTML
    "http://snomed.info/sct/900000000000207008",  # TERMINOLOGY_TX_SYSTEM_INVALID
    "http://loinc.org/",
    "https://loinc.org",  # TERMINOLOGY_TX_SYSTEM_HTTPS (NO_HTTPS_LIST)
    "https://terminology.hl7.org/CodeSystem/v3-ActCode",  # https for a system held by http
])
def test_system_refused(system: str) -> None:
    assert system_errors(system) == [("coding-system", "Observation.code.coding[0].system")]


@pytest.mark.parametrize("system", [
    "http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10",
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",  # an IG's own: its package, or a server, knows it
    "http://hl7.org/fhir/test-codes", "https://example.org/codes", "urn:oid:1.2.3.4",
    # TERMINOLOGY_TX_SYSTEM_UNKNOWN only without a server that supports it; HL7's runs have one (R5's systems...)
    "http://hl7.org/fhir/fhir-types",
])
def test_system_left_alone(system: str) -> None:
    assert system_errors(system) == []
