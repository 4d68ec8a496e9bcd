"""The API's side of starting runs: CI starts one with a token of permission ``runs:write``, follows its
status, then fetches its JUnit (``GET /api/v1/runs/{run}/junit``, api.py) and results by their permalinks.

Only a token may start a run through the API (a browser session uses the CSRF-protected form), and only
for a registered target its owner may run (admin; lead or member of the organisation; supplier of the
vendor): a target outside the owner's scope is 404, one inside it but not theirs to run 403.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from conformance.service import web
from conformance.service.api import NOT_FOUND, Credentials, RunsScope
from conformance.service.events import launch_visible, launcher
from conformance.service.scope import Scope
from conformance.service.targets import listed, may_run, one, register
from conformance.targets import TargetError

router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)


class RunRequest(BaseModel):
    target: int = Field(description="A registered target's id (GET /api/v1/targets)")
    suites: list[str] = Field(default_factory=list, description="Suite ids; none: every suite")
    select: list[str] = Field(default_factory=list, description="Check id patterns (as --select)")


def write_scope(request: Request, _: Credentials) -> Scope:
    who = web.principal(request)
    if who is None:
        raise web.ApiRefused(401, "send Authorization: Bearer <token> (a token with the permission runs:write)")
    if who.via != "token":
        raise web.ApiRefused(403, "start runs through the API with a token; in the pages, use the target's form")
    if "runs:write" not in who.permissions:
        raise web.ApiRefused(403, "this token lacks the permission runs:write")
    return web.scope(request, who)


WriteScope = Annotated[Scope, Depends(write_scope)]


def _links(run_id: str) -> dict[str, str]:
    run = quote(run_id, safe="")
    return {"status": f"/api/v1/runs/{run}/status", "run": f"/api/v1/runs/{run}",
            "results": f"/api/v1/runs/{run}/results", "junit": f"/api/v1/runs/{run}/junit",
            "page": f"/runs/{run}", "live": f"/runs/{run}/live"}


@router.get("/targets", summary="Registered targets in scope (never their credentials)")
def targets(request: Request, scope: RunsScope) -> dict[str, Any]:
    return {"targets": [t.as_json() for t in listed(request.app.state.store, scope)]}


class TargetRequest(BaseModel):
    name: str
    ods_code: str = Field(description="The organisation whose record the runs count in")
    vendor: str = ""
    product: str = ""
    fhir_url: str = Field(description="The FHIR base URL, or builtin:sandbox")
    sandbox: bool = Field(False, description="Writes allowed (only for a system marked as a sandbox)")
    auth_type: str = Field("none", description="none | bearer | basic")
    token: str = ""
    username: str = ""
    password: str = ""


@router.post("/targets", status_code=201, summary="Register a target (token: runs:write); its credentials are "
             "encrypted at once and never shown again")
def register_target(request: Request, body: TargetRequest, scope: WriteScope) -> dict[str, Any]:
    who = web.principal(request)
    assert who is not None  # write_scope refused anonymous callers
    if not may_run(who, body.ods_code.strip(), body.vendor.strip()):
        raise web.ApiRefused(403, "only an admin, a lead or member of the organisation, or a supplier of the vendor "
                                  "may register its targets")
    try:
        found = register(request.app.state.store, launcher(request).box, who, **body.model_dump())
    except TargetError as exc:  # a sentence, never the credentials
        raise web.ApiRefused(400, str(exc)) from None
    return {"target": found.as_json()}


@router.post("/runs", status_code=202, summary="Start a run against a registered target (token: runs:write)")
def start(request: Request, body: RunRequest, scope: WriteScope) -> dict[str, Any]:
    who = web.principal(request)
    assert who is not None  # write_scope refused anonymous callers
    found = one(request.app.state.store, scope, body.target)
    if not may_run(who, found.ods_code, found.vendor):
        raise web.ApiRefused(403, "the token's owner may not start runs against this target")
    run_id = launcher(request).start(who, found.id, body.suites, body.select)
    return {"run": run_id, "state": "queued", "links": _links(run_id)}


@router.get("/runs/{run_id}/status", summary="A started run's state and progress")
def status(request: Request, run_id: str, scope: RunsScope) -> dict[str, Any]:
    launch_visible(request, scope, run_id)
    progress = launcher(request).status(run_id)
    if progress is None:
        return {"run": run_id, "state": "failed", "message": "no record of this run", "links": _links(run_id)}
    return {"run": run_id, **progress.as_json(), "links": _links(run_id)}
