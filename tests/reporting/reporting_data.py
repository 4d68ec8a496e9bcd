"""Synthetic runs for the reporter tests: a well-behaved server and a hostile one (no real data)."""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status

HOSTILE_BODY = "<script>alert(1)</script>\x00\x1b[2J]]><!-- \"quoted\" & 'single' \ud800 \u202e"
HOSTILE_MESSAGE = "expected 404, got 200 ]]> \x00\x07\x1b[31m[bold]red[/bold] <b>bold</b> \r overwritten"


def http_evidence(
    method: str = "GET",
    url: str = "http://fhir.example.test/Patient/1",
    status: int | None = 200,
    body: str = '{"resourceType":"Patient","id":"1"}',
    headers: dict[str, str] | None = None,
    truncated: bool = False,
    error: str = "",
) -> Evidence:
    raw = body.encode("utf-8", errors="replace")
    data: dict[str, Any] = {
        "request": {
            "method": method,
            "url": url,
            "headers": {"accept": "application/fhir+json", "authorization": "[redacted]"},
            "body": "",
            "body_size": 0,
        },
        "timing": {"total_ms": 12.5, "headers_ms": 10.25},
    }
    if status is not None:
        data["response"] = {
            "status": status,
            "url": url,
            "headers": headers or {"content-type": "application/fhir+json"},
            "body": body,
            "body_size": len(raw) * (10 if truncated else 1),
            "body_sha256": hashlib.sha256(raw).hexdigest(),
        }
        if truncated:
            data["response"]["body_truncated"] = True
    if error:
        data["error"] = error
    return Evidence(kind="http", summary=f"{method} {url} -> {status or 'no response'}", data=data)


def make_check(
    id: str,
    status: Status,
    *,
    message: str = "",
    required: bool = True,
    evidence: list[Evidence] | None = None,
    metrics: dict[str, Any] | None = None,
    title: str = "",
) -> CheckResult:
    parts = id.split(".")
    return CheckResult(
        id=id,
        suite=parts[0],
        group=".".join(parts[:2]),
        title=title or f"Title of {id}",
        status=status,
        required=required,
        requirements=["FHIR-R4:http.html#read", "UKCore:Patient"],
        capabilities=["open-api"],
        message=message,
        duration_ms=123.456,
        evidence=evidence if evidence is not None else [http_evidence()],
        metrics=metrics or {},
    )


def make_result() -> RunResult:
    info = RunInfo(
        id="run-20240101-abc",
        started="2024-01-01T10:00:00.000Z",
        finished="2024-01-01T10:00:05.500Z",
        target={
            "name": "Trust EPR <test> é",
            "source": "targets/trust.toml",
            "organisation": {"ods_code": "RXX", "name": "Example NHS Trust", "kind": "provider"},
            "system": {"vendor": "Vendor", "product": "EPR", "version": "1.2"},
            "endpoints": {"fhir": "http://fhir.example.test"},
            "sandbox": True,
        },
        harness_version="0.1.0",
        suites=["fhir-rest", "gs1"],
    )
    results = [
        make_check("fhir-rest.read.patient", Status.PASS),
        make_check(
            "fhir-rest.read.not-found",
            Status.FAIL,
            message=HOSTILE_MESSAGE,
            evidence=[
                http_evidence(
                    url="http://fhir.example.test/Patient/missing",
                    status=200,
                    body=HOSTILE_BODY,
                    headers={"content-type": "text/html", '"><img src=x onerror=alert(2)>': "<svg onload=x>"},
                )
            ],
        ),
        make_check(
            "fhir-rest.search.by-identifier",
            Status.ERROR,
            message="could not connect to http://fhir.example.test/Patient: connection refused",
            evidence=[http_evidence(status=None, error="connection refused")],
        ),
        make_check("fhir-rest.search.count", Status.SKIP, message="server does not claim _count"),
        make_check(
            "fhir-rest.search.big",
            Status.FAIL,
            required=False,
            message="optional thing broken",
            evidence=[http_evidence(body='{"resourceType": "Bundle", "entry": [', truncated=True)],
            metrics={"latency_ms": {"p50": 1.0, "p95": float("nan"), "p99": 3.0, "max": 4.0}},
        ),
        make_check(
            "gs1.scan.serial",
            Status.PASS,
            evidence=[Evidence(kind="gs1-scan", summary="scanned ]C1 string", data={"input": "]C1\x1d01"})],
        ),
    ]
    return RunResult(run=info, results=results)
