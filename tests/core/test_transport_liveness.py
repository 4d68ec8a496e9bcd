"""Transports tell the runner whether the target answered, and the HTTP exchange deadline cuts a dribbler."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from conformance import liveness
from conformance.evidence.capture import collecting
from conformance.targets import HttpSettings
from conformance.transports.http import HttpTransport, TransportError
from conformance.transports.mllp import MllpClient, MllpConnectError


class Dribble(httpx.AsyncByteStream):
    """One byte at a time, never long enough apart to trip a read timeout (bounded, in case)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(2000):
            await asyncio.sleep(0.02)
            yield b"x"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def watched(coro_fn: Any) -> tuple[Any, liveness.Watch, list[str]]:
    """Run ``coro_fn()`` under a watch; (outcome, watch, summaries of the evidence recorded)."""
    watch = liveness.Watch(100, lambda reason: None)

    async def go() -> Any:
        with liveness.watching(watch):
            try:
                return await coro_fn()
            except (TransportError, MllpConnectError) as exc:
                return exc

    with collecting() as evidence:
        outcome = asyncio.run(go())
    return outcome, watch, [e.summary for e in evidence]


def http(settings: HttpSettings | None = None, handler: Any = None) -> HttpTransport:
    transport = httpx.MockTransport(handler) if handler is not None else None
    return HttpTransport(settings=settings, transport=transport)


def test_dribbling_body_is_cut_at_the_exchange_deadline_in_its_own_words() -> None:
    client = http(HttpSettings(read_timeout=5.0, exchange_timeout=0.3),
                  lambda request: httpx.Response(200, stream=Dribble()))

    async def go() -> Any:
        try:
            return await client.request("GET", "http://fhir.test/Patient")
        finally:
            await client.aclose()

    outcome, watch, summaries = watched(go)
    assert isinstance(outcome, TransportError)
    assert "did not complete its response within the 0.3 s exchange deadline" in str(outcome)
    assert "exchange_timeout" in str(outcome)
    assert any("no response" in s for s in summaries)  # the exchange is kept as evidence, with the error
    assert watch.failures == 0  # a slow server is alive: not a sign the target died


def test_refused_connection_reports_unreachable_and_an_answer_resets() -> None:
    port = closed_port()
    failing = http(HttpSettings(connect_timeout=2.0))
    answering = http(handler=lambda request: httpx.Response(500, text="boom"))
    counts: list[int] = []

    async def go() -> Any:
        try:
            for _ in range(2):
                try:
                    await failing.request("GET", f"http://127.0.0.1:{port}/metadata")
                except TransportError:
                    pass
            counts.append(watch_ref[0].failures)
            response = await answering.request("GET", "http://fhir.test/metadata")  # a 500 is an answer
            counts.append(watch_ref[0].failures)
            return response
        finally:
            await failing.aclose()
            await answering.aclose()

    watch_ref: list[liveness.Watch] = []
    suspected: list[str] = []
    watch = liveness.Watch(100, suspected.append)
    watch_ref.append(watch)

    async def under_watch() -> Any:
        with liveness.watching(watch):
            return await go()

    response = asyncio.run(under_watch())
    assert response.status_code == 500
    assert counts == [2, 0]
    assert "could not connect" in watch.last


def test_mllp_refused_connection_reports_unreachable() -> None:
    port = closed_port()

    async def go() -> Any:
        client = MllpClient("127.0.0.1", port)
        try:
            return await client.send("MSH|^~\\&|A|B|C|D|20260101||QRY^A19|1|P|2.5.1")
        finally:
            await client.aclose()

    outcome, watch, _ = watched(go)
    assert isinstance(outcome, MllpConnectError)
    assert watch.failures == 1 and f"127.0.0.1:{port}" in watch.last


@pytest.mark.parametrize("value", [0, -1, "10", float("nan"), True])
def test_run_deadline_in_a_target_file_must_be_a_positive_number(value: Any, tmp_path: Any) -> None:
    from conformance.targets import TargetError, parse

    with pytest.raises(TargetError, match=r"run\.deadline"):
        parse({"endpoints": {"fhir": "http://fhir.test"}, "run": {"deadline": value}}, "t.toml")


def test_run_deadline_and_exchange_timeout_in_a_target_file() -> None:
    from conformance.targets import parse

    target = parse({"endpoints": {"fhir": "http://fhir.test"}, "run": {"deadline": 90},
                    "http": {"exchange_timeout": 2}}, "t.toml")
    assert target.deadline == 90.0 and target.http.exchange_timeout == 2.0
