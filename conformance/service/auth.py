"""Who is asking: server-side sessions (with their CSRF token), API tokens, and the sign-in rate limit.

A session id and an API token are 32 random bytes handed to the client once; the store keeps only
their SHA-256, so a copy of the database opens no session. Signing in always issues a new session id
(whatever cookie came with the request is ignored: no session fixation). Tokens carry permissions
(``runs:read``, ``records:read``, ``runs:write`` to start runs, ``records:write`` for claims and
attestations) on top of their owner's scoped roles, and
can be revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from conformance.evidence.store import EvidenceStore, now_iso
from conformance.service.accounts import AccountError, Grant, check_password, parse_grant
from conformance.service.tables import GrantRow, LoginFailureRow, SessionRow, TokenRow, UserRow

PERMISSIONS = ("runs:read", "records:read", "runs:write", "records:write")
READ_PERMISSIONS = ("runs:read", "records:read")  # a token's default: starting runs is asked for by name
SESSION_SECONDS = 12 * 3600
TOKEN_PREFIX = "cft_"
# The sign-in rate limit: failures counted over a window, per account and per client address.
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

Clock = Callable[[], float]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    grants: tuple[Grant, ...]
    permissions: frozenset[str]
    csrf: str = ""  # a session's; "" for a token (no forms)
    via: str = "session"  # session | token

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.role for g in self.grants))


class RateLimited(Exception):
    """Too many failed sign-ins: the message says for how long."""


def _principal(session: Session, user_id: int, permissions: frozenset[str], csrf: str, via: str) -> Principal | None:
    """The enabled user's principal, read inside the caller's transaction (one per request)."""
    user = session.get(UserRow, user_id)
    if user is None or user.disabled:
        return None
    grants = session.scalars(select(GrantRow).where(GrantRow.user_id == user_id).order_by(GrantRow.id))
    return Principal(user_id, user.name, tuple(parse_grant(g.role, g.scope) for g in grants), permissions, csrf, via)


# -- sign-in and sessions --------------------------------------------------------------------------------


def _recent_failures(store: EvidenceStore, key: str, now: float) -> int:
    with store.transaction("count failed sign-ins") as session:
        return int(session.scalar(select(func.count()).select_from(LoginFailureRow).where(
            LoginFailureRow.key == key, LoginFailureRow.at > now - WINDOW_SECONDS)) or 0)


def sign_in(store: EvidenceStore, name: str, password: str, address: str, clock: Clock) -> tuple[str, str]:
    """A new session (its id and CSRF token) for a right name and password; AccountError for a wrong one,
    RateLimited once the account or the address has failed too often (the password is then not tried)."""
    now = clock()
    for key, limit in ((f"user:{name}", MAX_FAILURES_PER_ACCOUNT), (f"addr:{address}", MAX_FAILURES_PER_ADDRESS)):
        if _recent_failures(store, key, now) >= limit:
            raise RateLimited(f"too many failed sign-ins; try again in {WINDOW_SECONDS // 60} minutes")
    with store.transaction("read an account") as session:
        row = session.scalars(select(UserRow).where(UserRow.name == name)).first()
        user = None if row is None else (row.id, row.password_hash, row.disabled)
    if user is None or user[2] or not check_password(user[1] if user else "", password):
        with store.transaction("record a failed sign-in") as session:
            session.add_all([LoginFailureRow(key=f"user:{name}", at=now),
                             LoginFailureRow(key=f"addr:{address}", at=now)])
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < now - WINDOW_SECONDS))
        raise AccountError("the user name or password is not right")
    with store.transaction("forget failed sign-ins") as session:
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == f"user:{name}"))
    return open_session(store, user[0], now)


def open_session(store: EvidenceStore, user_id: int, now: float) -> tuple[str, str]:
    """A new session of the user (its id and CSRF token): always a fresh id, so no fixation (also oidc.py)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with store.transaction("open a session") as session:
        session.execute(delete(SessionRow).where(SessionRow.expires < now))
        session.add(SessionRow(id_sha256=digest(session_id), user_id=user_id, csrf=csrf, created=now,
                               expires=now + SESSION_SECONDS))
    return session_id, csrf


def session_principal(store: EvidenceStore, session_id: str, clock: Clock) -> Principal | None:
    with store.transaction("read a session") as session:
        row = session.get(SessionRow, digest(session_id))
        if row is None or row.expires < clock():
            return None
        return _principal(session, row.user_id, frozenset(PERMISSIONS), row.csrf, "session")


def sign_out(store: EvidenceStore, session_id: str) -> None:
    with store.transaction("close a session") as session:
        session.execute(delete(SessionRow).where(SessionRow.id_sha256 == digest(session_id)))


def csrf_ok(principal: Principal | None, sent: str) -> bool:
    return principal is not None and bool(principal.csrf) and hmac.compare_digest(principal.csrf, sent)


# -- API tokens ----------------------------------------------------------------------------------------


def create_token(store: EvidenceStore, name: str, scopes: tuple[str, ...] = READ_PERMISSIONS, label: str = "") -> tuple[
        int, str]:
    """A new token for user ``name``: (its id, the token itself, to show once; only its digest is kept)."""
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown or not scopes:
        raise AccountError(f"token scope {', '.join(unknown) or '(none)'}: choose from {', '.join(PERMISSIONS)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction("create a token") as session:
        user_id = session.scalars(select(UserRow.id).where(UserRow.name == name)).first()
        if user_id is None:
            raise AccountError(f"no user {name!r}")
        row = TokenRow(user_id=user_id, label=label, token_sha256=digest(token), scopes=sorted(set(scopes)),
                       created=now_iso(), revoked="")
        session.add(row)
        session.flush()
        return row.id, token


def revoke_token(store: EvidenceStore, token_id: int, user_id: int | None = None) -> bool:
    """Revoke a token (only the user's own when ``user_id`` is given); whether one was revoked."""
    with store.transaction("revoke a token") as session:
        query = update(TokenRow).where(TokenRow.id == token_id, TokenRow.revoked == "")
        if user_id is not None:
            query = query.where(TokenRow.user_id == user_id)
        return bool(session.execute(query.values(revoked=now_iso())).rowcount)


def tokens_of(store: EvidenceStore, user_id: int) -> list[dict[str, object]]:
    with store.transaction("list tokens") as session:
        rows = session.scalars(select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.id))
        return [{"id": r.id, "label": r.label, "scopes": list(r.scopes), "created": r.created, "revoked": r.revoked}
                for r in rows]


def token_principal(store: EvidenceStore, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    with store.transaction("read a token") as session:
        row = session.scalars(select(TokenRow).where(TokenRow.token_sha256 == digest(token))).first()
        if row is None or row.revoked:
            return None
        return _principal(session, row.user_id, frozenset(row.scopes), "", "token")
