"""Additional bindings (R5's binding.additional, carried in R4 by HL7's ``additional-binding`` extension) judged on
the instance, as HL7's InstanceValidator judges them (checkCodeableConcept's loop over ``binding.getAdditional()``):
``required`` and ``maximum`` as a required binding, a usage context out of scope, other purposes untested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
