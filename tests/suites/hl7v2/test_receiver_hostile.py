"""The hl7v2-receiver suite against hostile or broken MLLP peers: a clear fail (the receiver did not
acknowledge properly) or a clear error (nothing listens), within the time limit, never a hang or a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from conformance.model import RunInfo, RunResult, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import Hl7v2Settings, Target

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
CHECK = "hl7v2-receiver.ack.control-id"


async def run(port: int) -> RunResult:
    target = Target(name="hostile", source="test", endpoints={"mllp": f"127.0.0.1:{port}"}, sandbox=True,
                    hl7v2=Hl7v2Settings(ack_within=0.2))
    registry = load_suites()
    info = RunInfo(id="hostile", started="", target=target.to_dict(), harness_version="test")
    return await Runner(registry, concurrency=2, check_timeout=20).run(build_plan(registry, None, [CHECK]),
                                                                       target, info)


def answering(reply: bytes, close: bool = True) -> Behaviour:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(reply)
        await writer.drain()
        if close:
            writer.close()
        else:
            await asyncio.sleep(10)
    return serve


@pytest.mark.parametrize(("behaviour", "words"), [
    (answering(b"garbage that is no frame"), "not an MLLP frame"),
    (answering(b"\x0bMSH|^~\\&|TRUNC"), "truncated frame"),
    (answering(b"\x0bMSH|^~\\&|NOEND", close=False), "no end block"),
    (answering(b"", close=False), "sent nothing within"),
    (answering(b"\x0b\x00\x01\x02binary\xff\x1c\x0d"), "not an acknowledgement"),
    (answering(b"\x0bMSH|^~\\&|R|X|S|Y|20260101||ADT^A01|1|P|2.5.1\x1c\x0d"), "no MSA segment"),
])
async def test_hostile_receiver_fails_the_check_with_a_clear_reason(behaviour: Behaviour, words: str) -> None:
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await asyncio.wait_for(run(port), 15)
    finally:
        server.close()
    (outcome,) = result.results
    assert outcome.status is Status.FAIL, (outcome.status, outcome.message)
    assert words in outcome.message and "Traceback" not in outcome.message
    assert outcome.evidence, "the failed exchange is kept as evidence"


async def test_a_reply_past_the_harness_limit_is_not_judged_and_names_the_setting() -> None:
    server = await asyncio.start_server(answering(b"\x0b" + b"MSH|" + b"A" * 3_000_000 + b"\x1c\x0d"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await asyncio.wait_for(run(port), 15)
    finally:
        server.close()
    (outcome,) = result.results
    assert outcome.status is Status.ERROR, (outcome.status, outcome.message)
    assert "larger than the 1,000,000-byte limit" in outcome.message
    assert "[hl7v2] max_message_bytes" in outcome.message and "Traceback" not in outcome.message


async def test_nothing_listening_is_a_harness_error_not_a_verdict() -> None:
    server = await asyncio.start_server(answering(b""), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    (outcome,) = (await run(port)).results
    assert outcome.status is Status.ERROR and "could not connect" in outcome.message


async def test_a_target_without_mllp_skips_the_hl7v2_suites() -> None:
    target = Target(name="fhir only", source="test", endpoints={"fhir": "http://127.0.0.1:1/fhir"})
    registry = load_suites()
    info = RunInfo(id="none", started="", target=target.to_dict(), harness_version="test")
    result = await Runner(registry).run(build_plan(registry, ["hl7v2-receiver", "hl7v2-sender"]), target, info)
    assert {r.status for r in result.results} == {Status.SKIP}
    assert all("endpoints.mllp" in r.message or "hl7v2.sends" in r.message for r in result.results), [
        r.message for r in result.results]


def ack_for(data: bytes, own: bytes = b"A1") -> bytes:
    control = data.split(b"\r")[0].split(b"|")[9]
    return (b"\x0bMSH|^~\\&|SUT|SUT|CONFORMANCE|XCF01|20260101||ACK^A01^ACK|" + own + b"|P|2.5.1\rMSA|AA|"
            + control + b"\x1c\x0d")


async def flooding(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers the message, then sends ACKs nobody asked for without ever falling quiet."""
    data = await reader.readuntil(b"\x1c\x0d")
    for n in range(10_000):  # bounded; the suite stops listening long before
        writer.write(ack_for(data, b"F%d" % n))
        await writer.drain()
        await asyncio.sleep(0.01)


async def one_frame_per_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the socket once, answers the first frame in it, drops the rest and waits (a naive receiver)."""
    data = await reader.read(65536)
    writer.write(ack_for(data.split(b"\x1c")[0].lstrip(b"\x0b")))
    await writer.drain()
    await asyncio.sleep(5)


@pytest.mark.parametrize(("behaviour", "check", "words"), [
    (flooding, "hl7v2-receiver.ack.single-reply", "more frame(s) came unasked"),
    (one_frame_per_read, "hl7v2-receiver.connection.pipelined", "dropped a message it was sent"),
])
async def test_a_receiver_that_says_too_much_or_too_little_fails(behaviour: Behaviour, check: str,
                                                                  words: str) -> None:
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    target = Target(name="hostile", source="test", endpoints={"mllp": f"127.0.0.1:{port}"}, sandbox=True,
                    hl7v2=Hl7v2Settings(ack_within=0.2))
    registry = load_suites()
    info = RunInfo(id="hostile", started="", target=target.to_dict(), harness_version="test")
    try:
        runner = Runner(registry, concurrency=1, check_timeout=20)
        result = await asyncio.wait_for(runner.run(build_plan(registry, None, [check]), target, info), 15)
    finally:
        server.close()
    (outcome,) = result.results
    assert outcome.status is Status.FAIL and words in outcome.message, (outcome.status, outcome.message)


async def late_second_ack(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A commit ACK at once, then an application ACK 3 s later: inside the 5 s the target agreed an ACK
    may take, so a reader that stops listening sooner calls a two-ACK receiver a one-ACK one."""
    data = await reader.readuntil(b"\x1c\x0d")
    writer.write(ack_for(data, b"C1"))
    await writer.drain()
    await asyncio.sleep(3.0)
    writer.write(ack_for(data, b"C2"))
    await writer.drain()
    await asyncio.sleep(8)


async def test_a_second_ack_within_the_agreed_ack_time_is_heard() -> None:
    server = await asyncio.start_server(late_second_ack, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    target = Target(name="late", source="test", endpoints={"mllp": f"127.0.0.1:{port}"}, sandbox=True,
                    hl7v2=Hl7v2Settings(ack_within=5.0))
    registry = load_suites()
    info = RunInfo(id="late", started="", target=target.to_dict(), harness_version="test")
    try:
        runner = Runner(registry, concurrency=1, check_timeout=40)
        result = await asyncio.wait_for(
            runner.run(build_plan(registry, None, ["hl7v2-receiver.ack.single-reply"]), target, info), 45)
    finally:
        server.close()
    (outcome,) = result.results
    assert outcome.status is Status.FAIL and "more frame(s) came unasked" in outcome.message, (
        outcome.status, outcome.message)
