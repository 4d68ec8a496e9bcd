"""False alarms found on the R4 specification's own examples (issue 21, bench/fhir_examples_alarms.py), and one
met beside them in HL7's validator's source (extensions on fixed/pattern/example values), each pinned with a
small synthetic resource that failed before the fix, next to one HL7's validator still rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
UCUM = "http://unitsofmeasure.org"


# ---- a type with dots: R4's data elements ("Immunization.education.id") --------------------------------

def _dotted_logical(rtype: str, paths: list[str]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": f"http://example.org/sd/{rtype}", "name": "Dotted",
            "status": "draft", "kind": "logical", "abstract": False, "type": rtype,
            "baseDefinition": CORE + "Element", "derivation": "specialization",
            "differential": {"element": [{"id": p, "path": p, "min": 0, "max": "1"} for p in paths]}}


def test_element_path_equal_to_a_dotted_type_is_the_type(tmp_path: Path) -> None:
    source = definitions(tmp_path)
    sd = _dotted_logical("Foo.bar", ["Foo.bar", "Foo.bar.a"])
    # The bare type is HL7's SD_TYPE_NOT_LOCAL (kept); the paths are its SD_PATH_TYPE_MISMATCH, which they pass.
    assert [e for e in errors(sd, source) if e[0] == "structure-type"] == [
        ("structure-type", "StructureDefinition.type")]
    wrong = _dotted_logical("Foo.bar", ["Foo.bar", "Foo.barx", "Foo.a"])
    assert [e for e in errors(wrong, source) if e[0] == "structure-type"] == [
        ("structure-type", "StructureDefinition.type"),
        ("structure-type", "StructureDefinition.differential.element[1]"),
        ("structure-type", "StructureDefinition.differential.element[2]")]


# ---- extension contexts HL7's validator widens (fixContexts) -------------------------------------------

def _value_set(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": "http://example.org/vs/x", "status": "draft", **extra}


def test_normative_version_may_stand_on_any_definition() -> None:
    ext = {"url": CORE + "structuredefinition-normative-version", "valueCode": "4.0.0"}
    assert errors(_value_set(extension=[ext])) == []


def test_regex_may_stand_on_element_definition_type() -> None:
    regex = {"url": CORE + "regex", "valueString": "[a-z]+"}
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/p", "name": "P", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": CORE + "Patient",
          "derivation": "constraint",
          "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender",
                                        "type": [{"code": "code", "extension": [regex]}]}]}}
    assert [e for e in errors(sd) if e[0] == "extension-context"] == []


def test_capability_expectation_may_stand_anywhere_in_r4() -> None:
    # R4 lists eight places (interaction, searchParam, ...); a resource's expectation is none of them
    expectation = {"url": CORE + "capabilitystatement-expectation", "valueCode": "SHALL"}
    cs = {"resourceType": "CapabilityStatement", "status": "draft", "date": "2020-01-01", "kind": "instance",
          "fhirVersion": "4.0.1", "format": ["json"], "implementation": {"description": "x"},
          "rest": [{"mode": "server", "resource": [{"type": "Patient", "extension": [expectation],
                                                    "interaction": [{"code": "read"}]}]}]}
    assert [e for e in errors(cs) if e[0] == "extension-context"] == []


def test_extension_outside_every_context_is_still_an_error() -> None:
    # translation's context is string, code, markdown: on expansion.contains itself (as R4's expansions bundle
    # has it) HL7's validator says it is not allowed, and so do we.
    translation = {"url": CORE + "translation", "extension": [{"url": "lang", "valueCode": "nl"},
                                                              {"url": "content", "valueString": "x"}]}
    vs = _value_set(expansion={"timestamp": "2020-01-01", "contains": [
        {"system": "http://example.org/cs", "code": "a", "extension": [translation]}]})
    assert errors(vs) == [("extension-context", "ValueSet.expansion.contains[0].extension[0]")]


def test_context_of_a_choice_element_is_its_type() -> None:
    ordinal = {"url": CORE + "ordinalValue", "valueDecimal": 2}
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "apgar"},
           "component": [{"code": {"text": "colour"}, "valueCodeableConcept": {
               "coding": [{"system": "http://example.org/cs", "code": "2", "extension": [ordinal]}]}}]}
    assert errors(obs) == []
    obs["component"][0]["valueCodeableConcept"]["extension"] = [ordinal]  # a CodeableConcept is not a Coding
    assert errors(obs) == [("extension-context", "Observation.component[0].value.ofType(CodeableConcept).extension[0]")]


# ---- UCUM annotations are free text ----------------------------------------------------------------------

def _quantity(code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "valueQuantity": {"value": 1, "unit": code, "system": UCUM, "code": code}}


def test_ucum_annotation_may_hold_spaces_and_signs() -> None:
    assert errors(_quantity("{# of calculi}")) == []
    assert errors(_quantity("%{Negative Control}")) == []
    assert errors(_quantity("mg /d")) == [("code-unknown", "Observation.value.ofType(Quantity)")]
    assert errors(_quantity("{\u00e9}")) == [("code-unknown", "Observation.value.ofType(Quantity)")]


def _observation_profile(element: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/obs", "name": "Obs",
            "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
            "baseDefinition": CORE + "Observation", "derivation": "constraint",
            "differential": {"element": [{"id": "Observation.code", "path": "Observation.code", **element}]}}


def test_fixed_pattern_and_example_values_may_carry_any_extension() -> None:
    birth_time = {"url": CORE + "patient-birthTime", "valueDateTime": "2020-01-01T10:00:00Z"}  # Patient.birthDate's
    for element in ({"patternCodeableConcept": {"text": "x", "extension": [birth_time]}},
                    {"fixedCodeableConcept": {"text": "x", "extension": [birth_time]}},
                    {"example": [{"label": "a", "valueCodeableConcept": {"text": "x", "extension": [birth_time]}}]}):
        assert errors(_observation_profile(element)) == []
    # Only the value itself: deeper inside it, and on the element definition, the context still holds.
    nested = {"patternCodeableConcept": {"coding": [{"code": "x", "extension": [birth_time]}]}}
    assert errors(_observation_profile(nested)) == [
        ("extension-context", "StructureDefinition.differential.element[0].pattern.ofType(CodeableConcept)"
                              ".coding[0].extension[0]")]
    assert errors(_observation_profile({"extension": [birth_time]})) == [
        ("extension-context", "StructureDefinition.differential.element[0].extension[0]")]
