"""A discriminator path through ``ofType(T)`` read as HL7's FHIRPathEngine.evaluateDefinition reads it: the element is
kept typed T, so the next step reads T's definition (T's profile where the element gives one), not the element's
first type; a T the element does not allow ends the path with nothing found. Before, the step was skipped and the
path went on in the first type: here CodeableConcept, which has no ``code``, so the slicing was called impossible to
evaluate on a valid resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import BASE, errors, profile

DOSE = {"resourceType": "StructureDefinition", "url": BASE + "dose", "name": "Dose", "status": "active",
        "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False, "type": "Quantity",
        "derivation": "constraint", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Quantity",
        "differential": {"element": [{"id": "Quantity.code", "path": "Quantity.code", "fixedCode": "mg"}]}}


CONCEPT = {**DOSE, "url": BASE + "concept", "name": "Concept", "type": "CodeableConcept",
           "baseDefinition": "http://hl7.org/fhir/StructureDefinition/CodeableConcept",
           "differential": {"element": [{"id": "CodeableConcept.text", "path": "CodeableConcept.text",
                                         "fixedString": "c"}]}}


def _profile(path: str) -> dict[str, Any]:
    return profile("component-dose", "Observation", [
        {"id": "Observation.component", "path": "Observation.component",
         "slicing": {"discriminator": [{"type": "value", "path": path}], "rules": "closed"}},
        {"id": "Observation.component:dose", "path": "Observation.component", "sliceName": "dose", "min": 0,
         "max": "*"},
        {"id": "Observation.component:dose.value[x]", "path": "Observation.component.value[x]",
         "type": [{"code": "CodeableConcept", "profile": [CONCEPT["url"]]},
                  {"code": "Quantity", "profile": [DOSE["url"]]}]}])


def _observation(code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "t"},
            "component": [{"code": {"text": "c"}, "valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org",
                                                                    "code": code}}]}


def test_the_step_after_of_type_reads_that_type_s_profile(tmp_path: Path) -> None:
    definitions = [_profile("value.ofType(Quantity).code"), DOSE, CONCEPT]
    assert errors(tmp_path, _observation("mg"), definitions) == []
    assert errors(tmp_path, _observation("g"), definitions) == [("slice-unmatched", "Observation.component[0]")]


def test_a_type_the_element_does_not_allow_gives_nothing_to_test_by(tmp_path: Path) -> None:
    """``ofType(Period)`` on an element of CodeableConcept or Quantity: the path ends with nothing found
    (okToNotResolve), so the slice has nothing to test by, though the first type's profile, read as before, fixes
    the ``text`` the path goes on to."""
    found = errors(tmp_path, _observation("mg"), [_profile("value.ofType(Period).text"), DOSE, CONCEPT])
    assert [d for d, _ in found] == ["structure-slicing"]
