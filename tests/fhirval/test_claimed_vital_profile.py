"""The primitive bindings of the vital-signs profile an Observation's code implies are judged, whether or not it also
claims the profile (found by HAPI FHIR's FhirInstanceValidatorR4Test.testValidateWithUcum: a body temperature with
unit 'Heck' fails bodytemp's required binding on valueQuantity.code). Synthetic resources only."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

BODYTEMP = "http://hl7.org/fhir/StructureDefinition/bodytemp"
CODE = ("code-invalid", "Observation.value.ofType(Quantity).code")


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


def test_a_vital_profile_judges_its_binding_on_the_quantity_code() -> None:
    # InstanceValidator.checkPrimitive -> checkPrimitiveBinding judges bodytemp's required ucum-bodytemp binding on
    # Observation.value[x]:valueQuantity.code in any profile walk ('K' is a UCUM unit, but not Cel or [degF]). The
    # implied profile is walked first (startInner -> checkSpecials) and a claimed one reuses its outcome.
    for claimed in (False, True):
        assert CODE in _errors(_temperature("K", claimed=claimed))
        assert _errors(_temperature("Cel", claimed=claimed)) == []
        assert _errors(_temperature("[degF]", claimed=claimed)) == []


def test_a_vital_profile_still_leaves_its_quantity_level_bindings() -> None:
    # the earlier pass's decision for bindings on a Quantity (component.value[x] to ucum-vitals-common) stands
    for claimed in (False, True):
        obs = _temperature("Cel", claimed=claimed)
        obs["component"] = [{"code": {"text": "flow"}, "valueQuantity": {
            "value": 2, "unit": "L/min", "system": "http://unitsofmeasure.org", "code": "L/min"}}]
        assert _errors(obs) == []


def test_a_vital_profile_judges_a_required_bound_code_given_only_by_extensions() -> None:
    # InstanceValidator.checkPrimitive, the same walk: a primitive with extensions but no value under a required
    # binding is Terminology_TX_Code_ValueSet_MISSING (base R4's Quantity.code has no binding: bodytemp's alone)
    obs = _temperature("Cel", claimed=False)
    del obs["valueQuantity"]["code"]
    obs["valueQuantity"]["_code"] = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                                    "valueCode": "unknown"}]}
    assert CODE in _errors(obs)
