"""FHIR responses: content negotiation, OperationOutcome errors, and the JSON body encoding.

Negotiation follows http.html: ``_format`` wins over ``Accept``; the sandbox serves JSON only, so a
client that will accept nothing but XML gets 406 (with an OperationOutcome it may not read, which is
still better than silence).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from conformance.sandbox.faults import CONTENT_TYPE_JSON, FORMAT_PARAM_IGNORED, Faults

FHIR_JSON = "application/fhir+json"
# "application/fhir json": an unencoded "+" in a query string decodes to a space; accept it anyway.
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir", "text/json",
                 "application/fhir json", "application/json fhir"}
_JSON_ACCEPT = {"*/*", "application/*", *_JSON_FORMATS}


class FhirError(Exception):
    """An error answered as an OperationOutcome with the given HTTP status."""

    def __init__(self, status: int, diagnostics: str, code: str = "processing") -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code


def outcome(diagnostics: str, code: str = "processing", severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}


def wants_json(request: Request, faults: Faults) -> bool:
    """True if the response may be JSON; False means 406."""
    # Most requests have no query string at all: then there is nothing to parse.
    fmt = request.query_params.get("_format") if request.scope.get("query_string") else None
    if fmt is not None and not faults.on(FORMAT_PARAM_IGNORED):
        return fmt.split(";")[0].strip().lower() in _JSON_FORMATS
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return True
    for item in accept.split(","):
        media, _, params = item.partition(";")
        if "q=0" in params.replace(" ", "") and "q=0." not in params.replace(" ", ""):
            continue
        if media.strip().lower() in _JSON_ACCEPT:
            return True
    return False


def encode(body: dict[str, Any]) -> bytes:
    """A body's bytes as every answer has them (UTF-8, ``", "`` and ``": "`` separators)."""
    return _ENCODER.encode(body).encode()


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # made once: json.dumps with options builds one a call


def fhir(request: Request, faults: Faults, body: dict[str, Any] | bytes | None, status: int = 200,
         headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON response (empty body when ``body`` is None, e.g. ``Prefer: return=minimal``; ``body`` as
    bytes: already encoded by ``encode``)."""
    media = FHIR_JSON
    if faults.on(CONTENT_TYPE_JSON) and "_format" not in request.query_params:
        media = "application/json"
    content = b"" if body is None else body if isinstance(body, bytes) else encode(body)
    # Headers in the order they always had: the given ones, content-length, content-type.
    typed = f"{media}; charset=utf-8" if body is not None or status != 204 else None
    return Response(content, status_code=status, headers=headers or {}, media_type=typed)


def error(request: Request, faults: Faults, exc: FhirError) -> Response:
    return fhir(request, faults, outcome(exc.diagnostics, exc.code), exc.status)


def html_not_found() -> Response:
    """What a misconfigured web tier answers for an unknown id (the not-found-no-outcome fault)."""
    return HTMLResponse("<html><body><h1>404 Not Found</h1></body></html>", status_code=404)


def fhir_base(request: Request) -> str:
    """This server's FHIR base as the client addressed it; remembered for what it is made of (building the
    base URL was a few per cent of the sandbox's CPU a request)."""
    scope = request.scope
    server = scope.get("server")
    key = (scope.get("scheme", "http"), request.headers.get("host"), tuple(server) if server else None,
           scope.get("app_root_path", scope.get("root_path", "")))
    found = _BASES.get(key)
    if found is None:
        if len(_BASES) > 256:  # Host headers are the client's to choose: keep the memo small
            _BASES.clear()
        found = _BASES[key] = str(request.base_url).rstrip("/") + "/fhir"
    return found


_BASES: dict[tuple[object, ...], str] = {}
