"""HTTP transport on httpx: every exchange becomes evidence, and a hostile server cannot hurt the run.

Bodies are streamed and cut off at a maximum size, redirects are bounded, connect and read have their
own timeouts, and TLS is verified unless the target says otherwise. Credentials are redacted from the
headers and scrubbed from every text kept as evidence. For tests, pass an ``httpx`` transport (an
``ASGITransport`` around the sandbox, or a ``MockTransport``): that is the in-memory twin.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance import liveness, safejson
from conformance.checks import ExchangeBroken, HarnessLacks
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.scrub import REDACTED, SENSITIVE_HEADERS, Scrubber, transport_scrubber
from conformance.transports.client import Client, SameOrigin, origin
from conformance.transports.decoding import BoundedDecoder, DecodeError
from conformance.transports.settings import Auth, HttpSettings
from conformance.transports.tls import tls_context
from conformance.writeguard import (
    READ_METHODS,
    effective_method,
    endpoint_key,
    http_writes,
    refuse_write,
    token_request,
)

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "BodyBeyondLimit", "HttpResponse", "HttpTransport", "RequestNotSent",
           "Scrubber", "TransportError"]


class TransportError(ExchangeBroken):
    """The exchange could not complete: connection refused or reset, timeout, oversized body..."""


class RequestNotSent(TransportError):
    """The harness could not put the request on the wire (h11/httpx refused a header value, say): nothing
    reached the server, so nothing about the server may be concluded from it."""


class BodyBeyondLimit(HarnessLacks):
    """A JSON body deeper or with larger integers than the harness reads (safejson's limits).

    Not a ``ValueError``: a check that fails a server for a body that is not JSON must not fail it
    for one the harness declined to read. The check ends in ``error`` with this sentence.
    """


@dataclass
class HttpResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed_ms: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()

    def json(self) -> Any:
        """Parse the body as JSON, bounded in depth and integer size; ``ValueError`` says why it is not
        JSON, :class:`BodyBeyondLimit` (an error verdict) that it passes the harness's limits."""
        try:
            return safejson.loads(self.content)
        except safejson.JsonLimitError as exc:
            raise BodyBeyondLimit(f"the body from {self.url} was not read: {exc}; nothing was judged "
                                  "on it") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            preview = self.text[:80].replace("\n", " ")
            raise ValueError(f"body is not JSON ({exc}); it starts {preview!r}") from None

    async def ajson(self) -> Any:
        """:meth:`json` off the event loop: a multi-megabyte body must not stall other checks."""
        if len(self.content) < 256 * 1024:
            return self.json()
        return await asyncio.to_thread(self.json)


def _content_type(headers: Mapping[str, str] | None) -> str:
    return next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")


class HttpTransport:
    def __init__(
        self,
        settings: HttpSettings | None = None,
        auth: Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        origin: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only  # not a sandbox: refuse any request that may change data
        # The one exemption from read_only: form POSTs to these token endpoints (allow_token_endpoint).
        self.token_endpoints: frozenset[str] = frozenset()
        self.settings = settings or HttpSettings()
        # Credentials go only to the target's own origin: a link a server hands back (a next page, a
        # Location) may point anywhere, and following it must not hand the token to a third party.
        self.same_origin = SameOrigin(origin) if origin else None
        self.origin = self.same_origin.origin if self.same_origin else None
        self.auth = auth or Auth()
        self.scrubber = transport_scrubber(self.auth.secrets())
        self.client = Client(
            timeout=httpx.Timeout(
                self.settings.read_timeout, connect=self.settings.connect_timeout, pool=None
            ),
            verify=tls_context(self.settings.verify_tls),  # shared: building one loads the CA bundle
            follow_redirects=True,
            max_redirects=self.settings.max_redirects,
            transport=transport,
            headers={"User-Agent": "conformance"},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def allow_token_endpoint(self, url: str) -> None:
        """Let OAuth2 token requests (form POSTs to exactly ``url``) through on a read-only transport:
        they ask for a credential and change no record. Only the auth client and the token endpoint the
        target declares (or its SMART configuration names) call this."""
        self.token_endpoints = self.token_endpoints | {endpoint_key(url)}

    def _auth_headers(self) -> dict[str, str]:
        if self.auth.type == "bearer":
            return {"Authorization": f"Bearer {self.auth.value(self.auth.token_env)}"}
        if self.auth.type == "basic":
            user = self.auth.value(self.auth.username_env)
            pwd = self.auth.value(self.auth.password_env)
            return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pwd}".encode()).decode()}
        return {}

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        verb, acted = method.upper(), effective_method(method, headers)  # acted: an override header's method
        exempt = acted == verb and token_request(verb, url, _content_type(headers), self.token_endpoints)
        if (http_writes(verb, url) or http_writes(acted, url)) and not exempt:
            refuse_write(self.read_only, f"{verb} {url}" + (f" (override {acted})" if acted != verb else ""))
        send_auth = self.same_origin is None or self.same_origin(url)
        merged = {**(self._auth_headers() if send_auth else {}), **(headers or {})}
        try:
            request = self.client.build_request(method, url, headers=merged, content=content, params=params)
        except (UnicodeEncodeError, ValueError, httpx.InvalidURL) as exc:  # a header httpx cannot encode
            if isinstance(exc, httpx.InvalidURL) and self.same_origin is not None:
                origin(url)  # the URL itself does not parse: raised from here, as when every origin was parsed
            raise RequestNotSent(self.scrubber.text(f"the request to {url} could not be built, so it was not "
                                                    f"sent: {str(exc)[:200]}")) from None
        started = time.perf_counter()
        limit = self.settings.max_body_bytes
        body = bytearray()
        digest = hashlib.sha256()
        deadline = self.settings.exchange_timeout
        try:
            # A redirect repeats a POST's body elsewhere (307/308): a read-only transport lets through only
            # the exempt POSTs (_search, token) and must not let a redirect carry them to another URL.
            follow = not (self.read_only and not {verb, acted} <= READ_METHODS)
            # One bound on the whole exchange: the read timeout restarts with every byte, so a server
            # dribbling a byte every few seconds would otherwise hold a check until the check's timeout.
            async with asyncio.timeout(deadline):
                response = await self._send(request, follow, {verb, acted} <= READ_METHODS)
                try:
                    headers_ms = (time.perf_counter() - started) * 1000
                    if response.is_stream_consumed:  # an in-memory twin handed back a response already read
                        _take(iter((response.content,)), body, digest, limit)
                    else:
                        decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
                        async for raw in response.aiter_raw():
                            _take(decoder.feed(raw), body, digest, limit)
                        _take(decoder.finish(), body, digest, limit)
                finally:
                    await response.aclose()
        except TransportError as exc:
            liveness.answered()
            self._record(request, None, bytes(body), digest, started, str(exc))
            raise
        except DecodeError as exc:
            liveness.answered()
            message = f"{url} sent a body that cannot be decoded as its Content-Encoding says: {exc}"
            self._record(request, None, bytes(body), digest, started, message)
            raise TransportError(message) from None
        except TimeoutError:
            message = (f"{url} did not complete its response within the {deadline:g} s exchange deadline "
                       f"([http] exchange_timeout): a server sending slowly ({len(body):,} body bytes by then)")
            self._record(request, None, bytes(body), digest, started, message)
            raise TransportError(message) from None
        except asyncio.CancelledError:
            # The run was stopped (Ctrl-C, its deadline, a dead target) with this exchange in flight. The
            # request may have landed (a create whose answer never came): keep it as evidence.
            self._record(request, None, bytes(body), digest, started, "cancelled before the exchange finished "
                         "(the check was stopped)")
            raise
        except httpx.HTTPError as exc:
            message = self.scrubber.text(explain(exc, self.settings))  # h11 quotes the header value it refused
            if connection_lost(exc):
                liveness.unreachable(message)
            self._record(request, None, b"", digest, started, message)
            if isinstance(exc, httpx.LocalProtocolError):  # h11 refused to send it: the server saw nothing
                raise RequestNotSent(message) from None
            raise TransportError(message) from None
        liveness.answered()
        elapsed = (time.perf_counter() - started) * 1000
        result = HttpResponse(
            status_code=response.status_code,
            headers=response.headers,
            content=bytes(body),
            url=str(response.url),
            elapsed_ms=elapsed,
        )
        self._record(request, result, result.content, digest, started, "", headers_ms)
        return result

    async def _send(self, request: httpx.Request, follow: bool, read: bool) -> httpx.Response:
        """Send, and retry a read once on a new connection when the connection broke before any byte of
        the response: a server may close an idle keep-alive connection just as a request goes out on it
        (seen with uvicorn under load), and browsers and curl retry an idempotent request then. A write
        is never repeated; a server that breaks the retry too is reported as usual."""
        try:
            return await self.client.send(request, stream=True, follow_redirects=follow)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if not read:
                raise
            record(Evidence(kind="warning", summary=f"{request.method} {self.scrubber.text(str(request.url))}: the "
                            "connection broke before any response byte; retried once on a new connection",
                            data={"first_attempt": explain(exc, self.settings)}))
            return await self.client.send(request, stream=True, follow_redirects=follow)

    def _record(
        self,
        request: httpx.Request,
        response: HttpResponse | None,
        body: bytes,
        digest: Any,
        started: float,
        error: str,
        headers_ms: float | None = None,
    ) -> None:
        keep = self.settings.evidence_body_bytes
        req_body = request.content if request.stream is not None else b""
        url = self.scrubber.text(str(request.url))
        data: dict[str, Any] = {
            "request": {
                "method": request.method,
                "url": url,
                "headers": self.scrubber.headers(request.headers),
                **_body(req_body, keep, hashlib.sha256(req_body), self.scrubber),
            },
            "timing": {"total_ms": round((time.perf_counter() - started) * 1000, 3)},
        }
        if headers_ms is not None:
            data["timing"]["headers_ms"] = round(headers_ms, 3)
        if response is not None:
            data["response"] = {
                "status": response.status_code,
                "url": self.scrubber.text(response.url),
                "headers": self.scrubber.headers(response.headers),
                **_body(body, keep, digest, self.scrubber),
            }
        if error:
            data["error"] = error
        status = str(response.status_code) if response is not None else f"no response ({error})"
        record(Evidence(kind="http", summary=f"{request.method} {url} -> {status}", data=data))


def _take(pieces: Any, body: bytearray, digest: Any, limit: int) -> None:
    """Append decoded pieces, stopping as soon as the limit is passed (before decoding any more)."""
    for piece in pieces:
        body.extend(piece)
        digest.update(piece)
        if len(body) > limit:
            raise TransportError(f"response body is larger than the {limit:,}-byte limit (after decoding); "
                                 "raise [http] max_body_bytes in the target file to read it")


def _body(body: bytes, keep: int, digest: Any, scrubber: Scrubber) -> dict[str, Any]:
    if not body:
        return {"body": "", "body_size": 0}
    text = body[:keep].decode("utf-8", errors="replace")
    out: dict[str, Any] = {
        "body": scrubber.text(text, cut=len(body) > keep),  # a cut may leave a secret's start
        "body_size": len(body),
        "body_sha256": digest.hexdigest(),
    }
    if len(body) > keep:
        out["body_truncated"] = True
    return out


def explain(exc: httpx.HTTPError, settings: HttpSettings) -> str:
    """Say what the network did in words a user can act on."""
    url = str(exc.request.url) if _has_request(exc) else "the server"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {url} within {settings.connect_timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"{url} sent no response within {settings.read_timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url} timed out: {exc}"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {url}: {exc or 'connection refused'}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"{url} redirected more than {settings.max_redirects} times (a redirect loop?)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url} closed or reset the connection mid-exchange: {exc or 'no detail'}"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return f"{url}: connection reset or broken mid-exchange ({exc or type(exc).__name__})"
    if isinstance(exc, httpx.DecodingError):
        return f"{url} sent a body that cannot be decoded as its Content-Encoding says: {exc}"
    if isinstance(exc, httpx.LocalProtocolError):
        return f"the request to {url} could not be sent: {exc}"
    return f"{type(exc).__name__} talking to {url}: {exc}"


def connection_lost(exc: httpx.HTTPError) -> bool:
    """No connection, or it died or went silent: what a stopped target looks like (not a bad answer)."""
    if isinstance(exc, httpx.RemoteProtocolError):  # h11's words when the peer hung up before answering
        return "disconnected" in str(exc).lower()
    return isinstance(exc, (httpx.NetworkError, httpx.TimeoutException))


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        _ = exc.request
    except RuntimeError:
        return False
    return True
