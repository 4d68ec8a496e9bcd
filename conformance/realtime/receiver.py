"""The harness's notification receiver: a Starlette app on loopback that targets POST their notifications to.

Each Subscription gets its own path (``/notify/<token>``), so concurrent checks keep their inboxes
apart. ``/fail/<token>`` answers 500, to see whether a target reports delivery errors, and so does
``/notify/<token>`` once its inbox is switched to ``failing`` (a working endpoint that breaks). Arrival is
stamped the moment the body is in, before anything is parsed, so parsing cost never counts as
latency. Bodies and inboxes are bounded: a flooding or oversized sender is counted, not buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import socket
import time
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.checks import ExchangeBroken
from conformance.realtime.notifications import Notification, read

MAX_BODY = 1_000_000
MAX_KEPT = 5_000  # notifications kept per inbox; later ones are counted as flooding
WHOLE_KEPT = 50  # the first notifications of an inbox keep their text up to the evidence limit...
SHORT_KEEP = 4_000  # ...later ones (a flood) their first 4,000 bytes: the evidence shows the early ones


class ReceiverError(ExchangeBroken):
    """The receiver could not listen (a taken port, a non-loopback address): reported as it is."""


class Inbox:
    """What arrived for one Subscription, and a way to wait until something does."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.notes: list[Notification] = []
        self.refused = 0  # oversized bodies, or arrivals after MAX_KEPT
        self.failed_attempts = 0  # POSTs to /fail/<token>, or to /notify/<token> while ``failing``
        self.failing = False  # switched on: /notify/<token> answers 500 from now on (counted, not kept)
        self._changed = asyncio.Event()
        self.on_arrival: Callable[[Notification], None] | None = None

    def add(self, note: Notification) -> None:
        self.notes.append(note)
        if self.on_arrival is not None:
            self.on_arrival(note)
        self.poke()

    def poke(self) -> None:
        old, self._changed = self._changed, asyncio.Event()
        old.set()

    def of_type(self, kind: str) -> list[Notification]:
        return [n for n in self.notes if n.type == kind]

    async def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``done()`` holds or ``timeout`` seconds pass; True if it holds."""
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            if done():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), left)


class Receiver:
    """The app and its inboxes; serve it with :meth:`serve` (loopback) or hand ``app`` to an ASGI transport."""

    def __init__(self, keep: int = 64_000) -> None:
        self.keep = keep  # bytes of a notification's text kept as evidence ([http] evidence_body_bytes)
        self.inboxes: dict[str, Inbox] = {}
        self.unknown = 0  # POSTs to paths no Subscription was given
        self.app = Starlette(routes=[Route("/notify/{token}", self._notify, methods=["POST"]),
                                     Route("/fail/{token}", self._fail, methods=["POST"])])
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    def inbox(self) -> Inbox:
        token = secrets.token_hex(8)
        self.inboxes[token] = Inbox(token)
        return self.inboxes[token]

    def url(self, inbox: Inbox, failing: bool = False) -> str:
        return f"{self.base_url}/{'fail' if failing else 'notify'}/{inbox.token}"

    async def _notify(self, request: Request) -> Response:
        inbox = self.inboxes.get(request.path_params["token"])
        if inbox is None:
            self.unknown += 1
            return Response(status_code=404)
        if inbox.failing:
            return await self._fail(request)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                inbox.refused += 1
                return Response(status_code=413)
        arrived = time.perf_counter()
        if len(inbox.notes) >= MAX_KEPT:
            inbox.refused += 1
            inbox.poke()
            return Response(status_code=429)
        digest = hashlib.sha256(body).hexdigest()
        # A large body is parsed off the event loop: other checks' arrival stamps must not wait for it.
        keep = self.keep if len(inbox.notes) < WHOLE_KEPT else min(self.keep, SHORT_KEEP)
        note = read(bytes(body), arrived, digest, keep) if len(body) < 256 * 1024 else \
            await asyncio.to_thread(read, bytes(body), arrived, digest, keep)
        inbox.add(note)
        return Response(status_code=200)

    async def _fail(self, request: Request) -> Response:
        inbox = self.inboxes.get(request.path_params["token"])
        if inbox is not None:
            inbox.failed_attempts += 1
            inbox.poke()
        return Response(b"receiver refuses on purpose", status_code=500)

    async def serve(self, host: str, port: int) -> Receiver:
        """Listen on host:port in this event loop; a taken port is a ReceiverError naming it."""
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise ReceiverError(f"the notification receiver cannot listen on {host}:{port}: "
                                f"{exc.strerror or exc}") from None
        self._socket = sock
        bound = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="error", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        deadline = time.monotonic() + 5
        while not self._server.started:
            if self._task.done() or time.monotonic() > deadline:
                await self.aclose()
                raise ReceiverError(f"the notification receiver did not start on {host}:{bound}")
            await asyncio.sleep(0.005)
        self.base_url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}"
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5)
            self._task = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
