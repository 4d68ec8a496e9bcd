"""An OperationDefinition's inputProfile/outputProfile against its parameters, as HL7's
OperationDefinitionValidator (OPDEF_PROFILE_NOT_VALUE_MISMATCH, _TYPE_NOT_IN_PARAMS, _TYPE_NOT_IN_PROFILE,
_PROFILE_NOT_IN_PROFILE, _PROFILE_NOT_IN_PARAMS, _NOT_PARAMETERS; fhir-test-cases ``opdef-params``): each on a
small synthetic OperationDefinition that fails without the rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

FHIR = "http://hl7.org/fhir/StructureDefinition/"
IN = "http://example.org/StructureDefinition/syn-op-in"


def _in_profile(base: str = "Parameters") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": IN, "name": "SynOpIn", "status": "draft",
            "kind": "resource", "abstract": False, "type": base, "baseDefinition": FHIR + base,
            "derivation": "constraint", "differential": {"element": [
                {"id": base, "path": base},
                *([] if base != "Parameters" else [
                    {"id": "Parameters.parameter", "path": "Parameters.parameter",
                     "slicing": {"discriminator": [{"type": "value", "path": "name"}], "rules": "open"}},
                    {"id": "Parameters.parameter:subject", "path": "Parameters.parameter", "sliceName": "subject",
                     "min": 1, "max": "1"},
                    {"id": "Parameters.parameter:subject.name", "path": "Parameters.parameter.name",
                     "fixedString": "subject"},
                    {"id": "Parameters.parameter:subject.value[x]", "path": "Parameters.parameter.value[x]",
                     "type": [{"code": "Reference", "targetProfile": [FHIR + "Patient"]}]},
                    {"id": "Parameters.parameter:subject.resource", "path": "Parameters.parameter.resource",
                     "max": "0"},
                    {"id": "Parameters.parameter:subject.part", "path": "Parameters.parameter.part", "max": "0"}])]}}


OPERATION: dict[str, Any] = {
    "resourceType": "OperationDefinition", "url": "http://example.org/OperationDefinition/syn", "name": "Syn",
    "status": "draft", "kind": "operation", "code": "syn", "system": False, "type": False, "instance": True,
    "resource": ["Patient"], "inputProfile": IN,
    "parameter": [{"name": "subject", "use": "in", "min": 1, "max": "1", "type": "Reference",
                   "targetProfile": [FHIR + "Patient"]},
                  {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Bundle"}]}


def _op_errors(op: dict[str, Any], tmp_path: Path, base: str = "Parameters") -> list[tuple[str, str]]:
    return [e for e in errors(op, definitions(tmp_path, _in_profile(base))) if e[0] == "operation-profile"]


def test_parameters_that_match_their_profile(tmp_path: Path) -> None:
    assert _op_errors(OPERATION, tmp_path) == []


def test_cardinality_differs_from_the_profile(tmp_path: Path) -> None:
    op = copy.deepcopy(OPERATION)
    op["parameter"][0].update(min=0, max="*")
    assert _op_errors(op, tmp_path) == [("operation-profile", "OperationDefinition.parameter[0]")] * 2


def test_types_and_targets_differ_from_the_profile(tmp_path: Path) -> None:
    op = copy.deepcopy(OPERATION)
    op["parameter"][0]["targetProfile"] = [FHIR + "Group"]
    # Group is not among the profile's targets, and the profile's Patient is not among the parameter's
    assert _op_errors(op, tmp_path) == [("operation-profile", "OperationDefinition.parameter[0]")] * 2
    op = copy.deepcopy(OPERATION)
    op["parameter"][0].update(type="string")
    del op["parameter"][0]["targetProfile"]
    # the profile's Reference is not the parameter's, string is not the profile's, Patient is not the parameter's
    assert _op_errors(op, tmp_path) == [("operation-profile", "OperationDefinition.parameter[0]")] * 3


def test_the_profile_is_on_parameters(tmp_path: Path) -> None:
    assert _op_errors(OPERATION, tmp_path, base="Basic") == [("operation-profile", "OperationDefinition.inputProfile")]


def test_a_profile_not_loaded_is_not_found(tmp_path: Path) -> None:
    """OPDEF_PROFILE_NOT_FOUND: validateProfile's fetchResource finds no StructureDefinition (before: not judged)."""
    op = {**OPERATION, "outputProfile": "http://example.org/StructureDefinition/syn-op-out"}
    assert _op_errors(op, tmp_path) == [("operation-profile", "OperationDefinition.outputProfile")]


def test_a_profile_slice_has_a_name_element(tmp_path: Path) -> None:
    """OPDEF_PROFILE_NO_SLICE: a hand-written snapshot whose slice 'subject' lists no name child."""
    profile = _in_profile()
    profile["snapshot"] = {"element": [
        {"id": "Parameters", "path": "Parameters", "min": 0, "max": "*"},
        {"id": "Parameters.parameter", "path": "Parameters.parameter", "min": 0, "max": "*",
         "type": [{"code": "BackboneElement"}],
         "slicing": {"discriminator": [{"type": "value", "path": "name"}], "rules": "open"}},
        {"id": "Parameters.parameter:subject", "path": "Parameters.parameter", "sliceName": "subject", "min": 1,
         "max": "1", "type": [{"code": "BackboneElement"}]},
        {"id": "Parameters.parameter:subject.value[x]", "path": "Parameters.parameter.value[x]", "min": 0,
         "max": "1", "type": [{"code": "Reference", "targetProfile": [FHIR + "Patient"]}]}]}
    found = [e for e in errors(OPERATION, definitions(tmp_path, profile)) if e[0] == "operation-profile"]
    assert ("operation-profile", "OperationDefinition.inputProfile") in found
