"""The sandbox's HL7 v2 receiver in its own process, slowed after a number of messages, to be killed mid-run.

``python -m tests.hostile.slow_mllp MARKER AFTER DELAY``: listens on a free loopback port (printed as
``host:port`` on the first line), writes MARKER once AFTER messages have arrived, and from then on
answers each message DELAY seconds late, so that the test knows the run is still going when it kills
this process by pid.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2.receiver import SandboxReceiver
from conformance.transports.mllp import MllpListener, Reply


async def serve(marker: Path, after: int, delay: float) -> None:
    receiver = SandboxReceiver(Faults())
    seen = 0

    async def handle(message: bytes) -> bytes | Reply | None:
        nonlocal seen
        seen += 1
        if seen >= after:
            if not marker.exists():
                marker.write_text(str(seen))
            await asyncio.sleep(delay)
        return await receiver.handle(message)

    listener = await MllpListener(handle).start()
    print(f"127.0.0.1:{listener.port}", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
