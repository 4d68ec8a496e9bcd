"""The sandbox's MLLP receiver: validates each message against its NHS profile and acknowledges it.

Correct behaviour first (original mode AA/AE/AR, enhanced mode CA/CE/CR, ERR segments with HL7 table
0357 codes, MSA-2 = MSH-10, swapped routing), then each fault switch breaks one rule the way real
interface engines do.
"""

from __future__ import annotations

import asyncio
from functools import cache

from conformance.hl7v2 import Profile, load_profile, parse, validate
from conformance.hl7v2.ack import Problem, build_ack, enhanced, problem_for
from conformance.hl7v2.message import Message
from conformance.hl7v2.outbound import set_fields
from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2_faults import (
    HL7V2_ACK_ACCEPTS_BROKEN,
    HL7V2_ACK_ACCEPTS_UNSUPPORTED,
    HL7V2_ACK_BAD_FRAMING,
    HL7V2_ACK_CONTROL_ID_CONSTANT,
    HL7V2_ACK_ECHOES_TYPE,
    HL7V2_ACK_NEVER,
    HL7V2_ACK_NO_ERR,
    HL7V2_ACK_NO_SWAP,
    HL7V2_ACK_ORIGINAL_MODE_ONLY,
    HL7V2_ACK_REJECTS_VALID,
    HL7V2_ACK_SLOW,
    HL7V2_ACK_TWICE,
    HL7V2_ACK_WRONG_CONTROL_ID,
    HL7V2_DUPLICATE_UNANSWERED,
    HL7V2_ENHANCED_APP_ACK,
    HL7V2_ONE_MESSAGE_PER_CONNECTION,
    HL7V2_PIPELINED_DROPS_SECOND,
    TYPES,
)
from conformance.transports.mllp import EB, SB, Reply, frame

# Past the sandbox's agreed ACK time (settings.py, 5 s) by a margin a busy machine cannot close.
SLOW_SECONDS = 6.5


@cache
def _profile(kind: str) -> Profile:
    return load_profile("nhs-" + kind.lower().replace("^", "-"))


class SandboxReceiver:
    """``handle`` is an MLLP handler; one instance per sandbox (it remembers control ids for duplicates)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.seen: set[str] = set()
        self.count = 0

    def on(self, name: str) -> bool:
        return self.faults.on(name)

    async def handle(self, data: bytes) -> bytes | Reply | None:
        message = parse(data)
        msh = message.first("MSH")
        control = msh.value(10) if msh else ""
        repeated = control in self.seen
        self.seen.add(control)
        if self.on(HL7V2_ACK_NEVER) or (repeated and self.on(HL7V2_DUPLICATE_UNANSWERED)):
            return None
        if self.on(HL7V2_ACK_SLOW):
            await asyncio.sleep(SLOW_SECONDS)
        self.count += 1
        code, problems = self.judge(message)
        own_id = f"SBACK{self.count:06d}"
        ack = build_ack(message, code, own_id, [] if self.on(HL7V2_ACK_NO_ERR) else problems)
        ack = self.mangle(ack, message, own_id)
        out = ack.encode("utf-8")
        if self.on(HL7V2_ACK_BAD_FRAMING):
            return Reply(SB + out + EB + b"\n", raw=True)
        if self.on(HL7V2_ACK_TWICE) and not self.enhanced(message):
            return Reply(frame(out) + frame(out), raw=True)
        if self.on(HL7V2_ENHANCED_APP_ACK) and self.enhanced(message) and code == "CA":
            # The application ACK MSH-16 NE asked not to get, sent straight after the commit ACK.
            self.count += 1
            app = build_ack(message, "AA", f"SBACK{self.count:06d}").encode("utf-8")
            return Reply(frame(out) + frame(app), raw=True)
        return Reply(out, close=self.on(HL7V2_ONE_MESSAGE_PER_CONNECTION),
                     drop_rest=self.on(HL7V2_PIPELINED_DROPS_SECOND))

    def judge(self, message: Message) -> tuple[str, list[Problem]]:
        """The acknowledgement code and why, as a receiver that validates what it takes would answer."""
        code, trigger, _ = message.type
        kind = f"{code}^{trigger}"
        accept, error, reject = ("CA", "CE", "CR") if self.enhanced(message) else ("AA", "AE", "AR")
        if self.on(HL7V2_ACK_ACCEPTS_BROKEN):
            return accept, []
        if kind not in TYPES:
            if self.on(HL7V2_ACK_ACCEPTS_UNSUPPORTED):
                return accept, []
            return reject, [Problem("200", f"message type {kind} is not supported", "MSH", 9)]
        if self.on(HL7V2_ACK_REJECTS_VALID):
            return reject, [Problem("203", f"version {message.version} is not supported (2.3 only)", "MSH", 12)]
        result = validate(message, _profile(kind))
        problems = [problem_for(i.defect, i.diagnostics, i.where) for i in result.errors]
        return (error, problems[:10]) if problems else (accept, [])

    def enhanced(self, message: Message) -> bool:
        return enhanced(message) and not self.on(HL7V2_ACK_ORIGINAL_MODE_ONLY)

    def mangle(self, ack: str, message: Message, own_id: str) -> str:
        msh = message.first("MSH")
        if msh is None:
            return ack
        if self.on(HL7V2_ACK_WRONG_CONTROL_ID):
            ack = set_fields(ack, {2: own_id}, segment="MSA")
        if self.on(HL7V2_ACK_NO_SWAP):
            ack = set_fields(ack, {n: msh.value(n) for n in (3, 4, 5, 6)})
        if self.on(HL7V2_ACK_CONTROL_ID_CONSTANT):
            ack = set_fields(ack, {10: "ACK"})
        if self.on(HL7V2_ACK_ECHOES_TYPE):
            ack = set_fields(ack, {9: "^".join(message.type[:2])})
        return ack
