"""Rules found by auditing HL7's InstanceValidator (issue 21, fvaud1): checkPrimitive is narrower than R4's published
regexes (a time has no fractional seconds) and lets a value of whitespace only pass with a warning (an error only under
a required binding); a contained resource must have an id (IdStatus.REQUIRED)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

_OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}


def found(resource: dict[str, Any], severity: str = "error") -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(resource, base_source())
                  if (i.is_error if severity == "error" else i.severity == severity))


def test_a_time_has_no_fractional_seconds() -> None:
    assert found({**_OBS, "valueTime": "12:00:00"}) == []
    assert found({**_OBS, "valueTime": "12:00:00.5"}) == [("primitive-format", "Observation.value.ofType(time)")]
    assert found({**_OBS, "effectiveDateTime": "2020-01-01T12:00:00.5Z"}) == []  # dateTime keeps them


def test_whitespace_only_is_a_warning() -> None:
    coded = {"resourceType": "Patient", "maritalStatus": {"coding": [{"system": "http://x.org/cs", "code": "  "}]}}
    assert found(coded) == []
    assert ("blank-value", "Patient.maritalStatus.coding[0].code") in found(coded, "warning")
    assert found({**_OBS, "effectiveDateTime": " "}) == []


def test_a_no_break_space_alone_is_no_blank_value_to_hl7() -> None:
    """StringUtils.isBlank tests Java's Character.isWhitespace, which NBSP, U+2007, U+202F and NEL are not: such a
    value is judged by its type (for a code, TYPE_SPECIFIC_CHECKS_DT_CODE_WS), not passed over as blank."""
    for odd in ("\u00a0", "\u0085", " \u202f "):
        coded = {"resourceType": "Patient", "maritalStatus": {"coding": [{"system": "http://x.org/cs", "code": odd}]}}
        assert found(coded) == [("primitive-format", "Patient.maritalStatus.coding[0].code")], repr(odd)
    ideographic = {"resourceType": "Patient", "maritalStatus": {"coding": [{"system": "http://x.org/cs",
                                                                            "code": "\u3000"}]}}
    assert found(ideographic) == []  # Java's whitespace too: blank, a warning


def test_whitespace_only_under_a_required_binding_is_an_error() -> None:
    assert found({"resourceType": "Patient", "gender": " "}) == [("code-invalid", "Patient.gender")]


def test_other_whitespace_in_a_code_is_still_an_error() -> None:
    assert found({"resourceType": "Patient", "gender": " male"}) == [("primitive-format", "Patient.gender")]


def test_a_code_has_single_spaces_only_between_its_tokens() -> None:
    def coded(code: str) -> dict[str, Any]:
        return {"resourceType": "Patient", "maritalStatus": {"coding": [{"system": "http://x.org/cs", "code": code}]}}
    assert found(coded("a b")) == []
    for bad in ("a\tb", "a\nb"):  # R4's regex lets a lone tab or newline through; HL7's whitespace rule does not
        assert found(coded(bad)) == [("primitive-format", "Patient.maritalStatus.coding[0].code")]
    # Unicode spaces are HL7's whitespace too (Utilities.isWhitespace): R4's own v2-0550 CodeSystem example ends
    # codes in NBSP, and HL7 judges it invalid (fhir-test-cases cs-v2-0550: "The code 'CHESTÂ ' is not valid")
    for bad in ("CHEST\u00c2\u00a0", "a\u00a0b", "a\u2003b", "\u3000a", "a\u0085"):
        assert found(coded(bad)) == [("primitive-format", "Patient.maritalStatus.coding[0].code")], repr(bad)
    assert found(coded("a\u200bb")) == []  # a zero-width space is not among HL7's whitespace



def test_a_contained_resource_needs_an_id() -> None:
    org = {"resourceType": "Organization", "name": "o"}
    patient = {"resourceType": "Patient", "contained": [{**org, "id": "o"}],
               "managingOrganization": {"reference": "#o"}}
    assert found(patient) == []
    assert ("resource-id", "Patient.contained[0]") in found({"resourceType": "Patient", "contained": [org]})


def test_the_one_megabyte_limit_is_a_strings_alone() -> None:
    big = "x" * 1_048_577
    assert found({"resourceType": "Questionnaire", "status": "draft", "description": big}) == []  # markdown
    assert found({"resourceType": "Questionnaire", "status": "draft", "title": big}) == [
        ("too-long", "Questionnaire.title")]
