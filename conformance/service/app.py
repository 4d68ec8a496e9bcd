"""The ASGI application: FastAPI, server-rendered pages (pages.py) and the JSON API (api.py) over one store.

``create_app(store)`` is all a test or ``conformance serve`` needs. Who is asking is resolved once per
request (a bearer token, else the session cookie); what they may see is scope.py's rule; anything
outside it is 404 for pages and API alike. Every response carries headers that forbid framing,
sniffing and foreign scripts (the pages use no JavaScript at all), and nothing is cached.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from conformance import __version__
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.maturity.model import CapabilityModel, load_model
from conformance.service.auth import Clock, Principal, session_principal, token_principal
from conformance.service.scope import NotVisible, Scope, scope_of

if TYPE_CHECKING:
    from conformance.service.oidc import OidcSettings

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "conformance_session"
LOGIN_CSRF_COOKIE = "conformance_login_csrf"
STATUS_WORDS = {"pass": "Passed", "fail": "Failed", "skip": "Skipped (not judged)", "error": "Error (not judged)"}
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInNeeded(Exception):
    """A page was asked for without a session: the browser is sent to the sign-in page."""


class ApiRefused(Exception):
    """An API call without a valid credential (401) or with a token lacking the permission (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["status_words"] = STATUS_WORDS
    return env


def principal(request: Request) -> Principal | None:
    """The bearer token's owner, else the session's, else None; resolved once per request."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    store: EvidenceStore = request.app.state.store
    header = request.headers.get("authorization", "")
    found = None
    if header[:7].lower() == "bearer ":
        found = token_principal(store, header[7:].strip())
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = session_principal(store, cookie, request.app.state.clock)
    request.state.principal = found
    return found


def scope(request: Request, who: Principal) -> Scope:
    if not hasattr(request.state, "scope"):
        request.state.scope = scope_of(request.app.state.store, who)
    found: Scope = request.state.scope
    return found


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(store: EvidenceStore, model: CapabilityModel | None = None, clock: Clock = time.time,
               oidc: OidcSettings | None = None) -> FastAPI:
    """The application over ``store`` (which the caller opens and closes); ``oidc``: an
    oidc.OidcSettings (default: from the environment; sign-in through a provider is off without it)."""
    from conformance.service import api, assess, attest, claim_audit, comparisons, pages, validate
    from conformance.service import oidc as oidc_login

    app = FastAPI(title="conformance", version=__version__, openapi_url="/api/v1/openapi.json", docs_url=None,
                  redoc_url=None, description="Runs, results, evidence, maturity records and footprints of the "
                  "conformance evidence store. Authenticate with `Authorization: Bearer <token>` "
                  "(`conformance users token NAME`); anything outside the token owner's scope is 404.")
    app.state.store = store
    app.state.model = model or load_model()
    app.state.clock = clock
    app.state.oidc = oidc if oidc is not None else oidc_login.OidcSettings.from_env()
    app.state.oidc_pending = {}
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(oidc_login.router)
    app.include_router(assess.router)
    app.include_router(attest.router)
    app.include_router(claim_audit.router)
    app.include_router(comparisons.router)
    app.include_router(api.router)
    app.include_router(comparisons.api_router)
    app.include_router(claim_audit.api_router)
    app.include_router(validate.router)
    app.include_router(validate.api_router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "not found"}, status_code=404)
        return pages.render(request, "error.html", {"title": "Page not found",
                                                    "message": "There is nothing here that you can see."}, 404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code != 404:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return pages.render(request, "error.html", {"title": "Page not found",
                                                    "message": "There is nothing here that you can see."}, 404)

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse(pages.login_url(request), status_code=303)

    @app.exception_handler(ApiRefused)
    async def api_refused(request: Request, exc: ApiRefused) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="conformance"'} if exc.status == 401 else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        message = "The evidence store could not answer; try again, or ask the operator to check its log."
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=503)
        return pages.render(request, "error.html", {"title": "Service unavailable", "message": message}, 503)

    return app


__all__ = ["LOGIN_CSRF_COOKIE", "SESSION_COOKIE", "HTMLResponse", "create_app", "principal", "scope"]
