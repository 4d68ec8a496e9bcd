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


def test_an_oid_breaking_two_of_hl7s_uri_rules_is_two_errors() -> None:
    # InstanceValidator.checkPrimitive runs each uri rule on its own (fhir-test-cases primitive-bad: 'oid:0.1.2.3'
    # is TYPE_SPECIFIC_CHECKS_DT_URI_OID and _OID_START, 'urn:oid: 0.1.2.3' _URI_WS and _OID_VALID)
    def oid_errors(value: str) -> list[tuple[str, str, str]]:
        res = {"resourceType": "Basic", "code": {"text": "x"}, "identifier": [{"system": value, "value": "1"}]}
        return [e for e in _errors(res) if e[0] == "primitive-format"]

    assert len(oid_errors("oid:0.1.2.3")) == 1  # a uri, not an oid: no _OID_START
    assert len(oid_errors("urn:oid: 0.1.2.3")) == 2
    assert len(oid_errors("urn:oid:a0.1.2.3")) == 1 and oid_errors("urn:oid:2.16.840.1.113883") == []


def test_an_oid_typed_value_without_its_scheme_is_one_error() -> None:
    res = {"resourceType": "Parameters", "parameter": [{"name": "a", "valueOid": "0.1.2.3"},
                                                       {"name": "b", "valueOid": "oid:0.1.2.3"}]}
    found = [loc for d, loc, _ in _errors(res) if d == "primitive-format"]
    assert found == ["Parameters.parameter[0].value.ofType(oid)"] + ["Parameters.parameter[1].value.ofType(oid)"] * 2


def test_a_primitive_with_neither_value_nor_child_is_ele1_and_valueext() -> None:
    # InstanceValidator.checkPrimitive: TYPE_SPECIFIC_CHECKS_DT_PRIMITIVE_VALUEEXT when the value is null and the
    # element has no children; an id is a child (ele-1 alone); an unknown property is dropped by the parser, so it
    # is none, but for "value", which JsonParser keeps as the primitive's own (Observation-ex-pain.json: only
    # "The property 'value' is invalid")
    def found(shadow: dict[str, Any]) -> list[str]:
        res = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "_valueInteger": shadow}
        return sorted(d for d, loc, _ in _errors(res) if loc.startswith("Observation.value"))

    assert found({}) == ["empty-value", "invariant"]
    assert found({"foo": 0}) == ["empty-value", "invariant", "unknown-element"]
    assert found({"value": 0}) == ["unknown-element"]
    assert found({"id": "a"}) == ["invariant"]
    assert found({"extension": [{"url": "http://example.org/x", "valueString": "y"}]}) == []
