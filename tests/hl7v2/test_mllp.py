"""MLLP transport: framing, several messages per connection, evidence, and every way a peer misbehaves."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from conformance.evidence.capture import collecting
from conformance.transports.mllp import MllpClient, MllpError, MllpListener, MllpSettings, frame

MSG = b"MSH|^~\\&|CONF|RXX01|PAS|RXX01|20261122120000||ADT^A01|MSG0001|P|2.5.1\rPID|1||9990000018^^^NHS^NH"


def ack_for(message: bytes) -> bytes:
    control_id = message.split(b"\r")[0].split(b"|")[9]
    return b"MSH|^~\\&|PAS|RXX01|CONF|RXX01|20261122120001||ACK^A01|A" + control_id + b"|P|2.5.1\rMSA|AA|" + control_id


async def acker(message: bytes) -> bytes:
    return ack_for(message)


async def test_loopback_round_trips_several_messages_on_one_connection() -> None:
    listener = await MllpListener(acker).start()
    client = MllpClient("127.0.0.1", listener.port)
    try:
        with collecting() as evidence:
            replies = [await client.send(MSG.replace(b"MSG0001", f"MSG000{i}".encode())) for i in range(3)]
    finally:
        await client.aclose()
        await listener.aclose()
    assert [r.split(b"\r")[1] for r in replies] == [f"MSA|AA|MSG000{i}".encode() for i in range(3)]
    sent = [e for e in evidence if e.data.get("direction") == "sent"]
    assert len(sent) == 3 and sent[0].data["sha256"] == hashlib.sha256(MSG.replace(b"MSG0001", b"MSG0000")).hexdigest()
    assert "\nPID|1||9990000018" in sent[0].data["text"]


async def test_in_memory_twin_uses_the_same_framing() -> None:
    client = await MllpClient.linked(acker)
    try:
        reply = await client.send(MSG)
    finally:
        await client.aclose()
    assert reply.endswith(b"MSA|AA|MSG0001")


async def raw_peer(behaviour: bytes | None, close: bool) -> tuple[asyncio.Server, int]:
    """A misbehaving MLLP peer: answers any data with ``behaviour`` (or nothing), then maybe closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        if behaviour is not None:
            writer.write(behaviour)
            await writer.drain()
        if close:
            writer.close()
        else:
            await asyncio.sleep(5)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    ("behaviour", "close", "words"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", True, "not an MLLP frame"),
        (b"\x0bMSH|^~\\&|PAS", True, "truncated frame"),
        (b"\x0bMSH|^~\\&|PAS", False, "no complete frame within 0.3 s"),
        (None, False, "no complete frame within 0.3 s"),
        (None, True, "closed the connection without a reply"),
        (b"\x0b" + b"A" * 5000 + b"\x1c\x0d", True, "larger than the 1,000-byte limit"),
    ],
)
async def test_misbehaving_peer_gets_a_clear_error_within_the_timeout(
    behaviour: bytes | None, close: bool, words: str
) -> None:
    server, port = await raw_peer(behaviour, close)
    client = MllpClient("127.0.0.1", port, MllpSettings(read_timeout=0.3, max_message_bytes=1000))
    try:
        with pytest.raises(MllpError, match=words):
            await client.send(MSG)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_listener_drops_a_peer_that_connects_and_never_speaks() -> None:
    listener = await MllpListener(acker, settings=MllpSettings(read_timeout=0.2)).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        closed = await asyncio.wait_for(reader.read(1), 2)
        assert closed == b""
        writer.close()
    finally:
        await listener.aclose()


async def test_refused_connection_and_taken_port() -> None:
    listener = await MllpListener(acker).start()
    port = listener.port
    with pytest.raises(MllpError, match="cannot listen"):
        await MllpListener(acker, port=port).start()
    await listener.aclose()
    client = MllpClient("127.0.0.1", port)
    with pytest.raises(MllpError, match="could not connect"):
        await client.send(MSG)


def test_framing_refuses_framing_bytes_inside_a_message() -> None:
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\x0d"
    with pytest.raises(ValueError, match="0x0B or 0x1C"):
        frame(b"MSH|\x1c")
