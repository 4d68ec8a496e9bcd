"""False alarms found on published IG content (issue 21, part A: IPS 2.0.0, SDC 4.0.0-ballot and HL7 Terminology
7.0.1, whose examples and definitions HL7's IG publisher validated; bench/fhir_examples_alarms.py --package),
each pinned with a small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
EXT = "https://conformance.example/fhir/StructureDefinition/t-ext"


def _extension(tmp_path: Path, context: list[dict[str, str]], **extra: Any) -> Any:
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "id": "t-ext", "url": EXT, "name": "TExt", "status": "draft",
        "kind": "complex-type", "abstract": False, "context": context, "type": "Extension",
        "baseDefinition": CORE + "Extension", "derivation": "constraint", **extra,
        "differential": {"element": [
            {"id": "Extension", "path": "Extension"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": EXT},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "boolean"}]}]}}
    return definitions(tmp_path, sd)


# ---- a fhirpath context that selects a primitive: the extension sits in its ``_x`` object ---------------

def test_fhirpath_context_selecting_a_primitive_value(tmp_path: Path) -> None:
    # structuredefinition-conformance-derivedFrom's context is extension('...fmm').value: every IPS and SDC
    # definition carries it on _valueInteger (HL7: fpe.evaluate(...).contains(container), the element itself)
    host = CORE + "patient-interpreterRequired"
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": f"extension('{host}').value"}])
    mark = {"extension": [{"url": EXT, "valueBoolean": True}]}
    res: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "extension": [
        {"url": host, "valueBoolean": True, "_valueBoolean": copy.deepcopy(mark)}]}
    assert errors(res, source) == []
    res["extension"][0]["url"] = CORE + "patient-cadavericDonor"  # a value the context does not select
    assert errors(res, source) == [("extension-context", "Patient.extension[0].value.ofType(boolean).extension[0]")]


def test_fhirpath_context_tells_primitives_apart(tmp_path: Path) -> None:
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "name.given"}])
    mark = {"extension": [{"url": EXT, "valueBoolean": True}]}
    res = {"resourceType": "Patient", "id": "p1", "gender": "male", "_gender": copy.deepcopy(mark),
           "name": [{"given": ["a", "b"], "_given": [None, copy.deepcopy(mark)]}]}
    assert errors(res, source) == [("extension-context", "Patient.gender.extension[0]")]


# ---- %resource.is(T) in a context invariant: fhirpathpy typed a bare resource as a System value ---------

def test_context_invariant_tests_the_type_of_percent_resource(tmp_path: Path) -> None:
    # SDC's and the extensions package's Questionnaire.item extensions: "where(%resource.is(Questionnaire))
    # .exists(type.first()='display') or ofType(ElementDefinition)...": HL7's engine types %resource
    source = _extension(tmp_path, [{"type": "element", "expression": "Questionnaire.item"}],
                        contextInvariant=["where(%resource.is(Questionnaire)).exists(type.first()='display') or "
                                          "ofType(ElementDefinition).type.exists().allTrue()"])
    mark = [{"url": EXT, "valueBoolean": True}]
    q: dict[str, Any] = {"resourceType": "Questionnaire", "id": "q", "status": "draft",
                         "item": [{"linkId": "1", "type": "display", "text": "x", "extension": mark}]}
    assert errors(q, source) == []
    q["item"][0]["type"] = "string"
    assert errors(q, source) == [("extension-context", "Questionnaire.item[0].extension[0]")]

