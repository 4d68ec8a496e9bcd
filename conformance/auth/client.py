"""The harness as an OAuth2 client: client credentials by client secret (HTTP Basic) or by a signed
JWT assertion (SMART Backend Services, RFC 7523), every exchange through the evidence-recording
HTTP transport.

The assertion is signed by Authlib (over joserfc); the key and secret are read from the environment
variables the target names, only when a token is asked for, and every token obtained is added to the
transport's scrubber so it never reaches evidence, reports or the store.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from typing import Any

from conformance import safejson
from conformance.evidence.capture import collecting, record
from conformance.model import Evidence
from conformance.openapi.settings import OAuthSettings
from conformance.scrub import register
from conformance.transports.http import BodyBeyondLimit, HttpResponse, HttpTransport, TransportError

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenError(Exception):
    """No token: the endpoint refused, hung, or answered something that is not a token response."""


@dataclass
class Token:
    access_token: str
    token_type: str
    expires_in: Any
    scope: str
    response: HttpResponse


def protect(http: HttpTransport, *values: str) -> None:
    """Scrub these values, in every encoding, from everything this transport and every output keep
    from now on (the transport's scrubber feeds the run's registry, :data:`conformance.scrub.RUN`)."""
    http.scrubber.add(*values)
    register(*values)


def _form(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


async def read_token(response: HttpResponse) -> Token:
    """A successful RFC 6749 5.1 token response, or TokenError saying what is wrong with it.

    The body is parsed off the event loop and within safejson's limits; a body past them is
    :class:`~conformance.transports.http.BodyBeyondLimit` (the check errors: nothing was judged)."""
    if response.status_code != 200:
        detail = ""
        try:
            body = await response.ajson()
            if isinstance(body, dict):
                detail = f": {body.get('error', '')} {body.get('error_description', '')}".rstrip()
        except ValueError:
            detail = f" ({response.content_type or 'no content type'}, not a JSON error)"
        raise TokenError(f"the token endpoint answered {response.status_code}{detail}")
    try:
        body = await response.ajson()
    except ValueError:
        raise TokenError(f"the token endpoint answered 200 with {response.content_type or 'no content type'}, "
                         "not a JSON token response") from None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise TokenError("the token response has no access_token")
    return Token(body["access_token"], str(body.get("token_type", "")), body.get("expires_in"),
                 str(body.get("scope", "")), response)


class OAuthClient:
    def __init__(self, http: HttpTransport, settings: OAuthSettings, token_endpoint: str) -> None:
        self.http = http
        self.settings = settings
        self.token_endpoint = token_endpoint
        protect(http, *settings.secrets())
        # A token request changes no record: the one POST a read-only (non-sandbox) transport lets through.
        http.allow_token_endpoint(token_endpoint)

    async def _post(self, form: dict[str, str], headers: dict[str, str]) -> Token:
        # The token arrives in the very response the transport records, before its value can be known:
        # the exchange is caught here and the token scrubbed from it before it joins the check's evidence.
        broken: TransportError | None = None
        with collecting() as caught:
            try:
                response = await self.http.request("POST", self.token_endpoint, headers={**FORM, **headers},
                                                   content=_form(form))
            except TransportError as exc:
                broken = exc
        if broken is not None:
            for item in caught:
                record(item)
            raise TokenError(f"the token endpoint did not answer: {broken}")
        try:
            token = await read_token(response)
        except (TokenError, BodyBeyondLimit):
            token = None
        if token is not None:
            protect(self.http, token.access_token)
        for item in caught:
            record(Evidence(item.kind, self.http.scrubber.text(item.summary), self.http.scrubber.value(item.data)))
        if token is None:
            await read_token(response)  # raises the TokenError again, now that the evidence is kept
        assert token is not None
        return token

    async def client_secret(self, scope: str) -> Token:
        """client_credentials, authenticated with HTTP Basic (client_secret_basic, RFC 6749 2.3.1)."""
        secret = os.environ.get(self.settings.client_secret_env, "")
        if not secret:
            raise TokenError("no client secret (oauth.client_secret_env)")
        pair = f"{self.settings.client_id}:{secret}".encode()
        basic = "Basic " + base64.b64encode(pair).decode()
        protect(self.http, secret, pair.decode(), basic.split(" ", 1)[1])
        return await self._post({"grant_type": "client_credentials", "scope": scope}, {"Authorization": basic})

    def assertion(self, key_pem: str | None = None) -> str:
        """A SMART Backend Services client assertion (RFC 7523), signed by Authlib with our key."""
        from authlib.oauth2.rfc7523 import private_key_jwt_sign
        from joserfc.jwk import ECKey, KeySet, RSAKey

        raw = key_pem if key_pem is not None else os.environ.get(self.settings.private_key_env, "")
        if not raw:
            raise TokenError("no private key (oauth.private_key_env)")
        try:
            if raw.lstrip().startswith("{"):
                key: Any = KeySet.import_key_set({"keys": [_json(raw)]}).keys[0]
            else:
                key = ECKey.import_key(raw) if "EC " in raw or _is_ec(raw) else RSAKey.import_key(raw)
        except Exception as exc:  # noqa: BLE001 - a bad key is a configuration problem, said plainly
            raise TokenError(f"the private key in {self.settings.private_key_env} cannot be read: "
                             f"{type(exc).__name__}") from None
        alg = "ES384" if key.key_type == "EC" else "RS384"
        header = {"kid": self.settings.key_id} if self.settings.key_id else {}
        claims = {"jti": secrets.token_hex(16)}
        signed = private_key_jwt_sign(key, self.settings.client_id, self.token_endpoint, alg=alg,
                                      claims=claims, header=header)
        return signed.decode() if isinstance(signed, bytes) else str(signed)

    async def backend_services(self, scope: str, key_pem: str | None = None) -> Token:
        assertion = self.assertion(key_pem)
        protect(self.http, assertion)  # a signed assertion is a credential while it lives: never kept
        return await self._post({"grant_type": "client_credentials", "scope": scope,
                                 "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}, {})

    async def any_token(self, scope: str) -> Token:
        """A token by whichever configured flow gives one (Backend Services first, then the client secret).

        The flows are judged one by one by their own checks; the other checks only need a token.
        """
        first: TokenError | None = None
        if self.settings.private_key_env:
            try:
                return await self.backend_services(scope)
            except TokenError as exc:
                first = exc
        if self.settings.client_secret_env:
            try:
                return await self.client_secret(scope)
            except TokenError as exc:
                first = first or exc
        raise first or TokenError("no client secret or private key declared")


def _json(raw: str) -> dict[str, Any]:
    value = safejson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JWK object")
    return value


def _is_ec(pem: str) -> bool:
    """Whether a PKCS#8 PEM holds an EC key (its algorithm OID 1.2.840.10045.2.1 is in the DER)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return isinstance(load_pem_private_key(pem.encode(), password=None), ec.EllipticCurvePrivateKey)
    except (ValueError, TypeError):
        return False
