"""The sandbox's MLLP sender: sends one synthetic message of each type it claims, waiting for each ACK.

``connect`` makes a client (a TCP one to the harness's listener, or the in-memory twin), so the same
code serves ``conformance demo`` and the tests. Fault switches break one rule each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from conformance.hl7v2.outbound import fixture_messages, readdress, set_fields
from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2.settings import APPLICATION, FACILITY
from conformance.sandbox.hl7v2_faults import (
    HL7V2_SENDER_BAD_FRAMING,
    HL7V2_SENDER_BREAKS_STANDARD,
    HL7V2_SENDER_LINE_FEEDS,
    HL7V2_SENDER_OUT_OF_PROFILE,
    HL7V2_SENDER_REPEATS_LATER,
    HL7V2_SENDER_REUSES_CONTROL_ID,
    HL7V2_SENDER_SILENT,
    HL7V2_SENDER_SKIPS_TYPE,
    TYPES,
)
from conformance.transports.mllp import EB, SB, MllpClient, MllpError

SENDER_ID = (APPLICATION, FACILITY)
RECEIVER_ID = ("CONFORMANCE", "XCF01")
Connect = Callable[[], Awaitable[MllpClient]]
REPEAT_AFTER = 1.5  # seconds; well inside the sandbox's 5 s wait window


def outbound(faults: Faults) -> list[tuple[str, str]]:
    """(message type, text) in sending order, with the switched-on faults applied."""
    out: list[tuple[str, str]] = []
    for n, kind in enumerate(TYPES, start=1):
        if kind == "ADT^A03" and faults.on(HL7V2_SENDER_SKIPS_TYPE):
            continue
        control = "00001" if faults.on(HL7V2_SENDER_REUSES_CONTROL_ID) else f"SB{n:08d}"
        text = readdress(fixture_messages()[kind], sending=SENDER_ID, receiving=RECEIVER_ID, control_id=control,
                         enhanced=False)
        if kind == "ADT^A03" and faults.on(HL7V2_SENDER_BREAKS_STANDARD):
            lines = text.split("\r")
            evn = next(line for line in lines if line.startswith("EVN|"))
            lines.remove(evn)
            lines.insert(next(i for i, line in enumerate(lines) if line.startswith("PID|")) + 1, evn)
            text = "\r".join(lines)
        if kind == "ADT^A01" and faults.on(HL7V2_SENDER_OUT_OF_PROFILE):
            pid = next(line for line in text.split("\r") if line.startswith("PID|"))
            identifiers = pid.split("|")[3].split("~")
            text = set_fields(text, {3: "~".join(i for i in identifiers if "^NHS^" not in i)}, segment="PID")
        if kind == "ORU^R01" and faults.on(HL7V2_SENDER_LINE_FEEDS):
            text = text.replace("\r", "\n")
        out.append((kind, text))
    return out


async def send_messages(faults: Faults, connect: Connect) -> int:
    """Send everything; return how many messages were acknowledged. A refused connection ends the run."""
    if faults.on(HL7V2_SENDER_SILENT):
        return 0
    acknowledged = 0
    client = await connect()
    try:
        for kind, text in outbound(faults):
            if kind == "ADT^A08" and faults.on(HL7V2_SENDER_BAD_FRAMING):
                broken = await connect()
                try:
                    await broken.send_raw(SB + text.encode() + EB + b"\n")
                finally:
                    await broken.aclose()
                continue
            try:
                await client.send(text)
            except MllpError:
                continue  # MllpClient reconnects on the next send
            acknowledged += 1
        if faults.on(HL7V2_SENDER_REPEATS_LATER):
            # The same admission again, seconds later, with the control id it had: a receiver that
            # judges by control id drops it as a duplicate, or one that does not admits twice.
            await asyncio.sleep(REPEAT_AFTER)
            await client.send(outbound(faults)[0][1])
            acknowledged += 1
    finally:
        await client.aclose()
    return acknowledged
