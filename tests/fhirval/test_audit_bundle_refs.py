"""Issue 21, audit of references, Bundles, attachments and narrative against HL7's validator (s-fvaud3).

Each rule is pinned on both sides: the synthetic resource that HL7's source calls invalid, and its valid twin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.validate import validate_resource
from conformance.fhirval.xhtml_rules import url_problem

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}


def found(res: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error)


def observation(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "text": NARRATIVE, "status": "final", "code": {"text": "x"},
            **extra}


def bundle(btype: str, *entries: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": btype, "entry": list(entries)}
    return out


# ---- a conditional reference outside a transaction (BaseValidator.getFromBundle, Reference_REF_Format2) ----------

def test_conditional_reference_in_a_collection_is_an_error() -> None:
    obs = observation(subject={"reference": "Patient?identifier=123"})
    b = bundle("collection", {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": obs})
    assert ("reference-format", "Bundle.entry[0].resource.subject.reference") in found(b)


def test_conditional_reference_in_a_transaction_is_not() -> None:
    obs = observation(subject={"reference": "Patient?identifier=123"})
    b = bundle("transaction", {"fullUrl": "urn:uuid:6f7c3a52-3b7e-4c51-9a8e-0d1d2f3a4b5c", "resource": obs,
                               "request": {"method": "POST", "url": "Observation"}})
    assert found(b) == []


def test_conditional_reference_outside_a_bundle_is_not() -> None:
    assert found(observation(subject={"reference": "Patient?identifier=123"})) == []


# ---- fullUrl absolute by Utilities.isAbsoluteUrl (BundleValidator: BUNDLE_ENTRY_URL_ABSOLUTE) -------------------

@pytest.mark.parametrize(("full_url", "bad"), [
    ("HTTP://example.org/fhir/Observation/o1", True),  # an upper-case scheme is no token HL7 reads as a scheme
    ("my-scheme:o1", True),
    ("http://example.org/fhir/Observation/o1", False),
    ("urn:uuid:6f7c3a52-3b7e-4c51-9a8e-0d1d2f3a4b5c", False),
])
def test_full_url_must_be_absolute_as_hl7_reads_it(full_url: str, bad: bool) -> None:
    b = bundle("collection", {"fullUrl": full_url, "resource": observation()})
    assert (("bundle-fullurl", "Bundle.entry[0]") in found(b)) is bad


# ---- searchset: the searched type from the self link's path first (BundleValidator.readSearchResourceTypes) -------

def test_searchset_type_from_path_before_type_parameter() -> None:
    b = bundle("searchset", {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": observation(),
                             "search": {"mode": "match"}})
    b["link"] = [{"relation": "self", "url": "http://example.org/fhir/Observation?_type=Patient"}]
    assert found(b) == []
    b["link"][0]["url"] = "http://example.org/fhir/Patient?code=x"
    assert ("searchset", "Bundle.entry[0].resource") in found(b)


# ---- data: URLs in the narrative (UrlUtil.checkValidUrl) --------------------------------------------------------

@pytest.mark.parametrize(("url", "bad"), [
    ("data:image/png;base64,iVBORw0KGgo=", False),
    ("data:image/svg+xml;charset=utf-8,%3Csvg%3E", False),
    ("data:,hello", False),  # no media type: not judged
    ("data:application/octet-stream;base64,A==", True),  # 3 base64 characters: not quads
    ("data:image/png;base64,A(B=", True),
    ("data:text/plain,", True),  # Java's split drops the empty data: no data
    ("data:image;base64,AAAA", True),  # no subtype
])
def test_data_url(url: str, bad: bool) -> None:
    assert (url_problem(url) is not None) is bad


def test_data_url_in_a_narrative_image() -> None:
    res = observation(text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><img '
                                                         'src="data:image/png;base64,A==" alt="x"/></div>'})
    assert ("narrative", "Observation.text.div") in found(res)


# ---- Type/id in a Bundle resolves only as HL7's getFromBundle resolves it ----------------------------------------

PROFILES = "https://conformance.example/fhir/StructureDefinition/"


def _profiles(tmp_path: Path) -> LayeredSource:
    gendered = {"resourceType": "StructureDefinition", "url": PROFILES + "gendered", "name": "Gendered",
                "status": "active", "fhirVersion": "4.0.1", "kind": "resource", "abstract": False, "type": "Patient",
                "derivation": "constraint", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
                "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]}}
    subject = {**gendered, "url": PROFILES + "subject-gendered", "name": "SubjectGendered", "type": "Observation",
               "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
               "differential": {"element": [{"id": "Observation.subject", "path": "Observation.subject", "type": [
                   {"code": "Reference", "targetProfile": [PROFILES + "gendered"]}]}]}}
    for i, definition in enumerate((gendered, subject)):
        (tmp_path / f"def{i}.json").write_text(json.dumps(definition))
    return load_definitions([tmp_path])


def _pair(obs_url: str, patient_url: str, ref: str = "Patient/2") -> dict[str, Any]:
    obs = observation(id="1", meta={"profile": [PROFILES + "subject-gendered"]}, subject={"reference": ref})
    return bundle("collection", {"fullUrl": obs_url, "resource": obs},
                  {"fullUrl": patient_url, "resource": {"resourceType": "Patient", "id": "2", "text": NARRATIVE}})


def _errors(res: dict[str, Any], source: LayeredSource) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(res, source) if i.is_error)


def test_an_entry_on_another_base_is_not_the_target(tmp_path: Path) -> None:
    """HL7 finds http://b.example/fhir/Patient/2 only from an entry on that base (else a warning of a possible
    match): the target is not resolved, so its target profile is not judged."""
    source = _profiles(tmp_path)
    wrong = ("reference-target", "Bundle.entry[0].resource.subject")
    assert wrong in _errors(_pair("http://a.example/fhir/Observation/1", "http://a.example/fhir/Patient/2"), source)
    assert wrong not in _errors(_pair("http://a.example/fhir/Observation/1", "http://b.example/fhir/Patient/2"),
                                source)


def test_from_a_urn_entry_type_and_id_names_the_urn(tmp_path: Path) -> None:
    """From urn:uuid:X, Patient/Y is the entry urn:uuid:Y (base + id), whatever the resource's own id."""
    source = _profiles(tmp_path)
    uuid = "6f7c3a52-3b7e-4c51-9a8e-0d1d2f3a4b5c"
    doc = _pair("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", f"urn:uuid:{uuid}", f"Patient/{uuid}")
    assert ("reference-target", "Bundle.entry[0].resource.subject") in _errors(doc, source)
    doc["entry"][1]["resource"]["gender"] = "other"
    assert _errors(doc, source) == []


