"""The sandbox's FHIR R4 REST API as a Starlette app (http.html: read, vread, update, delete, history,
create, search), with the fault switches applied at the points where real servers go wrong.

One catch-all route dispatches by path shape, so every error (unknown type, bad method, malformed
URL) still answers an OperationOutcome instead of the framework's plain-text pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.sandbox.faults import (
    ACCEPTS_INVALID_CODE,
    ACCEPTS_INVALID_RESOURCE,
    ACCEPTS_WRONG_TYPE_BODY,
    CLINICAL_TYPES,
    CONDITIONAL_CREATE_DUPLICATES,
    CREATE_200_NOT_201,
    CREATE_201_NO_ID,
    CREATE_HEADERS_BARE,
    CREATE_NO_LOCATION,
    DELETE_THEN_200,
    DIRECTORY_TYPES,
    ETAG_MISSING,
    IF_MATCH_IGNORED,
    NOT_FOUND_NO_OUTCOME,
    READ_DROPS_IDENTIFIER,
    SERVED_TYPES,
    UNKNOWN_TYPE_200,
    UPDATE_KEEPS_VERSION,
    VREAD_IGNORES_VERSION,
    Faults,
)
from conformance.sandbox.fhir import bedside, bundles, chains, gs1, profiles, search
from conformance.sandbox.fhir.asgi import SandboxApp
from conformance.sandbox.fhir.capability import is_r4_type, statement
from conformance.sandbox.fhir.responses import (
    FhirError,
    encode,
    error,
    fhir,
    fhir_base,
    html_not_found,
    outcome,
    wants_json,
)
from conformance.sandbox.fhir.store import Store, Version
from conformance.sandbox.fhir.validate import code_problems, problems
from conformance.sandbox.profile_faults import PROFILES_SEARCH_EMPTY


class Sandbox:
    """One server's state: its faults, its store and when it started (the statement's date)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.store = Store()
        gs1.seed(self.store, faults)
        self.started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._statement: bytes | None = None
        # Called after every create and update (endpoint B's subscriptions listen here).
        self.on_write: list[Callable[[str, Version], None]] = []

    async def handle(self, request: Request) -> Response:
        try:
            if not wants_json(request, self.faults):
                raise FhirError(406, "this server serves FHIR JSON only (application/fhir+json)", "not-supported")
            return await self.dispatch(request)
        except FhirError as exc:
            return error(request, self.faults, exc)
        except search.UnknownParamCrash as exc:
            return fhir(request, self.faults, outcome(f"java.lang.NullPointerException: {exc}", "exception"), 500)

    async def dispatch(self, request: Request) -> Response:
        parts = [p for p in request.path_params.get("path", "").split("/") if p]
        method = request.method
        if parts == ["metadata"] and method == "GET":
            if self._statement is None:  # 29 KB the same on every /metadata: encoded once
                self._statement = encode(statement(self.faults, self.started))
            return fhir(request, self.faults, self._statement)
        if not parts or parts[0] == "metadata":
            raise FhirError(405, f"{method} {request.url.path} is not supported", "not-supported")
        rtype = parts[0]
        if rtype not in SERVED_TYPES:
            if self.faults.on(UNKNOWN_TYPE_200) and not is_r4_type(rtype):
                return fhir(request, self.faults, {"resourceType": "Bundle", "type": "searchset", "total": 0})
            known = "is not served here" if is_r4_type(rtype) else "is not a FHIR R4 resource type"
            raise FhirError(404, f"resource type {rtype!r} {known}", "not-supported")
        shape = (len(parts), method)
        if shape == (1, "GET"):
            return self.search(request, rtype, list(request.query_params.multi_items()))
        if shape == (1, "POST"):
            return await self.create(request, rtype)
        if len(parts) == 2 and parts[1] == "_search" and method == "POST":
            form = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
            return self.search(request, rtype, [*request.query_params.multi_items(), *form])
        if len(parts) >= 2 and parts[1].startswith("_"):
            raise FhirError(400, f"operation {parts[1]!r} is not supported", "not-supported")
        rid = parts[1]
        if shape == (2, "GET"):
            return self.read(request, rtype, rid)
        if shape == (2, "PUT"):
            return await self.update(request, rtype, rid)
        if shape == (2, "DELETE"):
            return self.delete(request, rtype, rid)
        if shape == (3, "GET") and parts[2] == "_history":
            versions = self._known(request, rtype, rid)
            return fhir(request, self.faults, bundles.history(rtype, rid, versions, fhir_base(request), self.faults))
        if shape == (4, "GET") and parts[2] == "_history":
            return self.vread(request, rtype, rid, parts[3])
        raise FhirError(405, f"{method} {request.url.path} is not supported", "not-supported")

    # -- interactions -------------------------------------------------------------------------

    def read(self, request: Request, rtype: str, rid: str) -> Response:
        current = self._known(request, rtype, rid)[-1]
        if current.resource is None:
            raise FhirError(410, f"{rtype}/{rid} was deleted", "deleted")
        body = dict(current.resource)
        if self.faults.on(READ_DROPS_IDENTIFIER):
            body.pop("identifier", None)
        headers = self._headers(current)
        if self.faults.on(ETAG_MISSING):
            headers.pop("ETag")
        return fhir(request, self.faults, body, 200, headers)

    def vread(self, request: Request, rtype: str, rid: str, vid: str) -> Response:
        versions = self._known(request, rtype, rid)
        if self.faults.on(VREAD_IGNORES_VERSION) and versions[-1].resource is not None:
            found: Version | None = versions[-1]
        else:
            found = next((v for v in versions if v.version_id == vid), None)
        if found is None:
            raise FhirError(404, f"{rtype}/{rid} has no version {vid!r}", "not-found")
        if found.resource is None:
            raise FhirError(410, f"version {vid} of {rtype}/{rid} is a delete", "deleted")
        return fhir(request, self.faults, found.resource, 200, self._headers(found))

    async def create(self, request: Request, rtype: str) -> Response:
        resource = await self._body(request, rtype)
        condition = request.headers.get("if-none-exist")
        if condition and not self.faults.on(CONDITIONAL_CREATE_DUPLICATES):
            query = search.parse(rtype, parse_qsl(condition.split("?", 1)[-1]), True, self.faults)
            existing = search.run(query, self.store.live(rtype), fhir_base(request), self.faults)
            if len(existing) > 1:
                raise FhirError(412, f"If-None-Exist matches {len(existing)} resources", "duplicate")
            if existing:
                found = self.store.current(rtype, existing[0]["id"])
                assert found is not None
                return self._written(request, rtype, found, 200)
        version = self.store.create(rtype, resource)
        for hook in self.on_write:
            hook(rtype, version)
        status = 200 if self.faults.on(CREATE_200_NOT_201) and rtype in DIRECTORY_TYPES else 201
        if self.faults.on(CREATE_201_NO_ID) and rtype in CLINICAL_TYPES:
            return fhir(request, self.faults, None, 201, self._headers(version))
        omit_location = self.faults.on(CREATE_NO_LOCATION) and rtype in CLINICAL_TYPES
        answer = self._written(request, rtype, version, status, omit_location)
        if self.faults.on(CREATE_HEADERS_BARE) and rtype in DIRECTORY_TYPES:
            # node-fhir-server-core's answer: Location relative to the root without _history, ETag unquoted
            answer.headers["Location"] = f"fhir/{rtype}/{version.resource['id'] if version.resource else ''}"
            answer.headers["ETag"] = version.version_id
        return answer

    async def update(self, request: Request, rtype: str, rid: str) -> Response:
        resource = await self._body(request, rtype)
        if resource.get("id") != rid:
            raise FhirError(400, f"the body's id {resource.get('id')!r} must equal the URL's id {rid!r}", "invalid")
        versions = self.store.history(rtype, rid)
        if not versions:
            raise FhirError(404, f"{rtype}/{rid} is not known (this server does not create on update)", "not-found")
        if_match = request.headers.get("if-match")
        if if_match and not self.faults.on(IF_MATCH_IGNORED):
            wanted = if_match.strip().removeprefix("W/").strip('"')
            if wanted != versions[-1].version_id:
                raise FhirError(412, f"If-Match {if_match} is stale: current version is "
                                     f"{versions[-1].version_id}", "conflict")
        version = self.store.update(rtype, rid, resource)
        for hook in self.on_write:
            hook(rtype, version)
        if self.faults.on(UPDATE_KEEPS_VERSION) and version.resource is not None:
            stale = versions[-1].version_id
            shown = {**version.resource, "meta": {**version.resource["meta"], "versionId": stale}}
            version = Version(stale, version.last_updated, version.method, shown)
        return self._written(request, rtype, version, 200)

    def delete(self, request: Request, rtype: str, rid: str) -> Response:
        current = self._known(request, rtype, rid)[-1]
        if self.faults.on(DELETE_THEN_200):
            return fhir(request, self.faults, outcome(f"deleted {rtype}/{rid}", "informational", "information"))
        if current.resource is not None:
            current = self.store.delete(rtype, rid)
        return fhir(request, self.faults, None, 204, {"ETag": f'W/"{current.version_id}"'})

    def search(self, request: Request, rtype: str, items: list[tuple[str, str]]) -> Response:
        strict = "handling=strict" in request.headers.get("prefer", "").replace(" ", "")
        items, chained = chains.split(rtype, items)
        query = search.parse(rtype, items, strict, self.faults)
        query.used.extend((c.name, c.value) for c in chained)
        base = fhir_base(request)
        matches = search.run(query, self.store.live(rtype), base, self.faults)
        matches = chains.apply(chained, matches, self.store, base, self.faults)
        if self.faults.on(PROFILES_SEARCH_EMPTY):
            matches = []
        return fhir(request, self.faults, bundles.searchset(query, matches, self.store, base, self.faults))

    # -- helpers --------------------------------------------------------------------------------

    def _known(self, request: Request, rtype: str, rid: str) -> list[Version]:
        versions = self.store.history(rtype, rid)
        if not versions:
            raise FhirError(404, f"{rtype}/{rid} is not known", "not-found")
        return versions

    async def _body(self, request: Request, rtype: str) -> dict[str, Any]:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and "json" not in media:
            raise FhirError(415, f"Content-Type {media!r} is not supported; send application/fhir+json",
                            "not-supported")
        try:
            resource = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise FhirError(400, f"the body is not valid JSON: {exc}", "structure") from exc
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise FhirError(400, "the body must be a JSON object with a resourceType", "structure")
        body_type = resource["resourceType"]
        if body_type != rtype and not self.faults.on(ACCEPTS_WRONG_TYPE_BODY):
            raise FhirError(400, f"the body is a {body_type}, but the URL is for {rtype}", "invalid")
        if not self.faults.on(ACCEPTS_INVALID_RESOURCE):
            found = problems(body_type, resource)
            if found:
                raise FhirError(400, "invalid resource: " + "; ".join(found), "structure")
        if not self.faults.on(ACCEPTS_INVALID_CODE):
            codes = code_problems(body_type, resource)
            if codes:
                raise FhirError(400, "invalid code: " + "; ".join(codes), "code-invalid")
        stored = profiles.apply(gs1.apply(resource, self.faults), self.faults)
        return bedside.apply(stored, self.store, self.faults)

    def _headers(self, version: Version) -> dict[str, str]:
        return {"ETag": f'W/"{version.version_id}"', "Last-Modified": bundles.http_date(version.last_updated)}

    def _written(self, request: Request, rtype: str, version: Version, status: int,
                 omit_location: bool = False) -> Response:
        """The answer to create/update: Location, ETag, Last-Modified and the body the client Prefers."""
        assert version.resource is not None
        rid = version.resource["id"]
        headers = self._headers(version)
        location = f"{fhir_base(request)}/{rtype}/{rid}/_history/{version.version_id}"
        if not omit_location:
            headers["Location"] = location
        prefer = request.headers.get("prefer", "").replace(" ", "")
        if "return=minimal" in prefer:
            body: dict[str, Any] | None = None
        elif "return=OperationOutcome" in prefer:
            body = outcome(f"{rtype}/{rid} version {version.version_id} stored", "informational", "information")
        else:
            body = version.resource
        return fhir(request, self.faults, body, status, headers)


