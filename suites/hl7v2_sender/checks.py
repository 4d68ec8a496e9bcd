"""Checks on what the target sends: delivery (arrival, framing, claimed types) and each message's content."""

from __future__ import annotations

from collections import Counter
from functools import cache

from conformance.checks import check, expect, skip
from conformance.hl7v2 import Profile, ProfileError, load_profile, validate
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


@cache
def _claimed(refs: tuple[str, ...]) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for ref in refs:
        profile = load_profile(ref)
        out.setdefault(profile.message, profile)
    return out


def _where(kind: str, control: str) -> str:
    return f"{kind} {control}"


@check(id="hl7v2-sender.message.standard",
       title="Every message is valid HL7 v2 for its version and trigger event (structure, fields, tables)",
       requirements=["HL7v2.5.1:2 control", "HL7v2.5.1:2.10 message construction rules"], capabilities=CAPS,
       needs=[ARRIVES])
async def standard(ctx: SenderContext) -> None:
    problems = []
    for m in delivered(ctx).messages:
        result = validate(m.text)
        problems += [f"{_where(m.kind, m.control_id)}: {i.line_text()}" for i in result.errors]
    expect(not problems, f"{len(problems)} error(s): " + "; ".join(problems[:5]))


@check(id="hl7v2-sender.message.profile",
       title="Every message conforms to the message profile the target claims for its type (hl7v2.profiles)",
       requirements=["HL7v2.5.1:2.12 conformance using message profiles"], capabilities=CAPS, needs=[ARRIVES])
async def profile(ctx: SenderContext) -> dict[str, int]:
    try:
        claimed = _claimed(tuple(ctx.hl7.profiles))
    except ProfileError as exc:
        raise ValueError(f"hl7v2.profiles: {exc}") from None
    problems, judged = [], 0
    for m in delivered(ctx).messages:
        spec = claimed.get(m.kind)
        if spec is None:
            continue
        judged += 1
        result = validate(m.text, spec)
        problems += [f"{_where(m.kind, m.control_id)} against {spec.id}: {i.line_text()}" for i in result.errors]
    if not judged:
        skip("no message arrived of a type the target claims a profile for (hl7v2.profiles)")
    expect(not problems, f"{len(problems)} error(s): " + "; ".join(problems[:5]))
    return {"messages_judged": judged}


@check(id="hl7v2-sender.message.control-ids", title="Every message has its own control id (MSH-10)",
       requirements=["HL7v2.5.1:2.15.9.10 MSH-10 message control id"], capabilities=CAPS, needs=[ARRIVES])
async def control_ids(ctx: SenderContext) -> None:
    counts = Counter(m.control_id for m in delivered(ctx).messages)
    repeated = {cid: n for cid, n in counts.items() if n > 1}
    empty = counts.get("", 0)
    faults = [f"{n} message(s) without MSH-10" for n in [empty] if n]
    faults += [f"{cid!r} used {n} times" for cid, n in repeated.items() if cid]
    expect(not faults, ", ".join(faults) + " -- a receiver cannot acknowledge these unambiguously")
