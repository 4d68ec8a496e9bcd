"""A search result Bundle's own rules: outcome entries, ids on matches, matches of the searched types."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}


def searchset(self_url: str | None, *entries: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{n}", "resource": res, "search": {"mode": mode}}
        for n, (mode, res) in enumerate(entries)]}
    if self_url is not None:
        bundle["link"] = [{"relation": "self", "url": self_url}]
    return bundle


def patient(rid: str | None = "p1") -> dict[str, Any]:
    return {"resourceType": "Patient", "text": NARRATIVE, **({"id": rid} if rid else {})}


def outcome() -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "text": NARRATIVE,
            "issue": [{"severity": "warning", "code": "informational"}]}


def found(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(bundle, base_source()) if i.is_error]


def test_a_proper_search_result_is_valid() -> None:
    assert found(searchset("http://server.test/fhir/Patient?name=x", ("match", patient()),
                           ("outcome", outcome()))) == []


def test_an_outcome_entry_must_be_an_operation_outcome() -> None:
    assert found(searchset(None, ("outcome", patient()))) == [("searchset", "Bundle.entry[0].resource")]


def test_a_match_must_have_an_id() -> None:
    assert found(searchset(None, ("match", patient(None)))) == [("searchset", "Bundle.entry[0].resource")]


@pytest.mark.parametrize(("url", "ok"), [
    ("http://server.test/fhir/Patient?name=x", True), ("http://server.test/fhir/Observation?code=x", False),
    ("http://server.test/fhir?_type=Observation,Patient", True), ("base?name=x&_type=Observation", False),
    ("http://server.test/fhir/Patient/p1/Observation", False), ("http://server.test/fhir/$everything", True),
    ("https://[base]/Patient?identifier=x", True), ("https://[base]/Observation?patient=x", False),  # UK Core's style
    ("http://[::1/Patient?x#y", True),
])
def test_matches_are_of_the_types_the_self_link_searched(url: str, ok: bool) -> None:
    assert (found(searchset(url, ("match", patient()))) == []) is ok


def test_included_entries_may_be_of_any_type() -> None:
    assert found(searchset("http://server.test/fhir/Observation?code=x", ("include", patient()))) == []


def test_an_included_resource_needs_an_id_too() -> None:
    # BundleValidator.checkSearchSet: BUNDLE_SEARCH_ENTRY_NO_RESOURCE_ID for 'include' as for 'match'
    assert found(searchset(None, ("match", patient()), ("include", patient("o1")))) == []
    assert found(searchset(None, ("match", patient()), ("include", patient(None)))) == [
        ("searchset", "Bundle.entry[1].resource")]


def test_a_search_entry_without_a_resource() -> None:
    bundle = searchset(None, ("match", patient()))
    del bundle["entry"][0]["resource"]
    assert ("searchset", "Bundle.entry[0]") in found(bundle)  # besides bdl-5, as HL7's validator
