"""A reviewer's suspicions checked against HL7's Java validator (issue 21, s-fvfix5): each synthetic resource
differs between the reference's rule and ours before the mend."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.terminology import Terminology
from tests.fhirval.test_profile_rules import errors, profile

_CS = "http://example.org/CodeSystem/states7"
_VS = "http://example.org/ValueSet/active-states7"
_WITHDRAWN = {"url": "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status",
              "valueCode": "withdrawn"}


def _expand(tmp_path: Path, concepts: list[dict[str, Any]]) -> set[str]:
    cs = {"resourceType": "CodeSystem", "url": _CS, "status": "active", "content": "complete", "concept": concepts}
    vs = {"resourceType": "ValueSet", "url": _VS, "status": "active",
          "compose": {"inactive": False, "include": [{"system": _CS}]}}
    (tmp_path / "cs.json").write_text(json.dumps(cs), encoding="utf-8")
    (tmp_path / "vs.json").write_text(json.dumps(vs), encoding="utf-8")
    expansion = Terminology(load_definitions([tmp_path / "cs.json", tmp_path / "vs.json"])).expand(_VS)
    assert expansion is not None
    return expansion.codes[_CS]


def test_the_first_status_property_decides_inactive(tmp_path: Path) -> None:
    """CodeSystemUtilities.isInactive returns on the first ``status`` or ``inactive`` property, and a withdrawn
    standards-status makes a concept inactive whatever its properties say."""
    concepts = [{"code": "on"},
                {"code": "active-first", "property": [{"code": "status", "valueCode": "active"},
                                                      {"code": "inactive", "valueBoolean": True}]},
                {"code": "retired-first", "property": [{"code": "status", "valueCode": "retired"},
                                                       {"code": "inactive", "valueBoolean": False}]},
                {"code": "withdrawn", "extension": [_WITHDRAWN]}]
    assert _expand(tmp_path, concepts) == {"on", "active-first"}


def _choice_slices() -> dict[str, Any]:
    """Observation.value[x] sliced by type: two slices both allow Quantity, so a valueQuantity is in both."""
    return profile("choice-slices", "Observation", [
        {"id": "Observation.value[x]", "path": "Observation.value[x]",
         "slicing": {"discriminator": [{"type": "type", "path": "$this"}], "rules": "open"}},
        {"id": "Observation.value[x]:valueQuantity", "path": "Observation.value[x]", "sliceName": "valueQuantity",
         "min": 0, "max": "1", "type": [{"code": "Quantity"}]},
        {"id": "Observation.value[x]:amount", "path": "Observation.value[x]", "sliceName": "amount",
         "min": 0, "max": "1", "type": [{"code": "Quantity"}]}])


def test_a_choice_value_in_two_of_its_slices_is_accepted(tmp_path: Path) -> None:
    """matchSlice's isOk: a second slice whose path extends the first's ``[x]`` path is no
    VALIDATION_VAL_PROFILE_MATCHMULTIPLE (every slice of a choice element has the ``[x]`` path)."""
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "weight"},
           "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
    assert errors(tmp_path, obs, [_choice_slices()]) == []


def test_a_cyclic_base_definition_ends_the_context_walk() -> None:
    """_on_base_types walks baseDefinition like checkExtensionContext (extensions.base_paths); a cycle (A's base B,
    B's base A) must end it. Unreachable through real definitions (a cyclic pair has no snapshot), so a lookup
    over two stub definitions stands in."""
    from conformance.fhirval.extensions import base_paths

    defs: dict[str, tuple[str, object]] = {"A": ("A", "B"), "B": ("B", "A")}
    calls: list[str] = []

    def lookup(key: str) -> tuple[str, object] | None:
        calls.append(key)
        assert len(calls) < 50, "the walk did not end"
        return defs.get(key)

    assert base_paths("A.extension", lookup) == {"A.extension", "B.extension"}


def _kg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}


def test_a_resources_quantity_has_boundaries() -> None:
    """FHIRPathEngine.funcLowBoundary / funcHighBoundary take a Quantity (``base.hasType("Quantity")``): a copy
    with its value moved to the boundary; ours answered only a Quantity literal, so the invariant went unjudged."""
    from conformance.fhirval.invariants import evaluate

    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "weight"}, "valueQuantity": _kg(70.5),
           "referenceRange": [{"low": _kg(1), "high": _kg(2)}, {"low": _kg(5), "high": _kg(2)}]}

    def ours(expression: str) -> list[Any]:
        return evaluate(expression, obs, "Observation", obs, obs)

    assert ours("Observation.value.lowBoundary()") == [{**_kg(70.5), "value": Decimal("70.45000000")}]
    assert ours("(Observation.value as Quantity).highBoundary(2).value") == [Decimal("70.55")]
    assert ours("referenceRange[0].low.lowBoundary() <= referenceRange[0].high.highBoundary()") == [True]
    assert ours("referenceRange[1].low.lowBoundary() <= referenceRange[1].high.highBoundary()") == [False]
