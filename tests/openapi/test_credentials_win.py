"""The target's own credentials reach the API on every generated case (issue 15 follow-up).

Against `conformance serve` schemathesis's generated ``Authorization`` (from the document's
securitySchemes) replaced the target's ``[auth]`` token, so every case met a 401; and an empty
``Bearer `` header, which h11 refuses to send, was counted as a server error. The API here is a
Starlette app on a loopback port (real h11 on the wire) that answers 401 unless the bearer token is
the target's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.model import CheckResult, RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import parse
from conformance.transports.http import REDACTED, HttpTransport, RequestNotSent
from conformance.transports.settings import Auth, HttpSettings
from tests.servers import serve_app

TOKEN = "synthetic-token-3f9c2a7d51e8"  # synthetic, for a loopback test server
ENV = "OAPI_TEST_TOKEN"


def document(secured: bool) -> dict[str, Any]:
    """With ``secured``, security schemes schemathesis generates header values for; without, none."""
    problem = {"application/json": {"schema": {"type": "object"}}}
    security: dict[str, Any] = {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                           "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
        "security": [{"bearer": []}, {"key": []}]} if secured else {}
    return {"openapi": "3.0.3", "info": {"title": "items", "version": "1"}, **security,
            "paths": {"/items/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                                "example": "item-42"}],
                "responses": {"200": {"description": "the item", "content": problem},
                              "401": {"description": "no or a wrong token", "content": problem},
                              "404": {"description": "no such item", "content": problem}}}}}}


def app(seen: list[dict[str, str]], secured: bool = True) -> Starlette:
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document(secured))

    async def item(request: Request) -> JSONResponse:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        if request.path_params["id"] != "item-42":
            return JSONResponse({"error": "no such item"}, status_code=404)
        return JSONResponse({"id": "item-42"})

    return Starlette(routes=[Route("/openapi.json", openapi), Route("/items/{id}", item)])


async def run(base: str) -> dict[str, CheckResult]:
    target = parse({"endpoints": {"api": base, "openapi": f"{base}/openapi.json"},
                    "auth": {"type": "bearer", "token_env": ENV},
                    "api": {"max_cases": 5, "time_budget": 60}}, "items.toml")
    registry = load_suites()
    runner = Runner(registry, concurrency=2, check_timeout=90)
    result = await runner.run(build_plan(registry, ["openapi"], ["openapi.cases.*"]), target,
                              RunInfo(id="t", started="", target=target.to_dict(), harness_version="test"))
    return {r.id: r for r in result.results}


async def test_the_targets_token_reaches_the_api_on_every_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, TOKEN)
    seen: list[dict[str, str]] = []
    with serve_app(app(seen)) as base:
        got = await run(base)
    assert seen, "no generated case reached the API"
    wrong = [h.get("authorization") for h in seen if h.get("authorization") != f"Bearer {TOKEN}"]
    assert not wrong, f"generated Authorization values replaced the target's token: {wrong[:3]}"
    assert not any("x-api-key" in h for h in seen), "a generated API key (a security-scheme header) was sent"
    errors = got["openapi.cases.server-errors"]
    assert errors.status is Status.PASS, errors.message
    assert errors.metrics["success_responses"] >= 1 and errors.metrics["unsent_cases"] == 0
    kept = json.dumps([r.to_dict() for r in got.values()], default=str)
    assert TOKEN not in kept, "the target's token reached the report"


async def test_a_request_the_harness_cannot_send_is_skipped_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # The token was never exported: `Bearer ` is an invalid header value for h11, and with no security
    # scheme in the document there is no generated Authorization to hide that.
    monkeypatch.setenv(ENV, "")
    seen: list[dict[str, str]] = []
    with serve_app(app(seen, secured=False)) as base:
        got = await run(base)
    assert not seen, "h11 was expected to refuse the empty bearer header"
    errors = got["openapi.cases.server-errors"]
    assert errors.status is Status.SKIP, f"{errors.status}: {errors.message}"
    assert "could not be sent" in errors.message and "no generated case reached the API" in errors.message
    notes = [e.data for e in errors.evidence if e.kind == "derived" and "unsent" in e.data]
    assert notes and notes[0]["unsent"][0]["operation"] == "GET /items/{id}"


async def test_the_transport_says_what_it_could_not_send_and_keeps_the_token_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Header values httpx cannot encode or h11 refuses end in RequestNotSent (never a traceback), and the
    message h11 quotes the refused value in is scrubbed."""
    monkeypatch.setenv(ENV, TOKEN)
    seen: list[dict[str, str]] = []
    with serve_app(app(seen)) as base:
        http = HttpTransport(HttpSettings(), Auth(type="bearer", token_env=ENV), origin=base)
        try:
            with pytest.raises(RequestNotSent, match="could not be built") as built:
                await http.request("GET", f"{base}/items/item-42", headers={"X-Note": "caf\u00e9"})
            with pytest.raises(RequestNotSent, match="could not be sent") as refused:
                await http.request("GET", f"{base}/items/item-42", headers={"X-Echo": f"{TOKEN}\n"})
            answered = await http.request("GET", f"{base}/items/item-42")
        finally:
            await http.aclose()
    assert len(seen) == 1 and answered.status_code == 200, "only the sendable request reached the API"
    assert TOKEN not in str(refused.value) and REDACTED in str(refused.value), refused.value
    assert "X-Note" in str(built.value) or "ascii" in str(built.value)
