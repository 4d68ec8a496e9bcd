"""Notification bundles of the R4 Subscriptions Backport IG: read leniently, judge strictly.

The receiver must keep whatever arrives (a target that sends broken bundles is what we want to
report), so :func:`read` never raises: it pulls out what it can and :func:`problems` lists every
rule the bundle breaks. The constants are shared with the sandbox, which builds such bundles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance import safejson

IG = "http://hl7.org/fhir/uv/subscriptions-backport"
SUBSCRIPTION_PROFILE = f"{IG}/StructureDefinition/backport-subscription"
STATUS_PROFILE = f"{IG}/StructureDefinition/backport-subscription-status-r4"
NOTIFICATION_PROFILE = f"{IG}/StructureDefinition/backport-subscription-notification-r4"
SERVER_CAPABILITY = f"{IG}/CapabilityStatement/backport-subscription-server-r4"
TOPIC_CANONICAL_EXT = f"{IG}/StructureDefinition/capabilitystatement-subscriptiontopic-canonical"
FILTER_EXT = f"{IG}/StructureDefinition/backport-filter-criteria"
PAYLOAD_EXT = f"{IG}/StructureDefinition/backport-payload-content"
HEARTBEAT_EXT = f"{IG}/StructureDefinition/backport-heartbeat-period"
TIMEOUT_EXT = f"{IG}/StructureDefinition/backport-timeout"
TYPES = ("handshake", "heartbeat", "event-notification", "query-status", "query-event")
STATUSES = ("requested", "active", "error", "off", "entered-in-error")


@dataclass
class Event:
    number: str  # event-number (a string in R4: integer64 does not exist there)
    focus: str  # the focus reference, "" when absent
    resource: dict[str, Any] | None = None  # the focus resource when the payload is full-resource


@dataclass
class Notification:
    """One POST the receiver got, as far as it could be read."""

    arrived: float  # perf_counter when the body was in
    size: int
    sha256: str
    text: str  # the body, cut for evidence at the receiver's limit ([http] evidence_body_bytes)
    bundle: dict[str, Any] | None = None
    type: str = ""
    subscription: str = ""
    topic: str = ""
    status: str = ""
    events_since: str = ""
    events: list[Event] = field(default_factory=list)
    error: str = ""  # why the body is not a notification at all (not JSON, not a Bundle)
    unread: bool = False  # past safejson's limits: the harness did not read it, so nothing was judged
    cut: bool = False  # ``text`` is only the body's start (the whole body's size and SHA-256 are kept)


def _params(resource: dict[str, Any]) -> list[dict[str, Any]]:
    items = resource.get("parameter")
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def _value(param: dict[str, Any]) -> str:
    for key, value in param.items():
        if key.startswith("value"):
            if isinstance(value, dict):
                return str(value.get("reference", "")) if "reference" in value else safejson.dumps(value)
            return str(value)
    return ""


def status_parameters(bundle: dict[str, Any]) -> dict[str, Any] | None:
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return None
    first = entries[0].get("resource")
    return first if isinstance(first, dict) and first.get("resourceType") == "Parameters" else None


def read(body: bytes, arrived: float, sha256: str, keep: int = 4000) -> Notification:
    note = Notification(arrived, len(body), sha256, body[:keep].decode("utf-8", "replace"), cut=len(body) > keep)
    try:
        data = safejson.loads(body)
    except safejson.JsonLimitError as exc:
        note.error, note.unread = f"not read by the harness ({exc})", True
        return note
    except (ValueError, UnicodeDecodeError) as exc:
        note.error = f"not JSON ({exc})"
        return note
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        note.error = "not a FHIR Bundle"
        return note
    note.bundle = data
    status = status_parameters(data) or {}
    resources: dict[str, dict[str, Any]] = {}
    in_order: list[dict[str, Any]] = []  # the focus resources, for events that name no focus
    for entry in (data.get("entry") or [])[1:]:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            res = entry["resource"]
            resources[f"{res.get('resourceType')}/{res.get('id')}"] = res
            in_order.append(res)
    for param in _params(status):
        name = param.get("name")
        if name == "notification-event":
            parts = {p.get("name"): p for p in param.get("part") or [] if isinstance(p, dict)}
            focus = _value(parts["focus"]) if "focus" in parts else ""
            plain = "/".join(focus.split("/_history/")[0].split("/")[-2:]) if focus else ""
            number = _value(parts["event-number"]) if "event-number" in parts else ""
            n = len(note.events)
            resource = resources.get(plain) if focus else (in_order[n] if n < len(in_order) else None)
            note.events.append(Event(number, focus, resource))
        elif name in ("subscription", "topic", "status", "type"):
            setattr(note, str(name), _value(param))
        elif name == "events-since-subscription-start":
            note.events_since = _value(param)
    return note


def problems(note: Notification) -> list[str]:
    """Every rule of the notification bundle profile that this notification breaks."""
    if note.error or note.bundle is None:
        return [note.error or "not a Bundle"]
    out = []
    bundle = note.bundle
    if bundle.get("type") != "history":
        out.append(f"Bundle.type is {bundle.get('type')!r}, not 'history'")
    status = status_parameters(bundle)
    if status is None:
        return [*out, "the first entry is not a SubscriptionStatus Parameters resource"]
    names = [p.get("name") for p in _params(status)]
    for required in ("subscription", "topic", "status", "type"):
        if names.count(required) != 1:
            out.append(f"SubscriptionStatus has {names.count(required)} '{required}' parameter(s), expected 1")
    if note.type and note.type not in TYPES:
        out.append(f"type {note.type!r} is not one of {', '.join(TYPES)}")
    if note.status and note.status not in STATUSES:
        out.append(f"status {note.status!r} is not a Subscription status")
    if note.events_since and not note.events_since.isdigit():
        out.append(f"events-since-subscription-start {note.events_since!r} is not a whole number")
    for event in note.events:
        if not event.number.isdigit():
            out.append(f"notification-event has event-number {event.number!r}, not a whole number")
    if note.type == "event-notification" and not note.events:
        out.append("an event-notification with no notification-event")
    for n, entry in enumerate(bundle.get("entry") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict) or \
                not isinstance(entry.get("response"), dict):
            out.append(f"entry[{n}] lacks request or response (required in a history Bundle)")
    return out
