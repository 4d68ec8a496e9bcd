"""MLLP (HL7 v2's Minimal Lower Layer Protocol) on asyncio: framing, limits, and evidence of every frame.

A frame is 0x0B, the message, 0x1C 0x0D. Written by hand because MLLP is three bytes of framing and
the maintained Python options (hl7's ``mllp`` client, hl7apy's server) neither bound message size nor
report garbage, truncation and silence as distinct verdicts, which is what a conformance test needs.
Every frame sent or received is recorded as evidence: direction, size, SHA-256 of the raw bytes and
the text with segment separators shown as line breaks.

The in-memory twin is :meth:`MllpClient.linked`: the same client and the same connection loop as the
listener, joined by a socket pair instead of a network port.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from conformance.checks import ExchangeBroken
from conformance.evidence.capture import record
from conformance.model import Evidence

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"
Handler = Callable[[bytes], Awaitable[bytes | None]]


class MllpError(ExchangeBroken):
    """A frame that could not be read or sent; the message says exactly what the peer did."""


@dataclass
class MllpSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_message_bytes: int = 1_000_000
    evidence_text_bytes: int = 64_000

    @property
    def stream_limit(self) -> int:
        """asyncio's buffer limit: a frame longer than this is refused instead of buffered."""
        return self.max_message_bytes + 2


def frame(message: bytes) -> bytes:
    if SB in message or EB in message:
        raise ValueError("an HL7 message cannot contain the MLLP framing bytes 0x0B or 0x1C")
    return SB + message + EB + CR


async def read_frame(reader: asyncio.StreamReader, settings: MllpSettings, peer: str) -> bytes | None:
    """The next message from ``reader``; None when the peer closed cleanly between frames."""
    limit = settings.max_message_bytes
    try:
        async with asyncio.timeout(settings.read_timeout):
            first = await reader.read(1)
            if not first:
                return None
            if first != SB:
                junk = first + await _drain(reader, 256)
                raise MllpError(f"{peer} sent {len(junk)}+ bytes that are not an MLLP frame "
                                f"(expected start block 0x0B, got {junk[:16]!r})")
            try:
                data = await reader.readuntil(EB + CR)
            except asyncio.IncompleteReadError as exc:
                raise MllpError(f"{peer} closed the connection mid-frame after {len(exc.partial)} bytes "
                                "(no end block 0x1C 0x0D): a truncated frame") from None
            except asyncio.LimitOverrunError:
                raise MllpError(f"{peer} sent a message larger than the {limit:,}-byte limit") from None
            message = data[:-2]
    except TimeoutError:
        raise MllpError(f"{peer} sent no complete frame within {settings.read_timeout:g} s") from None
    except ConnectionError as exc:
        raise MllpError(f"{peer} reset the connection: {exc}") from None
    if len(message) > limit:
        raise MllpError(f"{peer} sent a message larger than the {limit:,}-byte limit")
    return message


async def _drain(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(n), 0.05)
    except TimeoutError:
        return b""


def record_frame(direction: str, peer: str, message: bytes, started: float, keep: int) -> None:
    text = message[:keep].decode("latin-1").replace("\r", "\n")
    data = {
        "direction": direction,
        "peer": peer,
        "size": len(message),
        "sha256": hashlib.sha256(message).hexdigest(),
        "text": text,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if len(message) > keep:
        data["text_truncated"] = True
    first = message.split(b"\r", 1)[0][:60].decode("latin-1")
    record(Evidence(kind="mllp", summary=f"{direction} {peer}: {first}", data=data))


class MllpClient:
    """Sends messages on one connection and returns each reply (the ACK), frame by frame."""

    def __init__(self, host: str, port: int, settings: MllpSettings | None = None) -> None:
        self.host, self.port = host, port
        self.settings = settings or MllpSettings()
        self.peer = f"{host}:{port}"
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._server_task: asyncio.Task[None] | None = None

    @classmethod
    async def linked(cls, handler: Handler, settings: MllpSettings | None = None) -> MllpClient:
        """The in-memory twin: a client wired to ``handler`` through a socket pair, no port."""
        client = cls("memory", 0, settings)
        ours, theirs = socket.socketpair()
        client._streams = await asyncio.open_connection(sock=ours, limit=client.settings.stream_limit)
        reader, writer = await asyncio.open_connection(sock=theirs, limit=client.settings.stream_limit)
        client._server_task = asyncio.create_task(serve_connection(reader, writer, handler, client.settings))
        return client

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            try:
                self._streams = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, limit=self.settings.stream_limit),
                    self.settings.connect_timeout)
            except TimeoutError:
                raise MllpError(f"could not connect to {self.peer} within "
                                f"{self.settings.connect_timeout:g} s") from None
            except OSError as exc:
                raise MllpError(f"could not connect to {self.peer}: {exc.strerror or exc}") from None
        return self._streams

    async def send(self, message: bytes | str) -> bytes:
        raw = message.encode("latin-1") if isinstance(message, str) else message
        reader, writer = await self._connect()
        started = time.perf_counter()
        writer.write(frame(raw))
        try:
            await writer.drain()
        except ConnectionError as exc:
            raise MllpError(f"{self.peer} reset the connection while we sent: {exc}") from None
        record_frame("sent", self.peer, raw, started, self.settings.evidence_text_bytes)
        reply = await read_frame(reader, self.settings, self.peer)
        if reply is None:
            raise MllpError(f"{self.peer} closed the connection without a reply")
        record_frame("received", self.peer, reply, started, self.settings.evidence_text_bytes)
        return reply

    async def aclose(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            try:
                await self._streams[1].wait_closed()
            except ConnectionError:
                pass
            self._streams = None
        if self._server_task is not None:
            self._server_task.cancel()
            await asyncio.gather(self._server_task, return_exceptions=True)


async def serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler, settings: MllpSettings
) -> None:
    """Read frames until the peer closes or breaks the protocol; answer each with ``handler``'s reply."""
    address = writer.get_extra_info("peername")
    peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else "memory"
    try:
        while True:
            started = time.perf_counter()
            try:
                message = await read_frame(reader, settings, peer)
            except MllpError as exc:
                record(Evidence(kind="mllp", summary=f"broken frame from {peer}", data={"error": str(exc)}))
                return
            if message is None:
                return
            record_frame("received", peer, message, started, settings.evidence_text_bytes)
            reply = await handler(message)
            if reply is not None:
                writer.write(frame(reply))
                await writer.drain()
                record_frame("sent", peer, reply, started, settings.evidence_text_bytes)
    finally:
        writer.close()


class MllpListener:
    """Accepts connections on loopback (or a given host) and serves each with ``handler``."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0,
                 settings: MllpSettings | None = None) -> None:
        self.handler, self.host, self.port = handler, host, port
        self.settings = settings or MllpSettings()
        self._server: asyncio.Server | None = None

    async def start(self) -> MllpListener:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                      limit=self.settings.stream_limit)
        except OSError as exc:
            raise MllpError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(reader, writer, self.handler, self.settings)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
