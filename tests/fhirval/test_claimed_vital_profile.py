"""A vital-signs profile the Observation claims in meta.profile is walked as a claimed profile, its bindings judged,
even when its code also implies it (found by HAPI FHIR's FhirInstanceValidatorR4Test.testValidateWithUcum, whose
claimed bodytemp Observation with unit 'Heck' fails the profile's required binding on valueQuantity.code). Synthetic
resources only."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

BODYTEMP = "http://hl7.org/fhir/StructureDefinition/bodytemp"


def _temperature(unit: str, *, claimed: bool) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2021-03-04T05:06:07Z",
        "valueQuantity": {"value": 310.2, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
    if claimed:
        obs["meta"] = {"profile": [BODYTEMP]}
    return obs


def _errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]


def test_a_claimed_vital_profile_judges_its_binding_on_the_quantity_code() -> None:
    # InstanceValidator.validateResource walks each meta.profile with startInner (the same validateElement as any
    # profile); checkPrimitive -> checkPrimitiveBinding judges bodytemp's required ucum-bodytemp binding on
    # Observation.value[x]:valueQuantity.code (TERMINOLOGY_TX_NOVALID_*: 'K' is not Cel or [degF])
    assert ("code-invalid", "Observation.value.ofType(Quantity).code") in _errors(_temperature("K", claimed=True))
    assert _errors(_temperature("Cel", claimed=True)) == []
    assert _errors(_temperature("[degF]", claimed=True)) == []


def test_an_implied_vital_profile_alone_still_leaves_its_bindings() -> None:
    # the earlier decision for a profile only implied by the code (vitals.py, Walker.walk_implied) stands
    assert _errors(_temperature("K", claimed=False)) == []
