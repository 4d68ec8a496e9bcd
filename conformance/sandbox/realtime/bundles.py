"""Notification and $status bundles the sandbox's endpoint B sends (R4 Subscriptions Backport IG).

The faults that break a bundle's shape are applied here, where the bundle is built.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from conformance.realtime.notifications import NOTIFICATION_PROFILE, STATUS_PROFILE
from conformance.sandbox.faults import Faults
from conformance.sandbox.realtime_faults import (
    NOTIFICATION_INVALID_BUNDLE,
    NOTIFICATION_NO_FOCUS,
    SUBSCRIPTION_STATUS_STALE,
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_resource(sub: dict[str, Any], base: str, kind: str, since: str, status: str,
                    events: list[dict[str, Any]], faults: Faults) -> dict[str, Any]:
    """The SubscriptionStatus (a Parameters resource in R4) of a notification or of $status."""
    params: list[dict[str, Any]] = [
        {"name": "subscription", "valueReference": {"reference": f"{base}/Subscription/{sub['id']}"}},
        {"name": "topic", "valueCanonical": sub.get("criteria", "")},
        {"name": "status", "valueCode": status},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": since},
    ]
    if faults.on(NOTIFICATION_INVALID_BUNDLE) and kind != "query-status":
        params = [p for p in params if p["name"] != "status"]
    for event in events:
        parts: list[dict[str, Any]] = [{"name": "event-number", "valueString": event["number"]},
                                       {"name": "timestamp", "valueInstant": event["timestamp"]}]
        if event.get("focus") and not faults.on(NOTIFICATION_NO_FOCUS):
            parts.append({"name": "focus", "valueReference": {"reference": event["focus"]}})
        params.append({"name": "notification-event", "part": parts})
    return {"resourceType": "Parameters", "id": str(uuid.uuid4()), "meta": {"profile": [STATUS_PROFILE]},
            "parameter": params}


def notification(sub: dict[str, Any], base: str, kind: str, since: str, status: str,
                 events: list[dict[str, Any]], faults: Faults) -> dict[str, Any]:
    """A history Bundle: the SubscriptionStatus first, then the focus resources (full-resource)."""
    status_entry = {"fullUrl": f"urn:uuid:{uuid.uuid4()}",
                    "resource": status_resource(sub, base, kind, since, status, events, faults),
                    "request": {"method": "GET", "url": f"{base}/Subscription/{sub['id']}/$status"},
                    "response": {"status": "200"}}
    entries = [status_entry]
    content = payload_content(sub)
    for event in events:
        resource = event.get("resource")
        if content == "empty" or resource is None:
            continue
        entry: dict[str, Any] = {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                                 "request": {"method": event["method"],
                                             "url": f"{resource['resourceType']}/{resource['id']}"},
                                 "response": {"status": "201" if event["method"] == "POST" else "200"}}
        if content == "full-resource":
            entry["resource"] = resource
        entries.append(entry)
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"profile": [NOTIFICATION_PROFILE]},
              "type": "history", "timestamp": now(), "entry": entries}
    if faults.on(NOTIFICATION_INVALID_BUNDLE):
        bundle["type"] = "collection"
        for entry in entries:
            entry.pop("request", None)
            entry.pop("response", None)
    return bundle


def status_bundle(sub: dict[str, Any], base: str, since: str, status: str, faults: Faults) -> dict[str, Any]:
    """The answer to ``Subscription/{id}/$status``: a searchset with one SubscriptionStatus."""
    if faults.on(SUBSCRIPTION_STATUS_STALE):
        since, status = "0", "requested"
    resource = status_resource(sub, base, "query-status", since, status, [], faults)
    return {"resourceType": "Bundle", "type": "searchset", "total": 1,
            "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource, "search": {"mode": "match"}}]}


def payload_content(sub: dict[str, Any]) -> str:
    from conformance.realtime.notifications import PAYLOAD_EXT

    payload = (sub.get("channel") or {}).get("_payload") or {}
    for ext in payload.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == PAYLOAD_EXT:
            return str(ext.get("valueCode", "id-only"))
    return "id-only"
