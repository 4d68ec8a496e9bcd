"""The message group: each message the target sent, judged against the standard, the profile the target
claims for its type, and the others (control ids)."""

from __future__ import annotations

from collections import Counter
from functools import cache

from conformance.checks import check, expect, skip
from conformance.hl7v2 import Profile, ProfileError, load_profile, validate
from suites.hl7v2_sender.context import ARRIVES, SenderContext
from suites.hl7v2_sender.delivery import CAPS, delivered


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
