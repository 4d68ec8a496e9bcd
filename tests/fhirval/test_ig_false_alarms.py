"""False alarms found on published IG content (issue 21, part A: IPS 2.0.0, SDC 4.0.0-ballot and HL7 Terminology
7.0.1, whose examples and definitions HL7's IG publisher validated; bench/fhir_examples_alarms.py --package),
each pinned with a small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
EXT = "https://conformance.example/fhir/StructureDefinition/t-ext"


def _extension(tmp_path: Path, context: list[dict[str, str]], **extra: Any) -> Any:
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "id": "t-ext", "url": EXT, "name": "TExt", "status": "draft",
        "kind": "complex-type", "abstract": False, "context": context, "type": "Extension",
        "baseDefinition": CORE + "Extension", "derivation": "constraint", **extra,
        "differential": {"element": [
            {"id": "Extension", "path": "Extension"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": EXT},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "boolean"}]}]}}
    return definitions(tmp_path, sd)


# ---- a fhirpath context that selects a primitive: the extension sits in its ``_x`` object ---------------

def test_fhirpath_context_selecting_a_primitive_value(tmp_path: Path) -> None:
    # structuredefinition-conformance-derivedFrom's context is extension('...fmm').value: every IPS and SDC
    # definition carries it on _valueInteger (HL7: fpe.evaluate(...).contains(container), the element itself)
    host = CORE + "patient-interpreterRequired"
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": f"extension('{host}').value"}])
    mark = {"extension": [{"url": EXT, "valueBoolean": True}]}
    res: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "extension": [
        {"url": host, "valueBoolean": True, "_valueBoolean": copy.deepcopy(mark)}]}
    assert errors(res, source) == []
    res["extension"][0]["url"] = CORE + "patient-cadavericDonor"  # a value the context does not select
    assert errors(res, source) == [("extension-context", "Patient.extension[0].value.ofType(boolean).extension[0]")]


def test_fhirpath_context_tells_primitives_apart(tmp_path: Path) -> None:
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "name.given"}])
    mark = {"extension": [{"url": EXT, "valueBoolean": True}]}
    res = {"resourceType": "Patient", "id": "p1", "gender": "male", "_gender": copy.deepcopy(mark),
           "name": [{"given": ["a", "b"], "_given": [None, copy.deepcopy(mark)]}]}
    assert errors(res, source) == [("extension-context", "Patient.gender.extension[0]")]


def _context(res: dict[str, Any], source: Any) -> list[tuple[str, str]]:
    return [e for e in errors(res, source) if e[0] == "extension-context"]


def test_fhirpath_context_naming_an_ancestor_type_is_the_resource(tmp_path: Path) -> None:
    # Nictiz zib2020's ext-Comment (publisher 1.4.16: 0 errors on its Consent): contexts "Resource" and
    # "Resource.descendants()"; HL7's FHIRPathEngine.execute takes a capitalised first name as the resource when it
    # is its type or an ancestor's (the "special case for start up" walks baseDefinition)
    mark = [{"url": EXT, "valueBoolean": True}]
    on_resource = _extension(tmp_path, [{"type": "fhirpath", "expression": "Resource"}])
    # (fhirpathpy's answer to a bare "Resource" depended on what it had evaluated before: several types in turn)
    for rtype in ("Consent", "Patient", "Consent", "Observation"):
        res: dict[str, Any] = {"resourceType": rtype, "id": "c1", "extension": copy.deepcopy(mark)}
        assert _context(res, on_resource) == [], rtype
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Resource.descendants()"}])
    res = {"resourceType": "Patient", "id": "p1", "name": [{"family": "x", "extension": copy.deepcopy(mark)}]}
    assert _context(res, source) == []  # Resource.descendants(): any element
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "DomainResource"}])
    assert _context(res, source) == [("extension-context", "Patient.name[0].extension[0]")]
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Observation"}])
    assert _context({"resourceType": "Consent", "id": "c1", "extension": copy.deepcopy(mark)}, source) == [
        ("extension-context", "Consent.extension[0]")]


# ---- %resource.is(T) in a context invariant: fhirpathpy typed a bare resource as a System value ---------

def test_context_invariant_tests_the_type_of_percent_resource(tmp_path: Path) -> None:
    # SDC's and the extensions package's Questionnaire.item extensions: "where(%resource.is(Questionnaire))
    # .exists(type.first()='display') or ofType(ElementDefinition)...": HL7's engine types %resource
    source = _extension(tmp_path, [{"type": "element", "expression": "Questionnaire.item"}],
                        contextInvariant=["where(%resource.is(Questionnaire)).exists(type.first()='display') or "
                                          "ofType(ElementDefinition).type.exists().allTrue()"])
    mark = [{"url": EXT, "valueBoolean": True}]
    q: dict[str, Any] = {"resourceType": "Questionnaire", "id": "q", "status": "draft",
                         "item": [{"linkId": "1", "type": "display", "text": "x", "extension": mark}]}
    assert errors(q, source) == []
    q["item"][0]["type"] = "string"
    assert errors(q, source) == [("extension-context", "Questionnaire.item[0].extension[0]")]


# ---- a profile discriminator on Bundle.entry.resource: the trial walk keeps the entry's fullUrl ------------

def _profile(name: str, rtype: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": f"http://example.org/sd/{name}", "name": name,
            "status": "draft", "kind": "resource", "abstract": False, "type": rtype, "derivation": "constraint",
            "baseDefinition": CORE + rtype, "differential": {"element": [{"id": rtype, "path": rtype}, *elements]}}


def test_profile_slice_on_entry_resource_resolves_restful_references(tmp_path: Path) -> None:
    # IPS's Bundle slices entry by type and profile of resource (entry:composition 1..1); a Composition that
    # refers to Patient/p1 inside RESTful fullUrls matched no slice, its trial walk having lost its fullUrl
    composition = _profile("Comp", "Composition", [
        {"id": "Composition.confidentiality", "path": "Composition.confidentiality", "min": 1}])
    bundle_profile = _profile("Doc", "Bundle", [
        {"id": "Bundle.entry", "path": "Bundle.entry", "slicing": {
            "discriminator": [{"type": "type", "path": "resource"}, {"type": "profile", "path": "resource"}],
            "rules": "open"}},
        {"id": "Bundle.entry:composition", "path": "Bundle.entry", "sliceName": "composition", "min": 1, "max": "1"},
        {"id": "Bundle.entry:composition.resource", "path": "Bundle.entry.resource",
         "type": [{"code": "Composition", "profile": ["http://example.org/sd/Comp"]}]}])
    source = definitions(tmp_path, composition, bundle_profile)
    base = "http://example.org/fhir/"
    comp = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "summary"},
            "subject": {"reference": "Patient/p1"}, "date": "2024-01-01", "author": [{"reference": "Patient/p1"}],
            "title": "t", "confidentiality": "N"}
    bundle = {"resourceType": "Bundle", "id": "b", "meta": {"profile": ["http://example.org/sd/Doc"]},
              "type": "document", "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:" + "0" * 8 +
                                                 "-0000-4000-8000-" + "0" * 12},
              "timestamp": "2024-01-01T00:00:00Z",
              "entry": [{"fullUrl": base + "Composition/c1", "resource": comp},
                        {"fullUrl": base + "Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}}]}
    assert errors(bundle, source) == []
    del comp["confidentiality"]  # a Composition that fails the slice's profile still matches no slice
    assert ("slice-min", "Bundle") in errors(bundle, source)


# ---- a profile's invariant on an element of a complex type reads its choices (value[x]) -------------------

def test_profile_invariant_on_a_datatype_element_sees_its_choice(tmp_path: Path) -> None:
    # SDC's sdc-uc-1 on Questionnaire.useContext: "... implies value.exists() and value is CodeableConcept"
    # failed on every valueCodeableConcept, fhirpathpy finding value[x] only under UsageContext's own path
    rule = {"key": "t-uc-1", "severity": "error", "human": "species needs a CodeableConcept",
            "expression": "code.code='species' implies (value.exists() and value is CodeableConcept)"}
    profile = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/Q", "name": "Q",
               "status": "draft", "kind": "resource", "abstract": False, "type": "Questionnaire",
               "derivation": "constraint", "baseDefinition": CORE + "Questionnaire",
               "differential": {"element": [{"id": "Questionnaire", "path": "Questionnaire"},
                                            {"id": "Questionnaire.useContext", "path": "Questionnaire.useContext",
                                             "constraint": [rule]}]}}
    source = definitions(tmp_path, profile)
    context = {"code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type", "code": "species"},
               "valueCodeableConcept": {"text": "Homo sapiens"}}
    q: dict[str, Any] = {"resourceType": "Questionnaire", "id": "q", "status": "draft", "useContext": [context],
                         "meta": {"profile": ["http://example.org/sd/Q"]}}
    assert errors(q, source) == []
    del context["valueCodeableConcept"]
    context["valueQuantity"] = {"value": 1}
    assert errors(q, source) == [("invariant", "Questionnaire.useContext[0]")]


# ---- snapshot generation below a choice of several types, and below a primitive's own value --------------

def _snapshot_issues(sd: dict[str, Any]) -> list[tuple[str, str, str]]:
    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_resource

    return [(i.severity, i.defect, i.location) for i in validate_resource(sd, base_source())
            if i.defect in ("differential", "snapshot")]


def _observation_profile(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.test/StructureDefinition/o", "name": "O",
            "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
            "baseDefinition": CORE + "Observation", "derivation": "constraint",
            "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'},
            "differential": {"element": list(elements)}}


def test_snapshot_walks_into_the_extensions_of_a_choice_of_several_types() -> None:
    # SDC's sdc-questionnaire-behave slices minValue's value[x].extension (six types): HL7's snapshot generator
    # takes the children every type has from Element
    slicing = {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}
    ok = _observation_profile({"id": "Observation.value[x]", "path": "Observation.value[x]"},
                              {"id": "Observation.value[x].extension", "path": "Observation.value[x].extension",
                               "slicing": slicing})
    assert _snapshot_issues(ok) == []
    # a child only some of the types have (Quantity's unit) still cannot be constrained there
    bad = _observation_profile({"id": "Observation.value[x]", "path": "Observation.value[x]"},
                               {"id": "Observation.value[x].unit", "path": "Observation.value[x].unit", "min": 1})
    assert _snapshot_issues(bad) == [("error", "snapshot", "StructureDefinition")]


def test_snapshot_walks_into_a_primitive_value() -> None:
    # SDC: Questionnaire.item.required.value.extension (HL7's snapshot: value.id, value.extension, value.value)
    ok = _observation_profile({"id": "Observation.status.value.extension", "path": "Observation.status.value.extension",
                               "max": "1"})
    assert _snapshot_issues(ok) == []
    bad = _observation_profile({"id": "Observation.status.value.coding", "path": "Observation.status.value.coding"})
    assert _snapshot_issues(bad) == [("error", "snapshot", "StructureDefinition")]


# ---- HL7's publisher's build extensions pass unknown (BuildExtensions.allConsts) ---------------------------

def test_build_extensions_of_hl7s_publisher_are_not_errors() -> None:
    # THO 7.0.1's CodeSystem-time-period-ranges carries committee-notes on copyright
    notes = {"url": "http://hl7.org/fhir/build/StructureDefinition/committee-notes", "valueString": "n"}
    cs = {"resourceType": "CodeSystem", "id": "c", "url": "http://example.org/cs", "status": "draft",
          "content": "not-present", "copyright": "c", "_copyright": {"extension": [notes]}}
    assert errors(cs) == []
    cs["_copyright"]["extension"][0]["url"] = "http://hl7.org/fhir/build/StructureDefinition/committee-notez"
    assert errors(cs) == [("extension-unknown", "CodeSystem.copyright.extension[0]")]


# ---- what a dependency that cannot be loaded defines is not judged (IPS 2.0.0 depends on hl7.fhir.uv.ipa) ----

def guide_with_missing_dependency(tmp_path: Path, depends_uri: str, **guide: Any) -> Path:
    """The package folder of a guide x.ig whose dependency x.dep (named by ``depends_uri``) is nowhere to load."""
    import json

    folder = tmp_path / "x.ig" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(
        {"name": "x.ig", "version": "1.0.0", "dependencies": {"hl7.fhir.r4.core": "4.0.1", "x.dep": "1.0.0"}}))
    (folder / "ImplementationGuide-x.ig.json").write_text(json.dumps(
        {"resourceType": "ImplementationGuide", "id": "x.ig", **guide, "packageId": "x.ig", "dependsOn": [
            {"uri": depends_uri, "packageId": "x.dep", "version": "1.0.0"}]}))
    return folder


def _ig_with_missing_dependency(tmp_path: Path) -> Any:
    import json

    from conformance.fhirval.layered import load_definitions

    folder = guide_with_missing_dependency(tmp_path, "http://x.org/dep/ImplementationGuide/x.dep")
    derived = _profile("P", "Patient", [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}])
    derived["baseDefinition"] = "http://x.org/dep/StructureDefinition/dep-patient"
    (folder / "StructureDefinition-P.json").write_text(json.dumps(derived))
    return load_definitions([tmp_path / "x.ig"], cache=None)


def test_what_a_missing_dependency_defines_is_not_judged(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "no-cache"))
    source = _ig_with_missing_dependency(tmp_path)
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p",
                               "extension": [{"url": "http://x.org/dep/StructureDefinition/ext", "valueString": "a"}]}
    assert errors(patient, source) == []
    assert errors(patient, source, ("http://example.org/sd/P",)) == []  # derives from the dependency's profile
    # outside the dependency's canonical base an unknown extension or profile is still an error
    patient["extension"][0]["url"] = "http://x.org/other/StructureDefinition/ext"
    assert errors(patient, source) == [("extension-unknown", "Patient.extension[0]")]
    del patient["extension"]
    assert errors(patient, source, ("http://example.org/sd/Nope",)) == [("unknown-profile", "Patient")]


def test_snapshot_of_a_choice_sliced_by_renamed_type_slices() -> None:
    # the extensions package's address-official: Extension.valueBoolean:valueBoolean and
    # Extension.valueCodeableConcept:valueCodeableConcept, which HL7's snapshot writes as value[x] type slices
    def extension(*names: str) -> dict[str, Any]:
        return {"resourceType": "StructureDefinition", "url": "http://example.test/StructureDefinition/e",
                "name": "E", "status": "draft", "kind": "complex-type", "abstract": False, "type": "Extension",
                "context": [{"type": "element", "expression": "Address"}],
                "baseDefinition": CORE + "Extension", "derivation": "constraint",
                "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'},
                "differential": {"element": [
                    {"id": "Extension.url", "path": "Extension.url", "fixedUri": "http://example.test/e"},
                    *({"id": f"Extension.{n}:{n}", "path": f"Extension.{n}", "sliceName": n, "min": 0, "max": "1"}
                      for n in names)]}}

    assert _snapshot_issues(extension("valueBoolean", "valueCodeableConcept")) == []
    assert _snapshot_issues(extension("valueBoolean", "valueFoo")) == [("error", "snapshot", "StructureDefinition")]
    from conformance.fhirval.base import base_source
    from conformance.fhirval.snapshot import generate_snapshot

    snapshot = generate_snapshot(extension("valueBoolean", "valueCodeableConcept"), base_source())
    value = {e["id"]: e for e in snapshot["snapshot"]["element"]}
    assert [t["code"] for t in value["Extension.value[x]"]["type"]] == ["boolean", "CodeableConcept"]
    assert value["Extension.value[x]"]["slicing"]["rules"] == "closed"
    assert [t["code"] for t in value["Extension.value[x]:valueBoolean"]["type"]] == ["boolean"]
