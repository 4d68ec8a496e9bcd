"""References between a document's or message's entries, by HL7's fullUrl rules (bundle_resolution.py), and a
canonical URL used as an entry's fullUrl. Each rule with an instance that breaks it and one that keeps it."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

BASE = "http://example.net/fhir"


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]


def _document(*, author_url: str, author: str = "Practitioner/p1") -> dict[str, Any]:
    composition = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "x"},
                   "date": "2020", "title": "t", "author": [{"reference": author}]}
    return {"resourceType": "Bundle", "type": "document",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
            "timestamp": "2020-01-01T00:00:00Z",
            "entry": [{"fullUrl": f"{BASE}/Composition/c1", "resource": composition},
                      {"fullUrl": author_url, "resource": {"resourceType": "Practitioner", "id": "p1"}}]}


def test_type_and_id_resolve_against_the_entry_base() -> None:
    assert errors(_document(author_url=f"{BASE}/Practitioner/p1")) == []


def test_an_entry_on_another_base_is_not_found_by_type_and_id() -> None:
    """BaseValidator.resolveInBundle: BUNDLE_BUNDLE_ENTRY_NOTFOUND_APPARENT (and the entry is then an orphan)."""
    found = errors(_document(author_url="http://elsewhere.example/fhir/Practitioner/p1"))
    assert ("reference-unresolved", "Bundle.entry[0].resource.author[0].reference") in found
    assert errors(_document(author_url="http://elsewhere.example/fhir/Practitioner/p1",
                            author="http://elsewhere.example/fhir/Practitioner/p1")) == []


def test_from_an_entry_known_by_urn_type_and_id_find_nothing() -> None:
    """BUNDLE_BUNDLE_ENTRY_NOTFOUND_CANNOT: a urn: fullUrl gives no RESTful base to resolve Type/id against."""
    doc = _document(author_url=f"{BASE}/Practitioner/p1")
    doc["entry"][0]["fullUrl"] = "urn:uuid:9d0a5a56-1e5e-4f3a-8d8a-0f8c2b7a6b11"
    assert ("reference-unresolved", "Bundle.entry[0].resource.author[0].reference") in errors(doc)


def test_several_entries_with_the_fullurl_make_the_reference_ambiguous() -> None:
    """BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE (versions differ, so bdl-7 allows the two entries)."""
    doc = _document(author_url=f"{BASE}/Practitioner/p1")
    doc["entry"][1]["resource"]["meta"] = {"versionId": "1"}
    second = copy.deepcopy(doc["entry"][1])
    second["resource"]["meta"] = {"versionId": "2"}
    doc["entry"].append(second)
    # and BUNDLE_BUNDLE_MULTIPLEMATCHES: InstanceValidator.resolve asks BaseValidator.getFromBundle in a Bundle of
    # any type, a document's too (fvleft15: ours gave resolveInBundle's error only)
    assert errors(doc).count(("bundle-duplicate", "Bundle.entry[0].resource.author[0].reference")) == 2
    doc["type"] = "message"
    doc["entry"].insert(0, {"fullUrl": f"{BASE}/MessageHeader/m1", "resource": {
        "resourceType": "MessageHeader", "id": "m1", "eventCoding": {"system": "urn:x", "code": "e"},
        "source": {"endpoint": "urn:x"}, "focus": [{"reference": "Composition/c1"}]}})
    assert errors(doc).count(("bundle-duplicate", "Bundle.entry[1].resource.author[0].reference")) == 2
    doc["entry"].pop(0)
    doc["type"] = "document"
    doc["entry"][0]["resource"]["author"][0]["reference"] = "Practitioner/p1/_history/2"
    assert [e for e in errors(doc) if e[1].startswith("Bundle.entry[0].resource.author")] == []


def test_a_collection_still_finds_type_and_id_anywhere() -> None:
    doc = _document(author_url="http://elsewhere.example/fhir/Practitioner/p1")
    doc["type"] = "collection"
    assert [e for e in errors(doc) if e[0] == "reference-unresolved"] == []


def _value_set_entry(full_url: str, vs_id: str = "vs1") -> dict[str, Any]:
    vs = {"resourceType": "ValueSet", "id": vs_id, "url": full_url, "status": "draft"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": full_url, "resource": vs}]}


def test_a_canonical_url_as_fullurl_must_end_with_the_id() -> None:
    """BundleValidator: BUNDLE_BUNDLE_ENTRY_MISMATCHIDURL."""
    assert errors(_value_set_entry(f"{BASE}/ValueSet/vs1")) == []
    assert errors(_value_set_entry("http://example.net/terminology/my-codes")) == [
        ("bundle-fullurl", "Bundle.entry[0]")]
