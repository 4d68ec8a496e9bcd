"""The walk's shortcuts (a quiet scalar checked inline in ``object()``, string/markdown without their any-text
regex, a day up to 28 without the calendar, is-resource asked only for an id or a resourceType) find what the
general path finds, at the same place: each case here went through the general path before they existed."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.primitives import check_primitive
from conformance.fhirval.validate import validate_resource


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error)


@pytest.mark.parametrize("value", ["a", "line\nbreak", "form\x0cfeed", "tab\tand\x0bvertical", " padded ", "é"])
def test_any_non_empty_text_is_a_string_and_markdown(value: str) -> None:
    assert check_primitive("string", value) is None
    assert check_primitive("markdown", value) is None


def test_string_keeps_its_empty_and_json_type_errors() -> None:
    assert check_primitive("string", "")[0] == "empty-value"  # type: ignore[index]
    assert check_primitive("string", 5)[0] == "json-type"  # type: ignore[index]


@pytest.mark.parametrize(("fhir_type", "value", "valid"), [
    ("date", "2023-02-28", True), ("date", "2024-02-29", True), ("date", "2023-02-29", False),
    ("date", "2023-04-30", True), ("date", "2023-04-31", False), ("date", "2023-01-31", True),
    ("dateTime", "2023-02-29T10:00:00Z", False), ("dateTime", "2023-12-31T23:59:59+01:00", True),
    ("instant", "2100-02-29T00:00:00Z", False), ("instant", "2000-02-29T00:00:00Z", True), ("date", "2023-02", True),
])
def test_days_past_the_months_end_are_still_errors(fhir_type: str, value: str, valid: bool) -> None:
    assert (check_primitive(fhir_type, value) is None) is valid


def test_quiet_scalars_are_judged_inline_at_their_place() -> None:
    patient = {"resourceType": "Patient", "active": "yes", "gender": True, "birthDate": "2023-02-30",
               "name": [{"family": 5, "text": "ok"}], "multipleBirthInteger": 1.5}
    expected = [  # as main 466c884 reported them, before the inline path
        ("json-type", "Patient.active"), ("json-type", "Patient.gender"),
        ("json-type", "Patient.multipleBirth.ofType(integer)"), ("json-type", "Patient.name[0].family"),
        ("primitive-format", "Patient.birthDate")]
    # the first walk learns which elements are quiet (Node.quiet); only the second takes the inline path
    assert errors(patient) == expected
    assert errors(patient) == expected


def test_the_inline_path_leaves_strings_to_the_options_that_screen_them() -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "<b>x</b><i>y</i>"}]}
    for _ in range(2):  # the second walk would take the inline path for family, a quiet string
        found = [(i.defect, i.location) for i in validate_resource(patient, base_source(),
                                                                   options=Options(security_checks=True))
                 if i.is_error]
        assert ("security", "Patient.name[0].family") in found


def test_ids_and_resource_types_are_judged_where_they_stand() -> None:
    patient = {"resourceType": "Patient", "id": "p", "name": [{"id": "n", "family": "F"}, {"id": "n", "text": "G"}],
               "contact": [{"name": {"resourceType": "HumanName", "text": "x"}}],
               "contained": [{"resourceType": "Organization", "id": "o", "name": "O"}],
               "managingOrganization": {"reference": "#o"}}
    assert errors(patient) == [("duplicate-id", "Patient.name[1]"),
                               ("unknown-element", "Patient.contact[0].name.resourceType")]


def test_a_quiet_uri_still_judges_its_internal_hash_urls() -> None:
    """Coding.system and Identifier.system are quiet (their only value rule is the internal ``#id`` one,
    Node.hash_rule): a value that starts with "#" still reaches internal_urls, on every walk; the first walk
    (the general path) and the later ones (the quiet path for plain values) find the same."""
    patient = {"resourceType": "Patient", "identifier": [{"system": "#nowhere", "value": "1"},
                                                         {"system": "urn:oid:1.2.3.4.5", "value": "2"}],
               "maritalStatus": {"coding": [{"system": "http://example.org/cs", "code": "M"}]}}
    hashed = {"resourceType": "Patient", "maritalStatus": {"coding": [{"system": "#x", "code": "M"}]}}

    def found(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(i.severity, i.defect, i.location) for i in validate_resource(resource, base_source())]

    first_patient, first_hashed = found(patient), found(hashed)
    assert ("warning", "reference-unresolved", "Patient.identifier[0].system") in first_patient
    assert ("warning", "reference-unresolved", "Patient.maritalStatus.coding[0].system") in first_hashed
    for _ in range(2):
        assert found(patient) == first_patient
        assert found(hashed) == first_hashed
