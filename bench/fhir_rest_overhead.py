#!/usr/bin/env python3
"""Harness overhead: the fhir-rest suite's wall time vs the same HTTP requests sent directly with httpx.

    .venv/bin/python bench/fhir_rest_overhead.py [--rounds 3] [--concurrency 1]

Each round starts a fresh sandbox on loopback in its own process (as a real target is: the server's
work must not share the harness's interpreter lock), runs the suite through the real Runner (evidence
capture, redaction, hashing, the lot), and records every request in the order it was sent. It then
starts another fresh sandbox and replays exactly those requests with a bare ``httpx.AsyncClient``
at the same concurrency. The ratio harness/direct is what the harness costs on top of the HTTP work
itself (goal: under 1.2). The sandbox's ids are assigned in order, so a sequential replay hits the
same URLs; at concurrency above 1 the replay order, and so a few ids, may differ.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from conformance.checks import Links
from conformance.model import RunInfo
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import from_url


@contextmanager
def sandbox_process() -> Iterator[str]:
    """``conformance sandbox`` on a free loopback port, in a child process stopped by its pid."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "sandbox", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/metadata", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the sandbox process did not start")
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


SKIP_HEADERS = {"content-length", "host", "user-agent", "accept-encoding", "connection"}


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The network transport the harness would use anyway, noting each request as it goes out.

    Recording at the wire (rather than from evidence) also catches the suite's set-up and clean-up
    requests, so the direct replay does exactly the same HTTP work.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.requests.append({"method": request.method, "url": str(request.url),
                              "headers": dict(request.headers), "body": body})
        return await super().handle_async_request(request)


def harness_round(concurrency: int) -> tuple[float, list[dict[str, Any]], int]:
    registry = load_suites()
    plan = build_plan(registry, ["fhir-rest"], None)
    wire = RecordingTransport()

    with sandbox_process() as base_url:
        target = from_url(base_url, sandbox=True)
        runner = Runner(registry, concurrency=concurrency, links=Links(http_transport=wire))
        info = RunInfo(id="bench", started="", target=target.to_dict(), harness_version="bench")
        started = time.perf_counter()
        result = asyncio.run(runner.run(plan, target, info))
        elapsed = time.perf_counter() - started
    return elapsed, wire.requests, result.summary()["pass"]


def direct_round(requests: list[dict[str, Any]], concurrency: int, old_base: str) -> float:
    async def go(base: str) -> float:
        semaphore = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=30) as client:

            async def send(req: dict[str, Any]) -> None:
                headers = {k: v for k, v in req["headers"].items() if k.lower() not in SKIP_HEADERS}
                async with semaphore:
                    response = await client.request(
                        req["method"], req["url"].replace(old_base, base),
                        headers=headers, content=req["body"] or None,
                    )
                    await response.aread()

            started = time.perf_counter()
            if concurrency == 1:
                for req in requests:
                    await send(req)
            else:
                await asyncio.gather(*(send(r) for r in requests))
            return time.perf_counter() - started

    with sandbox_process() as base_url:
        return asyncio.run(go(base_url.rsplit("/fhir", 1)[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    ratios, extra_ms = [], []
    for i in range(args.rounds):
        harness, requests, passed = harness_round(args.concurrency)
        base = requests[0]["url"].split("/fhir", 1)[0]
        direct = direct_round(requests, args.concurrency, base)
        ratios.append(harness / direct)
        extra_ms.append((harness - direct) * 1000 / len(requests))
        print(f"round {i + 1}: harness {harness:.3f} s ({passed} checks passed, {len(requests)} requests), "
              f"direct httpx {direct:.3f} s, ratio {harness / direct:.2f}")
    print(f"median ratio harness/direct-httpx: {statistics.median(ratios):.2f} (goal < 1.2)")
    # The ratio depends on how fast the server is; the harness's own cost per request does not.
    print(f"median harness cost per request: {statistics.median(extra_ms):.3f} ms "
          f"(direct httpx round trip here: {1000 * direct / len(requests):.3f} ms)")


if __name__ == "__main__":
    main()
