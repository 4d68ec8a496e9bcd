"""False alarms found by validating implementation guides' published examples and conformance resources with
their packages loaded (AU Base 6.0.0, mCODE 4.0.0, Genomics Reporting 3.0.0: HL7's IG publisher judged them;
bench/fhir_examples_alarms.py --package). Each generic cause is pinned with a small synthetic resource that
failed before the fix, next to one that must still fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_agreement_classes import PATIENT, definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"


# ---- a type with several profiles: the trial of each profile --------------------------------------------

def _identifier_profile(url: str, system: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].replace("-", ""),
            "status": "draft", "kind": "complex-type", "abstract": False, "type": "Identifier",
            "baseDefinition": CORE + "Identifier", "derivation": "constraint",
            "differential": {"element": [{"id": "Identifier.system", "path": "Identifier.system", "min": 1,
                                          "fixedUri": system}]}}


def _identifier_extension(url: str) -> dict[str, Any]:
    """An extension whose context is the Identifier datatype (AU Base's ihi-status)."""
    return _simple_extension(url, "code", {"type": "element", "expression": "Identifier"})


def _patient_identifiers(url: str, *profiles: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": "PatientIds", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": CORE + "Patient",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Patient.identifier", "path": "Patient.identifier",
                 "type": [{"code": "Identifier", "profile": list(profiles)}]}]}}


def _several_profiles(tmp_path: Path) -> tuple[Any, tuple[str, ...], str]:
    one = _identifier_profile("http://example.org/sd/id-one", "http://example.org/ids/one")
    two = _identifier_profile("http://example.org/sd/id-two", "http://example.org/ids/two")
    ext = _identifier_extension("http://example.org/sd/id-status")
    patient = _patient_identifiers("http://example.org/sd/patient-ids", one["url"], two["url"])
    return definitions(tmp_path, one, two, ext, patient), (patient["url"],), ext["url"]


def test_a_type_profile_trial_judges_an_extension_context_where_the_value_stands(tmp_path: Path) -> None:
    """The trial of each profile ran at a placeholder location, so an extension whose context is the datatype
    (Identifier) was judged as if on the resource, and a value meeting its profile met none of them."""
    source, profile, ext = _several_profiles(tmp_path)
    status = {"url": ext, "valueCode": "active"}
    good = {"extension": [status], "system": "http://example.org/ids/two", "value": "1"}
    assert errors({**PATIENT, "identifier": [good]}, source, profile) == []
    # still: on the resource itself the extension is out of its context, and a value meeting neither profile fails
    assert errors({**PATIENT, "extension": [status]}, source, profile) == [
        ("extension-context", "Patient.extension[0]")]
    bad = {"extension": [status], "system": "http://example.org/ids/three", "value": "1"}
    assert errors({**PATIENT, "identifier": [bad]}, source, profile)[0] == ("type-profile", "Patient.identifier[0]")


def test_a_type_profile_trial_is_not_failed_by_warnings(tmp_path: Path) -> None:
    """The trial kept one issue and turned a second into a too-many-issues error, so two warnings (a code
    outside an extensible binding, an extension in the example.org domain) made a value meeting its profile
    meet none."""
    source, profile, _ = _several_profiles(tmp_path)
    warned = {"type": {"coding": [{"system": "http://example.org/cs", "code": "a"}]},
              "_value": {"extension": [{"url": "http://example.org/ext/note", "valueString": "x"}]}}
    good = {**warned, "system": "http://example.org/ids/one", "value": "1"}
    assert errors({**PATIENT, "identifier": [good]}, source, profile) == []
    bad = {**warned, "system": "http://example.org/ids/three", "value": "1"}
    assert errors({**PATIENT, "identifier": [bad]}, source, profile)[0] == ("type-profile", "Patient.identifier[0]")


# ---- slices told apart by a required binding to a value set that is not held -------------------------

