"""Exchange scenarios: write events in A at a rate, time B's notifications, judge against the thresholds.

``observed`` runs the scenario once and carries the figures (``metrics.latency_ms``: p50, p95, p99,
max; losses, duplicates, order violations, and the per-event series the HTML report plots); the
judging checks read it. ``load.levels`` repeats the scenario at each rate of ``realtime.load_rates``.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail, skip
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.realtime.scenario import Scenario
from conformance.realtime.stats import Measurement
from suites.realtime.context import DECLARED, RealtimeContext, record_notes
from suites.realtime.subscription import CAPS, CREATE

X = "realtime.exchange."
OBSERVED = X + "observed"
REQ = ["FHIR-Subscriptions-Backport:notifications.html", "Realtime:exchange-latency"]


async def start_scenario(ctx: RealtimeContext, purpose: str) -> Scenario:
    """A Subscription on B for a fresh tag, its handshake awaited, and the patients the events update."""
    tag = ctx.tag(purpose)
    response, inbox, sid = await ctx.subscribe(ctx.product(DECLARED), tag)
    expect(response.status_code == 201 and sid, f"creating the scenario's Subscription answered "
                                                f"{response.status_code}")
    await inbox.wait_for(lambda: bool(inbox.notes), ctx.rt.wait)  # the handshake, if the target sends one
    scenario = Scenario(ctx.a, inbox, tag, ctx.codings(), created=ctx.patients)
    await scenario.setup(ctx.rt.patients)
    expect(not scenario.failed_writes, "; ".join(scenario.failed_writes[:3]))
    await inbox.wait_for(lambda: len(inbox.of_type("event-notification")) >= len(scenario.patients), ctx.rt.wait)
    return scenario


def evidence_of(m: Measurement, what: str) -> None:
    record(Evidence(kind="measurement", summary=f"{what}: {m.summary()}",
                    data={k: v for k, v in m.metrics().items() if k != "series"} |
                    {"lost_events": m.lost[:50], "out_of_order_events": m.out_of_order[:50]}))


@check(id=OBSERVED, title="Events written in A are notified by B (the scenario runs; figures in metrics)",
       requirements=REQ, capabilities=CAPS, needs=[CREATE], destructive=True, timeout=600)
async def observed(ctx: RealtimeContext) -> dict[str, Any]:
    scenario = await start_scenario(ctx, "exchange")
    await scenario.write(ctx.rt.events, ctx.rt.rate)
    await scenario.settle(ctx.rt.settle)
    expect(not scenario.failed_writes, "; ".join(scenario.failed_writes[:3]))
    m = scenario.measure()
    record_notes([n for n in scenario.inbox.notes if n.events][:3], what="event notification")
    evidence_of(m, "exchange")
    expect(m.observed, f"none of the {m.events} events written in A was notified by B within "
                       f"{ctx.rt.settle:g} s of the last write")
    return {"metrics": m.metrics(), "measurement": m}


def measured(ctx: RealtimeContext) -> Measurement:
    value: Measurement = ctx.product(OBSERVED)["measurement"]
    record(Evidence(kind="derived", summary=value.summary(), data={"from_check": OBSERVED,
                                                                    "latency_ms": value.latency_ms()}))
    return value


@check(id=X + "latency", title="The 95th percentile latency from a write in A to B's notification is under "
       "the threshold (realtime.p95_ms)", requirements=REQ, capabilities=CAPS, needs=[OBSERVED])
async def latency(ctx: RealtimeContext) -> dict[str, Any]:
    m = measured(ctx)
    lat = m.latency_ms()
    expect(lat["p95"] <= ctx.rt.p95_ms, f"p95 {lat['p95']:.1f} ms is over the {ctx.rt.p95_ms:g} ms threshold "
                                        f"(p50 {lat['p50']:.1f}, p99 {lat['p99']:.1f}, max {lat['max']:.1f} ms)")
    return {"metrics": {"latency_ms": lat, "threshold_p95_ms": ctx.rt.p95_ms}}


@check(id=X + "loss", title="No event is lost: every write in A is notified (realtime.max_lost)",
       requirements=REQ, capabilities=CAPS, needs=[OBSERVED])
async def loss(ctx: RealtimeContext) -> None:
    m = measured(ctx)
    expect(len(m.lost) <= ctx.rt.max_lost, f"{len(m.lost)} of {m.events} events never notified within "
                                           f"{ctx.rt.settle:g} s (events {m.lost[:10]})")


@check(id=X + "duplicates", title="No event is notified twice (realtime.max_duplicates)",
       requirements=REQ, capabilities=CAPS, needs=[OBSERVED])
async def duplicates(ctx: RealtimeContext) -> None:
    m = measured(ctx)
    expect(m.duplicates <= ctx.rt.max_duplicates, f"{m.duplicates} duplicate notification(s) of {m.events} events")


@check(id=X + "order", title="Events of one patient are notified in the order they were written",
       requirements=REQ, capabilities=CAPS, needs=[OBSERVED])
async def order(ctx: RealtimeContext) -> None:
    m = measured(ctx)
    expect(m.order_violations <= ctx.rt.max_order_violations,
           f"{m.order_violations} event(s) notified after a later event of the same patient "
           f"(events {m.out_of_order[:10]})")


@check(id="realtime.load.levels", title="At each load level (realtime.load_rates) latency and losses stay "
       "within the thresholds", requirements=REQ, capabilities=CAPS, needs=[OBSERVED], required=False,
       destructive=True, timeout=3600)
async def levels(ctx: RealtimeContext) -> dict[str, Any]:
    if not ctx.rt.load_rates:
        skip("no load levels asked for (realtime.load_rates)")
    scenario = await start_scenario(ctx, "load")
    rows, faults, seq = [], [], 1
    for rate in ctx.rt.load_rates:
        count = max(2, round(rate * ctx.rt.load_seconds))
        await scenario.write(count, rate, seq)
        await scenario.settle(ctx.rt.settle)
        m = scenario.measure(seq)
        seq += count
        evidence_of(m, f"{rate:g} events/s")
        rows.append({"rate": rate, **m.metrics()})
        lat = m.latency_ms()
        if lat["p95"] > ctx.rt.p95_ms or len(m.lost) > ctx.rt.max_lost:
            faults.append(f"at {rate:g}/s: p95 {lat['p95']:.1f} ms, {len(m.lost)} lost")
    expect(not scenario.failed_writes, "; ".join(scenario.failed_writes[:3]))
    if faults:
        fail(f"over the thresholds (p95 {ctx.rt.p95_ms:g} ms, {ctx.rt.max_lost} lost): " + "; ".join(faults))
    worst = max(rows, key=lambda r: r["latency_ms"]["p95"])
    return {"metrics": {"latency_ms": worst["latency_ms"], "levels": rows}}
