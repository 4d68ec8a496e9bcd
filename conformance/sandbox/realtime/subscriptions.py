"""Endpoint B's subscriptions: state, matching writes to topics, and rest-hook delivery with faults.

One worker per Subscription delivers in order (handshake, events, heartbeats), each notification at
its event's time plus any injected delay, so a delay does not pile up behind the one before. Writes
reach B through the sandbox's write hook; matching is the sandbox's own search engine run on the
written resource, so filter criteria mean what a search would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from conformance.realtime.notifications import FILTER_EXT, HEARTBEAT_EXT
from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir import search
from conformance.sandbox.fhir.store import Version
from conformance.sandbox.realtime import bundles
from conformance.sandbox.realtime_faults import (
    NOTIFICATION_DELAY,
    NOTIFICATION_DROP,
    NOTIFICATION_DUPLICATE,
    NOTIFICATION_NO_HEARTBEAT,
    NOTIFICATION_REORDER,
    NOTIFICATION_SLOW_UNDER_LOAD,
    NOTIFICATION_WRONG_EVENT_NUMBERS,
    SUBSCRIPTION_ERROR_ONLY_ON_HANDSHAKE,
    SUBSCRIPTION_ERRORS_UNREPORTED,
    SUBSCRIPTION_NEVER_NOTIFIES,
    SUBSCRIPTION_OFF_IGNORED,
)

TOPIC = "https://conformance.example/SubscriptionTopic/patient-write"
TOPICS = {TOPIC: ("Patient", ("POST", "PUT"))}  # topic -> (resource type, write methods)
SLOW_SEND_S = 0.05  # notification-slow-under-load: each send takes this long (200/s for 0.5 s: p95 over 4 s)
REORDER_HOLD_S = 0.15  # notification-reorder: the longest an event is held back


DELIVERY_TIMEOUT_S = 30.0


@dataclass
class Item:
    kind: str  # handshake | heartbeat | event-notification
    due: float  # monotonic time to send at
    event: dict[str, Any] | None = None
    copies: int = 1


@dataclass
class Sub:
    resource: dict[str, Any]
    base: str
    queue: asyncio.Queue[Item] = field(default_factory=asyncio.Queue)
    events: int = 0
    last_sent: float = 0.0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    held: dict[str, Item] = field(default_factory=dict)  # focus -> an event held back (reorder)

    @property
    def status(self) -> str:
        return str(self.resource.get("status", "requested"))

    def set_status(self, status: str, reason: str = "") -> None:
        self.resource["status"] = status
        if reason:
            self.resource["error"] = reason  # R4 Subscription.error: why the server set error


def heartbeat_of(resource: dict[str, Any]) -> float:
    for ext in (resource.get("channel") or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == HEARTBEAT_EXT and isinstance(ext.get("valueUnsignedInt"), int):
            return float(ext["valueUnsignedInt"])
    return 0.0


def filters_of(resource: dict[str, Any]) -> list[str]:
    exts = (resource.get("_criteria") or {}).get("extension") or []
    return [str(e.get("valueString")) for e in exts if isinstance(e, dict) and e.get("url") == FILTER_EXT]


class Subscriptions:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.subs: dict[str, Sub] = {}
        self.counter = 0
        self.transport: httpx.AsyncBaseTransport | None = None  # the in-memory twin's receiver
        self._client: httpx.AsyncClient | None = None

    def link(self, transport: httpx.AsyncBaseTransport) -> None:
        """Deliver through this transport (an ASGI transport around the harness's receiver)."""
        self.transport = transport
        self._client = None

    def delay_s(self) -> float:
        value = self.faults.value(NOTIFICATION_DELAY) if self.faults.on(NOTIFICATION_DELAY) else None
        return int(value or 0) / 1000

    def add(self, resource: dict[str, Any], base: str) -> Sub:
        self.counter += 1
        resource = {**resource, "id": f"sub{self.counter}", "status": "requested",
                    "meta": {**(resource.get("meta") or {}), "versionId": "1", "lastUpdated": bundles.now()}}
        sub = Sub(resource, base)
        self.subs[resource["id"]] = sub
        if not self.faults.on(SUBSCRIPTION_NEVER_NOTIFIES):
            sub.queue.put_nowait(Item("handshake", time.monotonic()))
            sub.tasks.append(asyncio.create_task(self._deliver(sub)))
            if heartbeat_of(resource) > 0 and not self.faults.on(NOTIFICATION_NO_HEARTBEAT):
                sub.tasks.append(asyncio.create_task(self._heartbeat(sub, heartbeat_of(resource))))
        return sub

    def remove(self, sid: str) -> None:
        sub = self.subs.pop(sid, None)
        if sub is not None:
            for task in sub.tasks:
                task.cancel()

    def on_write(self, rtype: str, version: Version) -> None:
        """The sandbox's write hook: queue an event for every Subscription the write matches."""
        if version.resource is None:
            return
        for sub in list(self.subs.values()):
            if sub.status == "off" and not self.faults.on(SUBSCRIPTION_OFF_IGNORED):
                continue
            if self.faults.on(SUBSCRIPTION_NEVER_NOTIFIES) or not self._matches(sub, rtype, version):
                continue
            sub.events += 1
            number = "1" if self.faults.on(NOTIFICATION_WRONG_EVENT_NUMBERS) else str(sub.events)
            event = {"number": number, "timestamp": version.last_updated, "method": version.method,
                     "focus": f"{sub.base}/{rtype}/{version.resource['id']}/_history/{version.version_id}",
                     "resource": version.resource}
            self._queue_event(sub, Item("event-notification", time.monotonic() + self.delay_s(), event), sub.events)

    def _matches(self, sub: Sub, rtype: str, version: Version) -> bool:
        topic = TOPICS.get(str(sub.resource.get("criteria")))
        if topic is None or topic[0] != rtype or version.method not in topic[1]:
            return False
        for criteria in filters_of(sub.resource):
            ftype, _, query = criteria.partition("?")
            if ftype != rtype:
                return False
            parsed = search.parse(rtype, parse_qsl(query), False, Faults())
            if not search.run(parsed, [version.resource or {}], sub.base, Faults()):
                return False
        return True

    def _queue_event(self, sub: Sub, item: Item, n: int) -> None:
        f = self.faults
        if f.on(NOTIFICATION_DROP) and n >= 5 and n % 5 == 0:
            return
        if f.on(NOTIFICATION_DUPLICATE) and n >= 4 and n % 4 == 0:
            item.copies = 2
        focus = str((item.event or {}).get("focus", "")).split("/_history/")[0]
        if f.on(NOTIFICATION_REORDER) and n >= 4 and n % 5 == 4:
            sub.held[focus] = item
            asyncio.get_running_loop().call_later(REORDER_HOLD_S, self._release, sub, focus, item)
            return
        sub.queue.put_nowait(item)
        held = sub.held.pop(focus, None)
        if held is not None:
            sub.queue.put_nowait(held)

    def _release(self, sub: Sub, focus: str, item: Item) -> None:
        if sub.held.get(focus) is item:
            del sub.held[focus]
            sub.queue.put_nowait(item)

    async def _heartbeat(self, sub: Sub, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            if sub.status == "active" and time.monotonic() - sub.last_sent >= period * 0.9:
                sub.queue.put_nowait(Item("heartbeat", time.monotonic()))

    async def _deliver(self, sub: Sub) -> None:
        while True:
            item = await sub.queue.get()
            wait = item.due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if sub.status == "off" and item.kind != "handshake" and not self.faults.on(SUBSCRIPTION_OFF_IGNORED):
                continue
            ok = True
            for _ in range(item.copies):
                ok = await self._post(sub, item) and ok
            sub.last_sent = time.monotonic()
            if item.kind == "handshake" and ok and sub.status == "requested":
                sub.set_status("active")
            if not ok and sub.status != "off":
                self._delivery_failed(sub, item)
            if self.faults.on(NOTIFICATION_SLOW_UNDER_LOAD):
                await asyncio.sleep(SLOW_SEND_S)

    def _delivery_failed(self, sub: Sub, item: Item) -> None:
        """Report a failed delivery in the Subscription's status (unless a fault says otherwise)."""
        if self.faults.on(SUBSCRIPTION_ERRORS_UNREPORTED):
            return
        if self.faults.on(SUBSCRIPTION_ERROR_ONLY_ON_HANDSHAKE):
            # Status error only when the handshake fails, with a reason about the filter, not the delivery.
            if item.kind == "handshake":
                sub.set_status("error", "filter criteria refused: " + ", ".join(filters_of(sub.resource)))
            return
        sub.set_status("error", f"delivery of a {item.kind} notification to the endpoint failed")

    async def _post(self, sub: Sub, item: Item) -> bool:
        events = [item.event] if item.event else []
        since = "0" if item.kind == "handshake" else str(sub.events)
        if self.faults.on(NOTIFICATION_WRONG_EVENT_NUMBERS) and item.event:
            since = "1"
        body = bundles.notification(sub.resource, sub.base, item.kind, since, sub.status if item.kind != "handshake"
                                    else "active", events, self.faults)
        if self._client is None:
            # Generous: a harness in another process on a starved CPU (examples/targets/sandbox.toml under
            # load) may take seconds to answer; a 5 s limit turned that into "error" (issue 19).
            self._client = httpx.AsyncClient(transport=self.transport, timeout=DELIVERY_TIMEOUT_S)
        endpoint = str((sub.resource.get("channel") or {}).get("endpoint", ""))
        try:
            response = await self._client.post(endpoint, content=json.dumps(body).encode(),
                                                headers={"Content-Type": "application/fhir+json"})
        except httpx.HTTPError:
            return False
        return response.status_code < 300

    async def aclose(self) -> None:
        for sid in list(self.subs):
            self.remove(sid)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
