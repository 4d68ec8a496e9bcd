"""A meta.profile named by a version-specific core URL (InstanceValidator.start, issue 21 rule matrix).

``http://hl7.org/fhir/4.0/StructureDefinition/X`` on a resource that is not an X is VALIDATION_VAL_PROFILE_THIS_
VERSION_OTHER, an error; the resource's own base definition so named, or another FHIR version's URL, is only noted.
Before the rule all three were an unknown profile (a warning).
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.meta_rules import version_url
from conformance.fhirval.validate import validate_resource


def found(profile: str) -> list[tuple[str, str, str]]:
    res: dict[str, Any] = {"resourceType": "Patient", "meta": {"profile": [profile]}}
    return [(i.severity, i.defect, i.location) for i in validate_resource(res, base_source())
            if i.defect != "invariant"]


def test_another_types_r4_url_is_an_error() -> None:
    assert found("http://hl7.org/fhir/4.0/StructureDefinition/Observation") == [
        ("error", "profile-type", "Patient.meta.profile[0]")]


def test_own_base_and_other_versions_are_noted() -> None:
    assert found("http://hl7.org/fhir/4.0/StructureDefinition/Patient") == [
        ("information", "profile-version", "Patient.meta.profile[0]")]
    assert found("http://hl7.org/fhir/3.0/StructureDefinition/Observation") == [
        ("information", "profile-version", "Patient.meta.profile[0]")]


def test_parse_version_url_as_hl7() -> None:
    assert version_url("http://hl7.org/fhir/5.0/StructureDefinition/Patient") == (
        "5.0", "http://hl7.org/fhir/StructureDefinition/Patient")
    assert version_url("http://hl7.org/fhir/StructureDefinition/Patient") is None
    assert version_url("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient") is None
    assert version_url("http://hl7.org/fhir/4.0") is None
