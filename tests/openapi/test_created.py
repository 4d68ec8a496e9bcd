"""What the openapi suite's generated cases create: deleted where the document describes how, said in the
evidence where it does not, and journalled as it happens for ``conformance cleanup``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from conformance.checks import Links
from conformance.cleanup.ledger import Ledger
from conformance.fhir.tags import RUN_HEADER
from conformance.model import RunInfo
from conformance.openapi.created import created_by
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import parse
from conformance.transports.http import HttpResponse

THING = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 5}}}


def document(with_delete: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"get": {"security": [], "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the thing"}, "404": {"description": "none"}}}}
    if with_delete:
        item["delete"] = {"security": [], "parameters": item["get"]["parameters"],
                          "responses": {"204": {"description": "gone"}, "404": {"description": "none"}}}
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/things": {"post": {"security": [], "requestBody": {"required": True, "content": {
            "application/json": {"schema": THING}}}, "responses": {
            "201": {"description": "made"}, "400": {"description": "bad"}}}},
        "/things/{id}": item}}


class Things:
    """A tiny API: POST /things makes one (201 with Location), DELETE removes it if the document says so."""

    def __init__(self, with_delete: bool) -> None:
        self.with_delete = with_delete
        self.things: dict[str, str] = {}  # id -> the run header it was made with

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/openapi.json":
            return httpx.Response(200, json=document(self.with_delete))
        if path == "/things" and request.method == "POST":
            tid = f"t{len(self.things) + 1}"
            self.things[tid] = request.headers.get(RUN_HEADER, "")
            return httpx.Response(201, headers={"Location": f"/things/{tid}"})
        if path.startswith("/things/") and request.method == "DELETE" and self.with_delete:
            return httpx.Response(204 if self.things.pop(path.rsplit("/", 1)[1], None) is not None else 404)
        if path.startswith("/things/") and request.method == "GET":
            return httpx.Response(200 if path.rsplit("/", 1)[1] in self.things else 404)
        return httpx.Response(405)


async def run_openapi(api: Things, ledger: Path) -> Any:
    target = parse({"sandbox": True, "endpoints": {"api": "http://api.test", "openapi": "http://api.test/openapi.json"},
                    "api": {"time_budget": 120, "max_cases": 5}}, "things.toml")  # a budget load cannot exhaust
    registry = load_suites()
    runner = Runner(registry, concurrency=4, check_timeout=30,
                    links=Links(http_transport=httpx.MockTransport(api.handle), ledger_dir=ledger))
    return await runner.run(build_plan(registry, ["openapi"], ["openapi.cases"]), target,
                            RunInfo(id="run-x", started="", target=target.to_dict(), harness_version="test"))


async def test_what_the_cases_create_is_deleted_where_a_delete_is_described(tmp_path: Path) -> None:
    api = Things(with_delete=True)
    result = await run_openapi(api, tmp_path)
    cases = next(r for r in result.results if r.id == "openapi.cases.server-errors")
    note = next(e for e in cases.evidence if "generated cases created" in e.summary)
    assert note.kind == "derived" and note.data["left"] == 0 and note.data["created"]
    assert api.things == {}
    assert Ledger(tmp_path).pending() == {}  # the journal of a clean run is removed


async def test_what_cannot_be_deleted_is_said_and_journalled(tmp_path: Path) -> None:
    api = Things(with_delete=False)
    result = await run_openapi(api, tmp_path)
    assert api.things and set(api.things.values()) == {"run-x"}  # each creation carried the run marker
    for check in ("openapi.cases.server-errors", "openapi.cases.status-codes"):
        verdict = next(r for r in result.results if r.id == check)
        warning = next(e for e in verdict.evidence if e.kind == "warning")
        assert f"{len(api.things)} left on the target" in warning.summary
        assert "describes no DELETE for /things/{id}" in warning.summary
    journal = Ledger(tmp_path).pending()["run-x"]
    assert sorted(e["url"].rsplit("/", 1)[1] for e in journal) == sorted(api.things)
    assert not any(e["deletable"] for e in journal)


def test_a_201_that_names_nothing_is_said() -> None:
    made = created_by(document(True), "POST", "/things", "http://api.test/things",
                      _response(201, {}, b""))
    assert made is not None and not made.deletable and "named no item" in made.note
    assert created_by(document(True), "POST", "/things", "http://api.test/things", _response(200, {}, b"")) is None
    by_id = created_by(document(True), "POST", "/things", "http://api.test/things",
                       _response(201, {"content-type": "application/json"}, b'{"id": "a b"}'))
    assert by_id is not None and by_id.url == "http://api.test/things/a%20b" and by_id.deletable


def _response(status: int, headers: dict[str, str], body: bytes) -> HttpResponse:
    return HttpResponse(status, httpx.Headers(headers), body, "http://api.test/things", 1.0)
