"""A property given twice in one JSON object is an error to HL7's JSON parser (DUPLICATE_JSON_PROPERTY_KEY,
elementmodel.JsonParser.checkNotProcessed); json.loads alone keeps the last and says nothing."""

from __future__ import annotations

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes


def errors(text: str) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_bytes(text, base_source()) if i.is_error)


def test_a_property_given_twice_is_an_error() -> None:
    assert errors('{"resourceType": "Patient", "gender": "male", "name": [{"family": "F"}]}') == []
    assert errors('{"resourceType": "Patient", "gender": "male", "gender": "male"}') == [("json-duplicate", "")]
    assert errors('{"resourceType": "Patient", "name": [{"family": "F", "family": "G"}]}') == [("json-duplicate", "")]


def test_a_repeated_resource_type_is_passed_over_as_hl7_does() -> None:
    assert errors('{"resourceType": "Patient", "resourceType": "Patient"}') == []
