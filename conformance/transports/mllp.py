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

from conformance import liveness
from conformance.checks import ExchangeBroken
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.scrub import RUN
from conformance.writeguard import hl7_refused, hl7_type, refuse_write

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"
SETTLE_FRAMES = 20  # at most this many unasked frames are read after a reply


@dataclass(frozen=True)
class Reply:
    """A handler's answer with how to send it: ``raw`` bytes go out unframed (a sandbox fault's
    broken framing), ``close`` hangs up after sending (a receiver that takes one message per connection)."""

    data: bytes
    raw: bool = False
    close: bool = False
    # Discard whatever else already arrived on the connection (a sandbox fault: a receiver that reads
    # one frame per TCP read and so loses a second message sent in the same write).
    drop_rest: bool = False


Handler = Callable[[bytes], Awaitable["bytes | Reply | None"]]
OnBroken = Callable[[str], None]


class MllpError(ExchangeBroken):
    """A frame that could not be read or sent; the message says exactly what the peer did."""


class MllpIdle(MllpError):
    """Nothing at all arrived within the read timeout (no frame started): silence, not a broken frame."""


class MllpConnectError(MllpError):
    """No connection at all: the endpoint is wrong or down (a harness error, not a protocol verdict)."""


class MllpConnectionLost(MllpError):
    """The peer reset or closed the connection instead of replying: what a stopped receiver looks like."""


class MllpTooLarge(MllpError):
    """A frame past the harness's own limit (``max_message_bytes``): nothing judged, the limit named."""


@dataclass
class MllpSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_message_bytes: int = 1_000_000
    evidence_text_bytes: int = 64_000
    # Connections a listener serves at once: each may buffer up to a frame, so this bounds its memory
    # (a sender opening hundreds, each with a frame it never ends, held 270 MB). 64 is the most checks a
    # run sends at once (the sandbox's receiver); the sender suite's listener takes far fewer.
    max_connections: int = 64

    @property
    def stream_limit(self) -> int:
        """asyncio's buffer limit: a frame longer than this is refused instead of buffered."""
        return self.max_message_bytes + 2


def frame(message: bytes) -> bytes:
    if SB in message or EB in message:
        raise ValueError("an HL7 message cannot contain the MLLP framing bytes 0x0B or 0x1C")
    return SB + message + EB + CR


@dataclass
class FrameState:
    """Where a served connection is: ``busy`` from a frame's start block until its reply is sent (a
    listener closing down waits for that, so it never hangs up on a sender mid-stream); ``defects``
    collects framing faults read leniently (an end block followed by a byte other than 0x0D)."""

    busy: bool = False
    defects: list[str] | None = None
    keep_idle: bool = False  # True: a connection silent past the read timeout stays open


async def read_frame(reader: asyncio.StreamReader, settings: MllpSettings, peer: str,
                     state: FrameState | None = None) -> bytes | None:
    """The next message from ``reader``; None when the peer closed cleanly between frames.

    Reads up to the end block and no further, so frames sent back to back stay intact. With a
    ``state`` whose ``defects`` is a list, a wrong byte after the end block is recorded there and the
    message kept (the sender suite judges framing from the frame, and still hears the message).
    """
    limit = settings.max_message_bytes
    started = False
    try:
        async with asyncio.timeout(settings.read_timeout):
            first = await reader.read(1)
            if not first:
                return None
            if first != SB:
                junk = first + await _drain(reader, 256)
                raise MllpError(f"{peer} sent {len(junk)}+ bytes that are not an MLLP frame "
                                f"(expected start block 0x0B, got {junk[:16]!r})")
            started = True
            if state is not None:
                state.busy = True
            try:
                data = await reader.readuntil(EB)
                end = await reader.readexactly(1)
            except asyncio.IncompleteReadError as exc:
                raise MllpError(f"{peer} closed the connection mid-frame after {len(exc.partial)} bytes "
                                "(no end block 0x1C 0x0D): a truncated frame") from None
            except asyncio.LimitOverrunError:
                raise MllpTooLarge(f"{peer} sent a message larger than the {limit:,}-byte limit") from None
            if end != CR:
                why = f"{peer} sent end block 0x1C followed by {end!r}, not 0x0D: a malformed frame"
                if state is None or state.defects is None or end == SB:
                    raise MllpError(why)
                state.defects.append(why)
            message = data[:-1]
    except TimeoutError:
        what = ("started a frame but sent no end block 0x1C 0x0D" if started else "sent nothing")
        kind = MllpError if started else MllpIdle
        raise kind(f"{peer} {what} within {settings.read_timeout:g} s: no complete frame within "
                   f"{settings.read_timeout:g} s") from None
    except ConnectionError as exc:
        raise MllpConnectionLost(f"{peer} reset the connection: {exc}") from None
    if len(message) > limit:
        raise MllpTooLarge(f"{peer} sent a message larger than the {limit:,}-byte limit")
    if SB in message:
        raise MllpError(f"{peer} sent a start block 0x0B inside a frame: an earlier frame had no end block")
    return message


