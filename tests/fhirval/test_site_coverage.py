"""HL7 error rules raised at several call sites, of which an earlier pass implemented only some (fvsite9): each
synthetic case reaches one of the sites that was missing and is an error, as in HL7's validator; the valid
forms beside it stay valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.validate import validate_resource

UCUM = "http://unitsofmeasure.org"


def errors(res: dict[str, Any], source: LayeredSource | None = None, url: str | None = None) -> list[tuple[str, str]]:
    issues = validate_resource(res, source or base_source(), (url,) if url else ())
    return [(i.defect, i.location) for i in issues if i.is_error]


def _obs(**kw: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **kw}


def _profile(tmp_path: Path, rtype: str, *elements: dict[str, Any]) -> tuple[LayeredSource, str]:
    url = f"https://conformance.example/fhir/StructureDefinition/s-{rtype.lower()}"
    sd = {"resourceType": "StructureDefinition", "id": f"s-{rtype.lower()}", "url": url, "name": f"S{rtype}",
          "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
          "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}", "derivation": "constraint",
          "differential": {"element": list(elements)}}
    (tmp_path / "s.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path / "s.json"]), url


# InstanceValidator.checkQuantity -> checkCodedElement (the site after the binding, reached when no binding
# checked the code): TERMINOLOGY_TX_SYSTEM_RELATIVE and TERMINOLOGY_TX_SYSTEM_VALUESET2 on a Quantity

def test_a_quantity_with_a_relative_system_is_an_error() -> None:
    found = errors(_obs(valueQuantity={"value": 1, "system": "ucum", "code": "kg"}))
    assert found.count(("coding-system", "Observation.value.ofType(Quantity)")) == 1  # at the Quantity, as HL7's


def test_a_quantity_whose_system_is_a_value_set_is_an_error() -> None:
    vs = "http://hl7.org/fhir/ValueSet/ucum-units"
    found = errors(_obs(valueQuantity={"value": 1, "system": vs, "code": "kg"}))
    assert found.count(("coding-system", "Observation.value.ofType(Quantity)")) == 1


def test_quantity_systems_that_stay_valid() -> None:
    assert errors(_obs(valueQuantity={"value": 1, "system": UCUM, "code": "kg"})) == []
    assert errors(_obs(valueQuantity={"value": 1, "system": "urn:oid:2.16.840.1.113883.6.8", "code": "kg"})) == []
    assert errors(_obs(valueQuantity={"value": 1, "unit": "kg"})) == []  # no system: checkCodedElement not reached
    assert errors(_obs(valueQuantity={"value": 1, "system": "ucum"})) == []  # no code either
    # an Age is not a Quantity to checkChildByDefinition: checkQuantity is not called
    pat = {"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"display": "x"},
           "relationship": {"text": "x"}, "ageAge": {"value": 3, "system": "ucum", "code": "a"}}
    assert ("coding-system", "FamilyMemberHistory.age.ofType(Age)") not in errors(pat)


# InstanceValidator.checkQuantity: TYPE_SPECIFIC_CHECKS_DT_QTY_NO_QTY, at both the minValue and the maxValue site

def test_a_quantity_bound_that_is_not_a_quantity_is_an_error(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Observation", {
        "id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}],
        "minValueDecimal": 1, "maxValueInteger": 5})
    found = errors(_obs(valueQuantity={"value": 3, "system": UCUM, "code": "kg"}), source, url)
    assert found.count(("min-value", "Observation.value.ofType(Quantity)")) == 1
    assert found.count(("max-value", "Observation.value.ofType(Quantity)")) == 1
    # without a value HL7 only warns (TYPE_SPECIFIC_CHECKS_DT_QTY_MIN_VALUE_NO_VALUE) and goes no further
    assert errors(_obs(valueQuantity={"system": UCUM, "code": "kg"}), source, url) == []


def test_a_quantity_bound_that_is_a_quantity_stays_valid(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Observation", {
        "id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}],
        "minValueQuantity": {"value": 1, "system": UCUM, "code": "kg"}})
    assert errors(_obs(valueQuantity={"value": 3, "system": UCUM, "code": "kg"}), source, url) == []


# InstanceValidator.checkAttachment: TYPE_SPECIFIC_CHECKS_DT_ATT_SIZE_INVALID, at the Long.parseLong site and at
# the size >= 0 site, whether or not the Attachment has data

def _doc(attachment: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": attachment}]}


def test_a_negative_attachment_size_is_an_error_of_the_attachment() -> None:
    found = errors(_doc({"url": "http://example.org/a.pdf", "size": -1}))
    assert ("attachment", "DocumentReference.content[0].attachment") in found
    assert ("primitive-format", "DocumentReference.content[0].attachment.size") in found  # unsignedInt's own


def test_an_attachment_size_that_is_not_a_whole_number_is_an_error_of_the_attachment() -> None:
    found = errors(_doc({"url": "http://example.org/a.pdf", "size": 1.5}))
    assert ("attachment", "DocumentReference.content[0].attachment") in found


def test_attachment_sizes_that_stay_valid() -> None:
    assert errors(_doc({"url": "http://example.org/a.pdf", "size": 0})) == []
    assert errors(_doc({"url": "http://example.org/a.pdf", "size": 12345})) == []
    assert errors(_doc({"contentType": "text/plain", "data": "aGVsbG8=", "size": 5})) == []


# MeasureValidator.validateScore: MEASURE_MR_SCORE_FIXED at its sites under ratio and continuous-variable (the
# Measure's questionnaire-unit Coding), and the proportion's MEASURE_MR_SCORE_UNIT_PROHIBITED raised before
# MEASURE_MR_SCORE_VALUE_REQUIRED is looked at

def _unit_measure(scoring: str) -> dict[str, Any]:
    from tests.fhirval.test_measure_groups import measure
    m = measure(scoring)
    m["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                       "valueCoding": {"system": UCUM, "code": "mg"}}]
    return m


def test_a_score_in_another_unit_than_the_measure_states_is_an_error(tmp_path: Path) -> None:
    from tests.fhirval.test_agreement_classes import definitions
    from tests.fhirval.test_agreement_classes import errors as class_errors
    from tests.fhirval.test_measure_groups import FULL, report
    where = "MeasureReport.group[0].measureScore"
    for scoring in ("ratio", "continuous-variable"):
        (tmp_path / scoring).mkdir()
        source = definitions(tmp_path / scoring, _unit_measure(scoring))
        assert class_errors(report(FULL, {"value": 3, "system": UCUM, "code": "mg"}), source) == []
        assert class_errors(report(FULL, {"value": 3, "system": UCUM, "code": "g"}), source) == [
            ("measure-report", f"{where}.code")]
        assert class_errors(report(FULL, {"value": 3, "system": "http://x.org/u", "code": "mg"}), source) == [
            ("measure-report", where)]
        assert class_errors(report(FULL, {"value": 3, "unit": "milligram"}), source) == [("measure-report", where)]


def test_a_proportion_score_with_a_unit_and_no_value_is_two_errors(tmp_path: Path) -> None:
    from tests.fhirval.test_agreement_classes import definitions
    from tests.fhirval.test_agreement_classes import errors as class_errors
    from tests.fhirval.test_measure_groups import FULL, measure, report
    source = definitions(tmp_path, measure("proportion"))
    assert class_errors(report(FULL, {"unit": "%"}), source) == [
        ("measure-report", "MeasureReport.group[0].measureScore.unit"),
        ("measure-report", "MeasureReport.group[0].measureScore")]


# StructureDefinitionValidator.validateAdditionalBindingExtension: SD_ED_BIND_NOT_VS at its third site, the R4
# form of an additional binding (the tools additional-binding extension on a binding, its valueSet sub-extension)

def test_an_additional_binding_extension_naming_a_code_system_is_an_error() -> None:
    from tests.fhirval.test_structure_definition_rules import profile, rule_errors
    sd = profile()
    extra = {"url": "http://hl7.org/fhir/tools/StructureDefinition/additional-binding", "extension": [
        {"url": "purpose", "valueCode": "extensible"},
        {"url": "valueSet", "valueCanonical": "http://hl7.org/fhir/ValueSet/marital-status"}]}
    marital = {"id": "Patient.maritalStatus", "path": "Patient.maritalStatus",
               "binding": {"extension": [extra], "strength": "extensible",
                           "valueSet": "http://hl7.org/fhir/ValueSet/marital-status"}}
    sd["differential"]["element"].append(marital)
    assert rule_errors(sd) == []
    extra["extension"][1]["valueCanonical"] = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
    assert rule_errors(sd) == ["StructureDefinition.differential.element[1].binding.extension[0]"]


# StructureDefinitionValidator.validateElementDefinition: SD_ILLEGAL_CHARACTERISTICS at its sites other than the
# binding's (targetProfile, maxLength, minLength, minValue, maxValue, maxDecimalPlaces, maxSize)

def test_constraints_a_type_cannot_have_are_errors() -> None:
    from tests.fhirval.test_structure_definition_rules import profile, rule_errors
    sd = profile()
    elements = sd["differential"]["element"]
    elements += [
        {"id": "Patient.active", "path": "Patient.active", "type": [{"code": "boolean"}], "maxLength": 5},
        {"id": "Patient.maritalStatus", "path": "Patient.maritalStatus", "type": [{"code": "CodeableConcept"}],
         "minValueInteger": 1},
        {"id": "Patient.photo", "path": "Patient.photo", "type": [{"code": "Attachment"}], "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}]},
        {"id": "Patient.gender", "path": "Patient.gender", "type": [{"code": "code", "targetProfile": [
            "http://hl7.org/fhir/StructureDefinition/Patient"]}]}]
    at = "StructureDefinition.differential.element"
    # the targetProfile on a code is also validateTargetProfile's SD_ED_TYPE_NO_TARGET_PROFILE, at the profile
    assert sorted(rule_errors(sd)) == [f"{at}[1]", f"{at}[2]", f"{at}[3]", f"{at}[4]",
                                       f"{at}[4].type[0].targetProfile[0]"]


def test_constraints_the_types_allow_stay_valid() -> None:
    from tests.fhirval.test_structure_definition_rules import profile, rule_errors
    sd = profile()
    sd["differential"]["element"] += [
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "type": [{"code": "date"}], "maxLength": 10,
         "minValueDate": "1900-01-01"},
        {"id": "Patient.photo", "path": "Patient.photo", "type": [{"code": "Attachment"}], "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/maxSize", "valueDecimal": 1000}]},
        {"id": "Patient.generalPractitioner", "path": "Patient.generalPractitioner", "type": [
            {"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Practitioner"]}]},
        {"id": "Patient.name.family", "path": "Patient.name.family", "maxLength": 10}]  # no type stated
    assert rule_errors(sd) == []


# BundleValidator.validateBundle: BUNDLE_BUNDLE_ENTRY_NOFIRSTRESOURCE at its document and its message site

def test_a_document_or_message_whose_first_entry_has_no_resource_is_that_error_too() -> None:
    uuid = "urn:uuid:11111111-1111-1111-1111-111111111111"
    document = {"resourceType": "Bundle", "type": "document", "identifier": {"system": "urn:x", "value": "1"},
                "timestamp": "2020-01-01T00:00:00Z", "entry": [{"fullUrl": uuid}]}
    message = {"resourceType": "Bundle", "type": "message", "timestamp": "2020-01-01T00:00:00Z",
               "entry": [{"fullUrl": uuid}]}
    for bundle in (document, message):
        assert sorted(errors(bundle)) == [("invariant", "Bundle"), ("invariant", "Bundle.entry[0]"),
                                          ("invariant", "Bundle.entry[0]")]  # bdl-11/12, bdl-5 and this
    collection = {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": uuid}]}
    assert errors(collection) == [("invariant", "Bundle.entry[0]")]  # bdl-5 only
