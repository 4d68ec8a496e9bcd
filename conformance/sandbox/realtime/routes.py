"""Endpoint B of the sandbox (``/fhir-b``): a second FHIR server that notifies by Subscription.

B serves A's data (it shares A's store: an instant replica, so every delay measured is the
notification's), declares the Subscriptions Backport IG in its CapabilityStatement, and answers
Subscription create/read/update/delete and ``$status``; anything else is answered by a clean
sandbox over the same store. Delivery goes to loopback endpoints only (or the in-memory twin).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.realtime.notifications import SERVER_CAPABILITY, SUBSCRIPTION_PROFILE, TOPIC_CANONICAL_EXT
from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir.capability import statement
from conformance.sandbox.fhir.responses import FhirError, error, fhir
from conformance.sandbox.realtime import bundles, topics
from conformance.sandbox.realtime.subscriptions import TOPICS, Subscriptions
from conformance.sandbox.realtime_faults import (
    SUBSCRIPTION_ACCEPTS_UNKNOWN_TOPIC,
    SUBSCRIPTION_CAPABILITY_REST_NOT_LIST,
    SUBSCRIPTION_REST_HOOK_REJECTED,
    SUBSCRIPTION_TOPIC_UNDECLARED,
)

if TYPE_CHECKING:
    from conformance.sandbox.fhir.app import Sandbox

PREFIX = "/fhir-b"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def b_statement(faults: Faults, date: str) -> dict[str, Any]:
    cap = copy.deepcopy(statement(Faults(), date))
    cap["instantiates"] = [SERVER_CAPABILITY]
    sub: dict[str, Any] = {"type": "Subscription", "supportedProfile": [SUBSCRIPTION_PROFILE],
                           "interaction": [{"code": c} for c in ("create", "read", "update", "delete", "search-type")],
                           "searchParam": [{"name": "_tag", "type": "token"}],
                           "operation": [{"name": "$status", "definition":
                                          "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/"
                                          "backport-subscription-status"}]}
    if not faults.on(SUBSCRIPTION_TOPIC_UNDECLARED):
        sub["extension"] = [{"url": TOPIC_CANONICAL_EXT, "valueCanonical": t} for t in TOPICS]
    cap["rest"][0]["resource"].append(sub)
    if not faults.on(SUBSCRIPTION_TOPIC_UNDECLARED):  # the Backport IG's Basic-wrapped topics
        cap["rest"][0]["resource"].append({"type": "Basic", "interaction": [{"code": "search-type"}],
                                           "searchParam": [{"name": "code", "type": "token"}]})
    if faults.on(SUBSCRIPTION_CAPABILITY_REST_NOT_LIST):
        cap["rest"] = cap["rest"][0]
    return cap


class EndpointB:
    def __init__(self, a: Sandbox, faults: Faults) -> None:
        self.replica = type(a)(Faults())
        self.replica.store = a.store
        self.faults = faults
        self.subs = Subscriptions(faults)
        a.on_write.append(self.subs.on_write)

    def base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + PREFIX

    async def handle(self, request: Request) -> Response:
        parts = [p for p in request.path_params.get("path", "").split("/") if p]
        try:
            if parts == ["metadata"] and request.method == "GET":
                return fhir(request, self.faults, b_statement(self.faults, self.replica.started))
            if parts[:1] == ["Subscription"]:
                return await self.subscription(request, parts[1:])
            if parts == ["Basic"] and request.method == "GET" and not self.faults.on(SUBSCRIPTION_TOPIC_UNDECLARED):
                return fhir(request, self.faults, topics.basic_topics(self.base(request), request.query_params))
        except FhirError as exc:
            return error(request, Faults(), exc)
        return await self.replica.handle(request)

    async def subscription(self, request: Request, rest: list[str]) -> Response:
        method = request.method
        if not rest and method == "POST":
            return self.create(request, await self.body(request))
        if not rest and method == "GET":
            return fhir(request, self.faults, self.search(request))
        sub = self.subs.subs.get(rest[0]) if rest else None
        if sub is None:
            raise FhirError(404, f"Subscription/{rest[0] if rest else ''} is not known", "not-found")
        if rest[1:] == ["$status"] and method in ("GET", "POST"):
            return fhir(request, self.faults, bundles.status_bundle(sub.resource, sub.base, str(sub.events),
                                                                    sub.status, self.faults))
        if len(rest) == 1 and method == "GET":
            return fhir(request, self.faults, sub.resource)
        if len(rest) == 1 and method == "DELETE":
            self.subs.remove(rest[0])
            return Response(status_code=204)
        if len(rest) == 1 and method == "PUT":
            body = await self.body(request)
            if body.get("status") not in ("off", "requested", "active"):
                raise FhirError(400, "a client may set status to off (or back to requested)", "invalid")
            version = str(int(sub.resource["meta"]["versionId"]) + 1)
            sub.resource["meta"] = {**sub.resource["meta"], "versionId": version, "lastUpdated": bundles.now()}
            sub.set_status("off" if body["status"] == "off" else sub.status)
            return fhir(request, self.faults, sub.resource, 200, {"ETag": f'W/"{version}"'})
        raise FhirError(405, f"{method} {request.url.path} is not supported", "not-supported")

    def create(self, request: Request, body: dict[str, Any]) -> Response:
        channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
        assert isinstance(channel, dict)
        topic = body.get("criteria")
        if topic not in TOPICS and not self.faults.on(SUBSCRIPTION_ACCEPTS_UNKNOWN_TOPIC):
            raise FhirError(400, f"unknown SubscriptionTopic {topic!r} (known: {', '.join(TOPICS)})", "not-supported")
        if channel.get("type") != "rest-hook":
            raise FhirError(400, "only rest-hook channels are supported", "not-supported")
        if self.faults.on(SUBSCRIPTION_REST_HOOK_REJECTED):
            raise FhirError(422, "channel type rest-hook is not enabled on this server", "not-supported")
        endpoint = str(channel.get("endpoint", ""))
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or (self.subs.transport is None and parts.hostname not in LOOPBACK):
            raise FhirError(400, f"channel.endpoint {endpoint!r}: the sandbox notifies loopback URLs only", "invalid")
        sub = self.subs.add(body, self.base(request))
        location = f"{self.base(request)}/Subscription/{sub.resource['id']}/_history/1"
        return fhir(request, self.faults, sub.resource, 201, {"Location": location, "ETag": 'W/"1"'})

    def search(self, request: Request) -> dict[str, Any]:
        """``Subscription?_tag=system|code`` (how ``conformance cleanup`` finds what a run left)."""
        wanted = [v for k, v in request.query_params.multi_items() if k == "_tag"]
        unknown = sorted({k for k in request.query_params if k not in ("_tag", "_count")})
        if unknown:
            raise FhirError(400, f"Subscription search supports _tag only, not {', '.join(unknown)}", "not-supported")
        subs = [s.resource for s in self.subs.subs.values() if all(_tagged(s.resource, v) for v in wanted)]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(subs), "entry": [
            {"fullUrl": f"{self.base(request)}/Subscription/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in subs]}

    async def body(self, request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise FhirError(400, f"the body is not valid JSON: {exc}", "structure") from exc
        if not isinstance(data, dict) or data.get("resourceType") != "Subscription":
            raise FhirError(400, "the body must be a Subscription", "invalid")
        return data


def _tagged(resource: dict[str, Any], value: str) -> bool:
    """Token search on meta.tag: ``system|code``, ``system|`` (any code), ``|code`` or ``code``; commas are ORs."""
    listed = (resource.get("meta") or {}).get("tag", [])
    tags = [(t.get("system"), t.get("code")) for t in listed if isinstance(t, dict)]
    for one in value.split(","):
        system, bar, code = one.rpartition("|") if "|" in one else ("", "", one)
        if any((not bar or s == (system or None)) and (not code or c == code) for s, c in tags):
            return True
    return False


def realtime_routes(a: Sandbox, faults: Faults) -> tuple[list[Route], EndpointB]:
    """The routes of endpoint B, and B itself (tests link its delivery to an in-memory receiver)."""
    b = EndpointB(a, faults)
    return [Route(PREFIX, b.handle, methods=METHODS), Route(PREFIX + "/{path:path}", b.handle, methods=METHODS)], b
