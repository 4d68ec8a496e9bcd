"""The sandbox's Starlette app with a short way in for FHIR requests.

A FHIR request went through Starlette's whole stack: two middlewares, the router trying the routes in
turn, the endpoint's exception wrapper, each an extra coroutine and closures a request. The sandbox
serves the campaign bench's stand-in suppliers on the workers' own cores (issue 23), so that CPU is the
workers'. Requests the FHIR routes match in full go straight to their endpoint here, with what those
layers would have given them (the matched scope; a 500 ``Internal Server Error`` text answer and the
exception raised on, as ServerErrorMiddleware does, should the endpoint fail); everything else (the
other routes, a method a route does not take, another path) goes through Starlette as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class SandboxApp(Starlette):
    """``SandboxApp(routes, fast)``: ``fast`` are routes (among ``routes``, first of those their paths can
    match) whose endpoints take a request and answer a Response, and handle their own errors."""

    def __init__(self, routes: Sequence[BaseRoute], fast: Sequence[Route], prefix: str) -> None:
        super().__init__(routes=routes)
        self.fast = tuple(fast)
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            for route in self.fast:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope["app"] = self
                    scope.update(child)
                    await _answer(child["endpoint"], scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


async def _answer(endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
    try:
        response = await endpoint(Request(scope, receive, send))
    except Exception:
        await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
        raise
    await response(scope, receive, send)
