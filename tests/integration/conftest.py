"""Run the shipped suites against the sandbox, in memory (ASGI) or over loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from conformance.checks import Links
from conformance.model import RunInfo, RunResult
from conformance.runner import EventSink, Runner, build_plan, load_suites
from conformance.sandbox.faults import parse_faults
from conformance.targets import Target
from conformance.transports.mllp import Handler, MllpClient, OnBroken

SANDBOX_URL = "http://sandbox.test/fhir"


async def run_against_sandbox(
    faults: list[str] | None = None,
    suites: list[str] | None = None,
    select: list[str] | None = None,
    sandbox: bool = True,
    sinks: list[EventSink] | None = None,
    configure: Callable[[Target], None] | None = None,
    app: Any = None,
    wrap_http: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
) -> RunResult:
    """``app``: a sandbox app (``create_app``) the caller keeps, to look at its state afterwards."""
    from conformance.sandbox.fhir import create_app
    from conformance.sandbox.hl7v2 import SandboxReceiver, send_messages
    from conformance.sandbox.target import sandbox_target

    registry = load_suites()
    active = parse_faults(faults or [])
    app = app if app is not None else create_app(active)
    # https for the API in memory: the HSTS check has something to judge
    target = sandbox_target(SANDBOX_URL, api_root="https://sandbox.test", sandbox=sandbox)
    if configure is not None:
        configure(target)

    async def push(handler: Handler, on_broken: OnBroken) -> int:
        return await send_messages(active, lambda: MllpClient.linked(handler, on_broken=on_broken))

    http: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    if wrap_http is not None:  # e.g. a twin that bends some answers out of shape (tests/suites/malformed)
        http = wrap_http(http)
    runner = Runner(
        registry,
        sinks=sinks or [],
        concurrency=4,
        check_timeout=30,
        links=Links(http_transport=http, mllp_handler=SandboxReceiver(active).handle, hl7v2_push=push,
                    # the realtime suite's receiver, reached by the sandbox's notification sender in memory
                    realtime_link=lambda receiver: app.state.realtime.link(httpx.ASGITransport(app=receiver))),
    )
    info = RunInfo(id="test-run", started="", target=target.to_dict(), harness_version="test")
    return await runner.run(build_plan(registry, suites, select), target, info)
