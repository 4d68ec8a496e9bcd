"""What every acknowledgement must get right, and how broken, unknown and repeated messages are answered."""

from __future__ import annotations

from conformance.checks import check, expect, skip
from conformance.hl7v2 import validate
from conformance.writeguard import hl7_processing_id
from suites.hl7v2_receiver.context import HARNESS, UNSUPPORTED_TYPE, ReceiverContext, describe_ack, without_pid

CAPS = ["interoperability"]
MSA = "HL7v2.5.1:2.15.8 MSA"
MSH = "HL7v2.5.1:2.15.9 MSH"


@check(id="hl7v2-receiver.ack.control-id", title="MSA-2 of the ACK repeats the sent message's MSH-10",
       requirements=[MSA, "HL7v2.5.1:2.9.2 original acknowledgment rules"], capabilities=CAPS)
async def control_id(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary())
    ack = (await ctx.send(text, control)).ack
    expect(ack.acknowledged == control,
           f"MSA-2 is {ack.acknowledged!r}; the message sent had MSH-10 {control!r}, so the sender "
           "cannot tell which message was acknowledged")


@check(id="hl7v2-receiver.ack.routing",
       title="The ACK is routed back: its MSH-3/4 are our MSH-5/6 and its MSH-5/6 are our MSH-3/4",
       requirements=[MSH, "HL7v2.5.1:2.9.2 original acknowledgment rules"], capabilities=CAPS)
async def routing(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary())
    ack = (await ctx.send(text, control)).ack
    problems = []
    if ack.receiving != HARNESS:
        problems.append(f"MSH-5/6 are {'/'.join(ack.receiving)!r}, not the sender's {'/'.join(HARNESS)!r}")
    ours = (ctx.hl7.application, ctx.hl7.facility)
    if ack.sending != ours:
        problems.append(f"MSH-3/4 are {'/'.join(ack.sending)!r}, not the receiver's {'/'.join(ours)!r} "
                        "that our MSH-5/6 named")
    expect(not problems, "; ".join(problems))


@check(id="hl7v2-receiver.ack.header",
       title="The ACK is a valid ACK message: MSH-9 ACK, an MSH-10, MSH-11 as sent, a valid ACK structure",
       requirements=[MSH, "HL7v2.5.1:2.14.1 ACK - general acknowledgment"], capabilities=CAPS)
async def header(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary())
    ack = (await ctx.send(text, control)).ack
    problems = []
    if ack.message_code != "ACK":
        problems.append(f"MSH-9 is {ack.message_code!r}, not ACK")
    if not ack.control_id:
        problems.append("MSH-10 (its own message control id) is empty")
    sent = hl7_processing_id(text)
    if ack.processing_id != sent:
        problems.append(f"MSH-11 is {ack.processing_id!r}; the message sent had {sent}")
    if ack.message is not None:
        # The ACK is an HL7 v2 message itself: its structure (MSH, MSA, ERR...) and fields are judged too.
        problems += [f"ACK {i.line_text()}" for i in validate(ack.message).errors][:5]
    expect(not problems, "; ".join(problems))


@check(id="hl7v2-receiver.reject.broken",
       title="A message missing a required segment (ADT^A01 without PID) is not accepted: AE or AR",
       requirements=["HL7v2.5.1:2.9.2 original acknowledgment rules", "HL7v2.5.1:3.3.1 ADT^A01"],
       capabilities=CAPS, required=False)  # policy: required only by a claimed profile's [receiver] rule
async def broken(ctx: ReceiverContext) -> None:
    ctx.policy("hl7v2-receiver.reject.broken", "rejects-missing-segment", "ADT^A01")
    if "ADT^A01" not in ctx.hl7.receives:
        skip("the target does not claim to receive ADT^A01 (hl7v2.receives)")
    text, control = ctx.message("ADT^A01")
    ack = (await ctx.send(without_pid(text), control)).ack
    expect(ack.code in ("AE", "AR"),
           f"an ADT^A01 with no PID segment ({control}) was answered {describe_ack(ack)}: a receiver that "
           "accepts it has admitted nobody, and the sender believes the admission was recorded")