def test_a_versioned_reference_finds_that_version(tmp_path: Path) -> None:
    source = _profiles(tmp_path)
    doc = _pair("http://a.example/fhir/Observation/1", "http://a.example/fhir/Patient/2", "Patient/2/_history/5")
    doc["entry"][1]["resource"]["meta"] = {"versionId": "5"}
    assert ("reference-target", "Bundle.entry[0].resource.subject") in _errors(doc, source)
    doc["entry"][1]["resource"]["meta"] = {"versionId": "4"}
    assert ("reference-target", "Bundle.entry[0].resource.subject") not in _errors(doc, source)


# ---- narrative-language-control as InstanceValidator.checkNarrative reads it ------------------------------------

def _controlled(tmp_path: Path, control: str) -> tuple[LayeredSource, str]:
    url = PROFILES + "narrative-" + control.strip("_")
    sd = {"resourceType": "StructureDefinition", "url": url, "name": "NarrativeControl", "status": "draft",
          "fhirVersion": "4.0.1", "kind": "resource", "abstract": False, "type": "Patient",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
          "differential": {"element": [{"id": "Patient.text", "path": "Patient.text", "extension": [
              {"url": "http://hl7.org/fhir/StructureDefinition/narrative-language-control", "valueCode": control}]}]}}
    (tmp_path / "sd.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path]), url


def _sections(*divs: str, language: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "text": {
        "status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{"".join(divs) or "x"}</div>'}}
    if language:
        res["language"] = language
    return res


def _narrative_issues(res: dict[str, Any], source: LayeredSource, url: str) -> list[str]:
    return [i.severity for i in validate_resource(res, source, (url,)) if i.defect == "narrative"]


def test_a_section_is_a_div_with_xml_lang(tmp_path: Path) -> None:
    """XhtmlValidator.isLangDiv: xml:lang, not an HTML lang alone."""
    source, url = _controlled(tmp_path, "_no")
    assert _narrative_issues(_sections('<div lang="de">x</div>'), source, url) == []
    assert _narrative_issues(_sections('<div xml:lang="de">x</div>'), source, url) == ["error"]


@pytest.mark.parametrize("control", ["_resource", "fr"])
def test_no_sections_at_all_is_a_warning(tmp_path: Path, control: str) -> None:
    """XHTML_CONTROL_LANGS_NONE / _NONE2 are warnings; a section missing among others stays an error."""
    source, url = _controlled(tmp_path, control)
    assert _narrative_issues(_sections(language="fr"), source, url) == ["warning"]
    assert _narrative_issues(_sections('<div xml:lang="de">x</div>', language="fr"), source, url) == ["error"]
    assert _narrative_issues(_sections('<div xml:lang="fr">x</div>', language="fr"), source, url) == []


# ---- a contained resource has an id (validateContains: IdStatus.REQUIRED, RESOURCE_RES_ID_MISSING) ---------------

def test_a_contained_resource_without_id_is_an_error() -> None:
    bad = observation(contained=[{"resourceType": "Patient"}])
    assert ("resource-id", "Observation.contained[0]") in found(bad)  # the rule main has (fvaud1); dom-3 fails too
    good = observation(contained=[{"resourceType": "Patient", "id": "p"}], subject={"reference": "#p"})
    assert found(good) == []


# ---- what a document's Composition refers to must be an entry, as resolveInBundle judges it -----------------------

def _document(subject: str) -> dict[str, Any]:
    composition = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "x"},
                   "date": "2020", "title": "t", "text": NARRATIVE, "subject": {"reference": subject},
                   "author": [{"reference": "Practitioner/p1"}]}
    base = "http://example.net/fhir"
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2020-01-01T00:00:00Z",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
            "entry": [{"fullUrl": f"{base}/Composition/c1", "resource": composition},
                      {"fullUrl": f"{base}/Practitioner/p1", "resource": {"resourceType": "Practitioner", "id": "p1",
                                                                           "text": NARRATIVE}}]}


@pytest.mark.parametrize(("subject", "bad"), [
    ("http://example.net/fhir/Patient/x", True),
    ("Patient/x", True),
    ("http://example.net/fhir/Questionnaire/q1", False),  # a definition's RESTful URL: not document content
])
def test_composition_reference_not_in_the_document(subject: str, bad: bool) -> None:
    assert (("reference-unresolved", "Bundle.entry[0].resource.subject") in found(_document(subject))) is bad


# ---- '#' is the container, only from a contained resource (localResolve; REFERENCE_REF_CANTRESOLVE) --------------

def test_hash_alone_resolves_only_from_a_contained_resource() -> None:
    assert found(observation(subject={"reference": "#"})) == [("reference-unresolved", "Observation.subject.reference")]
    provenance = {"resourceType": "Provenance", "id": "pv", "target": [{"reference": "#"}],
                  "recorded": "2020-01-01T00:00:00Z", "agent": [{"who": {"display": "x"}}]}
    assert found(observation(contained=[provenance])) == []
