"""One cap on every request body, before any route reads it.

Routes with a pydantic body (runs, targets, validations) are handed the whole body parsed, and uvicorn
sets no limit of its own: without this a client could make the service hold gigabytes in memory before a
route judged a byte. The cap is generous (the largest thing a route accepts is a 1,000,000-character paste
to validate, which JSON escaping can make six times longer); routes keep their own tighter limits.

Written as raw ASGI, not Starlette's ``BaseHTTPMiddleware``, so the body is counted as it streams and the
413 goes out before the route is called; a declared ``Content-Length`` over the cap is refused unread.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_REQUEST_BODY = 8_000_000


class BodyTooLarge(Exception):
    """Raised inside the route's receive() when the streamed body passes the cap."""


class BodyCap:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 Request Entity Too Large."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if not started and not refused:
                        # Answered here: FastAPI turns any error while reading a body into its own 400.
                        refused = True
                        await self._refuse(send)
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is out: whatever the route says after it goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            pass  # answered in counted(), or the route had already started its answer

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"the request body is over {self.limit:,} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
