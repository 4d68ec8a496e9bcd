"""scripts/gen_fhir_definitions.py: the base is HL7's own R4 package; a redistribution only fills gaps."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.fhirval.base import BASE_ZIP, ZipSource, base_source
from tests.fhirval.scripts import load_script


def _gen() -> ModuleType:
    return load_script("scripts/gen_fhir_definitions.py")


GEN = _gen()


def _sd(name: str, *paths: str) -> dict[str, Any]:
    url = f"http://hl7.org/fhir/StructureDefinition/{name}"
    elements = [{"id": p, "path": p, "min": 0, "max": "1"} for p in (name, *paths)]
    return {"resourceType": "StructureDefinition", "id": name, "url": url, "type": name, "kind": "complex-type",
            "abstract": False, "snapshot": {"element": elements}}


def _bundle(folder: Path, name: str, *resources: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}))


def _package(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": name, "version": "4.0.1"}))


def test_the_base_is_hl7s_r4_not_a_redistribution() -> None:
    """Medplum's own elements would hide missed errors, R5's EvidenceVariable raise false alarms."""
    source = base_source()
    meta, binary, evidence = source.structure("Meta"), source.structure("Binary"), source.structure("EvidenceVariable")
    assert meta is not None and binary is not None and evidence is not None
    assert {e["path"] for e in meta["snapshot"]["element"]} == {
        "Meta", "Meta.id", "Meta.extension", "Meta.versionId", "Meta.lastUpdated", "Meta.source",
        "Meta.profile", "Meta.security", "Meta.tag"}
    assert "Binary.url" not in {e["path"] for e in binary["snapshot"]["element"]}
    assert "EvidenceVariable.characteristic.definition[x]" in {e["path"] for e in evidence["snapshot"]["element"]}
    with zipfile.ZipFile(BASE_ZIP) as zf:
        sources = json.loads(zf.read("index.json"))["sources"]
    assert set(sources.values()) == {f"hl7.fhir.r4.examples 4.0.1: {name}" for name in GEN.BUNDLES.values()}


def test_the_package_wins_and_the_fallback_fills_only_missing_bundles(tmp_path: Path) -> None:
    hl7, shared = tmp_path / "package", tmp_path / "shared"
    _package(hl7, "hl7.fhir.r4.examples")
    for spec_name, package_name in GEN.BUNDLES.items():
        if spec_name != "v3-codesystems.json":  # the package lacks one bundle
            _bundle(hl7, package_name, *([_sd("Meta", "Meta.id")] if spec_name == "profiles-types.json" else []))
        _bundle(shared, spec_name, _sd("Meta", "Meta.id", "Meta.project") if spec_name == "profiles-types.json"
                else _sd("Shared" + spec_name.split(".")[0].replace("-", "")))
    out = tmp_path / "base.zip"
    counts = GEN.build(hl7, out, shared)
    assert counts["StructureDefinition"] == 2  # Meta from the package, one from the shared v3 bundle
    zs = ZipSource(out)
    meta = zs.structure("Meta")
    assert meta is not None and [e["path"] for e in meta["snapshot"]["element"]] == ["Meta", "Meta.id"]
    assert zs.structure("Sharedv3codesystems") is not None and zs.structure("Sharedvaluesets") is None
    with zipfile.ZipFile(out) as zf:
        sources = json.loads(zf.read("index.json"))["sources"]
    assert sources["v3-codesystems.json"] == "shared: v3-codesystems.json"
    assert sources["profiles-types.json"] == "hl7.fhir.r4.examples 4.0.1: Bundle-types.json"
    again = tmp_path / "again.zip"
    GEN.build(hl7, again, shared)
    assert again.read_bytes() == out.read_bytes()


def test_a_core_package_is_read_file_by_file(tmp_path: Path) -> None:
    core = tmp_path / "core"
    _package(core, "hl7.fhir.r4.core")
    (core / "StructureDefinition-Meta.json").write_text(json.dumps(_sd("Meta", "Meta.id")))
    (core / "Patient-example.json").write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    (core / "SearchParameter-x.json").write_text(json.dumps(
        {"resourceType": "SearchParameter", "id": "x", "url": "http://hl7.org/fhir/SearchParameter/x"}))
    counts = GEN.build(core, tmp_path / "base.zip", None)
    assert counts["StructureDefinition"] == 1 and counts["SearchParameter"] == 1
    with zipfile.ZipFile(tmp_path / "base.zip") as zf:
        assert json.loads(zf.read("index.json"))["sources"] == {"*": "hl7.fhir.r4.core 4.0.1: one file per resource"}
