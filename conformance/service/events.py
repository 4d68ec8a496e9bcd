"""Registering targets and starting runs in the pages, and watching a run live.

A run's live page shows its state in words and refreshes itself every few seconds (a ``<noscript>``
meta refresh: it works without JavaScript); with JavaScript, the one small same-origin script of the
service (static/live.js, allowed by this page's own Content-Security-Policy) follows the server-sent
events of ``/runs/RUN/events`` instead. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from conformance.service import web
from conformance.service.auth import csrf_ok
from conformance.service.pages import refuse_csrf, render, user
from conformance.service.runs_start import FINAL, Launcher, Progress
from conformance.service.scope import NotVisible, Scope
from conformance.service.targets import LaunchRow, Registered, listed, may_run, one, register
from conformance.targets import TargetError

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
LIVE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
POLL_SECONDS = 0.25


def launcher(request: Request) -> Launcher:
    found: Launcher | None = request.app.state.launcher
    if found is None:  # an app made without one (create_app alone): say so, never a traceback
        raise HTTPException(503, "this service has no service key, so it cannot keep target credentials or "
                                 "start runs; `conformance serve` sets one up")
    return found


def launch_visible(request: Request, scope: Scope, run_id: str) -> Registered:
    """The target of a launch the scope sees (NotVisible otherwise: 404, as for any run)."""
    store = request.app.state.store
    with store.transaction(f"read launch {run_id}") as session:
        row = session.get(LaunchRow, run_id)
        target_id = None if row is None else row.target_id
    if target_id is None:
        raise NotVisible(f"no run {run_id!r}")
    return one(store, scope, target_id)


@router.get("/targets")
def targets_page(request: Request) -> HTMLResponse:
    _, scope = user(request)
    return render(request, "targets.html", {"title": "Targets", "targets": listed(request.app.state.store, scope),
                                            "error": "", "form": {}})


@router.post("/targets")
def add_target(request: Request, csrf: FormText = "", name: FormText = "", ods_code: FormText = "",
               vendor: FormText = "", product: FormText = "", fhir_url: FormText = "", sandbox: FormText = "",
               auth_type: FormText = "none", token: FormText = "", username: FormText = "",
               password: FormText = "") -> Response:
    who, scope = user(request)
    if not csrf_ok(who, csrf):
        return refuse_csrf(request)
    store = request.app.state.store
    form = {"name": name, "ods_code": ods_code, "vendor": vendor, "product": product, "fhir_url": fhir_url}
    if not may_run(who, ods_code.strip(), vendor.strip()):
        return render(request, "error.html", {"title": "You cannot register this target", "message": (
            "Only an admin, a lead or member of the organisation, or a supplier of the vendor may register "
            "its targets.")}, 403)
    try:
        found = register(store, launcher(request).box, who, name=name, ods_code=ods_code, vendor=vendor,
                         product=product, fhir_url=fhir_url, sandbox=bool(sandbox), auth_type=auth_type,
                         token=token, username=username, password=password)
    except TargetError as exc:  # the form again, with the sentence; the credentials are never sent back
        return render(request, "targets.html", {"title": "Targets", "targets": listed(store, scope),
                                                "error": str(exc), "form": form}, 400)
    return RedirectResponse(f"/targets/{found.id}", status_code=303)


@router.get("/targets/{target_id}")
def target_page(request: Request, target_id: int) -> HTMLResponse:
    who, scope = user(request)
    found = one(request.app.state.store, scope, target_id)
    return render(request, "target.html", {"title": found.name, "target": found,
                                           "can_run": may_run(who, found.ods_code, found.vendor)})


@router.post("/targets/{target_id}/runs")
def start_run(request: Request, target_id: int, csrf: FormText = "", suites: FormText = "",
              select: FormText = "") -> Response:
    who, scope = user(request)
    found = one(request.app.state.store, scope, target_id)
    if not csrf_ok(who, csrf):
        return refuse_csrf(request)
    if not may_run(who, found.ods_code, found.vendor):
        return render(request, "error.html", {"title": "You cannot start runs here", "message": (
            "Only an admin, a lead or member of the organisation, or a supplier of the vendor may start a run "
            "against this target.")}, 403)
    run_id = launcher(request).start(who, target_id, suites.split(), select.split())
    return RedirectResponse(f"/runs/{run_id}/live", status_code=303)


@router.get("/runs/{run_id}/live")
def live_page(request: Request, run_id: str) -> HTMLResponse:
    _, scope = user(request)
    found = launch_visible(request, scope, run_id)
    progress = launcher(request).status(run_id) or Progress(state="failed", message="no record of this run")
    response = render(request, "live.html", {"title": f"Run {run_id}", "run_id": run_id, "target": found,
                                             "progress": progress, "final": progress.state in FINAL})
    response.headers["Content-Security-Policy"] = LIVE_CSP
    return response


async def _stream(found: Launcher, run_id: str) -> AsyncIterator[str]:
    seen = -1
    while True:
        progress = found.status(run_id) or Progress(state="failed", message="no record of this run")
        if progress.version != seen or progress.state in FINAL:
            seen = progress.version
            yield f"event: progress\ndata: {json.dumps(progress.as_json())}\n\n"
        if progress.state in FINAL:
            return
        await asyncio.sleep(POLL_SECONDS)


@router.get("/runs/{run_id}/events")
def live_events(request: Request, run_id: str) -> StreamingResponse:
    """Server-sent events: one ``progress`` event per change, the last when the run has ended."""
    who = web.principal(request)
    if who is None:
        raise NotVisible("no session")
    launch_visible(request, web.scope(request, who), run_id)
    return StreamingResponse(_stream(launcher(request), run_id), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})
