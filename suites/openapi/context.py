"""The openapi suite's context: the document, the API's base URL, credentials, and one shared run of
schemathesis's generated cases that the four ``cases`` verdicts each judge their part of.

The document is fetched without credentials (a published API is readable by anyone who would build
on it). Cases run once, as a task shielded from any one check's timeout, and their exchanges are kept
apart so each verdict records the exchanges it was judged on.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from conformance.auth.client import OAuthClient, TokenError
from conformance.checks import BaseContext, HarnessLacks, SuiteRuntime, fail, skip, suite
from conformance.cleanup.ledger import DEFAULT, Ledger
from conformance.evidence.capture import record
from conformance.fhir.tags import RUN_HEADER
from conformance.model import Evidence
from conformance.openapi.cases import CasesRun, run_cases
from conformance.openapi.created import Created, delete_created
from conformance.openapi.document import DocumentBeyondLimit, DocumentError, parse, read_file, validate
from conformance.targets import Auth, Target
from conformance.transports.http import BodyBeyondLimit, HttpTransport, TransportError
from conformance.writeguard import ADVICE, READ_METHODS, is_sandbox

SUITE_ID = "openapi"
SAFE = ("GET", "HEAD")


class OpenApiContext(BaseContext):
    def __init__(self, target: Target, transport: Any, run_id: str = "", ledger: Ledger | None = None) -> None:
        super().__init__(target)
        self.settings = target.api
        self.source: str = target.endpoints.get("openapi", "")
        self.base: str = target.endpoints.get("api", "").rstrip("/")
        doc_http = target.http.model_copy(update={"max_body_bytes": target.api.max_document_bytes})
        read_only = not is_sandbox(target)
        self.anonymous = HttpTransport(doc_http, Auth(), transport=transport, read_only=read_only)
        self.http = HttpTransport(target.http, target.auth, transport=transport,
                                  origin=self.base or self.source or None, read_only=read_only)
        self.oauth = target.oauth
        self._cases: asyncio.Task[CasesRun] | None = None
        self._token: str | None = None
        # What the generated cases created (deleted again where the document says how), journalled in
        # ``ledger`` as it happens so that `conformance cleanup` finds what a killed run left.
        self.run_id = run_id or secrets.token_hex(4)
        self.created: list[Created] = []
        self.ledger = ledger
        self._headers: dict[str, str] = {RUN_HEADER: self.run_id}

    async def aclose(self) -> None:
        try:
            if self._cases is not None and not self._cases.done():
                self._cases.cancel()
                await asyncio.gather(self._cases, return_exceptions=True)
            await self.delete_created()
        finally:
            await self.anonymous.aclose()
            await self.http.aclose()

    def remember(self, item: Created) -> None:
        self.created.append(item)
        if self.ledger is not None and item.url:
            self.ledger.created(self.run_id, item.url, item.operation, item.deletable)

    async def delete_created(self) -> None:
        for item in await delete_created(self.created, self.http, self._headers):
            if self.ledger is not None:
                self.ledger.deleted(self.run_id, item.url)
        if self.ledger is not None and self.created:
            self.ledger.settle(self.run_id)

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
            # Refused, reset, timed out, or past the harness's own size limit: nothing was judged (error).
            raise HarnessLacks(f"the OpenAPI document could not be fetched, so nothing was judged: {exc}") from None
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
        """Why an operation's generated cases are not sent (None: send them).

        On a sandbox every operation is exercised. Elsewhere only reads, and of those only the ones
        ``api.safe_operations`` lists when it is set: a POST, PUT, PATCH or DELETE is a write whatever
        the document or the target file says of it (a search-like POST included), since neither can
        prove that it changes nothing.
        """
        if is_sandbox(self.target):
            return None
        if method.upper() not in READ_METHODS:  # not even a FHIR-style POST .../_search: an API is not FHIR
            return f"{ADVICE} {method} operations, which may change data"
        marked = self.settings.safe_operations
        if (f"{method} {path}" in marked) if marked else (method in SAFE):
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
            endpoint = (await response.ajson()).get("token_endpoint")
        except (ValueError, AttributeError):
            endpoint = None
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            fail(f"the token endpoint could not be discovered from .well-known/smart-configuration: it answered "
                 f"{response.status_code} {response.text[:120]!r}")
        return endpoint

    async def cases(self, doc: dict[str, Any]) -> CasesRun:
        """The one shared run of generated cases (started by whichever check asks first)."""
        if self._cases is None:
            base = self.api_base(doc)
            token = await self.token()
            if token:
                self._headers["Authorization"] = f"Bearer {token}"
            self._cases = asyncio.create_task(self._run_cases(doc, base))
        try:
            return await asyncio.shield(self._cases)
        except DocumentError as exc:
            # The document parsed but its operations cannot be walked: the document's fault when it is
            # not valid OpenAPI (quoted), the harness's (an error) when it is.
            try:
                problems = validate(doc)
            except DocumentError:
                problems = []
            if problems:
                fail(f"{exc}; the document is not valid OpenAPI: at {problems[0].where}: {problems[0].message}")
            raise HarnessLacks(f"{exc}, though the document is valid: a limitation of the harness; the "
                               "operations were not judged") from None

    async def _run_cases(self, doc: dict[str, Any], base: str) -> CasesRun:
        """The cases, then what they created deleted (before any verdict reads the run)."""
        run = await run_cases(doc, base, self.http, allowed=self.allowed, auth_headers=lambda: dict(self._headers),
                              max_cases=self.settings.max_cases, budget=self.settings.time_budget,
                              on_created=self.remember)
        await self.delete_created()
        return run


def derived(summary: str, **data: Any) -> None:
    record(Evidence(kind="derived", summary=summary, data=data))


async def make_context(runtime: SuiteRuntime) -> OpenApiContext:
    # The journal goes to links.ledger_dir, else reports/created/ -- but not for the in-memory
    # twin (tests, benchmarks), whose sandbox dies with the run.
    where = runtime.links.ledger_dir
    if where is None and runtime.links.http_transport is None:
        where = DEFAULT
    return OpenApiContext(runtime.target, runtime.links.http_transport, runtime.run_id,
                          Ledger(Path(where)) if where is not None else None)


SUITE = suite(
    id=SUITE_ID,
    title="OpenAPI: the API is published, documented, and behaves as documented",
    context=make_context,
    description="The OpenAPI document is reachable without credentials and valid; every operation documents "
    "its responses and security; schemathesis's generated cases judge what the API really answers.",
)
