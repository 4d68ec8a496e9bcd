"""An exchange scenario: write events in A at a rate, observe them in B's notifications, measure.

Each event is an update of one of a few synthetic patients carrying a marker identifier, so a
notification names its event by the resource it carries (full-resource payload) or by the versioned
focus reference (id-only), matched to the version the write created. The clock starts just before
each write is sent and stops when the notification's body is in at the receiver.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.fhir.client import FhirClient
from conformance.realtime.receiver import Inbox
from conformance.realtime.stats import Arrival, Measurement, Sent, measure
from conformance.transports.http import HttpResponse

MARK_SYSTEM = "https://conformance.example/realtime/event"


def _version(response: HttpResponse, body: Any) -> str:
    etag = response.headers.get("etag", "")
    if etag:
        return str(etag.removeprefix("W/").strip('"'))
    meta = body.get("meta") if isinstance(body, dict) else None
    return str(meta.get("versionId", "")) if isinstance(meta, dict) else ""


def patient(pid: str | None, tag: dict[str, str], key: str, seq: int,
            also: tuple[dict[str, str], ...] = ()) -> dict[str, Any]:
    """A synthetic patient carrying ``tag`` (the Subscription's filter: as a tag and as an identifier) and the
    tags in ``also`` (the run's)."""
    # The tag is an identifier too, so a topic that lets subscribers filter by identifier but not _tag works.
    body: dict[str, Any] = {"resourceType": "Patient", "meta": {"tag": [dict(tag), *map(dict, also)]}, "active": True,
                            "identifier": [{"system": MARK_SYSTEM, "value": key},
                                           {"system": tag["system"], "value": tag["code"]}],
                            "name": [{"family": "Realtime", "given": [f"Event{seq}"]}]}
    if pid:
        body["id"] = pid
    return body


@dataclass
class Scenario:
    fhir: FhirClient  # endpoint A
    inbox: Inbox  # the Subscription on B that should see A's writes
    tag: dict[str, str]  # every patient written carries it (the Subscription's filter)
    also: tuple[dict[str, str], ...] = ()  # more tags every patient carries (the run's, for clean-up)
    created: list[str] | None = None  # where each patient's id goes as soon as it exists (for clean-up)
    patients: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # "Patient/1/_history/3" -> key
    failed_writes: list[str] = field(default_factory=list)
    _scanned: int = 0
    _seen: set[str] = field(default_factory=set)

    async def setup(self, count: int) -> None:
        """Create the patients the events update (their own notifications are not measured)."""
        for n in range(count):
            response = await self.fhir.post("Patient", patient(None, self.tag, f"{self.tag['code']}-setup{n}", 0,
                                                                 self.also))
            try:
                body = await response.ajson() if response.content else {}
            except ValueError:
                body = {}
            if response.status_code >= 300 or not isinstance(body, dict) or "id" not in body:
                self.failed_writes.append(f"creating patient {n + 1} answered {response.status_code}")
                return
            self.patients.append(str(body["id"]))
            if self.created is not None:
                self.created.append(str(body["id"]))

    async def write(self, events: int, rate: float, first_seq: int = 1) -> None:
        """``events`` updates at ``rate`` per second, round robin over the patients, one at a time."""
        start = time.perf_counter()
        for i in range(events):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            seq = first_seq + i
            pid = self.patients[i % len(self.patients)]
            key = f"{self.tag['code']}-{seq}"
            at = time.perf_counter()
            response = await self.fhir.put(f"Patient/{pid}", patient(pid, self.tag, key, seq, self.also))
            if response.status_code >= 300:
                self.failed_writes.append(f"update {seq} of Patient/{pid} answered {response.status_code}")
                continue
            self.sent.append(Sent(seq, pid, key, at))
            try:
                body = await response.ajson() if response.content else {}
            except ValueError:
                body = {}
            self.versions[f"Patient/{pid}/_history/{_version(response, body)}"] = key

    def key_of(self, focus: str, resource: dict[str, Any] | None) -> str:
        if resource is not None:
            for ident in resource.get("identifier") or []:
                if isinstance(ident, dict) and ident.get("system") == MARK_SYSTEM:
                    return str(ident.get("value", ""))
        tail = "/".join(focus.split("/")[-4:])
        return self.versions.get(tail, "")

    def arrivals(self) -> list[Arrival]:
        return [Arrival(self.key_of(e.focus, e.resource), n.arrived) for n in self.inbox.notes for e in n.events]

    def all_seen(self) -> bool:
        notes = self.inbox.notes
        for note in notes[self._scanned:]:
            for event in note.events:
                self._seen.add(self.key_of(event.focus, event.resource))
        self._scanned = len(notes)
        return all(s.key in self._seen for s in self.sent)

    async def settle(self, seconds: float) -> None:
        """Wait for what is still in flight: until every event is seen, or ``seconds`` pass."""
        self._scanned = 0  # versions learnt after an arrival make earlier arrivals matchable
        self._seen.clear()
        await self.inbox.wait_for(self.all_seen, seconds)

    def measure(self, first_seq: int = 1) -> Measurement:
        """The events from ``first_seq`` on (a load level); arrivals of earlier ones are ignored."""
        return measure([s for s in self.sent if s.seq >= first_seq], self.arrivals())