@check(id="hl7v2-receiver.reject.err-segment",
       title="An error or reject ACK carries an ERR segment saying what was wrong",
       requirements=["HL7v2.5.1:2.15.5 ERR", "HL7v2.5.1:2.9.2 original acknowledgment rules"],
       capabilities=CAPS, needs=["hl7v2-receiver.reject.broken"], required=False)
async def err_segment(ctx: ReceiverContext) -> None:
    ctx.policy("hl7v2-receiver.reject.err-segment", "err-segment")
    text, control = ctx.message("ADT^A01")
    ack = (await ctx.send(without_pid(text), control)).ack
    if ack.code not in ("AE", "AR"):
        skip(f"the broken message was answered {ack.code}, not AE/AR")
    expect(ack.errors, f"the {ack.code} ACK to {control} has no ERR segment: the sender cannot tell what to fix")
    expect(all(e.code for e in ack.errors),
           "an ERR segment has no error code (ERR-3 from v2.5, ERR-1.4 before it; HL7 table 0357)")


@check(id="hl7v2-receiver.reject.unsupported-type",
       title=f"A message type the receiver cannot know ({UNSUPPORTED_TYPE.split('^')[0]}^Z01) is rejected: "
       "AR or AE",
       requirements=["HL7v2.5.1:2.9.2 original acknowledgment rules", "HL7v2.5.1:table 0357 code 200"],
       capabilities=CAPS, required=False)
async def unsupported(ctx: ReceiverContext) -> None:
    ctx.policy("hl7v2-receiver.reject.unsupported-type", "rejects-unsupported-type")
    text, control = ctx.unsupported()
    ack = (await ctx.send(text, control)).ack
    expect(ack.code in ("AR", "AE"),
           f"a {UNSUPPORTED_TYPE} message ({control}) was answered {describe_ack(ack)}: "
           "the receiver accepted a message it cannot have processed")


@check(id="hl7v2-receiver.mode.enhanced",
       title="Enhanced mode (MSH-15 AL, MSH-16 NE) is answered with a commit accept CA and nothing else",
       requirements=["HL7v2.5.1:2.9.3 enhanced acknowledgment rules", "HL7v2.5.1:table 0008"],
       capabilities=CAPS, required=False)
async def enhanced_mode(ctx: ReceiverContext) -> None:
    text, control = ctx.message(ctx.primary(), enhanced=True)
    exchange, extra, _ = await ctx.send_and_settle(text, control)
    expect(exchange.ack.code == "CA",
           f"a message asking for enhanced acknowledgement (MSH-15 AL, MSH-16 NE) was answered "
           f"{describe_ack(exchange.ack)}, not the commit accept CA")
    expect(not extra, f"after the commit ACK to {control}, {len(extra)} more frame(s) came unasked within "
           f"{ctx.settle:g} s ({ctx.describe_frames(extra)}): MSH-16 NE says the sender wants no application "
           "ACK, so a sender that reads one reply per message falls out of step")


@check(id="hl7v2-receiver.timing.ack-within",
       title="The ACK arrives within the agreed time (hl7v2.ack_within)",
       requirements=["HL7v2.5.1:2.9.2 original acknowledgment rules", "MLLP:release 2 acknowledgement timeout"],
       capabilities=CAPS)
async def ack_within(ctx: ReceiverContext) -> dict[str, float]:
    text, control = ctx.message(ctx.primary())
    exchange = await ctx.send(text, control)
    limit = ctx.hl7.ack_within
    expect(exchange.elapsed <= limit,
           f"the ACK to {control} took {exchange.elapsed:.2f} s, more than the {limit:g} s allowed")
    return {"ack_ms": round(exchange.elapsed * 1000, 1)}
