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
    fmt = request.query_params.get("_format")
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


def fhir(request: Request, faults: Faults, body: dict[str, Any] | None, status: int = 200,
         headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON response (empty body when ``body`` is None, e.g. ``Prefer: return=minimal``)."""
    media = FHIR_JSON
    if faults.on(CONTENT_TYPE_JSON) and "_format" not in request.query_params:
        media = "application/json"
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    response = Response(content, status_code=status, headers=headers or {})
    if body is not None or status != 204:
        response.headers["content-type"] = f"{media}; charset=utf-8"
    return response


def error(request: Request, faults: Faults, exc: FhirError) -> Response:
    return fhir(request, faults, outcome(exc.diagnostics, exc.code), exc.status)


def html_not_found() -> Response:
    """What a misconfigured web tier answers for an unknown id (the not-found-no-outcome fault)."""
    return HTMLResponse("<html><body><h1>404 Not Found</h1></body></html>", status_code=404)
