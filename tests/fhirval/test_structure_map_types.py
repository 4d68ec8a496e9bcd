"""StructureMap rules that need the mapped structures' types, as HL7's StructureMapValidator (validateRuleSource,
validateRuleTarget, validateDependent): each on a small synthetic map that fails without the rule, and maps whose
structures are not held, which are not judged."""

from __future__ import annotations

import copy
from typing import Any

from tests.fhirval.test_structure_maps import FHIR, MAP, NARRATIVE, sm_errors

G0R0 = "StructureMap.group[0].rule[0]"


def _map() -> dict[str, Any]:
    return copy.deepcopy(MAP)


def _rule(sm: dict[str, Any], rule: dict[str, Any]) -> str:
    """Append a rule to group[0]; its location."""
    sm["group"][0]["rule"].append(rule)
    return f"StructureMap.group[0].rule[{len(sm['group'][0]['rule']) - 1}]"


def _target(element: str, transform: str | None = None, *params: dict[str, Any], variable: str | None = None,
            context: str = "tgt") -> dict[str, Any]:
    t: dict[str, Any] = {"context": context, "element": element}
    if transform is not None:
        t["transform"] = transform
    if params:
        t["parameter"] = list(params)
    if variable is not None:
        t["variable"] = variable
    return t


def _simple(target: dict[str, Any]) -> dict[str, Any]:
    return {"name": "r", "source": [{"context": "src", "element": "name", "variable": "v"}], "target": [target]}


def test_source_paths_are_children_of_the_typed_context() -> None:
    """SM_SOURCE_PATH_INVALID: Patient has no element nme; a name's family is read through HumanName."""
    sm = _map()
    sm["group"][0]["rule"][0]["source"][0]["element"] = "nme"
    assert sm_errors(sm) == [f"{G0R0}.source[0]"]
    sm = _map()
    where = _rule(sm, {"name": "r", "source": [{"context": "src", "element": "name", "variable": "n"}],
                       "rule": [{"name": "f", "source": [{"context": "n", "element": "famly", "variable": "f"}]}]})
    assert sm_errors(sm) == [f"{where}.rule[0].source[0]"]


def test_a_choice_is_read_by_its_name_without_x() -> None:
    """getNameBase: deceased[x] is deceased; deceasedBoolean is no child of Patient for HL7."""
    sm = _map()
    _rule(sm, {"name": "d", "source": [{"context": "src", "element": "deceased", "type": "boolean", "variable": "d"}]})
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][-1]["source"][0]["element"] = "deceasedBoolean"
    assert sm_errors(sm) == ["StructureMap.group[0].rule[2].source[0]"]


def test_a_source_type_is_one_of_the_elements_types() -> None:
    """SM_SOURCE_TYPE_INVALID: Patient.name is a HumanName, not a Quantity; deceased[x] may be a boolean."""
    sm = _map()
    sm["group"][0]["rule"][0]["source"][0]["type"] = "HumanName"
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][0]["source"][0]["type"] = "Quantity"
    assert sm_errors(sm) == [f"{G0R0}.source[0]"]


def test_target_paths_are_children_of_the_typed_context() -> None:
    """SM_TARGET_PATH_INVALID: Person has no element nmae, and HumanName no famly."""
    sm = _map()
    sm["group"][0]["rule"][0]["target"][0]["element"] = "nmae"
    # tn is then untyped and still passed on: nothing more is judged
    assert sm_errors(copy.deepcopy(sm)) == [f"{G0R0}.target[0]"]
    sm = _map()
    sm["group"][1]["rule"][0]["target"][0]["element"] = "famly"
    assert sm_errors(sm) == ["StructureMap.group[1].rule[0].target[0]"]


def test_a_target_without_transform_takes_no_parameters() -> None:
    """SM_TARGET_NO_TRANSFORM_NO_CHECKED."""
    sm = _map()
    where = _rule(sm, _simple(_target("gender")))
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][-1]["target"][0]["parameter"] = [{"valueString": "male"}]
    assert sm_errors(sm) == [f"{where}.target[0]"]


def test_typed_transforms_count_their_parameters() -> None:
    """SM_TARGET_TRANSFORM_PARAM_COUNT_RANGE (copy, create at most one, reference one),
    SM_TARGET_TRANSFORM_PARAM_COUNT_SINGLE (evaluate one), SM_TARGET_TRANSFORM_MISSING_PARAMS (append, uuid)."""
    s, i = {"valueString": "x"}, {"valueId": "v"}
    for transform, good, bad in [("copy", [s], [s, s]), ("create", [], [s, s]), ("reference", [i], []),
                                 ("evaluate", [{"valueString": "'x'"}], [i, {"valueString": "'x'"}]),
                                 ("append", [s], []), ("uuid", [], [s])]:
        sm = _map()
        where = _rule(sm, _simple(_target("gender", transform, *good)))
        assert sm_errors(copy.deepcopy(sm)) == [], transform
        sm["group"][0]["rule"][-1]["target"][0]["parameter"] = bad
        assert sm_errors(sm) == [f"{where}.target[0]"], transform