def _condition_categories(url: str, value_set: str, rules: str = "open") -> dict[str, Any]:
    """mCODE's Condition.category: sliced by pattern on $this, its us-core slice known by a required binding."""
    return {"resourceType": "StructureDefinition", "url": url, "name": "ConditionCategories", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Condition", "baseDefinition": CORE + "Condition",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Condition.category", "path": "Condition.category", "min": 1,
                 "slicing": {"discriminator": [{"type": "pattern", "path": "$this"}], "rules": rules}},
                {"id": "Condition.category:listed", "path": "Condition.category", "sliceName": "listed", "min": 1,
                 "binding": {"strength": "required", "valueSet": value_set}}]}}


CONDITION: dict[str, Any] = {
    "resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                              "code": "problem-list-item"}]}]}


def test_a_slice_known_by_a_value_set_not_held_is_not_judged(tmp_path: Path) -> None:
    """Not knowing the value set (a dependency not loaded) made every value fall outside the slice: slice-min."""
    unknown = _condition_categories("http://example.org/sd/c-unknown", "http://example.org/vs/not-held")
    closed = _condition_categories("http://example.org/sd/c-closed", "http://example.org/vs/not-held", "closed")
    held = _condition_categories("http://example.org/sd/c-held", "http://hl7.org/fhir/ValueSet/condition-category")
    other = {**CONDITION, "category": [{"coding": [{"system": "http://example.org/cs", "code": "x"}]}]}
    source = definitions(tmp_path, unknown, closed, held)
    assert errors(CONDITION, source, (unknown["url"],)) == []
    assert errors(CONDITION, source, (closed["url"],)) == []
    assert errors(CONDITION, source, (held["url"],)) == []
    # a value set held here still judges: a code it lacks fills no slice
    assert errors(other, source, (held["url"],)) == [("slice-min", "Condition")]
    assert errors(other, source, (closed["url"],)) == []


# ---- what a dependency that could not be loaded defines is not judged ---------------------------------

def _guide_package(root: Path) -> Path:
    """A package depending on two packages found nowhere: one whose canonical its ImplementationGuide declares,
    one named as HL7 names its packages (hl7.fhir.<realm>.<code>: http://hl7.org/fhir/<realm>/<code>)."""
    folder = root / "guide" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({
        "name": "example.guide", "version": "1.0.0", "fhirVersions": ["4.0.1"],
        "dependencies": {"hl7.fhir.r4.core": "4.0.1", "example.declared": "2.0.0", "hl7.fhir.zz.named": "3.0.0"}}))
    (folder / "ImplementationGuide-example.guide.json").write_text(json.dumps({
        "resourceType": "ImplementationGuide", "url": "http://guide.test/ImplementationGuide/example.guide",
        "packageId": "example.guide", "dependsOn": [
            {"uri": "http://declared.test/fhir/ImplementationGuide/example.declared", "packageId": "example.declared",
             "version": "2.0.0"}]}))
    return root / "guide"


def test_an_extension_of_a_dependency_not_loaded_is_not_judged(tmp_path: Path) -> None:
    """mCODE 4.0.0 without US Core 6.1.0: us-core-race, uscdi-requirement... "could not be found", errors."""
    source = load_definitions([_guide_package(tmp_path)], cache=PackageCache(tmp_path / "empty-cache"))
    declared = {"url": "http://declared.test/fhir/StructureDefinition/race", "valueString": "x"}
    named = {"url": "http://hl7.org/fhir/zz/named/StructureDefinition/birthsex", "valueCode": "F"}
    modifier = {"url": "http://declared.test/fhir/StructureDefinition/flag", "valueBoolean": True}
    res = {**PATIENT, "extension": [declared, named], "modifierExtension": [modifier]}
    issues = [i for i in validate_resource(res, source) if i.defect == "extension-unknown"]
    assert [(i.severity, i.location) for i in issues] == [
        ("information", "Patient.extension[0]"), ("information", "Patient.extension[1]"),
        ("information", "Patient.modifierExtension[0]")]
    assert "example.declared#2.0.0" in issues[0].message and "hl7.fhir.zz.named#3.0.0" in issues[1].message
    # an extension under no missing dependency's canonical is still unknown: an error
    other = {"url": "http://other.test/fhir/StructureDefinition/race", "valueString": "x"}
    assert errors({**PATIENT, "extension": [other]}, source) == [("extension-unknown", "Patient.extension[0]")]


