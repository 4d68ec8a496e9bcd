"""THO in every validation of a run: the cache a runner names (the CLI's --package-cache, the agreement bench's
packages folder) is where the HL7 Terminology package is found; synthetic THO-shaped packages only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.terminology_packages import (
    ENV,
    find_terminology_package,
    package_version,
    use_package_cache,
)
from tests.fhirval.test_agreement_bench import _bench
from tests.fhirval.test_terminology_packages import SYSTEM, write_cached, write_tgz


@pytest.fixture()
def run_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty default cache, a run cache holding THO 9.9.9, and the run's cache put back afterwards."""
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "default").mkdir()
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "default"))
    write_cached(tmp_path / "run")
    before = use_package_cache(None)
    yield tmp_path / "run"
    use_package_cache(before)


def test_the_runs_cache_is_searched_before_the_default_and_after_a_given_path(run_cache: Path,
                                                                              monkeypatch: pytest.MonkeyPatch,
                                                                              tmp_path: Path) -> None:
    assert find_terminology_package() is None
    assert use_package_cache(PackageCache(run_cache)) is None
    assert find_terminology_package() == run_cache / "hl7.terminology.r4#9.9.9"
    archive = write_tgz(tmp_path / "given.tgz")
    monkeypatch.setenv(ENV, str(archive))
    assert find_terminology_package() == archive
    monkeypatch.delenv(ENV)
    assert isinstance(use_package_cache(None), PackageCache)
    assert find_terminology_package() is None


def test_the_package_version_is_read_from_its_manifest(tmp_path: Path) -> None:
    folder = write_cached(tmp_path / "cache", version="6.5.0")
    assert package_version(folder) == "6.5.0"
    assert package_version(write_tgz(tmp_path / "tho.tgz")) == "9.9.9"
    assert package_version(tmp_path / "absent") is None


def test_cli_finds_tho_in_the_package_cache_it_is_given(run_cache: Path, tmp_path: Path) -> None:
    package = tmp_path / "guide" / "package"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "example.guide", "version": "1.0.0"}))
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "id": "p",
                                   "maritalStatus": {"coding": [{"system": SYSTEM, "code": "gamma"}]}}))
    runner = CliRunner()
    args = ["validate", "fhir", "--package", str(package.parent), str(patient)]
    assert runner.invoke(main, args).exit_code == 0  # THO nowhere: the code is not judged (information)
    result = runner.invoke(main, ["validate", "fhir", "--package-cache", str(run_cache), *args[2:]])
    assert result.exit_code == 1 and "gamma" in result.output, result.output
    assert find_terminology_package() is None  # the run's cache is put back afterwards


def test_the_bench_loads_tho_from_its_packages_folder_and_says_which(run_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "cases" / "validator").mkdir(parents=True)
    (tmp_path / "cases" / "validator" / "manifest.json").write_text(json.dumps({
        "versions": {"terminology": "6.5.0"}, "test-cases": []}))
    bench = _bench()
    said = bench.runner_terminology(tmp_path / "cases", PackageCache(run_cache), None)
    assert said == ["HL7 Terminology: hl7.terminology.r4#9.9.9 version 9.9.9 (HL7's runner loads 6.5.0)"]
    assert find_terminology_package() == run_cache / "hl7.terminology.r4#9.9.9"
    said = bench.runner_terminology(tmp_path / "cases", PackageCache(run_cache), "none")
    assert said[0].startswith("HL7 Terminology: not loaded") and find_terminology_package() is None


def test_the_bench_takes_the_release_the_manifest_names_when_the_folder_holds_it(
        run_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HL7's runner loads the manifest's ``versions.terminology``; beside a newer release, that one is used."""
    monkeypatch.setenv(ENV, "")  # recorded as absent, so the path the bench sets is taken away afterwards
    monkeypatch.delenv(ENV)
    (tmp_path / "cases" / "validator").mkdir(parents=True)
    (tmp_path / "cases" / "validator" / "manifest.json").write_text(json.dumps({
        "versions": {"terminology": "6.5.0"}, "test-cases": []}))
    bench = _bench()
    write_cached(run_cache, version="6.5.0")
    said = bench.runner_terminology(tmp_path / "cases", PackageCache(run_cache), None)
    assert said == ["HL7 Terminology: hl7.terminology.r4#6.5.0 version 6.5.0 (HL7's runner loads 6.5.0)"]
    assert find_terminology_package() == run_cache / "hl7.terminology.r4#6.5.0"
    monkeypatch.delenv(ENV)
    (tmp_path / "cases" / "validator" / "manifest.json").write_text(json.dumps({
        "versions": {"terminology": "7.0.0"}, "test-cases": []}))
    said = bench.runner_terminology(tmp_path / "cases", PackageCache(run_cache), None)
    assert said == ["HL7 Terminology: hl7.terminology.r4#9.9.9 version 9.9.9 (HL7's runner loads 7.0.0)"]
    # a package path the user exported wins over the manifest's release, as it does in the product
    (tmp_path / "cases" / "validator" / "manifest.json").write_text(json.dumps({
        "versions": {"terminology": "6.5.0"}, "test-cases": []}))
    exported = write_tgz(tmp_path / "exported.tgz")
    monkeypatch.setenv(ENV, str(exported))
    said = bench.runner_terminology(tmp_path / "cases", PackageCache(run_cache), None)
    assert said == ["HL7 Terminology: exported.tgz version 9.9.9 (HL7's runner loads 6.5.0)"]


def test_code_systems_hl7_never_takes_from_tho_are_not_taken(run_cache: Path, tmp_path: Path) -> None:
    """CanonicalResourceManager.see drops THO's copies of SNOMED CT, DICOM and NUCC (INVALID_TERMINOLOGY_URLS)."""
    from conformance.fhirval.terminology_packages import open_package

    dcm = "http://dicom.nema.org/resources/ontology/DCM"
    folder = run_cache / "hl7.terminology.r4#9.9.9"
    (folder / "package" / "CodeSystem-DCM.json").write_text(json.dumps({
        "resourceType": "CodeSystem", "url": dcm, "status": "active", "content": "complete",
        "concept": [{"code": "110"}]}))
    index = json.loads((folder / "package" / ".index.json").read_text())
    index["files"].append({"filename": "CodeSystem-DCM.json", "resourceType": "CodeSystem", "url": dcm})
    (folder / "package" / ".index.json").write_text(json.dumps(index))
    assert open_package(folder).code_system(SYSTEM) is not None
    assert open_package(folder).code_system(dcm) is None


def test_a_package_code_systems_index_is_built_once_per_process() -> None:
    """Every step's Terminology finds the package's CodeSystem; its index is built once, and answers stay its."""
    from conformance.fhirval.source import MemorySource
    from conformance.fhirval.terminology import Terminology
    from tests.fhirval.test_terminology_packages import CODE_SYSTEM

    package = MemorySource([CODE_SYSTEM])
    first, second = Terminology(MemorySource(), package), Terminology(MemorySource(), package)
    assert first.code_in_system(SYSTEM, "beta") is True and second.code_in_system(SYSTEM, "gamma") is False
    assert first._table(SYSTEM) == second._table(SYSTEM)
    assert first._table(SYSTEM)[0] is second._table(SYSTEM)[0]  # type: ignore[index]
    own = Terminology(MemorySource([{**CODE_SYSTEM, "concept": [{"code": "gamma"}]}]), package)
    assert own.code_in_system(SYSTEM, "gamma") is True and own._table(SYSTEM)[0] is not first._table(SYSTEM)[0]  # type: ignore[index]
