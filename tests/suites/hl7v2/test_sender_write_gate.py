"""hl7v2-sender on a target not marked sandbox: the trigger (a write: it makes the target act) is
never called, and without a trigger the suite still listens for what the target sends on its own."""

from __future__ import annotations

import asyncio

import httpx

from conformance.checks import Links
from conformance.model import RunInfo, RunResult, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.hl7v2 import send_messages
from conformance.sandbox.hl7v2_faults import TYPES
from conformance.targets import Hl7v2Settings, Target
from conformance.transports.mllp import MllpClient, MllpConnectError
from tests.servers import free_port

ARRIVES = "hl7v2-sender.delivery.arrives"


async def run(target: Target, transport: httpx.AsyncBaseTransport | None = None) -> RunResult:
    registry = load_suites()
    info = RunInfo(id="gate", started="", target=target.to_dict(), harness_version="test")
    runner = Runner(registry, concurrency=2, check_timeout=20, links=Links(http_transport=transport))
    return await runner.run(build_plan(registry, None, [ARRIVES]), target, info)


def test_the_trigger_is_not_called_on_a_production_target() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url}")
        return httpx.Response(202)

    target = Target(name="pas", source="test", endpoints={"mllp": "127.0.0.1:9"}, sandbox=False,
                    hl7v2=Hl7v2Settings(sends=["ADT^A01"], trigger="http://127.0.0.1:9/send", wait=1.0))
    (outcome,) = asyncio.run(run(target, httpx.MockTransport(handler))).results
    assert outcome.status is Status.SKIP and "not marked sandbox = true" in outcome.message
    assert "hl7v2.trigger" in outcome.message and calls == []
    target.sandbox = True  # the same target as a sandbox: the trigger is called (so the gate above can fail)
    asyncio.run(run(target, httpx.MockTransport(handler)))
    assert calls == ["POST http://127.0.0.1:9/send"]


def test_without_a_trigger_a_production_target_is_listened_to() -> None:
    port = free_port()
    target = Target(name="pas", source="test", endpoints={"mllp": "127.0.0.1:9"}, sandbox=False,
                    hl7v2=Hl7v2Settings(sends=list(TYPES), listen=f"127.0.0.1:{port}", wait=5.0))

    async def target_sends() -> int:
        for _ in range(100):  # until the suite's listener is up
            try:
                return await send_messages(parse_faults([]), lambda: _connected(port))
            except MllpConnectError:
                await asyncio.sleep(0.05)
        return 0

    async def both() -> tuple[RunResult, int]:
        return await asyncio.gather(run(target), target_sends())

    result, sent = asyncio.run(both())
    (outcome,) = result.results
    assert sent == len(TYPES)
    assert outcome.status is Status.PASS, outcome.message


async def _connected(port: int) -> MllpClient:
    client = MllpClient("127.0.0.1", port)
    await client._connect()  # fail here while the suite's listener is not up yet
    return client