async def _drain(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(n), 0.05)
    except TimeoutError:
        return b""


def record_frame(direction: str, peer: str, message: bytes, started: float, keep: int) -> None:
    # record() scrubs the run's secrets from the item; a frame cut at ``keep`` may also end in a
    # secret's first characters, which only the cut's owner knows to drop.
    text = RUN.text(message[:keep].decode("latin-1").replace("\r", "\n"), cut=len(message) > keep)
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

    def __init__(self, host: str, port: int, settings: MllpSettings | None = None,
                 read_only: bool = False, test_messages: bool = False) -> None:
        self.host, self.port = host, port
        self.read_only = read_only  # not a sandbox: refuse any message that is not a pure query...
        self.test_messages = test_messages  # ...unless it is marked MSH-11 = T and the target allows those
        self.settings = settings or MllpSettings()
        self.peer = f"{host}:{port}"
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._link: tuple[Handler, OnBroken | None] | None = None  # the in-memory twin's far end

    @classmethod
    async def linked(cls, handler: Handler, settings: MllpSettings | None = None,
                     on_broken: OnBroken | None = None, read_only: bool = False,
                     test_messages: bool = False) -> MllpClient:
        """The in-memory twin: a client wired to ``handler`` through a socket pair, no port."""
        client = cls("memory", 0, settings, read_only=read_only, test_messages=test_messages)
        client._link = (handler, on_broken)
        await client._relink()
        return client

    async def _relink(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new socket pair to the twin's handler (a fresh connection after the peer hung up)."""
        assert self._link is not None
        if self._server_task is not None:
            await asyncio.gather(self._server_task, return_exceptions=True)
        handler, on_broken = self._link
        ours, theirs = socket.socketpair()
        self._streams = await asyncio.open_connection(sock=ours, limit=self.settings.stream_limit)
        reader, writer = await asyncio.open_connection(sock=theirs, limit=self.settings.stream_limit)
        state = FrameState(defects=[] if on_broken is not None else None)  # lenient, as MllpListener
        self._server_task = asyncio.create_task(
            serve_connection(reader, writer, handler, self.settings, on_broken, state))
        return self._streams

    async def send_raw(self, data: bytes) -> None:
        """Write bytes as they are, no framing, no reply awaited: for peers that must misbehave."""
        refuse_write(self.read_only, f"{len(data)} raw bytes to {self.peer}")
        _, writer = await self._connect()
        writer.write(data)
        await writer.drain()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None and self._link is not None:
            return await self._relink()
        if self._streams is None:
            try:
                self._streams = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, limit=self.settings.stream_limit),
                    self.settings.connect_timeout)
            except TimeoutError:
                raise MllpConnectError(f"could not connect to {self.peer} within "
                                       f"{self.settings.connect_timeout:g} s") from None
            except OSError as exc:
                raise MllpConnectError(f"could not connect to {self.peer}: {exc.strerror or exc}") from None
        return self._streams

    async def send(self, message: bytes | str) -> bytes:
        """Send one message and return the peer's reply; :class:`MllpError` says what went wrong."""
        try:
            reply = await self._send(message)
        except MllpError as exc:
            if isinstance(exc, (MllpConnectError, MllpConnectionLost)):
                liveness.unreachable(str(exc))
            record(Evidence(kind="mllp", summary=f"error {self.peer}: {exc}",
                            data={"direction": "error", "peer": self.peer, "error": str(exc)}))
            await self.aclose()  # after a broken frame the stream's position is unknown: reconnect
            raise
        liveness.answered()
        return reply

    async def _send(self, message: bytes | str) -> bytes:
        raw = message.encode("utf-8") if isinstance(message, str) else message
        if hl7_refused(raw, self.read_only, self.test_messages):
            refuse_write(True, f"a {hl7_type(raw) or 'non-query'} message to {self.peer}"
                         + (" not marked MSH-11 = T (test)" if self.test_messages else ""))
        reader, writer = await self._connect()
        started = time.perf_counter()
        writer.write(frame(raw))
        try:
            await writer.drain()
        except ConnectionError as exc:
            raise MllpConnectionLost(f"{self.peer} reset the connection while we sent: {exc}") from None
        record_frame("sent", self.peer, raw, started, self.settings.evidence_text_bytes)
        reply = await read_frame(reader, self.settings, self.peer)
        if reply is None:
            raise MllpConnectionLost(f"{self.peer} closed the connection without a reply")
        record_frame("received", self.peer, reply, started, self.settings.evidence_text_bytes)
        return reply

    async def send_together(self, messages: list[str]) -> list[bytes | None]:
        """Send every message framed in one TCP write (pipelining), then read one reply each, in order;
        None for each reply that never came (the peer closed or fell silent first)."""
        raws = [m.encode("utf-8") for m in messages]
        for raw in raws:
            if hl7_refused(raw, self.read_only, self.test_messages):
                refuse_write(True, f"a {hl7_type(raw) or 'non-query'} message to {self.peer}")
        reader, writer = await self._connect()
        started = time.perf_counter()
        writer.write(b"".join(frame(raw) for raw in raws))
        await writer.drain()
        for raw in raws:
            record_frame("sent", self.peer, raw, started, self.settings.evidence_text_bytes)
        replies: list[bytes | None] = []
        for _ in raws:
            try:
                reply = await read_frame(reader, self.settings, self.peer)
            except MllpError as exc:
                record(Evidence(kind="mllp", summary=f"error {self.peer}: {exc}",
                                data={"direction": "error", "peer": self.peer, "error": str(exc)}))
                reply = None
            if reply is None:
                break
            record_frame("received", self.peer, reply, started, self.settings.evidence_text_bytes)
            replies.append(reply)
        await self.aclose()
        return replies + [None] * (len(raws) - len(replies))

    async def settle(self, seconds: float) -> tuple[list[bytes], bool]:
        """Everything else the peer sends within ``seconds`` of quiet after a reply, and whether it
        closed the connection (allowed after each reply: the next send then opens a new one)."""
        if self._streams is None:
            return [], True
        reader = self._streams[0]
        extra: list[bytes] = []
        quiet = MllpSettings(read_timeout=seconds, max_message_bytes=self.settings.max_message_bytes)
        started = time.perf_counter()
        # Bounded: a peer that never falls quiet is heard for at most 4 settle times or 20 frames.
        while len(extra) < SETTLE_FRAMES and time.perf_counter() - started < 4 * seconds + 0.1:
            try:
                message = await read_frame(reader, quiet, self.peer)
            except MllpIdle:
                return extra, False
            except MllpError as exc:
                record(Evidence(kind="mllp", summary=f"error {self.peer}: {exc}",
                                data={"direction": "error", "peer": self.peer, "error": str(exc)}))
                await self.aclose()
                return extra, True
            if message is None:
                record(Evidence(kind="mllp", summary=f"{self.peer} closed the connection after its reply",
                                data={"direction": "closed", "peer": self.peer}))
                await self.aclose()
                return extra, True
            record_frame("received", self.peer, message, started, self.settings.evidence_text_bytes)
            extra.append(message)
        return extra, False

    async def aclose(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            try:
                await self._streams[1].wait_closed()
            except ConnectionError:
                pass
            self._streams = None
        if self._server_task is not None:
            # The twin's server side sees our end of file and finishes what it was sent; then stop it.
            await asyncio.wait([self._server_task], timeout=1.0)
            self._server_task.cancel()
            await asyncio.gather(self._server_task, return_exceptions=True)
            self._server_task = None


async def serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler, settings: MllpSettings,
    on_broken: OnBroken | None = None, state: FrameState | None = None,
) -> None:
    """Read frames until the peer closes or breaks the protocol; answer each with ``handler``'s reply.

    ``on_broken`` hears, in one sentence, every way the peer broke the protocol (the sender suite's
    verdict on framing)."""
    address = writer.get_extra_info("peername")
    peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else "memory"
    state = state or FrameState()
    try:
        while True:
            started = time.perf_counter()
            state.busy = False
            try:
                message = await read_frame(reader, settings, peer, state)
            except MllpIdle as exc:
                if state.keep_idle:
                    continue  # a sender may hold a connection open between messages: keep listening
                # Silence is no broken frame: drop the peer quietly (a connection nobody uses holds nothing).
                record(Evidence(kind="mllp", summary=f"{peer} idle: connection closed", data={"error": str(exc)}))
                return
            except MllpError as exc:
                record(Evidence(kind="mllp", summary=f"broken frame from {peer}", data={"error": str(exc)}))
                if on_broken is not None:
                    on_broken(str(exc))
                return
            if message is None:
                return
            if state.defects and on_broken is not None:
                on_broken(state.defects.pop())
            record_frame("received", peer, message, started, settings.evidence_text_bytes)
            try:
                reply = await handler(message)
            except Exception as exc:  # noqa: BLE001  a handler's bug must end this connection, not the listener
                record(Evidence(kind="mllp", summary=f"handler failed for {peer}",
                                data={"error": f"{type(exc).__name__}: {exc}"}))
                return
            if reply is None:
                continue
            answer = reply if isinstance(reply, Reply) else Reply(reply)
            if answer.drop_rest:
                await _drain(reader, settings.stream_limit)
            writer.write(answer.data if answer.raw else frame(answer.data))
            await writer.drain()
            record_frame("sent", peer, answer.data, started, settings.evidence_text_bytes)
            if answer.close:
                return
    except ConnectionError as exc:
        record(Evidence(kind="mllp", summary=f"{peer} reset the connection", data={"error": str(exc)}))
    finally:
        writer.close()


