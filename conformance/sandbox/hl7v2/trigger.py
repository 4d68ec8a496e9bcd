"""``POST /sandbox/hl7v2/send`` on the sandbox's web app: {"host", "port"} -> the sender sends there.

Real interface engines are told where to send by configuration and send when events happen; a test
hook like this one (some vendors' sandboxes have one) lets the hl7v2-sender suite ask for the
messages now. Loopback destinations only: the sandbox must not be made to connect anywhere else.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.sandbox.faults import Faults
from conformance.sandbox.hl7v2.sender import send_messages
from conformance.transports.mllp import MllpClient, MllpSettings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def trigger_route(faults: Faults) -> Route:
    tasks: set[asyncio.Task[int]] = set()

    async def send(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            host, port = body["host"], int(body["port"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'send {"host": "127.0.0.1", "port": N}'}, status_code=400)
        if host not in LOOPBACK or not 0 < port < 65536:
            return JSONResponse({"error": "the sandbox sends to loopback ports only"}, status_code=400)

        async def connect() -> MllpClient:
            return MllpClient(host, port, MllpSettings(read_timeout=5.0))

        task = asyncio.create_task(send_messages(faults, connect))
        tasks.add(task)  # keep a reference until done, or the task may be collected mid-send
        task.add_done_callback(tasks.discard)
        return JSONResponse({"sending": f"{host}:{port}"}, status_code=202)

    return Route("/sandbox/hl7v2/send", send, methods=["POST"])
