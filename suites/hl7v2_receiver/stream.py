"""What the receiver says on the connection as a whole: one ACK per message and nothing unasked, ACKs
with their own control ids, retransmission, pipelined messages, and (optionally) persistent connections.

MLLP lets a receiver close the connection after each reply (HL7 v2.5.1 appendix C.4), so only the
optional persistent-connection check asks for several messages on one connection; the others open a
new connection when the peer has closed.
"""

from __future__ import annotations

from conformance.checks import check, expect, fail
from conformance.hl7v2.ack import AckError, read_ack
from suites.hl7v2_receiver.context import ReceiverContext, describe_ack

CAPS = ["interoperability"]
ORIGINAL = "HL7v2.5.1:2.9.2 original acknowledgment rules"
MLLP = "MLLP:HL7v2.5.1 appendix C.4 (block format, one reply per message)"


@check(id="hl7v2-receiver.ack.own-control-id",
       title="Each ACK has its own message control id (MSH-10): two ACKs never share one",
       requirements=["HL7v2.5.1:2.15.9.10 MSH-10 message control id", "HL7v2.5.1:2.14.1 ACK"],
       capabilities=CAPS)
async def own_control_id(ctx: ReceiverContext) -> None:
    acks = []
    for _ in range(2):
        text, control = ctx.message(ctx.primary())
        acks.append((control, (await ctx.send(text, control)).ack))
    ids = [ack.control_id for _, ack in acks]
    expect(all(ids), f"an ACK has an empty MSH-10 (ACK control ids: {ids!r})")
    expect(ids[0] != ids[1],
           f"the ACKs to {acks[0][0]} and {acks[1][0]} both carry MSH-10 {ids[0]!r}: an ACK is a message and "
           "needs its own unique control id, or the sender's log cannot tell the acknowledgements apart")


@check(id="hl7v2-receiver.ack.single-reply",
       title="In original mode a message gets exactly one ACK: nothing more arrives after it",
       requirements=[ORIGINAL, MLLP], capabilities=CAPS)
async def single_reply(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary())
    exchange, extra, _ = await ctx.send_and_settle(text, control)
    expect(not extra, f"after the ACK to {control} ({describe_ack(exchange.ack)}), {len(extra)} more frame(s) came "
           f"unasked within {ctx.settle:g} s ({ctx.describe_frames(extra)}): a sender that reads one reply per "
           "message takes the extra one as the answer to its next message")


@check(id="hl7v2-receiver.duplicate.retransmission",
       title="A retransmitted message (same MSH-10) is acknowledged again, referring to that control id",
       requirements=[ORIGINAL, "HL7v2.5.1:2.10.1 duplicate messages"], capabilities=CAPS)
async def retransmission(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary())
    client = await ctx.client()
    try:
        first, _, closed = await ctx.send_and_settle(text, control, client)
        # A peer that closed after its reply (allowed by MLLP) gets the retransmission on a new
        # connection: MllpClient reconnects by itself once the old one is closed.
        second = await ctx.send(text, control, client)
    finally:
        await client.aclose()
    how = " (on a new connection: the receiver closed after its first reply)" if closed else ""
    expect(second.ack.acknowledged == control,
           f"the retransmission of {control}{how} was answered with MSA-2 {second.ack.acknowledged!r} "
           f"(first answer: {describe_ack(first.ack)})")


@check(id="hl7v2-receiver.connection.pipelined",
       title="Two messages sent in one TCP write are each acknowledged, in order",
       requirements=[MLLP, ORIGINAL], capabilities=CAPS)
async def pipelined(ctx: ReceiverContext) -> None:
    sent = [ctx.message(ctx.primary()) for _ in range(2)]
    for text, _ in sent:
        ctx.allowed(text)
    replies = await (await ctx.client()).send_together([text for text, _ in sent])
    answered = []
    for data in replies:
        try:
            answered.append(read_ack(data).acknowledged if data is not None else None)
        except AckError as exc:
            fail(f"a reply to the pipelined messages is not an acknowledgement: {exc}")
    controls = [control for _, control in sent]
    lost = [c for c in controls if c not in answered]
    expect(not lost, f"of two messages sent in one write ({', '.join(controls)}), {', '.join(lost)} got no "
           f"acknowledgement (MSA-2 of the replies: {answered!r}): the receiver dropped a message it was sent")
    expect(answered == controls, f"the acknowledgements came out of order: MSA-2 {answered!r} for {controls!r}")


@check(id="hl7v2-receiver.connection.several-messages",
       title="A persistent connection: three messages on one connection are each acknowledged, in order",
       requirements=["MLLP:HL7v2.5.1 appendix C.4 (persistent connection)"], capabilities=CAPS,
       required=False)  # MLLP allows one message per connection: required only if the target claims them
async def several(ctx: ReceiverContext) -> None:
    if ctx.hl7.persistent_connections:
        ctx.required_by["hl7v2-receiver.connection.several-messages"] = (
            "target: hl7v2.persistent_connections = true (the receiver claims persistent connections)")
    client = await ctx.client()
    try:
        for n in range(1, 4):
            text, control = ctx.message(ctx.primary())
            ack = (await ctx.send(text, control, client)).ack
            expect(ack.acknowledged == control,
                   f"message {n} of 3 ({control}) was answered with MSA-2 {ack.acknowledged!r}: "
                   "acknowledgements are out of step with the messages")
            if n < 3:
                _, closed = await client.settle(0.05)
                if closed:
                    fail(f"the receiver closed the connection after acknowledging message {n} of 3: it does "
                         "not keep connections open (allowed by MLLP; this check is optional)")
    finally:
        await client.aclose()
