"""Hostile targets get clear verdicts within the scenario's bounds, never a traceback or a hang:
one that accepts the Subscription and never notifies, one that floods, one that sends garbage.

No elapsed time is asserted (a busy machine stretches it): a hang shows as a check the runner cut
short, which assert_no_errors catches by its message."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.checks import Links
from conformance.model import RunInfo, Status
from conformance.realtime.notifications import TOPIC_CANONICAL_EXT
from conformance.realtime.settings import RealtimeSettings
from conformance.runner import Runner, build_plan, load_suites
from conformance.sandbox.faults import Faults
from conformance.sandbox.realtime import bundles
from conformance.targets import from_url

BASE = "http://hostile.test/fhir"
TOPIC = "https://conformance.example/SubscriptionTopic/patient-write"


def hostile_app(mode: str) -> tuple[Starlette, dict[str, Any]]:
    """A and B in one: Patients are stored, Subscriptions accepted, notifications sent per ``mode``."""
    state: dict[str, Any] = {"client": None, "subs": {}, "patients": {}, "tasks": set()}

    async def post(url: str, content: bytes) -> None:
        try:
            await state["client"].post(url, content=content)
        except httpx.HTTPError:
            pass

    def send(sub: dict[str, Any], kind: str, copies: int = 1, event: dict[str, Any] | None = None) -> None:
        body = bundles.notification(sub, BASE, kind, "1", "active", [event] if event else [], Faults())
        content = b"{not json" if mode == "garbage" else json.dumps(body).encode()
        for _ in range(copies):
            task = asyncio.create_task(post(sub["channel"]["endpoint"], content))
            state["tasks"].add(task)
            task.add_done_callback(state["tasks"].discard)

    async def handle(request: Request) -> Response:
        parts = request.path_params["path"].split("/")
        if parts == ["metadata"]:
            return JSONResponse({"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [
                {"type": "Subscription", "extension": [{"url": TOPIC_CANONICAL_EXT, "valueCanonical": TOPIC}]}]}]})
        if parts[0] == "Subscription" and request.method == "POST":
            sub = {**json.loads(await request.body()), "id": f"s{len(state['subs']) + 1}", "status": "requested"}
            state["subs"][sub["id"]] = sub
            if mode != "silent":
                send(sub, "handshake", 300 if mode == "flood" else 1)
            return JSONResponse(sub, status_code=201)
        if parts[0] == "Subscription":
            sub = state["subs"].get(parts[1])
            return JSONResponse(sub or {}, status_code=200 if sub else 404)
        if parts[0] == "Patient" and request.method in ("POST", "PUT"):
            body = json.loads(await request.body())
            pid = parts[1] if len(parts) > 1 else f"p{len(state['patients']) + 1}"
            body = {**body, "id": pid, "meta": {**body.get("meta", {}), "versionId": "1"}}
            state["patients"][pid] = body
            for sub in state["subs"].values():
                if mode != "silent":
                    event = {"number": "1", "timestamp": bundles.now(), "method": request.method,
                             "focus": f"{BASE}/Patient/{pid}", "resource": body}
                    send(sub, "event-notification", 40 if mode == "flood" else 1, event)
            return JSONResponse(body, status_code=201 if request.method == "POST" else 200)
        return Response(status_code=204)

    return Starlette(routes=[Route("/fhir/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE"])]), state


async def run_hostile(mode: str) -> dict[str, Any]:
    app, state = hostile_app(mode)

    def link(receiver: Any) -> None:
        state["client"] = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver))

    target = from_url(BASE, sandbox=True)
    target.realtime = RealtimeSettings(topic=TOPIC, heartbeat=1, wait=1, events=5, rate=50, settle=0.5)
    registry = load_suites()
    runner = Runner(registry, concurrency=4, check_timeout=30,
                    links=Links(http_transport=httpx.ASGITransport(app=app), realtime_link=link))
    result = await runner.run(build_plan(registry, ["realtime"]), target,
                              RunInfo(id="hostile", started="", target=target.to_dict(), harness_version="t"))
    for task in list(state["tasks"]):
        task.cancel()
    return {r.id: r for r in result.results}


def assert_no_errors(results: dict[str, Any]) -> None:
    """Every check judged: none errored, none was cut short by the runner's check timeout (a hang)."""
    assert {i: r.message for i, r in results.items() if r.status is Status.ERROR} == {}
    assert not [i for i, r in results.items() if "did not finish within" in r.message]


async def test_accepts_the_subscription_and_never_notifies() -> None:
    results = await run_hostile("silent")
    assert_no_errors(results)
    assert results["realtime.subscription.handshake"].status is Status.FAIL
    assert "never notified" in results["realtime.subscription.handshake"].message
    observed = results["realtime.exchange.observed"]
    assert observed.status is Status.FAIL and "none of the 5 events" in observed.message


async def test_a_flood_of_notifications_is_judged_as_duplicates() -> None:
    results = await run_hostile("flood")
    assert_no_errors(results)
    assert results["realtime.exchange.observed"].status is Status.PASS
    assert results["realtime.exchange.duplicates"].status is Status.FAIL


async def test_notifications_that_are_not_bundles_fail_with_the_reason() -> None:
    results = await run_hostile("garbage")
    assert_no_errors(results)
    handshake = results["realtime.subscription.handshake"]
    assert handshake.status is Status.FAIL and "not JSON" in handshake.message
    assert results["realtime.exchange.observed"].status is Status.FAIL
