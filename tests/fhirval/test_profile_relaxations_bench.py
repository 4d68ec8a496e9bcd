"""bench/fhir_profile_relaxations.py: a guide's profiles loosened take errors away from an example and add none; a
relaxation that is not one (it tightens) is counted as added errors, so the count can move; a profile another
profile's slice names is left as published."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from tests.fhirval.scripts import load_bench

URL = "http://example.test/StructureDefinition/patient"
NAMED = "http://example.test/StructureDefinition/named-patient"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("fhir_profile_relaxations")


NAME = "http://example.test/StructureDefinition/name"
VALUE_SET = "http://example.test/ValueSet/married"
MARITAL = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "meta": {"profile": [URL]}, **extra}


def profile(url: str) -> dict[str, Any]:
    """R4's Patient under ``url`` with one constraint for each relaxation to take away: an invariant, birthDate
    required, one name at most and of a HumanName profile (family required), implicitRules of at most 20 characters,
    gender fixed, a required binding to a value set of one code, general practitioners only Practitioners, and
    extensions closed to one slice."""
    sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/Patient"))
    assert sd is not None
    sd.update(url=url, name="P", derivation="constraint", baseDefinition=sd["url"])
    out = []
    for e in sd["snapshot"]["element"]:
        out.append(e)
        if e["id"] == "Patient":
            invariant = {"key": "tst-1", "severity": "error", "human": "active",
                         "expression": "active.exists() implies active", "source": url}
            e["constraint"] = [*e.get("constraint", []), invariant]
        elif e["id"] == "Patient.birthDate":
            e["min"] = 1
        elif e["id"] == "Patient.name":
            e.update(max="1", type=[{"code": "HumanName", "profile": [NAME]}])
        elif e["id"] == "Patient.implicitRules":
            e["maxLength"] = 20
        elif e["id"] == "Patient.gender":
            e["fixedCode"] = "female"
        elif e["id"] == "Patient.maritalStatus":
            e["binding"] = {"strength": "required", "valueSet": VALUE_SET}
        elif e["id"] == "Patient.generalPractitioner":
            e["type"] = [{"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Practitioner"]}]
        elif e["id"] == "Patient.extension":
            e["slicing"] = {"discriminator": [{"type": "value", "path": "url"}], "rules": "closed"}
            out.append({**{k: v for k, v in e.items() if k != "slicing"}, "id": "Patient.extension:nation",
                        "sliceName": "nation", "type": [{"code": "Extension", "profile": [
                            "http://hl7.org/fhir/StructureDefinition/patient-nationality"]}]})
    sd["snapshot"]["element"] = out
    return sd


def name_profile() -> dict[str, Any]:
    sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/HumanName"))
    assert sd is not None
    sd.update(url=NAME, name="N", derivation="constraint", baseDefinition=sd["url"])
    for e in sd["snapshot"]["element"]:
        if e["id"] == "HumanName.family":
            e["min"] = 1
    return sd


@pytest.fixture()
def guide(tmp_path: Path) -> Path:
    package = tmp_path / "test.guide#0.1.0" / "package"
    (package / "example").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps(
        {"name": "test.guide", "version": "0.1.0", "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}))
    (package / "StructureDefinition-patient.json").write_text(json.dumps(profile(URL)))
    (package / "StructureDefinition-name.json").write_text(json.dumps(name_profile()))
    (package / "ValueSet-married.json").write_text(json.dumps({
        "resourceType": "ValueSet", "id": "married", "url": VALUE_SET, "status": "active",
        "compose": {"include": [{"system": MARITAL, "concept": [{"code": "M"}]}]}}))
    (package / "example" / "Patient-ok.json").write_text(json.dumps(patient(
        "ok", active=True, birthDate="2000-01-01", gender="female", name=[{"family": "Smith"}],
        implicitRules="http://example.test", maritalStatus={"coding": [{"system": MARITAL, "code": "M"}]})))
    (package / "example" / "Patient-bad.json").write_text(json.dumps(patient(
        "bad", contained=[{"resourceType": "Organization", "id": "org", "name": "Clinic"}], active=False,
        gender="male", name=[{"given": ["A"]}, {"given": ["B"]}], implicitRules="http://example.test/rules/long",
        maritalStatus={"coding": [{"system": MARITAL, "code": "S"}]}, generalPractitioner=[{"reference": "#org"}],
        extension=[{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                    "valueAddress": {"city": "X"}}])))
    return package.parent


@pytest.mark.parametrize("name", ["min-zero", "max-base", "open-slicing", "no-invariants", "no-bounds",
                                  "no-fixed-pattern", "weaker-bindings", "no-target-profiles", "no-type-profiles"])
def test_each_relaxation_removes_the_error_it_loosens_and_adds_none(bench: ModuleType, guide: Path, name: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert name in bench.RELAXATIONS
    assert bench.run([guide], [name], None, 0) == {name: []}
    out = capsys.readouterr().out
    summary = next(line for line in out.splitlines() if line.startswith(f"{name}: "))
    assert "0 examples with errors added; 0 errors added {}" in summary, summary
    removed = int(summary.rsplit(";", 1)[1].split()[0])
    assert removed >= 1, summary  # the relaxation did loosen what the bad example breaks


def test_the_valid_example_is_valid_as_published(bench: ModuleType, guide: Path) -> None:
    published = bench._counted(guide / "package", sorted((guide / "package" / "example").iterdir()), None)
    assert published["Patient-ok.json"] == {}
    assert sum(published["Patient-bad.json"].values()) >= 9


def test_a_tightening_is_counted_as_errors_added(bench: ModuleType, guide: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def tighter(sd: dict[str, Any]) -> None:
        for e in sd["snapshot"]["element"]:
            if e["id"] == "Patient.language":
                e["min"] = 1

    monkeypatch.setitem(bench.RELAXATIONS, "tighter", tighter)
    added = bench.run([guide], ["tighter"], None, 0)["tighter"]
    assert {(f, key[0]) for _, f, key, _ in added} == {("Patient-ok.json", "cardinality-min"),
                                                       ("Patient-bad.json", "cardinality-min")}


def test_min_zero_leaves_what_an_exists_discriminator_reads(bench: ModuleType) -> None:
    sd = {"snapshot": {"element": [
        {"id": "Patient", "path": "Patient", "min": 0},
        {"id": "Patient.contact", "path": "Patient.contact", "min": 0,
         "slicing": {"discriminator": [{"type": "exists", "path": "name"}], "rules": "open"}},
        {"id": "Patient.contact:named", "path": "Patient.contact", "sliceName": "named", "min": 1},
        {"id": "Patient.contact:named.name", "path": "Patient.contact.name", "min": 1},
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1}]}}
    bench.min_zero(sd)
    assert [e["min"] for e in sd["snapshot"]["element"]] == [0, 0, 1, 1, 0]


def test_a_profile_a_slice_names_is_left_as_published(bench: ModuleType, guide: Path) -> None:
    package = guide / "package"
    list_sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/List"))
    assert list_sd is not None
    list_sd.update(url="http://example.test/StructureDefinition/list", name="L", derivation="constraint")
    entry_item = next(e for e in list_sd["snapshot"]["element"] if e["id"] == "List.entry.item")
    list_sd["snapshot"]["element"].append({**entry_item, "id": "List.entry.item:named", "sliceName": "named",
                                           "type": [{"code": "Reference", "targetProfile": [NAMED]}]})
    (package / "StructureDefinition-list.json").write_text(json.dumps(list_sd))
    assert bench.discriminating(package) == {NAMED}
    named = profile(NAMED)
    bench._relaxed(named, {}, bench.min_zero, {NAMED}, [])
    assert next(e for e in named["snapshot"]["element"] if e["id"] == "Patient.birthDate")["min"] == 1
    other = profile(URL)
    bench._relaxed(other, {}, bench.min_zero, {NAMED}, [])
    assert next(e for e in other["snapshot"]["element"] if e["id"] == "Patient.birthDate")["min"] == 0


def test_slices_are_found_by_id_and_in_lists_without_ids(bench: ModuleType) -> None:
    with_ids = [{"id": "Bundle.entry", "path": "Bundle.entry"}, {"id": "Bundle.entry:a", "path": "Bundle.entry"},
                {"id": "Bundle.entry:a.resource", "path": "Bundle.entry.resource"}]
    assert [e["id"] for e in bench.in_slices(with_ids)] == ["Bundle.entry:a", "Bundle.entry:a.resource"]
    without = [{"path": "Bundle.entry"}, {"path": "Bundle.entry", "sliceName": "a"},
               {"path": "Bundle.entry.resource"}, {"path": "Bundle.signature"}]
    assert [e["path"] for e in bench.in_slices(without)] == ["Bundle.entry", "Bundle.entry.resource"]
    nested = [{"path": "Bundle.entry", "sliceName": "a"}, {"path": "Bundle.entry.extension", "sliceName": "x"},
              {"path": "Bundle.entry.resource"}, {"path": "Bundle.entry", "sliceName": "b"}, {"path": "Bundle.total"}]
    assert [e["path"] for e in bench.in_slices(nested)] == [
        "Bundle.entry", "Bundle.entry.extension", "Bundle.entry.resource", "Bundle.entry"]


def test_profiles_a_slice_or_an_operation_names_are_left_as_published(bench: ModuleType) -> None:
    bundle = {"resourceType": "StructureDefinition", "url": "http://example.test/b", "differential": {"element": [
        {"path": "Bundle.entry", "sliceName": "a"},
        {"path": "Bundle.entry.resource", "type": [{"code": "Patient", "profile": ["http://example.test/p|1"]}]},
        {"path": "Bundle.identifier", "type": [{"code": "Identifier", "profile": ["http://example.test/id"]}]},
        {"path": "Bundle.entry", "sliceName": "e"},
        {"path": "Bundle.entry.extension", "type": [{"code": "Extension", "profile": ["http://example.test/x"]}]}]}}
    operation = {"resourceType": "OperationDefinition", "inputProfile": "http://example.test/in"}
    assert bench.left_as_published([bundle, operation]) == {"http://example.test/p", "http://example.test/in"}
    # what a kept profile names decides whether an element meets it: kept too, transitively
    kept_patient = {"resourceType": "StructureDefinition", "url": "http://example.test/p", "differential": {
        "element": [{"path": "Patient.name", "type": [{"code": "HumanName", "profile": ["http://example.test/hn"]}]}]}}
    name = {"resourceType": "StructureDefinition", "url": "http://example.test/hn", "differential": {
        "element": [{"path": "HumanName.period", "type": [{"code": "Period", "profile": ["http://example.test/pe"]}]}]}}
    assert bench.left_as_published([bundle, kept_patient, name]) >= {"http://example.test/hn", "http://example.test/pe"}
    # an extension a discriminator reads by its value
    by_value = {"resourceType": "StructureDefinition", "url": "http://example.test/o", "snapshot": {"element": [
        {"id": "Observation.component", "path": "Observation.component", "slicing": {"discriminator": [
            {"type": "value", "path": "extension('http://example.test/kind').value"}], "rules": "open"}}]}}
    assert bench.left_as_published([by_value]) == {"http://example.test/kind"}


def test_max_base_only_ever_widens(bench: ModuleType) -> None:
    sd = {"snapshot": {"element": [
        {"path": "Patient.name", "max": "1", "base": {"max": "*"}},
        {"path": "Patient.link", "max": "0", "base": {"max": "*"}},
        {"path": "Patient.photo", "max": "*", "base": {"max": "1"}},  # a snapshot giving more than its base
        {"path": "Patient.contact", "max": "2", "base": {"max": "5"}}]}}
    bench.max_base(sd)
    assert [e["max"] for e in sd["snapshot"]["element"]] == ["*", "0", "*", "5"]


def test_definitions_in_any_layout_are_relaxed_as_handed_out(bench: ModuleType, guide: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    package = guide / "package"
    added = bench.run_definitions(package, package / "example", None, ["min-zero", "no-bounds"], 0,
                                  "http://example.test/StructureDefinition/")
    assert added == {"min-zero": [], "no-bounds": []}
    out = capsys.readouterr().out
    assert "0 asked a profile by type" in out  # the examples claim their profile; none is named <prefix>Patient
    for name in ("min-zero", "no-bounds"):
        line = next(x for x in out.splitlines() if x.startswith(f"{name}: "))
        assert "loosened: True" in line and int(line.rsplit(";", 1)[1].split()[0]) >= 1, line
