"""The sandbox's OAuth2 authorisation server: client credentials by client secret (HTTP Basic or form)
or by a signed JWT assertion (SMART Backend Services), access tokens as ES256 JWTs, and their checks.

JOSE is joserfc's (signing, verifying, claim validation); nothing here does crypto by hand. Keys and
the client secret are made once per process and handed to the harness through environment variables
(``sandbox_credentials``), never written to a file or a report.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jwt import JWTClaimsRegistry

from conformance.sandbox.api_faults import (
    OAUTH_ANY_BEARER_ACCEPTED,
    OAUTH_ASSERTION_SIGNATURE_UNCHECKED,
    OAUTH_BACKEND_SERVICES_UNSUPPORTED,
    OAUTH_BASIC_AUTH_REFUSED,
    OAUTH_EXPIRY_UNCHECKED,
    OAUTH_SCOPES_IGNORED,
    OAUTH_SIGNATURE_UNCHECKED,
    SMART_CONFIG_INCOMPLETE,
)
from conformance.sandbox.faults import Faults

CLIENT_ID = "conformance-harness"
SECRET_ENV = "CONFORMANCE_SANDBOX_CLIENT_SECRET"
KEY_ENV = "CONFORMANCE_SANDBOX_PRIVATE_KEY"
EXPIRED_ENV = "CONFORMANCE_SANDBOX_EXPIRED_TOKEN"
CLIENT_KID = "harness-es384"
LIFETIME = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
API_SCOPES = ("appointments.read", "appointments.write")


@dataclass(frozen=True)
class Keys:
    signing: ECKey  # signs the access tokens the sandbox issues
    client: ECKey  # the harness's registered Backend Services key (public part registered here)
    client_secret: str


@lru_cache(maxsize=1)
def keys() -> Keys:
    return Keys(ECKey.generate_key("P-256", parameters={"kid": "sandbox-1"}),
                ECKey.generate_key("P-384", parameters={"kid": CLIENT_KID}), secrets.token_urlsafe(24))


def sandbox_credentials() -> dict[str, str]:
    """Environment variables the harness reads to act as the sandbox's registered client."""
    k = keys()
    expired = issue("system/Patient.read appointments.read", "https://sandbox.invalid", -60)
    return {SECRET_ENV: k.client_secret, KEY_ENV: k.client.as_pem(private=True).decode(), EXPIRED_ENV: expired}


def issue(scope: str, issuer: str, lifetime: int = LIFETIME) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": CLIENT_ID, "scope": scope, "iat": now, "exp": now + lifetime,
              "jti": secrets.token_hex(8)}
    return jwt.encode({"alg": "ES256", "kid": "sandbox-1"}, claims, keys().signing)


class TokenRefused(Exception):
    """The request carries no token the API accepts; the message says why (never the token)."""


def verify(header: str, faults: Faults) -> dict[str, Any]:
    """The claims of the Bearer token in ``header``; TokenRefused when it is missing or not valid."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRefused("a Bearer token is required")
    if faults.on(OAUTH_ANY_BEARER_ACCEPTED):
        return {"scope": " ".join(API_SCOPES) + " system/*.*", "sub": "anyone"}
    try:
        if faults.on(OAUTH_SIGNATURE_UNCHECKED):
            payload = token.split(".")[1]
            import json

            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        else:
            claims = dict(jwt.decode(token, keys().signing, algorithms=["ES256"]).claims)
        if not faults.on(OAUTH_EXPIRY_UNCHECKED):
            JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    except (JoseError, ValueError, IndexError, TypeError) as exc:
        raise TokenRefused(f"the token is not valid: {type(exc).__name__}") from None
    return claims


def allows(claims: dict[str, Any], wanted: str, faults: Faults) -> bool:
    """Whether the token's scopes grant ``wanted`` (``appointments.read``, ``system/Patient.read``)."""
    if faults.on(OAUTH_SCOPES_IGNORED):
        return True
    granted = str(claims.get("scope", "")).split()
    if wanted in granted:
        return True
    if wanted.startswith("system/"):
        rtype, _, action = wanted.removeprefix("system/").partition(".")
        return any(g in granted for g in (f"system/{rtype}.*", f"system/*.{action}", "system/*.*"))
    return False


