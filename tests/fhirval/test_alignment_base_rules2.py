"""Base-step rules brought in line with HL7's source, second pass (s-fvalignb): each synthetic resource here
gave an error HL7 does not give, or lacked one HL7 gives, before its rule was aligned."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.validate import validate_resource


def _errors(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.defect, i.location, i.message) for i in validate_resource(resource, base_source()) if i.is_error]


def test_an_extension_whose_only_value_names_no_type_fails_ext1() -> None:
    # JsonParser drops 'valueCodeX' as unrecognised; ext-1 (extension.exists() != value.exists()) then fails on
    # what is left (fhir-test-cases list-extension2: "Unrecognized property" and ext-1 both)
    res = {"resourceType": "Basic", "code": {"text": "x"},
           "extension": [{"url": "http://example.org/ext", "valueCodeX": "a"}]}
    found = [(d, loc) for d, loc, _ in _errors(res)]
    assert ("invariant", "Basic.extension[0]") in found
    assert any(d == "unknown-element" for d, _ in found)
    ok = {"resourceType": "Basic", "code": {"text": "x"}, "extension": [{"url": "http://example.org/ext",
                                                                         "valueCode": "a"}]}
    assert not any(d == "invariant" for d, _, _ in _errors(ok))


def _reference_answer(reference: str, *allowed: str, assume: bool = True) -> list[tuple[str, str, str]]:
    q_item: dict[str, Any] = {"linkId": "q", "type": "reference", "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource", "valueCode": a}
        for a in allowed]}
    q = {"resourceType": "Questionnaire", "id": "q1", "status": "active", "item": [q_item]}
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "#q1", "contained": [q],
          "item": [{"linkId": "q", "answer": [{"valueReference": {"reference": reference}}]}]}
    issues = validate_resource(qr, base_source(), options=Options(assume_valid_rest_references=assume))
    return [(i.defect, i.location, i.message) for i in issues if i.is_error and i.defect == "questionnaire"]


def test_a_reference_answer_names_an_allowed_type_with_assume_valid_rest_references() -> None:
    # QuestionnaireValidator.validateQuestionnaireResponseItemReference (QUESTIONNAIRE_QR_ITEM_REF_INVALID): the
    # item's questionnaire-referenceResource codes (R5 ExtensionDefinitions.EXT_ALLOWEDRESOURCE) list the types
    where = "QuestionnaireResponse.item[0].answer[0].value.ofType(Reference)"
    assert [e[:2] for e in _reference_answer("Organization/1", "Patient", "Practitioner")] == [
        ("questionnaire", where)]
    assert _reference_answer("Patient/1", "Patient", "Practitioner") == []
    assert _reference_answer("Patient/1/_history/2", "Patient") == []  # HL7 would read "_history" as the type
    # QUESTIONNAIRE_QR_ITEM_REF_INVALID_GENERAL: without a list, any resource type
    assert [e[:2] for e in _reference_answer("https://example.org/Chicken/1")] == [("questionnaire", where)]
    assert _reference_answer("https://example.org/Patient/1") == []
    assert _reference_answer("#local") == [] and _reference_answer("nothing") == []


def test_a_reference_answer_is_not_judged_without_the_option() -> None:
    # HL7 runs the rule only with assumeValidRestReferences (default off)
    assert _reference_answer("Organization/1", "Patient", assume=False) == []