def test_evaluate_takes_an_expression_that_parses() -> None:
    """SM_TARGET_TRANSFORM_PARAM_UNPROCESSIBLE (no value), SM_TARGET_TRANSFORM_EXPRESSION_ERROR (syntax)."""
    sm = _map()
    where = _rule(sm, _simple(_target("gender", "evaluate", {"_valueString": {"extension": [
        {"url": "http://example.org/x", "valueString": "y"}]}})))
    assert sm_errors(copy.deepcopy(sm)) == [f"{where}.target[0]"]
    sm["group"][0]["rule"][-1]["target"][0]["parameter"] = [{"valueString": "v.family..given"}]
    assert sm_errors(sm) == [f"{where}.target[0]"]


def test_cc_takes_a_system_and_a_code() -> None:
    """SM_TARGET_TRANSFORM_MISSING_PARAMS and SM_TARGET_TRANSFORM_TRANSLATE_NO_PARAM (the code)."""
    sm = _map()
    where = _rule(sm, _simple(_target("gender", "cc", {"valueString": "http://s"}, {"valueString": "c"})))
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][-1]["target"][0]["parameter"].pop()
    assert sm_errors(sm) == [f"{where}.target[0]", f"{where}.target[0]"]


def test_translate_takes_a_source_a_map_and_an_output_mode() -> None:
    """SM_TARGET_TRANSFORM_MISSING_PARAMS, _TRANSLATE_UNKNOWN_SOURCE, _TRANSLATE_CM_BAD_MODE,
    _TRANSLATE_NO_PARAM, _TRANSLATE_CM_NOT_FOUND."""
    def translate(*params: dict[str, Any]) -> list[str]:
        sm = _map()
        where = _rule(sm, _simple(_target("gender", "translate", *params)))
        return [e.replace(where, "") for e in sm_errors(sm)]
    v, cm, code = {"valueId": "v"}, {"valueString": "http://example.org/cm"}, {"valueString": "code"}
    assert translate(v, cm, code) == []
    assert translate(v, cm) == [".target[0]"]  # two parameters
    assert translate(v) == [".target[0]"] * 2  # one, and no map
    assert translate({"valueId": "w"}, cm, code) == [".target[0]"]  # no source variable w
    assert translate(v, cm, {"valueString": "coding"}) == [".target[0]"]  # no such output mode
    # a first parameter without value: no source (HL7 then also reports the contained map as not found)
    assert translate({"id": "p"}, {"valueString": "#cm"}, code) == [".target[0]"] * 2


def test_a_resource_made_is_a_known_type() -> None:
    """SM_TARGET_TRANSFORM_TYPE_UNKNOWN: a Bundle entry's resource made as a type that is none."""
    sm = _map()
    sm["structure"][1]["url"] = FHIR + "Bundle"
    sm["group"][0]["rule"] = [{"name": "e", "source": [{"context": "src"}], "target": [
        _target("entry", variable="e"),
        _target("resource", "create", {"valueString": "Patient"}, variable="r", context="e"),
        _target("active", "copy", {"valueBoolean": True}, context="r")]}]
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][0]["target"][1]["parameter"] = [{"valueString": "Patent"}]
    assert sm_errors(copy.deepcopy(sm)) == [f"{G0R0}.target[1]"]
    sm["group"][0]["rule"][0]["target"][1]["parameter"] = [{"valueString": "Basic"}]
    assert sm_errors(sm) == [f"{G0R0}.target[2]"]  # a Basic has no active: the made type is stepped into


def test_dependent_parameters_agree_in_mode_and_type() -> None:
    """SM_DEPENDENT_PARAM_TYPE_MISMATCH: the Patient itself passed as a HumanName; SM_DEPENDENT_PARAM_MODE_MISMATCH:
    a variable of an input of no valid mode passed as a target."""
    sm = _map()
    sm["group"][0]["rule"][0]["dependent"][0]["variable"] = ["src", "tn"]
    assert sm_errors(sm) == [f"{G0R0}.dependent[0].variable[0]"]
    sm = _map()
    sm["group"][0]["input"].append({"name": "other", "type": "Tgt", "mode": "sideways"})
    sm["group"][0]["rule"][0]["dependent"][0]["variable"] = ["n", "other"]
    assert sm_errors(sm) == ["StructureMap.group[0].input[2]", f"{G0R0}.dependent[0].variable[1]"]


