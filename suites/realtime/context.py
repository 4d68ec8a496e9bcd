"""The realtime suite's context: FHIR clients on A (written to) and B (notifies), the notification
receiver, and the Subscriptions the suite creates (deleted at the end, as are the patients).

The receiver starts when a check first needs it, so a target that declares no subscriptions never
opens a port, and a taken port is that check's error in one sentence. The in-memory twin
(``links.realtime_link``) hands the receiver's app to the sandbox instead of serving it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from conformance.checks import BaseContext, SuiteRuntime, skip, suite
from conformance.cleanup.fhir import sweep_tag
from conformance.evidence.capture import record
from conformance.fhir.client import FhirClient
from conformance.fhir.tags import TAG_SYSTEM, run_tag
from conformance.model import Evidence
from conformance.realtime.notifications import FILTER_EXT, HEARTBEAT_EXT, PAYLOAD_EXT, Notification
from conformance.realtime.receiver import Inbox, Receiver
from conformance.realtime.settings import RealtimeSettings, listen_address
from conformance.targets import Target
from conformance.transports.http import HttpResponse, HttpTransport, TransportError
from conformance.writeguard import is_sandbox

SUITE_ID = "realtime"
DECLARED = "realtime.subscription.declared"
MEMORY_BASE = "http://receiver.test"
Link = Callable[[Any], None]


class RealtimeContext(BaseContext):
    def __init__(self, target: Target, transport: Any, link: Link | None, run_id: str) -> None:
        super().__init__(target)
        self.rt: RealtimeSettings = target.realtime
        self.filter = self.rt.filter  # the one Subscriptions carry: create may pick one the topic allows
        endpoints = target.endpoints
        self.a_url, self.b_url = self.rt.endpoint_a(endpoints), self.rt.endpoint_b(endpoints)
        read_only = not is_sandbox(target)
        self.http_a = HttpTransport(target.http, target.auth, transport=transport, origin=self.a_url or None,
                                    read_only=read_only)
        self.http_b = HttpTransport(target.http, target.auth, transport=transport, origin=self.b_url or None,
                                    read_only=read_only)
        self.a = FhirClient(self.a_url or "http://unset.invalid", self.http_a)
        self.b = FhirClient(self.b_url or "http://unset.invalid", self.http_b)
        self.link = link
        self.evidence_keep: int = target.http.evidence_body_bytes  # notification text kept in evidence
        self.run_tag = run_id or secrets.token_hex(4)
        self.run_coding = run_tag(self.run_tag)  # on everything written, for `conformance cleanup --run`
        # ...and this suite's own, which its clean-up sweeps for at the end (other suites of the run may
        # still be writing under the run's tag)
        self.suite_coding = {"system": TAG_SYSTEM, "code": f"rt-{self.run_tag}"}
        self.wrote = False
        self.receiver_: Receiver | None = None
        self._lock = asyncio.Lock()
        self.subscriptions: list[str] = []
        self.patients: list[str] = []
        self.tags: list[dict[str, str]] = []  # every tag handed out: a cut-short clean-up searches them

    def tag(self, purpose: str) -> dict[str, str]:
        tag = {"system": TAG_SYSTEM, "code": f"rt-{self.run_tag}-{purpose}-{secrets.token_hex(3)}"}
        self.tags.append(tag)
        return tag

    async def sweep(self) -> None:
        """After checks were cancelled mid-write: delete the patients on A carrying one of our tags (a
        create whose answer never came back, a scenario stopped before it listed its patients)."""
        for tag in self.tags:
            await sweep_tag(self.a, f"{tag['system']}|{tag['code']}")

    async def receiver(self) -> Receiver:
        async with self._lock:
            if self.receiver_ is None:
                receiver = Receiver(self.evidence_keep)
                if self.link is not None:
                    receiver.base_url = MEMORY_BASE
                    self.link(receiver.app)
                else:
                    await receiver.serve(*listen_address(self.rt.listen))
                self.receiver_ = receiver
            return self.receiver_

    def notify_url(self, receiver: Receiver, inbox: Inbox, failing: bool = False) -> str:
        url = receiver.url(inbox, failing)
        if self.rt.notify_url:
            return self.rt.notify_url.rstrip("/") + url.removeprefix(receiver.base_url)
        return url

    def subscription(self, topic: str, endpoint: str, tag: dict[str, str], heartbeat: float = 0) -> dict[str, Any]:
        """A backport Subscription: rest-hook, full-resource, filtered to our tag."""
        channel: dict[str, Any] = {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json",
                                   "_payload": {"extension": [{"url": PAYLOAD_EXT, "valueCode": "full-resource"}]}}
        if heartbeat:
            channel["extension"] = [{"url": HEARTBEAT_EXT, "valueUnsignedInt": max(1, round(heartbeat))}]
        criteria = self.filter.replace("{tag}", f"{tag['system']}|{tag['code']}")
        return {"resourceType": "Subscription", "meta": {"tag": [*self.codings(), dict(tag)]},
                "status": "requested", "reason": "conformance realtime check",
                "criteria": topic, "_criteria": {"extension": [{"url": FILTER_EXT, "valueString": criteria}]},
                "channel": channel}

    def codings(self) -> tuple[dict[str, str], ...]:
        """The run's and the suite's tags, carried by everything the suite writes."""
        return dict(self.run_coding), dict(self.suite_coding)

    async def subscribe(self, topic: str, tag: dict[str, str], heartbeat: float = 0,
                        failing: bool = False) -> tuple[HttpResponse, Inbox, str]:
        """POST a Subscription on B whose notifications go to a fresh inbox; the id is '' if none came back."""
        receiver = await self.receiver()
        inbox = receiver.inbox()
        body = self.subscription(topic, self.notify_url(receiver, inbox, failing), tag, heartbeat)
        self.wrote = True
        response = await self.b.post("Subscription", body)
        sid = ""
        if 200 <= response.status_code < 300:
            try:
                data = await response.ajson()
            except ValueError:
                data = {}
            found = data.get("id") if isinstance(data, dict) else None
            sid = found if isinstance(found, str) else ""
            if sid:
                self.subscriptions.append(sid)
        return response, inbox, sid

    def require_endpoints(self) -> None:
        if not self.a_url or not self.b_url:
            skip("no FHIR endpoint to write to (endpoints.fhir or realtime.a)")

    async def aclose(self) -> None:
        try:
            for sid in self.subscriptions:
                try:
                    await self.b.delete(f"Subscription/{sid}")
                except TransportError:
                    continue
            if self.target.sandbox:
                if self.cut_short:
                    await self.sweep()
                for pid in self.patients:
                    try:
                        await self.a.delete(f"Patient/{pid}")
                    except TransportError:
                        continue
                if self.wrote:  # whatever still carries the suite's tag (a write cut short)
                    tag = f"{TAG_SYSTEM}|{self.suite_coding['code']}"
                    for client in (self.b, self.a) if self.b_url != self.a_url else (self.a,):
                        await sweep_tag(client, tag)
        finally:
            if self.receiver_ is not None:
                await self.receiver_.aclose()
            await self.http_a.aclose()
            await self.http_b.aclose()


def record_notes(notes: list[Notification], limit: int = 5, what: str = "notification") -> None:
    """Evidence of what arrived: each body's size, SHA-256 and text (the first ``limit`` in full)."""
    for n, note in enumerate(notes):
        data: dict[str, Any] = {"direction": "received", "size": note.size, "sha256": note.sha256,
                                "type": note.type or None, "events": [e.number for e in note.events]}
        if n < limit:
            data["text"] = note.text  # the whole body up to [http] evidence_body_bytes
            if note.cut:
                data["text_truncated"] = True
        record(Evidence(kind="notification", summary=f"{what} {n + 1}: {note.type or note.error or 'no type'}",
                        data=data))
    if not notes:
        record(Evidence(kind="notification", summary="nothing arrived", data={"count": 0}))


async def make_context(runtime: SuiteRuntime) -> RealtimeContext:
    return RealtimeContext(runtime.target, runtime.links.http_transport,
                           runtime.links.realtime_link, runtime.run_id)


SUITE = suite(
    id=SUITE_ID,
    title="Real-time exchange: FHIR Subscriptions and notification latency",
    context=make_context,
    description="Endpoint B's Subscriptions (R4 Subscriptions Backport IG, rest-hook): handshake, heartbeats, "
    "events and their numbering, $status, error and off states, valid bundles; then exchange scenarios that "
    "write in A and time B's notifications: latency distribution, losses, duplicates, order, load levels.",
)
