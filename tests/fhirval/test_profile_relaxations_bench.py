"""bench/fhir_profile_relaxations.py: a guide's profiles loosened take errors away from an example and add none; a
relaxation that is not one (it tightens) is counted as added errors, so the count can move; a profile another
profile's slice names is left as published."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from tests.fhirval.scripts import load_script

BENCH = Path(__file__).resolve().parents[2] / "bench"
URL = "http://example.test/StructureDefinition/patient"
NAMED = "http://example.test/StructureDefinition/named-patient"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    return load_script("bench/fhir_profile_relaxations.py")


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "meta": {"profile": [URL]}, "active": True, **extra}


def profile(url: str) -> dict[str, Any]:
    """R4's Patient under ``url`` with a birthDate required, implicitRules of at most 20 characters, gender fixed."""
    sd = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/Patient"))
    assert sd is not None
    sd.update(url=url, name="P", derivation="constraint", baseDefinition=sd["url"])
    for e in sd["snapshot"]["element"]:
        if e["id"] == "Patient.birthDate":
            e["min"] = 1
        elif e["id"] == "Patient.implicitRules":
            e["maxLength"] = 20
        elif e["id"] == "Patient.gender":
            e["fixedCode"] = "female"
    return sd


@pytest.fixture()
def guide(tmp_path: Path) -> Path:
    package = tmp_path / "test.guide#0.1.0" / "package"
    (package / "example").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps(
        {"name": "test.guide", "version": "0.1.0", "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}))
    (package / "StructureDefinition-patient.json").write_text(json.dumps(profile(URL)))
    (package / "example" / "Patient-ok.json").write_text(json.dumps(
        patient("ok", birthDate="2000-01-01", gender="female", implicitRules="http://example.test")))
    (package / "example" / "Patient-bad.json").write_text(json.dumps(
        patient("bad", gender="male", implicitRules="http://example.test/rules/long")))
    return package.parent


def test_relaxations_remove_errors_and_add_none(bench: ModuleType, guide: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    added = bench.run([guide], list(bench.RELAXATIONS), None, 0)
    assert added == {name: [] for name in bench.RELAXATIONS}
    out = capsys.readouterr().out
    assert "min-zero: 2 examples compared; 0 with errors added; 0 errors added {}; 1 removed" in out
    assert "no-bounds: 2 examples compared; 0 with errors added; 0 errors added {}; 1 removed" in out
    assert "no-fixed-pattern: 2 examples compared; 0 with errors added; 0 errors added {}; 1 removed" in out


def test_a_tightening_is_counted_as_errors_added(bench: ModuleType, guide: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def tighter(sd: dict[str, Any]) -> None:
        for e in sd["snapshot"]["element"]:
            if e["id"] == "Patient.active":
                e["fixedBoolean"] = False

    monkeypatch.setitem(bench.RELAXATIONS, "tighter", tighter)
    added = bench.run([guide], ["tighter"], None, 0)["tighter"]
    assert {(f, e[1]) for _, f, e in added} == {("Patient-ok.json", "fixed-value"), ("Patient-bad.json", "fixed-value")}


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
    bench._relaxed(named, {}, bench.min_zero, {NAMED})
    assert next(e for e in named["snapshot"]["element"] if e["id"] == "Patient.birthDate")["min"] == 1
    other = profile(URL)
    bench._relaxed(other, {}, bench.min_zero, {NAMED})
    assert next(e for e in other["snapshot"]["element"] if e["id"] == "Patient.birthDate")["min"] == 0


def test_slices_are_found_by_id_and_in_lists_without_ids(bench: ModuleType) -> None:
    with_ids = [{"id": "Bundle.entry", "path": "Bundle.entry"}, {"id": "Bundle.entry:a", "path": "Bundle.entry"},
                {"id": "Bundle.entry:a.resource", "path": "Bundle.entry.resource"}]
    assert [e["id"] for e in bench.in_slices(with_ids)] == ["Bundle.entry:a", "Bundle.entry:a.resource"]
    without = [{"path": "Bundle.entry"}, {"path": "Bundle.entry", "sliceName": "a"},
               {"path": "Bundle.entry.resource"}, {"path": "Bundle.signature"}]
    assert [e["path"] for e in bench.in_slices(without)] == ["Bundle.entry", "Bundle.entry.resource"]


def test_profiles_a_slice_or_an_operation_names_are_left_as_published(bench: ModuleType) -> None:
    bundle = {"resourceType": "StructureDefinition", "url": "http://example.test/b", "differential": {"element": [
        {"path": "Bundle.entry", "sliceName": "a"},
        {"path": "Bundle.entry.resource", "type": [{"code": "Patient", "profile": ["http://example.test/p|1"]}]},
        {"path": "Bundle.identifier", "type": [{"code": "Identifier", "profile": ["http://example.test/id"]}]},
        {"path": "Bundle.entry", "sliceName": "e"},
        {"path": "Bundle.entry.extension", "type": [{"code": "Extension", "profile": ["http://example.test/x"]}]}]}}
    operation = {"resourceType": "OperationDefinition", "inputProfile": "http://example.test/in"}
    assert bench.left_as_published([bundle, operation]) == {"http://example.test/p", "http://example.test/in"}
