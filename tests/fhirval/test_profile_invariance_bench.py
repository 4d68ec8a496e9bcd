"""bench/fhir_profile_invariance.py: a guide's profiles rewritten in ways HL7's validator reads the same leave every
example's errors as they were (valid and invalid examples alike), and a rewrite that does change the profile is
counted, so the bench's count can move."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from tests.fhirval.scripts import load_bench

URL = "http://example.test/StructureDefinition/bp"
R4_BP = "http://hl7.org/fhir/StructureDefinition/bp"
LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("fhir_profile_invariance")


def component(code: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": 100, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}


def observation(oid: str, *codes: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "meta": {"profile": [URL]}, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]}, "subject": {"reference": "Patient/1"},
            "effectiveDateTime": "2024-01-01", "component": [component(c) for c in codes]}


@pytest.fixture()
def guide(tmp_path: Path) -> Path:
    """A guide of one profile (R4's bp under another url: slices, fixed and pattern values, bindings) and two
    examples, one valid and one without its diastolic component."""
    package = tmp_path / "test.guide#0.1.0" / "package"
    (package / "example").mkdir(parents=True)
    sd = copy.deepcopy(base_source().structure(R4_BP))
    assert sd is not None
    sd.update(url=URL, version="0.1.0")
    (package / "package.json").write_text(json.dumps(
        {"name": "test.guide", "version": "0.1.0", "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}))
    (package / "StructureDefinition-bp.json").write_text(json.dumps(sd))
    (package / "example" / "Observation-ok.json").write_text(json.dumps(observation("ok", "8480-6", "8462-4")))
    (package / "example" / "Observation-bad.json").write_text(json.dumps(observation("bad", "8480-6")))
    return package.parent



def test_no_rewrite_moves_an_error(bench: ModuleType, guide: Path) -> None:
    moved = bench.run([guide], list(bench.REWRITES), None, 0)
    assert moved == {name: [] for name in bench.REWRITES}
    published = bench.findings(guide / "package", sorted((guide / "package" / "example").iterdir()), None)
    assert published["Observation-ok.json"] == set()
    assert any(e[1] == "slice-min" for e in published["Observation-bad.json"])  # an invalid example is compared too


def test_a_rewrite_that_changes_the_profile_is_counted(bench: ModuleType, guide: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def amended(sd: dict[str, Any], versions: dict[str, str]) -> None:
        for e in sd["snapshot"]["element"]:
            if e["path"] == "Observation.status":
                e["fixedCode"] = "amended"

    monkeypatch.setitem(bench.REWRITES, "amended", amended)
    moved = bench.run([guide], ["amended"], None, 0)["amended"]
    assert {(f, side, e[1]) for _, f, side, e in moved} == {
        ("Observation-ok.json", "rewritten", "fixed-value"), ("Observation-bad.json", "rewritten", "fixed-value")}
