"""Issue 21, HL7's BaseValidator rules audited call site by call site (fvbase14).

BaseValidator.java's own rule() calls (getFromBundle, resolveInBundle, loadFoundResource, getXverExt) that ours
lacked, each pinned on both sides: the synthetic resource HL7's source calls invalid, and its valid twin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bundle_resolution import _target_url, entry_maps, fragment_matches, full_url_matches
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_bytes, validate_resource
from tests.fhirval.test_definitions_packages import make_tgz

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


@pytest.mark.parametrize(("deleted_first", "errors"), [(True, []), (False, [("bundle-duplicate", REF_AT)])])
def test_an_entry_without_a_resource_is_no_earlier_match(deleted_first: bool, errors: list[tuple[str, str]]) -> None:
    """getFromBundle's ``match = r`` is null for an entry with no resource (a history's DELETE), so the match after it
    passes ``rule(match == null)``: HL7's answer depends on the entries' order (review14)."""
    deleted = {"fullUrl": BASE + "Patient/p1", "request": {"method": "DELETE", "url": "Patient/p1"},
               "response": {"status": "204"}}
    b = history((BASE + "Observation/o1", observation("Patient/p1")), (BASE + "Patient/p1", patient()))
    b["entry"].insert(1 if deleted_first else 2, deleted)
    assert [e for e in found(b) if e[0] == "bundle-duplicate"] == errors


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
    maps = entry_maps({"entry": [{"fullUrl": BASE + "Patient/p1", "resource": patient()},
                                 {"fullUrl": BASE + "Patient/p1", "resource": patient()}]})
    assert full_url_matches(maps, BASE + "Patient/p1", None) == 2
    assert full_url_matches(maps, BASE + "Patient/p1#n1", None) == 0


# ---- BaseValidator.resolveInBundle: BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE_FRAGMENT --------------------------------

def document(target: dict[str, Any]) -> dict[str, Any]:
    comp = {"resourceType": "Composition", "id": "c1", "text": NARRATIVE, "status": "final", "type": {"text": "t"},
            "date": "2020-01-01", "author": [{"display": "a"}], "title": "t",
            "subject": {"reference": BASE + "Patient/p1"},
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
    # XHTML's attribute names are case-sensitive, and an id may be written with entities (review14)
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p ID="x">a</p><p id="x&amp;y">b</p></div>'
    assert fragment_matches({"text": {"div": div}}, "x") == 0
    assert fragment_matches({"text": {"div": div}}, "x&y") == 1


# ---- BaseValidator.loadFoundResource: REFERENCE_REF_WRONGTARGET_LOAD --------------------------------------------

def response(contained: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "id": "qr", "text": NARRATIVE, "status": "completed",
            "contained": [contained], "questionnaire": "#q"}


def test_a_contained_questionnaire_of_another_type_is_an_error() -> None:
    vs = {"resourceType": "ValueSet", "id": "q", "status": "active"}
    assert found(response(vs)) == [("reference-target", "QuestionnaireResponse.questionnaire")]


def test_a_contained_questionnaire_is_not() -> None:
    assert found(response({"resourceType": "Questionnaire", "id": "q", "status": "active"})) == []


# ---- BaseValidator.getXverExt from StructureDefinitionValidator.validateTypeProfile: EXTENSION_EXT_VERSION_* ------

def xver_tables(tmp_path: Path) -> Path:
    return make_tgz(tmp_path / "hl7.fhir.xver-extensions-0.1.0.tgz", {
        "package/package.json": {"name": "hl7.fhir.xver-extensions", "version": "0.1.0"},
        "package/other/xver-paths-1.0.json": {"Patient.animal.species": {"types": ["CodeableConcept"]},
                                              "Patient.gender": {}},
    })


def profile_naming(url: str) -> bytes:
    return json.dumps({
        "resourceType": "StructureDefinition", "url": "http://example.org/fhir/StructureDefinition/x", "name": "X",
        "status": "draft", "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "differential": {"element": [
            {"id": "Patient.extension", "path": "Patient.extension",
             "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
            {"id": "Patient.extension:x", "path": "Patient.extension", "sliceName": "x",
             "type": [{"code": "Extension", "profile": [url]}]}]}}).encode()


V1 = "http://hl7.org/fhir/1.0/StructureDefinition/extension-"


@pytest.mark.parametrize(("url", "refused"), [
    (V1 + "Patient.nosuch", True),  # Unknown: EXTENSION_EXT_VERSION_INVALIDID
    (V1 + "Patient.gender", True),  # a row with nothing: EXTENSION_EXT_VERSION_NOCHANGE
    ("http://hl7.org/fhir/4.3/StructureDefinition/extension-Patient.gender", True),  # no table: _INVALID
    (V1 + "Patient.animal.species", False),  # Valid: generated
])
def test_a_type_profile_hl7_cannot_generate_is_an_error(tmp_path: Path, url: str, refused: bool) -> None:
    source = load_definitions([xver_tables(tmp_path)], cache=PackageCache(Path("/nonexistent-cache")))
    found_ = [(i.defect, i.location) for i in validate_bytes(profile_naming(url), source, []) if i.is_error]
    at = ("extension-unknown", "StructureDefinition.differential.element[1].type[0].profile[0]")
    assert (at in found_) is refused


def test_without_the_tables_a_cross_version_type_profile_is_not_judged() -> None:
    found_ = [i for i in validate_bytes(profile_naming(V1 + "Patient.nosuch"), base_source(), []) if i.is_error]
    assert found_ == []


# ---- BaseValidator.resolveInBundle with isNLLink: BUNDLE_BUNDLE_ENTRY_NOTFOUND_FRAGMENT ---------------------------

def linked_document(link: str, target: dict[str, Any]) -> dict[str, Any]:
    b = document(target)
    b["entry"][0]["resource"]["section"][0]["entry"] = [{"reference": BASE + "Patient/p1"}]
    b["entry"][0]["resource"]["section"][0]["extension"] = [
        {"url": "http://hl7.org/fhir/StructureDefinition/narrativeLink", "valueUrl": link}]
    return b


NL_AT = "Bundle.entry[0].resource.section[0].extension[0].valueUrl"


@pytest.mark.parametrize(("fragment", "defect"), [("nosuch", "reference-unresolved"), ("n1", None)])
def test_a_narrative_link_to_a_missing_fragment_is_an_error(fragment: str, defect: str | None) -> None:
    errors = [i for i in found(linked_document(BASE + "Patient/p1#" + fragment, patient(
        name=[{"id": "n1", "family": "a"}]))) if i[1] == NL_AT]
    assert errors == ([(defect, NL_AT)] if defect else [])
