"""JSON under /api/v1: runs, results, evidence, JUnit, organisations' records, footprints.

The same reads as the pages (views.py), the same scope rule (404 outside it). A bearer token's
permissions narrow what its owner's roles allow: ``runs:read`` (runs, results, evidence, JUnit) and
``records:read`` (organisations and footprints). A browser session may read everything in its scope.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conformance.maturity.jsonout import footprint_json, org_json
from conformance.model import CheckResult
from conformance.reporting.junit import render_junit
from conformance.service import views, web
from conformance.service.scope import Scope, require

bearer = HTTPBearer(auto_error=False, description="An API token from `conformance users token NAME`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token or session"},
    403: {"description": "The token lacks the permission"},
    404: {"description": "Absent, or outside the caller's scope (never told apart)"},
}
router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)


def _scope(request: Request, permission: str) -> Scope:
    who = web.principal(request)
    if who is None:
        raise web.ApiRefused(401, "sign in, or send Authorization: Bearer <token>")
    if permission not in who.permissions:
        raise web.ApiRefused(403, f"this token lacks the permission {permission}")
    return web.scope(request, who)


def runs_scope(request: Request, _: Credentials) -> Scope:
    return _scope(request, "runs:read")


def records_scope(request: Request, _: Credentials) -> Scope:
    return _scope(request, "records:read")


RunsScope = Annotated[Scope, Depends(runs_scope)]
RecordsScope = Annotated[Scope, Depends(records_scope)]


def _permalink(run_id: str, check_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}/checks/{quote(check_id, safe='')}"


def _result(run_id: str, check: CheckResult, evidence_count: int | None = None) -> dict[str, Any]:
    """A result as the run JSON has it; with ``evidence_count``, the number of items in place of the items."""
    data = check.to_dict()
    if evidence_count is not None:
        data["evidence"] = evidence_count
    data["permalink"] = _permalink(run_id, check.id)
    return data


def _day(as_of: date | None) -> date:
    return as_of or datetime.now(UTC).date()


@router.get("/me", summary="Who the credential belongs to, and what it may do")
def me(request: Request, _: Credentials) -> dict[str, Any]:
    who = web.principal(request)
    if who is None:
        raise web.ApiRefused(401, "sign in, or send Authorization: Bearer <token>")
    return {"name": who.name, "via": who.via, "permissions": sorted(who.permissions),
            "roles": [{"role": g.role, "scope": f"{g.kind}:{g.value}" if g.kind else ""} for g in who.grants]}


@router.get("/runs", summary="Runs in scope, newest first")
def runs(request: Request, scope: RunsScope, organisation: str | None = None,
         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    found = views.runs(request.app.state.store, scope, organisation, limit)
    return {"runs": [r.as_json() for r in found]}


@router.get("/runs/{run_id}", summary="One run: its header, status, totals and suites")
def run(request: Request, run_id: str, scope: RunsScope) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "run", run_id)
    result, status, _ = views.run_outline(store, run_id)
    suites = views.suites_of(result)
    return {"run": {**result.run.to_dict(), "status": status}, "summary": result.summary(),
            "suites": {s: views.counts(c) for s, c in suites.items()},
            "links": {"results": f"/api/v1/runs/{quote(run_id, safe='')}/results",
                      "junit": f"/api/v1/runs/{quote(run_id, safe='')}/junit",
                      "page": f"/runs/{quote(run_id, safe='')}"}}


@router.get("/runs/{run_id}/results", summary="A run's results (evidence counted; fetch a check for its evidence)")
def results(request: Request, run_id: str, scope: RunsScope, suite: str | None = None) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "run", run_id)
    result, _, counted = views.run_outline(store, run_id)
    return {"results": [_result(run_id, c, counted.get(c.id, 0)) for c in result.results
                        if suite is None or c.suite == suite]}


@router.get("/runs/{run_id}/checks/{check_id}", summary="One check's result with its evidence")
def check(request: Request, run_id: str, check_id: str, scope: RunsScope) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "run", run_id)
    said = views.attestations(store, run_id, check_id)
    return {**_result(run_id, views.one_check(store, run_id, check_id)[2]), "attestations": said,
            "disputed": check_id in views.disputed(said)}


@router.get("/runs/{run_id}/checks/{check_id}/evidence", summary="The evidence one check was judged on")
def evidence(request: Request, run_id: str, check_id: str, scope: RunsScope) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "run", run_id)
    return {"evidence": [e.to_dict() for e in views.one_check(store, run_id, check_id)[2].evidence]}


@router.get("/runs/{run_id}/junit", summary="The run as JUnit XML", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}})
def junit(request: Request, run_id: str, scope: RunsScope) -> Response:
    store = request.app.state.store
    require(store, scope, "run", run_id)
    result, _ = views.run_result(store, run_id)
    return Response(render_junit(result), media_type="application/xml")


@router.get("/organisations", summary="Organisations in scope")
def organisations(request: Request, scope: RecordsScope) -> dict[str, Any]:
    return {"organisations": [vars(o) for o in views.organisations(request.app.state.store, scope)]}


@router.get("/organisations/{ods_code}/record", summary="An organisation's maturity record and roadmap")
def record(request: Request, ods_code: str, scope: RecordsScope, as_of: date | None = None) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "organisation", ods_code)
    found, plan = views.org_view(store, request.app.state.model, ods_code, _day(as_of))
    return org_json(found, plan)


@router.get("/footprints", summary="Footprints in scope")
def footprints(request: Request, scope: RecordsScope) -> dict[str, Any]:
    return {"footprints": [{"code": f.code, "name": f.name, "members": list(f.members)}
                           for f in views.footprints(request.app.state.store, scope)]}


@router.get("/footprints/{code}", summary="A footprint: members x capabilities, milestones, who is behind")
def footprint(request: Request, code: str, scope: RecordsScope, as_of: date | None = None) -> dict[str, Any]:
    store = request.app.state.store
    require(store, scope, "footprint", code)
    rolled, plan = views.footprint_view(store, request.app.state.model, code, _day(as_of))
    return footprint_json(rolled, plan)
