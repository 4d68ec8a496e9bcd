"""Optional sign-in through an OpenID Connect provider (authorization code flow with PKCE, Authlib).

Off unless ``CONFORMANCE_OIDC_ISSUER`` and ``CONFORMANCE_OIDC_CLIENT_ID`` are set (the client secret:
``CONFORMANCE_OIDC_CLIENT_SECRET``; the callback address, when the service sits behind a proxy:
``CONFORMANCE_OIDC_REDIRECT_URI``). The provider proves who someone is; it never decides what they
may see: an identity maps to an account only if an administrator registered it for that account
(`conformance users oidc`), by subject, or by an email the provider says it verified. An unknown
identity is refused with a sentence; no account is made and no role granted.

The ID token is checked with joserfc (Authlib's JOSE library) against the provider's published keys:
signature, issuer, audience, expiry and the nonce this service sent. The flow's state is kept server
side and bound to the browser by a cookie, so a callback cannot be replayed or planted (login CSRF).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import false, or_, select

from conformance.evidence.store import EvidenceStore
from conformance.service import pages, web
from conformance.service.auth import open_session
from conformance.service.tables import OidcIdentityRow, UserRow

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "conformance_oidc_state"
STATE_SECONDS = 600
MAX_PENDING = 10_000  # sign-ins under way at once: anyone may start one, so the memory they take is bounded
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


class OidcError(Exception):
    """The provider could not be used, or what it sent does not hold: one sentence for the page."""


@dataclass
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str = ""
    redirect_uri: str = ""
    timeout: float = 10.0
    _metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> OidcSettings | None:
        issuer = os.environ.get("CONFORMANCE_OIDC_ISSUER", "").strip()
        client_id = os.environ.get("CONFORMANCE_OIDC_CLIENT_ID", "").strip()
        if not issuer or not client_id:
            return None
        return cls(issuer.rstrip("/"), client_id, os.environ.get("CONFORMANCE_OIDC_CLIENT_SECRET", ""),
                   os.environ.get("CONFORMANCE_OIDC_REDIRECT_URI", "").strip())

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once); its issuer must be the configured one."""
        if not self._metadata:
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    found = (await http.get(url)).raise_for_status().json()
            except (httpx.HTTPError, ValueError) as exc:
                raise OidcError(f"the sign-in provider's discovery document ({url}) could not be read: "
                                f"{type(exc).__name__}") from None
            if not isinstance(found, dict) or found.get("issuer", "").rstrip("/") != self.issuer:
                raise OidcError("the sign-in provider's discovery document names another issuer")
            self._metadata = found
        return self._metadata


@dataclass(frozen=True)
class Pending:
    nonce: str
    verifier: str
    next_path: str
    expires: float


def register_identity(store: EvidenceStore, user_name: str, issuer: str, subject: str = "", email: str = "") -> None:
    """Map a provider's identity to an existing account (its roles stay what the account was granted)."""
    from conformance.service.accounts import AccountError

    if bool(subject) == bool(email):
        raise AccountError("give the identity's subject or its email, one of them")
    with store.transaction("register an OIDC identity") as session:
        user_id = session.scalar(select(UserRow.id).where(UserRow.name == user_name))
        if user_id is None:
            raise AccountError(f"no user {user_name!r}")
        session.add(OidcIdentityRow(user_id=user_id, issuer=issuer.rstrip("/"), subject=subject,
                                    email=email.lower()))


def account_of(store: EvidenceStore, issuer: str, claims: dict[str, Any]) -> int | None:
    """The account registered for the token's subject, or for its email if the provider verified it."""
    subject = str(claims.get("sub", ""))
    email = str(claims.get("email", "")).lower() if claims.get("email_verified") is True else ""
    with store.transaction("look up an OIDC identity") as session:
        wanted = [OidcIdentityRow.subject == subject] if subject else []
        wanted += [OidcIdentityRow.email == email] if email else []
        rows = session.scalars(select(OidcIdentityRow).where(OidcIdentityRow.issuer == issuer,
                                                             or_(false(), *wanted))).all()
        by_subject = [r.user_id for r in rows if r.subject and r.subject == subject]
        by_email = [r.user_id for r in rows if r.email and r.email == email]
        found = by_subject or by_email
        if not found:
            return None
        user = session.get(UserRow, found[0])
        return None if user is None or user.disabled else user.id


