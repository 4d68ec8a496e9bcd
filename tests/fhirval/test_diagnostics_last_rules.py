"""Rules of HL7's validator found through the last disagreements of the two diagnostic corpora
(bench/fhir_leftout_diagnostics.py, bench/fhir_other_versions_diagnostics.py; issue 21, fvov), each checked on a
small synthetic R4 resource that the validator judged wrongly before the rule, beside the case HL7 lets pass.
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.validate import validate_bytes, validate_resource
from conformance.fhirval.values import differences

SD = "http://hl7.org/fhir/StructureDefinition/"
ASSUME = Options(assume_valid_rest_references=True)


def errors(resource: dict[str, Any], options: Options | None = None) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source(), options=options)
            if i.is_error]


def raw_errors(data: bytes | str) -> list[tuple[str, str, str]]:
    return [(i.defect, i.location, i.message) for i in validate_bytes(data, base_source()) if i.is_error]


# ---- a reference answer's resource type (QuestionnaireValidator.validateQuestionnaireResponseItemReference) ------
def _response(item: dict[str, Any], *refs: str) -> dict[str, Any]:
    q = {"resourceType": "Questionnaire", "id": "q1", "status": "active",
         "item": [{"linkId": "q", "type": "reference", "repeats": True, **item}]}
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "#q1", "contained": [q],
            "item": [{"linkId": "q", "answer": [{"valueReference": {"reference": r}} for r in refs]}]}


def _judged(qr: dict[str, Any], options: Options | None = ASSUME) -> list[tuple[str, str]]:
    return [e for e in errors(qr, options) if e[0] == "questionnaire"]


def test_a_reference_answer_names_a_resource_type_with_assume_valid_rest_references() -> None:
    bad = _response({}, "https://example.org/Chicken/example")
    assert _judged(bad) == [("questionnaire", "QuestionnaireResponse.item[0].answer[0].value.ofType(Reference)")]
    assert _judged(bad, None) == []  # HL7 checks it only with the option
    assert _judged(_response({}, "https://example.org/Patient/example", "Patient/1/_history/2", "#x",
                             "Patient?identifier=1", "justanid")) == []


def test_a_reference_answer_is_one_of_the_questions_reference_resources() -> None:
    item = {"extension": [{"url": SD + "questionnaire-referenceResource", "valueCode": c}
                          for c in ("Patient", "Practitioner")]}
    assert _judged(_response(item, "Patient/a", "Practitioner/b")) == []
    found = _judged(_response(item, "Patient/a", "Organization/b"))
    assert found == [("questionnaire", "QuestionnaireResponse.item[0].answer[1].value.ofType(Reference)")]


# ---- a uri-like value breaking several of checkPrimitive's uri rules: one error for each -----------------------
def _params(kind: str, *values: str) -> dict[str, Any]:
    key = "value" + kind[:1].upper() + kind[1:]
    return {"resourceType": "Parameters", "parameter": [{"name": "p", key: v} for v in values]}


def test_each_uri_rule_an_oid_or_uuid_breaks_is_its_own_error() -> None:
    assert len(errors(_params("oid", "oid:0.1.2.3"))) == 2  # a bare oid:, and not urn:oid:
    assert len(errors(_params("oid", "urn:oid: 0.1.2.3"))) == 2  # a space, and not a valid OID
    assert len(errors(_params("oid", "urn:oid:a0.1.2.3", "0.1.2.3"))) == 2  # one each
    assert len(errors(_params("uuid", "uuid:c757873d-ec9a-4326-a141-556f43239520"))) == 2
    assert len(errors(_params("uri", "oid:0.1.2.3"))) == 1
    assert errors(_params("oid", "urn:oid:1.3.6.1.4.1")) == []
    assert errors(_params("uri", "urn:oid:2.16.840.1.113883")) == []


# ---- the narrative: txt-1 and XhtmlValidator's own errors, each as HL7 reports them ------------------------------
def _narrative(div: str) -> list[str]:
    basic = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": div}}
    return [d for d, loc in errors(basic) if loc == "Basic.text.div"]


def test_an_illegal_attribute_is_txt1_and_xhtml_validators_error() -> None:
    assert len(_narrative('<div xmlns="http://www.w3.org/1999/xhtml"><p onClick="x()">a</p></div>')) == 2
    assert len(_narrative('<div xmlns="http://www.w3.org/1999/xhtml"><p data-x="1">a</p></div>')) == 2
    assert _narrative('<div xmlns="http://www.w3.org/1999/xhtml"><p title="t">a</p></div>') == []


def test_every_illegal_element_and_its_attributes_are_reported() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><object value="1">a</object><form>b</form></div>'
    assert len(_narrative(div)) == 4  # txt-1 once; object, its value attribute, form


def test_a_foreign_namespace_is_its_own_error_not_txt1() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><n:p xmlns:n="http://www.w3.org/1999/xhtmlx">a</n:p></div>'
    assert len(_narrative(div)) == 1
    same = '<div xmlns="http://www.w3.org/1999/xhtml"><h:p xmlns:h="http://www.w3.org/1999/xhtml">a</h:p></div>'
    assert _narrative(same) == []


# ---- a conditional reference with a bad query in a Bundle entry (BaseValidator.getFromBundle) ----------------------
def _bundle(kind: str, ref: str) -> dict[str, Any]:
    obs = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"},
           "device": {"reference": ref}}
    entry: dict[str, Any] = {"fullUrl": "http://example.org/Observation/o", "resource": obs}
    if kind in ("transaction", "batch"):
        entry["request"] = {"method": "POST", "url": "Observation"}
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


def test_a_bad_conditional_query_in_a_transaction_is_also_no_search_url() -> None:
    formats = [e for e in errors(_bundle("transaction", "Device?identifier=1234&?==")) if e[0] == "reference-format"]
    assert len(formats) == 2  # REFERENCE_REF_QUERY_INVALID and Reference_REF_Format1
    assert [e for e in errors(_bundle("transaction", "Device?identifier=1234")) if e[0] == "reference-format"] == []
    for query, count in (("Device?identifier=1234&?==", 2), ("Device?identifier=1234", 1)):
        assert len([e for e in errors(_bundle("collection", query)) if e[0] == "reference-format"]) == count


# ---- a #id URL names something in its resource (validateReference, TYPE_SPECIFIC_CHECKS_DT_URL_INTERNAL) -----------
def _value_set(system: str, *contained: dict[str, Any]) -> dict[str, Any]:
    vs: dict[str, Any] = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": system}]}}
    if contained:
        vs["contained"] = list(contained)
    return vs


_CS = {"resourceType": "CodeSystem", "id": "cs", "status": "active", "content": "not-present"}


def test_a_fragment_system_with_no_target_is_an_error_and_no_contained_code_system() -> None:
    found = errors(_value_set("#cs1", _CS))
    assert ("reference-unresolved", "ValueSet.compose.include[0].system") in found
    assert ("value-set-rule", "ValueSet.compose.include[0]") in found  # VALUESET_INCLUDE_CS_NOT_FOUND
    ok = errors(_value_set("#cs", _CS))
    assert ("reference-unresolved", "ValueSet.compose.include[0].system") not in ok
    assert ("value-set-rule", "ValueSet.compose.include[0]") not in ok
    not_cs = errors(_value_set("#vs", {"resourceType": "ValueSet", "id": "vs", "status": "active"}))
    assert ("value-set-rule", "ValueSet.compose.include[0]") in not_cs  # VALUESET_INCLUDE_CS_NOT_CS


def test_a_fragment_canonical_is_an_error_a_fragment_uri_a_warning() -> None:
    q = {"resourceType": "Questionnaire", "status": "active",
         "item": [{"linkId": "a", "type": "choice", "answerValueSet": "#nowhere"}]}
    assert ("reference-unresolved", "Questionnaire.item[0].answerValueSet") in errors(q)
    q["contained"] = [{"resourceType": "ValueSet", "id": "nowhere", "status": "active"}]
    assert ("reference-unresolved", "Questionnaire.item[0].answerValueSet") not in errors(q)
    basic = {"resourceType": "Basic", "code": {"text": "x"}, "implicitRules": "#nothing"}
    issues = validate_resource(basic, base_source())
    assert [i.severity for i in issues if i.defect == "reference-unresolved"] == ["warning"]
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p id="nothing">x</p></div>'
    basic["text"] = {"status": "generated", "div": div}
    assert [i for i in validate_resource(basic, base_source()) if i.defect == "reference-unresolved"] == []


# ---- ext-1 on what HL7's parser keeps (an unrecognised value… property is no value) -------------------------------
def test_an_unrecognised_value_property_leaves_the_extension_without_a_value() -> None:
    def found(ext: dict[str, Any]) -> list[tuple[str, str]]:
        return errors({"resourceType": "Basic", "code": {"text": "x"}, "extension": [ext]})
    assert ("invariant", "Basic.extension[0]") in found({"url": "http://acme.com/x", "valueCodeX": "a"})
    assert found({"url": "http://acme.com/x", "valueCode": "a"}) == []
    assert found({"url": "http://acme.com/x", "_valueCode": {"extension": [{"url": "http://acme.com/y",
                                                                              "valueString": "b"}]}}) == []


# ---- a fixed or pattern CodeableConcept, part by part (InstanceValidator.checkCodeableConcept) --------------------
def test_a_fixed_codeable_concept_is_judged_by_its_text_and_each_coding() -> None:
    fixed = {"coding": [{"system": "http://loinc.org", "code": "35200-5", "display": "Cholesterol"}]}
    wrong = {"coding": [{"system": "http://loinc.org", "code": "13457-7", "display": "LDL"}], "text": "LDL"}
    assert sorted(w for w, _ in differences(fixed, wrong, False)) == [".coding[0].code", ".coding[0].display", ".text"]
    assert differences(fixed, {"coding": fixed["coding"]}, False) == []
    assert len(differences(fixed, {"coding": fixed["coding"] * 2}, False)) == 1  # the coding count
    # a pattern: each of its codings missing is one error; extra text and codings are allowed
    pattern = {"coding": [{"system": "http://a", "code": "1"}, {"system": "http://b", "code": "2"}]}
    assert len(differences(pattern, {"coding": [{"system": "http://c", "code": "3"}] * 2}, True)) == 2
    assert differences(pattern, {"coding": pattern["coding"] + [{"code": "x"}], "text": "t"}, True) == []


def test_an_unmatched_internal_meta_source_is_a_hint_or_with_for_publication_a_warning() -> None:
    """InstanceValidator ~3957: Meta.source (isNotHardErrorPathForInternal) is hinted, warned for publication."""
    from conformance.fhirval.base import base_source
    from conformance.fhirval.options import Options
    from conformance.fhirval.validate import validate_resource

    patient = {"resourceType": "Patient", "meta": {"source": "#nope"}}
    for options, severity in ((Options(), "information"), (Options(for_publication=True), "warning")):
        found = [i.severity for i in validate_resource(patient, base_source(), options=options)
                 if i.location == "Patient.meta.source"]
        assert found == [severity]
