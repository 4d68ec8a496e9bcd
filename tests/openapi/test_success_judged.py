"""Success responses get judged: positive cases come from the document's own ``example``/``examples``, and a
run that met no success response, or an empty schema ``{}``, says it judged nothing (never a pass).

The API is an httpx MockTransport (the in-memory twin) that answers 200 only for the item the document's
example names, and 404 for anything else, as a real API does for random ids.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from conformance.checks import Links
from conformance.model import CheckResult, RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import parse

ITEM = "item-42"


def document(example: bool = True, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    if example:
        param["example"] = ITEM
    body = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}} if schema is None \
        else schema
    return {"openapi": "3.0.3", "info": {"title": "items", "version": "1"}, "paths": {"/items/{id}": {"get": {
        "security": [], "parameters": [param],
        "responses": {"200": {"description": "the item", "content": {"application/json": {"schema": body}}},
                      "404": {"description": "no such item", "content": {"application/json": {
                          "schema": {"type": "object"}}}}}}}}}


def api(doc: dict[str, Any], content_type: str = "application/json") -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json=copy.deepcopy(doc))
        if request.url.path == f"/items/{ITEM}":
            return httpx.Response(200, content=b'{"id": "item-42"}', headers={"content-type": content_type})
        return httpx.Response(404, json={"error": "no such item"})
    return httpx.MockTransport(handle)


async def cases(transport: httpx.MockTransport) -> dict[str, CheckResult]:
    target = parse({"endpoints": {"api": "http://api.test", "openapi": "http://api.test/openapi.json"},
                    "api": {"max_cases": 5, "time_budget": 60}}, "items.toml")
    registry = load_suites()
    runner = Runner(registry, concurrency=2, check_timeout=60, links=Links(http_transport=transport))
    result = await runner.run(build_plan(registry, ["openapi"], ["openapi.cases.*"]), target,
                              RunInfo(id="t", started="", target=target.to_dict(), harness_version="test"))
    return {r.id: r for r in result.results}


async def test_the_documents_example_gets_a_success_response_judged() -> None:
    got = await cases(api(document()))
    content = got["openapi.cases.content-types"]
    assert content.status is Status.PASS, content.message
    assert content.metrics["example_cases"] >= 1 and content.metrics["success_responses"] >= 1
    shown = [e.data for e in content.evidence if e.kind == "http"]
    assert any(d.get("response", {}).get("status") == 200 for d in shown), "the success exchange is the evidence"
    assert got["openapi.cases.response-schema"].status is Status.PASS


async def test_a_wrong_content_type_on_the_success_response_fails() -> None:
    got = await cases(api(document(), content_type="text/plain"))
    content = got["openapi.cases.content-types"]
    assert content.status is Status.FAIL, content.message
    assert "GET /items/{id}" in content.message


async def test_no_example_and_only_404s_is_not_judged() -> None:
    got = await cases(api(document(example=False)))
    for check in ("openapi.cases.content-types", "openapi.cases.response-schema"):
        assert got[check].status is Status.SKIP, got[check].message
        assert "not judged" in got[check].message and "none from examples" in got[check].message
        assert "404" in got[check].message
    assert got["openapi.cases.status-codes"].status is Status.PASS  # 404 is documented: that much was judged


async def test_an_empty_schema_judges_nothing() -> None:
    got = await cases(api(document(schema={})))
    schema = got["openapi.cases.response-schema"]
    assert schema.status is Status.SKIP, schema.message
    assert "empty schema {}" in schema.message and "nothing was judged" in schema.message
    assert got["openapi.cases.content-types"].status is Status.PASS
