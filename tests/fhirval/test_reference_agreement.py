"""Rules brought in line with HL7's reference validator (issue 21): each with an instance that breaks it and
one that keeps it. Synthetic resources only; the bench (bench/fhir_reference_agreement.py) measures the rest."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_resource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "validation"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def found(resource: dict[str, Any], source: DefinitionSource | None = None,
          profiles: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(resource, source or base_source(), profiles)
            if i.severity != "information" and not (i.severity == "warning" and "dom-6" in i.message)]


def errors(resource: dict[str, Any], source: DefinitionSource | None = None,
           profiles: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(d, loc) for s, d, loc in found(resource, source, profiles) if s == "error"]


# ---- unknown extensions in example domains -------------------------------------------------------

def test_unknown_extension_in_an_example_domain_is_a_warning() -> None:
    res = load("patient-valid.json")
    res["extension"] = [{"url": "http://example.org/fhir/StructureDefinition/test", "valueString": "x"}]
    assert ("warning", "extension-unknown", "Patient.extension[0]") in found(res)
    assert errors(res) == []


def test_unknown_extension_elsewhere_is_still_an_error() -> None:
    res = load("patient-valid.json")
    res["extension"] = [{"url": "http://example.net/fhir/StructureDefinition/test", "valueString": "x"}]
    assert errors(res) == [("extension-unknown", "Patient.extension[0]")]


def test_unknown_modifier_extension_in_an_example_domain_is_a_warning() -> None:
    """HL7's checkExtension judges an unknown modifierExtension as an unknown extension (allowUnknownExtension:
    example domains allowed, isModifier not consulted; s-fvaud2); elsewhere it is still an error."""
    res = load("patient-valid.json")
    res["modifierExtension"] = [{"url": "http://example.org/fhir/StructureDefinition/mod", "valueBoolean": True}]
    assert ("warning", "extension-unknown", "Patient.modifierExtension[0]") in found(res)
    assert errors(res) == []
    res["modifierExtension"] = [{"url": "http://example.net/fhir/StructureDefinition/mod", "valueBoolean": True}]
    assert errors(res) == [("extension-unknown", "Patient.modifierExtension[0]")]


# ---- profiles by urn:oid: canonical --------------------------------------------------------------

def _oid_profile(tmp_path: Path) -> tuple[DefinitionSource, str]:
    url = "urn:oid:2.16.840.1.113883.3.1937.777.1"
    sd = {"resourceType": "StructureDefinition", "id": "oid-patient", "url": url, "name": "OidPatient",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
          "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]}}
    (tmp_path / "oid-patient.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path / "oid-patient.json"]), url


def test_profile_named_by_urn_oid_is_found_and_applied(tmp_path: Path) -> None:
    source, url = _oid_profile(tmp_path)
    res = load("patient-valid.json")
    assert errors(res, source, (url,)) == []
    del res["gender"]
    assert errors(res, source, (url,)) == [("cardinality-min", "Patient")]


# ---- Bundle fullUrl against the entry's id -------------------------------------------------------

def _collection(full_url: str, rid: str) -> dict[str, Any]:
    b = copy.deepcopy(load("bundle-valid.json"))
    b["type"] = "collection"
    for e in b["entry"]:
        e.pop("request", None)
    b["entry"][0]["fullUrl"] = full_url
    b["entry"][0]["resource"]["id"] = rid
    return b


def test_full_url_not_restful_need_not_end_with_type_and_id() -> None:
    # "Obervation" is no resource type, so the URL is not a RESTful one (HL7's validator: no rule)
    assert ("bundle-fullurl", "Bundle.entry[0].fullUrl") not in errors(
        _collection("https://fhir.example/test/Obervation/obs1", "obs2"))


def test_restful_full_url_must_end_with_type_and_id() -> None:
    assert ("bundle-fullurl", "Bundle.entry[0].fullUrl") in errors(
        _collection("https://fhir.example/test/Patient/obs1", "obs2"))


# ---- slicing -------------------------------------------------------------------------------------

def _profile(tmp_path: Path, rtype: str, elements: list[dict[str, Any]]) -> tuple[DefinitionSource, str]:
    url = f"https://conformance.example/fhir/StructureDefinition/t-{rtype.lower()}"
    sd = {"resourceType": "StructureDefinition", "id": f"t-{rtype.lower()}", "url": url, "name": f"T{rtype}",
          "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
          "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}", "derivation": "constraint",
          "differential": {"element": elements}}
    (tmp_path / f"t-{rtype}.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path / f"t-{rtype}.json"]), url


def _list_by_resolved_type(tmp_path: Path) -> tuple[DefinitionSource, str]:
    def entry(name: str, target: str) -> list[dict[str, Any]]:
        return [{"id": f"List.entry:{name}", "path": "List.entry", "sliceName": name, "min": 1},
                {"id": f"List.entry:{name}.item", "path": "List.entry.item", "type": [
                    {"code": "Reference", "targetProfile": [f"http://hl7.org/fhir/StructureDefinition/{target}"]}]}]
    return _profile(tmp_path, "List", [
        {"id": "List.entry", "path": "List.entry", "slicing": {
            "discriminator": [{"type": "type", "path": "item.resolve()"}], "rules": "closed"}},
        *entry("condition", "Condition"), *entry("observation", "Observation")])


def _list(*contained: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "List", "status": "current", "mode": "working", "contained": list(contained),
            "entry": [{"item": {"reference": f"#{c['id']}"}} for c in contained]}


CONDITION: dict[str, Any] = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"}}
OBSERVATION: dict[str, Any] = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}}


def test_type_discriminator_through_resolve_of_a_contained_resource(tmp_path: Path) -> None:
    source, url = _list_by_resolved_type(tmp_path)
    assert errors(_list(CONDITION, OBSERVATION), source, (url,)) == []


def test_type_discriminator_through_resolve_rejects_another_type(tmp_path: Path) -> None:
    source, url = _list_by_resolved_type(tmp_path)
    device = {"resourceType": "Device", "id": "d1"}
    assert errors(_list(CONDITION, device), source, (url,)) == [
        ("slice-min", "List"), ("slice-unmatched", "List.entry[1]")]


def _telecom_profile(tmp_path: Path) -> tuple[DefinitionSource, str]:
    def slice_(name: str, system: str, use: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": f"Patient.telecom:{name}", "path": "Patient.telecom", "sliceName": name},
                {"id": f"Patient.telecom:{name}.system", "path": "Patient.telecom.system", "fixedCode": system},
                {"id": f"Patient.telecom:{name}.use", "path": "Patient.telecom.use", **use}]
    return _profile(tmp_path, "Patient", [
        {"id": "Patient.telecom", "path": "Patient.telecom", "slicing": {
            "discriminator": [{"type": "value", "path": "system"}, {"type": "value", "path": "use"}],
            "rules": "closed"}},
        *slice_("homePhone", "phone", {"fixedCode": "home"}), *slice_("email", "email", {"max": "0"})])


def test_value_discriminator_on_a_prohibited_element_matches_its_absence(tmp_path: Path) -> None:
    source, url = _telecom_profile(tmp_path)
    res: dict[str, Any] = {"resourceType": "Patient", "telecom": [{"system": "phone", "value": "1", "use": "home"},
                                                                  {"system": "email", "value": "a@b.example"}]}
    assert errors(res, source, (url,)) == []
    res["telecom"][1]["use"] = "work"  # the email slice prohibits use: now no slice matches, and it is closed
    assert errors(res, source, (url,)) == [("slice-unmatched", "Patient.telecom[1]")]


def _category_profiles(tmp_path: Path) -> tuple[DefinitionSource, str]:
    coding = {"resourceType": "StructureDefinition", "id": "t-coding",
              "url": "https://conformance.example/fhir/StructureDefinition/t-coding", "name": "TCoding",
              "status": "draft", "kind": "complex-type", "abstract": False, "type": "Coding",
              "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Coding", "derivation": "constraint",
              "differential": {"element": [{"id": "Coding.system", "path": "Coding.system", "min": 1,
                                            "fixedUri": "https://conformance.example/cs"}]}}
    (tmp_path / "t-coding.json").write_text(json.dumps(coding))
    _, url = _profile(tmp_path, "Observation", [
        {"id": "Observation.category", "path": "Observation.category", "slicing": {
            "discriminator": [{"type": "profile", "path": "coding"}, {"type": "profile", "path": "text"}],
            "rules": "open"}},
        {"id": "Observation.category:coded", "path": "Observation.category", "sliceName": "coded", "min": 1},
        {"id": "Observation.category:coded.coding", "path": "Observation.category.coding", "min": 1,
         "type": [{"code": "Coding", "profile": [coding["url"]]}]}])
    return load_definitions([tmp_path / "t-coding.json", tmp_path / "t-Observation.json"]), url


def test_profile_discriminator_a_slice_does_not_profile_is_left_to_the_others(tmp_path: Path) -> None:
    source, url = _category_profiles(tmp_path)
    obs = copy.deepcopy(OBSERVATION)
    obs["category"] = [{"coding": [{"system": "https://conformance.example/cs", "code": "a"}], "text": "t"}]
    assert errors(obs, source, (url,)) == []
    obs["category"][0]["coding"][0]["system"] = "https://elsewhere.example/cs"
    assert errors(obs, source, (url,)) == [("slice-min", "Observation")]


def test_a_resource_profile_that_says_complex_type_still_describes_a_resource(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Patient", [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}])
    sd = json.loads((tmp_path / "t-Patient.json").read_text())
    sd["kind"] = "complex-type"
    (tmp_path / "t-Patient.json").write_text(json.dumps(sd))
    source = load_definitions([tmp_path / "t-Patient.json"])
    res = load("patient-valid.json")
    assert errors(res, source, (url,)) == []
    del res["gender"]
    assert errors(res, source, (url,)) == [("cardinality-min", "Patient")]


# ---- extension contexts --------------------------------------------------------------------------

EXT = "https://conformance.example/fhir/StructureDefinition/t-ext"


def _extension(tmp_path: Path, context: list[dict[str, str]], invariants: tuple[str, ...] = ()) -> DefinitionSource:
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "id": "t-ext", "url": EXT, "name": "TExt", "status": "draft",
        "kind": "complex-type", "abstract": False, "context": context, "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension", "derivation": "constraint",
        "differential": {"element": [
            {"id": "Extension", "path": "Extension"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": EXT},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "boolean"}]}]}}
    if invariants:
        sd["contextInvariant"] = list(invariants)
    (tmp_path / "t-ext.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path / "t-ext.json"])


def test_fhirpath_context_selects_the_elements_allowed(tmp_path: Path) -> None:
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Patient.address.where(use = 'home')"}])
    res = load("patient-valid.json")
    res["address"] = [{"use": "home", "city": "Leeds", "extension": [{"url": EXT, "valueBoolean": True}]}]
    assert errors(res, source) == []
    res["address"][0]["use"] = "work"
    assert errors(res, source) == [("extension-context", "Patient.address[0].extension[0]")]


def test_fhirpath_context_on_another_resource_type(tmp_path: Path) -> None:
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Patient"}])
    org = {"resourceType": "Organization", "name": "o", "extension": [{"url": EXT, "valueBoolean": True}]}
    assert errors(org, source) == [("extension-context", "Organization.extension[0]")]
    res = load("patient-valid.json")
    res["extension"] = [{"url": EXT, "valueBoolean": True}]
    assert errors(res, source) == []


def test_extension_context_reaches_the_value_of_that_extension(tmp_path: Path) -> None:
    source = _extension(tmp_path, [
        {"type": "extension", "expression": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"}])
    res = load("patient-valid.json")
    inner = {"extension": [{"url": EXT, "valueBoolean": True}]}
    res["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired",
                         "valueBoolean": True, "_valueBoolean": inner}]
    assert errors(res, source) == []
    res["extension"][0]["url"] = "http://hl7.org/fhir/StructureDefinition/patient-cadavericDonor"
    assert errors(res, source) == [("extension-context", "Patient.extension[0].value.ofType(boolean).extension[0]")]


def test_context_invariant_must_hold_on_the_host(tmp_path: Path) -> None:
    source = _extension(tmp_path, [{"type": "element", "expression": "Patient"}], ("Patient.active.not()",))
    res = load("patient-valid.json")
    res["extension"] = [{"url": EXT, "valueBoolean": True}]
    res["active"] = False
    assert errors(res, source) == []
    res["active"] = True
    assert errors(res, source) == [("extension-context", "Patient.extension[0]")]


def test_restful_full_url_needs_a_resource_id() -> None:
    b = _collection("https://fhir.example/test/Patient/p1", "p1")
    assert ("bundle-fullurl", "Bundle.entry[0]") not in errors(b)
    del b["entry"][0]["resource"]["id"]
    assert ("bundle-fullurl", "Bundle.entry[0]") in errors(b)
    b["entry"][0]["fullUrl"] = "urn:uuid:5d9588d8-3cd6-4b32-8fb7-ad13694e069d"  # not RESTful: no id needed
    assert ("bundle-fullurl", "Bundle.entry[0]") not in errors(b)


# ---- sub-extensions of a known complex extension ------------------------------------------------

NATIONALITY = "http://hl7.org/fhir/StructureDefinition/patient-nationality"


def test_unknown_sub_extension_of_a_complex_extension() -> None:
    res = load("patient-valid.json")
    res["extension"] = [{"url": NATIONALITY, "extension": [
        {"url": "code", "valueCodeableConcept": {"text": "British"}},
        {"url": "period", "valuePeriod": {"start": "2020"}}]}]
    assert errors(res) == []
    res["extension"][0]["extension"][1]["url"] = "since"
    assert errors(res) == [("extension-unknown", "Patient.extension[0].extension[1]")]


# ---- Attachment size and hash against its data ---------------------------------------------------

def _photo(size: int, digest: str) -> dict[str, Any]:
    import base64

    res = load("patient-valid.json")
    res["photo"] = [{"contentType": "text/plain", "data": base64.b64encode(b"abc").decode(), "size": size,
                     "hash": digest}]
    return res


SHA1_ABC = "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="  # base64 of SHA-1("abc")


def test_attachment_size_and_hash_agree_with_data() -> None:
    assert errors(_photo(3, SHA1_ABC)) == []


def test_attachment_size_and_hash_that_contradict_the_data() -> None:
    assert errors(_photo(4, SHA1_ABC)) == [("attachment", "Patient.photo[0].size")]
    assert errors(_photo(3, "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")) == [("attachment", "Patient.photo[0].hash")]


# ---- ele-1 on a primitive that carries only an id -----------------------------------------------

def test_primitive_with_an_id_alone_fails_ele_1() -> None:
    res = load("patient-valid.json")
    res.pop("birthDate", None)
    res["_birthDate"] = {"id": "b1"}
    assert errors(res) == [("invariant", "Patient.birthDate")]
    res["_birthDate"]["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                       "valueDateTime": "2020-01-01T10:00:00Z"}]
    assert errors(res) == []


# ---- dom-3: what references a contained resource ------------------------------------------------

BINARY: dict[str, Any] = {"resourceType": "Binary", "id": "b1", "contentType": "text/plain"}


def test_contained_referenced_by_an_attachment_url() -> None:
    doc: dict[str, Any] = {"resourceType": "DocumentReference", "status": "current", "contained": [BINARY],
                           "content": [{"attachment": {"url": "#b1"}}]}
    assert errors(doc) == []
    doc["content"][0]["attachment"]["url"] = "#other"
    assert errors(doc) == [("contained-unreferenced", "DocumentReference.contained[0]")]


def test_contained_referenced_from_narrative() -> None:
    def composition(link: str) -> dict[str, Any]:
        div = f'<div xmlns="http://www.w3.org/1999/xhtml"><img src="{link}"/></div>'
        return {"resourceType": "Composition", "status": "final", "type": {"text": "x"}, "date": "2020",
                "author": [{"display": "a"}], "title": "t", "contained": [BINARY],
                "section": [{"text": {"status": "generated", "div": div}}]}
    assert errors(composition("#b1")) == []
    assert errors(composition("https://elsewhere.example/b1")) == [
        ("contained-unreferenced", "Composition.contained[0]")]


# ---- relative references to entries known by a urn: fullUrl -------------------------------------

def _document(btype: str) -> dict[str, Any]:
    composition = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "x"},
                   "date": "2020", "title": "t", "author": [{"reference": "Organization/666"}]}
    return {"resourceType": "Bundle", "type": btype, "identifier": {"system": "urn:ietf:rfc:3986",
                                                                      "value": "urn:uuid:1"},
            "timestamp": "2020-01-01T00:00:00Z",
            "entry": [{"fullUrl": "urn:uuid:10a67a86-a9ec-427e-ba3f-f042cef21733", "resource": composition},
                      {"fullUrl": "urn:uuid:2aaf815f-3ebe-4a03-9b87-05d0700313b2",
                       "resource": {"resourceType": "Organization", "id": "666", "name": "o"}}]}


def test_in_a_document_type_and_id_do_not_reach_an_entry_known_by_urn() -> None:
    doc = _document("document")
    assert ("reference-unresolved", "Bundle.entry[0].resource.author[0].reference") in errors(doc)
    doc["entry"][0]["resource"]["author"][0]["reference"] = "urn:uuid:2aaf815f-3ebe-4a03-9b87-05d0700313b2"
    assert [e for e in errors(doc) if e[0] == "reference-unresolved"] == []


def test_in_a_collection_type_and_id_find_it() -> None:
    assert [e for e in errors(_document("collection")) if e[0] == "reference-unresolved"] == []


# ---- narrative hyperlinks ------------------------------------------------------------------------

def test_a_narrative_hyperlink_with_the_urn_scheme() -> None:
    res = load("patient-valid.json")
    res["text"] = {"status": "generated",
                   "div": '<div xmlns="http://www.w3.org/1999/xhtml"><a href="https://example.net/p">p</a></div>'}
    assert errors(res) == []
    res["text"]["div"] = ('<div xmlns="http://www.w3.org/1999/xhtml">'
                          '<a href="urn:uuid:e442c924-df77-47fa-838f-24a8253bbdd4">p</a></div>')
    assert errors(res) == [("narrative", "Patient.text.div")]


# ---- mustHaveValue (R5, or its cross-version extension in an R4 profile) -------------------------

def test_must_have_value_refuses_extensions_alone(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Patient", [{"id": "Patient.active", "path": "Patient.active", "extension": [
        {"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.mustHaveValue",
         "valueBoolean": True}]}])
    absent = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                             "valueCode": "unknown"}]}
    res: dict[str, Any] = {"resourceType": "Patient", "active": True, "_active": absent}
    assert errors(res, source, (url,)) == []
    del res["active"]
    assert errors(res, source, (url,)) == [("value-present", "Patient.active")]
    assert errors(res) == []  # base R4 allows it


# ---- a profile cannot re-fix what its base fixes -------------------------------------------------

def _extension_sd(name: str, base: str, url_fixed: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "id": name, "url": f"https://conformance.example/fhir/{name}",
            "name": name.replace("-", ""), "status": "draft", "kind": "complex-type", "abstract": False,
            "context": [{"type": "element", "expression": "Element"}], "type": "Extension",
            "baseDefinition": base, "derivation": "constraint",
            "differential": {"element": [
                {"id": "Extension", "path": "Extension"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url_fixed},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}


def test_derived_extension_cannot_re_fix_the_url(tmp_path: Path) -> None:
    base = _extension_sd("ext-base", "http://hl7.org/fhir/StructureDefinition/Extension",
                         "https://conformance.example/fhir/ext-base")
    (tmp_path / "base.json").write_text(json.dumps(base))
    source = load_definitions([tmp_path / "base.json"])
    same = _extension_sd("ext-same", base["url"], base["url"])
    assert [e for e in errors(same, source) if e[0] == "fixed-value"] == []
    derived = _extension_sd("ext-derived", base["url"], "https://conformance.example/fhir/ext-derived")
    assert ("fixed-value", "StructureDefinition.differential.element[1]") in errors(derived, source)


# ---- document entries reachable from the Composition ---------------------------------------------

def test_document_entries_are_reachable_from_the_composition() -> None:
    doc = _document("document")
    doc["entry"][0]["resource"]["author"][0]["reference"] = "urn:uuid:2aaf815f-3ebe-4a03-9b87-05d0700313b2"
    composition_url = "urn:uuid:10a67a86-a9ec-427e-ba3f-f042cef21733"
    provenance = {"resourceType": "Provenance", "target": [{"reference": composition_url}],
                  "recorded": "2020-01-01T00:00:00Z", "agent": [{"who": {"display": "a"}}]}
    doc["entry"].append({"fullUrl": "urn:uuid:3b1d8e2c-0f6a-4f1e-9b1e-2f4a5c6d7e80", "resource": provenance})
    assert [e for e in errors(doc) if e[0] == "bundle-orphan"] == []  # forward, and backward (the Provenance)
    doc["entry"][0]["resource"]["author"][0] = {"display": "nobody in the Bundle"}
    assert [e for e in errors(doc) if e[0] == "bundle-orphan"] == [("bundle-orphan", "Bundle.entry[1]")]


def test_entries_of_a_collection_need_not_be_reachable() -> None:
    doc = _document("collection")
    doc["entry"][0]["resource"]["author"][0] = {"display": "nobody in the Bundle"}
    assert [e for e in errors(doc) if e[0] == "bundle-orphan"] == []


# ---- uuid and oid URIs (InstanceValidator.checkPrimitive on uri, url, canonical, oid, uuid) ----------------

def test_a_urn_uuid_is_lowercase_and_a_urn_oid_a_real_oid() -> None:
    res = load("patient-valid.json")
    for good in ("urn:uuid:a1b2c3d4-0000-4000-8000-000000000000", "urn:oid:2.16.840.1.113883", "urn:oid:1.3.6"):
        res["implicitRules"] = good
        assert errors(res) == []
    for bad in ("urn:uuid:A1B2C3D4-0000-4000-8000-000000000000", "urn:oid:3.1.2", "urn:oid:1.2.3", "oid:1.2.3.4.5"):
        res["implicitRules"] = bad
        assert errors(res) == [("primitive-format", "Patient.implicitRules")], bad
