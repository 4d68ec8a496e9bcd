"""The sandbox's HL7 v2 receiver in its own process, holding a message unanswered, to be killed mid-run.

``python -m tests.hostile.slow_mllp MARKER AFTER``: listens on a free loopback port (printed as
``host:port`` on the first line); the AFTER-th message and every one after it is never answered, and
MARKER is written once the first is held. So the run is still inside a check when the test kills
this process by pid, however busy the machine (a reply delayed by a fixed time let a loaded run
finish its last checks before the kill landed).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2.receiver import SandboxReceiver
from conformance.transports.mllp import MllpListener, Reply


async def serve(marker: Path, after: int) -> None:
    receiver = SandboxReceiver(Faults())
    seen = 0

    async def handle(message: bytes) -> bytes | Reply | None:
        nonlocal seen
        seen += 1
        if seen >= after:
            if not marker.exists():
                marker.write_text(str(seen))
            await asyncio.Event().wait()  # held until the test kills this process
        return await receiver.handle(message)

    listener = await MllpListener(handle).start()
    print(f"127.0.0.1:{listener.port}", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), int(sys.argv[2])))
