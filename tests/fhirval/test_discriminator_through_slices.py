"""A discriminator path that passes through a sliced element, read as HL7's FHIRPathEngine.evaluateDefinition reads
it: a child that has slicing is skipped (``tailMatches(t, name) && !t.hasSlicing()``), so the path goes on in the
first slice, in snapshot order, that has none, whatever its cardinality and however many slices there are. Before,
only an element with exactly one slice was read that way: with two, the path read the sliced element itself, which
fixes nothing, and the slicing was called impossible to evaluate (an error on a valid resource)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import errors, profile

X, Y = "http://example.test/x", "http://example.test/y"


def _coding_slice(name: str, lo: int, system: str, code: str) -> list[dict[str, Any]]:
    at = f"Observation.component:a.code.coding:{name}"
    return [{"id": at, "path": "Observation.component.code.coding", "sliceName": name, "min": lo, "max": "1"},
            {"id": f"{at}.system", "path": "Observation.component.code.coding.system", "fixedUri": system},
            {"id": f"{at}.code", "path": "Observation.component.code.coding.code", "fixedCode": code}]


def _profile(first_min: int) -> dict[str, Any]:
    """Components sliced (closed) by ``code.coding.code``; slice ``a``'s codings sliced again in two: x (code 1,
    min ``first_min``) then y (code 2, min 1). HL7 takes x's code as slice a's discriminator value."""
    return profile("through-slices", "Observation", [
        {"id": "Observation.component", "path": "Observation.component",
         "slicing": {"discriminator": [{"type": "value", "path": "code.coding.code"}], "rules": "closed"}},
        {"id": "Observation.component:a", "path": "Observation.component", "sliceName": "a", "min": 0, "max": "1"},
        {"id": "Observation.component:a.code.coding", "path": "Observation.component.code.coding",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        *_coding_slice("x", first_min, X, "1"), *_coding_slice("y", 1, Y, "2")])


def _component(*codings: tuple[str, str]) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "t"},
            "component": [{"code": {"coding": [{"system": s, "code": c} for s, c in codings]}}]}


def test_the_first_slice_on_the_path_gives_the_value(tmp_path: Path) -> None:
    for first_min in (0, 1):
        assert errors(tmp_path, _component((X, "1"), (Y, "2")), [_profile(first_min)]) == []


def test_a_value_without_the_first_slice_s_value_is_outside_the_slice(tmp_path: Path) -> None:
    """Only y's code: not slice a's value (x's), so the closed slicing rejects the component; before, the same
    resource gave "cannot be evaluated", for a reason HL7 does not have."""
    for first_min in (0, 1):
        assert errors(tmp_path, _component((Y, "2")), [_profile(first_min)]) == [
            ("slice-unmatched", "Observation.component[0]")]


def test_a_re_sliced_first_slice_gives_its_first_re_slice(tmp_path: Path) -> None:
    """getChildMap lists the re-slices among the children in snapshot order, so with the first slice (r) itself
    sliced, the path goes on in its first re-slice (r/x, code 1), not in r and not in the next slice (y)."""
    coding = "Observation.component:a.code.coding"
    path = "Observation.component.code.coding"
    definition = profile("through-re-slices", "Observation", [
        {"id": "Observation.component", "path": "Observation.component",
         "slicing": {"discriminator": [{"type": "value", "path": "code.coding.code"}], "rules": "closed"}},
        {"id": "Observation.component:a", "path": "Observation.component", "sliceName": "a", "min": 0, "max": "1"},
        {"id": coding, "path": path, "slicing": {"discriminator": [{"type": "value", "path": "system"}],
                                                 "rules": "open"}},
        {"id": f"{coding}:r", "path": path, "sliceName": "r", "min": 0, "max": "*",
         "slicing": {"discriminator": [{"type": "value", "path": "code"}], "rules": "open"}},
        {"id": f"{coding}:r.system", "path": f"{path}.system", "fixedUri": X},
        {"id": f"{coding}:r/x", "path": path, "sliceName": "r/x", "min": 0, "max": "1"},
        {"id": f"{coding}:r/x.code", "path": f"{path}.code", "fixedCode": "1"},
        *_coding_slice("y", 0, Y, "2")])
    assert errors(tmp_path, _component((X, "1")), [definition]) == []
    assert errors(tmp_path, _component((Y, "2")), [definition]) == [("slice-unmatched", "Observation.component[0]")]
