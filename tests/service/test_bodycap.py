"""Every request body is capped before a route reads it (conformance/service/bodycap.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from conformance.evidence.store import EvidenceStore
from conformance.service.auth import create_token
from conformance.service.bodycap import MAX_REQUEST_BODY, BodyCap


class Pasted(BaseModel):
    text: str


async def _echo(body: Pasted) -> dict[str, int]:
    return {"length": len(body.text)}


async def test_a_declared_body_over_the_cap_is_refused_before_the_route(app: FastAPI, store: EvidenceStore) -> None:
    _, writer = create_token(store, "admin", ("runs:read", "runs:write"))
    huge = b'{"target": "' + b"x" * MAX_REQUEST_BODY + b'"}'
    small = b'{"target": "' + b"x" * 1000 + b'"}'
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        headers = {"authorization": f"Bearer {writer}", "content-type": "application/json"}
        refused = await http.post("/api/v1/runs", content=huge, headers=headers)
        judged = await http.post("/api/v1/runs", content=small, headers=headers)
    assert refused.status_code == 413 and "8,000,000 bytes" in refused.json()["detail"]
    assert refused.headers["x-content-type-options"] == "nosniff"  # the service's headers on the refusal too
    assert judged.status_code not in (413, 500)  # the same route judges a body under the cap itself


async def test_a_streamed_body_is_cut_off_at_the_cap_and_the_route_never_sees_more() -> None:
    seen: list[int] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        total = 0
        while True:
            message = await receive()
            total += len(message.get("body", b""))
            seen.append(total)
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(total).encode()})

    async def chunks(n: int) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield b"y" * 1000

    capped = BodyCap(route, limit=10_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=capped), base_url="http://testserver") as http:
        under = await http.post("/", content=chunks(10))  # no Content-Length: chunked, counted as it streams
        assert under.status_code == 200 and under.text == "10000"
        seen.clear()
        over = await http.post("/", content=chunks(50))
    assert over.status_code == 413
    assert max(seen) <= 10_000  # the route was never handed a byte past the cap


async def test_a_streamed_body_to_a_pydantic_route_gets_413_not_fastapis_400() -> None:
    """FastAPI turns any error while reading a body into its own 400: the cap answers 413 itself first."""
    api = FastAPI()
    api.post("/echo")(_echo)
    async def json_chunks(n: int) -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(n):
            yield b"z" * 1000
        yield b'"}'

    api.add_middleware(BodyCap, limit=10_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as http:
        under = await http.post("/echo", content=json_chunks(5), headers={"content-type": "application/json"})
        over = await http.post("/echo", content=json_chunks(50), headers={"content-type": "application/json"})
    assert under.status_code == 200 and under.json() == {"length": 5000}
    assert over.status_code == 413 and "10,000 bytes" in over.json()["detail"]
