"""Hostile documents, token endpoints and servers end in clear verdicts within bounds, never a traceback.

Each scenario is an httpx MockTransport (the in-memory twin) behind the real suites and runner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.checks import Links
from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import parse

DOC: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/things": {"get": {
    "security": [{"b": []}], "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"description": "no"}}}}},
    "components": {"securitySchemes": {"b": {"type": "http", "scheme": "bearer"}}}}
Handler = Callable[[httpx.Request], httpx.Response]


def _doc(body: bytes) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/openapi.json":
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})
        return httpx.Response(200, json={"ok": True})
    return handle


def _raise(exc: type[Exception], path: str, html_token: bool = False) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(path):
            raise exc("hostile", request=request)  # type: ignore[call-arg]
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json=DOC)
        if request.url.path == "/token":
            if html_token:
                return httpx.Response(200, html="<html>login page</html>")
            return httpx.Response(200, json={"access_token": "tok-abcdef-123456", "token_type": "Bearer",
                                             "expires_in": 60})
        return httpx.Response(401, json={"error": "no"})
    return handle


SELF_REF = json.dumps({**DOC, "components": {**DOC["components"], "schemas": {"A": {"$ref": "#/components/schemas/A"}}},
                       "paths": {"/a": {"get": {"security": [], "responses": {"200": {"description": "x", "content": {
                           "application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}}}).encode()
SCENARIOS: dict[str, tuple[Handler, str, str]] = {
    "invalid document": (_doc(b"{not json: [}"), "openapi.document.reachable", "neither JSON nor YAML"),
    "huge document": (_doc(b'{"openapi": "3.0.3", "x": "' + b"a" * 300_000 + b'"}'), "openapi.document.reachable",
                      "larger than"),
    "self-referencing document": (_doc(SELF_REF), "openapi.document.valid", "loop"),
    "unreachable document": (_raise(httpx.ConnectError, "/openapi.json"), "openapi.document.reachable",
                             "could not be fetched"),
    "resets on every case": (_raise(httpx.ReadError, "/things"), "openapi.cases.server-errors", "reset"),
    "token endpoint hangs": (_raise(httpx.ReadTimeout, "/token"), "security.token.client-secret", "sent no response"),
    "token endpoint returns HTML": (_raise(httpx.ReadError, "/nothing", html_token=True),
                                    "security.token.client-secret", "not a JSON token response"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_hostile_input_gives_a_clear_verdict(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    handler, check_id, words = SCENARIOS[name]
    monkeypatch.setenv("HOSTILE_SECRET", "hostile-client-secret-1234")
    target = parse({"endpoints": {"api": "http://api.test", "openapi": "http://api.test/openapi.json"},
                    "api": {"max_document_bytes": 100_000, "time_budget": 60, "max_cases": 5},
                    "oauth": {"token_endpoint": "http://api.test/token", "client_id": "c",
                              "client_secret_env": "HOSTILE_SECRET"}}, "hostile.toml")
    registry = load_suites()
    runner = Runner(registry, concurrency=4, check_timeout=20,
                    links=Links(http_transport=httpx.MockTransport(handler)))
    result = await runner.run(build_plan(registry, ["openapi", "security"], None), target,
                              RunInfo(id="t", started="", target=target.to_dict(), harness_version="test"))
    by_id = {r.id: r for r in result.results}
    # A document the harness could not fetch or read past its own limit was not judged (the check
    # contract, docs/check-contract.md): an error saying so, never a fail of the API.
    expected = Status.ERROR if name in ("huge document", "unreachable document") else Status.FAIL
    assert by_id[check_id].status is expected, (by_id[check_id].status, by_id[check_id].message)
    assert words in by_id[check_id].message
    for r in result.results:  # outcomes, not elapsed time: a hang shows as a check cut short by the runner
        assert "Traceback" not in r.message and "did not finish within" not in r.message
