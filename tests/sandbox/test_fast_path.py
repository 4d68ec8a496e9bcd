"""The sandbox's cuts for CPU (issue 23) answer as the full Starlette stack and the plain store did.

bench/sandbox_answers.py compares whole answers of two trees over the harness's own requests; these pin
the edges that replay does not reach: a failing endpoint, a method no route takes, other Host headers,
deleted resources in searches, and the JSON copy.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.sandbox.fhir.app import Sandbox
from conformance.sandbox.fhir.responses import fhir_base
from conformance.sandbox.fhir.store import Store, json_copy
from tests.sandbox.conftest import patient


def _client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox.test/fhir/")


async def test_a_failing_endpoint_answers_500_as_starlette_does(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Sandbox, request: Request) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Sandbox, "dispatch", broken)
    fast = create_app(parse_faults([]))
    plain = Starlette(routes=fast.routes)  # the same routes through Starlette's own stack
    answers = []
    for app in (fast, plain):
        async with _client(app) as client:
            answer = await client.get("Patient/1")
            answers.append((answer.status_code, answer.headers.get("content-type"), answer.text))
    assert answers[0] == answers[1] == (500, "text/plain; charset=utf-8", "Internal Server Error")


async def test_what_the_fhir_routes_do_not_take_still_goes_through_starlette() -> None:
    fast = create_app(parse_faults([]))
    plain = Starlette(routes=fast.routes)
    for method, path in (("TRACE", "Patient"), ("GET", "/fhir-b/metadata"), ("GET", "/nowhere")):
        answers = []
        for app in (fast, plain):
            async with _client(app) as client:
                answer = await client.request(method, path)
                answers.append((answer.status_code, answer.headers.get("allow"), answer.content[:200]))
        assert answers[0] == answers[1], (method, path)


@pytest.mark.parametrize("host", ["sandbox.test", "other.example:8443", "[::1]:9000"])
async def test_the_remembered_base_is_the_request_s_own(host: str) -> None:
    scope = {"type": "http", "scheme": "http", "server": ("127.0.0.1", 8080), "path": "/fhir/Patient",
             "root_path": "", "query_string": b"", "headers": [(b"host", host.encode())]}
    request = Request(scope)
    assert fhir_base(request) == str(request.base_url).rstrip("/") + "/fhir" == f"http://{host}/fhir"
    assert fhir_base(Request({**scope, "headers": []})) == "http://127.0.0.1:8080/fhir"


def test_live_resources_follow_every_write_in_creation_order() -> None:
    store = Store()
    made = [store.create("Patient", patient()).resource for _ in range(12)]
    store.create("Observation", {"resourceType": "Observation", "status": "final"})
    assert [r["id"] for r in store.live("Patient")] == [str(n) for n in range(1, 13)]  # type: ignore[index]
    store.delete("Patient", "3")
    store.update("Patient", "10", {**patient(), "id": "10", "gender": "other"})
    live = store.live("Patient")
    assert [r["id"] for r in live] == ["1", "2", *[str(n) for n in range(4, 13)]]
    assert live[8]["gender"] == "other" and live[8]["meta"]["versionId"] == "2"
    live.clear()  # a caller's list is its own
    assert len(store.live("Patient")) == 11 and made[0] is store.live("Patient")[0]
    expected = sorted((h[-1].resource for (t, _), h in store.versions.items() if t == "Patient" and h[-1].resource),
                      key=lambda r: int(r["id"]))
    assert store.live("Patient") == expected
    assert Store(versions=dict(store.versions)).live("Patient") == expected  # a store made with versions in it


def test_the_json_copy_is_deep_and_equal() -> None:
    value: dict[str, Any] = {"a": [1, 2.5, {"b": None, "c": True}], "d": {"e": "ü"}, "f": []}
    copied = json_copy(value)
    assert copied == value == copy.deepcopy(value)
    copied["a"][2]["b"] = "changed"
    copied["d"]["e"] = "x"
    assert value == {"a": [1, 2.5, {"b": None, "c": True}], "d": {"e": "ü"}, "f": []}
