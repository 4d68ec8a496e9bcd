"""The ASGI application: FastAPI, server-rendered pages (pages.py) and the JSON API (api.py) over one store.

``create_app(store)`` is all a test or ``conformance serve`` needs. Who is asking is resolved once per
request (a bearer token, else the session cookie); what they may see is scope.py's rule; anything
outside it is 404 for pages and API alike. Every response carries headers that forbid framing,
sniffing and foreign scripts (the pages use no JavaScript at all), and nothing is cached.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from conformance import __version__
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.maturity.model import CapabilityModel, load_model
from conformance.service import (
    api,
    assess,
    attest,
    claim_audit,
    comparisons,
    events,
    oidc,
    pages,
    records_api,
    runs_api,
    validate,
)
from conformance.service.auth import Clock
from conformance.service.bodycap import BodyCap
from conformance.service.oidc import OidcSettings
from conformance.service.scope import NotVisible
from conformance.service.web import (
    HERE,
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    ApiRefused,
    SignInNeeded,
    _is_api,
    principal,
    scope,
    templates,
)


def create_app(store: EvidenceStore, model: CapabilityModel | None = None, clock: Clock = time.time,
               oidc_settings: OidcSettings | None = None) -> FastAPI:
    """The application over ``store`` (which the caller opens and closes); ``oidc_settings``: sign-in
    through an OpenID provider (default: from the environment, oidc.py; off without it)."""
    app = FastAPI(title="conformance", version=__version__, openapi_url="/api/v1/openapi.json", docs_url=None,
                  redoc_url=None, description="Runs, results, evidence, maturity records and footprints of the "
                  "conformance evidence store. Authenticate with `Authorization: Bearer <token>` "
                  "(`conformance users token NAME`); anything outside the token owner's scope is 404.")
    app.state.store = store
    app.state.model = model or load_model()
    app.state.clock = clock
    app.state.oidc = oidc_settings if oidc_settings is not None else OidcSettings.from_env()
    app.state.oidc_pending = {}
    app.state.templates = templates()
    app.state.launcher = None  # runs_start.Launcher: set by `conformance serve` (it needs the service key)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(oidc.router)
    app.include_router(assess.router)
    app.include_router(attest.router)
    app.include_router(claim_audit.router)
    app.include_router(comparisons.router)
    app.include_router(api.router)
    app.include_router(comparisons.api_router)
    app.include_router(claim_audit.api_router)
    app.include_router(validate.router)
    app.include_router(validate.api_router)
    app.include_router(events.router)
    app.include_router(runs_api.router)
    app.include_router(records_api.router)

    app.add_middleware(BodyCap)  # inside security_headers, so a 413 carries them too

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
