#!/usr/bin/env python3
"""The floor under the sandbox's CPU a request: uvicorn itself, with an app that does nothing.

    .venv/bin/python bench/uvicorn_floor.py [--requests 3000] [--connections 40] [--apps trivial,nodelay,sandbox]

Each app runs in its own uvicorn process (uvicorn's default loop: uvloop when installed), loaded by
``--connections`` keep-alive connections from this process, each sending its next GET when the last is
answered; CPU a request is the server process's utime + stime from /proc (robust to load), with its
voluntary context switches. ``trivial`` answers ``{}`` 50 ms late (as the bench's sandboxes answer),
``nodelay`` at once, ``sandbox`` is the bench's sandbox answering ``GET /fhir/Patient/1`` (a 404) 50 ms late.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.campaign_throughput import _wait_port  # noqa: E402
from bench.sandbox_cpu import cpu_of  # noqa: E402

PATHS = {"trivial": "/x", "nodelay": "/x", "sandbox": "/fhir/Patient/1"}


def serve(kind: str, port: int) -> None:
    """``--serve KIND PORT``: one app in this process."""
    import uvicorn

    if kind == "sandbox":
        from bench.campaign_throughput import serve as bench_serve

        bench_serve(port, "", 50.0)
        return

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if kind == "trivial":
            await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/fhir+json"), (b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off",
                timeout_keep_alive=120)


def switches(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches"):
            return int(line.split()[1])
    return 0


async def load(url: str, requests: int, connections: int) -> None:
    import httpx

    left = [requests]
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:
        async def one_connection() -> None:
            while left[0] > 0:
                left[0] -= 1
                await client.get(url)

        await asyncio.gather(*(one_connection() for _ in range(connections)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--apps", default="trivial,nodelay,sandbox")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    from tests.campaign.helpers import free_port, stop

    for kind in args.apps.split(","):
        port = free_port()
        proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port)], cwd=ROOT)
        try:
            _wait_port(port, proc)
            url = f"http://127.0.0.1:{port}{PATHS[kind]}"
            asyncio.run(load(url, 200, args.connections))  # warm-up
            cpu, woken, started = sum(cpu_of(proc.pid)), switches(proc.pid), time.strftime("%H:%M:%S")
            asyncio.run(load(url, args.requests, args.connections))
            used, woken = sum(cpu_of(proc.pid)) - cpu, switches(proc.pid) - woken
            print(f"{kind} ({started}): {used * 1e6 / args.requests:.0f} us of CPU a request, "
                  f"{woken / args.requests:.2f} voluntary context switches a request", flush=True)
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
