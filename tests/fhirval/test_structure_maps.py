"""A StructureMap's groups, rules and variables, as HL7's StructureMapValidator (SM_NAME_INVALID,
SM_GROUP_INPUT_*, SM_SOURCE/TARGET_CONTEXT_UNKNOWN, SM_RULEGROUP_*, SM_DEPENDENT_PARAM_NOT_FOUND,
SM_TARGET_TRANSFORM_PARAM_COUNT_RANGE, _MISSING_PARAMS): each on a small synthetic map that fails without the
rule."""

from __future__ import annotations

import copy
from typing import Any

from tests.fhirval.test_agreement_classes import errors

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}
FHIR = "http://hl7.org/fhir/StructureDefinition/"
MAP: dict[str, Any] = {
    "resourceType": "StructureMap", "text": NARRATIVE, "url": "http://example.org/StructureMap/syn", "name": "Syn",
    "status": "draft",
    "structure": [{"url": FHIR + "Patient", "mode": "source", "alias": "Src"},
                  {"url": FHIR + "Person", "mode": "target", "alias": "Tgt"}],
    "group": [
        {"name": "main", "typeMode": "none", "input": [{"name": "src", "type": "Src", "mode": "source"},
                                                       {"name": "tgt", "type": "Tgt", "mode": "target"}],
         "rule": [{"name": "names", "source": [{"context": "src", "element": "name", "variable": "n"}],
                   "target": [{"context": "tgt", "element": "name", "variable": "tn"}],
                   "dependent": [{"name": "name", "variable": ["n", "tn"]}]},
                  {"name": "made", "source": [{"context": "src"}],
                   "target": [{"variable": "made", "transform": "create", "parameter": [{"valueString": "Person"}]}]}]},
        {"name": "name", "typeMode": "none", "input": [{"name": "s", "type": "HumanName", "mode": "source"},
                                                       {"name": "t", "type": "HumanName", "mode": "target"}],
         "rule": [{"name": "family", "source": [{"context": "s", "element": "family", "variable": "f"}],
                   "target": [{"context": "t", "element": "family", "transform": "copy",
                               "parameter": [{"valueId": "f"}]}]}]}]}


def sm_errors(sm: dict[str, Any]) -> list[str]:
    return [loc for d, loc in errors(sm) if d == "structure-map"]


def test_a_consistent_map_is_accepted() -> None:
    assert sm_errors(copy.deepcopy(MAP)) == []


def test_names_are_plain_identifiers() -> None:
    sm = copy.deepcopy(MAP)
    sm["group"][0]["rule"][0]["name"] = "name-rule"
    sm["group"][1]["name"] = "name_2"
    sm["group"][0]["rule"][0]["dependent"][0]["name"] = "name_2"
    assert sm_errors(sm) == ["StructureMap.group[0].rule[0]", "StructureMap.group[1]"]


def test_inputs_are_distinct_with_modes_and_types_that_agree() -> None:
    sm = copy.deepcopy(MAP)
    inputs = sm["group"][0]["input"]
    inputs[1]["mode"] = "source"  # a target structure may be read as a source: fine
    # tgt is no target now, so its variable tn is never made, and cannot be passed on
    assert sm_errors(copy.deepcopy(sm)) == ["StructureMap.group[0].rule[0].target[0]",
                                            "StructureMap.group[0].rule[0].dependent[0].variable[1]"]
    sm = copy.deepcopy(MAP)
    sm["group"][0]["input"][0]["mode"] = "target"  # a source structure as a target input
    sm["group"][1]["input"][0]["type"] = "NoSuchType"
    sm["group"][1]["input"].append({"name": "t", "type": "HumanName", "mode": "target"})
    found = sm_errors(sm)
    assert "StructureMap.group[0].input[0]" in found
    assert "StructureMap.group[1].input[0]" in found and "StructureMap.group[1].input[2]" in found


def test_contexts_are_variables_in_scope() -> None:
    sm = copy.deepcopy(MAP)
    sm["group"][1]["rule"][0]["source"][0]["context"] = "src"  # another group's input
    sm["group"][1]["rule"][0]["target"][0]["context"] = "s"  # a source, not a target
    assert sm_errors(sm) == ["StructureMap.group[1].rule[0].source[0]", "StructureMap.group[1].rule[0].target[0]"]


def test_dependents_name_a_group_with_as_many_inputs_in_scope() -> None:
    sm = copy.deepcopy(MAP)
    sm["group"][0]["rule"][0]["dependent"][0]["name"] = "nowhere"
    assert sm_errors(copy.deepcopy(sm)) == ["StructureMap.group[0].rule[0].dependent[0]"]
    sm["group"][0]["rule"][0]["dependent"][0].update(name="name", variable=["n"])
    assert sm_errors(copy.deepcopy(sm)) == ["StructureMap.group[0].rule[0].dependent[0]"]
    sm["group"][0]["rule"][0]["dependent"][0]["variable"] = ["n", "elsewhere"]
    assert sm_errors(sm) == ["StructureMap.group[0].rule[0].dependent[0].variable[1]"]


def test_context_free_transforms_take_their_parameters() -> None:
    sm = copy.deepcopy(MAP)
    sm["group"][0]["rule"][1]["target"][0]["parameter"].append({"valueString": "extra"})
    assert sm_errors(copy.deepcopy(sm)) == ["StructureMap.group[0].rule[1].target[0]"]
    sm["group"][0]["rule"][1]["target"][0].update(transform="uuid", parameter=[{"valueString": "x"}])
    assert sm_errors(sm) == ["StructureMap.group[0].rule[1].target[0]"]


def test_create_makes_a_known_type() -> None:
    """SM_TARGET_TYPE_UNKNOWN: create('Persn') is no FHIR type; the target structure's alias Tgt is one."""
    sm = copy.deepcopy(MAP)
    sm["group"][0]["rule"][1]["target"][0]["parameter"] = [{"valueString": "Tgt"}]
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][1]["target"][0]["parameter"] = [{"valueString": "Persn"}]
    assert sm_errors(sm) == ["StructureMap.group[0].rule[1].target[0]"]
