"""The delivery group: what the target sends arrives (whole frames, every claimed message type)."""

from __future__ import annotations

from conformance.checks import check, expect, skip
from suites.hl7v2_sender.context import ARRIVES, Delivery, SenderContext

CAPS = ["interoperability"]


@check(id=ARRIVES, title="Messages the target sends arrive at the harness's MLLP listener",
       requirements=["MLLP:HL7v2.5.1 appendix C"], capabilities=CAPS)
async def arrives(ctx: SenderContext) -> Delivery:
    delivery = await ctx.collected()
    ctx.record_delivery()
    expect(delivery.messages, f"no HL7 v2 message arrived within {ctx.hl7.wait:g} s"
           + (f" ({len(delivery.broken)} broken frame(s): {delivery.broken[0]})" if delivery.broken else ""))
    return delivery


def delivered(ctx: SenderContext) -> Delivery:
    value: Delivery = ctx.product(ARRIVES)
    ctx.record_delivery()
    return value


@check(id="hl7v2-sender.delivery.framing", title="Every frame is well formed: 0x0B, the message, 0x1C 0x0D",
       requirements=["MLLP:HL7v2.5.1 appendix C.4.3 block format"], capabilities=CAPS, after=[ARRIVES])
async def framing(ctx: SenderContext) -> None:
    # Judged from the frames themselves, not from whether any message made it through: a sender whose
    # every frame ends 0x1C 0x0A has broken framing (a fail), not nothing to judge (a skip).
    delivery = await ctx.collected()
    ctx.record_delivery()
    if not delivery.messages and not delivery.broken:
        skip(f"no frame arrived within {ctx.hl7.wait:g} s: nothing to judge (see {ARRIVES})")
    expect(not delivery.broken, f"{len(delivery.broken)} broken frame(s): " + "; ".join(delivery.broken[:3]))


@check(id="hl7v2-sender.delivery.claimed-types",
       title="Every message type the target claims to send (hl7v2.sends) arrives",
       requirements=["HL7v2.5.1:2.5 message types"], capabilities=CAPS, needs=[ARRIVES])
async def claimed_types(ctx: SenderContext) -> None:
    missing = sorted(set(ctx.hl7.sends) - delivered(ctx).kinds())
    expect(not missing, f"claimed but never sent within {ctx.hl7.wait:g} s: {', '.join(missing)}")
