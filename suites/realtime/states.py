"""Checks on a Subscription's states: $status, error when delivery fails, off, and unknown topics."""

from __future__ import annotations

import asyncio
import time

from conformance.checks import check, expect, skip
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.realtime.notifications import status_parameters
from conformance.realtime.scenario import patient
from suites.realtime.context import DECLARED, RealtimeContext, record_notes
from suites.realtime.subscription import (
    CAPS,
    CREATE,
    HANDSHAKE,
    HEARTBEAT,
    IG,
    NUMBERS,
    STATUS_OP,
    S,
    body_of,
    field_of,
    listed,
    subscribed,
    write_and_wait,
)


def _param(params: dict[str, object], name: str) -> str:
    for p in listed(params, "parameter"):
        if p.get("name") == name:
            return str(next((v for k, v in p.items() if k.startswith("value")), ""))
    return ""


@check(id=STATUS_OP, title="$status answers a query-status SubscriptionStatus: active, with the events so far",
       requirements=[IG + "OperationDefinition-backport-subscription-status.html"], capabilities=CAPS,
       needs=[NUMBERS])
async def status_operation(ctx: RealtimeContext) -> None:
    sub = subscribed(ctx)
    response = await ctx.b.get(f"Subscription/{sub.sid}/$status")
    data = await body_of(response)
    expect(response.status_code == 200 and isinstance(data, dict) and data.get("resourceType") == "Bundle",
           f"GET Subscription/{sub.sid}/$status answered {response.status_code}, not a Bundle")
    params = status_parameters(data) or {}
    expect(params, "the $status Bundle's first entry is not a SubscriptionStatus Parameters resource")
    kind, status = _param(params, "type"), _param(params, "status")
    since = _param(params, "events-since-subscription-start")
    received = len({e.number for n in sub.inbox.of_type("event-notification") for e in n.events})
    faults = []
    if kind != "query-status":
        faults.append(f"type {kind!r}, not query-status")
    if status != "active":
        faults.append(f"status {status!r}, not active")
    if not since.isdigit() or int(since) < received:
        faults.append(f"events-since-subscription-start {since!r}, but {received} events were notified")
    expect(not faults, "$status says " + ", ".join(faults))


@check(id=S + "off", title="A Subscription set to off sends nothing more",
       requirements=[IG + "subscriptions.html", "FHIR-R4:subscription.html#status"], capabilities=CAPS,
       needs=[HANDSHAKE], after=[STATUS_OP, HEARTBEAT, S + "bundle"], destructive=True)
async def off(ctx: RealtimeContext) -> None:
    sub = subscribed(ctx)
    current = await body_of(await ctx.b.get(f"Subscription/{sub.sid}"))
    expect(isinstance(current, dict), f"Subscription/{sub.sid} could not be read back")
    response = await ctx.b.put(f"Subscription/{sub.sid}", {**current, "status": "off"})
    expect(response.status_code == 200, f"setting status off answered {response.status_code}")
    before = len(sub.inbox.of_type("event-notification"))
    # How long silence must last: a third of realtime.wait (1 s on the sandbox).
    await write_and_wait(ctx, sub, ctx.products.get(S + "event"), 9, before + 1, ctx.rt.wait / 3)
    late = sub.inbox.of_type("event-notification")[before:]
    record_notes(late, what="notification after off")
    expect(not late, f"{len(late)} event notification(s) arrived after the Subscription was set off")


async def _status_and_reason(ctx: RealtimeContext, sid: str) -> tuple[str, str]:
    again = await ctx.b.get(f"Subscription/{sid}")
    return await field_of(again, "status"), await field_of(again, "error")


@check(id=S + "error-state", title="When its endpoint starts answering errors, the Subscription's status becomes "
       "error", requirements=[IG + "errors.html"], capabilities=CAPS, needs=[DECLARED, CREATE], destructive=True)
async def error_state(ctx: RealtimeContext) -> None:
    """Judged on the delivery-error path itself: the endpoint works (the handshake is delivered and the
    Subscription is active), then answers 500, and a matching write in A must turn the status to error.
    A server that sets error for another reason (a filter it refuses) has not shown this path: not judged."""
    tag = ctx.tag("err")
    response, inbox, sid = await ctx.subscribe(ctx.product(DECLARED), tag)
    expect(response.status_code == 201 and sid, f"creating the Subscription answered {response.status_code}")
    await inbox.wait_for(lambda: bool(inbox.notes), ctx.rt.wait)  # the handshake, while the endpoint works
    status, why = await _status_and_reason(ctx, sid)
    if status in ("error", "off"):
        skip(f"not judged: Subscription/{sid} went to status {status} before any delivery failed "
             f"({why or 'no reason given'}), so the delivery-error path was not reached")
    inbox.failing = True  # from now on the endpoint answers 500
    write = await ctx.a.post("Patient", patient(None, tag, f"{tag['code']}-1", 1, ctx.codings()))
    expect(write.status_code < 300, f"writing a matching patient in A answered {write.status_code}")
    pid = await field_of(write, "id")
    if pid:
        ctx.patients.append(pid)
    await inbox.wait_for(lambda: inbox.failed_attempts > 0, ctx.rt.wait)
    deadline = time.monotonic() + ctx.rt.wait
    while inbox.failed_attempts and time.monotonic() < deadline:
        status, why = await _status_and_reason(ctx, sid)
        if status == "error":
            break
        await asyncio.sleep(0.1)
    record(Evidence(kind="derived", summary=f"{inbox.failed_attempts} delivery attempt(s) answered 500 after the "
                    f"endpoint broke; status then {status!r}", data={"failed_attempts": inbox.failed_attempts,
                                                                      "status": status, "error": why,
                                                                      "delivered_before": len(inbox.notes)}))
    if not inbox.failed_attempts:
        skip(f"not judged: the target never tried to deliver within {ctx.rt.wait:g} s of a matching write "
             f"(Patient/{pid or '?'}), so it had no delivery error to report")
    expect(status == "error", f"after {inbox.failed_attempts} delivery attempt(s) answered 500 the Subscription's "
                              f"status is {status!r}, not error, {ctx.rt.wait:g} s after the first failed delivery "
                              "(a server that retries for longer before reporting needs a larger realtime.wait)")


@check(id=S + "unknown-topic", title="A Subscription to a topic the server does not declare is refused (4xx)",
       requirements=[IG + "subscriptions.html", "FHIR-R4:http.html#create"], capabilities=CAPS,
       needs=[DECLARED], destructive=True)
async def unknown_topic(ctx: RealtimeContext) -> None:
    topic = "https://conformance.example/SubscriptionTopic/no-such-topic-" + ctx.run_tag
    response, _, sid = await ctx.subscribe(topic, ctx.tag("unknown"))
    expect(400 <= response.status_code < 500,
           f"a Subscription to the unknown topic {topic} answered {response.status_code}"
           + (f" and was stored as Subscription/{sid}" if sid else ""))
