"""A profile's snapshot written without ``ElementDefinition.base`` (hand-written, or an old tool's): whether a
property is a JSON array is the core definition's to say, as HL7's parser reads arrays by the core definitions,
never by a profile's. A profile narrowing a repeating element to max 1 and giving no base made every array there
"not a repeating element" (a metamorphic run: nine guides' snapshots with ``base`` taken out, 592 errors on
genomics-reporting's valid examples alone; now none)."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

URL = "http://example.test/StructureDefinition/one-category"


def profile(with_base: bool) -> dict[str, Any]:
    """R4's Observation with category narrowed to 1..1, its snapshot's ``base`` kept or taken out."""
    sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/Observation"))
    assert sd is not None
    sd.update(url=URL, name="OneCategory", derivation="constraint",
              baseDefinition="http://hl7.org/fhir/StructureDefinition/Observation")
    for ed in sd["snapshot"]["element"]:
        if ed["path"] == "Observation.category":
            ed.update(min=1, max="1")
        if not with_base:
            ed.pop("base", None)
    return sd


def observation(category: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "meta": {"profile": [URL]}, "status": "final",
            "code": {"text": "x"}, "category": category}


def errors(resource: dict[str, Any], with_base: bool) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource([profile(with_base)])])
    return sorted((i.defect, i.location, i.message) for i in validate_resource(resource, source, ())
                  if i.is_error)


CATEGORY = {"text": "vital signs"}


def test_an_array_the_core_definition_allows_is_not_an_error_whatever_the_profile_gives_as_base() -> None:
    assert errors(observation([CATEGORY]), with_base=True) == []
    assert errors(observation([CATEGORY]), with_base=False) == []


def test_the_core_definition_still_wants_its_array_and_the_profile_its_maximum() -> None:
    single = errors(observation(CATEGORY), with_base=False)
    assert [d for d, _, _ in single] == ["array-expected"]  # the base walk: R4's category repeats
    assert single == errors(observation(CATEGORY), with_base=True)
    two = errors(observation([CATEGORY, CATEGORY]), with_base=False)
    assert [d for d, _, _ in two] == ["cardinality-max"]


def test_resource_id_is_known_without_base_as_the_core_definition_knows_it() -> None:
    from conformance.fhirval.index import StructureIndex

    for with_base in (True, False):
        index = StructureIndex(profile(with_base))
        assert index.by_id["Observation.id"].resource_id
        assert not index.by_id["Observation.component.id"].resource_id  # a backbone element's id: a string
    bad = {**observation([CATEGORY]), "id": "a_b"}
    assert errors(bad, with_base=False) == errors(bad, with_base=True) != []
