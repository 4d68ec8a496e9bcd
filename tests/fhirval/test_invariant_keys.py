"""A StructureDefinition's invariant keys each name one expression, as HL7's StructureDefinitionValidator
(ED_INVARIANT_DIFF_NO_SOURCE, ED_INVARIANT_KEY_ALREADY_USED, ED_INVARIANT_EXPRESSION_CONFLICT): each on a small
synthetic profile that fails without the rule."""

from __future__ import annotations

import copy
from typing import Any

from tests.fhirval.test_agreement_classes import errors

FHIR = "http://hl7.org/fhir/StructureDefinition/"
URL = "http://example.org/StructureDefinition/syn-obs"


def _constraint(key: str, expression: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "severity": "error", "human": "synthetic", "expression": expression, **more}


def _profile(*constraints: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": URL, "version": "1.0.0", "name": "SynObs",
            "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
            "baseDefinition": FHIR + "Observation", "derivation": "constraint",
            "differential": {"element": [{"id": "Observation", "path": "Observation", "constraint": [constraints[0]]},
                                         *({"id": "Observation.code", "path": "Observation.code",
                                            "constraint": [c]} for c in constraints[1:])]}}


def _keys(sd: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(sd) if e[0] == "invariant-key"]


def test_a_differential_adds_its_own_invariants() -> None:
    assert _keys(_profile(_constraint("syn-1", "code.exists()"))) == []
    assert _keys(_profile(_constraint("syn-1", "code.exists()", source=URL))) == []
    assert _keys(_profile(_constraint("syn-1", "code.exists()", source=URL + "|1.0.0"))) == []
    assert _keys(_profile(_constraint("syn-1", "code.exists()", source=FHIR + "Observation"))) == [
        ("invariant-key", "StructureDefinition.differential.element[0].constraint[0]")]


def test_a_key_keeps_its_expression() -> None:
    # obs-6 is the base's: repeating it is fine, giving it another expression is not
    obs6 = "dataAbsentReason.empty() or value.empty()"
    assert _keys(_profile(_constraint("obs-6", obs6))) == []
    assert _keys(_profile(_constraint("obs-6", "code.exists()"))) == [
        ("invariant-key", "StructureDefinition.differential.element[0].constraint[0]")]
    assert _keys(_profile(_constraint("syn-1", "code.exists()"), _constraint("syn-1", "coding.exists()"))) == [
        ("invariant-key", "StructureDefinition.differential.element[1].constraint[0]")]


def test_a_snapshot_key_names_one_expression() -> None:
    sd = _profile(_constraint("syn-1", "code.exists()"))
    element = {"id": "Observation", "path": "Observation", "min": 0, "max": "*", "base": {"path": "Observation",
                                                                                         "min": 0, "max": "*"},
               "constraint": [_constraint("syn-1", "code.exists()", source=URL)]}
    code = copy.deepcopy(element)
    code.update(id="Observation.code", path="Observation.code", min=1, max="1",
                base={"path": "Observation.code", "min": 1, "max": "1"}, type=[{"code": "CodeableConcept"}])
    sd["snapshot"] = {"element": [element, code]}
    assert _keys(sd) == []
    code["constraint"] = [_constraint("syn-1", "coding.exists()", source=URL)]
    assert _keys(sd) == [("invariant-key", "StructureDefinition.snapshot.element[1].constraint[0]")]
