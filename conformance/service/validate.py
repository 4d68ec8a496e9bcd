"""Validate pages (as IHE Gazelle EVS offers): paste FHIR (JSON or XML), an HL7 v2 message or GS1 data;
the result is an OperationOutcome kept at a permanent address (``/validations/ID``) for its author.

The same validators as ``conformance validate``: base FHIR R4 definitions (claimed profiles the
harness has are honoured through meta.profile), HL7 v2 structures without a message profile, GS1 in
any form (auto-detected). Inputs are bounded (MAX_INPUT characters): a larger paste is refused with a
sentence, never a traceback. Validation runs in a worker thread: it can take a while on large input.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from conformance.evidence.store import now_iso
from conformance.service import pages, web
from conformance.service.api import NOT_FOUND, RunsScope
from conformance.service.auth import csrf_ok
from conformance.service.scope import NotVisible, require
from conformance.service.tables import ValidationRow

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)
KINDS = {"fhir": "FHIR R4 resource (JSON or XML)", "hl7v2": "HL7 v2 message (ER7)", "gs1": "GS1 data "
         "(bracketed, scanner data with ^ or GS separators, or a Digital Link URI)"}
MAX_INPUT = 1_000_000


def check(kind: str, text: str) -> tuple[bool, dict[str, Any]]:
    """(valid, OperationOutcome) of one input; GS1 adds its parsed AIs to the outcome's ``ais``."""
    if kind == "fhir":
        from conformance.fhirval.default_packages import default_source
        from conformance.fhirval.validate import is_valid, to_outcome, validate_bytes

        # the CLI's definitions (base R4 and the default packages the cache holds), built once per process
        issues = validate_bytes(text.encode("utf-8"), default_source())
        return is_valid(issues), to_outcome(issues)
    if kind == "hl7v2":
        from conformance.hl7v2 import validate as hl7_validate

        result = hl7_validate(text.replace("\r\n", "\r").replace("\n", "\r"))
        return result.valid, result.to_outcome()
    from conformance.gs1 import validate as gs1_validate

    gs1 = gs1_validate(text.strip("\r\n"))
    data = gs1.to_dict()
    return gs1.valid, {**data["outcome"], "ais": data.get("ais", {})}


def _form(request: Request, kind: str = "fhir", text: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    return pages.render(request, "validate.html", {"title": "Validate", "kinds": KINDS, "kind": kind, "text": text,
                                                   "error": error}, status)


@router.get("/validate")
def form(request: Request) -> HTMLResponse:
    pages.user(request)
    return _form(request)


@router.post("/validate")
def validate(request: Request, kind: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "",
             csrf: Annotated[str, Form()] = "") -> Response:
    who, _ = pages.user(request)
    if not csrf_ok(who, csrf):
        return pages.refuse_csrf(request)
    if kind not in KINDS:
        return _form(request, "fhir", text[:MAX_INPUT], f"Choose what the input is ({', '.join(KINDS)}).", 400)
    if not text.strip():
        return _form(request, kind, "", "Paste something to validate.", 400)
    if len(text) > MAX_INPUT:
        return _form(request, kind, "", f"The input is {len(text):,} characters; the limit is {MAX_INPUT:,}. "
                     "Validate larger files with `conformance validate`.", 413)
    valid, outcome = check(kind, text)
    ident = secrets.token_urlsafe(16)
    with request.app.state.store.transaction("store a validation") as session:
        session.add(ValidationRow(id=ident, user_id=who.user_id, kind=kind, input=text, valid=valid, outcome=outcome,
                                  created=now_iso()))
    return RedirectResponse(f"/validations/{ident}", status_code=303)


def _row(request: Request, ident: str) -> dict[str, Any]:
    with request.app.state.store.transaction("read a validation") as session:
        row = session.get(ValidationRow, ident)
        if row is None:
            raise NotVisible(f"no validation {ident!r}")
        return {"id": row.id, "kind": row.kind, "valid": row.valid, "created": row.created, "input": row.input,
                "outcome": dict(row.outcome)}


@router.get("/validations/{ident}")
def result(request: Request, ident: str) -> HTMLResponse:
    _, scope = pages.user(request)
    require(request.app.state.store, scope, "validation", ident)
    found = _row(request, ident)
    return pages.render(request, "validation.html", {"title": "Validation result", "v": found, "kinds": KINDS})


class Pasted(BaseModel):
    kind: str = Field(description=" | ".join(KINDS))
    text: str = Field(description=f"The resource, message or scan (at most {MAX_INPUT:,} characters)")


@api_router.post("/validations", status_code=201, summary="Validate FHIR, HL7 v2 or GS1 input; the result at a "
                 "permanent address of its author's")
def validate_api(request: Request, body: Pasted, _: RunsScope) -> dict[str, Any]:
    who = web.principal(request)
    assert who is not None  # RunsScope refused anonymous callers
    if body.kind not in KINDS:
        raise web.ApiRefused(400, f"kind: choose one of {', '.join(KINDS)}")
    if not body.text.strip():
        raise web.ApiRefused(400, "text: give something to validate")
    if len(body.text) > MAX_INPUT:
        raise web.ApiRefused(413, f"text: {len(body.text):,} characters; the limit is {MAX_INPUT:,} (validate larger "
                                  "files with `conformance validate`)")
    valid, outcome = check(body.kind, body.text)
    ident = secrets.token_urlsafe(16)
    with request.app.state.store.transaction("store a validation") as session:
        session.add(ValidationRow(id=ident, user_id=who.user_id, kind=body.kind, input=body.text, valid=valid,
                                  outcome=outcome, created=now_iso()))
    return {"id": ident, "kind": body.kind, "valid": valid, "outcome": outcome, "page": f"/validations/{ident}",
            "api": f"/api/v1/validations/{ident}"}


@api_router.get("/validations/{ident}", summary="A validation done in the pages: its input and OperationOutcome")
def result_json(request: Request, ident: str, scope: RunsScope) -> dict[str, Any]:
    require(request.app.state.store, scope, "validation", ident)
    return _row(request, ident)
