"""Issue 21, HL7's BaseValidator rules audited call site by call site (fvbase14).

BaseValidator.java's own rule() calls (getFromBundle, resolveInBundle, loadFoundResource) that ours lacked, each
pinned on both sides: the synthetic resource HL7's source calls invalid, and its valid twin.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bundle_resolution import _target_url, fragment_matches, full_url_matches
from conformance.fhirval.validate import validate_resource

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}
BASE = "http://example.org/fhir/"
UUID = "7b6e7d5c-8a61-4c2e-9e0b-2b7b5e3c1a11"


def found(res: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error)


def patient(pid: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "text": NARRATIVE, **extra}


def observation(ref: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "text": NARRATIVE, "status": "final", "code": {"text": "x"},
            "subject": {"reference": ref}}


def history(*entries: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "history", "entry": [
        {"fullUrl": fu, "resource": res, "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"},
         "response": {"status": "200"}} for fu, res in entries]}


REF_AT = "Bundle.entry[0].resource.subject.reference"


# ---- BaseValidator.getFromBundle: BUNDLE_BUNDLE_MULTIPLEMATCHES ------------------------------------------------

@pytest.mark.parametrize("ref", [BASE + "Patient/p1", "Patient/p1"])
def test_a_reference_matching_two_versions_in_a_history_is_an_error(ref: str) -> None:
    b = history((BASE + "Observation/o1", observation(ref)),
                (BASE + "Patient/p1", patient(meta={"versionId": "1"})),
                (BASE + "Patient/p1", patient(meta={"versionId": "2"})))
    assert ("bundle-duplicate", REF_AT) in found(b)


def test_a_versioned_reference_matching_one_version_is_not() -> None:
    b = history((BASE + "Observation/o1", observation("Patient/p1/_history/2")),
                (BASE + "Patient/p1", patient(meta={"versionId": "1"})),
                (BASE + "Patient/p1", patient(meta={"versionId": "2"})))
    assert found(b) == []


def test_a_urn_namespace_reference_matching_two_versions_in_a_collection_is_an_error() -> None:
    b = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0b6e7d5c-8a61-4c2e-9e0b-2b7b5e3c1a11", "resource": observation(f"Patient/{UUID}")},
        {"fullUrl": f"urn:uuid:{UUID}", "resource": patient(UUID, meta={"versionId": "1"})},
        {"fullUrl": f"urn:uuid:{UUID}", "resource": patient(UUID, meta={"versionId": "2"})}]}
    assert found(b) == [("bundle-duplicate", REF_AT)]
    b["entry"].pop()
    assert found(b) == []


@pytest.mark.parametrize(("ref", "full_url", "target"), [
    ("Patient/p1", BASE + "Observation/o1", (BASE + "Patient/p1", "")),
    ("Patient/p1/_history/2", BASE + "Observation/o1", (BASE + "Patient/p1", "2")),
    (f"Patient/{UUID}", "urn:uuid:x", (f"urn:uuid:{UUID}", "")),
    # HL7 cuts an absolute versioned reference one character short (indexOf("/_history/") - 1)
    (BASE + "Patient/p1/_history/2", None, (BASE + "Patient/p", "2")),
    ("Patient", BASE + "Observation/o1", None),  # Reference_REF_Format1/2 instead
    ("Patient/p1", None, None),  # BUNDLE_BUNDLE_FULLURL_MISSING instead
])
def test_the_target_url_is_getfrombundles(ref: str, full_url: str | None, target: tuple[str, str] | None) -> None:
    assert _target_url(ref, full_url) == target


def test_a_fragment_finds_no_fullurl_there() -> None:
    bundle = {"entry": [{"fullUrl": BASE + "Patient/p1"}, {"fullUrl": BASE + "Patient/p1"}]}
    assert full_url_matches(bundle, BASE + "Patient/p1", None) == 2
    assert full_url_matches(bundle, BASE + "Patient/p1#n1", None) == 0


# ---- BaseValidator.resolveInBundle: BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE_FRAGMENT --------------------------------

def document(target: dict[str, Any]) -> dict[str, Any]:
    comp = {"resourceType": "Composition", "id": "c1", "text": NARRATIVE, "status": "final", "type": {"text": "t"},
            "date": "2020-01-01", "author": [{"display": "a"}], "title": "t", "subject": {"reference": BASE + "Patient/p1"},
            "section": [{"title": "s", "text": NARRATIVE, "entry": [{"reference": BASE + "Patient/p1#n1"}]}]}
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2020-01-01T00:00:00Z",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:1b6e7d5c-8a61-4c2e-9e0b-2b7b5e3c1a11"},
            "entry": [{"fullUrl": BASE + "Composition/c1", "resource": comp},
                      {"fullUrl": BASE + "Patient/p1", "resource": target}]}


def test_a_fragment_naming_an_element_and_a_narrative_id_is_an_error() -> None:
    p = patient(name=[{"id": "n1", "family": "a"}])
    p["text"] = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p id="n1">a</p></div>'}
    assert found(document(p)) == [("bundle-duplicate", "Bundle.entry[0].resource.section[0].entry[0].reference")]


def test_a_fragment_naming_one_element_is_not() -> None:
    assert found(document(patient(name=[{"id": "n1", "family": "a"}, {"id": "n2", "family": "b"}]))) == []


def test_fragment_matches_counts_elements_resources_and_xhtml() -> None:
    entry = {"id": "x", "resource": {"resourceType": "Patient", "id": "x", "_gender": {"id": "x"},
                                     "text": {"div": '<div><p id="x"/><span id="y">t</span></div>'}}}
    assert fragment_matches(entry, "x") == 4
    assert fragment_matches(entry, "y") == 1


# ---- BaseValidator.loadFoundResource: REFERENCE_REF_WRONGTARGET_LOAD --------------------------------------------

def response(contained: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "id": "qr", "text": NARRATIVE, "status": "completed",
            "contained": [contained], "questionnaire": "#q"}


def test_a_contained_questionnaire_of_another_type_is_an_error() -> None:
    vs = {"resourceType": "ValueSet", "id": "q", "status": "active"}
    assert found(response(vs)) == [("reference-target", "QuestionnaireResponse.questionnaire")]


def test_a_contained_questionnaire_is_not() -> None:
    assert found(response({"resourceType": "Questionnaire", "id": "q", "status": "active"})) == []
