"""Every realtime verdict carries evidence, and latency checks carry DESIGN.md's latency_ms figures."""

from __future__ import annotations

import pytest

from conformance.model import Status
from tests.integration.conftest import run_against_sandbox


@pytest.mark.parametrize("faults", [[], ["subscription-never-notifies"], ["notification-reorder"]])
async def test_every_verdict_carries_evidence(faults: list[str]) -> None:
    result = await run_against_sandbox(faults=faults, suites=["realtime"])
    bare = [r.id for r in result.results if r.status in (Status.PASS, Status.FAIL) and not r.evidence]
    assert bare == []


async def test_latency_metrics_follow_the_contract() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.exchange"])
    by_id = {r.id: r for r in result.results}
    for check in ("realtime.exchange.observed", "realtime.exchange.latency"):
        latency = by_id[check].metrics["latency_ms"]
        assert set(latency) == {"p50", "p95", "p99", "max"}
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    observed = by_id["realtime.exchange.observed"].metrics
    assert (observed["events"], observed["observed"], observed["lost"], observed["duplicates"]) == (20, 20, 0, 0)
    assert len(observed["series"]) == 20
