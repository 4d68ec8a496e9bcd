"""The real sandbox in its own process, slowed after a number of requests, for tests that must act mid-run.

``python -m tests.hostile.slow_sandbox MARKER AFTER DELAY``: serves the sandbox's FHIR app on a free
loopback port (printed as its base URL on the first line), writes MARKER when the AFTER-th POST (a
create) arrives, and from then on delays each response by DELAY seconds, so that the test is sure a run is
still going when it kills this process (by pid) or interrupts the run. The delay comes after the
sandbox has done the work (a create has landed, its answer not yet sent): a run interrupted then has
written something whose id it never saw, and its clean-up must still find it.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir import create_app


def slowed(app: Any, marker: Path, after: int, delay: float) -> Any:
    seen = 0

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal seen
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        seen += scope["method"] == "POST"
        slow = seen >= after
        if slow and not marker.exists():
            marker.write_text(str(seen))

        async def late_send(message: dict[str, Any]) -> None:
            if slow and message["type"] == "http.response.start":
                await asyncio.sleep(delay)
            await send(message)

        await app(scope, receive, late_send)

    return wrapped


def main() -> None:
    marker, after, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/fhir", flush=True)
    app = slowed(create_app(Faults()), marker, max(1, after), delay)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=120)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
