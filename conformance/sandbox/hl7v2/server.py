"""Run the sandbox's MLLP receiver on loopback in a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading

from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2.receiver import SandboxReceiver
from conformance.transports.mllp import MllpListener

START_TIMEOUT = 10.0


class MllpSandbox:
    """``with MllpSandbox(faults) as mllp: ... mllp.address ...``; port 0 picks a free port."""

    def __init__(self, faults: Faults, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the sandbox listens on loopback only, not {host!r}")
        self.receiver = SandboxReceiver(faults)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: MllpListener | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._listener = loop.run_until_complete(
                MllpListener(self.receiver.handle, self.host, self.port).start())
            self.port = self._listener.port
        except BaseException as exc:  # noqa: BLE001  reported by start() in the caller's thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._listener.aclose())
        loop.close()

    def start(self) -> MllpSandbox:
        self._thread = threading.Thread(target=self._run, name="sandbox-mllp", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            raise RuntimeError(f"the MLLP sandbox did not start on {self.host}:{self.port}: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=START_TIMEOUT)
        self._thread = None

    def __enter__(self) -> MllpSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
