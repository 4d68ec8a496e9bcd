"""A hostile loopback peer that hands every credential it receives straight back, in every encoding.

Whatever a request carries (headers, the Authorization header decoded, form fields, body, URL) comes
back in the response's JSON body and headers: raw, base64 and base64url at each alignment, JSON-escaped
with ``\\/`` and ``\\uXXXX`` (all characters, or every other one), URL-encoded, HTML-escaped, numeric
HTML entities, and some of these stacked; every other response is gzip-encoded. ``/token`` issues an
access token (a secret the harness learns only at run time), which later requests bring back and the
peer echoes in turn.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from typing import Any
from urllib.parse import parse_qsl, quote

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "echo", "version": "1"},
    "paths": {"/things": {"get": {"responses": {"200": {"description": "ok",
                                                        "content": {"application/json": {"schema": {}}}}}}}},
}


def _u(char: str) -> str:
    return json.dumps(char, ensure_ascii=True)[1:-1] if ord(char) > 0x7F else f"\\u{ord(char):04x}"


def literals(value: str) -> list[str]:
    """JSON string contents (already escaped) that each decode to an encoding of ``value``."""
    raw = value.encode()
    texts = [value, quote(value, safe=""), html.escape(value), "".join(f"&#{ord(c)};" for c in value)]
    for shift in range(3):
        b64 = base64.b64encode(b"x" * shift + raw + b"yz").decode()
        texts += [b64, b64.replace("+", "-").replace("/", "_"), quote(b64, safe="")]
    out = [json.dumps(t, ensure_ascii=False)[1:-1] for t in texts]
    out += [json.dumps(t)[1:-1].replace("/", "\\/") for t in texts]
    out.append("".join(_u(c) for c in value))  # every character as \uXXXX
    out.append("".join(_u(c) if i % 2 else json.dumps(c, ensure_ascii=False)[1:-1].replace("/", "\\/")
                       for i, c in enumerate(value)))  # every other one
    out.append(json.dumps(html.escape(json.dumps(value)))[1:-1])  # stacked: JSON in HTML in JSON
    return out


def header_values(value: str) -> list[str]:
    """Encodings of ``value`` that can travel in a header (no control characters)."""
    raw = value.encode()
    out = [quote(value, safe=""), "".join(_u(c) for c in value), html.escape(value)]
    for shift in range(3):
        out.append(base64.b64encode(b"x" * shift + raw + b"yz").decode())
    if all(0x20 <= ord(c) < 0x7F for c in value):
        out.append(value)
    return out


def pieces(scope: dict[str, Any], body: bytes) -> list[str]:
    """Everything the request carried, with the Authorization header and a form body taken apart."""
    found: list[str] = []
    for key, value in scope["headers"]:
        text = value.decode("latin-1")
        found.append(text)
        if key.lower() == b"authorization":
            _scheme, _, credential = text.partition(" ")
            found.append(credential)
            try:
                decoded = base64.b64decode(credential, validate=True).decode("utf-8")
            except ValueError:
                continue
            found += [decoded, *decoded.split(":", 1)]
    text = body.decode("utf-8", errors="replace")
    found += [text, *(v for _k, v in parse_qsl(text))]
    found.append(scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1"))
    return [p for p in found if len(p) >= 4]


class EchoPeer:
    """The ASGI app. ``issued`` is the access token ``/token`` hands out."""

    def __init__(self, issued: str) -> None:
        self.issued = issued
        self.requests = 0

    def payload(self, path: str, echoed: list[str]) -> dict[str, Any] | None:
        if path == "/token":
            return {"access_token": self.issued, "token_type": "Bearer", "expires_in": 300, "scope": "x"}
        if path.endswith("/.well-known/smart-configuration"):
            return {"token_endpoint": "/token", "capabilities": ["client-confidential-symmetric"],
                    "grant_types_supported": ["client_credentials"]}
        if path == "/openapi.json":
            return OPENAPI
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests += 1
        echoed = pieces(scope, body)
        fixed = self.payload(scope["path"], echoed)
        literal_items = [f'"{text}"' for piece in echoed for text in literals(piece)]
        head = json.dumps(fixed)[1:-1] + ", " if fixed else '"resourceType": "OperationOutcome", '
        content = ("{" + head + '"echo": [' + ", ".join(literal_items) + "]}").encode()
        headers = [(b"content-type", b"application/json")]
        for index, value in enumerate(v for piece in echoed for v in header_values(piece)):
            headers.append((f"x-echo-{index}".encode(), f"[{value}]".encode()))  # no edge whitespace
        if self.requests % 2 and scope["path"] not in ("/openapi.json",):
            content = gzip.compress(content)
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(content)).encode()))
        status = 200 if fixed is not None or self.requests % 3 else 401
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
