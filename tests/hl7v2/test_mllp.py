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


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        (b"\x0bMSH|^~\\&|PAS\x1cX", "not 0x0D: a malformed frame"),
        (b"\x0bMSH|^~\\&|PAS\r\x0bMSH|^~\\&|PAS\x1c\x0d", "start block 0x0B inside a frame"),
        (b"\x0bMSH|^~\\&|PAS", "started a frame but sent no end block"),
    ],
)
async def test_missing_or_broken_end_block_is_named(behaviour: bytes, words: str) -> None:
    server, port = await raw_peer(behaviour, close=False)
    client = MllpClient("127.0.0.1", port, MllpSettings(read_timeout=0.3))
    try:
        with collecting() as evidence, pytest.raises(MllpError, match=words):
            await client.send(MSG)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert evidence[-1].data["direction"] == "error" and words in evidence[-1].data["error"]


async def test_a_20_mb_message_is_refused_without_buffering_it_all() -> None:
    received: list[bytes] = []

    async def keep(message: bytes) -> bytes:
        received.append(message)
        return ack_for(message)

    listener = await MllpListener(keep, settings=MllpSettings(read_timeout=5, max_message_bytes=1_000_000)).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"\x0b" + MSG + b"\r" + b"OBX|1|ED|||" + b"A" * 20_000_000 + b"\x1c\x0d")
        try:
            await asyncio.wait_for(writer.drain(), 5)
        except (ConnectionError, TimeoutError):
            pass  # the listener hung up on us mid-send, as it should
        try:
            assert await asyncio.wait_for(reader.read(), 5) == b""
        except ConnectionResetError:
            pass  # closed with our unread data in its buffer: a reset, equally a refusal
        writer.close()
    finally:
        await listener.aclose()
    assert received == []


async def test_frames_sent_back_to_back_are_read_one_by_one() -> None:
    listener = await MllpListener(acker).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(frame(MSG) + frame(MSG.replace(b"MSG0001", b"MSG0002")))
        await writer.drain()
        replies = [await asyncio.wait_for(reader.readuntil(b"\x1c\x0d"), 2) for _ in range(2)]
        writer.close()
    finally:
        await listener.aclose()
    assert [r.split(b"\r")[1].rstrip(b"\x1c\r") for r in replies] == [b"MSA|AA|MSG0001", b"MSA|AA|MSG0002"]


async def test_a_failing_handler_ends_the_connection_not_the_listener() -> None:
    async def broken(message: bytes) -> bytes:
        raise RuntimeError("bug in the handler")

    listener = await MllpListener(broken, settings=MllpSettings(read_timeout=1)).start()
    try:
        for _ in range(2):
            client = MllpClient("127.0.0.1", listener.port, MllpSettings(read_timeout=1))
            with pytest.raises(MllpError, match="closed the connection without a reply"):
                await client.send(MSG)
            await client.aclose()
    finally:
        await listener.aclose()
