"""An HL7 canonical resource's work group and publisher (InstanceValidator.checkPublisherConsistency, issue 21).

No option turns it on: every canonical resource with an ``http://hl7.org/fhir/`` url. Each case failed before
(nothing was said without -forPublication)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

WG = "http://hl7.org/fhir/StructureDefinition/structuredefinition-wg"
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def found(wgs: list[str], publisher: str | None = None, url: str = "http://hl7.org/fhir/ValueSet/x",
          contained: bool = False) -> list[tuple[str, str]]:
    vs: dict[str, Any] = {"resourceType": "ValueSet", "url": url, "status": "draft", "text": DIV,
                          "extension": [{"url": WG, "valueCode": c} for c in wgs]}
    if publisher is not None:
        vs["publisher"] = publisher
    res = vs
    if contained:
        del vs["text"]
        res = {"resourceType": "Questionnaire", "status": "draft", "text": DIV, "contained": [vs | {"id": "v"}],
               "item": [{"linkId": "1", "type": "choice", "answerValueSet": "#v"}]}
    return [(i.severity, i.defect) for i in validate_resource(res, base_source()) if i.defect == "publication"]


def test_one_known_work_group_and_its_publisher() -> None:
    assert found(["vocab"], "HL7 International / Terminology Infrastructure") == []
    assert found(["vocab"], "HL7 International / Vocabulary") == []  # its second name
    assert found(["oo"]) == []  # no publisher: only HL7's advisory warning, not here


def test_several_or_unknown_work_groups_are_errors() -> None:
    assert found(["oo", "pa"], "HL7 International / Orders and Observations") == [("error", "publication")]
    assert found(["nope"]) == [("error", "publication")]
    assert found(["nope"], contained=True) == [("error", "publication")]  # contained ones too
    assert found(["nope"], url="http://example.org/fhir/ValueSet/x") == []  # not HL7's


def test_a_publisher_naming_another_hl7_group() -> None:
    assert found(["vocab"], "HL7 International / Orders and Observations") == [("error", "publication")]
    assert found(["vocab"], "HL7 (FHIR Project)") == [("warning", "publication")]  # R4's own
    assert found(["sec"], "NEMA/DICOM") == [("warning", "publication")]  # R4's DICOM value sets: calibrated
