"""What every route needs from the request: who is asking, what they may see, the templates, the cookies.

Apart from app.py so the routers can import it while app.py imports the routers (no import cycle).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from conformance.evidence.store import EvidenceStore
from conformance.service.auth import Principal, session_principal, token_principal
from conformance.service.scope import Scope, scope_of

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
