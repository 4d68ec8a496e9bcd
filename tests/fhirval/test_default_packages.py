"""HL7's extensions package, loaded by default from the package cache as HL7's validator loads it
(default_packages.py): a synthetic hl7.fhir.uv.extensions.r4 in a temporary cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.base import base_source
from conformance.fhirval.default_packages import (
    EXTENSIONS_R4,
    default_packages,
    find_extensions_package,
    package_layer,
    with_defaults,
)
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_resource

from .test_definitions_packages import make_tgz

LATER = "http://hl7.org/fhir/StructureDefinition/patient-synthetic-later-extension"
# a core R4 extension the package redefines (HL7's context keeps its later version): allowed only on Observation
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"


def extension(url: str, value_type: str, context: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "id": url.rsplit("/", 1)[1], "url": url, "version": "5.3.0",
            "name": "X", "status": "active", "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False,
            "context": [{"type": "element", "expression": context}], "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension", "derivation": "constraint",
            "differential": {"element": [
                {"id": "Extension", "path": "Extension", "max": "1"},
                {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": value_type}]}]}}


def extensions_package(folder: Path, version: str = "5.3.0-ballot-tc1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": EXTENSIONS_R4, "version": version, "fhirVersions": ["4.0.1"],
                "dependencies": {"hl7.fhir.r4.core": "4.0.1", "hl7.terminology.r4": "6.5.0"}}
    return make_tgz(folder / f"{EXTENSIONS_R4}-{version}.tgz", {
        "package/package.json": manifest,
        "package/StructureDefinition-later.json": extension(LATER, "boolean", "Patient"),
        "package/StructureDefinition-birthPlace.json": extension(BIRTH_PLACE, "Address", "Observation"),
        "package/ValueSet-gender.json": value_set(GENDER), "package/ValueSet-new.json": value_set(NEW_VS)})


GENDER = "http://hl7.org/fhir/ValueSet/administrative-gender"
NEW_VS = "http://hl7.org/fhir/ValueSet/synthetic-later-value-set"


def value_set(url: str) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "version": "5.3.0", "status": "active",
            "compose": {"include": [{"system": "http://hl7.org/fhir/administrative-gender", "concept": [
                {"code": "other"}]}]}}


def issues(resource: dict[str, Any], source: Any) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(resource, source)
            if i.defect.startswith("extension") or i.defect in ("choice-type", "cardinality-max")]


def patient(*extensions: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p", "extension": list(extensions)}


def test_found_in_the_cache_newest_first(tmp_path: Path) -> None:
    extensions_package(tmp_path, "5.2.0")
    newest = extensions_package(tmp_path, "5.3.0-ballot-tc1")
    assert find_extensions_package(PackageCache(tmp_path)) == newest
    assert default_packages(PackageCache(tmp_path / "empty")) == []


def test_without_the_package_a_core_extension_r4_lacks_stays_a_warning(tmp_path: Path) -> None:
    source = with_defaults((), PackageCache(tmp_path))
    assert source is base_source()  # nothing loaded, nothing changed
    assert issues(patient({"url": LATER, "valueString": "x"}), source) == [
        ("warning", "extension-unknown", "Patient.extension[0]")]


def test_with_the_package_its_extensions_are_judged_in_full(tmp_path: Path) -> None:
    source = with_defaults((), PackageCache(tmp_path)) if extensions_package(tmp_path) else None
    assert issues(patient({"url": LATER, "valueBoolean": True}), source) == []
    # the value type the package defines (was: a warning, the content not checked)
    assert issues(patient({"url": LATER, "valueString": "x"}), source) == [
        ("error", "choice-type", "Patient.extension[0].valueString")]
    # its context: Patient only
    obs = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"},
           "extension": [{"url": LATER, "valueBoolean": True}]}
    assert [d for s, d, _ in issues(obs, source) if s == "error"] == ["extension-context"]


def test_the_package_wins_over_base_r4_and_the_packages_given_win_over_it(tmp_path: Path) -> None:
    package = extensions_package(tmp_path)
    born = patient({"url": BIRTH_PLACE, "valueAddress": {"city": "Leeds"}})
    assert issues(born, base_source()) == []  # R4's own definition: Patient
    layered = load_definitions([], defaults=[package])
    assert [d for s, d, _ in issues(born, layered) if s == "error"] == ["extension-context"]  # the later version
    own = tmp_path / "own.json"
    own.write_text(json.dumps({**extension(BIRTH_PLACE, "Address", "Patient"), "version": "9"}))
    assert issues(born, load_definitions([own], defaults=[package])) == []  # a file given wins


def test_the_layer_is_read_once_and_names_its_package(tmp_path: Path) -> None:
    package = extensions_package(tmp_path)
    first, names = package_layer([package])
    assert package_layer([package])[0] is first
    assert names == (f"{EXTENSIONS_R4}#5.3.0-ballot-tc1",)
    # its own THO dependency is not followed (the runner loads THO by name): nothing recorded as missing
    assert load_definitions([], defaults=[package]).loaded.missing == {}


def test_cli_loads_it_from_the_package_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    extensions_package(cache)
    file = tmp_path / "p.json"
    file.write_text(json.dumps(patient({"url": LATER, "valueString": "x"})))
    runner = CliRunner()
    loaded = runner.invoke(main, ["validate", "fhir", "--package-cache", str(cache), str(file)])
    assert loaded.exit_code == 1 and "choice-type" in loaded.output
    plain = runner.invoke(main, ["validate", "fhir", "--package-cache", str(tmp_path / "none"), str(file)])
    assert plain.exit_code == 0 and "hl7.fhir.uv.extensions" in plain.output


def test_cli_finds_it_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extensions_package(tmp_path / "env-cache")
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "env-cache"))
    file = tmp_path / "p.json"
    file.write_text(json.dumps(patient({"url": LATER, "valueString": "x"})))
    assert CliRunner().invoke(main, ["validate", "fhir", str(file)]).exit_code == 1


def test_base_r4s_own_code_systems_and_value_sets_are_kept(tmp_path: Path) -> None:
    """HL7 loads the core package as master: its CodeSystems and ValueSets outside THO win over the package's."""
    source = load_definitions([], defaults=[extensions_package(tmp_path)])
    assert source.value_set(GENDER) is base_source().value_set(GENDER)
    assert (source.value_set(NEW_VS) or {}).get("version") == "5.3.0"
    male = {"resourceType": "Patient", "id": "p", "gender": "male"}  # not in the package's copy
    assert [i.defect for i in validate_resource(male, source) if i.is_error] == []


