"""A tiny OpenID provider for the tests, on a free loopback port (FastAPI + uvicorn in a thread): discovery,
an authorization endpoint that signs in whoever ``provider.person`` says (no login page), a token endpoint
that checks the client secret, the code and its PKCE verifier, and its RS256 keys (joserfc).

``provider.fault``: "" (a correct provider), "other-key" (ID tokens signed by a key it does not publish),
"wrong-nonce", "wrong-audience".
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Header, Response
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "conformance-test"
CLIENT_SECRET = "synthetic-client-secret"  # test-only


@dataclass
class Provider:
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    fault: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"}))
    other: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"}))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "someone-else" if self.fault == "wrong-audience" else CLIENT_ID,
                  "iat": now, "exp": now + 300,
                  "nonce": "not-the-nonce" if self.fault == "wrong-nonce" else grant["nonce"], **self.person}
        key = self.other if self.fault == "other-key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def provider_app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {"issuer": provider.issuer, "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token", "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return KeySet([provider.key]).as_dict(private=False)

    @app.get("/authorize")
    def authorize(client_id: str, redirect_uri: str, state: str, nonce: str, code_challenge: str,
                  code_challenge_method: str, response_type: str, scope: str) -> Response:
        if (client_id != CLIENT_ID or response_type != "code" or code_challenge_method != "S256"
                or "openid" not in scope):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {"nonce": nonce, "challenge": code_challenge, "redirect_uri": redirect_uri}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

    @app.post("/token")
    def token(grant_type: Annotated[str, Form()], code: Annotated[str, Form()],
              code_verifier: Annotated[str, Form()], redirect_uri: Annotated[str, Form()],
              authorization: Annotated[str, Header()] = "") -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        grant = provider.codes.pop(code, None)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if (authorization != expected or grant is None or grant_type != "authorization_code"
                or grant["challenge"] != challenge or grant["redirect_uri"] != redirect_uri):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                             "id_token": provider.id_token(grant)})

    return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider on 127.0.0.1 (a free port) until the block ends; its server thread is then stopped."""
    provider = Provider()
    sock = socket.create_server(("127.0.0.1", 0))
    provider.issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(provider_app(provider), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