def test_a_local_group_is_judged_when_an_import_is_not_held() -> None:
    """resolveGroup looks in the map itself first: its own group is found whatever the imports."""
    sm = _map()
    sm["import"] = ["http://example.org/StructureMap/not-held"]
    sm["group"][0]["rule"][0]["dependent"][0]["variable"] = ["n"]
    assert sm_errors(copy.deepcopy(sm)) == [f"{G0R0}.dependent[0]"]
    sm["group"][0]["rule"][0]["dependent"][0]["name"] = "elsewhere"  # perhaps in the import
    assert sm_errors(sm) == []


def _default(sm: dict[str, Any], source: dict[str, Any], target: dict[str, Any]) -> str:
    return _rule(sm, {"name": "d", "source": [source], "target": [target], "dependent": [
        {"name": "DefaultMappingGroupAnonymousAlias", "variable": ["vvv", "vvv"]}]})


def test_a_default_group_maps_the_types() -> None:
    """SM_MATCHING_RULEGROUP_NOT_FOUND, SM_SOURCE_TYPE_NOT_FOUND, SM_TARGET_TYPE_NOT_FOUND."""
    sm = _map()
    where = _default(sm, {"context": "src", "element": "name", "variable": "vvv"},
                     _target("name", variable="vvv"))
    assert sm_errors(copy.deepcopy(sm)) == [f"{where}.dependent[0]"]  # no group maps HumanName to HumanName
    sm["group"][1]["typeMode"] = "types"
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][0]["rule"][-1]["source"][0]["element"] = "deceased"  # boolean or dateTime: no one type
    assert sm_errors(copy.deepcopy(sm)) == [f"{where}.dependent[0]"]
    sm["group"][0]["rule"][-1]["source"][0]["type"] = "boolean"
    sm["structure"][1]["url"] = FHIR + "Observation"
    sm["group"][0]["rule"][-1]["target"][0]["element"] = "value"  # no one type either
    sm["group"][0]["rule"][0]["target"] = []
    sm["group"][0]["rule"][0]["dependent"] = []
    assert sm_errors(sm) == [f"{where}.dependent[0]"]


def test_maps_over_structures_not_held_are_not_judged() -> None:
    """HL7 warns that an input whose structure it cannot find is not checked; so are the paths under it."""
    sm = _map()
    sm["structure"][0]["url"] = "http://example.org/StructureDefinition/Unknown"
    sm["group"][0]["rule"][0]["source"][0]["element"] = "nothingHere"
    sm["group"][0]["rule"][0]["dependent"] = []
    sm["group"][0]["rule"].append({"name": "x", "source": [{"context": "src", "element": "a", "variable": "a"}],
                                   "rule": [{"name": "y", "source": [{"context": "a", "element": "b"}]}]})
    assert sm_errors(sm) == []


def test_an_untyped_group_takes_its_types_from_the_dependent_that_calls_it() -> None:
    """validateStructureMap: a group with an untyped input is validated with the parameters a dependent passed."""
    sm = _map()
    sm["group"][1]["input"][0].pop("type")
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][1]["rule"][0]["source"][0]["element"] = "famly"
    assert sm_errors(sm) == ["StructureMap.group[1].rule[0].source[0]"]


def test_a_group_extends_a_group_of_the_map() -> None:
    """SM_RULEGROUP_NOT_FOUND on extends (structure_maps.py, fvmatrix3)."""
    sm = _map()
    sm["group"][1]["extends"] = "main"
    assert sm_errors(copy.deepcopy(sm)) == []
    sm["group"][1]["extends"] = "mian"
    assert sm_errors(sm) == ["StructureMap.group[1].extends"]
    assert NARRATIVE["status"] == "generated"


def test_a_typed_variable_has_a_plain_name() -> None:
    """SM_NAME_INVALID on a source's and a target's variable under a typed context (HL7 checks it only there)."""
    sm = _map()
    sm["group"][0]["rule"][0]["source"][0]["variable"] = "n-1"
    sm["group"][0]["rule"][0]["target"][0]["variable"] = "t_n"
    sm["group"][0]["rule"][0]["dependent"] = []
    assert sm_errors(copy.deepcopy(sm)) == [f"{G0R0}.source[0]", f"{G0R0}.target[0]"]
    sm["structure"][0]["url"] = "http://example.org/StructureDefinition/Unknown"
    sm["structure"][1]["url"] = "http://example.org/StructureDefinition/Unknown2"
    assert sm_errors(sm) == []


