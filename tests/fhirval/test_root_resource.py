"""``%rootResource`` where HL7's validator evaluates an invariant (ValidationContext.getRootResource): the resource
itself, a contained resource's container (``forContained``), and a Bundle entry's own resource, not the Bundle
(``forEntry`` resets the root at that boundary). It was the outermost resource walked, the Bundle."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes

_PROFILE = "http://example.test/StructureDefinition/obs-root"


def _profile() -> DefinitionSource:
    """An Observation profile whose root constraint reads %rootResource (as SDC's sdc-adapt-1 does)."""
    sd = {"resourceType": "StructureDefinition", "url": _PROFILE, "name": "ObsRoot", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Observation",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "constraint",
          "differential": {"element": [{"id": "Observation", "path": "Observation", "constraint": [
              {"key": "root-1", "severity": "error", "human": "the root is an Observation or holds this one",
               "expression": "%rootResource.ofType(Observation).exists() or %rootResource.contained.exists()"}]}]}}
    with TemporaryDirectory() as tmp:
        (Path(tmp) / "p.json").write_text(json.dumps(sd))
        return load_definitions([Path(tmp) / "p.json"])


def _obs(**more: object) -> dict[str, object]:
    return {"resourceType": "Observation", "id": "o1", "meta": {"profile": [_PROFILE]}, "status": "final",
            "code": {"text": "x"}, **more}


def _failures(doc: dict[str, object]) -> list[str]:
    return [i.location for i in validate_bytes(json.dumps(doc), _profile()) if i.is_error and "root-1" in i.message]


def test_a_bundle_entrys_root_resource_is_the_entry_resource() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "http://example.test/Observation/o1", "resource": _obs()}]}
    assert _failures(bundle) == []  # was: %rootResource was the Bundle, so root-1 failed at entry[0].resource


def test_a_contained_resources_root_resource_is_its_container() -> None:
    inner = _obs(id="c1")
    inner.pop("meta")
    holder = {"resourceType": "Patient", "contained": [dict(inner, meta={"profile": [_PROFILE]})]}
    assert _failures(holder) == []  # the container (a Patient) has contained resources
    assert _failures(_obs()) == []  # at the top: the Observation itself