class MllpListener:
    """Accepts connections on loopback (or a given host) and serves each with ``handler``."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0,
                 settings: MllpSettings | None = None, on_broken: OnBroken | None = None,
                 keep_idle: bool = False) -> None:
        self.handler, self.host, self.port, self.on_broken = handler, host, port, on_broken
        self.keep_idle = keep_idle  # the sender suite's listener: never hang up on a sender
        self.settings = settings or MllpSettings()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], tuple[asyncio.StreamWriter, FrameState]] = {}
        # Read a wrong byte after the end block as a framing defect (told to on_broken), not a lost message.
        self.lenient = on_broken is not None
        self.refused = 0  # connections hung up on because max_connections were open

    async def start(self) -> MllpListener:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                      limit=self.settings.stream_limit)
        except OSError as exc:
            raise MllpError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= self.settings.max_connections:
            self.refused += 1
            if self.refused == 1:  # said once: a sender that opens hundreds is one finding, not hundreds
                address = writer.get_extra_info("peername")
                peer = f"{address[0]}" if isinstance(address, tuple) else "the peer"
                why = (f"{peer} opened more than {self.settings.max_connections} connections at once; "
                       "the harness hung up on the rest")
                record(Evidence(kind="mllp", summary="connection refused: too many at once", data={"error": why}))
                if self.on_broken is not None:
                    self.on_broken(why)
            writer.close()
            return
        task = asyncio.current_task()
        state = FrameState(defects=[] if self.lenient else None, keep_idle=self.keep_idle)
        if task is not None:
            self._connections[task] = (writer, state)
        try:
            await serve_connection(reader, writer, self.handler, self.settings, self.on_broken, state)
        finally:
            if task is not None:
                self._connections.pop(task, None)

    async def aclose(self) -> None:
        """Stop accepting; let a frame being read finish and be answered (never hang up on a sender
        mid-stream; bounded by the read timeout), then hang up on every connection and wait for it."""
        if self._server is not None:
            self._server.close()
            deadline = time.monotonic() + self.settings.read_timeout
            while any(state.busy for _, state in self._connections.values()) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            for writer, _ in list(self._connections.values()):
                writer.close()
            if self._connections:
                await asyncio.wait(list(self._connections), timeout=self.settings.read_timeout)
            await self._server.wait_closed()
            self._server = None
