"""False alarms found on FSH-built guides not tried before (issue 21, s-fvcorp2: CARIN BB, CH Core, IHE MHD and
PDQm, BE Core, Bulk Data, IPS source compiled with SUSHI; bench/fhir_examples_alarms.py --package), each pinned
with a small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

CORE = "http://hl7.org/fhir/StructureDefinition/"


def _eob_profile(discriminator: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "id": "eob", "url": "http://example.org/sd/Eob", "name": "Eob",
            "status": "draft", "kind": "resource", "abstract": False, "type": "ExplanationOfBenefit",
            "derivation": "constraint", "baseDefinition": CORE + "ExplanationOfBenefit", "differential": {"element": [
                {"id": "ExplanationOfBenefit", "path": "ExplanationOfBenefit"},
                {"id": "ExplanationOfBenefit.adjudication", "path": "ExplanationOfBenefit.adjudication",
                 "slicing": {"discriminator": [{"type": "value", "path": discriminator}], "rules": "open"},
                 "type": [{"code": "BackboneElement"}]}]}}


def test_discriminator_path_follows_a_content_reference() -> None:
    # CARIN BB's EOB profiles slice ExplanationOfBenefit.adjudication by 'category': R4 defines that element by
    # contentReference #ExplanationOfBenefit.item.adjudication, whose children HL7's FHIRPathEngine follows
    # (getChildTypesByName, ed.hasContentReference) when StructureDefinitionValidator checks the path
    assert errors(_eob_profile("category")) == []
    assert errors(_eob_profile("nonsense")) == [
        ("structure-slicing", "StructureDefinition.differential.element[1].slicing.discriminator[0]")]
