"""A property given twice in one JSON object is an error to HL7's JSON parser (DUPLICATE_JSON_PROPERTY_KEY,
elementmodel.JsonParser.checkNotProcessed); json.loads alone keeps the last and says nothing."""

from __future__ import annotations

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes


def errors(text: str) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_bytes(text, base_source()) if i.is_error)


def test_a_property_given_twice_is_an_error() -> None:
    assert errors('{"resourceType": "Patient", "gender": "male", "name": [{"family": "F"}]}') == []
    assert errors('{"resourceType": "Patient", "gender": "male", "gender": "male"}') == [("json-duplicate", "Patient")]
    assert errors('{"resourceType": "Patient", "name": [{"family": "F", "family": "G"}]}') == [
        ("json-duplicate", "Patient.name[0]")]


def test_each_extra_occurrence_is_reported_at_its_objects_path() -> None:
    # HL7's JsonParser logs DUPLICATE_JSON_PROPERTY_KEY once per extra occurrence, at the parent element's path
    text = ('{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", '
            '"active": true, "active": true, "active": false}}, {"resource": {"resourceType": "Patient", '
            '"name": [{"text": "a"}, {"family": "F", "family": "G"}]}}]}')
    assert [e for e in errors(text) if e[0] == "json-duplicate"] == [
        ("json-duplicate", "Bundle.entry[0].resource"), ("json-duplicate", "Bundle.entry[0].resource"),
        ("json-duplicate", "Bundle.entry[1].resource.name[1]")]


def test_a_repeated_resource_type_is_passed_over_as_hl7_does() -> None:
    assert errors('{"resourceType": "Patient", "resourceType": "Patient"}') == []
