"""Every check can fail: each sandbox fault fails its named checks and errors none; no fault, all pass.

This is the project's proof that no check is a silent pass. It runs, once per fault, every suite that
the fault's checks belong to (the check id's first segment) against the in-memory sandbox (ASGI
transport: the same app, no sockets).
"""

from __future__ import annotations

import pytest

from conformance.model import Status
from conformance.runner import load_suites
from conformance.sandbox.faults import FAULTS
from tests.integration.conftest import run_against_sandbox


def suites_of(check_ids: tuple[str, ...]) -> list[str]:
    return sorted({c.split(".")[0] for c in check_ids})


def test_suites_of_derives_suites_from_check_ids() -> None:
    assert suites_of(("fhir-rest.capability.metadata", "gs1.capability.metadata", "gs1.held.valid")) == [
        "fhir-rest", "gs1"]


async def test_clean_sandbox_passes_every_required_check() -> None:
    result = await run_against_sandbox(suites=sorted(load_suites().suites))
    assert {r.suite for r in result.results} >= {"fhir-rest", "gs1"}
    bad = [(r.id, r.status.value, r.message) for r in result.results
           if r.required and r.status is not Status.PASS and r.status is not Status.SKIP]
    assert bad == []
    errors = [(r.id, r.message) for r in result.results if r.status is Status.ERROR]
    assert errors == []
    # Skips on the clean sandbox are only for things it does not declare (XML).
    skipped = {r.id: r.message for r in result.results if r.status is Status.SKIP}
    assert all("not declared" in m for m in skipped.values()), skipped
    assert result.summary()["pass"] >= 100


@pytest.mark.parametrize("name", sorted(FAULTS))
async def test_fault_fails_its_checks_and_errors_none(name: str) -> None:
    fault = FAULTS[name]
    assert fault.checks, f"fault {name} names no check"
    result = await run_against_sandbox(faults=[name], suites=suites_of(fault.checks))
    status = {r.id: r for r in result.results}
    not_failed = {c: (status[c].status.value, status[c].message) for c in fault.checks
                  if status[c].status is not Status.FAIL}
    assert not_failed == {}, f"{name} should fail these checks"
    errors = {r.id: r.message for r in result.results if r.status is Status.ERROR}
    assert errors == {}, f"{name} made checks error instead of fail"


def test_every_check_has_a_fault_that_fails_it() -> None:
    registry = load_suites()
    covered = {c for f in FAULTS.values() for c in f.checks}
    uncovered = sorted(c.id for c in registry.all_checks() if c.id not in covered)
    assert uncovered == []
    assert {"fhir-rest", "gs1"} <= set(registry.suites)


async def test_every_verdict_carries_evidence() -> None:
    """A pass or fail with nothing behind it is not evidence anyone can rely on."""
    result = await run_against_sandbox(faults=["history-oldest-first"], suites=["fhir-rest"])
    bare = [r.id for r in result.results if r.status in (Status.PASS, Status.FAIL) and not r.evidence]
    assert bare == []
    assert any(r.status is Status.FAIL for r in result.results)