def grant(form: dict[str, str], authorization: str, token_url: str, issuer: str,
          faults: Faults) -> tuple[int, dict[str, Any]]:
    """The token endpoint (RFC 6749 4.4, RFC 7523): (status, JSON body)."""
    if form.get("grant_type") != "client_credentials":
        return 400, {"error": "unsupported_grant_type"}
    client = _authenticate(form, authorization, token_url, faults)
    if client is None:
        return 401, {"error": "invalid_client"}
    requested = form.get("scope", "").split()
    known = {*API_SCOPES, "system/Patient.read", "system/Patient.write", "system/Observation.read", "system/*.read"}
    unknown = [s for s in requested if s not in known]
    if unknown or not requested:
        return 400, {"error": "invalid_scope", "error_description": f"unknown scope {unknown[0]!r}" if unknown
                     else "ask for at least one scope"}
    scope = " ".join(requested)
    return 200, {"access_token": issue(scope, issuer), "token_type": "Bearer", "expires_in": LIFETIME,
                 "scope": scope}


def _authenticate(form: dict[str, str], authorization: str, token_url: str, faults: Faults) -> str | None:
    k = keys()
    if form.get("client_assertion_type") == ASSERTION_TYPE:
        if faults.on(OAUTH_BACKEND_SERVICES_UNSUPPORTED):
            return None
        try:
            if faults.on(OAUTH_ASSERTION_SIGNATURE_UNCHECKED):
                payload = form.get("client_assertion", "").split(".")[1]
                import json

                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            else:
                claims = dict(jwt.decode(form.get("client_assertion", ""), k.client,
                                         algorithms=["ES384", "RS384"]).claims)
            JWTClaimsRegistry(iss={"essential": True, "value": CLIENT_ID}, sub={"essential": True, "value": CLIENT_ID},
                              aud={"essential": True, "value": token_url}, exp={"essential": True},
                              jti={"essential": True}).validate(claims)
        except (JoseError, ValueError, IndexError, TypeError):
            return None
        return CLIENT_ID
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization.lower().startswith("basic ") and not faults.on(OAUTH_BASIC_AUTH_REFUSED):
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return None
    if client_id == CLIENT_ID and secret and secrets.compare_digest(secret, k.client_secret):
        return CLIENT_ID
    return None


def smart_configuration(base: str, faults: Faults) -> dict[str, Any]:
    """SMART App Launch 2.0 discovery for the protected FHIR base (``base`` = the server's root URL)."""
    config: dict[str, Any] = {
        "issuer": base, "jwks_uri": f"{base}/oauth/jwks", "token_endpoint": f"{base}/oauth/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES384", "RS384"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["system/Patient.read", "system/Patient.write", "system/Observation.read",
                             *API_SCOPES],
        "response_types_supported": ["token"],
        "capabilities": ["client-confidential-asymmetric", "client-confidential-symmetric", "permission-v1"],
        "code_challenge_methods_supported": ["S256"],
    }
    if faults.on(SMART_CONFIG_INCOMPLETE):
        del config["capabilities"], config["grant_types_supported"]
    return config


def jwks() -> dict[str, Any]:
    return {"keys": [keys().signing.as_dict(private=False)]}


def configure_target(target: Any, root: str) -> None:
    """Point ``target``'s open-API settings at a sandbox served at ``root`` (``https://host:port``).

    The sandbox's client secret, key and an expired token reach the harness as a real client's would,
    through environment variables, set here for this process. They are always overwritten: a value
    inherited from a parent process belongs to that process's sandbox, whose keys differ.
    """
    import os

    os.environ.update(sandbox_credentials())
    target.endpoints["api"] = f"{root}/api"
    target.endpoints["openapi"] = f"{root}/api/openapi.json"
    target.oauth.client_id = CLIENT_ID
    target.oauth.client_secret_env = SECRET_ENV
    target.oauth.private_key_env = KEY_ENV
    target.oauth.key_id = CLIENT_KID
    target.oauth.expired_token_env = EXPIRED_ENV
    target.oauth.scopes = "appointments.read appointments.write"
    target.oauth.smart_fhir = f"{root}/smart/fhir"
