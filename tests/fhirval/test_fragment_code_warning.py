"""A code that a ``fragment`` CodeSystem lacks is a warning (HL7's ValueSetValidator.validateCode(path, Coding,
CodeSystem, ..): UNKNOWN_CODE_IN_FRAGMENT; issue 21, fvjpa15, seen in HAPI FHIR's JPA validation tests). A code it
has, or a complete CodeSystem's missing code (an error), is not this warning; no value set failure follows from it."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.fhirval.issues import Issue

FRAGMENT = "https://conformance.example/cs/shapes-fragment"
COMPLETE = "https://conformance.example/cs/shapes-complete"
PROFILE = "https://conformance.example/sd/shaped-observation"


def _definitions(folder: Path) -> list[str]:
    concepts = [{"code": "circle", "display": "Circle"}, {"code": "square", "display": "Square"}]
    resources = [
        {"resourceType": "CodeSystem", "id": "frag", "url": FRAGMENT, "status": "active", "content": "fragment",
         "caseSensitive": True, "concept": concepts},
        {"resourceType": "CodeSystem", "id": "comp", "url": COMPLETE, "status": "active", "content": "complete",
         "caseSensitive": True, "concept": concepts},
        {"resourceType": "ValueSet", "id": "shapes", "url": "https://conformance.example/vs/shapes",
         "status": "active", "compose": {"include": [{"system": FRAGMENT}]}},
        {"resourceType": "StructureDefinition", "id": "shaped", "url": PROFILE, "name": "Shaped", "status": "active",
         "kind": "resource", "abstract": False, "type": "Observation", "fhirVersion": "4.0.1",
         "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "constraint",
         "differential": {"element": [{"id": "Observation.code", "path": "Observation.code",
                                       "binding": {"strength": "required",
                                                   "valueSet": "https://conformance.example/vs/shapes"}}]}},
    ]
    for r in resources:
        (folder / f"{r['resourceType']}-{r['id']}.json").write_text(json.dumps(r))
    return [str(folder)]


def _issues(tmp_path: Path, resource: dict[str, object], profiles: tuple[str, ...] = ()) -> list[Issue]:
    from conformance.fhirval.layered import load_definitions
    from conformance.fhirval.validate import validate_resource

    source = load_definitions(_definitions(tmp_path))
    return validate_resource(resource, source, profiles, wrong_displays="error")


def _location(system: str, code: str) -> dict[str, object]:
    return {"resourceType": "Location", "text": {"status": "generated", "div":
            '<div xmlns="http://www.w3.org/1999/xhtml">A room</div>'},
            "physicalType": {"coding": [{"system": system, "code": code}]}}


def _found(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(i.severity, i.defect) for i in issues if i.defect in ("code-unknown", "code-invalid")]


def test_a_code_a_fragment_lacks_is_a_warning(tmp_path: Path) -> None:
    issues = _issues(tmp_path, _location(FRAGMENT, "triangle"))
    assert _found(issues) == [("warning", "code-unknown")]
    assert "fragment" in next(i.message for i in issues if i.defect == "code-unknown")


def test_a_code_the_fragment_has_and_a_complete_systems_missing_code(tmp_path: Path) -> None:
    assert _found(_issues(tmp_path, _location(FRAGMENT, "circle"))) == []
    assert _found(_issues(tmp_path, _location(COMPLETE, "triangle"))) == [("error", "code-unknown")]


def test_under_a_required_binding_the_warning_and_no_value_set_failure(tmp_path: Path) -> None:
    obs = {"resourceType": "Observation", "status": "final", "text": {"status": "generated", "div":
           '<div xmlns="http://www.w3.org/1999/xhtml">A shape</div>'},
           "code": {"coding": [{"system": FRAGMENT, "code": "triangle"}]}}
    issues = _issues(tmp_path, obs, (PROFILE,))
    assert not any(i.is_error for i in issues)
    assert ("warning", "code-unknown") in _found(issues)