def create_app(faults: Faults) -> SandboxApp:
    """A fresh sandbox (empty store) answering FHIR R4 at ``/fhir``."""
    sandbox = Sandbox(faults)

    async def endpoint(request: Request) -> Response:
        response = await sandbox.handle(request)
        if response.status_code == 404 and faults.on(NOT_FOUND_NO_OUTCOME):
            return html_not_found() if _unknown_id(request) else response
        return response

    def _unknown_id(request: Request) -> bool:
        parts = [p for p in request.path_params.get("path", "").split("/") if p]
        return len(parts) == 2 and parts[0] in SERVED_TYPES and request.method == "GET"

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    from conformance.sandbox.hl7v2.trigger import trigger_route
    from conformance.sandbox.realtime.routes import realtime_routes

    fhir_routes = [Route("/fhir", endpoint, methods=methods), Route("/fhir/{path:path}", endpoint, methods=methods)]
    routes = [*fhir_routes, trigger_route(faults)]
    b_routes, app_b = realtime_routes(sandbox, faults)  # /fhir-b...: never a path the FHIR routes match
    routes = [*b_routes, *routes]
    from conformance.sandbox.api import api_routes

    routes += api_routes(faults, sandbox)
    app = SandboxApp(routes, fhir_routes, "/fhir")
    app.state.sandbox = sandbox
    app.state.realtime = app_b.subs
    app.state.api = getattr(sandbox, "api", None)
    return app
