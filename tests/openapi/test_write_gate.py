"""Which generated cases the openapi suite may send: on a target not marked sandbox, reads only."""

from __future__ import annotations

import asyncio

import pytest

from conformance.targets import Target
from suites.openapi.context import OpenApiContext


def context(sandbox: bool, safe: list[str]) -> OpenApiContext:
    target = Target(name="t", source="test", endpoints={"api": "http://127.0.0.1:9/api"}, sandbox=sandbox)
    target.api.safe_operations = safe
    return OpenApiContext(target, None)


@pytest.mark.parametrize("safe", [[], ["POST /appointments/_search", "PUT /appointments/{id}", "GET /appointments"]])
def test_a_production_target_gets_no_writing_operation_even_one_marked_safe(safe: list[str]) -> None:
    ctx = context(False, safe)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        why = ctx.allowed(method, "/appointments/_search" if method == "POST" else "/appointments/{id}")
        assert why and "not marked sandbox = true" in why and method in why
    assert ctx.allowed("GET", "/appointments") is None
    assert ctx.http.read_only and ctx.anonymous.read_only
    asyncio.run(ctx.aclose())


def test_safe_operations_narrow_the_reads_and_a_sandbox_gets_everything() -> None:
    ctx = context(False, ["GET /appointments"])
    assert ctx.allowed("GET", "/appointments") is None
    assert "api.safe_operations" in str(ctx.allowed("GET", "/slots"))
    sandbox = context(True, ["GET /appointments"])
    assert all(sandbox.allowed(m, "/slots") is None for m in ("GET", "POST", "DELETE"))
    assert not sandbox.http.read_only
    asyncio.run(ctx.aclose())
    asyncio.run(sandbox.aclose())
