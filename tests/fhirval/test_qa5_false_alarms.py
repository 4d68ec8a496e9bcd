"""False alarms found on guides' committed IG publisher output, fifth batch (issue 21, s-fvqa5), each pinned with a
small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

CORE = "http://hl7.org/fhir/StructureDefinition/"


def _sliced(sd_type: str, element: str, discriminator: str, type_code: str | None = None) -> dict[str, Any]:
    sliced: dict[str, Any] = {"id": f"{sd_type}.{element}", "path": f"{sd_type}.{element}",
                              "slicing": {"discriminator": [{"type": "pattern", "path": discriminator}],
                                          "rules": "open"}}
    if type_code:
        sliced["type"] = [{"code": type_code}]
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/P", "name": "P", "status": "draft",
            "kind": "resource", "abstract": False, "type": sd_type, "derivation": "constraint",
            "baseDefinition": CORE + sd_type, "differential": {"element": [
                {"id": sd_type, "path": sd_type}, sliced]}}


def test_a_discriminator_on_contained_may_name_any_resources_element() -> None:
    # DNPM's HistologyReport (publisher 1.2.5, no error) slices DiagnosticReport.contained by pattern on 'code'; HL7
    # types the path on Resource with every descendant type (FHIRPathEngine.getChildTypesByName:
    # addTypeAndDescendents), where Observation.code is found
    assert errors(_sliced("DiagnosticReport", "contained", "code")) == []
    # a backbone element's children are still judged
    assert errors(_sliced("DiagnosticReport", "media", "nonsense")) == [
        ("structure-slicing", "StructureDefinition.differential.element[1].slicing.discriminator[0]")]