def test_fhir_test_cases_map_general_test2_as_r4() -> None:
    """fhir-test-cases validator/map-general-test2.fml (tuning half), compiled by hand to R4 JSON as HL7's FML
    parser compiles it: HL7's recorded outcome has SM_MATCHING_RULEGROUP_NOT_FOUND at rule[1].dependent[0]
    (``src.identifier : Identifier -> tgt.identifier``: no default group maps Identifier to Identifier) and
    SM_GROUP_INPUT_MODE_MISMATCH at group[1].input[1]; its third error, SM_TARGET_TRANSFORM_EXPRESSION_ERROR at
    rule[2].target[1] (the name r in the evaluated expression), comes from HL7's type check of the expression,
    which is not ported."""
    sm: dict[str, Any] = {
        "resourceType": "StructureMap", "text": NARRATIVE, "url": "http://github.com/FHIR/fhir-test-cases/r5/fml/syntax",
        "name": "Syntax", "status": "draft",
        "structure": [{"url": FHIR + "Patient", "mode": "source", "alias": "Patient"},
                      {"url": FHIR + "Basic", "mode": "target", "alias": "Basic"}],
        "group": [
            {"name": "Patient", "typeMode": "none", "input": [{"name": "src", "type": "Patient", "mode": "source"},
                                                              {"name": "tgt", "type": "Basic", "mode": "target"}],
             "rule": [
                 {"name": "value", "source": [{"context": "src"}], "target": [
                     _target("extension", variable="ext"),
                     _target("value", "create", {"valueString": "Reference"}, variable="reference", context="ext"),
                     _target("reference", "reference", {"valueId": "src"}, context="reference")]},
                 {"name": "identifier", "source": [{"context": "src", "element": "identifier", "type": "Identifier",
                                                    "variable": "vvv"}],
                  "target": [_target("identifier", variable="vvv")],
                  "dependent": [{"name": "DefaultMappingGroupAnonymousAlias", "variable": ["vvv", "vvv"]}]},
                 {"name": "rootuuid", "source": [{"context": "src"}], "target": [
                     _target("identifier", variable="ext"),
                     _target("system", "evaluate", {"valueString": "('urn:uuid:' + r.lower())"}, context="ext")]}]},
            {"name": "Patient2Patient", "typeMode": "none",
             "input": [{"name": "src", "type": "Patient", "mode": "source"},
                       {"name": "tgt", "type": "Patient", "mode": "target"}],
             "rule": [{"name": "identifier", "source": [{"context": "src", "element": "identifier", "variable": "vvv"}],
                       "target": [_target("identifier", variable="vvv")],
                       "dependent": [{"name": "DefaultMappingGroupAnonymousAlias", "variable": ["vvv", "vvv"]}]}]}]}
    assert sm_errors(sm) == ["StructureMap.group[0].rule[1].dependent[0]", "StructureMap.group[1].input[1]"]


def _short(element: str) -> dict[str, Any]:
    """``src.x -> tgt.x;`` as HL7's FML parser compiles it: vvv variables and the default group."""
    return {"name": element, "source": [{"context": "src", "element": element, "variable": "vvv"}],
            "target": [_target(element, variable="vvv")],
            "dependent": [{"name": "DefaultMappingGroupAnonymousAlias", "variable": ["vvv", "vvv"]}]}


def test_fhir_test_cases_map_general_test_as_r4() -> None:
    """fhir-test-cases validator/map-general-test.fml (tuning half) in R4 JSON: HL7's recorded errors are
    SM_SOURCE_PATH_INVALID at rule[1].source[0] (Address has no typeX) and SM_RULEGROUP_NOT_FOUND for
    ``extends Element``; the second is not reported here, as the map imports a wildcard (``*4to3``) this
    does not resolve. The R3 target structure is not held: nothing under it is judged (HL7 warns)."""
    sm: dict[str, Any] = {
        "resourceType": "StructureMap", "text": NARRATIVE, "url": "http://hl7.org/fhir/StructureMap/Address4to3",
        "name": "Address4to3", "status": "draft", "import": ["http://hl7.org/fhir/StructureMap/*4to3"],
        "structure": [{"url": FHIR + "Address", "mode": "source", "alias": "Address"},
                      {"url": "http://hl7.org/fhir/3.0/StructureDefinition/Address", "mode": "target",
                       "alias": "AddressR3"}],
        "group": [{"name": "Address", "extends": "Element", "typeMode": "type-and-types",
                   "input": [{"name": "src", "type": "Address", "mode": "source"},
                             {"name": "tgt", "type": "AddressR3", "mode": "target"}],
                   "rule": [_short(e) for e in ("use", "typeX", "text", "line", "city", "period")]}]}
    assert sm_errors(sm) == ["StructureMap.group[0].rule[1].source[0]"]
