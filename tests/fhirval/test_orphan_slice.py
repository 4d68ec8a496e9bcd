"""A snapshot that has a named slice but not the element it slices (CARIN RTPBC 0.1.0's MessageHeader profiles, as a
2020 IG publisher wrote them: ``MessageHeader.focus:rtpbc-request`` and no ``MessageHeader.focus``). HL7's
InstanceValidator.assignChildren finds no slicer for that element and matchSlice matches it by name as the element
itself, so the instance's ``focus`` is held to it; found by comparing guides' committed qa.txt with ours."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

URL = "http://example.test/StructureDefinition/header"
CLAIM = "http://hl7.org/fhir/StructureDefinition/Claim"


def profile(*slices: str) -> dict[str, Any]:
    """MessageHeader with its snapshot as given: each ``focus`` element replaced by these named slices (1..1)."""
    base = base_source().structure("http://hl7.org/fhir/StructureDefinition/MessageHeader")
    assert base is not None
    elements: list[dict[str, Any]] = []
    for ed in copy.deepcopy(base["snapshot"]["element"]):
        if ed["id"] != "MessageHeader.focus":
            elements.append(ed)
            continue
        for name in slices:
            elements.append({**ed, "id": f"MessageHeader.focus:{name}", "sliceName": name, "min": 1, "max": "1",
                             "type": [{"code": "Reference", "targetProfile": [CLAIM]}]})
    return {"resourceType": "StructureDefinition", "url": URL, "name": "Header", "status": "draft",
            "kind": "resource", "abstract": False, "type": "MessageHeader", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/MessageHeader",
            "snapshot": {"element": elements}}


def header(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "MessageHeader", "meta": {"profile": [URL]},
            "eventCoding": {"system": "http://example.test/events", "code": "x"},
            "source": {"endpoint": "http://example.test/source"}, **extra}


def errors(resource: dict[str, Any], *slices: str) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([profile(*slices)])])
    return sorted((i.defect, i.message) for i in validate_resource(resource, source, ()) if i.is_error)


def test_a_value_of_the_missing_element_is_held_to_the_slice_not_called_unknown() -> None:
    assert errors(header(focus=[{"reference": "Claim/1"}]), "request") == []


def test_the_slice_s_own_rules_apply_as_the_element_s() -> None:
    found = errors(header(), "request")
    assert [d for d, _ in found] == ["cardinality-min"]
    assert "MessageHeader.focus" in found[0][1]
    assert [d for d, _ in errors(header(focus=[{"reference": "Claim/1"}, {"reference": "Claim/2"}]), "request")] \
        == ["cardinality-max"]


def test_a_second_such_slice_changes_nothing_for_the_first() -> None:
    assert errors(header(focus=[{"reference": "Claim/1"}]), "request", "other") == []
