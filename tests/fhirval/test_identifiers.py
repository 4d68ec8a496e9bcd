"""Identifier rules from HL7's InstanceValidator.checkIdentifier (tuning case cs-bad-oid)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]


def patient(system: str, value: str = "x") -> dict[str, Any]:
    return {"resourceType": "Patient", "identifier": [{"system": system, "value": value}]}


def test_identifier_system_must_be_absolute() -> None:
    for system in ("http://example.org/mrn", "https://example.org/mrn", "urn:oid:2.16.840.1.113883.4.1", "ldap://x/o=y"):
        assert errors(patient(system)) == []
    assert errors(patient("mrn")) == [("identifier", "Patient.identifier[0]")]
    assert errors(patient("ftp://example.org/mrn")) == [("identifier", "Patient.identifier[0]")]


def test_rfc3986_identifier_value_must_be_a_full_uri() -> None:
    assert errors(patient("urn:ietf:rfc:3986", "urn:oid:2.16.840.1.113883.6.57")) == []
    assert errors(patient("urn:ietf:rfc:3986", "http://example.org/x")) == []
    assert errors(patient("urn:ietf:rfc:3986", "2.16.840.1.113883.6.57")) == [("identifier", "Patient.identifier[0]")]
    assert errors(patient("urn:ietf:rfc:3986", "file:x")) == [("identifier", "Patient.identifier[0]")]


def test_identifier_inside_a_datatype_and_a_choice() -> None:
    ref = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"identifier": {"system": "urn:ietf:rfc:3986", "value": "1.2.3"}}}
    assert errors(ref) == [("identifier", "Observation.subject.identifier")]


def test_rfc4122_identifier_value_must_be_a_uuid() -> None:
    system = "https://tools.ietf.org/html/rfc4122"
    assert errors(patient(system, "0733b27a-377b-4688-90be-eb7b9f462b91")) == []  # HL7: only a warning
    assert errors(patient(system, "urn:uuid:0733b27a-377b-4688-90be-eb7b9f462b91")) == []  # the same
    assert errors(patient(system, "12345")) == [("identifier", "Patient.identifier[0]")]
    assert errors(patient(system, "0733B27A-377B-4688-90BE-EB7B9F462B91")) == [("identifier", "Patient.identifier[0]")]