def _client(settings: OidcSettings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(client_id=settings.client_id, client_secret=settings.client_secret or None,
                             scope="openid email", redirect_uri=redirect_uri, code_challenge_method="S256",
                             token_endpoint_auth_method="client_secret_basic" if settings.client_secret else "none",
                             timeout=settings.timeout)


def _redirect_uri(request: Request, settings: OidcSettings) -> str:
    return settings.redirect_uri or str(request.url_for("oidc_callback"))


def _refuse(request: Request, message: str, status: int = 403) -> Response:
    response = pages.render(request, "error.html", {"title": "Sign-in through your provider failed",
                                                    "message": message}, status)
    response.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return response


@router.get("/login/oidc")
async def start(request: Request, next: str = "/") -> Response:
    settings: OidcSettings | None = request.app.state.oidc
    if settings is None:
        return _refuse(request, "Sign-in through a provider is not set up on this service.", 404)
    try:
        meta = await settings.metadata()
    except OidcError as exc:
        return _refuse(request, f"{exc}. Try again later, or sign in with a password.", 502)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    pending: dict[str, Pending] = request.app.state.oidc_pending
    now = time.time()
    for key in [k for k, p in pending.items() if p.expires < now]:
        del pending[key]
    if len(pending) >= MAX_PENDING:
        return _refuse(request, "Too many sign-ins are under way. Try again in a few minutes.", 429)
    pending[state] = Pending(nonce, verifier, pages.local_path(next), now + STATE_SECONDS)
    async with _client(settings, _redirect_uri(request, settings)) as client:
        url, _ = client.create_authorization_url(str(meta["authorization_endpoint"]), state=state, nonce=nonce,
                                                 code_verifier=verifier)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(STATE_COOKIE, state, max_age=STATE_SECONDS, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/login/oidc")
    return response


async def _claims(settings: OidcSettings, request: Request, code: str, flow: Pending) -> dict[str, Any]:
    meta = await settings.metadata()
    try:
        async with _client(settings, _redirect_uri(request, settings)) as client:
            token = await client.fetch_token(str(meta["token_endpoint"]), code=code, code_verifier=flow.verifier)
        async with httpx.AsyncClient(timeout=settings.timeout) as http:
            keys = KeySet.import_key_set((await http.get(str(meta["jwks_uri"]))).raise_for_status().json())
    except Exception as exc:  # noqa: BLE001 - Authlib raises its own and httpx's errors alike: one sentence
        raise OidcError(f"the provider did not exchange the code ({type(exc).__name__})") from None
    try:
        decoded = jwt.decode(str(token.get("id_token", "")), keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": settings.issuer},
                              aud={"essential": True, "value": settings.client_id},
                              exp={"essential": True}, sub={"essential": True},
                              nonce={"essential": True, "value": flow.nonce}).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OidcError(f"the provider's ID token does not hold ({type(exc).__name__})") from None
    return dict(decoded.claims)


@router.get("/login/oidc/callback", name="oidc_callback")
async def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    settings: OidcSettings | None = request.app.state.oidc
    if settings is None:
        return _refuse(request, "Sign-in through a provider is not set up on this service.", 404)
    cookie = request.cookies.get(STATE_COOKIE, "")
    flow = request.app.state.oidc_pending.pop(state, None) if state else None
    if flow is None or not cookie or not secrets.compare_digest(cookie, state) or flow.expires < time.time():
        return _refuse(request, "This sign-in was not started here, or it expired. Start again from the sign-in page.")
    if error or not code:
        return _refuse(request, f"The provider did not sign you in ({error or 'no code'}).")
    try:
        claims = await _claims(settings, request, code, flow)
    except OidcError as exc:
        return _refuse(request, f"{exc}. Try again, or sign in with a password.", 502)
    store = request.app.state.store
    user_id = account_of(store, settings.issuer, claims)
    if user_id is None:
        return _refuse(request, "No account here is registered for this identity. An administrator registers it "
                                "(`conformance users oidc NAME --issuer URL --subject SUB`); accounts and roles are "
                                "never made from a sign-in.")
    session_id, _ = open_session(store, user_id, request.app.state.clock())
    response = RedirectResponse(flow.next_path, status_code=303)
    response.set_cookie(web.SESSION_COOKIE, session_id, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    response.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return response


def login_link(next_path: str) -> str:
    return f"/login/oidc?next={quote(next_path, safe='')}"