UNDEFINED = "http://hl7.org/fhir/StructureDefinition/obligation-profile"  # in HL7's core namespace, defined nowhere


def test_with_the_package_loaded_an_undefined_core_extension_is_an_error(tmp_path: Path) -> None:
    """HL7's runner loads the extensions package, and then an extension of its core namespace that neither R4 nor
    the package defines is EXTENSION_EXT_UNKNOWN_NOTHERE (fhir-test-cases profile-patient-op1, bundle-urn): the
    warning that names the package is for a harness without it."""
    package = extensions_package(tmp_path)
    for source in (with_defaults((), PackageCache(tmp_path)), load_definitions([], defaults=[package]),
                   load_definitions([package])):
        assert issues(patient({"url": UNDEFINED, "valueBoolean": True}), source) == [
            ("error", "extension-unknown", "Patient.extension[0]")]
    assert issues(patient({"url": UNDEFINED, "valueBoolean": True}), base_source()) == [
        ("warning", "extension-unknown", "Patient.extension[0]")]


@pytest.mark.parametrize("name", ["instance-name", "instance-description", "structuredefinition-rdf-type"])
def test_hl7s_built_in_extensions_are_no_error_with_the_package(tmp_path: Path, name: str) -> None:
    """SpecialExtensions.KNOWN_EXTENSIONS: HL7's validator defines these itself (the extensions package does not)."""
    source = load_definitions([], defaults=[extensions_package(tmp_path)])
    found = issues(patient({"url": "http://hl7.org/fhir/StructureDefinition/" + name, "valueString": "x"}), source)
    assert [s for s, _, _ in found if s in ("error", "warning")] == []
