"""Additional bindings (R5's binding.additional, carried in R4 by HL7's ``additional-binding`` extension) judged on
the instance, as HL7's InstanceValidator judges them (checkCodeableConcept's loop over ``binding.getAdditional()``):
``required`` and ``maximum`` as a required binding, a usage context out of scope, other purposes untested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_profile_rules import BASE, errors, profile

CS = "http://example.test/CodeSystem/colours"
VS = "http://example.test/ValueSet/warm"
CODE_SYSTEM = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
               "concept": [{"code": "red"}, {"code": "blue"}]}
VALUE_SET = {"resourceType": "ValueSet", "url": VS, "status": "active",
             "compose": {"include": [{"system": CS, "concept": [{"code": "red"}]}]}}
TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/additional-binding"
XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional"


def _profile(purpose: str, url: str = TOOLS, *extra: dict[str, Any]) -> dict[str, Any]:
    additional = {"url": url, "extension": [{"url": "purpose", "valueCode": purpose},
                                            {"url": "valueSet", "valueCanonical": VS}, *extra]}
    return profile("additional", "Observation", [
        {"id": "Observation.code", "path": "Observation.code",
         "binding": {"strength": "example", "valueSet": "http://hl7.org/fhir/ValueSet/observation-codes",
                     "extension": [additional]}}])


def _observation(code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": CS, "code": code}]}}


@pytest.mark.parametrize(("purpose", "url"), [("required", TOOLS), ("maximum", TOOLS), ("required", XVER)])
def test_a_required_additional_binding_is_judged(tmp_path: Path, purpose: str, url: str) -> None:
    definitions = [_profile(purpose, url), CODE_SYSTEM, VALUE_SET]
    assert errors(tmp_path, _observation("red"), definitions) == []
    assert [d for d, _ in errors(tmp_path, _observation("blue"), definitions)] == ["code-invalid"]


@pytest.mark.parametrize("purpose", ["extensible", "preferred", "current", "ui", "starter", "component"])
def test_other_purposes_give_no_error(tmp_path: Path, purpose: str) -> None:
    assert errors(tmp_path, _observation("blue"), [_profile(purpose), CODE_SYSTEM, VALUE_SET]) == []


def test_a_usage_context_puts_it_out_of_scope(tmp_path: Path) -> None:
    """isInScope: a usage the validator was not told of and the data does not match."""
    usage = {"url": "usage", "valueUsageContext": {"code": {"system": BASE + "additional", "code": "jurisdiction"},
                                                   "valueCodeableConcept": {"text": "somewhere"}}}
    assert errors(tmp_path, _observation("blue"), [_profile("required", TOOLS, usage), CODE_SYSTEM, VALUE_SET]) == []


def _on(element: str, purpose: str, rtype: str = "Encounter", value_key: str = "valueCanonical") -> dict[str, Any]:
    additional = {"url": TOOLS, "extension": [{"url": "purpose", "valueCode": purpose},
                                              {"url": "valueSet", value_key: VS}]}
    return profile(f"additional-{element.split('.')[-1]}", rtype, [
        {"id": element, "path": element, "binding": {"strength": "extensible",
                                                     "valueSet": "http://terminology.hl7.org/ValueSet/v3-ActEncounterCode",
                                                     "extension": [additional]}}])


def test_a_coding_is_judged_a_primitive_code_never(tmp_path: Path) -> None:
    """checkTerminologyCoding loops over the additional bindings; checkPrimitiveBinding never reads them."""
    encounter = {"resourceType": "Encounter", "status": "finished", "class": {"system": CS, "code": "blue"}}
    found = errors(tmp_path, encounter, [_on("Encounter.class", "required"), CODE_SYSTEM, VALUE_SET])
    assert [d for d, _ in found] == ["code-invalid"]
    assert errors(tmp_path, {**encounter, "class": {"system": CS, "code": "red"}},
                  [_on("Encounter.class", "required"), CODE_SYSTEM, VALUE_SET]) == []
    assert errors(tmp_path, encounter, [_on("Encounter.status", "required"), CODE_SYSTEM, VALUE_SET]) == []


def test_a_value_set_given_as_other_than_a_canonical_is_no_binding(tmp_path: Path) -> None:
    """convertAdditional casts the valueSet's value to CanonicalType."""
    encounter = {"resourceType": "Encounter", "status": "finished", "class": {"system": CS, "code": "blue"}}
    assert errors(tmp_path, encounter, [_on("Encounter.class", "required", value_key="valueUri"), CODE_SYSTEM,
                                        VALUE_SET]) == []


def test_a_preferred_additional_binding_missed_is_information(tmp_path: Path) -> None:
    """validateBindingCodeableConcept: a preferred miss is txHint when the binding is not the base one."""
    for i, definition in enumerate([_profile("preferred"), CODE_SYSTEM, VALUE_SET]):
        (tmp_path / f"p{i}.json").write_text(json.dumps(definition))
    issues = validate_resource(_observation("blue"), load_definitions([tmp_path]), (BASE + "additional",))
    marked = [i.severity for i in issues if "an additional binding" in i.message]
    assert marked and set(marked) == {"information"}
