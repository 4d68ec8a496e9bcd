#!/usr/bin/env python3
"""What measuring costs per event: the harness's notification receiver vs a bare endpoint that only
reads the body, over loopback, plus the in-process cost of reading, matching and computing statistics.

    .venv/bin/python bench/realtime_overhead.py [--events 2000] [--rounds 3]

The sender is a separate process (as a real target is) posting the same notification Bundle
sequentially; each side runs under uvicorn in this process's event loop, as the suite runs it.
Per-event overhead = mean round trip to the receiver minus mean round trip to the bare endpoint;
the goal is under 1 ms. The CPU part (parse, inbox, match, percentiles) is timed directly too.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.realtime.notifications import PAYLOAD_EXT, read
from conformance.realtime.receiver import Receiver
from conformance.realtime.scenario import Scenario, patient
from conformance.realtime.stats import Sent
from conformance.sandbox.faults import Faults
from conformance.sandbox.realtime import bundles

SENDER = """
import sys, time, httpx
url, n, body = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], 'rb').read()
with httpx.Client(headers={'Content-Type': 'application/fhir+json'}) as c:
    for _ in range(50): c.post(url, content=body)
    t = time.perf_counter()
    for _ in range(n): c.post(url, content=body)
    print((time.perf_counter() - t) / n * 1000)
"""


def sample_bundle(n: int = 1) -> bytes:
    sub = {"id": "sub1", "criteria": "https://conformance.example/SubscriptionTopic/patient-write",
           "channel": {"_payload": {"extension": [{"url": PAYLOAD_EXT, "valueCode": "full-resource"}]}}}
    res = {**patient("1", {"system": "s", "code": "c"}, f"c-{n}", n), "meta": {"versionId": "2"}}
    event = {"number": str(n), "timestamp": bundles.now(), "method": "PUT",
             "focus": "http://x/fhir/Patient/1/_history/2", "resource": res}
    return json.dumps(bundles.notification(sub, "http://x/fhir", "event-notification", str(n), "active",
                                           [event], Faults())).encode()


async def round_trip(app_url: str, events: int, body_path: str) -> float:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SENDER, app_url, str(events), body_path,
                                                stdout=subprocess.PIPE)
    out, _ = await proc.communicate()
    return float(out.decode().strip())


async def serve_bare() -> tuple[Receiver, str]:
    """The same uvicorn set-up serving an endpoint that reads the body and answers 200, nothing else."""
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    holder = Receiver()
    holder.app = Starlette(routes=[Route("/notify/{token}", bare, methods=["POST"])])
    await holder.serve("127.0.0.1", 0)
    return holder, holder.base_url + "/notify/x"


def cpu_per_event(events: int) -> dict[str, float]:
    """Parse + inbox + match + statistics, per event, in this process (no network)."""
    receiver = Receiver()
    inbox = receiver.inbox()
    scenario = Scenario(fhir=None, inbox=inbox, tag={"system": "s", "code": "c"})  # type: ignore[arg-type]
    bodies = [sample_bundle(n) for n in range(1, events + 1)]
    scenario.sent = [Sent(n, "1", f"c-{n}", 0.0) for n in range(1, events + 1)]
    t = time.perf_counter()
    for body in bodies:
        inbox.add(read(body, time.perf_counter(), hashlib.sha256(body).hexdigest()))
    parse_ms = (time.perf_counter() - t) / events * 1000
    t = time.perf_counter()
    scenario.all_seen()
    m = scenario.measure()
    m.metrics()
    match_ms = (time.perf_counter() - t) / events * 1000
    assert m.observed == events
    return {"parse_and_keep_ms": parse_ms, "match_and_stats_ms": match_ms}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        f.write(sample_bundle())
        body_path = f.name
    receiver = await Receiver().serve("127.0.0.1", 0)
    inbox = receiver.inbox()
    bare, bare_url = await serve_bare()
    ours, theirs = [], []
    try:
        for _ in range(args.rounds):
            theirs.append(await round_trip(bare_url, args.events, body_path))
            inbox.notes.clear()
            ours.append(await round_trip(receiver.url(inbox), args.events, body_path))
    finally:
        await receiver.aclose()
        await bare.aclose()
    cpu = cpu_per_event(args.events)
    bare_ms, ours_ms = statistics.median(theirs), statistics.median(ours)
    print(f"notification bundle: {len(sample_bundle())} bytes, {args.events} events x {args.rounds} rounds")
    print(f"round trip, bare endpoint (reads body):   {bare_ms:.3f} ms/event (median of rounds)")
    print(f"round trip, harness receiver (measures):  {ours_ms:.3f} ms/event")
    print(f"overhead of measuring over loopback:      {ours_ms - bare_ms:+.3f} ms/event (goal: under 1 ms)")
    print(f"in process: parse+keep {cpu['parse_and_keep_ms']:.4f} ms/event, match+percentiles "
          f"{cpu['match_and_stats_ms']:.4f} ms/event")


if __name__ == "__main__":
    asyncio.run(main())
