"""The gs1 suite against the third-party server (Medplum's fhir-router; tests/realserver/NOTES.md).

Medplum stores GS1 strings as the strings they are, so every GS1 round trip must pass: a failure here
is either a false failure of ours or a regression there, and both need a look.
"""

from __future__ import annotations

import pytest

from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import from_url
from tests.integration.realserver import medplum_server

pytestmark = pytest.mark.realserver


async def test_gs1_round_trips_through_medplum() -> None:
    registry = load_suites()
    with medplum_server() as base:
        target = from_url(base, sandbox=True)
        result = await Runner(registry).run(
            build_plan(registry, ["gs1"], None), target,
            RunInfo(id="realserver-gs1", started="", target=target.to_dict(), harness_version="test"),
        )
    assert {r.id: (r.status.value, r.message) for r in result.results if r.status is not Status.PASS} == {}
    assert len(result.results) >= 15