# ---- an extension on a primitive value, its context a FHIRPath expression -------------------------------

def _simple_extension(url: str, value_type: str, context: dict[str, str]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].replace("-", ""),
            "status": "draft", "kind": "complex-type", "abstract": False, "type": "Extension",
            "baseDefinition": CORE + "Extension", "derivation": "constraint", "context": [context],
            "differential": {"element": [
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": value_type}]}]}}


def test_an_extension_on_an_extension_value_meets_a_fhirpath_context_selecting_that_value(tmp_path: Path) -> None:
    """The extensions package's conformance-derivedFrom stands on standards-status's valueCode (its context:
    ``extension('...standards-status').value``); the primitive's ``_valueCode`` was never found among the
    expression's results, so all 143 of AU Base's definitions that carry it failed."""
    status = _simple_extension("http://example.org/sd/status", "code", {"type": "element", "expression": "Patient"})
    derived = _simple_extension("http://example.org/sd/derived", "string",
                                {"type": "fhirpath", "expression": f"extension('{status['url']}').value"})
    source = definitions(tmp_path, status, derived)
    note = {"url": derived["url"], "valueString": "from elsewhere"}
    on_value = {"url": status["url"], "valueCode": "trial-use", "_valueCode": {"extension": [note]}}
    assert errors({**PATIENT, "extension": [on_value]}, source) == []
    # elsewhere than the value the expression selects, it is still out of its context
    assert errors({**PATIENT, "extension": [note]}, source) == [("extension-context", "Patient.extension[0]")]
    on_active = {**PATIENT, "_active": {"extension": [note]}}
    assert errors(on_active, source) == [("extension-context", "Patient.active.extension[0]")]


# ---- the build tool's extensions --------------------------------------------------------------------

def test_the_build_tools_extensions_pass_unchecked() -> None:
    """HL7's validator accepts its build tool's extensions without a definition (BuildExtensions.allConsts());
    the extensions package's own definitions carry build/copyright and build/definition on bindings."""
    from conformance.fhirval.base import base_source

    copyright_ext = {"url": "http://hl7.org/fhir/build/StructureDefinition/copyright", "valueString": "(c) HL7"}
    assert errors({**PATIENT, "extension": [copyright_ext]}, base_source()) == []
    made_up = {"url": "http://hl7.org/fhir/build/StructureDefinition/not-a-build-one", "valueString": "x"}
    assert errors({**PATIENT, "extension": [made_up]}, base_source()) == [("extension-unknown", "Patient.extension[0]")]
    # as a modifierExtension too: checkExtension's BuildExtensions branch does not consult isModifier (s-fvaud2)
    assert errors({**PATIENT, "modifierExtension": [copyright_ext]}, base_source()) == []
    assert errors({**PATIENT, "modifierExtension": [made_up]}, base_source()) == [
        ("extension-unknown", "Patient.modifierExtension[0]")]


# ---- a renamed choice with a slice name: a type slice --------------------------------------------------

def _official(url: str) -> dict[str, Any]:
    """The extensions package's address-official: ``Extension.valueBoolean:valueBoolean`` and
    ``Extension.valueCodeableConcept:valueCodeableConcept``, R5-era type slices written as renamed choices."""
    return {"resourceType": "StructureDefinition", "url": url, "name": "Official", "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "baseDefinition": CORE + "Extension",
            "derivation": "constraint", "context": [{"type": "element", "expression": "Patient"}],
            "differential": {"element": [
                {"id": "Extension", "path": "Extension", "max": "1"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.valueBoolean:valueBoolean", "path": "Extension.valueBoolean",
                 "sliceName": "valueBoolean", "min": 0, "max": "1", "type": [{"code": "boolean"}]},
                {"id": "Extension.valueCodeableConcept:valueCodeableConcept", "path": "Extension.valueCodeableConcept",
                 "sliceName": "valueCodeableConcept", "min": 0, "max": "1", "type": [{"code": "CodeableConcept"}]}]}}


def test_a_renamed_choice_with_a_slice_name_is_a_type_slice(tmp_path: Path) -> None:
    """Our snapshot generator refused it ("a slice of a renamed choice"), an error on the definition itself;
    HL7's generator slices value[x] by type, closed, to the slices' types."""
    from conformance.fhirval.base import base_source

    official = _official("http://example.org/sd/official")
    assert errors(official, base_source()) == []
    source = definitions(tmp_path, official)
    assert errors({**PATIENT, "extension": [{"url": official["url"], "valueBoolean": True}]}, source) == []
    concept = {"url": official["url"], "valueCodeableConcept": {"text": "country X"}}
    assert errors({**PATIENT, "extension": [concept]}, source) == []
    wrong = {**PATIENT, "extension": [{"url": official["url"], "valueString": "yes"}]}
    assert [d for d, _ in errors(wrong, source)] == ["choice-type"]


# ---- HL7 Terminology, a dependency that could not be loaded: R4's 2019 copies are not used ---------------

def test_codes_of_a_terminology_release_not_loaded_are_not_judged_by_r4s_old_copies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AU Base 6.0.0 depends on THO 7.0.1; without it, R4's own 2019 copy of v2-0203 made FGN (added since)
    an unknown code, an error on AU's own order-identifier-type value set and its examples."""
    monkeypatch.delenv("CONFORMANCE_TERMINOLOGY_PACKAGE", raising=False)
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    folder = tmp_path / "au" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({
        "name": "example.au", "version": "1.0.0", "dependencies": {"hl7.terminology.r4": "7.0.1"}}))
    (folder / "ImplementationGuide-example.au.json").write_text(json.dumps({
        "resourceType": "ImplementationGuide", "packageId": "example.au", "dependsOn": [
            {"uri": "http://terminology.hl7.org/ImplementationGuide/hl7.terminology", "packageId": "hl7.terminology.r4",
             "version": "7.0.1"}]}))
    coding = {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FGN"}
    res = {**PATIENT, "identifier": [{"type": {"coding": [coding]}, "system": "http://example.org/ids", "value": "1"}]}
    from conformance.fhirval.terminology_packages import find_terminology_package

    assert find_terminology_package() is None
    source = load_definitions([tmp_path / "au"], cache=PackageCache(tmp_path / "empty-cache"))
    assert errors(res, source) == []
    # with nothing asking for a later release, R4's copy still judges
    from conformance.fhirval.base import base_source

    assert errors(res, base_source()) == [("code-unknown", "Patient.identifier[0].type.coding[0]")]


def _identifier_slices(url: str, profile: str) -> dict[str, Any]:
    """Patient.identifier sliced by profile, one slice required whose profile is ``profile``."""
    return {"resourceType": "StructureDefinition", "url": url, "name": "IdSlices", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": CORE + "Patient",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Patient.identifier", "path": "Patient.identifier",
                 "slicing": {"discriminator": [{"type": "profile", "path": "$this"}], "rules": "open"}},
                {"id": "Patient.identifier:main", "path": "Patient.identifier", "sliceName": "main", "min": 1,
                 "type": [{"code": "Identifier", "profile": [profile]}]}]}}


def test_a_slice_known_by_a_profile_not_loaded_is_not_judged(tmp_path: Path) -> None:
    """A profile discriminator whose profile is not loaded (a dependency's) left every value out of the slice; a
    profile that nothing, dependencies included, could define is HL7's own lack too: InstanceValidator.conformsToProfile
    throws (UNABLE_TO_RESOLVE_), SLICING_CANNOT_BE_EVALUATED at the value (the dependency's case:
    test_harness_lacks.py)."""
    loaded = _identifier_profile("http://example.org/sd/id-loaded", "http://example.org/ids/one")
    unknown = _identifier_slices("http://example.org/sd/p-unknown", "http://example.org/sd/id-not-loaded")
    known = _identifier_slices("http://example.org/sd/p-known", loaded["url"])
    source = definitions(tmp_path, loaded, unknown, known)
    res = {**PATIENT, "identifier": [{"system": "http://example.org/ids/two", "value": "1"}]}
    assert errors(res, source, (unknown["url"],)) == [("structure-slicing", "Patient.identifier[0]")]
    # a loaded profile the value does not meet still leaves the slice empty
    assert errors(res, source, (known["url"],)) == [("slice-min", "Patient")]
