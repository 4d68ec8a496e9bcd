"""The sandbox's non-FHIR API (appointments, bed state), its OAuth2 endpoints, and a SMART-protected
view of the sandbox's FHIR server, as Starlette routes mounted beside ``/fhir``.

The open ``/fhir`` stays anonymous for the FHIR suites; ``/smart/fhir`` is the same server behind
tokens and scopes, which is what the security suite judges. Faults are applied where real APIs go
wrong: the handler, the token check, the error body.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from conformance.fhir.tags import RUN_HEADER
from conformance.sandbox.api import oauth
from conformance.sandbox.api.document import STATUSES, document
from conformance.sandbox.api_faults import (
    API_401_WITH_DATA,
    API_429_WITHOUT_RETRY_AFTER,
    API_500_ON_EDGE_CASE,
    API_ANONYMOUS_READ,
    API_DOC_REQUIRES_AUTH,
    API_ECHOES_TOKEN_IN_ERROR,
    API_NO_HSTS,
    API_RESPONSE_BREAKS_SCHEMA,
    API_UNDOCUMENTED_CONTENT_TYPE,
    API_UNDOCUMENTED_OPERATION,
    API_UNDOCUMENTED_STATUS,
    SMART_CAPABILITY_DISAGREES,
)
from conformance.sandbox.faults import Faults

ALL = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
RATE_LIMIT = (40, 60.0)  # requests per token per window of seconds, on GET /api/appointments
SEED = [{"id": f"apt-{n}", "patient": f"999000{n:04d}", "clinic": clinic, "start": f"2030-01-0{n}T09:30:00Z",
         "status": status} for n, clinic, status in (
    (1, "Cardiology", "booked"), (2, "Dermatology", "arrived"), (3, "Cardiology", "cancelled"),
    (4, "Fracture clinic", "booked"))]


def _error(status: int, message: str, request: Request, faults: Faults, **extra: Any) -> Response:
    body: dict[str, Any] = {"error": message, **extra}
    if faults.on(API_ECHOES_TOKEN_IN_ERROR) and status == 400:
        body["detail"] = f"rejected request with Authorization: {request.headers.get('authorization', '')}"
    return JSONResponse(body, status)


class Api:
    """One sandbox's API state: its appointments, its rate-limit windows and its faults."""

    def __init__(self, faults: Faults, fhir: Any) -> None:
        self.faults = faults
        self.fhir = fhir  # the sandbox FHIR server (conformance.sandbox.fhir.app.Sandbox)
        self.appointments = {a["id"]: dict(a) for a in SEED}
        self.booked = len(SEED)  # ids are never reused, even after a delete
        # Appointment id -> the X-Conformance-Run header of the call that booked it (how the tests tell
        # the harness's bookings from the seed without asking the harness).
        self.marks: dict[str, str] = {}
        self.windows: dict[str, tuple[float, int]] = {}

    def root(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def hsts(self, request: Request, response: Response) -> Response:
        if request.url.scheme == "https" and not self.faults.on(API_NO_HSTS):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    async def openapi(self, request: Request) -> Response:
        if self.faults.on(API_DOC_REQUIRES_AUTH) and not request.headers.get("authorization"):
            return JSONResponse({"error": "authentication required"}, 401, {"WWW-Authenticate": "Bearer"})
        return JSONResponse(document(self.faults, self.root(request) + "/api"))

    def authorise(self, request: Request, scope: str, anonymous_ok: bool = False) -> Response | None:
        """None when the caller may go on; else the refusal (401 or 403)."""
        header = request.headers.get("authorization", "")
        if not header and anonymous_ok:
            return None
        try:
            claims = oauth.verify(header, self.faults)
        except oauth.TokenRefused as exc:
            extra = {"items": list(self.appointments.values())} if self.faults.on(API_401_WITH_DATA) else {}
            return JSONResponse({"error": str(exc), **extra}, 401, {"WWW-Authenticate": 'Bearer realm="sandbox"'})
        if not oauth.allows(claims, scope, self.faults):
            return JSONResponse({"error": f"the token lacks {scope}"}, 403)
        return None

    def limited(self, request: Request) -> Response | None:
        key = request.headers.get("authorization", "")
        count, window = RATE_LIMIT
        now = time.monotonic()
        started, used = self.windows.get(key, (now, 0))
        if now - started > window:
            started, used = now, 0
        self.windows[key] = (started, used + 1)
        if used < count:
            return None
        headers = {} if self.faults.on(API_429_WITHOUT_RETRY_AFTER) else {
            "Retry-After": str(max(1, int(window - (now - started))))}
        return JSONResponse({"error": "rate limit reached"}, 429, headers)

    async def dispatch(self, request: Request) -> Response:
        path, method = request.url.path.removeprefix("/api"), request.method
        if path == "/openapi.json" and method == "GET":
            return await self.openapi(request)
        if path == "/status" and method == "GET":
            return JSONResponse({"status": "ok"})
        if path == "/beds" and method == "GET":
            refused = self.authorise(request, "appointments.read")
            return refused or JSONResponse({"wards": [{"ward": "Ward 7", "total": 24, "occupied": 21},
                                                      {"ward": "AMU", "total": 30, "occupied": 30}]})
        if path == "/appointments" and method == "GET":
            return self.list(request)
        if path == "/appointments" and method == "POST":
            return await self.book(request)
        if path.startswith("/appointments/") and path.count("/") == 2:
            aid = path.rsplit("/", 1)[1]
            if method == "GET":
                return self.read(request, aid)
            if method == "DELETE":
                return self.cancel(request, aid)
            if method == "PUT" and self.faults.on(API_UNDOCUMENTED_OPERATION):
                return JSONResponse({**self.appointments.get(aid, {"id": aid, "status": "booked"})}, 200)
            return JSONResponse({"error": f"{method} is not allowed here"}, 405, {"Allow": "GET, DELETE"})
        known = {"/openapi.json": "GET", "/status": "GET", "/beds": "GET", "/appointments": "GET, POST"}
        if path in known:
            return JSONResponse({"error": f"{method} is not allowed here"}, 405, {"Allow": known[path]})
        return JSONResponse({"error": f"no operation at {request.url.path}"}, 404)

    def list(self, request: Request) -> Response:
        anonymous = self.faults.on(API_ANONYMOUS_READ)
        refused = self.authorise(request, "appointments.read", anonymous_ok=anonymous) or self.limited(request)
        if refused:
            return refused
        status, limit = request.query_params.get("status"), request.query_params.get("limit", "50")
        if status is not None and status not in STATUSES:
            return _error(400, f"status must be one of {', '.join(STATUSES)}", request, self.faults)
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return _error(400, "limit must be a whole number from 1 to 100", request, self.faults)
        if self.faults.on(API_500_ON_EDGE_CASE) and (status == "arrived" or int(limit) == 100):
            return JSONResponse({"error": "internal server error"}, 500)
        items: list[dict[str, Any]] = [a for a in self.appointments.values() if status in (None, a["status"])]
        if self.faults.on(API_RESPONSE_BREAKS_SCHEMA):
            items = [{**a, "start": 1893490200} for a in items]
        return JSONResponse({"items": items[: int(limit)], "total": len(items)})

    def read(self, request: Request, aid: str) -> Response:
        refused = self.authorise(request, "appointments.read")
        if refused:
            return refused
        found = self.appointments.get(aid)
        if found is not None:
            return JSONResponse(found)
        if self.faults.on(API_UNDOCUMENTED_STATUS):
            return JSONResponse({"error": f"appointment {aid} is gone"}, 410)
        if self.faults.on(API_UNDOCUMENTED_CONTENT_TYPE):
            return HTMLResponse(f"<html><body><h1>Not found</h1><p>{len(aid)}</p></body></html>", 404)
        return JSONResponse({"error": "no such appointment"}, 404)

    def cancel(self, request: Request, aid: str) -> Response:
        refused = self.authorise(request, "appointments.write")
        if refused:
            return refused
        if self.appointments.pop(aid, None) is None:
            return JSONResponse({"error": "no such appointment"}, 404)
        self.marks.pop(aid, None)
        return Response(status_code=204)

    async def book(self, request: Request) -> Response:
        refused = self.authorise(request, "appointments.write")
        if refused:
            return refused
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the body is not JSON", request, self.faults)
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("patient", "clinic", "start")):
            return _error(400, "patient, clinic and start are required strings", request, self.faults)
        if not (len(body["patient"]) == 10 and body["patient"].isascii() and body["patient"].isdigit()):
            return _error(400, "patient must be a 10-digit NHS number", request, self.faults)
        self.booked += 1
        aid = f"apt-{self.booked}"
        if request.headers.get(RUN_HEADER):
            self.marks[aid] = request.headers[RUN_HEADER]
        self.appointments[aid] = {"id": aid, "patient": body["patient"], "clinic": body["clinic"],
                                  "start": body["start"], "status": "booked"}
        return JSONResponse(self.appointments[aid], 201)

    # -- OAuth2 and the SMART-protected FHIR view -------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        status, body = oauth.grant(form, request.headers.get("authorization", ""),
                                   self.root(request) + "/oauth/token", self.root(request), self.faults)
        return JSONResponse(body, status, {"Cache-Control": "no-store"})

    async def smart_fhir(self, request: Request) -> Response:
        parts = [p for p in request.path_params.get("path", "").split("/") if p]
        root = self.root(request)
        if parts == [".well-known", "smart-configuration"]:
            return JSONResponse(oauth.smart_configuration(root, self.faults))
        if parts == ["metadata"]:
            return await self.metadata(request, root)
        rtype = parts[0] if parts else ""
        action = "read" if request.method in ("GET", "HEAD") else "write"
        refused = self.authorise(request, f"system/{rtype}.{action}")
        if refused:
            return refused
        response: Response = await self.fhir.handle(request)
        return response

    async def metadata(self, request: Request, root: str) -> Response:
        response = await self.fhir.handle(request)
        statement = json.loads(bytes(response.body))
        token = root + ("/oauth/token2" if self.faults.on(SMART_CAPABILITY_DISAGREES) else "/oauth/token")
        for rest in statement.get("rest", []):
            rest["security"] = {
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "SMART-on-FHIR"}]}],
                "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                               "extension": [{"url": "token", "valueUri": token}]}]}
        return JSONResponse(statement, 200, media_type="application/fhir+json")


def api_routes(faults: Faults, fhir: Any) -> list[Route]:
    """Routes for ``/api``, ``/oauth`` and ``/smart/fhir``; ``fhir`` is the sandbox FHIR server."""
    api = Api(faults, fhir)
    fhir.api = api  # the booking API's state, for tests that look at what is booked without the harness

    def wrap(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            return api.hsts(request, await handler(request))
        return endpoint

    async def jwks(request: Request) -> Response:
        return JSONResponse(oauth.jwks())

    return [
        Route("/api/{rest:path}", wrap(api.dispatch), methods=ALL),
        Route("/oauth/token", wrap(api.token), methods=["POST"]),
        Route("/oauth/jwks", wrap(jwks), methods=["GET"]),
        Route("/smart/fhir/{path:path}", wrap(api.smart_fhir), methods=ALL),
    ]
