"""Each message type the target claims to receive, sent valid in original mode, is accepted (AA).

Registered in a loop over the harness's sample types, ids ``hl7v2-receiver.accept.<adt-a01>``; a
type the target does not claim (``hl7v2.receives``) skips.
"""

from __future__ import annotations

from conformance.checks import check, expect, skip
from conformance.hl7v2.outbound import fixture_messages
from suites.hl7v2_receiver.context import ReceiverContext, describe_ack

CAPS = ["interoperability"]


def accept_id(kind: str) -> str:
    return "hl7v2-receiver.accept." + kind.lower().replace("^", "-")


def _register(kind: str) -> None:
    @check(
        id=accept_id(kind),
        title=f"A valid {kind} message is accepted: MSA-1 AA in original mode",
        requirements=["HL7v2.5.1:2.9.2 original acknowledgment rules", "HL7v2.5.1:2.15.8 MSA"],
        capabilities=CAPS,
    )
    async def accepted(ctx: ReceiverContext) -> None:
        ctx.ready()
        if kind not in ctx.hl7.receives:
            skip(f"the target does not claim to receive {kind} (hl7v2.receives)")
        text, control = ctx.message(kind)
        exchange = await ctx.send(text, control)
        expect(exchange.ack.code == "AA",
               f"a valid {kind} ({control}) was answered {describe_ack(exchange.ack)}, not AA")


for _kind in fixture_messages():
    _register(_kind)
