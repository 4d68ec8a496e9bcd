"""The self-assessment form (replaces the CSV for people): an organisation's lead records, per
capability, what the organisation claims; every earlier claim stays as history.

Only a ``lead`` of the organisation (or an admin) may write; others who may see the organisation get
403 with a sentence, and anyone else 404 (scope.require). Claims are dated by the server, one per
capability and day (a second save the same day replaces that day's claim, as a CSV re-import does).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from conformance.evidence import records
from conformance.maturity.records import CLAIMS, SelfAssessment
from conformance.service import pages
from conformance.service.auth import Principal, csrf_ok
from conformance.service.scope import may_assess, require

router = APIRouter(include_in_schema=False)
MAX_NOTE = 500


def _form(request: Request, ods_code: str, error: str = "", status: int = 200) -> HTMLResponse:
    store, model = request.app.state.store, request.app.state.model
    org = records.organisations(store)[ods_code]
    history = sorted(records.assessments(store, [ods_code]), key=lambda c: (c.assessed_on, c.capability), reverse=True)
    latest: dict[str, SelfAssessment] = {}
    for claim in sorted(history, key=lambda c: c.assessed_on):
        latest[claim.capability] = claim
    return pages.render(request, "assess.html", {"title": f"Self-assessment: {org.name}", "org": org,
                                                 "capabilities": list(model.capabilities.values()), "claims": CLAIMS,
                                                 "latest": latest, "history": history, "error": error}, status)


def _lead(request: Request, ods_code: str) -> Principal | HTMLResponse:
    who, scope = pages.user(request)
    require(request.app.state.store, scope, "organisation", ods_code)
    if not may_assess(who, ods_code):
        return pages.render(request, "error.html", {
            "title": "Only the organisation's lead can do this",
            "message": "You may read this organisation's record, but its self-assessment is recorded by its lead "
                       "(`conformance users role NAME --role lead --scope ODS`)."}, 403)
    return who


@router.get("/organisations/{ods_code}/self-assessment")
def form(request: Request, ods_code: str) -> Response:
    who = _lead(request, ods_code)
    return who if isinstance(who, HTMLResponse) else _form(request, ods_code)


def _claims(data: FormData, ods_code: str, capabilities: list[str], day: str) -> list[SelfAssessment]:
    out = []
    for capability in capabilities:
        claim = str(data.get(f"claim-{capability}", "") or "")
        note = str(data.get(f"note-{capability}", "") or "").strip()
        if not claim:
            continue
        if claim not in CLAIMS:
            raise ValueError(f"{claim!r} is not a claim (one of: {', '.join(CLAIMS)})")
        if len(note) > MAX_NOTE:
            raise ValueError(f"a note is limited to {MAX_NOTE} characters")
        out.append(SelfAssessment(ods_code, capability, claim, day, note))
    return out


@router.post("/organisations/{ods_code}/self-assessment")
async def save(request: Request, ods_code: str, csrf: Annotated[str, Form()] = "") -> Response:
    data = await request.form()
    return await run_in_threadpool(_save, request, ods_code, csrf, data)  # the store is synchronous


def _save(request: Request, ods_code: str, csrf: str, data: FormData) -> Response:
    who = _lead(request, ods_code)
    if isinstance(who, HTMLResponse):
        return who
    if not csrf_ok(who, csrf):
        return pages.refuse_csrf(request)
    day = datetime.fromtimestamp(request.app.state.clock(), UTC).date().isoformat()
    try:
        claims = _claims(data, ods_code, list(request.app.state.model.capabilities), day)
    except ValueError as exc:
        return _form(request, ods_code, str(exc), 400)
    if not claims:
        return _form(request, ods_code, "Choose a claim for at least one capability.", 400)
    records.save_assessments(request.app.state.store, claims)
    return RedirectResponse(f"/organisations/{ods_code}", status_code=303)
