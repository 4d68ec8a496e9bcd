"""Run the sandbox over real HTTP on loopback: in a background thread (tests, ``conformance demo``)
or in the foreground (``conformance sandbox``).

Loopback only: the sandbox has no authentication and accepts writes, so it must not be reachable
from the network.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir import create_app

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
# uvicorn closes an idle keep-alive connection after 5 s by default; a client reusing it at that moment
# sees a reset on a request the server never read (seen as a rare error in the demo, where suites sit
# idle while waiting for notifications). Servers in front of real systems keep such connections longer.
KEEP_ALIVE = 120


class SandboxServer:
    """``with SandboxServer(faults) as server: ... server.base_url ...``; port 0 picks a free port."""

    def __init__(self, faults: Faults, host: str = HOST, port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the sandbox listens on loopback only, not {host!r}")
        self.faults = faults
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.host}:{self.port}/fhir"

    def start(self) -> SandboxServer:
        """Bind, serve in a daemon thread, and return once it accepts connections (or raise)."""
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this on Linux. Without it, a pre-bound socket handed to uvicorn
        # serves each response in two writes that wait on the client's delayed ACK: 40 ms a request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(create_app(self.faults), log_level="warning", access_log=False, lifespan="off",
                                timeout_keep_alive=KEEP_ALIVE)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"sandbox:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_forever(faults: Faults, port: int = 8080, mllp_port: int = 2575) -> None:
    """Serve in the foreground on 127.0.0.1:port until Ctrl-C.

    The port is bound before anything is printed, so a taken port is an ``OSError`` the CLI reports
    in one line, never a "listening" message followed by the server's own log.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {HOST}:{port}: {exc.strerror} (another port: --port N, "
                      "or --port 0 for a free one)") from None
    port = sock.getsockname()[1]
    from conformance.sandbox.hl7v2.server import MllpSandbox

    try:
        mllp = MllpSandbox(faults, HOST, mllp_port).start()
    except RuntimeError as exc:
        sock.close()
        raise OSError(f"{exc} (another port: --mllp-port N, or --mllp-port 0 for a free one)") from None
    active = ", ".join(faults.names()) or "none"
    print(f"conformance sandbox: FHIR R4 at http://{HOST}:{port}/fhir, HL7 v2 MLLP receiver at {mllp.address}, "
          f"sender trigger POST http://{HOST}:{port}/sandbox/hl7v2/send (faults: {active}); Ctrl-C stops",
          flush=True)
    config = uvicorn.Config(create_app(faults), log_level="warning", lifespan="off", timeout_keep_alive=KEEP_ALIVE)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        mllp.stop()
