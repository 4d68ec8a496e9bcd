"""Run fhir-rest checks against a mocked server (respx) or the in-memory sandbox, and read verdicts."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from conformance.checks import Links
from conformance.model import CheckResult, RunInfo, RunResult
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import from_url

BASE = "http://fhir.test/fhir"

CAPABILITY: dict[str, Any] = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "date": "2026-01-01",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["json"],
    "rest": [{
        "mode": "server",
        "resource": [{
            "type": "Patient",
            "interaction": [{"code": c} for c in ("read", "vread", "update", "delete", "history-instance",
                                                  "create", "search-type")],
            "versioning": "versioned-update",
            "conditionalCreate": True,
            "searchParam": [{"name": "family", "type": "string"}, {"name": "identifier", "type": "token"}],
        }],
    }],
}


def capability(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CAPABILITY)
    data.update(changes)
    return data


async def run(select: list[str], base: str = BASE, sandbox: bool = True,
              transport: httpx.AsyncBaseTransport | None = None) -> dict[str, CheckResult]:
    result = await run_result(select, base, sandbox, transport)
    return {r.id: r for r in result.results}


async def run_result(select: list[str] | None, base: str = BASE, sandbox: bool = True,
                     transport: httpx.AsyncBaseTransport | None = None, run_id: str = "unit") -> RunResult:
    registry = load_suites()
    target = from_url(base, sandbox=sandbox)
    runner = Runner(registry, concurrency=4, check_timeout=30, links=Links(http_transport=transport))
    info = RunInfo(id=run_id, started="", target=target.to_dict(), harness_version="test")
    return await runner.run(build_plan(registry, ["fhir-rest"], select), target, info)
