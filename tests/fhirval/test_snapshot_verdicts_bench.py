"""bench/fhir_snapshot_verdicts.py: a guide's constraining profiles are laid over it without their snapshots, so
our generator makes them, and an example judged otherwise with the two snapshots is counted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType

import pytest

from conformance.fhirval.base import base_source
from tests.fhirval.scripts import load_script

URL = "http://example.org/fhir/StructureDefinition/gendered-patient"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench/fhir_snapshot_verdicts.py")


def _guide(folder: Path, published_min: int) -> Path:
    """A one-profile guide: Patient.gender 1..1 in the differential; the published snapshot says ``published_min``."""
    package = folder / "package"
    (package / "example").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "example.guide", "version": "0.1.0", "fhirVersions": [
        "4.0.1"], "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}))
    snapshot = copy.deepcopy(base_source().structure("http://hl7.org/fhir/StructureDefinition/Patient"))
    assert snapshot is not None
    for element in snapshot["snapshot"]["element"]:
        if element["path"] == "Patient.gender":
            element["min"] = published_min
    profile = {"resourceType": "StructureDefinition", "id": "gendered-patient", "url": URL, "name": "GenderedPatient",
               "status": "active", "kind": "resource", "abstract": False, "type": "Patient",
               "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
               "fhirVersion": "4.0.1", "snapshot": snapshot["snapshot"],
               "differential": {"element": [{"id": "Patient", "path": "Patient"},
                                            {"id": "Patient.gender", "path": "Patient.gender", "min": 1}]}}
    (package / "StructureDefinition-gendered-patient.json").write_text(json.dumps(profile))
    (package / "example" / "Patient-p.json").write_text(json.dumps(
        {"resourceType": "Patient", "id": "p", "meta": {"profile": [URL]}}))
    return package


def test_stripped_profiles_lose_only_their_snapshot(bench: ModuleType, tmp_path: Path) -> None:
    package = _guide(tmp_path, 1)
    [bare] = bench.stripped_profiles(package)
    assert bare["url"] == URL and "snapshot" not in bare and bare["differential"]["element"][1]["min"] == 1


def test_same_snapshots_same_errors(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = _guide(tmp_path, 1)
    files, differ, only_ours = bench.run_guide(package, None, None, 1)
    assert (files, differ, only_ours) == (1, 0, 0)


def test_an_example_judged_otherwise_is_counted(bench: ModuleType, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A published snapshot that drops the differential's min (0 here) lets the genderless Patient pass; ours,
    made from the differential, requires gender: the example is counted, the error listed as ours only."""
    package = _guide(tmp_path, 0)
    files, differ, only_ours = bench.run_guide(package, None, None, 1)
    assert (files, differ, only_ours) == (1, 1, 1)
    assert "only with ours: cardinality-min" in capsys.readouterr().out
