"""A profile's snapshot taken as given is walked the same whatever its ids say. HL7's validator walks a snapshot by
path and position (ProfileUtilities.getChildMap) and never reads an element's id there; ours indexes by id, so a
snapshot written without ids (an old or hand-written profile), with an id repeated, or with ids that name other
elements than their paths (every id its path, slice names lost) gets ids made again from paths and slice names
(snapshot_ids.walk_ids). Found by a metamorphic run: IPS 2.0.0's 44 examples, valid as published, got 179 errors
once the ids were taken out of its snapshots."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot_ids import walk_ids
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

URL = "http://example.test/StructureDefinition/bp"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def bp_profile(rewrite: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """R4's blood-pressure profile (slices on code.coding and component) under another url, each snapshot element
    rewritten."""
    sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/bp"))
    assert sd is not None
    sd["url"] = URL
    for ed in sd["snapshot"]["element"]:
        rewrite(ed)
    return sd


def as_published(ed: dict[str, Any]) -> None:
    pass


def without_id(ed: dict[str, Any]) -> None:
    ed.pop("id", None)


def id_is_path(ed: dict[str, Any]) -> None:
    ed["id"] = ed["path"]


def component(code: str, value: float) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}


def observation(*components: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "meta": {"profile": [URL]}, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
            "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2024-01-01",
            "component": list(components)}


def errors(resource: dict[str, Any], rewrite: Callable[[dict[str, Any]], None]) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([bp_profile(rewrite)])])
    return sorted((i.defect, i.message) for i in validate_resource(resource, source, ()) if i.is_error)


VALID = observation(component("8480-6", 120), component("8462-4", 80))
NO_DIASTOLIC = observation(component("8480-6", 120))


@pytest.mark.parametrize("rewrite", [without_id, id_is_path], ids=["no ids", "every id its path"])
def test_the_walk_does_not_depend_on_the_snapshot_s_ids(rewrite: Callable[[dict[str, Any]], None]) -> None:
    assert errors(VALID, as_published) == [] == errors(VALID, rewrite)
    missing = errors(NO_DIASTOLIC, as_published)
    assert any(d == "slice-min" and "DiastolicBP" in m for d, m in missing)  # the check can fail
    assert errors(NO_DIASTOLIC, rewrite) == missing


def test_ids_that_name_their_own_elements_are_kept_as_given() -> None:
    elements = bp_profile(as_published)["snapshot"]["element"]
    assert walk_ids(elements) is elements
    made = walk_ids(bp_profile(id_is_path)["snapshot"]["element"])
    assert [e["id"] for e in made] == [e["id"] for e in elements]  # as ProfileUtilities.setIds makes them
