"""The fhir-profiles suite end to end against the in-memory sandbox: what the target claims decides what
is judged, and a claim or package that cannot be honoured is said plainly, never passed over.

(The fault matrix, tests/integration/test_fault_matrix.py, proves each check fails on its faults.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.model import RunResult, Status
from conformance.targets import Target
from tests.integration.conftest import run_against_sandbox

UKCORE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ukcore-2.0.2"
OWN = Path(__file__).resolve().parents[3] / "profiles" / "fhir"
UKCORE_PATIENT = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"


async def run_result(faults: list[str] | None = None, profiles: list[str] | None = None,
                     packages: list[str] | None = None) -> RunResult:
    def configure(target: Target) -> None:
        target.profiles = profiles or []
        target.packages = packages or []

    return await run_against_sandbox(faults=faults, suites=["fhir-profiles"], configure=configure)


async def run(faults: list[str] | None = None, profiles: list[str] | None = None,
              packages: list[str] | None = None) -> dict[str, tuple[Status, str]]:
    result = await run_result(faults, profiles, packages)
    return {r.id: (r.status, r.message or "") for r in result.results}


async def test_clean_sandbox_passes_and_judges_its_claimed_profiles() -> None:
    got = await run()
    assert {s for s, _ in got.values()} == {Status.PASS}, got
    assert len(got) == 5


async def test_a_claimed_profile_the_harness_lacks_is_not_judged_naming_it_and_how_to_add_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    missing = "https://example.org/fhir/StructureDefinition/NotLoaded"
    got = await run(profiles=[missing])
    status, message = got["fhir-profiles.claimed.valid"]
    # The harness's lack, not the server's fault: skip, never fail; the profiles it has are still judged.
    assert status is Status.SKIP, message
    assert missing in message and "not judged" in message and "claims.packages" in message
    assert "package cache" in message and "conform to the profiles it has" in message
    assert got["fhir-profiles.base.valid"][0] is Status.PASS


def cached_package(root: Path, url: str, stricter: bool) -> Path:
    """A FHIR package cache holding one package whose Patient profile is ``url`` (built on the sandbox's
    own, plus ``Patient.photo`` 1..* when ``stricter``: the sandbox never returns a photo)."""
    sd = json.loads((OWN / "SandboxPatient.json").read_text())
    sd.update(url=url, id="CachedPatient", name="CachedPatient")
    if stricter:
        sd["differential"]["element"].append({"id": "Patient.photo", "path": "Patient.photo", "min": 1})
    folder = root / "example.cached#1.0.0" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "example.cached", "version": "1.0.0",
                                                     "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}))
    (folder / "StructureDefinition-CachedPatient.json").write_text(json.dumps(sd))
    (folder / ".index.json").write_text(json.dumps({"index-version": 1, "files": [
        {"filename": "StructureDefinition-CachedPatient.json", "resourceType": "StructureDefinition",
         "id": "CachedPatient", "url": url, "kind": "resource", "type": "Patient"}]}))
    return root


@pytest.mark.parametrize("stricter", [False, True])
async def test_a_claimed_profile_is_found_in_the_fhir_package_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stricter: bool) -> None:
    url = "https://example.org/fhir/StructureDefinition/CachedPatient"
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(cached_package(tmp_path / "cache", url, stricter)))
    result = await run_result(profiles=[url])
    claimed = next(r for r in result.results if r.id == "fhir-profiles.claimed.valid")
    judged = [e.data for e in claimed.evidence if e.kind == "derived"]
    assert judged and url in judged[0]["claimed"]["Patient"], claimed.message
    if stricter:
        assert claimed.status is Status.FAIL and "Patient.photo" in claimed.message, claimed.message
    else:
        assert claimed.status is Status.PASS, claimed.message


async def test_a_package_that_cannot_be_loaded_is_an_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    got = await run(packages=[str(broken)])
    errored = {cid: m for cid, (s, m) in got.items() if s is Status.ERROR}
    assert errored and all("broken.json" in m for m in errored.values()), got
    assert not any(s is Status.PASS for cid, (s, _) in got.items() if cid != "fhir-profiles.capability.metadata")


@pytest.mark.skipif(not UKCORE.exists(), reason="UK Core reference data (../shared/data) not present")
async def test_uk_core_claimed_from_the_target_file_is_judged() -> None:
    result = await run_result(profiles=[UKCORE_PATIENT], packages=[str(UKCORE)])
    claimed = next(r for r in result.results if r.id == "fhir-profiles.claimed.valid")
    assert claimed.status is Status.PASS, claimed.message
    judged = [e.data for e in claimed.evidence if e.kind == "derived"]
    # The target file's claim and the CapabilityStatement's are judged together, per resource type.
    assert judged and judged[0]["claimed"]["Patient"] == [
        UKCORE_PATIENT, "https://conformance.example/fhir/StructureDefinition/SandboxPatient"]
    assert any(r.startswith("Patient/") for r in judged[0]["resources"])
