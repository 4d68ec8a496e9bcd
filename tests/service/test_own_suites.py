"""The service passes the project's own openapi and security suites (issue 22), judged through its own
example target file (examples/targets/service.toml) with a read-only token, over the ASGI app itself."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from conformance.checks import Links
from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import parse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "targets" / "service.toml"


async def test_the_service_passes_its_own_openapi_and_security_suites(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for key, url in data["endpoints"].items():
        data["endpoints"][key] = url.replace("http://127.0.0.1:8000", "http://testserver")
    monkeypatch.setenv(data["auth"]["token_env"], tokens["nat"])
    target = parse(data, str(EXAMPLE))
    registry = load_suites()
    runner = Runner(registry, concurrency=4, check_timeout=120,
                    links=Links(http_transport=httpx.ASGITransport(app=app)))
    result = await runner.run(build_plan(registry, ["openapi", "security"], []), target,
                              RunInfo(id="run-own", started="", target=target.to_dict(), harness_version="test"))
    bad = {r.id: (r.status.value, r.message) for r in result.results if r.status in (Status.FAIL, Status.ERROR)}
    assert bad == {}
    passed = {r.id for r in result.results if r.status is Status.PASS}
    # judged, not skipped: the document, every operation's cases with success responses, access control
    assert {"openapi.cases.server-errors", "openapi.cases.response-schema", "openapi.cases.content-types"} <= passed
    assert any(i.startswith("security.") for i in passed), passed
