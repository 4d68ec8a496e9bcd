"""Terminology rules audited against HL7's InstanceValidator (s-fvaud4): each synthetic value fails (or passes)
as HL7's source says, and would not without the rule."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology

CS = "https://conformance.example/cs/fruit"
FRUIT: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                         "concept": [{"code": "apple"}, {"code": "pear"}]}
VS = "https://conformance.example/vs/fruit"
FRUITS: dict[str, Any] = {"resourceType": "ValueSet", "url": VS, "status": "active",
                          "compose": {"include": [{"system": CS}]}}


def bound(vs_url: str, strength: str, type_code: str, item: object) -> list[tuple[str, str]]:
    sink = Sink()
    t = Terminology(MemorySource([FRUIT, FRUITS]), find_package=False)
    check_binding(t, {"strength": strength, "valueSet": vs_url}, type_code, item, "X.code", sink)
    return [(i.severity, i.defect) for i in sink.issues if i.severity == "error"]


@pytest.mark.parametrize("strength", ["required", "extensible", "preferred", "example"])
@pytest.mark.parametrize(("type_code", "item"), [
    ("code", "apple"), ("Coding", {"system": CS, "code": "apple"}),
    ("CodeableConcept", {"coding": [{"system": CS, "code": "apple"}]}), ("CodeableConcept", {"text": "an apple"}),
])
def test_binding_naming_a_code_system(strength: str, type_code: str, item: object) -> None:
    """TERMINOLOGY_TX_VALUESET_NOTFOUND_CS (validateBindingCodeableConcept, validateBindingCodedElement,
    checkPrimitiveBinding): an error before the strength is looked at; the same value bound to a ValueSet is fine."""
    assert bound(CS, strength, type_code, item) == [("error", "code-invalid")]
    text_only = isinstance(item, dict) and "coding" not in item and type_code == "CodeableConcept"
    # a required binding wants a code (TERMINOLOGY_TX_CODE_VALUESET): text alone fails it either way
    assert bound(VS, strength, type_code, item) == ([("error", "code-invalid")] if text_only and strength == "required"
                                                    else [])


@pytest.mark.parametrize(("type_code", "item"), [("Coding", {"system": CS}), ("Coding", {"code": "apple"}),
                                                 ("code", "")])
def test_binding_naming_a_code_system_needs_a_judged_value(type_code: str, item: object) -> None:
    """checkCodedElement needs a system and a code; checkPrimitiveBinding a value."""
    assert bound(CS, "required", type_code, item) == []


def _errors(res: dict[str, Any]) -> list[tuple[str, str]]:
    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_resource

    return [(i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error]


def test_duration_unit_is_left_to_its_invariants() -> None:
    """InstanceValidator.checkChildByDefinition calls checkQuantity for the type Quantity alone: a Duration's (or an
    Age's) code is never looked up, only drt-1 / age-1 judge it. A Quantity with the same code still fails."""
    timing = {"repeat": {"boundsDuration": {"value": 3, "unit": "days", "system": "http://unitsofmeasure.org",
                                            "code": "days"}}}
    res = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
           "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"},
           "dosageInstruction": [{"timing": timing}]}
    assert _errors(res) == []
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "valueQuantity": {"value": 3, "system": "http://unitsofmeasure.org", "code": "days"}}
    assert _errors(obs) == [("code-unknown", "Observation.value.ofType(Quantity)")]


@pytest.mark.parametrize(("version", "errors"), [(None, 1), ("1.0.2", 1), ("1.0", 1), ("2.0.0", 0), ("1.1.0", 0),
                                                 ("1.0.20", 1)])
def test_coding_version_not_held_is_not_judged(version: str | None, errors: int) -> None:
    """ValueSetValidator.validateCode resolves the CodeSystem at the Coding's version: another version than the one
    held is UNKNOWN_CODESYSTEM_VERSION (not-found, a warning), so an unknown code is judged only in the version held.
    A plain semver of the held major.minor (1.0.20 for 1.0.2) is that version to HL7's context
    (CanonicalResourceManager.get, the ``url|major.minor`` index), so its code is judged (review12 #2)."""
    from conformance.fhirval.bindings import check_coding

    held = {**FRUIT, "version": "1.0.2"}
    t = Terminology(MemorySource([held]), find_package=False)
    coding = {"system": CS, "code": "kiwi"} if version is None else {"system": CS, "version": version, "code": "kiwi"}
    sink = Sink()
    check_coding(t, coding, "X.coding[0]", sink)
    assert [i.defect for i in sink.issues if i.severity == "error"] == ["code-unknown"] * errors


def test_max_value_set_naming_a_code_system() -> None:
    """checkMaxValueSet: a maximum value set that is a CodeSystem's URL is TERMINOLOGY_TX_VALUESET_NOTFOUND_CS."""
    other = {"resourceType": "CodeSystem", "url": "urn:cs:other", "status": "active", "content": "complete",
             "concept": [{"code": "x"}]}
    t = Terminology(MemorySource([FRUIT, FRUITS, other]), find_package=False)
    ext = [{"url": "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet", "valueCanonical": CS}]
    sink = Sink()
    check_binding(t, {"strength": "extensible", "valueSet": VS, "extension": ext}, "Coding",
                  {"system": "urn:cs:other", "code": "x"}, "X.code", sink)
    assert [i.defect for i in sink.issues if i.severity == "error"] == ["code-invalid"]
    sink = Sink()
    check_binding(t, {"strength": "extensible", "valueSet": VS, "extension": ext}, "Coding",
                  {"system": CS, "code": "apple"}, "X.code", sink)
    assert [i.defect for i in sink.issues if i.severity == "error"] == []


@pytest.mark.parametrize("type_code", ["Coding", "Quantity"])
def test_required_binding_needs_a_system_beside_the_code(type_code: str) -> None:
    """checkCodedElement judges a Coding (and checkQuantity a Quantity) against its binding only when it has both a
    system and a code: a bare code there is TERMINOLOGY_TX_SYSTEM_NO_CODE, a warning, never a binding error."""
    assert bound(VS, "required", type_code, {"code": "kiwi"}) == []
    assert bound(VS, "required", type_code, {"system": CS, "code": "kiwi"}) == [("error", "code-invalid")]
    assert bound(VS, "required", "CodeableConcept", {"coding": [{"system": CS, "code": "kiwi"}]}) == \
        [("error", "code-invalid")]
