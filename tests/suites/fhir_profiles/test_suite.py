"""The fhir-profiles suite end to end against the in-memory sandbox: what the target claims decides what
is judged, and a claim or package that cannot be honoured is said plainly, never passed over.

(The fault matrix, tests/integration/test_fault_matrix.py, proves each check fails on its faults.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.model import RunResult, Status
from conformance.targets import Target
from tests.integration.conftest import run_against_sandbox

UKCORE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ukcore-2.0.2"
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


async def test_a_claimed_profile_that_is_not_loaded_fails_naming_it() -> None:
    missing = "https://example.org/fhir/StructureDefinition/NotLoaded"
    got = await run(profiles=[missing])
    status, message = got["fhir-profiles.claimed.valid"]
    assert status is Status.FAIL and missing in message and "claims.packages" in message
    assert got["fhir-profiles.base.valid"][0] is Status.PASS


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
