"""The server-rendered pages: sign-in, home, footprint dashboard, organisation record, runs, a run's
results by suite, and each check's permanent page with its evidence; the account page (API tokens).

No JavaScript: every action is a form POST carrying the session's CSRF token (sign-in: a double-submit
cookie, since there is no session yet). Every route that shows data asks scope.require first.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from conformance.service import views, web
from conformance.service.accounts import AccountError
from conformance.service.auth import (
    PERMISSIONS,
    Principal,
    RateLimited,
    create_token,
    csrf_ok,
    revoke_token,
    sign_in,
    sign_out,
    tokens_of,
)
from conformance.service.scope import NotVisible, Scope, may_assess, may_attest, require

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    who = web.principal(request)
    html = request.app.state.templates.get_template(name).render(
        request=request, who=who, **context)
    return HTMLResponse(html, status_code=status)


def login_url(request: Request) -> str:
    return "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")


def user(request: Request) -> tuple[Principal, Scope]:
    who = web.principal(request)
    if who is None or who.via != "session":
        raise web.SignInNeeded
    return who, web.scope(request, who)


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/``: no open redirect through ``next``. Browsers
    drop tabs and newlines from URLs and read a backslash as a slash, so "/", tab, "/evil" would leave it."""
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target)):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _today(as_of: str | None) -> date:
    try:
        return date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    except ValueError:
        return datetime.now(UTC).date()


def refuse_csrf(request: Request) -> HTMLResponse:
    return render(request, "error.html", {"title": "This form has expired",
                                          "message": "The form was not sent with its security token. Go back, "
                                                     "reload the page and try again."}, 403)


# -- signing in and out --------------------------------------------------------------------------------


def _login_form(request: Request, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"title": "Sign in", "csrf": token, "next": next_path,
                                              "error": error}, status)
    response.set_cookie(web.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request),
                        path="/login")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, local_path(next))


@router.post("/login")
def login(request: Request, username: FormText = "", password: FormText = "", csrf: FormText = "",
          next: FormText = "/") -> Response:
    expected = request.cookies.get(web.LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_form(request, local_path(next), "The sign-in form expired. Please try again.", 403)
    address = request.client.host if request.client else "unknown"
    try:
        session_id, _ = sign_in(request.app.state.store, username, password, address, request.app.state.clock)
    except RateLimited as exc:
        return _login_form(request, local_path(next), f"Sign-in is paused: {exc}.", 429)
    except AccountError:
        return _login_form(request, local_path(next), "The user name or password is not right.", 400)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(web.SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=_secure(request),
                        path="/")
    response.delete_cookie(web.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: FormText = "") -> Response:
    who, _ = user(request)
    if not csrf_ok(who, csrf):
        return refuse_csrf(request)
    sign_out(request.app.state.store, request.cookies.get(web.SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.SESSION_COOKIE, path="/")
    return response


# -- the record ------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> HTMLResponse:
    _, scope = user(request)
    store = request.app.state.store
    return render(request, "home.html", {"title": "Your records", "footprints": views.footprints(store, scope),
                                         "comparisons": views.comparisons(store, scope),
                                         "organisations": views.organisations(store, scope),
                                         "runs": views.runs(store, scope, limit=10)})


@router.get("/footprints/{code}")
def footprint(request: Request, code: str, as_of: str | None = None) -> HTMLResponse:
    _, scope = user(request)
    store = request.app.state.store
    require(store, scope, "footprint", code)
    record, plan = views.footprint_view(store, request.app.state.model, code, _today(as_of))
    return render(request, "footprint.html", {"title": f"{record.name} footprint", "record": record, "plan": plan,
                                              "model": request.app.state.model, "scope": scope})


@router.get("/organisations/{ods_code}")
def organisation(request: Request, ods_code: str, as_of: str | None = None) -> HTMLResponse:
    who, scope = user(request)
    store = request.app.state.store
    require(store, scope, "organisation", ods_code)
    record, plan = views.org_view(store, request.app.state.model, ods_code, _today(as_of))
    return render(request, "organisation.html", {"title": record.name, "record": record, "plan": plan,
                                                 "runs": views.runs(store, scope, ods_code, limit=20),
                                                 "can_assess": may_assess(who, ods_code),
                                                 "disputed_claims": views.disputed_claims(store, ods_code)})


@router.get("/runs")
def runs(request: Request) -> HTMLResponse:
    _, scope = user(request)
    return render(request, "runs.html", {"title": "Runs", "runs": views.runs(request.app.state.store, scope)})


@router.get("/runs/{run_id}")
def run(request: Request, run_id: str) -> HTMLResponse:
    _, scope = user(request)
    store = request.app.state.store
    require(store, scope, "run", run_id)
    result, status, _ = views.run_outline(store, run_id)
    suites = views.suites_of(result)
    return render(request, "run.html", {"title": f"Run {run_id}", "result": result, "status": status,
                                        "disputed": views.disputed(views.attestations(store, run_id)),
                                        "suites": suites, "counts": {s: views.counts(c) for s, c in suites.items()},
                                        "total": result.summary()})


@router.get("/runs/{run_id}/checks/{check_id}")
def check(request: Request, run_id: str, check_id: str) -> HTMLResponse:
    _, scope = user(request)
    store = request.app.state.store
    require(store, scope, "run", run_id)
    who, _ = user(request)
    info, status, found = views.one_check(store, run_id, check_id)
    evidence = [(e, json.dumps(e.data, indent=2, ensure_ascii=False, default=str)) for e in found.evidence]
    said = views.attestations(store, run_id, check_id)
    ods = info.target.get("organisation", {}).get("ods_code", "") if isinstance(info.target.get("organisation"),
                                                                                 dict) else ""
    return render(request, "check.html", {"title": found.title or found.id, "run": info, "status": status,
                                          "check": found, "evidence": evidence, "attestations": said,
                                          "disputed": check_id in views.disputed(said),
                                          "can_attest": may_attest(store, who, str(ods))})


# -- the account: API tokens -------------------------------------------------------------------------------


def _account(request: Request, who: Principal, new_token: str = "", status: int = 200) -> HTMLResponse:
    return render(request, "account.html", {"title": "Your account", "tokens": tokens_of(request.app.state.store,
                                                                                          who.user_id),
                                            "permissions": PERMISSIONS, "new_token": new_token}, status)


@router.get("/account")
def account(request: Request) -> HTMLResponse:
    who, _ = user(request)
    return _account(request, who)


@router.post("/account/tokens")
def add_token(request: Request, csrf: FormText = "", label: FormText = "",
              permission: Annotated[list[str] | None, Form()] = None) -> HTMLResponse:
    who, _ = user(request)
    if not csrf_ok(who, csrf):
        return refuse_csrf(request)
    try:
        _, token = create_token(request.app.state.store, who.name, tuple(permission or ()), label[:200])
    except AccountError as exc:
        return render(request, "error.html", {"title": "No token made", "message": str(exc)}, 400)
    return _account(request, who, token, 201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: int, csrf: FormText = "") -> Response:
    who, _ = user(request)
    if not csrf_ok(who, csrf):
        return refuse_csrf(request)
    if not revoke_token(request.app.state.store, token_id, who.user_id):
        raise NotVisible(f"no token {token_id} of yours that is still valid")
    return RedirectResponse("/account", status_code=303)
