"""hl7v2-sender as a receiving system: it hears every frame (read leniently, judged strictly), never hangs
up on a sender mid-frame, answers per MSH-15/16 and with ERR for invalid messages, and takes sender-only
targets."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conformance.hl7v2.ack import read_ack
from conformance.hl7v2.outbound import fixture_messages, readdress, without_segment
from conformance.targets import Target, load
from conformance.transports.mllp import MllpListener
from suites.hl7v2_sender.context import SenderContext

US, THEM = ("SENDER", "XSE01"), ("CONFORMANCE", "XCF01")


def msg(control: str, enhanced: bool = False) -> str:
    return readdress(fixture_messages()["ADT^A01"], sending=US, receiving=THEM, control_id=control, enhanced=enhanced)


def context() -> SenderContext:
    target = load_sender_only_target()
    return SenderContext(target, None, None)


def load_sender_only_target(tmp: Path | None = None) -> Target:
    import tempfile

    folder = Path(tmp or tempfile.mkdtemp())
    path = folder / "sender.toml"
    path.write_text("name = 'pas sender'\n[hl7v2]\nsends = ['ADT^A01']\nwait = 1.0\n")
    return load(path)


def test_a_sender_only_target_needs_no_endpoint(tmp_path: Path) -> None:
    target = load_sender_only_target(tmp_path)
    assert target.endpoints == {} and target.hl7v2.sends == ["ADT^A01"]


async def test_answers_follow_msh15_and_errors_carry_err() -> None:
    ctx = context()
    original = read_ack(await ctx.handle(msg("M1").encode()) or b"")
    assert (original.code, original.acknowledged, original.errors) == ("AA", "M1", [])
    commit = read_ack(await ctx.handle(msg("M2", enhanced=True).encode()) or b"")  # MSH-15 AL, MSH-16 NE
    assert commit.code == "CA" and commit.acknowledged == "M2"
    never = msg("M3", enhanced=True).replace("|AL|NE|", "|NE|NE|")
    assert "|NE|NE|" in never and await ctx.handle(never.encode()) is None
    broken = read_ack(await ctx.handle(without_segment(msg("M4"), "PID").encode()) or b"")
    assert broken.code == "AE" and broken.errors and broken.errors[0].code == "100"
    garbage = read_ack(await ctx.handle(b"this is not HL7") or b"")
    assert garbage.code == "AR"
    assert [m.answered for m in ctx.delivery.messages] == ["AA", "CA", "no ACK (MSH-15 NE)", "AE", "AR"]


async def _reply(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\x1c\x0d"), 5)


async def test_a_frame_ending_1c_0a_is_heard_and_reported_as_broken() -> None:
    broken: list[str] = []
    heard: list[bytes] = []

    async def handler(data: bytes) -> bytes:
        heard.append(data)
        return b"MSH|^~\\&|A|B|C|D|20260101||ACK|X|P|2.5.1\rMSA|AA|X"

    listener = await MllpListener(handler, on_broken=broken.append).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"\x0b" + msg("LF1").encode() + b"\x1c\x0a")
        await writer.drain()
        await _reply(reader)
        writer.write(b"\x0b" + msg("OK2").encode() + b"\x1c\x0d")
        await writer.drain()
        await _reply(reader)
        writer.close()
    finally:
        await listener.aclose()
    assert len(heard) == 2 and b"LF1" in heard[0] and b"OK2" in heard[1]
    assert len(broken) == 1 and "0x1C followed by b'\\n'" in broken[0]


async def test_closing_the_listener_waits_for_a_frame_in_flight() -> None:
    heard: list[bytes] = []

    async def handler(data: bytes) -> bytes:
        heard.append(data)
        return b"MSH|^~\\&|A|B|C|D|20260101||ACK|X|P|2.5.1\rMSA|AA|X"

    listener = await MllpListener(handler, on_broken=lambda why: None).start()
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    text = msg("HALF").encode()
    writer.write(b"\x0b" + text[:20])
    await writer.drain()
    await asyncio.sleep(0.1)  # the listener has read the start block: the frame is in flight
    closing = asyncio.create_task(listener.aclose())
    await asyncio.sleep(0.1)
    assert not closing.done(), "the listener hung up on a sender mid-frame"
    writer.write(text[20:] + b"\x1c\x0d")
    await writer.drain()
    reply = await _reply(reader)
    await asyncio.wait_for(closing, 10)
    writer.close()
    assert heard == [text] and b"MSA|AA" in reply
