"""The openapi suite's context: the document, the API's base URL, credentials, and one shared run of
schemathesis's generated cases that the four ``cases`` verdicts each judge their part of.

The document is fetched without credentials (a published API is readable by anyone who would build
on it). Cases run once, as a task shielded from any one check's timeout, and their exchanges are kept
apart so each verdict records the exchanges it was judged on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any
from urllib.parse import urljoin

from conformance.auth.client import OAuthClient, TokenError
from conformance.checks import BaseContext, SuiteRuntime, fail, skip, suite
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.openapi.cases import CasesRun, run_cases
from conformance.openapi.document import DocumentBeyondLimit, DocumentError, parse, read_file
from conformance.targets import Auth
from conformance.transports.http import BodyBeyondLimit, HttpTransport, TransportError

SUITE_ID = "openapi"
SAFE = ("GET", "HEAD")


class OpenApiContext(BaseContext):
    def __init__(self, target: Any, transport: Any) -> None:
        super().__init__(target)
        self.settings = target.api
        self.source: str = target.endpoints.get("openapi", "")
        self.base: str = target.endpoints.get("api", "").rstrip("/")
        doc_http = dataclasses.replace(target.http, max_body_bytes=target.api.max_document_bytes)
        self.anonymous = HttpTransport(doc_http, Auth(), transport=transport)
        self.http = HttpTransport(target.http, target.auth, transport=transport,
                                  origin=self.base or self.source or None)
        self.oauth = target.oauth
        self._cases: asyncio.Task[CasesRun] | None = None
        self._token: str | None = None

    async def aclose(self) -> None:
        if self._cases is not None and not self._cases.done():
            self._cases.cancel()
        await self.anonymous.aclose()
        await self.http.aclose()

    def ready(self) -> None:
        if not self.source:
            skip("no OpenAPI document declared (endpoints.openapi)")

    async def fetch(self) -> dict[str, Any]:
        """The document, parsed; fail when it cannot be had or read."""
        self.ready()
        if not self.source.startswith(("http://", "https://")):
            try:
                content = read_file(self.source, self.settings.max_document_bytes)
                return await asyncio.to_thread(parse, content, self.source)  # YAML parsing is slow
            except DocumentBeyondLimit as exc:
                raise BodyBeyondLimit(f"{exc}; nothing was judged on it") from None
            except DocumentError as exc:
                fail(str(exc))
        try:
            response = await self.anonymous.request("GET", self.source,
                                                    headers={"Accept": "application/json, application/yaml"})
        except TransportError as exc:
            fail(f"the OpenAPI document could not be fetched: {exc}")
        if response.status_code != 200:
            fail(f"GET {self.source} without credentials answered {response.status_code}, not 200: a published "
                 "API document must be readable by anyone who would build on it")
        try:
            return await asyncio.to_thread(parse, response.content, self.source)
        except DocumentBeyondLimit as exc:
            raise BodyBeyondLimit(f"{exc}; nothing was judged on it") from None
        except DocumentError as exc:
            fail(str(exc))

    def api_base(self, doc: dict[str, Any]) -> str:
        if self.base:
            return self.base
        servers = doc.get("servers") or []
        url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
        if self.source.startswith(("http://", "https://")) and isinstance(url, str) and "{" not in url:
            return urljoin(self.source, url or "/").rstrip("/")
        skip("no API base URL declared (endpoints.api), and the document's servers give none usable")

    def allowed(self, method: str, path: str) -> str | None:
        label = f"{method} {path}"
        marked = self.settings.safe_operations
        if (label in marked) if marked else (method in SAFE):
            return None
        if self.target.sandbox:
            return None
        return "not marked safe to call (api.safe_operations) and the target is not a sandbox"

    async def token(self) -> str | None:
        """A bearer token from the target's OAuth settings, or None (then [auth] applies, if any)."""
        if self._token is None and self.oauth.configured:
            endpoint = self.oauth.token_endpoint or await self.discover_token_endpoint()
            client = OAuthClient(self.http, self.oauth, endpoint)
            try:
                self._token = (await client.any_token(self.oauth.scopes or "")).access_token
            except TokenError as exc:
                fail(f"no token to call the API with: {exc}")
        return self._token

    async def discover_token_endpoint(self) -> str:
        fhir = self.oauth.smart_fhir or self.target.endpoints.get("fhir", "")
        if not fhir:
            skip("no token endpoint declared (oauth.token_endpoint) and no FHIR base to discover one from")
        response = await self.http.request("GET", f"{fhir}/.well-known/smart-configuration",
                                           headers={"Accept": "application/json"})
        try:
            return str((await response.ajson())["token_endpoint"])
        except (ValueError, KeyError, TypeError):
            fail("the token endpoint could not be discovered from .well-known/smart-configuration")

    async def cases(self, doc: dict[str, Any]) -> CasesRun:
        """The one shared run of generated cases (started by whichever check asks first)."""
        if self._cases is None:
            base = self.api_base(doc)
            token = await self.token()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._cases = asyncio.create_task(run_cases(
                doc, base, self.http, allowed=self.allowed, auth_headers=lambda: headers,
                max_cases=self.settings.max_cases, budget=self.settings.time_budget))
        return await asyncio.shield(self._cases)


def derived(summary: str, **data: Any) -> None:
    record(Evidence(kind="derived", summary=summary, data=data))


async def make_context(runtime: SuiteRuntime) -> OpenApiContext:
    return OpenApiContext(runtime.target, runtime.options.get("http_transport"))


SUITE = suite(
    id=SUITE_ID,
    title="OpenAPI: the API is published, documented, and behaves as documented",
    context=make_context,
    description="The OpenAPI document is reachable without credentials and valid; every operation documents "
    "its responses and security; schemathesis's generated cases judge what the API really answers.",
)
